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

Resamples are drawn as counts (``resampled_cell_sums``): a count per row, drawn in cache-sized blocks,
times the rows in one float32 matrix product, the same distribution as drawing rows one by one
(1,000 resamples of 1M rows: about 6 s of CPU, 94 s row by row). Where every cell has at least
:data:`NORMAL_MIN_ROWS` rows the cell sums are drawn from their normal approximation instead
(0.1-0.3 s); the validity suite checks the intervals keep 95% there.

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

__all__ = ["BAND_MIN_ROWS", "MIN_ROWS", "MIN_ROWS_RMSE", "NORMAL_MIN_ROWS", "band_quantile", "group_moments",
           "map_interval", "resampled_cell_sums", "studentized"]

MIN_ROWS = 8
"""Fewest rows for an interval of a group's MAE or mean (the validity suite's smallest groups)."""
MIN_ROWS_RMSE = 200
"""Fewest rows for an interval of a group's RMSE: below it skewed or heavy-tailed squared errors undercover."""
BAND_MIN_ROWS = 30
"""Fewest rows of every compared group for a disparity interval (the validity suite's smallest compared groups)."""
NORMAL_MIN_ROWS = 10_000
"""Fewest rows of every cell for the normal approximation of the resampled cell sums (validity suite: coverage kept
at this size for skewed, heavy-tailed and mixed errors)."""
_BLOCK = 65_536  # rows whose resampled counts are drawn and summed together (cache-sized)
_CHUNK_COUNTS = 1 << 21  # resampled row counts held at once (resamples x rows of one block)


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
                        rng: np.random.Generator, approximate: bool = False) -> Iterator[np.ndarray]:
    """Yield (b, C, Q) per-cell sums of ``rows`` over bootstrap resamples drawn within each cell.

    Each resample draws every cell's rows with replacement (the cell keeps its size). Exact
    (default): the draw is a count per row and the sums a float32 matrix product of the counts
    with the rows centred on their cell's mean (the mean times the cell's size is added back in
    float64). Cells up to ``_BLOCK`` rows draw their rows as one bundle; a larger cell first splits
    its draws among blocks of ``_BLOCK`` rows (a multinomial of the block sizes), then draws within
    each block: the same distribution, with counts that stay in cache. ``approximate=True`` draws
    the sums from their normal approximation instead (mean ``n·μ``, covariance ``n·Σ`` of the
    cell's rows), O(cells) a resample: only valid where every cell is large
    (:data:`NORMAL_MIN_ROWS`, measured by the validity suite).

    Examples
    --------
    >>> rows, cell = np.arange(12.0).reshape(6, 2), np.array([0, 0, 0, 1, 1, 1])
    >>> sums = np.concatenate(list(resampled_cell_sums(rows, cell, 2, n_boot=3, rng=np.random.default_rng(0))))
    >>> sums.shape, bool(np.all(sums[:, 0, 0] % 2 == 0))
    ((3, 2, 2), True)
    """
    order = np.argsort(row_cell, kind="stable")
    sizes = np.bincount(row_cell, minlength=n_cells)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    centred = np.asarray(rows, dtype=np.float64)[order]
    means = np.zeros((n_cells, rows.shape[1]))
    for c, (a, k) in enumerate(zip(starts, sizes, strict=True)):
        if k:
            means[c] = centred[a:a + k].mean(axis=0)
            centred[a:a + k] -= means[c]
    base = sizes[:, None] * means  # the sum of the centred rows is 0: the resampled sum is this plus W @ centred
    if approximate:
        yield from _normal_sums(centred, sizes, starts, base, n_boot=n_boot, rng=rng)
        return
    x32 = centred.astype(np.float32)
    segments = _segments(sizes, starts)
    chunk = int(np.clip(_CHUNK_COUNTS // max(1, min(len(rows), _BLOCK)), 1, max(n_boot, 1)))
    for first in range(0, n_boot, chunk):
        b = min(chunk, n_boot - first)
        out = np.zeros((b, n_cells, rows.shape[1]))
        for cells, pieces in segments:
            if pieces is None:
                _bundle_sums(out, x32, cells, sizes, starts, b=b, rng=rng)
            else:
                _piece_sums(out, x32, cells[0], pieces, int(sizes[cells[0]]), b=b, rng=rng)
        yield out + base


def _segments(sizes: np.ndarray, starts: np.ndarray) -> list[tuple[list[int], list[tuple[int, int]] | None]]:
    """Cells grouped for drawing: bundles of whole cells up to ``_BLOCK`` rows, or one large cell's blocks."""
    out: list[tuple[list[int], list[tuple[int, int]] | None]] = []
    bundle: list[int] = []
    total = 0
    for c, k in enumerate(sizes.tolist()):
        if k == 0:
            continue
        if k > _BLOCK:  # its own blocks; a bundle holds consecutive cells only
            if bundle:
                out.append((bundle, None))
                bundle, total = [], 0
            edges = np.linspace(starts[c], starts[c] + k, -(-k // _BLOCK) + 1).round().astype(int)
            out.append(([c], list(zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True))))
            continue
        if total + k > _BLOCK and bundle:
            out.append((bundle, None))
            bundle, total = [], 0
        bundle.append(c)
        total += k
    if bundle:
        out.append((bundle, None))
    return out


def _bundle_sums(out: np.ndarray, x32: np.ndarray, cells: list[int], sizes: np.ndarray, starts: np.ndarray, *,
                 b: int, rng: np.random.Generator) -> None:
    """Add the resampled sums of whole small cells (each row draws a row of its own cell)."""
    first, stop = int(starts[cells[0]]), int(starts[cells[-1]] + sizes[cells[-1]])
    k = sizes[cells]
    local_start = np.repeat(starts[cells] - first, k)
    size = np.repeat(k, k)
    n = stop - first
    drawn = local_start + np.minimum((rng.random((b, n)) * size).astype(np.int64), size - 1)
    counts = np.bincount((drawn + (np.arange(b) * n)[:, None]).ravel(), minlength=b * n).reshape(b, n)
    w = counts.astype(np.float32)
    for c in cells:
        s = slice(int(starts[c]) - first, int(starts[c] + sizes[c]) - first)
        out[:, c] += w[:, s] @ x32[first + s.start:first + s.stop]


def _piece_sums(out: np.ndarray, x32: np.ndarray, cell: int, pieces: list[tuple[int, int]], size: int, *, b: int,
                rng: np.random.Generator) -> None:
    """Add the resampled sums of one large cell: its draws split among its blocks, then drawn within each."""
    lengths = np.array([hi - lo for lo, hi in pieces])
    per_piece = rng.multinomial(size, lengths / size, size=b)
    for (lo, hi), m in zip(pieces, per_piece.T, strict=True):
        k = hi - lo
        w = np.empty((b, k), dtype=np.float32)
        for i in range(b):  # one resample at a time: its counts (k of them) stay in cache, 2x faster than all at once
            w[i] = np.bincount(rng.integers(0, k, size=int(m[i])), minlength=k)
        out[:, cell] += w @ x32[lo:hi]


def _normal_sums(centred: np.ndarray, sizes: np.ndarray, starts: np.ndarray, base: np.ndarray, *, n_boot: int,
                 rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Cell sums from their normal approximation: ``n·μ + √n · A z`` with ``A Aᵀ`` the rows' covariance."""
    q = centred.shape[1]
    roots = np.zeros((len(sizes), q, q))
    for c, (a, k) in enumerate(zip(starts, sizes, strict=True)):
        if k:
            x = centred[a:a + k]
            vals, vecs = np.linalg.eigh(x.T @ x / k)  # the resampling distribution's covariance (divisor n)
            roots[c] = vecs * np.sqrt(np.maximum(vals, 0.0)) * np.sqrt(k)
    chunk = max(1, _CHUNK_COUNTS // max(1, len(sizes) * q))
    for first in range(0, n_boot, chunk):
        b = min(chunk, n_boot - first)
        z = rng.standard_normal((b, len(sizes), q))
        yield base + np.einsum("bcj,cqj->bcq", z, roots)
