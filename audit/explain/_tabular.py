"""``explain_tabular``: the explainability section of an audit for one tabular model."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from audit.choices import EXPLAIN_BASELINES as BASELINES
from audit.exceptions import ExplainError
from audit.explain._aggregate import aggregate_groups, global_importance
from audit.explain._base import TABULAR_METHODS, Explainer, _unwrap, check_feature_groups, make_explainer
from audit.explain._faithfulness import (
    DEFAULT_DELTA_TOLERANCE,
    DEFAULT_RANDOMIZATION_THRESHOLD,
    convergence_delta,
    convergence_summary,
    deletion_curve,
    infidelity_score,
    randomization_test,
    sensitivity_score,
)
from audit.explain._reliance import group_reliance

__all__ = ["explain_tabular", "BASELINES"]


_BASELINE_TEXT = {
    "training_mean": "the mean of the encoded training rows (one reference row; one-hot columns hold category frequencies)",
    "training_sample": "{k} training rows drawn at random (seed {seed}); attributions averaged over them",
}
_TARGET_TEXT = "positive_logit"
_TARGET_DESCRIPTION = "log-odds of the positive class; attributions are in logit units"
#: What ``output = "value"`` explains: a regression's prediction.
_VALUE_TEXT = "prediction"
_VALUE_DESCRIPTION = "the model's prediction, in the target's units; attributions are in those units"
#: Values of ``explain_tabular(output=...)``.
OUTPUTS = ("log_odds", "value")

_INVALID = "explain_tabular cannot run: {problems}"
_BAD_LEVEL = "{name} must be a number {interval}; found {found!r}. Fix: use e.g. {example}."
_BAD_METHOD = "method {found!r} is not one of {valid}; pick one of these"
_BAD_BASELINE_KIND = "baseline {found!r} is not one of {valid}; pick one of these"
_ROWS_MISMATCH = "{name} has {found} rows but X_explain has {n}; pass the same rows, in the same order"
_NAMES_MISMATCH = "feature_names has {found} names but X_explain has {n} columns; pass the encoded column names"
_COLUMNS_MISMATCH = "X_train has {found} columns but X_explain has {n}; encode both with the same preprocessing"
_BAD_LABELS = "y_explain must hold 0/1 labels; found values {found}; encode the target as 1 for the positive label"
_BAD_COUNT = "{name} must be an integer >= {low}; found {found!r}"
_EMPTY = "{name} is empty; pass at least {low} row(s)"

#: Rows used for the faithfulness checks: enough for stable means, cheap on any set.
_CHECK_ROWS = 256
_SENSITIVITY_ROWS = 64
_TOP_CONTRIBUTIONS = 6
_SAMPLE_BASELINES = 16


def _validate(X_explain: np.ndarray, X_train: np.ndarray, feature_names: Sequence[str], raw_explain: pd.DataFrame,
              y_explain: np.ndarray, sensitive_explain: pd.DataFrame, method: str, baseline: str, n_examples: int,
              n_boot: int, delta_tolerance: float = DEFAULT_DELTA_TOLERANCE,
              randomization_threshold: float = DEFAULT_RANDOMIZATION_THRESHOLD, output: str = "log_odds") -> list[str]:
    problems: list[str] = []
    if not isinstance(delta_tolerance, (int, float)) or isinstance(delta_tolerance, bool) or not delta_tolerance > 0:
        problems.append(_BAD_LEVEL.format(name="delta_tolerance", interval="> 0", found=delta_tolerance, example=DEFAULT_DELTA_TOLERANCE))
    if (not isinstance(randomization_threshold, (int, float)) or isinstance(randomization_threshold, bool)
            or not 0 < randomization_threshold <= 1):
        problems.append(_BAD_LEVEL.format(name="randomization_threshold", interval="in (0, 1]", found=randomization_threshold,
                                          example=DEFAULT_RANDOMIZATION_THRESHOLD))
    if method not in TABULAR_METHODS:
        problems.append(_BAD_METHOD.format(found=method, valid=", ".join(TABULAR_METHODS)))
    if baseline not in BASELINES:
        problems.append(_BAD_BASELINE_KIND.format(found=baseline, valid=", ".join(BASELINES)))
    if X_explain.ndim != 2 or len(X_explain) == 0:
        problems.append(_EMPTY.format(name="X_explain", low=1) if len(X_explain) == 0
                        else f"X_explain must be 2-D (rows, encoded columns); found shape {X_explain.shape}")
        return problems
    n, d = X_explain.shape
    if X_train.ndim != 2 or len(X_train) == 0:
        problems.append(_EMPTY.format(name="X_train", low=1))
    elif X_train.shape[1] != d:
        problems.append(_COLUMNS_MISMATCH.format(found=X_train.shape[1], n=d))
    if len(feature_names) != d:
        problems.append(_NAMES_MISMATCH.format(found=len(feature_names), n=d))
    for name, obj in (("raw_explain", raw_explain), ("y_explain", y_explain), ("sensitive_explain", sensitive_explain)):
        if len(obj) != n:
            problems.append(_ROWS_MISMATCH.format(name=name, found=len(obj), n=n))
    if output not in OUTPUTS:
        problems.append(f"output {output!r} is not one of {', '.join(OUTPUTS)}")
    labels = set(pd.unique(pd.Series(np.asarray(y_explain).ravel())).tolist()) if len(y_explain) else set()
    if output == "log_odds" and not labels <= {0, 1}:
        problems.append(_BAD_LABELS.format(found=sorted(map(str, labels))[:5]))
    for name, value, low in (("n_examples", n_examples, 0), ("n_boot", n_boot, 0)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            problems.append(_BAD_COUNT.format(name=name, low=low, found=value))
    return problems


def _baselines(kind: str, X_train: np.ndarray, seed: int) -> tuple[np.ndarray, dict[str, Any]]:
    if kind == "training_mean":
        return X_train.mean(axis=0, dtype=np.float64).astype(np.float32)[None, :], {
            "kind": kind, "description": _BASELINE_TEXT[kind]}
    k = min(_SAMPLE_BASELINES, len(X_train))
    rows = np.sort(np.random.default_rng(seed).choice(len(X_train), size=k, replace=False))
    return X_train[rows].astype(np.float32), {"kind": kind, "description": _BASELINE_TEXT[kind].format(k=k, seed=seed),
                                               "rows": [int(r) for r in rows]}


def _display(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "missing"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _examples(grouped: np.ndarray, features: Sequence[str], raw: pd.DataFrame, y: np.ndarray, score: np.ndarray,
              *, n_examples: int, seed: int, output: str = "log_odds", threshold: float = 0.5) -> list[dict[str, Any]]:
    if n_examples == 0:
        return []
    if output == "value":  # a regression: the largest errors
        errors = np.argsort(-np.abs(score - y), kind="stable")[: n_examples // 2]
    else:
        pred = (score >= threshold).astype(int)
        errors = np.nonzero(pred != y)[0]
        # Most confident errors: wrong and farthest from the model's decision threshold.
        errors = errors[np.argsort(-np.abs(score[errors] - threshold), kind="stable")][: n_examples // 2]
    rest = np.setdiff1d(np.arange(len(y)), errors)
    n_sample = min(n_examples - len(errors), len(rest))
    sample = np.sort(np.random.default_rng(seed).choice(rest, size=n_sample, replace=False))
    out = []
    for kind, rows in (("largest_error" if output == "value" else "confident_error", errors), ("sample", sample)):
        for r in rows:
            top = np.argsort(-np.abs(grouped[r]), kind="stable")[:_TOP_CONTRIBUTIONS]
            out.append({
                "row": int(r), "kind": kind, "y_true": float(y[r]) if output == "value" else int(y[r]),
                "y_score": float(score[r]),
                "contributions": [
                    {"feature": features[j],
                     "value": _display(raw.iloc[r][features[j]]) if features[j] in raw.columns else "n/a",
                     "attribution": float(grouped[r, j])}
                    for j in top
                ],
            })
    return out


def explain_tabular(
    model: nn.Module,
    *,
    X_explain: np.ndarray,
    X_train: np.ndarray,
    feature_names: list[str],
    feature_groups: dict[str, list[int]],
    raw_explain: pd.DataFrame,
    y_explain: np.ndarray,
    sensitive_explain: pd.DataFrame,
    raw_train: pd.DataFrame | None = None,
    sensitive_train: pd.DataFrame | None = None,
    method: str = "integrated_gradients",
    baseline: str = "training_mean",
    n_examples: int = 8,
    n_boot: int = 200,
    checks: bool = True,
    delta_tolerance: float = DEFAULT_DELTA_TOLERANCE,
    randomization_threshold: float = DEFAULT_RANDOMIZATION_THRESHOLD,
    seed: int = 0,
    output: str = "log_odds",
    decision_threshold: float = 0.5,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Explain a binary tabular model (or a regression's prediction): attributions, views, group reliance and faithfulness.

    Attributions explain the positive logit (log-odds), on the encoded columns summed back to original features.

    Parameters
    ----------
    model : nn.Module
        Binary classifier on the encoded matrix (see :mod:`audit.models`).
    X_explain, X_train : ndarray of float32
        Encoded rows to explain, and encoded training rows (for the baseline).
    feature_names : list of str
        Encoded column names.
    feature_groups : dict of str to list of int
        Original feature -> its encoded column indices, in original-feature order.
    raw_explain : DataFrame
        Original (unencoded) values of the explained rows, for display and proxies.
    y_explain : ndarray
        0/1 labels of the explained rows.
    sensitive_explain : DataFrame
        Sensitive columns of the explained rows.
    raw_train, sensitive_train : DataFrame, optional
        Training rows to fit the proxy classifiers on (else half the explained rows).
    method, baseline : str
        One of :data:`audit.choices.TABULAR_METHODS`; ``training_mean`` or ``training_sample``.
    n_examples : int
        Per-example explanations to include (half the most confident errors).
    n_boot : int
        Bootstrap resamples for the importance CIs (0 disables them).
    checks : bool
        Run the faithfulness checks (on a subsample of at most 256 rows).
    delta_tolerance : float
        Mean |completeness delta| (in log-odds) above which a warning is raised.
    randomization_threshold : float
        Mean rank correlation with re-initialised models at or above which the method is flagged.
    seed : int
        Seeds every random choice.
    output, decision_threshold : str, float
        ``"log_odds"`` (a binary logit, 0/1 ``y_explain``, confident errors decided at the model's decision
        threshold) or ``"value"`` (a regression's prediction; ``y_explain``: targets in its units).

    Returns
    -------
    (dict, dict of str to ndarray)
        The JSON-ready section, and big arrays: ``attributions`` (rows x original features, float32), for methods
        with a completeness property ``convergence_delta`` (rows), and for the ``training_mean`` baseline
        ``baseline`` (its one encoded row, shape (1, encoded columns)).

    Examples
    --------
    >>> import pandas as pd
    >>> from audit.models import MLP
    >>> X = np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32)
    >>> raw = pd.DataFrame({"a": X[:, 0], "b": np.where(X[:, 1] > 0, "u", "v"), "c": X[:, 2]})
    >>> section, arrays = explain_tabular(
    ...     MLP(3, hidden=(4,)), X_explain=X, X_train=X, feature_names=["a", "b", "c"],
    ...     feature_groups={"a": [0], "b": [1], "c": [2]}, raw_explain=raw,
    ...     y_explain=(X[:, 0] > 0).astype(int), sensitive_explain=raw[["b"]], n_boot=20)
    >>> arrays["attributions"].shape, section["target"]
    ((40, 3), 'positive_logit')
    """
    X_explain, X_train, y = _checked_inputs(X_explain, X_train, feature_names, raw_explain, y_explain, sensitive_explain,
                                            method, baseline, n_examples, n_boot, delta_tolerance, randomization_threshold, output)
    groups = check_feature_groups(feature_groups, X_explain.shape[1])
    features = list(groups)
    explainer, B, baseline_info = _explainer(model, method, baseline, X_train, groups, seed=seed)
    encoded, grouped, score, timing = _attribute(explainer, X_explain, B, groups, seed=seed, output=output)
    section = _views(method, baseline_info, features, grouped, raw_explain, y, score, n_examples=n_examples,
                     n_boot=n_boot, seed=seed, output=output, threshold=decision_threshold)
    section["group_reliance"], warnings = group_reliance(
        grouped, features, sensitive_explain=sensitive_explain, raw_explain=raw_explain, raw_train=raw_train,
        sensitive_train=sensitive_train, seed=seed)
    section["faithfulness"], arrays = _faithfulness(
        explainer, X_explain, encoded, grouped, B, groups, method=method, checks=checks, delta_tolerance=delta_tolerance,
        randomization_threshold=randomization_threshold, seed=seed, warnings=warnings, output=output)
    if baseline == "training_mean":  # saved so What-if attributes from it; a training statistic, not training rows
        arrays["baseline"] = B.astype(np.float32)
    return {**section, "warnings": warnings, "timing": timing}, arrays


