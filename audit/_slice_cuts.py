"""Adaptive numeric cut points for the slice search, and the size of the family they are chosen from.

Four quantile bins of a numeric feature cannot express a narrow range where a model fails (Adult:
"capital-gain 4462–5036 among the married", 84% errors over 55 rows, inside a bin of 400). So each
numeric feature is first cut into up to :data:`FINE_BINS` *fine* bins from its values alone
(consecutive distinct values grouped by their quantiles; a value holding a large share of rows, such
as capital-gain = 0, is a bin of its own), and the fine bins are then merged into at most ``n_bins``
contiguous ranges that best separate the error rate: the partition maximising ``Σ errors² / rows``
over its ranges (the least squared error of the error indicator, as a regression tree's splits on
this one feature would, but optimal rather than greedy), every range holding at least ``min_size``
rows. It is one dynamic programme over the fine bins, O(``n_bins`` · fine bins²).

The cut points are chosen by looking at the errors, so the slices they form are not fixed in
advance: testing only them, Holm over the slices examined would not control the family-wise error
(nor would the Bonferroni-level intervals cover the selected slice). The correction therefore counts
every slice the cuts *could* have formed (:func:`family_size`): every conjunction, up to the search's
depth, of conditions that are a category, "missing", or a contiguous range of fine bins, each
condition holding at least ``min_size`` rows. Holm with that count applied to the slices examined
keeps the family-wise error at ``alpha`` whatever subset the errors selected (the step-down argument
only needs the count to be at least the number of true null hypotheses), and the simultaneous
interval at level ``1 - (1 - level) / family`` covers whichever slice is selected.

Examples
--------
>>> x = np.repeat(np.arange(10.0), 10)
>>> err = ((x >= 4) & (x <= 5)).astype(float)
>>> [(float(x[a]), float(x[b - 1])) for a, b in adaptive_ranges(x, err, np.ones(100), n_bins=3, min_size=10)]
[(0.0, 3.0), (4.0, 5.0), (6.0, 9.0)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FINE_BINS", "Rows", "adaptive_ranges", "candidate_ranges", "dedupe", "family_size", "fine_bins", "fmt_num",
           "numeric_items", "quantile_bins"]

FINE_BINS = 64
"""Most fine bins per numeric feature: the resolution of the adaptive cut points."""


def fine_bins(distinct_counts: np.ndarray, max_bins: int = FINE_BINS) -> np.ndarray:
    """Fine-bin index (non-decreasing) of each distinct value, from the values' row counts only.

    Every distinct value is its own bin when there are at most ``max_bins``; otherwise a value holding
    at least ``1 / max_bins`` of the rows is a bin of its own and the other values are grouped by the
    quantile (among their own rows) their middle row falls in.

    Examples
    --------
    >>> fine_bins(np.array([90, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]), max_bins=4).tolist()
    [0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]
    """
    counts = np.asarray(distinct_counts, dtype=np.float64)
    if len(counts) <= max_bins:
        return np.arange(len(counts))
    heavy = counts * max_bins >= counts.sum()
    light = np.where(heavy, 0.0, counts)  # the other values share the remaining bins by their own quantiles
    before = np.cumsum(light) - light
    raw = np.floor((before + light / 2) / max(light.sum(), 1.0) * max(max_bins - int(heavy.sum()), 1)).astype(np.int64)
    heavy_before = np.cumsum(heavy) - heavy  # a heavy value closes the bin before it and opens the one after it
    key = (raw * (heavy.sum() + 1) + heavy_before) * (len(counts) + 1) + np.where(heavy, np.arange(1, len(counts) + 1), 0)
    return np.unique(key, return_inverse=True)[1].astype(np.int64)


def quantile_bins(values: np.ndarray, n_bins: int) -> list[tuple[float, float]]:
    """``n_bins`` quantile bins ``[min, max]`` of ``values`` (the search before adaptive cuts; a dominant value alone)."""
    distinct, counts = np.unique(values, return_counts=True)
    if len(distinct) <= n_bins:
        return [(v, v) for v in distinct]
    mode = distinct[np.argmax(counts)]
    point = counts.max() / len(values) >= 1.0 / n_bins  # e.g. capital-gain = 0 for 92% of rows
    rest = values[values != mode] if point else values
    qs = np.unique(np.quantile(rest, np.linspace(0, 1, (n_bins - 1 if point else n_bins) + 1)[1:-1], method="lower"))
    # a bin is (previous edge, edge]; with a point bin, a bin spanning the mode is split below/above it, so
    # every bin is an interval [min, max] of the values inside it and no two intervals overlap
    group = np.searchsorted(qs, rest, side="left") * 2 + (rest > mode if point else 0)
    bins = [(rest[group == g].min(), rest[group == g].max()) for g in np.unique(group)]
    if point:
        bins.append((mode, mode))
    return sorted(bins)


def _range_gains(fine: np.ndarray, g: int, errors: np.ndarray, weights: np.ndarray, strata: list[np.ndarray]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Rows of every range of fine bins (i..j-1 at ``[i, j]``), and its summed Σ errors² / rows over the strata."""
    gain = np.zeros((g + 1, g + 1))
    rows = np.zeros(0)
    for codes in [np.zeros(len(fine), np.int64), *strata]:  # all rows, then each categorical feature's levels
        levels = int(codes.max()) + 1 if len(codes) else 1
        idx = codes * g + fine
        n = np.bincount(idx, weights=weights, minlength=levels * g).reshape(levels, g)
        e = np.bincount(idx, weights=errors * weights, minlength=levels * g).reshape(levels, g)
        cn = np.concatenate([np.zeros((levels, 1)), np.cumsum(n, axis=1)], axis=1)
        ce = np.concatenate([np.zeros((levels, 1)), np.cumsum(e, axis=1)], axis=1)
        dn, de = cn[:, None, :] - cn[:, :, None], ce[:, None, :] - ce[:, :, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            gain += np.where(dn > 0, de * de / dn, 0.0).sum(axis=0)
        if not len(rows):
            rows = dn[0]
    return rows, gain


def _best_partition(rows: np.ndarray, gain: np.ndarray, *, n_bins: int, min_size: float) -> list[int]:
    """Boundaries (0 = b_0 < ... < b_k = G) of the fine bins maximising the summed gain over ≤ n_bins ranges of ≥ min_size."""
    g = len(rows) - 1
    gain = np.where((rows >= min_size) & (np.arange(g + 1)[None, :] > np.arange(g + 1)[:, None]), gain, -np.inf)
    best = np.full(g + 1, -np.inf)
    best[0] = 0.0
    choices, totals = [], []
    for _ in range(n_bins):
        cand = best[:, None] + gain
        back = np.argmax(cand, axis=0)
        best = cand[back, np.arange(g + 1)]
        choices.append(back)
        totals.append(best[g])
    if not np.isfinite(max(totals)):
        return [0, g]  # fewer than min_size rows in all: one range
    k = int(np.argmax(np.array(totals) + 1e-9 * np.arange(len(totals), 0, -1)))  # fewest ranges at the best
    bounds, j = [g], g
    for level in range(k, -1, -1):
        j = int(choices[level][j])
        bounds.append(j)
    return bounds[::-1]


def adaptive_ranges(values: np.ndarray, errors: np.ndarray, weights: np.ndarray, *, n_bins: int,
                    min_size: int, strata: list[np.ndarray] | None = None) -> list[tuple[int, int]]:
    """Ranges ``[start, stop)`` of the sorted ``values`` that best separate the error rate (see the module).

    ``values`` must be sorted; ``errors`` and ``weights`` are each row's errors and row count;
    ``strata`` (optional, in the same order) the codes of categorical features: a range whose error
    rate differs within their levels (a failure "among the married") counts as well as one whose
    rate differs over all rows. A range never splits equal values.
    """
    distinct, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    fine = fine_bins(np.bincount(inverse, weights=weights, minlength=len(distinct)))
    g = int(fine[-1]) + 1 if len(fine) else 1
    bounds = _best_partition(*_range_gains(fine[inverse], g, errors, weights, list(strata or [])), n_bins=n_bins,
                             min_size=min_size)
    fine_start = np.concatenate([np.searchsorted(fine, np.arange(g)), [len(distinct)]])
    row_start = np.concatenate([first, [len(values)]])
    return [(int(row_start[fine_start[a]]), int(row_start[fine_start[b]])) for a, b in zip(bounds[:-1], bounds[1:],
                                                                                         strict=True)]


def candidate_ranges(values: np.ndarray, weights: np.ndarray, *, min_size: int, total: float) -> int:
    """How many contiguous ranges of fine bins of ``values`` hold at least ``min_size`` rows and not all ``total``."""
    distinct, inverse = np.unique(values, return_inverse=True)
    n_f = np.bincount(fine_bins(np.bincount(inverse, weights=weights, minlength=len(distinct))),
                      weights=np.bincount(inverse, weights=weights, minlength=len(distinct)))
    cn = np.concatenate([[0.0], np.cumsum(n_f)])
    rows = cn[None, :] - cn[:, None]
    upper = np.triu(np.ones_like(rows, dtype=bool), 1)
    return int((upper & (rows >= min_size) & (rows < total)).sum())


def family_size(per_feature: list[int], max_depth: int) -> int:
    """Conjunctions of up to ``max_depth`` conditions on distinct features, from each feature's candidate count.

    Examples
    --------
    >>> family_size([3, 4, 5], 2)
    59
    """
    e = [1] + [0] * max_depth  # elementary symmetric polynomials of the counts
    for c in per_feature:
        for d in range(max_depth, 0, -1):
            e[d] += e[d - 1] * c
    return int(math.fsum(e[1:]))


def fmt_num(x: float) -> str:
    """A bound as a label shows it (integers without decimals)."""
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.4g}"


