"""Low-false-positive-rate figures of a membership attack, with the evidence behind each.

A TPR "at 0.1% FPR" measured on 5,000 non-members rests on the 5 highest-scoring
non-members: one more or one fewer moves the threshold, and a reviewer cannot see how
thin the figure is. Here every low-FPR figure carries

- the threshold's **false-positive allowance** ``floor(target · n_nonmembers)`` and the true and
  false positives actually behind the chosen threshold;
- a 95% interval for the **TPR at the target FPR** that includes the threshold's own
  uncertainty (:func:`tpr_at_fpr_interval`): the threshold is estimated from the same
  non-members, so a Clopper–Pearson interval on the members alone (the threshold taken as
  fixed) covers the true TPR at 1% FPR in only about half the audits. The interval brackets the
  true threshold between two order statistics of the non-member scores (an exact binomial
  statement, valid for any score distribution, ties included) and takes a Clopper–Pearson bound
  on the members at each end; the four error terms add up to 5%;
- a Clopper–Pearson interval for the achieved FPR;
- a **refusal** when fewer than ``min_false_positives`` (default 20) non-members are actually
  behind the chosen threshold: the TPR is then ``None`` and ``not_reported`` says why (too few
  non-members for the target, or tied scores that leave the threshold admitting fewer than the
  allowance).

Thresholds are taken between distinct float64 scores: tied scores are admitted or refused
together, so no threshold is claimed that does not exist (no interpolation, no random
tie-breaking).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["DEFAULT_MIN_FALSE_POSITIVES", "LOW_FPR_TARGETS", "TPR_CI_METHOD", "clopper_pearson", "low_fpr_point",
           "roc_counts", "roc_with_intervals", "tpr_at_fpr_interval"]

#: The FPRs every attack is reported at (Carlini et al. 2022: confident identification of a few members).
LOW_FPR_TARGETS = (0.01, 0.001)
#: A TPR at a target FPR is reported only when at least this many non-members are behind its threshold.
DEFAULT_MIN_FALSE_POSITIVES = 20
#: How the TPR interval is built (recorded with every low-FPR point).
TPR_CI_METHOD = ("threshold-aware: the true threshold lies between the non-member scores of ranks false_positive_bounds "
                 "(exact binomial), with a one-sided Clopper–Pearson bound on the members at each end; "
                 "valid for any score distribution")

_REFUSED = ("not reported: {allowed} non-member{s} behind this threshold ({target:g} of {n}), at least {needed} needed "
            "(attack at least {want:,} non-members to report it)")
_TIED = ("not reported: only {found} non-member{s} behind the threshold at FPR ≤ {target:g} (tied scores: the next "
         "threshold admits {next_fp}, above the allowance of {allowed}); at least {needed} needed")


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


def _rank_bounds(n: int, target: float, a: float) -> tuple[int, int]:
    """Ranks ``k <= j`` of the non-member scores (from the top) that bracket the true threshold.

    With ``N_ge(q)`` ~ Binomial(n, p) non-members at or above the true threshold q, where
    p >= target, the k-th highest score is below q with probability P[Bin(n, p) <= k-1] <= a;
    with ``N_gt(q)`` ~ Binomial(n, p') above it, p' <= target, the j-th highest is above q with
    probability P[Bin(n, p') >= j] <= a. ``k = 0`` means no lower end (the threshold may be above
    every score), ``j = n + 1`` no upper end.
    """
    from scipy.stats import binom

    k = int(binom.ppf(a, n, target))  # smallest c with P[Bin <= c] >= a; k - 1 = c - 1 keeps P[Bin <= k - 1] < a
    while k < n and binom.cdf(k, n, target) <= a:  # equality at the boundary: one more rank is still valid
        k += 1
    j = int(binom.ppf(1.0 - a, n, target)) + 1  # smallest j with P[Bin >= j] <= a
    while j > 1 and binom.sf(j - 2, n, target) <= a:
        j -= 1
    return max(k, 0), min(j, n + 1)


def tpr_at_fpr_interval(tp: np.ndarray, fp: np.ndarray, *, n_members: int, n_nonmembers: int, target: float,
                        confidence: float = 0.95) -> dict:
    """An interval for the attack's true TPR at FPR <= ``target`` that includes the threshold's uncertainty.

    The estimand is the best TPR any threshold reaches with a true FPR at most ``target``. Its
    threshold q is unknown: the k-th highest non-member score lies at or above it, and the j-th at
    or below it, except with probability ``a`` each (exact binomial order statistics; ties
    included). The TPR at the higher end is at most the true TPR, the one at the lower end at
    least; a one-sided Clopper–Pearson bound at level ``a`` on the members (independent of the
    non-members) finishes each side. With ``a = (1 - confidence) / 4`` the interval covers with
    probability at least ``confidence`` for any score distributions and sample sizes.

    Parameters
    ----------
    tp, fp : ndarray
        Members and non-members at or above each distinct threshold, from the highest down
        (:func:`roc_counts`).

    Returns
    -------
    dict
        ``tpr_ci`` ``[lo, hi]``, ``false_positive_bounds`` ``[k, j]`` (the non-member ranks that
        bracket the threshold) and ``tpr_ci_method``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> tp, fp = roc_counts(rng.normal(1, 1, 5000), rng.normal(0, 1, 5000))
    >>> r = tpr_at_fpr_interval(tp, fp, n_members=5000, n_nonmembers=5000, target=0.01)
    >>> r["false_positive_bounds"], [round(x, 3) for x in r["tpr_ci"]]
    ([35, 67], [0.071, 0.12])
    """
    a = (1.0 - confidence) / 4.0
    one_sided = 1.0 - 2.0 * a  # a two-sided Clopper–Pearson at this level has a in each tail
    k, j = _rank_bounds(int(n_nonmembers), float(target), a)
    reach_k, reach_j = np.flatnonzero(fp >= k), np.flatnonzero(fp >= j)
    if k <= 0:
        lo = 0.0
    else:  # members strictly above the k-th highest non-member score: the last threshold with fewer than k FPs
        above = int(tp[int(reach_k[0]) - 1]) if len(reach_k) else int(tp[-1])
        lo = clopper_pearson(above, n_members, confidence=one_sided)[0]
    if j > n_nonmembers or not len(reach_j):
        hi = 1.0
    else:  # members at or above the j-th highest non-member score
        hi = clopper_pearson(int(tp[int(reach_j[0])]), n_members, confidence=one_sided)[1]
    return {"tpr_ci": [float(lo), float(hi)], "false_positive_bounds": [int(k), int(j)], "tpr_ci_method": TPR_CI_METHOD}


def low_fpr_point(tp: np.ndarray, fp: np.ndarray, *, n_members: int, n_nonmembers: int, target: float,
                  min_false_positives: int = DEFAULT_MIN_FALSE_POSITIVES, confidence: float = 0.95) -> dict:
    """The attack's TPR at FPR <= ``target``, with counts, intervals, or the reason it is not reported.

    The TPR is reported only when at least ``min_false_positives`` non-members are actually behind
    the chosen threshold (with tied scores, fewer than the allowance may be); its interval is
    :func:`tpr_at_fpr_interval`.

    Examples
    --------
    >>> tp, fp = np.array([0, 3, 5, 10]), np.array([0, 5, 10, 100])
    >>> p = low_fpr_point(tp, fp, n_members=10, n_nonmembers=100, target=0.05, min_false_positives=5)
    >>> p["tpr"], p["false_positives"], p["false_positive_allowance"]
    (0.3, 5, 5)
    >>> low_fpr_point(tp, fp, n_members=10, n_nonmembers=100, target=0.01)["not_reported"][:40]
    'not reported: 1 non-member behind this t'
    >>> tied = low_fpr_point(np.array([0, 3, 5, 10]), np.array([0, 1, 10, 100]), n_members=10, n_nonmembers=100,
    ...                      target=0.05, min_false_positives=5)
    >>> tied["tpr"], tied["not_reported"][:46]
    (None, 'not reported: only 1 non-member behind the thr')
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
        return {**point, "tpr": None, "tpr_ci": None, "false_positive_bounds": None, "tpr_ci_method": None,
                "not_reported": _REFUSED.format(allowed=allowed, s="" if allowed == 1 else "s", target=target,
                                                n=n_nonmembers, needed=min_false_positives, want=want)}
    if f < min_false_positives:  # tied scores: the threshold admits fewer non-members than the allowance
        next_fp = int(fp[i + 1]) if i + 1 < len(fp) else f
        return {**point, "tpr": None, "tpr_ci": None, "false_positive_bounds": None, "tpr_ci_method": None,
                "not_reported": _TIED.format(found=f, s="" if f == 1 else "s", target=target, next_fp=next_fp,
                                             allowed=allowed, needed=min_false_positives)}
    interval = tpr_at_fpr_interval(tp, fp, n_members=n_members, n_nonmembers=n_nonmembers, target=target,
                                   confidence=confidence)
    return {**point, "tpr": t / n_members, **interval, "not_reported": None}


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
    """A down-sampled ROC (even and log-spaced points) with Clopper–Pearson bands on the TPR and counts.

    Each band is that of the TPR *of the point's threshold* (members are independent of the
    non-members that placed it); the TPR at a given FPR, whose threshold is itself uncertain, is
    in the low-FPR figures (:func:`tpr_at_fpr_interval`).
    """
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
