"""Group reliance: does the model lean on a sensitive attribute, directly or through proxies?

For each sensitive column: the share of total importance on the sensitive
feature itself (when it is a model input), attribution profiles per group, and
for every other feature how well it alone predicts the sensitive attribute
(mutual information, and the ROC AUC of a one-feature frequency-table
classifier fitted on training rows), beside that feature's importance. A
feature that predicts ``sex`` well *and* carries much of the attribution is a
proxy the model relies on, even when ``sex`` itself is excluded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import numpy as np
import pandas as pd

__all__ = ["group_reliance", "proxy_strength", "discretize", "group_labels"]

#: A feature that predicts the sensitive attribute with at least this AUC is reported as a proxy.
PROXY_AUC_THRESHOLD = 0.7
#: ... and warned about when it is also among this many most important features.
PROXY_TOP_K = 5
_N_BINS = 10
_MISSING = "missing"

_PROXY_WARNING = (
    "The model relies on {feature!r} (importance rank {rank}), which predicts {sensitive!r} with "
    "AUC {auc:.2f}: it can act as a proxy for {sensitive!r} even if {sensitive!r} is not used directly."
)
_DIRECT_WARNING = "{sensitive!r} itself carries {share:.0%} of the model's total attribution."


def group_labels(values: pd.Series | np.ndarray | Sequence[Any]) -> np.ndarray:
    """Group labels as Python strings, missing values as ``"missing"`` (their own group).

    Examples
    --------
    >>> list(group_labels(pd.Series(["a", None, "b"])))
    ['a', 'missing', 'b']
    """
    return pd.Series(values).astype("string").fillna(_MISSING).astype(object).to_numpy()


@overload
def discretize(train: pd.Series, other: None = None) -> tuple[np.ndarray, None]: ...
@overload
def discretize(train: pd.Series, other: pd.Series) -> tuple[np.ndarray, np.ndarray]: ...
def discretize(train: pd.Series, other: pd.Series | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Discrete labels for a feature: categories as they are, numerics in training-quantile bins.

    Bin edges come from ``train`` only, so the evaluation rows never shape the bins.

    Examples
    --------
    >>> a, b = discretize(pd.Series(["x", "y", None]), pd.Series(["y"]))
    >>> list(a), list(b)
    (['x', 'y', 'missing'], ['y'])
    """
    train = pd.Series(train)
    numeric = pd.api.types.is_numeric_dtype(train) and not pd.api.types.is_bool_dtype(train)
    if numeric and train.nunique(dropna=True) > _N_BINS:
        t = pd.to_numeric(train, errors="coerce").astype("float64").to_numpy()
        edges = np.unique(np.nanquantile(t, np.linspace(0, 1, _N_BINS + 1)[1:-1]))

        def bins(s: pd.Series) -> np.ndarray:
            v = pd.to_numeric(pd.Series(s), errors="coerce").astype("float64").to_numpy()
            out = np.searchsorted(edges, v, side="right").astype(str).astype(object)
            out[np.isnan(v)] = _MISSING
            return out

        return bins(train), None if other is None else bins(other)
    return group_labels(train), None if other is None else group_labels(other)