@dataclass(frozen=True)
class Rows:
    """What binning needs of the (deduplicated) rows: each one's errors and count, the slice floor, the cut method."""

    errors: np.ndarray
    weights: np.ndarray
    min_size: int
    cuts: str
    strata: list[np.ndarray] = field(default_factory=list)  # codes of the categorical features

    @property
    def total(self) -> float:
        return float(self.weights.sum())

    def candidate(self, rows: float) -> int:
        """1 when a condition holding ``rows`` rows could be a slice (at least min_size, not every row)."""
        return int(self.min_size <= rows < self.total)


def numeric_items(x: np.ndarray, name: str, n_bins: int, rows: Rows) -> tuple[np.ndarray, list[dict[str, Any]], int]:
    """Codes, conditions and candidate conditions of a numeric column: adaptive (or quantile) ranges, and missing.

    Examples
    --------
    >>> rows = Rows(np.array([0.0, 0, 1, 1]), np.ones(4), 1, "quantile")
    >>> numeric_items(np.array([1.0, 2, 3, np.nan]), "x", 4, rows)[0].tolist()
    [0, 1, 2, 3]
    """
    codes = np.full(len(x), -1, dtype=np.int64)
    finite = np.isfinite(x)
    values = x[finite]
    items: list[dict[str, Any]] = []
    candidates = 0
    if len(values):
        if rows.cuts == "quantile":
            bins = quantile_bins(np.repeat(values, rows.weights[finite].astype(np.int64)), n_bins)  # rows, not distinct
        else:
            order = np.argsort(values, kind="stable")
            v, w = values[order], rows.weights[finite][order]
            ranges = adaptive_ranges(v, rows.errors[finite][order], w, n_bins=n_bins, min_size=rows.min_size,
                                     strata=[c[finite][order] for c in rows.strata])
            bins = [(v[a], v[b - 1]) for a, b in ranges]
            candidates = candidate_ranges(v, w, min_size=rows.min_size, total=rows.total)
        lows = np.array([b[0] for b in bins])
        codes[finite] = np.searchsorted(lows, values, side="right") - 1
        for lo, hi in bins:
            label = f"{name} = {fmt_num(lo)}" if lo == hi else f"{name} {fmt_num(lo)}–{fmt_num(hi)}"
            items.append({"feature": name, "lo": float(lo), "hi": float(hi), "label": label})
    if not finite.all():
        codes[~finite] = len(items)
        items.append({"feature": name, "missing": True, "label": f"{name} missing"})
        candidates += rows.candidate(float(rows.weights[~finite].sum()))
    return codes, items, candidates


def dedupe(features: pd.DataFrame, y: np.ndarray, p: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Rows that repeat (same features, label and prediction) counted once, with their count as weight.

    Examples
    --------
    >>> f, y, p, w = dedupe(pd.DataFrame({"a": ["u", "u", "v"]}), np.array([1, 1, 0]), np.array([1, 1, 1]))
    >>> f["a"].tolist(), w.tolist()
    (['u', 'v'], [2.0, 1.0])
    """
    ones = np.ones(len(y))
    if not len(y) or not features.shape[1]:
        return features, y, p, ones
    key = features.assign(__y=y, __p=p)
    group = key.groupby(list(key.columns), dropna=False, sort=False, observed=True).ngroup().to_numpy()
    if group.max() + 1 == len(y):
        return features, y, p, ones
    first = np.unique(group, return_index=True)[1]
    return features.iloc[first].reset_index(drop=True), y[first], p[first], np.bincount(group).astype(np.float64)
