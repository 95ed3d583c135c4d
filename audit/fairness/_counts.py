"""Confusion-cell counts per group from one vectorised pass.

Every row falls in one *cell*: its combination of all sensitive features (the
finest intersection). Counting the four confusion outcomes per cell is one
``np.bincount``; any coarser grouping (one feature alone, or any intersection)
is a sum of cells, so it never touches the rows again. The same aggregation
applies unchanged to bootstrap draws of the cell counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audit.fairness._inputs import Feature

# Outcome index within a cell: 2 * y_true + y_pred.
TN, FP, FN, TP = 0, 1, 2, 3


def outcome_sum(counts: np.ndarray, outcomes: tuple[int, ...]) -> np.ndarray:
    """The sum of the ``outcomes`` columns of ``counts`` (..., 4), added left to right from 0 as ``sum`` adds.

    Examples
    --------
    >>> outcome_sum(np.array([[5, 1, 2, 3]]), (FN, TP)).tolist()
    [5]
    """
    total = np.zeros_like(counts[..., 0])
    for i in outcomes:
        total = total + counts[..., i]
    return total

# Above this many possible cells, compress the observed ones with np.unique
# instead of allocating a dense bincount.
_DENSE_LIMIT = 4_000_000


@dataclass(frozen=True)
class Cells:
    """Observed finest-intersection cells.

    ``counts`` has shape (C, 4) (TN, FP, FN, TP); ``codes`` (C, F) gives each
    cell's group code per feature; ``row_cell`` maps each row to its cell.
    """

    counts: np.ndarray
    codes: np.ndarray
    row_cell: np.ndarray
    features: list[Feature]


@dataclass(frozen=True)
class Grouping:
    """A grouping of cells: one feature alone or an intersection of several."""

    key: str
    features: list[str]
    labels: list[str]  # "Female" or "Female & White"
    values: list[dict[str, str]]
    cell_group: np.ndarray  # (C,) group index of each cell

    def aggregate(self, cell_counts: np.ndarray) -> np.ndarray:
        """Sum ``cell_counts`` (..., C, K) into groups: (..., G, K), in O(C) per leading index."""
        order = np.argsort(self.cell_group, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(self.cell_group[order]) != 0])
        return np.add.reduceat(np.take(cell_counts, order, axis=-2), starts, axis=-2)

    def row_groups(self, row_cell: np.ndarray) -> np.ndarray:
        """Group index of every row."""
        return self.cell_group[row_cell]


def count_cells(y: np.ndarray, p: np.ndarray, features: list[Feature]) -> Cells:
    """Count TN/FP/FN/TP for every observed combination of the sensitive features."""
    sizes = [len(f.groups) for f in features]
    cell = np.zeros(len(y), dtype=np.int64)
    for f, size in zip(features, sizes, strict=True):
        cell *= size
        cell += f.codes
    outcome = (y.astype(np.int64) << 1) | p.astype(np.int64)
    n_possible = int(np.prod(sizes, dtype=np.float64))
    if n_possible <= _DENSE_LIMIT:
        dense = np.bincount(cell * 4 + outcome, minlength=n_possible * 4).reshape(n_possible, 4)
        observed = np.flatnonzero(dense.sum(axis=1))
        counts = dense[observed]
        lookup = np.full(n_possible, -1, dtype=np.int64)
        lookup[observed] = np.arange(len(observed))
        row_cell = lookup[cell]
    else:
        observed, row_cell = np.unique(cell, return_inverse=True)
        counts = np.bincount(row_cell * 4 + outcome, minlength=len(observed) * 4).reshape(-1, 4)
    # decode the mixed-radix cell id back into one code per feature
    codes = np.empty((len(observed), len(features)), dtype=np.int64)
    rest = observed.copy()
    for j in range(len(features) - 1, -1, -1):
        codes[:, j] = rest % sizes[j]
        rest //= sizes[j]
    return Cells(counts=counts.astype(np.int64), codes=codes, row_cell=row_cell, features=features)


def grouping(cells: Cells, feature_idx: list[int]) -> Grouping:
    """Group the observed cells by the features at ``feature_idx`` (one, or several = intersection)."""
    feats = [cells.features[j] for j in feature_idx]
    sub = cells.codes[:, feature_idx]
    uniq, cell_group = np.unique(sub, axis=0, return_inverse=True)
    labels, values = [], []
    for row in uniq:
        vals = {f.name: f.groups[int(c)] for f, c in zip(feats, row, strict=True)}
        values.append(vals)
        labels.append(" & ".join(vals.values()))
    return Grouping(
        key=" & ".join(f.name for f in feats),
        features=[f.name for f in feats],
        labels=labels,
        values=values,
        cell_group=cell_group.reshape(-1),
    )
