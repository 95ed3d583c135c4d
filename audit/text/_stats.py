"""Interval helpers shared by the text audits: exact binomial, effective-size and t intervals, finite floats.

The flip rates and mean |score changes| of the counterfactual audit are shares of units in [0, 1]
(a counterfactual flips or not; a score moves by at most 1) collected in *clusters*: one text gives
8 to 14 counterfactuals, which are not independent (a text near the threshold flips whichever term
goes in). :func:`cluster_share_interval` treats texts as the unit (Korn & Graubard 1998): the
design effect of the clustering, estimated from the per-text totals, turns the counterfactuals into
an effective number of independent ones, and the exact Clopper–Pearson interval is taken at that
size. :func:`auc_interval` does the same for an AUC (DeLong's variance; Birnbaum & Klose's bound).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special

__all__ = ["auc_interval", "bonferroni_level", "clopper_pearson", "cluster_share_interval", "effective_size_interval",
           "finite", "mean_t_interval", "percentile_interval"]


def finite(value: Any) -> float | None:
    """``value`` as a plain float, or ``None`` if it is missing, NaN or infinite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def clopper_pearson(k: float, n: float, level: float) -> list[float] | None:
    """Exact (Clopper–Pearson) interval for a proportion ``k / n``; ``None`` when ``n == 0``.

    ``k`` and ``n`` may be effective (non-integer) counts, as in :func:`effective_size_interval`.

    Examples
    --------
    >>> [round(v, 4) for v in clopper_pearson(0, 10, 0.95)]
    [0.0, 0.3085]
    """
    if n <= 0:
        return None
    alpha = 1.0 - level  # special.betaincinv is the beta quantile (stats.beta.ppf), without its overhead
    low = 0.0 if k <= 0 else float(special.betaincinv(k, n - k + 1, alpha / 2))
    high = 1.0 if k >= n else float(special.betaincinv(k + 1, n - k, 1 - alpha / 2))
    return [low, high]


def bonferroni_level(level: float, k: int) -> float:
    """The level of each of ``k`` intervals that hold together with probability at least ``level``.

    Examples
    --------
    >>> bonferroni_level(0.95, 200)
    0.99975
    """
    return 1.0 - (1.0 - level) / max(int(k), 1)


def effective_size_interval(value: float, variance: float, *, n_units: int, level: float,
                            n_max: float | None = None) -> list[float] | None:
    """Clopper–Pearson at an effective size: an interval for a share in [0, 1] estimated from ``n_units`` units.

    The effective size is ``value (1 - value) / variance`` (the number of independent 0/1 trials
    with the same variance; Korn & Graubard 1998), with their degrees-of-freedom correction
    (``(z / t_{n_units - 1})^2``), kept between ``n_units`` (each unit a single 0/1 trial: the
    largest variance a share of units in [0, 1] can have) and ``n_max``. A share of 0 or 1, or a
    zero variance, gives ``n_units`` (no variance can be read from such a sample). The interval is
    then widened to contain the interval of a share of 0 (and of 1) at ``n_units``: a few
    non-zero units cannot claim more precision than none (the upper end never falls below
    what 0 of ``n_units`` would allow). No interval rests on a standard error of zero.

    Examples
    --------
    >>> [round(v, 3) for v in effective_size_interval(0.0, 0.0, n_units=15, level=0.95)]
    [0.0, 0.218]
    >>> [round(v, 3) for v in effective_size_interval(0.3, 0.3 * 0.7 / 2000, n_units=400, level=0.95)]
    [0.28, 0.321]
    """
    if n_units <= 0 or not math.isfinite(value):
        return None
    value = min(max(float(value), 0.0), 1.0)
    n_eff = float(n_units)
    if 0.0 < value < 1.0 and math.isfinite(variance) and variance > 0.0 and n_units > 1:
        z, t = special.ndtri(0.5 + level / 2), special.stdtrit(n_units - 1, 0.5 + level / 2)
        n_eff = value * (1.0 - value) / variance * (z / t) ** 2
        n_eff = min(max(n_eff, float(n_units)), float(n_max) if n_max is not None else math.inf)
    interval = clopper_pearson(value * n_eff, n_eff, level)
    assert interval is not None  # n_eff >= n_units > 0
    low, high = interval
    edge = ((1.0 - level) / 2) ** (1.0 / n_units)  # Clopper-Pearson: n of n gives [edge, 1]; 0 of n gives [0, 1 - edge]
    return [min(low, edge), max(high, 1.0 - edge)]


