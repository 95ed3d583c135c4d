"""Benchmark the regression bootstrap and the slice search against their previous algorithms (issue 27).

CPU seconds (``time.process_time``), one thread, runs interleaved (anchor, new, anchor, new, ...)
and medians, ratios against the anchor measured in the same run:

* **resampled cell sums** at 1M rows (11 per-row terms, 8 sensitive cells, 1,000 resamples): the
  previous row-by-row draw (a uniform per row, ``np.bincount`` of the drawn positions and a float64
  product per cell; kept below as :func:`old_resampled_cell_sums`, the anchor) against the counts
  drawn in cache-sized blocks times a float32 product (exact), and the normal approximation of the
  cell sums (used when every cell has at least ``NORMAL_MIN_ROWS`` rows);
* **the whole regression report** at 1M rows with 1,000 resamples, each way (the resampling's
  share is the report minus the same report with ``n_boot=0``);
* **slices** on Adult-sized rows (16,281): adaptive cuts against four quantile bins, and the same
  rows ten times over (deduplicated before the search) against searching them row by row.

Usage: OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_bootstrap.py [--quick]
  --quick: 200 resamples and 1 repeat (about a minute); full: 1,000 resamples, 3 repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterator

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

_OLD_CHUNK_CELLS = 4_000_000


def old_resampled_cell_sums(rows: np.ndarray, row_cell: np.ndarray, n_cells: int, *, n_boot: int,
                            rng: np.random.Generator, approximate: bool = False) -> Iterator[np.ndarray]:
    """The anchor: ``_regression_ci.resampled_cell_sums`` before issue 27 (row by row, float64)."""
    order = np.argsort(row_cell, kind="stable")
    sorted_rows = rows[order]
    sizes = np.bincount(row_cell, minlength=n_cells)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    row_start, row_size = np.repeat(starts, sizes), np.repeat(sizes, sizes)
    n = len(rows)
    chunk = max(1, _OLD_CHUNK_CELLS // max(n, 1))
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


def cpu(fn: Callable[[], object]) -> float:
    t = time.process_time()
    fn()
    return time.process_time() - t


def interleaved(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeats):
        for name, fn in runs.items():
            times[name].append(cpu(fn))
    return {k: statistics.median(v) for k, v in times.items()}


def regression_data(n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    y = 3.0 * rng.normal(size=n)
    p = y + rng.gamma(4.0, size=n) / 2.0 - 2.0
    sens = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(list("abcd"), n, p=[.6, .2, .15, .05])})
    return {"y_true": y, "y_pred": p, "sensitive": sens}


def bench_resampler(n: int, n_boot: int, repeats: int) -> None:
    from audit.fairness._regression_ci import resampled_cell_sums

    rng = np.random.default_rng(0)
    rows, cell = rng.normal(size=(n, 11)) + 5.0, rng.integers(0, 8, n)

    def run(fn, **kw):
        return lambda: [None for _ in fn(rows, cell, 8, n_boot=n_boot, rng=np.random.default_rng(1), **kw)]

    med = interleaved({"row by row (anchor)": run(old_resampled_cell_sums), "counts x float32": run(resampled_cell_sums),
                       "normal approximation": run(resampled_cell_sums, approximate=True)}, repeats)
    _print(f"resampled cell sums, {n:,} rows, 8 cells, {n_boot} resamples", med, n_boot)
    a = np.concatenate(list(old_resampled_cell_sums(rows, cell, 8, n_boot=200, rng=np.random.default_rng(2))))
    b = np.concatenate(list(resampled_cell_sums(rows, cell, 8, n_boot=200, rng=np.random.default_rng(3))))
    print(f"  same distribution: sd of a cell's resampled sum {a[:, 0, 0].std():.1f} (anchor) vs {b[:, 0, 0].std():.1f}; "
          f"mean {a[:, 0, 0].mean():.1f} vs {b[:, 0, 0].mean():.1f}")


def bench_report(n: int, n_boot: int, repeats: int) -> None:
    import audit.fairness._regression as reg
    from audit.fairness import regression_fairness_report

    data = regression_data(n)
    new = reg.resampled_cell_sums

    def report(resampler, floor: int, boots: int) -> Callable[[], object]:
        def go():
            reg.resampled_cell_sums, saved = resampler, reg.NORMAL_MIN_ROWS
            reg.NORMAL_MIN_ROWS = floor
            try:
                return regression_fairness_report(**data, n_boot=boots, seed=0)
            finally:
                reg.resampled_cell_sums, reg.NORMAL_MIN_ROWS = new, saved
        return go

    never = 10 ** 12
    med = interleaved({"row by row (anchor)": report(old_resampled_cell_sums, never, n_boot),
                       "counts x float32": report(new, never, n_boot),
                       "normal approximation": report(new, reg.NORMAL_MIN_ROWS, n_boot),
                       "no resamples": report(new, never, 0)}, repeats)
    base = med.pop("no resamples")
    _print(f"regression_fairness_report, {n:,} rows, {n_boot} resamples (report without resamples: {base:.2f} s)", med,
           n_boot, base=base)


def bench_slices(repeats: int) -> None:
    from audit.slices import find_slices

    rng = np.random.default_rng(0)
    n = 16_281
    X = pd.DataFrame({f"c{i}": rng.choice([f"v{j}" for j in range(6)], n) for i in range(6)}
                     | {f"n{i}": rng.integers(0, 200, n).astype(float) for i in range(4)})
    y = rng.integers(0, 2, n)
    p = np.where(rng.random(n) < 0.2, 1 - y, y)
    X10, y10, p10 = pd.concat([X] * 10, ignore_index=True), np.tile(y, 10), np.tile(p, 10)
    import audit.slices as sl
    dedupe = sl._dedupe

    def row_by_row():
        sl._dedupe = lambda f, yy, pp: (f, yy, pp, np.ones(len(yy)))
        try:
            return find_slices(X10, y_true=y10, y_pred=p10, max_depth=2)
        finally:
            sl._dedupe = dedupe

    med = interleaved({"quantile bins (anchor)": lambda: find_slices(X, y_true=y, y_pred=p, max_depth=2, cuts="quantile"),
                       "adaptive cuts": lambda: find_slices(X, y_true=y, y_pred=p, max_depth=2)}, repeats)
    _print(f"find_slices, {n:,} rows, 10 features, depth 2", med, None)
    med = interleaved({"10x rows, row by row (anchor)": row_by_row,
                       "10x rows, deduplicated": lambda: find_slices(X10, y_true=y10, y_pred=p10, max_depth=2)}, repeats)
    _print(f"find_slices, {10 * n:,} rows (every row ten times), adaptive cuts, depth 2", med, None)


def _print(title: str, med: dict[str, float], n_boot: int | None, base: float = 0.0) -> None:
    print(f"\n{title}")
    anchor = next(iter(med.values()))
    for name, t in med.items():
        per = f", {(t - base) * 1000 / n_boot:.1f} s per 1,000 resamples" if n_boot else ""
        print(f"  {name:<32} {t:8.2f} s CPU{per}   anchor / this = {anchor / t:6.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_boot, repeats = (200, 1) if args.quick else (1000, 3)
    print(f"CPU seconds, medians of {repeats} interleaved runs, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}")
    bench_resampler(1_000_000, n_boot, repeats)
    bench_report(1_000_000, n_boot, repeats)
    bench_slices(repeats)


if __name__ == "__main__":
    main()
