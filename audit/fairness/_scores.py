"""Score-based group metrics: ROC AUC (with DeLong intervals) and calibration.

ROC AUC is the Mann-Whitney statistic with mid-ranks for ties, which equals
scikit-learn's ``roc_auc_score``; its interval is DeLong's (exact variance of
the U-statistic, normal approximation), which needs one sort per group instead
of a thousand. Calibration uses equal-width bins over [0, 1]; the expected
calibration error (ECE) is ``sum_b n_b / n * |mean score_b - fraction positive_b|``.
Its interval redraws the (bin, label) counts of every cell like the confusion
counts, holding each (cell, bin, label) mean score fixed.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

N_BINS = 10
AUC_CI_METHOD = "DeLong"
AUC_DISPARITY_CI_METHOD = (
    "range of the disparity over the box of the groups' DeLong intervals at the Sidak level (groups are disjoint, "
    "so independent); two groups' difference: normal interval of the difference; p-value: Cochran's Q"
)
ECE_CI_METHOD = "bootstrap of (bin, label) cell counts, mean score within a cell held fixed"


def auc_delong(y: np.ndarray, score: np.ndarray, *, level: float) -> tuple[float, float, float]:
    """ROC AUC and its DeLong interval for one group; NaN where undefined (one class only).

    Examples
    --------
    >>> auc, lo, hi = auc_delong(np.array([0, 0, 1, 1], bool), np.array([0.1, 0.4, 0.35, 0.8]), level=0.95)
    >>> auc
    0.75
    """
    return _with_interval(*auc_and_se(y, score), z=ndtri(0.5 + level / 2.0))[:3]


def _with_interval(auc: float, se: float, *, z: float) -> tuple[float, float, float, float]:
    """(auc, lower, upper, se), the normal interval clipped to [0, 1]; NaN bounds where se is undefined."""
    if np.isnan(se):
        return auc, np.nan, np.nan, np.nan
    return float(auc), float(max(0.0, auc - z * se)), float(min(1.0, auc + z * se)), float(se)


def auc_and_se(y: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """ROC AUC and DeLong's standard error (NaN where undefined)."""
    from scipy.stats import rankdata  # imported here: scipy.stats costs 0.3 s, and readers of results never rank

    pos, neg = score[y], score[~y]
    n1, n0 = len(pos), len(neg)
    if n1 == 0 or n0 == 0:
        return np.nan, np.nan
    r_all = rankdata(score)
    r_pos, r_neg = r_all[y], r_all[~y]
    auc = (r_pos.sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0)
    if n1 < 2 or n0 < 2:
        return float(auc), np.nan
    v10 = (r_pos - rankdata(pos)) / n0  # share of negatives each positive beats
    v01 = 1.0 - (r_neg - rankdata(neg)) / n1  # share of positives above each negative
    return float(auc), float(np.sqrt(v10.var(ddof=1) / n1 + v01.var(ddof=1) / n0))


def auc_by_group(y: np.ndarray, score: np.ndarray, row_group: np.ndarray, n_groups: int, *, level: float) -> np.ndarray:
    """(G, 4) array of AUC, lower, upper and DeLong standard error per group (NaN where undefined)."""
    order = np.argsort(row_group, kind="stable")
    bounds = np.searchsorted(row_group[order], np.arange(n_groups + 1))
    out = np.full((n_groups, 4), np.nan)
    z = ndtri(0.5 + level / 2.0)
    for g in range(n_groups):
        idx = order[bounds[g] : bounds[g + 1]]
        out[g] = _with_interval(*auc_and_se(y[idx], score[idx]), z=z)
    return out