def _checked_inputs(X_explain: np.ndarray, X_train: np.ndarray, feature_names: Sequence[str], raw_explain: pd.DataFrame,
                    y_explain: np.ndarray, sensitive_explain: pd.DataFrame, method: str, baseline: str,
                    n_examples: int, n_boot: int, delta_tolerance: float, randomization_threshold: float,
                    output: str = "log_odds") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Encoded matrices as float32 and labels as int64 (targets as float64), or every problem raised at once."""
    X_explain = np.asarray(X_explain, dtype=np.float32)
    X_train = np.asarray(X_train, dtype=np.float32)
    y = np.asarray(y_explain)
    problems = _validate(X_explain, X_train, feature_names, raw_explain, y, sensitive_explain, method, baseline,
                         n_examples, n_boot, delta_tolerance, randomization_threshold, output)
    if problems:
        raise ExplainError(_INVALID.format(problems="; ".join(problems)), problems=problems)
    return X_explain, X_train, y.astype(np.float64 if output == "value" else np.int64)


def _explainer(model: nn.Module, method: str, kind: str, X_train: np.ndarray, groups: dict[str, list[int]], *,
               seed: int) -> tuple[Explainer, np.ndarray, dict[str, Any]]:
    """The method's explainer, the baseline rows and their description (which says when the method ignores them)."""
    model = _unwrap(model)
    B, info = _baselines(kind, X_train, seed)
    explainer = make_explainer(method, model, feature_groups=groups)
    if method == "permutation":
        info["used_by_method"] = False
        info["description"] += (" (permutation shuffles values across explained rows instead; the baseline is used by "
                                "the deletion and infidelity checks only)")
    return explainer, B, info


