"""Small interval helpers shared by the text audits: exact binomial and t intervals, finite floats."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats

__all__ = ["clopper_pearson", "finite", "mean_t_interval", "percentile_interval"]


def finite(value: Any) -> float | None:
    """``value`` as a plain float, or ``None`` if it is missing, NaN or infinite."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def clopper_pearson(k: int, n: int, level: float) -> list[float] | None:
    """Exact (Clopper–Pearson) interval for a proportion ``k / n``; ``None`` when ``n == 0``.

    Examples
    --------
    >>> [round(v, 4) for v in clopper_pearson(0, 10, 0.95)]
    [0.0, 0.3085]
    """
    if n <= 0:
        return None
    alpha = 1.0 - level
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return [low, high]


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
    half = float(stats.t.ppf(0.5 + level / 2, arr.size - 1)) * float(arr.std(ddof=1)) / math.sqrt(arr.size)
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
