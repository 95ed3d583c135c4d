"""Studentized (bootstrap-t) intervals of group means, and simultaneous bands, for the regression report.

MAE, MSE (RMSE is its square root), mean prediction, mean target and mean error are each the
mean of a per-row term (``|e|``, ``e²``, ``ŷ``, ``y``, ``e``). A percentile bootstrap of such a
mean in a group of 8-15 rows covers 58-84%: the resampled means are too narrow and, for
squared errors, too symmetric. The studentized bootstrap resamples ``T = (m* - m̂) / se*`` (each
resample with its own standard error), which carries the skewness and the small-sample spread
of the statistic into the interval:

* MAE and MSE are positive and right-skewed: ``T`` is taken on the log scale
  (``(log m* - log m̂) / (se* / m*)``) and the interval is ``m̂ · exp(∓ q · se / m̂)``;
* the signed means use ``T`` itself, ``m̂ ± q · se``;
* ``q`` is the ``level`` quantile of ``|T*|`` (symmetric bootstrap-t).

A *simultaneous band* over the G groups a disparity compares uses the ``level`` quantile of
``max_g |T*_g|`` (resampled within every group at once), so every group's true value lies in its
band with probability ``level``; the disparity intervals are the box of that band
(``_group_bands.spread_box``), which covers whatever groups the sample makes look best and worst.

Where no interval can be trusted it is withheld, with the reason: a group below
:data:`MIN_ROWS` rows (or :data:`MIN_ROWS_RMSE` for RMSE, whose squared errors are far more
skewed: the validity suite measures where each keeps 95%), a disparity with a compared group
below :data:`BAND_MIN_ROWS` rows, a group whose terms are all equal (a standard error of 0), a
resampled ``|T|`` that is unbounded.

Examples
--------
>>> rows = np.column_stack([np.arange(10.0), np.arange(10.0) ** 2])
>>> m, se = group_moments(rows.sum(axis=0)[None], ((rows - rows.mean(0)) ** 2).sum(axis=0)[None], np.array([10.0]),
...                       rows.mean(0))
>>> round(float(m[0, 0]), 3), round(float(se[0, 0]), 3)
(4.5, 0.957)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["BAND_MIN_ROWS", "MIN_ROWS", "MIN_ROWS_RMSE", "band_quantile", "group_moments", "map_interval", "resampled_cell_sums",
           "studentized"]

MIN_ROWS = 8
"""Fewest rows for an interval of a group's MAE or mean (the validity suite's smallest groups)."""
MIN_ROWS_RMSE = 200
"""Fewest rows for an interval of a group's RMSE: below it skewed or heavy-tailed squared errors undercover."""
BAND_MIN_ROWS = 30
"""Fewest rows of every compared group for a disparity interval (the validity suite's smallest compared groups)."""
_CHUNK_CELLS = 4_000_000  # resampled row weights drawn at once


def group_moments(sums: np.ndarray, sq_dev: np.ndarray, n: np.ndarray, centre: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Means and standard errors from per-group sums of terms and of squared deviations from ``centre``.

    ``sums`` and ``sq_dev`` (..., G, Q) hold ``Σ x`` and ``Σ (x - centre)²`` of each term; ``n`` (G,)
    the rows. The variance is ``(Σ (x - c)² - n (m - c)²) / (n - 1)``, exact for any centre (a
    centre near the mean keeps it accurate).
    """
    n = np.asarray(n, dtype=float)[..., :, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = sums / n
        var = (sq_dev - n * (mean - centre) ** 2) / (n - 1)
        se = np.sqrt(np.maximum(var, 0.0) / n)
    return mean, np.where(n > 1, se, np.nan)


def studentized(mean_b: np.ndarray, se_b: np.ndarray, mean: np.ndarray, *, log: bool) -> np.ndarray:
    """``|T*|`` of resampled means ``mean_b`` around ``mean`` (raw or log scale); inf where unbounded."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if log:
            diff, scale = np.log(mean_b) - np.log(mean), se_b / mean_b
        else:
            diff, scale = mean_b - mean, se_b
        t = np.abs(diff) / scale
    t = np.where(diff == 0, 0.0, t)
    return np.where(np.isnan(t), np.inf, t)


def band_quantile(abs_t: np.ndarray, level: float) -> np.ndarray:
    """The ``level`` quantile of ``|T*|`` (…, resamples first); inf when it is unbounded."""
    q = np.quantile(abs_t, level, axis=0, method="higher")
    return np.where(np.isfinite(q), q, np.inf)


def map_interval(mean, se, q, *, log: bool) -> tuple[np.ndarray, np.ndarray]:
    """The interval ``m̂ ± q·se`` (raw) or ``m̂ · exp(∓ q·se / m̂)`` (log); NaN where it cannot be formed."""
    mean, se, q = (np.asarray(x, dtype=float) for x in (mean, se, q))
    bad = ~np.isfinite(q) | ~np.isfinite(se) | (se <= 0) | (log & (mean <= 0))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if log:
            lo, hi = mean * np.exp(-q * se / mean), mean * np.exp(q * se / mean)
        else:
            lo, hi = mean - q * se, mean + q * se
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def resampled_cell_sums(rows: np.ndarray, row_cell: np.ndarray, n_cells: int, *, n_boot: int,
                        rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Yield (b, C, Q) per-cell sums of ``rows`` over bootstrap resamples drawn within each cell.

    Each resample draws every cell's rows with replacement (the cell keeps its size): the draw is
    a count per row (``np.bincount`` of the drawn positions) and the sums one matrix product per cell.
    """
    order = np.argsort(row_cell, kind="stable")
    sorted_rows = rows[order]
    sizes = np.bincount(row_cell, minlength=n_cells)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    row_start, row_size = np.repeat(starts, sizes), np.repeat(sizes, sizes)
    n = len(rows)
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    for first in range(0, n_boot, chunk):
        b = min(chunk, n_boot - first)
        drawn = row_start + np.minimum((rng.random((b, n)) * row_size).astype(np.int64), row_size - 1)
        weights = np.bincount((drawn + (np.arange(b) * n)[:, None]).ravel(), minlength=b * n).reshape(b, n)
        weights = weights.astype(np.float64)
        out = np.empty((b, n_cells, rows.shape[1]))
        for c in range(n_cells):
            s = slice(starts[c], starts[c] + sizes[c])
            out[:, c] = weights[:, s] @ sorted_rows[s]
        yield out