def _attribute(explainer: Explainer, X: np.ndarray, B: np.ndarray, groups: dict[str, list[int]], *,
               seed: int, output: str = "log_odds") -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Encoded and feature-level attributions, the positive-class probability, and the attribution's timing."""
    torch_threads = torch.get_num_threads()
    t0 = time.perf_counter()
    encoded = explainer.attribute(X, baselines=B, seed=seed)
    attribution_s = time.perf_counter() - t0
    grouped = aggregate_groups(encoded, groups)
    logit = explainer.score(X)
    score = logit if output == "value" else 1.0 / (1.0 + np.exp(-logit))
    timing = {"attribution_s": float(attribution_s), "rows_per_s": float(len(X) / max(attribution_s, 1e-9)),
              "torch_threads": int(torch_threads)}
    return encoded, grouped, score, timing


def _views(method: str, baseline_info: dict[str, Any], features: list[str], grouped: np.ndarray, raw: pd.DataFrame,
           y: np.ndarray, score: np.ndarray, *, n_examples: int, n_boot: int, seed: int,
           output: str = "log_odds", threshold: float = 0.5) -> dict[str, Any]:
    """The section's head: what is explained against what, global importance with CIs, per-example views."""
    value = output == "value"
    return {
        "method": method,
        "target": _VALUE_TEXT if value else _TARGET_TEXT,
        "target_description": _VALUE_DESCRIPTION if value else _TARGET_DESCRIPTION,
        "baseline": baseline_info,
        "n_rows": int(len(grouped)),
        "features": features,
        "global_importance": global_importance(grouped, features, n_boot=n_boot, seed=seed),
        "importance_ci": {"method": "percentile bootstrap over explained rows", "level": 0.95, "n_boot": int(n_boot)},
        "examples": _examples(grouped, features, raw, y, score, n_examples=n_examples, seed=seed, output=output,
                              threshold=threshold),
    }


