"""Low-false-positive-rate figures of a membership attack, with the evidence behind each.

A TPR "at 0.1% FPR" measured on 5,000 non-members rests on the 5 highest-scoring
non-members: one more or one fewer moves the threshold, and a reviewer cannot see how
thin the figure is. Here every low-FPR figure carries

- the threshold's **false-positive allowance** ``floor(target · n_nonmembers)``: how many
  non-members the threshold may admit, i.e. how many non-members the FPR estimate rests on;
- the true and false positives actually behind the chosen threshold;
- Clopper–Pearson (exact binomial) intervals for the TPR and for the achieved FPR;
- a **refusal** when the allowance is below ``min_false_positives`` (default 20): the TPR is
  then ``None`` and ``not_reported`` says why, e.g. "not reported: 5 non-members behind this
  threshold, at least 20 needed".

Thresholds are taken between distinct float64 scores: tied scores are admitted or refused
together, so no threshold is claimed that does not exist (no interpolation, no random
tie-breaking).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["DEFAULT_MIN_FALSE_POSITIVES", "LOW_FPR_TARGETS", "clopper_pearson", "low_fpr_point", "roc_counts",
           "roc_with_intervals"]

#: The FPRs every attack is reported at (Carlini et al. 2022: confident identification of a few members).
LOW_FPR_TARGETS = (0.01, 0.001)
#: A TPR at a target FPR is reported only when the threshold may admit at least this many non-members.
DEFAULT_MIN_FALSE_POSITIVES = 20

_REFUSED = ("not reported: {allowed} non-member{s} behind this threshold ({target:g} of {n}), at least {needed} needed "
            "(attack at least {want:,} non-members to report it)")


def clopper_pearson(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) two-sided interval for a binomial proportion ``k / n``.

    Examples
    --------
    >>> lo, hi = clopper_pearson(0, 100)
    >>> lo, round(hi, 4)
    (0.0, 0.0362)
    """
    from scipy.stats import beta

    if n <= 0:
        return 0.0, 1.0
    a = (1.0 - confidence) / 2
    lo = 0.0 if k <= 0 else float(beta.ppf(a, k, n - k + 1))
    hi = 1.0 if k >= n else float(beta.ppf(1 - a, k + 1, n - k))
    return lo, hi


def roc_counts(member_scores: np.ndarray, nonmember_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and false positives at every distinct threshold, from the highest score down.

    Element ``i`` counts the examples scoring at least the ``i``-th highest distinct score; a
    leading ``(0, 0)`` is the threshold above every score. Scores are compared in float64.
    """
    m = np.asarray(member_scores, dtype=np.float64)
    n = np.asarray(nonmember_scores, dtype=np.float64)
    thresholds = np.unique(np.r_[m, n])[::-1]
    m_sorted, n_sorted = np.sort(m), np.sort(n)
    tp = len(m) - np.searchsorted(m_sorted, thresholds, side="left")
    fp = len(n) - np.searchsorted(n_sorted, thresholds, side="left")
    return np.r_[0, tp].astype(np.int64), np.r_[0, fp].astype(np.int64)


def low_fpr_point(tp: np.ndarray, fp: np.ndarray, *, n_members: int, n_nonmembers: int, target: float,
                  min_false_positives: int = DEFAULT_MIN_FALSE_POSITIVES, confidence: float = 0.95) -> dict:
    """The attack's TPR at FPR <= ``target``, with counts, intervals, or the reason it is not reported.

    Examples
    --------
    >>> tp, fp = np.array([0, 3, 5]), np.array([0, 1, 10])
    >>> p = low_fpr_point(tp, fp, n_members=10, n_nonmembers=100, target=0.05, min_false_positives=5)
    >>> p["tpr"], p["false_positives"], p["false_positive_allowance"]
    (0.3, 1, 5)
    >>> low_fpr_point(tp, fp, n_members=10, n_nonmembers=100, target=0.01)["not_reported"][:40]
    'not reported: 1 non-member behind this t'
    """
    allowed = int(math.floor(target * n_nonmembers + 1e-9))
    ok = np.flatnonzero(fp <= allowed)
    i = int(ok[-1])  # counts only grow down the list, so the last admissible threshold has the most TPs
    t, f = int(tp[i]), int(fp[i])
    point = {"target_fpr": float(target), "false_positive_allowance": allowed, "true_positives": t,
             "false_positives": f, "n_members": int(n_members), "n_nonmembers": int(n_nonmembers),
             "fpr": f / n_nonmembers, "fpr_ci": list(clopper_pearson(f, n_nonmembers, confidence=confidence)),
             "confidence": float(confidence), "min_false_positives": int(min_false_positives)}
    if allowed < min_false_positives:
        want = int(math.ceil(min_false_positives / target))
        return {**point, "tpr": None, "tpr_ci": None, "not_reported": _REFUSED.format(
            allowed=allowed, s="" if allowed == 1 else "s", target=target, n=n_nonmembers, needed=min_false_positives,
            want=want)}
    return {**point, "tpr": t / n_members, "tpr_ci": list(clopper_pearson(t, n_members, confidence=confidence)),
            "not_reported": None}


def _log_spaced(fpr: np.ndarray, max_points: int) -> np.ndarray:
    # Half the points evenly along the curve, half at log-spaced FPRs, so the curve keeps its shape
    # on linear and on log axes (where the low-FPR end is what matters).
    n = len(fpr)
    even = np.linspace(0, n - 1, max(2, max_points // 2)).round().astype(int)
    positive = fpr[fpr > 0]
    if len(positive):
        grid = np.geomspace(positive.min(), 1.0, max(2, max_points - len(even)))
        logs = np.clip(np.searchsorted(fpr, grid, side="right") - 1, 0, n - 1)
    else:
        logs = np.zeros(0, dtype=int)
    idx = np.unique(np.r_[0, even, logs, n - 1])
    if len(idx) > max_points:  # unlikely; keep the ends
        idx = np.unique(np.r_[idx[0], idx[1:-1][np.linspace(0, len(idx) - 3, max_points - 2).round().astype(int)], idx[-1]])
    return idx


def roc_with_intervals(tp: np.ndarray, fp: np.ndarray, *, n_members: int, n_nonmembers: int, max_points: int = 200,
                       confidence: float = 0.95) -> dict:
    """A down-sampled ROC (even and log-spaced points) with Clopper–Pearson bands on the TPR and counts."""
    from scipy.stats import beta

    fpr = fp / max(n_nonmembers, 1)
    idx = _log_spaced(fpr, max_points)
    t, f = tp[idx], fp[idx]
    a = (1.0 - confidence) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(t > 0, beta.ppf(a, t, n_members - t + 1), 0.0)
        hi = np.where(t < n_members, beta.ppf(1 - a, t + 1, n_members - t), 1.0)
    return {"fpr": fpr[idx].tolist(), "tpr": (t / max(n_members, 1)).tolist(), "tpr_lower": lo.tolist(),
            "tpr_upper": hi.tolist(), "false_positives": f.tolist()}