def auc_disparities(aucs: np.ndarray, *, level: float, n_draws: int, rng: np.random.Generator | None = None) -> dict:
    """Fairlearn-style ``roc_auc`` difference (max - min) and ratio (min / max) between groups, with intervals.

    Groups are disjoint, so their AUC estimates are independent. The interval is the range of the
    disparity over the box of the groups' DeLong intervals at the Šidák level (all groups covered at
    once at ``level``); two groups' difference uses the normal interval of the difference. The
    p-value of parity is Cochran's Q (χ² with G − 1 degrees of freedom) over the DeLong estimates.
    Groups whose AUC is undefined (one class present) are left out and named; a group with a
    single positive or negative counts with standard error 0.5 (the largest possible).
    ``n_draws = 0`` gives no intervals (``rng`` is unused: nothing is drawn).

    Examples
    --------
    >>> aucs = np.array([[0.80, 0.75, 0.85, 0.025], [0.70, 0.65, 0.75, 0.025], [np.nan] * 4])
    >>> out = auc_disparities(aucs, level=0.95, n_draws=2000)
    >>> round(out["roc_auc_difference"]["value"], 2), out["excluded_groups"], round(out["roc_auc_difference"]["p_value"], 4)
    (0.1, [2], 0.0047)
    """
    from scipy.stats import chi2

    defined = ~np.isnan(aucs[:, 0])
    excluded = [int(i) for i in np.flatnonzero(~defined)]
    a = aucs[defined]
    if len(a) == 0:
        return {"roc_auc_difference": {"value": None, "ci": None}, "roc_auc_ratio": {"value": None, "ci": None},
                "excluded_groups": excluded}
    est = a[:, 0]
    diff, rat = float(est.max() - est.min()), float(est.min() / est.max()) if est.max() > 0 else np.nan
    if n_draws <= 0:
        return {"roc_auc_difference": {"value": diff, "ci": None}, "roc_auc_ratio": {"value": _finite(rat), "ci": None},
                "excluded_groups": excluded}
    se = np.where(np.isnan(a[:, 3]) | (a[:, 3] <= 0), 0.5, a[:, 3])
    z = ndtri(0.5 + level ** (1.0 / len(a)) / 2.0)
    lo, hi = np.clip(est - z * se, 0, 1), np.clip(est + z * se, 0, 1)
    d_lo, d_hi = max(0.0, float(lo.max() - hi.min())), float(hi.max() - lo.min())
    if len(a) == 2:
        half = ndtri(0.5 + level / 2.0) * float(np.hypot(se[0], se[1]))
        d_lo, d_hi = max(0.0, diff - half), min(1.0, diff + half)
    r_lo = float(lo.min() / hi.max()) if hi.max() > 0 else 0.0
    r_hi = min(1.0, float(hi.min() / lo.max())) if lo.max() > 0 else 1.0
    w = 1.0 / se**2
    q = float((w * (est - (w * est).sum() / w.sum()) ** 2).sum())
    p = float(chi2.sf(q, len(a) - 1)) if len(a) > 1 else None
    return {
        "roc_auc_difference": {"value": diff, "ci": [min(d_lo, diff), max(d_hi, diff)], "p_value": p},
        "roc_auc_ratio": {"value": _finite(rat), "ci": [min(r_lo, rat), max(r_hi, rat)] if np.isfinite(rat) else None,
                          "p_value": p},
        "excluded_groups": excluded,
    }


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def bin_index(score: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Equal-width bin of each score; 1.0 falls in the last bin."""
    return np.minimum((score * n_bins).astype(np.int64), n_bins - 1)


def calibration_cells(
    y: np.ndarray, score: np.ndarray, row_cell: np.ndarray, n_cells: int, n_bins: int = N_BINS
) -> tuple[np.ndarray, np.ndarray]:
    """Counts and score sums per (cell, bin, label): two arrays of shape (C, n_bins * 2)."""
    k = n_bins * 2
    idx = row_cell * k + bin_index(score, n_bins) * 2 + y.astype(np.int64)
    counts = np.bincount(idx, minlength=n_cells * k).reshape(n_cells, k)
    sums = np.bincount(idx, weights=score, minlength=n_cells * k).reshape(n_cells, k)
    return counts, sums


def ece(counts: np.ndarray, sums: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """ECE from (..., G, n_bins * 2) counts and score sums; NaN for empty groups."""
    c = counts.reshape(*counts.shape[:-1], n_bins, 2).astype(np.float64)
    s = sums.reshape(*sums.shape[:-1], n_bins, 2)
    gap = np.abs(s.sum(axis=-1) - c[..., 1]).sum(axis=-1)
    n = c.sum(axis=(-1, -2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return gap / n


def reliability_bins(counts: np.ndarray, sums: np.ndarray, n_bins: int = N_BINS) -> list[dict]:
    """Reliability-diagram bins for one group from its (n_bins * 2,) counts and sums."""
    c = counts.reshape(n_bins, 2)
    s = sums.reshape(n_bins, 2)
    out = []
    for b in range(n_bins):
        n_b = int(c[b].sum())
        out.append(
            {
                "lo": b / n_bins,
                "hi": (b + 1) / n_bins,
                "count": n_b,
                "mean_score": float(s[b].sum() / n_b) if n_b else None,
                "fraction_positive": float(c[b, 1] / n_b) if n_b else None,
            }
        )
    return out
