"""Per-group rates at every threshold from one sort per group.

Rule everywhere: an example is selected (predicted positive) when ``score >= t``.
Sorting a group's scores once in decreasing order, the cumulative counts of
positives and negatives at each distinct score are the confusion counts at
that threshold; any other threshold maps to one of those points by a binary
search, so a dashboard slider costs microseconds per group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.exceptions import ConfigError, DataError
from audit.fairness._inputs import encode_feature, encode_labels, encode_scores

RULE = "selected (predicted positive) when score >= threshold"
CRITERIA = {"demographic_parity": "selection_rate", "equal_opportunity": "tpr"}

_BAD_CRITERION = (
    "criterion = {value!r} is not known. Expected one of {valid}. Fix: use 'demographic_parity' "
    "(equal selection rates) or 'equal_opportunity' (equal true positive rates)."
)
_BAD_THRESHOLDS = (
    "thresholds must be numbers in [0, 1]; found {found}. Fix: pass e.g. numpy.linspace(0, 1, 101), "
    "or None for every distinct score."
)
_BAD_TARGET = "target = {value!r} is invalid. Expected a rate in [0, 1] or None. Fix: pass e.g. 0.2."
_LENGTHS = "y_true, y_score and sensitive have {a}, {b} and {c} rows. Expected one entry per example in each. Fix: align them."
_BAD_CURVES = (
    "rates_at_threshold needs the dict returned by threshold_analysis (with 'groups' holding "
    "'thresholds', 'tp', 'fp' per group); found keys {keys}. Fix: pass threshold_analysis(...)'s result."
)


def _prepare(y_true, y_score, sensitive, pos_label):
    n = len(y_true)
    if n == 0:
        raise DataError("y_true is empty. Expected at least one example. Fix: pass the test-set labels.")
    if len(y_score) != n or len(sensitive) != n:
        raise DataError(_LENGTHS.format(a=n, b=len(y_score), c=len(sensitive)))
    problems: list[str] = []
    y, _, _ = encode_labels(y_true, None, pos_label=pos_label, problems=problems)
    score = encode_scores(y_score, problems=problems)
    s = sensitive if isinstance(sensitive, pd.Series) else pd.Series(np.asarray(sensitive), name="sensitive")
    feat = encode_feature(s, str(s.name) if s.name is not None else "sensitive", problems=problems, require_two=False)
    if problems:
        raise DataError("\n".join(problems), problems=problems)
    return y, score, feat


def _group_curve(y: np.ndarray, score: np.ndarray) -> dict:
    order = np.argsort(-score, kind="stable")
    s, yy = score[order], y[order]
    tp = np.cumsum(yy)
    fp = np.cumsum(~yy)
    last = np.r_[s[1:] != s[:-1], True]  # last index of each run of equal scores
    return {"thresholds": s[last], "tp": tp[last], "fp": fp[last], "positives": int(yy.sum()), "count": len(yy)}


def _rates(tp, fp, pos, count):
    neg = count - pos
    with np.errstate(divide="ignore", invalid="ignore"):
        sel = (tp + fp) / count if count else np.full(np.shape(tp), np.nan)
        tpr = tp / pos if pos else np.full(np.shape(tp), np.nan)
        fpr = fp / neg if neg else np.full(np.shape(tp), np.nan)
    return sel, tpr, fpr


def _lists(a) -> list:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(a, dtype=np.float64)]


def _counts_at(curve: dict, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TP and FP when selecting score >= t, for an array of thresholds."""
    thr = np.asarray(curve["thresholds"], dtype=np.float64)  # decreasing
    k = np.searchsorted(-thr, -np.asarray(t, dtype=np.float64), side="right")  # how many distinct scores >= t
    tp = np.r_[0, np.asarray(curve["tp"], dtype=np.int64)][k]
    fp = np.r_[0, np.asarray(curve["fp"], dtype=np.int64)][k]
    return tp, fp


def threshold_analysis(*, y_true, y_score, sensitive: pd.Series, thresholds=None, pos_label=1) -> dict:
    """Per-group selection rate, TPR and FPR at every threshold.

    Parameters
    ----------
    y_true : array-like
        True labels; ``pos_label`` marks the positive class.
    y_score : array-like
        Probability of the positive class, in [0, 1].
    sensitive : Series
        One sensitive feature (missing values form the group ``"<missing>"``).
    thresholds : array-like, optional
        Thresholds to report rates at. None: every distinct score of each group, which
        is exact for any threshold (see :func:`rates_at_threshold`).

    Returns
    -------
    dict
        ``{"rule", "feature", "groups": {group: {"count", "positives", "thresholds", "tp", "fp",
        "selection_rate", "tpr", "fpr"}}}``; lists are aligned, thresholds decreasing (None: all
        distinct scores) or as given.

    Examples
    --------
    >>> import pandas as pd
    >>> a = threshold_analysis(y_true=[0, 1, 1, 0], y_score=[0.2, 0.9, 0.4, 0.6],
    ...                        sensitive=pd.Series(list("aabb"), name="g"), thresholds=[0.5])
    >>> a["groups"]["a"]["selection_rate"], a["groups"]["b"]["fpr"]
    ([0.5], [1.0])
    """
    y, score, feat = _prepare(y_true, y_score, sensitive, pos_label)
    grid = None
    if thresholds is not None:
        grid = np.asarray(thresholds, dtype=np.float64).reshape(-1)
        if grid.size == 0 or not np.all(np.isfinite(grid)) or grid.min() < 0 or grid.max() > 1:
            raise DataError(_BAD_THRESHOLDS.format(found=grid[:5].tolist()))
    out = {"rule": RULE, "feature": feat.name, "groups": {}}
    for code, label in enumerate(feat.groups):
        idx = feat.codes == code
        curve = _group_curve(y[idx], score[idx])
        if grid is None:
            thr, tp, fp = curve["thresholds"], curve["tp"], curve["fp"]
        else:
            thr = grid
            tp, fp = _counts_at(curve, grid)
        sel, tpr, fpr = _rates(tp, fp, curve["positives"], curve["count"])
        out["groups"][label] = {
            "count": curve["count"],
            "positives": curve["positives"],
            "thresholds": _lists(thr),
            "tp": [int(v) for v in tp],
            "fp": [int(v) for v in fp],
            "selection_rate": _lists(sel),
            "tpr": _lists(tpr),
            "fpr": _lists(fpr),
        }
    return out