def cluster_share_interval(totals: Sequence[float] | np.ndarray, sizes: Sequence[float] | np.ndarray,
                           level: float) -> dict[str, Any]:
    """``{"value": sum(totals) / sum(sizes), "ci"}`` with texts (clusters) as the unit.

    Each cluster ``i`` holds ``sizes[i]`` items with values in [0, 1] that sum to ``totals[i]``
    (flips, or absolute score changes, of one text's counterfactuals). The variance of the ratio
    is the linearised (cluster-robust) one, ``n / (n - 1) * sum((t_i - R s_i)^2) / (sum s)^2``;
    the interval is :func:`effective_size_interval` with ``n_units`` clusters and at most
    ``sum(sizes)`` effective items. With one item per cluster and 0/1 values it is exactly
    Clopper–Pearson.

    Examples
    --------
    >>> out = cluster_share_interval([3, 0, 0, 0, 1], [10, 10, 12, 8, 10], 0.95)
    >>> round(out["value"], 3), [round(v, 3) for v in out["ci"]]
    (0.08, [0.001, 0.522])
    >>> cluster_share_interval([1, 0, 0, 1], [1, 1, 1, 1], 0.95)["ci"] == clopper_pearson(2, 4, 0.95)
    True
    """
    t, s = np.asarray(totals, dtype=float), np.asarray(sizes, dtype=float)
    if t.size == 0 or s.sum() <= 0:
        return {"value": None, "ci": None}
    total = float(s.sum())
    value = float(t.sum()) / total
    n = t.size
    variance = n / (n - 1) * float(np.sum((t - value * s) ** 2)) / total ** 2 if n > 1 else 0.0
    return {"value": finite(value), "ci": effective_size_interval(value, variance, n_units=n, level=level, n_max=total)}


def auc_interval(placements_pos: np.ndarray, placements_neg: np.ndarray, level: float) -> list[float] | None:
    """Interval for an AUC from its placement values (DeLong et al. 1988), valid on small and extreme samples.

    ``placements_pos[i]``: the share of negatives ranked below positive ``i`` (ties count one
    half); ``placements_neg[j]``: the share of positives ranked above negative ``j``. Their means
    are the AUC; DeLong's variance is ``var(pos) / n_pos + var(neg) / n_neg``. The AUC is a share
    in [0, 1] whose variance is at most ``AUC (1 - AUC) / min(n_pos, n_neg)`` (Birnbaum & Klose
    1957): :func:`effective_size_interval` with ``n_units = min(n_pos, n_neg)`` and at most
    ``n_pos * n_neg`` pairs.

    Examples
    --------
    >>> [round(v, 3) for v in auc_interval(np.ones(10), np.ones(10), 0.95)]
    [0.692, 1.0]
    """
    pos, neg = np.asarray(placements_pos, dtype=float), np.asarray(placements_neg, dtype=float)
    if pos.size == 0 or neg.size == 0:
        return None
    value = float(pos.mean())
    variance = (float(pos.var(ddof=1)) / pos.size if pos.size > 1 else 0.0) + (
        float(neg.var(ddof=1)) / neg.size if neg.size > 1 else 0.0)
    return effective_size_interval(value, variance, n_units=min(pos.size, neg.size), level=level,
                                   n_max=float(pos.size * neg.size))


def mean_t_interval(values: Sequence[float] | np.ndarray, level: float, *, lower: float | None = None) -> dict[str, Any]:
    """``{"value": mean, "ci": [low, high] or None}``: Student-t interval for the mean (needs n >= 2).

    ``lower`` clips the interval at a bound the mean cannot cross (0 for a mean of absolute values).

    Examples
    --------
    >>> mean_t_interval([1.0, 1.0, 1.0], 0.95)
    {'value': 1.0, 'ci': [1.0, 1.0]}
    >>> mean_t_interval([0.0, 0.0, 0.3], 0.95, lower=0.0)["ci"][0]
    0.0
    """
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return {"value": None, "ci": None}
    mean = float(arr.mean())
    if arr.size < 2:
        return {"value": finite(mean), "ci": None}
    half = float(special.stdtrit(arr.size - 1, 0.5 + level / 2)) * float(arr.std(ddof=1)) / math.sqrt(arr.size)
    low = mean - half if lower is None else max(lower, mean - half)
    return {"value": finite(mean), "ci": [finite(low), finite(mean + half)]}


def percentile_interval(samples: Sequence[float] | np.ndarray, level: float) -> list[float] | None:
    """Percentile interval of the finite bootstrap ``samples``; ``None`` if fewer than two are finite."""
    arr = np.asarray(samples, dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size < 2:
        return None
    alpha = 1.0 - level
    return [float(np.quantile(arr, alpha / 2)), float(np.quantile(arr, 1 - alpha / 2))]
