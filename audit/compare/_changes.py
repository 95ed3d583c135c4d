"""The change B − A of every figure, with a bootstrap standard error, Holm tests and Šidák intervals.

Paired (the same test rows): one set of bootstrap weights is drawn over the rows and applied to both
runs, so what the rows have in common cancels. Independent (different rows): each run's rows are
resampled on their own. Either way the change's standard error is the standard deviation of the
replicated changes; the test of "no change" is the z-test ``Δ / se`` and its interval ``Δ ± z·se``.
Across the family of every tested figure, Holm's step-down adjustment controls the family-wise error
rate of "significant change" (under any dependence), and the intervals are simultaneous at the Šidák
level ``level ** (1 / m)`` (exact for independent estimates, conservative under positive dependence).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

from audit.fairness._holm import holm_adjusted

__all__ = ["Change", "bootstrap_changes", "family_adjust", "sidak_z"]

#: Replicates at a time: the weights are a (replicates × rows) float32 matrix.
_CHUNK = 200


@dataclass
class Change:
    """One figure's change from run A to run B.

    ``ci`` is simultaneous over the family (``None`` for a figure without a sampling error, e.g. ε
    spent); ``worse`` is the change in the direction that is worse (``None`` when no direction is
    worse, e.g. a selection rate).
    """

    key: str
    metric: str
    model: str
    feature: str | None
    group: str | None
    a: float | None
    b: float | None
    delta: float | None
    se: float | None = None
    ci: tuple[float, float] | None = None
    p_value: float | None = None
    p_holm: float | None = None
    significant: bool = False
    direction: int = 0
    paired: bool | None = None
    note: str | None = None
    class_label: str | None = None  # a multiclass run's per-class figure: its class
    df: int | None = None  # Student's t degrees of freedom when the baseline's reruns give the spread (else normal)

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-ready values."""
        out = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in asdict(self).items()}
        out["ci"] = list(self.ci) if self.ci is not None else None  # JSON has no NaN: an undefined figure is null
        return out


def _weights(rng: np.random.Generator, n_rep: int, n_rows: int) -> np.ndarray:
    """Resampling weights (replicates × rows): how often each row is drawn into each bootstrap sample of n rows."""
    draws = rng.integers(0, n_rows, size=(n_rep, n_rows)) + (np.arange(n_rep) * n_rows)[:, None]
    return np.bincount(draws.ravel(), minlength=n_rep * n_rows).reshape(n_rep, n_rows).astype(np.float32)


def bootstrap_changes(stat_a: Callable[[np.ndarray], np.ndarray], stat_b: Callable[[np.ndarray], np.ndarray],
                      n_a: int, n_b: int, *, paired: bool, n_boot: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The point change B − A of every figure and its bootstrap standard error.

    ``stat_a(weights)`` gives run A's figures (replicates × figures) under row weights (replicates × rows).

    Examples
    --------
    >>> y = np.r_[np.zeros(500), np.ones(500)]
    >>> mean = lambda w: (w @ y / w.sum(axis=1))[:, None]
    >>> delta, se = bootstrap_changes(mean, mean, 1000, 1000, paired=True, n_boot=200, seed=0)
    >>> float(delta[0]), float(se[0])
    (0.0, 0.0)
    """
    if paired and n_a != n_b:
        raise ValueError("paired runs need the same rows")
    delta = stat_b(np.ones((1, n_b), np.float32))[0] - stat_a(np.ones((1, n_a), np.float32))[0]
    rng = np.random.default_rng(seed)
    reps = []
    for start in range(0, n_boot, _CHUNK):
        k = min(_CHUNK, n_boot - start)
        w_a = _weights(rng, k, n_a)
        w_b = w_a if paired else _weights(rng, k, n_b)
        reps.append(stat_b(w_b) - stat_a(w_a))
    replicates = np.concatenate(reps, axis=0)
    with np.errstate(invalid="ignore"):
        se = np.nanstd(replicates, axis=0, ddof=1) if n_boot > 1 else np.full(delta.shape, np.nan)
    return delta, se


def sidak_z(m: int, level: float, df: int | None = None) -> float:
    """The two-sided quantile of Šidák's simultaneous intervals over ``m`` estimates (normal, or Student's t).

    Examples
    --------
    >>> round(sidak_z(1, 0.95), 3), round(sidak_z(20, 0.95), 3), round(sidak_z(1, 0.95, df=4), 3)
    (1.96, 3.016, 2.776)
    """
    alpha_each = 1.0 - level ** (1.0 / max(m, 1))
    return float(stats.norm.isf(alpha_each / 2) if df is None else stats.t.isf(alpha_each / 2, df))


def _p_value(delta: float, se: float, df: int | None = None) -> float:
    if se > 0:
        tail = stats.norm.sf(abs(delta) / se) if df is None else stats.t.sf(abs(delta) / se, df)
        return float(2 * tail)
    return 1.0 if delta == 0 else 0.0  # no replicate varied: the rows decide it exactly


def family_adjust(changes: list[Change], *, level: float) -> dict[str, object]:
    """Holm-adjust the tests of "no change" and give every tested figure its simultaneous interval, in place.

    Returns what was done (method, family size, level) for the report.
    """
    tested = [c for c in changes if c.se is not None and c.delta is not None and math.isfinite(c.se)]
    for c in tested:
        c.p_value = _p_value(float(c.delta or 0.0), float(c.se or 0.0), c.df)
    m = len(tested)
    for c, p in zip(tested, holm_adjusted([c.p_value for c in tested]), strict=True):
        z = sidak_z(m, level, c.df)
        c.p_holm = float(p)
        c.significant = bool(p < 1 - level)
        c.ci = (float(c.delta or 0.0) - z * float(c.se or 0.0), float(c.delta or 0.0) + z * float(c.se or 0.0))
    seeds = any(c.df is not None for c in tested)
    z = sidak_z(m, level, next((c.df for c in tested if c.df is not None), None))
    return {"tests": ("two-sided t-test of no change (Δ from the baseline's seed mean / se with the seed spread)" if seeds
                      else "two-sided z-test of no change (Δ / bootstrap se)"), "tests_adjustment": "holm",
            "intervals": f"simultaneous: Δ ± {z:.3f}·se (Šidák, level {level:g} over {m} figures)",
            "family_size": m, "level": level, "alpha": round(1 - level, 12)}
