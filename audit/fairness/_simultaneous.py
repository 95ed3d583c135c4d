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

__all__ = ["MULTIPLE_TESTING", "SIMULTANEOUS_METHOD", "box_p_values", "disparity_box", "holm", "max_t", "max_t_band",
           "max_t_bands", "group_boxes", "parity_p_value", "parity_p_values"]

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
        se = np.std(samples, axis=0) if not np.isnan(samples).any() else np.nanstd(samples, axis=0)
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
    finite = worst[np.isfinite(worst)]
    c = float(np.quantile(finite, level)) if len(finite) else 0.0
    return estimate - c * se, estimate + c * se, c


def max_t_bands(samples: np.ndarray, estimate: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`max_t_band` with ``scale="arcsine"`` for a stack of rate metrics, one band per metric.

    ``samples`` (B, M, G) and ``estimate`` (M, G) give bounds of shape (M, G), the same numbers
    as M calls of :func:`max_t_band`, in one pass.
    """
    with np.errstate(invalid="ignore"):
        phi_s = np.arcsin(np.sqrt(np.clip(samples, 0, 1)))
        phi_e = np.arcsin(np.sqrt(np.clip(np.asarray(estimate, dtype=float), 0, 1)))
    worst, se = _max_t_stack(phi_s, phi_e, keep_undefined=True)
    c = np.array([float(np.quantile(w[np.isfinite(w)], level)) if np.isfinite(w).any() else 0.0 for w in worst.T])
    lo, hi = phi_e - c[:, None] * se, phi_e + c[:, None] * se
    return np.sin(np.clip(lo, 0, np.pi / 2)) ** 2, np.sin(np.clip(hi, 0, np.pi / 2)) ** 2


def _tail_p(worst: np.ndarray, c_star: float, n_columns: int) -> float:
    """P(max-t >= c_star): the share of resamples reaching it, or where fewer than ``MIN_TAIL_RESAMPLES`` do
    (too few to resolve a small p-value), the larger of that share and the normal approximation of the
    largest of ``n_columns`` |Z| (Šidák, conservative under any correlation of the columns)."""
    finite = worst[np.isfinite(worst)]
    if not c_star > 0:
        return 1.0
    if not len(finite):
        return 0.0
    hits = int((finite >= c_star).sum())
    p = hits / len(finite)
    if hits < MIN_TAIL_RESAMPLES:
        z_tail = 2.0 * float(ndtr(-c_star))
        p = max(p, float(-np.expm1(max(1, n_columns) * np.log1p(-min(z_tail, 1.0 - 1e-16)))))
    return p


def _max_t_stack(samples: np.ndarray, estimate: np.ndarray, *,
                 keep_undefined: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """:func:`max_t` for a stack of metrics: samples (B, M, G), estimate (M, G) -> worst (B, M), se (M, G).

    Groups whose estimate is undefined are left out unless ``keep_undefined`` (as :func:`max_t` does)."""
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        se = np.std(samples, axis=0) if not np.isnan(samples).any() else np.nanstd(samples, axis=0)
        if not keep_undefined:
            se = np.where(np.isfinite(estimate), se, np.nan)
        t = np.abs(samples - estimate) / np.where(se > 0, se, np.nan)
        worst = np.nanmax(t, axis=2) if t.shape[2] else np.full(t.shape[:2], np.nan)
    return worst, np.nan_to_num(se)


def parity_p_values(names: list[str], reps: np.ndarray, estimates: np.ndarray, box: list[dict | None]) -> list:
    """:func:`parity_p_value` for many disparities at once: ``reps`` (B, D), ``estimates`` (D,)."""
    est = np.asarray(estimates, dtype=float)
    ratio = np.array(["_ratio" in n for n in names])
    finite = np.isfinite(reps)
    n_ok = finite.sum(axis=0)
    with np.errstate(invalid="ignore"):
        beyond_parity = np.where(ratio, reps >= 1.0, reps <= 0.0) & finite
        beyond_basic = np.where(ratio, reps <= 2 * est - 1.0, reps >= 2 * est) & finite
        p = 2 * np.maximum(beyond_parity.sum(axis=0), beyond_basic.sum(axis=0)) / np.maximum(n_ok, 1)
    out = []
    for j in range(len(names)):
        if not np.isfinite(est[j]) or not n_ok[j]:
            out.append(None)
            continue
        b = box[j].get("ratio" if ratio[j] else "difference", 0.0) if box[j] is not None else 0.0
        out.append(float(min(1.0, max(p[j], b))))
    return out


def group_boxes(group_samples: dict[str, np.ndarray], group_estimates: dict[str, np.ndarray],
                overall_samples: dict[str, np.ndarray] | None = None, overall_estimates: dict[str, float] | None = None,
                *, level: float) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Parity-side box bounds at ``level`` and box p-values of every metric, in one pass over all metrics.

    Bounds (``_disparity_ci``): with every group rate in its max-t interval, a between-group
    difference is at least ``max L - min U`` (``"difference"``), a ratio at most ``min U / max L``
    (``"ratio"``) and, given the overall rates, the largest gap of a group's interval around the
    overall rate from it (``"difference_to_overall"``). P-values: the smallest α at which those
    intervals (level 1 - α) are consistent with parity, ``"between"`` and ``"to_overall"``.
    Groups with an undefined estimate are left out.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> equal = 0.3 + 0.01 * rng.standard_normal((500, 4))
    >>> bounds, p = group_boxes({"m": equal}, {"m": np.full(4, 0.3)}, level=0.95)
    >>> bounds["m"]["difference"], p["m"]["between"]
    (0.0, 1.0)
    """
    names = list(group_samples)
    gs = np.stack([group_samples[m] for m in names], axis=1)  # (B, M, G)
    ge = np.stack([np.asarray(group_estimates[m], dtype=float) for m in names])  # (M, G)
    present = np.isfinite(ge)
    worst, se = _max_t_stack(gs, ge)
    c = _quantiles(worst, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = ge[:, :, None] - ge[:, None, :]
        need = np.nan_to_num(np.where(gap > 0, gap / (se[:, :, None] + se[:, None, :]), 0.0), nan=0.0, posinf=np.inf)
    n_cols = (se > 0).sum(axis=1)
    bounds, pvals = {}, {}
    for j, m in enumerate(names):
        pvals[m] = {"between": _tail_p(worst[:, j], float(need[j].max(initial=0.0)), int(n_cols[j]))}
        if present[j].any():
            lo, hi = (ge[j] - c[j] * se[j])[present[j]], (ge[j] + c[j] * se[j])[present[j]]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio_hi = float(np.min(hi) / np.max(lo)) if np.max(lo) > 0 else 1.0
            bounds[m] = {"difference": max(0.0, float(np.max(lo) - np.min(hi))),
                         "ratio": min(1.0, ratio_hi) if np.isfinite(ratio_hi) else 1.0}
    if overall_samples is not None:
        os_ = np.stack([overall_samples[m] for m in names], axis=1)  # (B, M)
        oe = np.array([float(overall_estimates[m]) for m in names])
        d_e = ge - oe[:, None]
        worst_d, se_d = _max_t_stack(gs - os_[:, :, None], d_e)
        c_d = _quantiles(worst_d, level)
        with np.errstate(divide="ignore", invalid="ignore"):
            need_d = np.nan_to_num(np.where(np.abs(d_e) > 0, np.abs(d_e) / se_d, 0.0), nan=0.0, posinf=np.inf)
        n_cols_d = (se_d > 0).sum(axis=1)
        for j, m in enumerate(names):
            pvals[m]["to_overall"] = _tail_p(worst_d[:, j], float(need_d[j].max(initial=0.0)), int(n_cols_d[j]))
            if m in bounds:
                d_lo = (d_e[j] - c_d[j] * se_d[j])[present[j]]
                d_hi = (d_e[j] + c_d[j] * se_d[j])[present[j]]
                bounds[m]["difference_to_overall"] = float(np.max(np.maximum(0.0, np.maximum(d_lo, -d_hi))))
    return bounds, pvals


def _quantiles(worst: np.ndarray, level: float) -> np.ndarray:
    """The ``level`` quantile of each column's finite values (0 where none)."""
    return np.array([float(np.quantile(w[np.isfinite(w)], level)) if np.isfinite(w).any() else 0.0
                     for w in worst.T])


def box_p_values(group_samples: dict[str, np.ndarray], group_estimates: dict[str, np.ndarray],
                 overall_samples: dict[str, np.ndarray] | None = None,
                 overall_estimates: dict[str, float] | None = None) -> dict[str, dict[str, float]]:
    """The box p-values of :func:`group_boxes` alone."""
    return group_boxes(group_samples, group_estimates, overall_samples, overall_estimates, level=0.95)[1]


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
