"""Mitigation with Fairlearn, reported as a before/after table with intervals.

* ``ThresholdOptimizer`` post-processes the audited model's own scores: the score
  is wrapped as the single "feature" of a prefit estimator, so the (torch) model
  is never refitted and nothing but its scores is needed.
* ``ExponentiatedGradient`` must refit its estimator with sample weights; a torch
  model does not take them, so it mitigates a stand-in ``LogisticRegression`` on the
  encoded features. The table then also shows that stand-in unmitigated, so its
  before/after is like for like.

Every row is scored on the held-out rows by :func:`fairness_report`, so the
numbers and intervals are the same engine's as the rest of the audit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from audit.exceptions import ConfigError, DataError
from audit.fairness._inputs import encode_feature, encode_labels, encode_scores
from audit.fairness._report import fairness_report

CONSTRAINTS = {
    # name -> (ThresholdOptimizer constraint, reductions Moment class name, disparity it targets)
    "demographic_parity": ("demographic_parity", "DemographicParity", "demographic_parity_difference"),
    "equalized_odds": ("equalized_odds", "EqualizedOdds", "equalized_odds_difference"),
    "equal_opportunity": ("true_positive_rate_parity", "TruePositiveRateParity", "equal_opportunity_difference"),
}
REPORTED = (
    "accuracy",
    "balanced_accuracy",
    "selection_rate",
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equal_opportunity_difference",
)

_BAD_CONSTRAINT = (
    "constraint = {value!r} is not supported. Expected one of {valid}. Fix: pick the disparity "
    "you want to reduce, e.g. 'demographic_parity'."
)
_LENGTHS = (
    "{split} inputs disagree in length: {lengths}. Expected one entry per example in each. "
    "Fix: build y, scores, sensitive (and X) from the same rows."
)
_X_ONE_SIDED = (
    "X_fit and X_test must be given together (found only {given}). Fix: pass both encoded "
    "feature matrices, or neither to skip ExponentiatedGradient."
)


class ScoreAsFeature(ClassifierMixin, BaseEstimator):
    """A prefit classifier whose only feature is the model's score: ``predict_proba`` returns it.

    Lets Fairlearn's ``ThresholdOptimizer(prefit=True)`` post-process any model from its scores.

    Examples
    --------
    >>> ScoreAsFeature().fit(np.c_[[0.2, 0.7]], [0, 1]).predict_proba(np.c_[[0.2, 0.7]])[:, 1].tolist()
    [0.2, 0.7]
    """

    def fit(self, X, y=None):  # noqa: D102 - nothing to learn
        self.classes_ = np.array([0, 1])
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True

    def predict_proba(self, X) -> np.ndarray:  # noqa: D102
        s = np.asarray(X, dtype=np.float64)[:, 0]
        return np.column_stack([1.0 - s, s])

    def predict(self, X) -> np.ndarray:  # noqa: D102
        return (np.asarray(X, dtype=np.float64)[:, 0] >= 0.5).astype(int)


def _check(split: str, y, scores, sensitive, X, pos_label, problems: list[str]):
    lengths = {"y": len(y), "scores": len(scores), "sensitive": len(sensitive)}
    if X is not None:
        lengths["X"] = len(X)
    if len(set(lengths.values())) > 1:
        problems.append(_LENGTHS.format(split=split, lengths=lengths))
        return None
    y01, _, _ = encode_labels(y, None, pos_label=pos_label, problems=problems)
    s = encode_scores(scores, problems=problems)
    ser = sensitive if isinstance(sensitive, pd.Series) else pd.Series(np.asarray(sensitive), name="sensitive")
    feat = encode_feature(ser, str(ser.name) if ser.name is not None else "sensitive", problems=problems)
    if y01 is None or s is None or feat is None:
        return None
    # Fairlearn gets plain strings so a missing value is a group, as in the rest of the audit
    return y01.astype(int), s, pd.Series(np.asarray(feat.groups, dtype=object)[feat.codes], name=feat.name)


def _row(method: str, description: str, y_test, pred, sens: pd.Series, *, n_boot: int, seed: int) -> dict:
    # Mitigation compares methods on the same groups as Fairlearn's constraint: all groups, {value, ci} only.
    rep = fairness_report(y_true=y_test, y_pred=pred, sensitive=sens.to_frame(), n_boot=n_boot, seed=seed,
                          intersections=False, disparity_groups="all")
    block = rep["by_feature"][sens.name]
    metrics = {}
    for name in REPORTED:
        entry = rep["overall"]["metrics"][name] if name in rep["overall"]["metrics"] else block["disparities_all_groups"][name]
        metrics[name] = {"value": entry["value"], "ci": entry["ci"]}
    metrics["groups"] = {
        g["group"]: {"selection_rate": g["metrics"]["selection_rate"]["value"], "tpr": g["metrics"]["tpr"]["value"],
                     "count": g["count"]}
        for g in block["groups"]
    }
    return {"method": method, "description": description, "metrics": metrics}


def mitigation_report(
    *,
    y_fit,
    scores_fit,
    sensitive_fit: pd.Series,
    y_test,
    scores_test,
    sensitive_test: pd.Series,
    X_fit=None,
    X_test=None,
    constraint: str = "demographic_parity",
    n_boot: int = 200,
    seed: int = 0,
    pos_label=1,
    threshold: float = 0.5,
    eg_max_iter: int = 50,
) -> dict:
    """Before/after table of Fairlearn mitigations, scored on held-out rows with intervals.

    Parameters
    ----------
    y_fit, scores_fit, sensitive_fit
        Rows the mitigations are fitted on (e.g. the training split): labels, the model's
        positive-class probabilities, one sensitive feature.
    y_test, scores_test, sensitive_test
        Held-out rows every method is scored on.
    X_fit, X_test : array-like, optional
        Encoded features; when given, ``ExponentiatedGradient`` mitigates a stand-in
        ``LogisticRegression`` on them.
    constraint : {"demographic_parity", "equalized_odds", "equal_opportunity"}
        The disparity to reduce.
    n_boot, seed
        Bootstrap of every row's metrics (see :func:`fairness_report`).
    threshold : float
        Threshold turning the unmitigated model's scores into labels.

    Returns
    -------
    dict
        ``{"constraint", "sensitive_feature", "target_disparity", "rows": [{"method", "description",
        "metrics": {name: {"value", "ci"}, ..., "groups": {...}}}], "notes": [str]}``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> s = pd.Series(rng.choice(["a", "b"], 400), name="g")
    >>> score = np.clip(rng.random(400) * 0.6 + (s == "a") * 0.4, 0, 1)
    >>> y = (rng.random(400) < score).astype(int)
    >>> r = mitigation_report(y_fit=y, scores_fit=score, sensitive_fit=s, y_test=y, scores_test=score,
    ...                       sensitive_test=s, n_boot=0)
    >>> [row["method"] for row in r["rows"]]
    ['unmitigated', 'threshold_optimizer']
    """
    fit, test = _checked_splits(constraint=constraint, pos_label=pos_label, fit=(y_fit, scores_fit, sensitive_fit, X_fit),
                                test=(y_test, scores_test, sensitive_test, X_test))
    yt, st, gt = test
    _, moment_name, target = CONSTRAINTS[constraint]
    notes = [
        f"Every method is scored on {len(yt)} held-out rows; intervals: {n_boot} bootstrap resamples.",
        f"Unmitigated predictions: score >= {threshold:.4g}.",
    ]
    rows = [_row("unmitigated", f"The audited model, selecting score >= {threshold:.4g} (its decision threshold).", yt,
                 (st >= threshold).astype(int), gt, n_boot=n_boot, seed=seed)]
    rows.append(_threshold_optimizer_row(fit, test, constraint=constraint, n_boot=n_boot, seed=seed))
    notes.append("ThresholdOptimizer needs the sensitive feature at prediction time and randomises between two "
                 f"thresholds for some groups (random_state={seed}).")
    if X_fit is not None:
        rows += _exponentiated_gradient_rows(fit, test, X_fit, X_test, moment_name=moment_name, max_iter=eg_max_iter,
                                             n_boot=n_boot, seed=seed)
        notes.append("ExponentiatedGradient mitigates a stand-in linear model (LogisticRegression on the encoded "
                     "features), not the audited torch model, which cannot be refitted with sample weights; "
                     "compare it with the stand_in_unmitigated row.")
    else:
        notes.append("ExponentiatedGradient skipped: it needs the encoded features (X_fit, X_test).")
    return {
        "constraint": constraint,
        "sensitive_feature": gt.name,
        "target_disparity": target,
        "rows": rows,
        "notes": notes,
    }


# one split as the caller passes it: (y, scores, sensitive, X or None)
_RawSplit = tuple[Any, Any, Any, Any]


def _checked_splits(*, constraint: str, pos_label, fit: _RawSplit, test: _RawSplit) -> tuple[tuple, tuple]:
    """Each split's (labels 0/1, scores, sensitive groups as strings), or every problem of both raised at once."""
    if constraint not in CONSTRAINTS:
        raise ConfigError(_BAD_CONSTRAINT.format(value=constraint, valid=sorted(CONSTRAINTS)))
    problems: list[str] = []
    X_fit, X_test = fit[3], test[3]
    if (X_fit is None) != (X_test is None):
        problems.append(_X_ONE_SIDED.format(given="X_fit" if X_fit is not None else "X_test"))
    fit_part = _check("fit", *fit, pos_label, problems)
    test_part = _check("test", *test, pos_label, problems)
    if problems:
        raise DataError("\n".join(problems), problems=problems)
    return fit_part, test_part