def _codes(train: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    codes, uniques = pd.factorize(np.concatenate([train, other]), sort=True)
    return codes[: len(train)], codes[len(train) :], len(uniques)


def proxy_strength(
    feature_train: pd.Series,
    sensitive_train: pd.Series | np.ndarray,
    feature_eval: pd.Series,
    sensitive_eval: pd.Series | np.ndarray,
) -> dict[str, float | None]:
    """How well one feature predicts a sensitive attribute.

    A frequency table ``P(group | feature value)`` (Laplace-smoothed) is fitted
    on the training rows and scored on the evaluation rows: ROC AUC for two
    groups, macro one-vs-rest AUC for more (groups absent from the evaluation
    rows skipped). Mutual information (nats) is measured on the evaluation rows.

    Returns
    -------
    dict with ``proxy_auc`` (None when undefined) and ``mutual_information``.

    Examples
    --------
    >>> s = pd.Series(["a", "b"] * 50)
    >>> round(proxy_strength(s, s, s, s)["proxy_auc"], 2)
    1.0
    """
    f_tr, f_ev = discretize(pd.Series(feature_train).reset_index(drop=True), pd.Series(feature_eval).reset_index(drop=True))
    return _proxy_from_labels(f_tr, f_ev, group_labels(sensitive_train), group_labels(sensitive_eval))


def _proxy_from_labels(f_tr: np.ndarray, f_ev: np.ndarray, s_tr: np.ndarray, s_ev: np.ndarray) -> dict[str, float | None]:
    from sklearn.metrics import mutual_info_score, roc_auc_score

    fv_tr, fv_ev, n_values = _codes(f_tr, f_ev)
    c_tr, c_ev, n_classes = _codes(s_tr, s_ev)
    table = np.ones((n_values, n_classes))  # Laplace smoothing
    np.add.at(table, (fv_tr, c_tr), 1.0)
    table /= table.sum(axis=1, keepdims=True)
    proba = table[fv_ev]
    aucs = []
    for j in range(n_classes):
        pos = c_ev == j
        if pos.any() and (~pos).any():
            aucs.append(roc_auc_score(pos, proba[:, j]))
            if n_classes == 2:
                break  # both one-vs-rest AUCs are equal
    return {
        "proxy_auc": float(np.mean(aucs)) if aucs else None,
        "mutual_information": float(mutual_info_score(c_ev, fv_ev)),
    }


def group_reliance(
    grouped: np.ndarray,
    features: Sequence[str],
    *,
    sensitive_explain: pd.DataFrame,
    raw_explain: pd.DataFrame,
    raw_train: pd.DataFrame | None = None,
    sensitive_train: pd.DataFrame | None = None,
    seed: int = 0,
) -> tuple[dict[str, Any], list[str]]:
    """Reliance on each sensitive column: direct share, group profiles and proxies.

    Parameters
    ----------
    grouped : array of shape (n, n_features)
        Feature-level attributions of the explained rows.
    features : list of str
        Original feature names, the columns of ``grouped``.
    sensitive_explain, raw_explain : DataFrame
        Sensitive columns and original feature values of the explained rows (same order).
    raw_train, sensitive_train : DataFrame, optional
        Training rows to fit the proxy classifiers on. Without them the
        explained rows are split in half (fit on one half, score the other).

    Returns
    -------
    (dict, list of str)
        The ``group_reliance`` section and warnings.

    Examples
    --------
    >>> g = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    >>> raw = pd.DataFrame({"a": ["x", "y", "x", "y"], "b": [1, 2, 3, 4]})
    >>> out, _ = group_reliance(g, ["a", "b"], sensitive_explain=raw[["a"]], raw_explain=raw)
    >>> out["a"]["sensitive_feature_share"]
    0.5
    """
    A = np.abs(np.asarray(grouped, dtype=np.float64))
    importance, rank, total = _importance(A, features)
    fit_raw, fit_sens, eval_raw, eval_sens, fitted_on = _proxy_rows(raw_explain, sensitive_explain, raw_train,
                                                                    sensitive_train, seed=seed)
    # Discretise each feature once; it is scored against every sensitive column.
    binned = {f: discretize(fit_raw[f].reset_index(drop=True), eval_raw[f].reset_index(drop=True))
              for f in features if f in raw_explain.columns and f in fit_raw.columns}
    out: dict[str, Any] = {}
    warnings: list[str] = []
    for col in sensitive_explain.columns:
        proxies = _proxies(col, features, importance, rank, binned, group_labels(fit_sens[col]),
                           group_labels(eval_sens[col]))
        out[str(col)] = _column_block(col, A, features, importance, total, group_labels(sensitive_explain[col]),
                                      proxies, fitted_on=fitted_on)
        warnings += _column_warnings(col, out[str(col)])
    return out, warnings


def _importance(A: np.ndarray, features: Sequence[str]) -> tuple[dict[str, float], dict[str, int], float]:
    """Mean |attribution| per feature, its rank (1 = most important) and the total over features."""
    mean_abs = A.mean(axis=0)
    importance = dict(zip(features, mean_abs, strict=True))  # a column of A per feature
    rank = {f: r + 1 for r, f in enumerate(sorted(features, key=lambda f: -importance[f]))}
    return importance, rank, float(mean_abs.sum())


def _proxy_rows(raw_explain: pd.DataFrame, sensitive_explain: pd.DataFrame, raw_train: pd.DataFrame | None,
                sensitive_train: pd.DataFrame | None, *,
                seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """Rows to fit the proxy classifiers on and to score them on, and a phrase naming the fit rows."""
    if raw_train is None or sensitive_train is None:
        perm = np.random.default_rng(seed).permutation(len(raw_explain))
        fit_rows, eval_rows = np.sort(perm[: len(perm) // 2]), np.sort(perm[len(perm) // 2 :])
        fit_raw, fit_sens = raw_explain.iloc[fit_rows], sensitive_explain.iloc[fit_rows]
        eval_raw, eval_sens = raw_explain.iloc[eval_rows], sensitive_explain.iloc[eval_rows]
        return fit_raw, fit_sens, eval_raw, eval_sens, "half of the explained rows (no training rows given)"
    return raw_train, sensitive_train, raw_explain, sensitive_explain, "training rows"


def _proxies(col: Any, features: Sequence[str], importance: dict[str, float], rank: dict[str, int],
             binned: dict[str, tuple[np.ndarray, np.ndarray]], s_fit: np.ndarray, s_eval: np.ndarray) -> list[dict[str, Any]]:
    """How well each other feature predicts ``col``, beside its importance; strongest proxy first."""
    proxies: list[dict[str, Any]] = []
    for f in features:
        if f == col or f not in binned:
            continue
        strength = _proxy_from_labels(binned[f][0], binned[f][1], s_fit, s_eval)
        proxies.append({"feature": f, **strength, "importance": float(importance[f]), "importance_rank": rank[f],
                        "is_proxy": bool(strength["proxy_auc"] is not None and strength["proxy_auc"] >= PROXY_AUC_THRESHOLD)})
    proxies.sort(key=lambda p: -(p["proxy_auc"] or 0.0))
    return proxies


def _column_block(col: Any, A: np.ndarray, features: Sequence[str], importance: dict[str, float], total: float,
                  labels: np.ndarray, proxies: list[dict[str, Any]], *, fitted_on: str) -> dict[str, Any]:
    """One sensitive column's section: direct share, group sizes, attribution profiles, proxies."""
    in_model = col in importance
    share = float(importance[col] / total) if in_model and total > 0 else 0.0
    return {
        "sensitive_feature_share": share,
        "in_model": bool(in_model),
        "groups": {str(g): int((labels == g).sum()) for g in sorted(set(labels))},
        "profiles": {str(g): {f: float(v) for f, v in zip(features, A[labels == g].mean(axis=0), strict=True)}
                     for g in sorted(set(labels))},
        "proxies": proxies,
        "proxy_method": f"frequency-table classifier on one feature, fitted on {fitted_on}; "
                        f"AUC (macro one-vs-rest for >2 groups); mutual information in nats; "
                        f"proxy when AUC >= {PROXY_AUC_THRESHOLD}",
    }


def _column_warnings(col: Any, block: dict[str, Any]) -> list[str]:
    """A warning for a large direct share, and one per strong proxy among the most important features."""
    warnings = []
    if block["in_model"] and block["sensitive_feature_share"] >= 0.05:
        warnings.append(_DIRECT_WARNING.format(sensitive=str(col), share=block["sensitive_feature_share"]))
    for p in block["proxies"]:
        if p["is_proxy"] and p["importance_rank"] <= PROXY_TOP_K:
            warnings.append(_PROXY_WARNING.format(feature=p["feature"], rank=p["importance_rank"],
                                                  sensitive=str(col), auc=p["proxy_auc"]))
    return warnings
