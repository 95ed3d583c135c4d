"""Simultaneous inference from the bootstrap draws already made.

* **Max-t bands.** For estimates ``θ̂_j`` with bootstrap replicates ``θ*_bj`` and bootstrap
  standard errors ``se_j``, ``c`` is the ``level`` quantile of ``max_j |θ*_bj - θ̂_j| / se_j``
  and ``θ̂_j ± c se_j`` covers every ``θ_j`` at once with probability about ``level``.
* **Bootstrap p-values of parity.** The p-value of a disparity is the smallest ``α`` at which
  its reported interval (percentile ∪ basic, extended to parity by the max-t box of the group
  rates; see ``_disparity_ci``) at level ``1 - α`` still reaches parity, so "p < α" and "the
  interval excludes parity" agree. A share of resamples cannot resolve p-values much below
  ``10 / n_boot``, while Holm over a hundred tests needs ``p < 0.0005``: where fewer than 10
  resamples pass the max-t statistic of the group rates, its p-value is the larger of that share
  and the normal approximation of the largest of ``G`` independent ``|Z|`` (Šidák), so a
  p-value is never 0 because the resamples ran out.
* **Holm's step-down adjustment** across every gate-facing disparity of a model (all features,
  the intersection and all disparity metrics). Holm controls the family-wise error rate under
  any dependence: the disparities of one model share its rows and are strongly dependent (a
  difference and a ratio of the same rates test the same hypothesis), which is the case where
  Benjamini-Hochberg's guarantee needs an assumption (positive dependence) that nobody checks.
  A gate asks "is this disparity real?", which is a family-wise question.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import ndtr

__all__ = ["MULTIPLE_TESTING", "SIMULTANEOUS_METHOD", "holm", "max_t", "max_t_band", "parity_p_value"]

MIN_TAIL_RESAMPLES = 10
"""Below this many resamples beyond the observed statistic, a p-value also takes the normal approximation."""

SIMULTANEOUS_METHOD = (
    "max-t: estimate ± c·se, c the level quantile over resamples of the largest studentized deviation "
    "|θ* - θ̂| / se among the estimates covered together (se: bootstrap standard error); clipped to [0, 1]"
)
MULTIPLE_TESTING = {
    "method": "holm",
    "family": "every conclusive gate-facing disparity of the model (all sensitive features, the intersection, "
              "all disparity metrics)",
    "p_value": "bootstrap: the smallest alpha at which the reported level-(1 - alpha) interval still reaches parity; "
               "where fewer than 10 resamples pass the group rates' max-t statistic, at least its normal (Sidak) tail",
    "why": "Holm controls the family-wise error rate under any dependence between the tests; the disparities of "
           "one model are strongly dependent, where Benjamini-Hochberg's guarantee needs an unchecked assumption",
}


def max_t(samples: np.ndarray, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Largest studentized deviation per resample (B,) and the bootstrap standard errors (J,).

    Columns with no variation (se 0) or no defined replicate are left out of the maximum;
    a resample with no finite deviation gives NaN.
    """
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        se = np.nanstd(samples, axis=0)
        t = np.abs(samples - estimate) / np.where(se > 0, se, np.nan)
        worst = np.nanmax(t, axis=1) if t.shape[1] else np.full(len(t), np.nan)
    return worst, np.nan_to_num(se)


def max_t_band(samples: np.ndarray, estimate: np.ndarray, level: float, *,
               scale: str = "identity") -> tuple[np.ndarray, np.ndarray, float]:
    """Max-t simultaneous band (lower, upper, critical value) for the columns of ``samples`` (B, J).

    ``scale="arcsine"`` (for rates in [0, 1]) builds the band on ``asin(sqrt(rate))``, where a
    rate's variance hardly depends on its value, and maps it back: a symmetric band on the rate
    itself undercovers rates near 0 or 1 (the Wald interval's failure), and one such group is
    enough to break a band over many groups.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> lo, hi, c = max_t_band(0.5 + 0.01 * rng.standard_normal((2000, 10)), np.full(10, 0.5), 0.95)
    >>> 2.5 < c < 3.2, bool(np.all(lo < 0.5))
    (True, True)
    """
    estimate = np.asarray(estimate, dtype=float)
    if scale == "arcsine":
        with np.errstate(invalid="ignore"):
            phi_s, phi_e = np.arcsin(np.sqrt(np.clip(samples, 0, 1))), np.arcsin(np.sqrt(np.clip(estimate, 0, 1)))
        lo, hi, c = max_t_band(phi_s, phi_e, level)
        return np.sin(np.clip(lo, 0, np.pi / 2)) ** 2, np.sin(np.clip(hi, 0, np.pi / 2)) ** 2, c
    worst, se = max_t(samples, estimate)
    c = float(np.nanquantile(worst, level)) if np.isfinite(worst).any() else 0.0
    return estimate - c * se, estimate + c * se, c