def _threshold_optimizer_row(fit: tuple, test: tuple, *, constraint: str, n_boot: int, seed: int) -> dict:
    """Fairlearn's ThresholdOptimizer over the audited model's own scores, fitted on ``fit``, scored on ``test``."""
    from fairlearn.postprocessing import ThresholdOptimizer  # heavy: imported when used

    (yf, sf, gf), (yt, st, gt) = fit, test
    to = ThresholdOptimizer(estimator=ScoreAsFeature(), constraints=CONSTRAINTS[constraint][0], objective="accuracy_score",
                            prefit=True, predict_method="predict_proba")
    to.fit(sf.reshape(-1, 1), yf, sensitive_features=gf)
    pred_to = to.predict(st.reshape(-1, 1), sensitive_features=gt, random_state=seed)
    return _row("threshold_optimizer",
                "Fairlearn ThresholdOptimizer on the audited model's scores: per-group (randomised) "
                "thresholds fitted on the fit rows; the model itself is unchanged.",
                yt, np.asarray(pred_to).astype(int), gt, n_boot=n_boot, seed=seed)


def _exponentiated_gradient_rows(fit: tuple, test: tuple, X_fit, X_test, *, moment_name: str, max_iter: int,
                                 n_boot: int, seed: int) -> list[dict]:
    """A stand-in LogisticRegression, unmitigated and mitigated by ExponentiatedGradient.

    The stand-in is needed because a torch model cannot be refitted with sample weights.
    """
    from fairlearn import reductions
    from sklearn.linear_model import LogisticRegression

    (yf, _, gf), (yt, _, gt) = fit, test
    Xf = np.asarray(X_fit, dtype=np.float64)
    Xt = np.asarray(X_test, dtype=np.float64)
    base = LogisticRegression(max_iter=1000)
    stand_in = LogisticRegression(max_iter=1000).fit(Xf, yf)
    rows = [_row("stand_in_unmitigated",
                 "Stand-in LogisticRegression on the encoded features, unmitigated (baseline for "
                 "exponentiated_gradient).", yt, stand_in.predict(Xt), gt, n_boot=n_boot, seed=seed)]
    eg = reductions.ExponentiatedGradient(base, constraints=getattr(reductions, moment_name)(), max_iter=max_iter)
    eg.fit(Xf, yf, sensitive_features=gf)
    pred_eg = eg.predict(Xt, random_state=seed)
    rows.append(_row("exponentiated_gradient",
                     f"Fairlearn ExponentiatedGradient ({moment_name}) over a stand-in LogisticRegression.",
                     yt, np.asarray(pred_eg).astype(int), gt, n_boot=n_boot, seed=seed))
    return rows
