"""Group rates and disparities from confusion counts, as Fairlearn defines them.

All functions work on arrays with any leading (bootstrap) axes: counts of shape
(..., G, 4) give rates of shape (..., G). A group with no rows (possible only in
a bootstrap resample) gets NaN for every rate and drops out of the disparities
of that resample.

Rates whose denominator is empty within a present group (TPR with no actual
positives, precision with no predicted positives, ...) follow Fairlearn and
scikit-learn, which report 0.0 (``confusion_matrix(normalize="true")`` and
``precision_score(zero_division="warn")``); ``undefined="none"`` reports them
as undefined instead and leaves those groups out of the disparities.
"""

from __future__ import annotations

import warnings

import numpy as np

from audit.choices import UNDEFINED_MODES as UNDEFINED_MODES  # re-exported for the reports
from audit.fairness._counts import FN, FP, TN, TP, outcome_sum

RATE_METRICS = (
    "selection_rate",
    "accuracy",
    "balanced_accuracy",
    "tpr",
    "fpr",
    "tnr",
    "fnr",
    "precision",
    "base_rate",
)
"""Metrics computed from the confusion counts alone (``count`` is reported as a plain int)."""


# metric -> (numerator cells, denominator cells, reason when the denominator is empty)
_RATIO_DEFS = {
    "tpr": ((TP,), (TP, FN), "no actual positives"),
    "fnr": ((FN,), (TP, FN), "no actual positives"),
    "fpr": ((FP,), (FP, TN), "no actual negatives"),
    "tnr": ((TN,), (FP, TN), "no actual negatives"),
    "precision": ((TP,), (TP, FP), "no predicted positives"),
}
UNDEFINED_REASONS = {m: d[2] for m, d in _RATIO_DEFS.items()}

# disparity name -> the group metric it compares (Fairlearn's naming)
NAMED_DISPARITIES = {
    "demographic_parity": "selection_rate",
    "equal_opportunity": "tpr",
    "predictive_parity": "precision",
    "accuracy": "accuracy",
}


def _div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def rates(counts: np.ndarray, *, undefined: str = "zero") -> dict[str, np.ndarray]:
    """Every rate metric from counts (..., G, 4) ordered TN, FP, FN, TP.

    Examples
    --------
    >>> r = rates(np.array([[5.0, 1.0, 2.0, 2.0]]))
    >>> float(r["selection_rate"][0]), float(r["tpr"][0])
    (0.3, 0.5)
    """
    c = np.asarray(counts, dtype=np.float64)
    n = c.sum(axis=-1)
    present = n > 0
    out: dict[str, np.ndarray] = {
        "selection_rate": _div(c[..., FP] + c[..., TP], n),
        "accuracy": _div(c[..., TN] + c[..., TP], n),
        "base_rate": _div(c[..., FN] + c[..., TP], n),
    }
    for name, (num_idx, den_idx, _) in _RATIO_DEFS.items():
        den = outcome_sum(c, den_idx)
        val = _div(outcome_sum(c, num_idx), den)
        if undefined == "zero":
            val = np.where(present & (den == 0), 0.0, val)
        out[name] = val
    # scikit-learn averages the recall of the classes that occur in y_true only
    pos = c[..., TP] + c[..., FN]
    neg = c[..., TN] + c[..., FP]
    recall_pos = _div(c[..., TP], pos)
    recall_neg = _div(c[..., TN], neg)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        out["balanced_accuracy"] = np.nanmean(np.stack([recall_pos, recall_neg]), axis=0)
    return {m: out[m] for m in RATE_METRICS}


def undefined_mask(counts: np.ndarray, metric: str) -> np.ndarray:
    """True where ``metric`` has an empty denominator in a present group."""
    if metric not in _RATIO_DEFS:
        return np.zeros(counts.shape[:-1], dtype=bool)
    den = sum(counts[..., i] for i in _RATIO_DEFS[metric][1])
    return (den == 0) & (counts.sum(axis=-1) > 0)


def _nan_reduce(fn, arr: np.ndarray, axis: int = -1) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(arr, axis=axis)


def difference(by_group: np.ndarray, overall: np.ndarray | None = None) -> np.ndarray:
    """Fairlearn's ``difference``: max - min between groups, or max |group - overall| when ``overall`` is given."""
    if overall is None:
        return _nan_reduce(np.nanmax, by_group) - _nan_reduce(np.nanmin, by_group)
    return _nan_reduce(np.nanmax, np.abs(by_group - np.asarray(overall)[..., None]))


def ratio(by_group: np.ndarray, overall: np.ndarray | None = None) -> np.ndarray:
    """Fairlearn's ``ratio``: min / max between groups, or min of group/overall folded below 1."""
    if overall is None:
        return _div(_nan_reduce(np.nanmin, by_group), _nan_reduce(np.nanmax, by_group))
    r = _div(by_group, np.asarray(overall)[..., None])
    with np.errstate(divide="ignore"):
        r = np.where(r > 1, 1.0 / r, r)
    return _nan_reduce(np.nanmin, r)


def disparities(by_group: dict[str, np.ndarray], overall: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every disparity, between groups and to overall (suffix ``_to_overall``).

    Named disparities follow Fairlearn: ``demographic_parity_*`` compares selection
    rates, ``equal_opportunity_*`` TPRs, ``predictive_parity_*`` precisions,
    ``equalized_odds_*`` the worse of TPR and FPR (``_mean``: their mean), and
    ``<metric>_difference`` / ``<metric>_ratio`` exist for every rate metric.
    """
    out: dict[str, np.ndarray] = {}
    for suffix, use_overall in (("", False), ("_to_overall", True)):
        diffs, ratios = {}, {}
        for m in RATE_METRICS:
            o = overall[m] if use_overall else None
            diffs[m] = difference(by_group[m], o)
            ratios[m] = ratio(by_group[m], o)
        for name, m in NAMED_DISPARITIES.items():
            out[f"{name}_difference{suffix}"] = diffs[m]
            out[f"{name}_ratio{suffix}"] = ratios[m]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out[f"equalized_odds_difference{suffix}"] = np.fmax(diffs["tpr"], diffs["fpr"])
            out[f"equalized_odds_ratio{suffix}"] = np.fmin(ratios["tpr"], ratios["fpr"])
            out[f"equalized_odds_difference_mean{suffix}"] = np.nanmean(np.stack([diffs["tpr"], diffs["fpr"]]), axis=0)
            out[f"equalized_odds_ratio_mean{suffix}"] = np.nanmean(np.stack([ratios["tpr"], ratios["fpr"]]), axis=0)
        for m in RATE_METRICS:
            out.setdefault(f"{m}_difference{suffix}", diffs[m])
            out.setdefault(f"{m}_ratio{suffix}", ratios[m])
    return out