def _box_p(group_samples: np.ndarray, group_estimate: np.ndarray) -> float:
    """Smallest α at which the max-t group intervals (level 1 - α) overlap (all groups could be equal)."""
    keep = np.isfinite(group_estimate)
    gs, ge = group_samples[:, keep], group_estimate[keep]
    if len(ge) < 2:
        return 1.0
    worst, se = max_t(gs, ge)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = ge[:, None] - ge[None, :]
        need = np.where(gap > 0, gap / (se[:, None] + se[None, :]), 0.0)  # c that closes each pair's gap
    return _tail_p(worst, float(np.max(need)), int((se > 0).sum()))


def _tail_p(worst: np.ndarray, c_star: float, n_columns: int) -> float:
    """P(max-t >= c_star): the share of resamples reaching it, or where fewer than ``MIN_TAIL_RESAMPLES`` do
    (too few to resolve a small p-value), the larger of that share and the normal approximation of the
    largest of ``n_columns`` |Z| (Šidák, conservative under any correlation of the columns)."""
    finite = worst[np.isfinite(worst)]
    if c_star <= 0:
        return 1.0
    if not len(finite):
        return 0.0
    hits = int((finite >= c_star).sum())
    p = hits / len(finite)
    if hits < MIN_TAIL_RESAMPLES:
        z_tail = 2.0 * float(ndtr(-c_star))
        p = max(p, float(-np.expm1(max(1, n_columns) * np.log1p(-min(z_tail, 1.0 - 1e-16)))))
    return p


def _to_overall_box_p(group_samples: np.ndarray, group_estimate: np.ndarray, overall_samples: np.ndarray,
                      overall_estimate: float) -> float:
    """Smallest α at which every max-t interval of (group - overall) contains 0."""
    keep = np.isfinite(group_estimate)
    d_s, d_e = group_samples[:, keep] - overall_samples[:, None], group_estimate[keep] - overall_estimate
    worst, se = max_t(d_s, d_e)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(np.abs(d_e) > 0, np.abs(d_e) / se, 0.0)
    return _tail_p(worst, float(np.max(need)) if len(need) else 0.0, int((se > 0).sum()))


def parity_p_value(name: str, reps: np.ndarray, estimate: float, *, box: dict[str, float] | None = None) -> float | None:
    """Bootstrap p-value of "this disparity is at parity" (see the module docstring).

    ``box`` (from :func:`disparity_box`) maps ``"difference"`` and ``"ratio"`` to the box p-value
    of the metric(s) compared (None: no box, e.g. the overall rate was not available).

    Examples
    --------
    >>> parity_p_value("demographic_parity_difference", np.array([0.10, 0.12, 0.08, 0.11]), 0.1)
    0.0
    >>> parity_p_value("demographic_parity_difference", np.array([0.0, 0.02, 0.04, 0.01]), 0.02)
    0.5
    """
    if estimate is None or not np.isfinite(estimate):
        return None
    r = reps[np.isfinite(reps)]
    if not len(r):
        return None
    ratio = "_ratio" in name
    if ratio:  # parity is 1, above the estimate
        p_perc, p_basic = 2 * np.mean(r >= 1.0), 2 * np.mean(r <= 2 * estimate - 1.0)
    else:  # parity is 0, below the estimate
        p_perc, p_basic = 2 * np.mean(r <= 0.0), 2 * np.mean(r >= 2 * estimate)
    p = max(p_perc, p_basic)
    if box is not None:
        p = max(p, box.get("ratio" if ratio else "difference", 0.0))
    return float(min(1.0, p))


def box_p_values(group_samples: np.ndarray, group_estimate: np.ndarray, overall_samples: np.ndarray | None,
                 overall_estimate: float | None) -> dict[str, float]:
    """Box p-values of one metric: between groups (difference and ratio) and, given the overall rate, to overall."""
    between = _box_p(group_samples, np.asarray(group_estimate, dtype=float))
    out = {"between": between}
    if overall_samples is not None:
        out["to_overall"] = _to_overall_box_p(group_samples, np.asarray(group_estimate, dtype=float),
                                              overall_samples, float(overall_estimate))
    return out


def disparity_box(name: str, metric_boxes: dict[str, dict[str, float]], metrics: tuple[str, ...]) -> dict | None:
    """The box p-values that apply to disparity ``name`` (as ``_disparity_ci._parity_bound`` extends its interval)."""
    kind = "to_overall" if name.endswith("_to_overall") else "between"
    values = [metric_boxes.get(m, {}).get(kind) for m in metrics]
    if any(v is None for v in values):
        return None
    # The interval reaches parity only when every metric's box does (equalized odds: TPR and FPR), so
    # it excludes parity as soon as one box does: the p-value that agrees with it is the smaller one.
    p = min(values)
    return {"difference": p, "ratio": p}


def holm(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (same order as given).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03])
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    k = len(p)
    if not k:
        return []
    order = np.argsort(p, kind="stable")
    adj = np.minimum(1.0, np.maximum.accumulate(p[order] * (k - np.arange(k))))
    out = np.empty(k)
    out[order] = adj
    return [round(float(v), 15) for v in out]