def rates_at_threshold(analysis: dict, threshold: float | dict) -> dict:
    """Each group's rates at one threshold, from :func:`threshold_analysis`'s result.

    Exact for any threshold when the analysis was built with ``thresholds=None``; with a
    grid it is exact at grid points and steps to the nearest grid point at or above
    ``threshold`` in between. Pure and cheap: meant for a dashboard slider.

    Parameters
    ----------
    analysis : dict
        The result of :func:`threshold_analysis` (or the same dict read back from JSON).
    threshold : float or dict
        One threshold for all groups, or ``{group: threshold}``.

    Returns
    -------
    dict
        ``{group: {"threshold", "count", "selected", "selection_rate", "tpr", "fpr"}}``.

    Examples
    --------
    >>> import pandas as pd
    >>> a = threshold_analysis(y_true=[0, 1, 1, 0], y_score=[0.2, 0.9, 0.4, 0.6],
    ...                        sensitive=pd.Series(list("aabb"), name="g"))
    >>> rates_at_threshold(a, 0.5)["b"]["selection_rate"]
    0.5
    """
    groups = analysis.get("groups") if isinstance(analysis, dict) else None
    if not isinstance(groups, dict) or any(not {"thresholds", "tp", "fp"} <= set(g) for g in groups.values()):
        raise DataError(_BAD_CURVES.format(keys=sorted(analysis) if isinstance(analysis, dict) else type(analysis).__name__))
    out = {}
    for label, curve in groups.items():
        t = threshold.get(label, 0.5) if isinstance(threshold, dict) else threshold
        tp, fp = _counts_at(curve, np.asarray([t]))
        sel, tpr, fpr = _rates(tp, fp, curve["positives"], curve["count"])
        out[label] = {
            "threshold": float(t),
            "count": int(curve["count"]),
            "selected": int(tp[0] + fp[0]),
            "selection_rate": _lists(sel)[0],
            "tpr": _lists(tpr)[0],
            "fpr": _lists(fpr)[0],
        }
    return out


def equalizing_thresholds(
    *, y_true, y_score, sensitive: pd.Series, criterion: str = "demographic_parity", target: float | None = None,
    base_threshold: float = 0.5, pos_label=1,
) -> dict:
    """One deterministic threshold per group that brings a rate closest to a common target.

    Parameters
    ----------
    criterion : {"demographic_parity", "equal_opportunity"}
        Equalise selection rates, or true positive rates.
    target : float, optional
        The common rate to reach. None: the overall rate at ``base_threshold``.

    Returns
    -------
    dict
        ``{"criterion", "metric", "rule", "target", "thresholds": {group: t}, "achieved": {group: rate},
        "max_gap": float, "note": str}``. Thresholds are distinct scores of each group; ties
        can keep a group from reaching the target exactly (``achieved`` says how close).

    Examples
    --------
    >>> import pandas as pd
    >>> r = equalizing_thresholds(y_true=[0, 1, 1, 0, 1, 0], y_score=[.1, .9, .8, .7, .6, .2],
    ...                           sensitive=pd.Series(list("aaabbb")), target=1/3)
    >>> r["achieved"]
    {'a': 0.3333333333333333, 'b': 0.3333333333333333}
    """
    if criterion not in CRITERIA:
        raise ConfigError(_BAD_CRITERION.format(value=criterion, valid=sorted(CRITERIA)))
    if target is not None and not (isinstance(target, (int, float)) and 0 <= target <= 1):
        raise ConfigError(_BAD_TARGET.format(value=target))
    metric = CRITERIA[criterion]
    y, score, feat = _prepare(y_true, y_score, sensitive, pos_label)
    if target is None:
        sel = score >= base_threshold
        target = float(sel.mean()) if metric == "selection_rate" else float(sel[y].mean()) if y.any() else 0.0
    thresholds, achieved = {}, {}
    for code, label in enumerate(feat.groups):
        idx = feat.codes == code
        curve = _group_curve(y[idx], score[idx])
        sel, tpr, _ = _rates(curve["tp"], curve["fp"], curve["positives"], curve["count"])
        rate = sel if metric == "selection_rate" else tpr
        # candidate: select nobody (threshold above every score) or any distinct score
        cand_rate = np.r_[0.0, np.nan_to_num(rate, nan=0.0)]
        cand_thr = np.r_[np.nextafter(1.0, 2.0) if curve["thresholds"][0] >= 1.0 else 1.0, curve["thresholds"]]
        k = int(np.argmin(np.abs(cand_rate - target)))
        thresholds[label] = float(cand_thr[k])
        achieved[label] = float(cand_rate[k])
    gap = max(achieved.values()) - min(achieved.values())
    return {
        "criterion": criterion,
        "metric": metric,
        "rule": RULE,
        "feature": feat.name,
        "target": float(target),
        "thresholds": thresholds,
        "achieved": achieved,
        "max_gap": float(gap),
        "note": (
            "Deterministic per-group thresholds chosen from each group's distinct scores; Fairlearn's "
            "ThresholdOptimizer (see mitigation_report) randomises between two thresholds to equalise exactly."
        ),
    }
