"""The figures a comparison reads from prediction rows, as weighted sums.

Every row-based figure of a binary model (accuracy, each group's selection rate, TPR and FPR, and the
disparities over groups) is a function of a few weighted counts: ``sums = weights @ columns``. With
unit weights that gives the point estimate; with bootstrap weights (one row of weights per replicate)
the replicates, for every figure at once. ROC AUC needs the order of the scores and is computed apart
(:func:`weighted_auc`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.compare._tasks import Figure, group_labels
from audit.compare._tasks import ratio as _ratio

__all__ = ["Figure", "Layout", "build_layout", "design_matrix", "figures_from_sums", "group_labels", "weighted_auc"]

# Per group: rows, positives, negatives, selected, true positives, false positives.
_PER_GROUP = ("n", "pos", "neg", "sel", "tp", "fp")
_RATES = {"selection_rate": ("sel", "n"), "tpr": ("tp", "pos"), "fpr": ("fp", "neg")}
_DISPARITIES = {"demographic_parity_difference": ("selection_rate",), "equal_opportunity_difference": ("tpr",),
                "equalized_odds_difference": ("tpr", "fpr")}


@dataclass(frozen=True)
class Layout:
    """Which groups are compared: ``{feature key: [(group label, rates compared)]}``, the same for both runs."""

    groupings: dict[str, list[tuple[str, tuple[str, ...]]]]


def _counts(labels: np.ndarray, y: np.ndarray, group: str) -> tuple[int, int, int]:
    mask = labels == group
    return int(mask.sum()), int((mask & (y == 1)).sum()), int((mask & (y == 0)).sum())


def build_layout(groupings: dict[str, list[str]], sides: list[tuple[pd.DataFrame, np.ndarray]], *,
                 min_rows: int, min_per_class: int) -> Layout:
    """The groups both runs hold with at least ``min_rows`` rows (TPR and FPR: ``min_per_class`` of each class).

    Examples
    --------
    >>> s = pd.DataFrame({"sex": ["F", "M"] * 50})
    >>> y = np.tile([0, 1, 1, 0], 25)
    >>> build_layout({"sex": ["sex"]}, [(s, y), (s, y)], min_rows=30, min_per_class=10).groupings["sex"][0]
    ('F', ('selection_rate', 'tpr', 'fpr'))
    """
    out: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for key, features in groupings.items():
        labelled = [(group_labels(s, features), y) for s, y in sides]
        names = sorted(set().union(*(set(labels) for labels, _ in labelled)))
        kept = []
        for g in names:
            counts = [_counts(labels, y, g) for labels, y in labelled]
            if min(c[0] for c in counts) < min_rows:
                continue
            rates: tuple[str, ...] = ("selection_rate",)
            rates += ("tpr",) if min(c[1] for c in counts) >= min_per_class else ()
            rates += ("fpr",) if min(c[2] for c in counts) >= min_per_class else ()
            kept.append((g, rates))
        out[key] = kept
    return Layout(out)


def design_matrix(layout: Layout, groupings: dict[str, list[str]], sensitive: pd.DataFrame,
                  y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The per-row columns whose weighted sums give every row-based figure: rows, correct, then per group
    rows, positives, negatives, selected, true and false positives (float32, rows × columns)."""
    yf, df = y.astype(np.float32), d.astype(np.float32)
    cols = [np.ones_like(yf), (y == d).astype(np.float32)]
    for key, groups in layout.groupings.items():
        labels = group_labels(sensitive, groupings[key])
        for g, _ in groups:
            m = (labels == g).astype(np.float32)
            cols += [m, m * yf, m * (1 - yf), m * df, m * yf * df, m * (1 - yf) * df]
    return np.stack(cols, axis=1)


def row_figures(layout: Layout, model: str) -> list[Figure]:
    """The row-based figures of one model, in the order :func:`figures_from_sums` returns them (ROC AUC apart)."""
    out = [Figure("accuracy", model)]
    for key, groups in layout.groupings.items():
        out += [Figure(rate, model, key, g) for g, rates in groups for rate in rates]
        for name, needs in _DISPARITIES.items():
            if sum(all(r in rates for r in needs) for _, rates in groups) >= 2:
                out.append(Figure(name, model, key))
    return out


def figures_from_sums(layout: Layout, sums: np.ndarray) -> np.ndarray:
    """Every row-based figure (the order of :func:`row_figures`) from weighted sums (replicates × columns)."""
    sums = np.atleast_2d(sums)
    out = [_ratio(sums[:, 1], sums[:, 0])]
    base = 2
    for groups in layout.groupings.values():
        by_rate: dict[str, list[np.ndarray]] = {r: [] for r in _RATES}
        for _, rates in groups:
            for rate in rates:
                num, den = (base + _PER_GROUP.index(c) for c in _RATES[rate])
                value = _ratio(sums[:, num], sums[:, den])
                out.append(value)
                by_rate[rate].append(value)
            base += len(_PER_GROUP)
        for needs in _DISPARITIES.values():
            eligible = [i for i, (_, rates) in enumerate(groups) if all(r in rates for r in needs)]
            if len(eligible) < 2:
                continue
            spans = []
            for rate in needs:
                pos = [sum(1 for j in range(i) if rate in groups[j][1]) for i in eligible]
                stack = np.stack([by_rate[rate][p] for p in pos], axis=1)
                spans.append(np.nanmax(stack, axis=1) - np.nanmin(stack, axis=1))
            out.append(np.maximum.reduce(spans))
    return np.stack(out, axis=1)


def weighted_auc(score: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC (ties count one half) under each row of ``weights`` (replicates × rows).

    Examples
    --------
    >>> weighted_auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]), np.ones((1, 4))).tolist()
    [0.75]
    """
    order = np.argsort(score, kind="stable")
    s, yy = score[order], y[order].astype(np.float32)
    w = np.atleast_2d(weights).astype(np.float32, copy=False)[:, order]
    pos, neg = w * yy, w * (1 - yy)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])  # first row of each run of tied scores
    if len(starts) < len(s):  # ties: one bucket per distinct score (resampling weights are integers: exact in float32)
        pos, neg = np.add.reduceat(pos, starts, axis=1), np.add.reduceat(neg, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg  # float32: integer counts below 2**24 are exact
    num = (pos * (below + 0.5 * neg)).sum(axis=1, dtype=np.float64)
    den = pos.sum(axis=1, dtype=np.float64) * neg.sum(axis=1, dtype=np.float64)
    return _ratio(num, den)