def _faithfulness(explainer: Explainer, X: np.ndarray, encoded: np.ndarray, grouped: np.ndarray, B: np.ndarray,
                  groups: dict[str, list[int]], *, method: str, checks: bool, delta_tolerance: float,
                  randomization_threshold: float, seed: int, warnings: list[str],
                  output: str = "log_odds") -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The faithfulness block (appending its warnings) and the big arrays: attributions and completeness deltas."""
    arrays: dict[str, np.ndarray] = {"attributions": grouped.astype(np.float32)}
    faith: dict[str, Any] = {}
    if explainer.completeness:
        delta = convergence_delta(explainer, X, encoded, baselines=B)
        faith["convergence_delta"] = convergence_summary(delta, tolerance=delta_tolerance, method=method)
        arrays["convergence_delta"] = delta.astype(np.float32)
        if faith["convergence_delta"]["warning"]:
            warnings.append(faith["convergence_delta"]["message"])
    else:
        faith["convergence_delta"] = None
    if checks:
        faith.update(_checks(explainer, X, encoded, grouped, B, groups, seed=seed, warnings=warnings,
                             randomization_threshold=randomization_threshold, output=output))
    return faith, arrays


def _checks(explainer: Explainer, X: np.ndarray, encoded: np.ndarray, grouped: np.ndarray, B: np.ndarray,
            groups: dict[str, list[int]], *, seed: int, warnings: list[str],
            randomization_threshold: float, output: str = "log_odds") -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(X), size=min(_CHECK_ROWS, len(X)), replace=False))
    few = rows[np.sort(rng.choice(len(rows), size=min(_SENSITIVITY_ROWS, len(rows)), replace=False))]
    mean_b = B.mean(axis=0, keepdims=True)
    t0 = time.perf_counter()
    out: dict[str, Any] = {
        "n_rows": int(len(rows)),
        "infidelity": infidelity_score(explainer, X[rows], encoded[rows], baseline=mean_b, feature_groups=groups, seed=seed),
        "infidelity_description": "mean squared gap between the attribution of randomly removed features (each p=0.3, "
                                  "set to the mean baseline) and the true change of the logit; Captum infidelity, 10 draws per row",
        "sensitivity_max": sensitivity_score(explainer, X[few], baselines=B, feature_groups=groups, seed=seed),
        "sensitivity_description": f"mean over {len(few)} rows of Captum sensitivity_max (L-inf radius 0.02, 5 draws): "
                                   "largest relative change of the feature-level explanation",
        "deletion_curve": deletion_curve(explainer, X[rows], grouped[rows], baseline=mean_b, feature_groups=groups, seed=seed,
                                         output="value" if output == "value" else "probability"),
        "randomization_test": randomization_test(explainer, X[rows], baselines=B, feature_groups=groups, reference=encoded[rows],
                                                 threshold=randomization_threshold, seed=seed),
    }
    if not out["deletion_curve"]["top_beats_random"]:
        warnings.append("Deletion check: removing the most important features first moves the prediction no more than "
                        "removing random features; the attribution ranking is not faithful to the model.")
    if out["randomization_test"]["flagged"]:
        warnings.append(
            f"Randomisation test: attributions of a re-initialised model correlate with the trained model's "
            f"(Spearman {out['randomization_test']['spearman']:.2f} >= {out['randomization_test']['threshold']:.2f}); "
            f"{explainer.name} reflects the inputs more than what the model learned.")
    out["checks_s"] = float(time.perf_counter() - t0)
    return out
