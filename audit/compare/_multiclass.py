"""The comparison of K-class classifiers: the figures of the record's multiclass group report, from the rows.

Every figure is a function of confusion matrices (rows true, columns predicted): overall, and of each
group both runs hold with enough rows. Under bootstrap weights they are one sparse product (each row adds
its weight to one cell of the overall matrix and one of its group's in each grouping), and the figures
are computed from them by the group report's own functions (:func:`audit.fairness._multiclass.confusion_metrics`
and its disparities), so each equals the record's: overall accuracy, macro precision, recall and F1 and
balanced accuracy; each group's accuracy, macro recall and macro F1, each class's selection rate and
recall (recall where both runs have ``min_group_positives`` rows of the class in the group); and the
one-vs-rest disparities (a per-class one is its worst class, as the record's).

Examples
--------
>>> s = pd.DataFrame({"g": ["u", "v"] * 60})
>>> rows = ModelRows(np.tile([0, 1, 2], 40), np.tile([0, 1, 1], 40), np.ones(120), ("a", "b", "c"))
>>> comp = MulticlassComparison()
>>> layout = comp.layout({"g": ["g"]}, [(s, rows), (s, rows)], min_rows=30, min_per_class=10)
>>> figs = comp.figures(layout, "m")
>>> stat = comp.statistic(layout, {"g": ["g"]}, s, rows, figs)
>>> dict(zip([f.key for f in figs], stat(np.ones((1, 120)))[0].round(3)))["recall:c[g=u]@m"]
np.float64(0.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import sparse

from audit.compare._tasks import Figure, ModelRows, Statistic, TaskComparison, group_labels, register_comparison
from audit.fairness._multiclass import GROUP_SCALARS, OVERALL_METRICS, _grouping_stats, confusion_metrics
from audit.fairness._specs import MULTICLASS_DISPARITIES, MULTICLASS_METRICS
from audit.result import AuditResult

__all__ = ["ClassLayout", "MulticlassComparison"]


@dataclass(frozen=True)
class ClassLayout:
    """The classes, and per grouping the groups both runs compare with the classes whose recall they compare."""

    classes: tuple[str, ...]
    groupings: dict[str, list[tuple[str, np.ndarray]]]  # key → [(group label, (K,) recall compared)]


def _classes(result: AuditResult, rows: pd.DataFrame) -> tuple[str, ...]:
    recorded = [str(c) for c in result.data.classes or []]
    return tuple(recorded or sorted(set(rows["y_true"].dropna()) | set(rows["y_pred"].dropna())))


@register_comparison
class MulticlassComparison(TaskComparison):
    """Class labels (the record's ``data.classes``); the figures of the record's multiclass group report."""

    task = "multiclass"
    text_labels = True
    _expected: ClassVar[str] = "labels or predictions outside the run's classes (data.classes), or scores missing"

    def _rows(self, rows: pd.DataFrame, result: AuditResult) -> ModelRows | None:
        classes = _classes(result, rows)
        index = pd.Series(np.arange(len(classes)), index=list(classes))
        y, d = rows["y_true"].map(index), rows["y_pred"].map(index)
        s = pd.to_numeric(rows["y_score"], errors="coerce").to_numpy(dtype=np.float64)
        if y.isna().any() or d.isna().any() or not np.isfinite(s).all():
            return None
        return ModelRows(y.to_numpy(np.int64), d.to_numpy(np.int64), s, classes)

    def problems(self, a: AuditResult, b: AuditResult) -> list[str]:
        """The same classes in both runs (class indices mean the same class)."""
        ca, cb = [str(c) for c in a.data.classes or []], [str(c) for c in b.data.classes or []]
        return [f"different classes ({ca!r} in A, {cb!r} in B)"] if ca != cb else []

    def layout(self, groupings: dict[str, list[str]], sides: list[tuple[pd.DataFrame, ModelRows]], *,
               min_rows: int, min_per_class: int) -> ClassLayout:
        """Groups with ``min_rows`` rows in both runs; a class's recall where both have ``min_per_class`` of it."""
        classes = sides[0][1].classes
        k = len(classes)
        out: dict[str, list[tuple[str, np.ndarray]]] = {}
        for key, features in groupings.items():
            labelled = [(group_labels(s, features), r.y_true) for s, r in sides]
            kept = []
            for g in sorted(set().union(*(set(labels) for labels, _ in labelled))):
                counts = np.array([np.bincount(y[labels == g], minlength=k) for labels, y in labelled])
                if counts.sum(axis=1).min() >= min_rows:
                    kept.append((g, counts.min(axis=0) >= min_per_class))
            out[key] = kept
        return ClassLayout(tuple(classes), out)

    def figures(self, layout: Any, model: str, *, scores: bool = True) -> list[Figure]:
        """Overall figures, then per grouping each group's figures and the disparities over them."""
        out = [Figure(m, model) for m in OVERALL_METRICS]
        for key, groups in layout.groupings.items():
            for g, recall_ok in groups:
                out += [Figure(m, model, key, g) for m in GROUP_SCALARS]
                out += [Figure("selection_rate", model, key, g, c) for c in layout.classes]
                out += [Figure("recall", model, key, g, c) for c, ok in zip(layout.classes, recall_ok, strict=True) if ok]
            recall_pairs = len(groups) >= 2 and (np.sum([ok for _, ok in groups], axis=0) >= 2).any()
            for name, d in MULTICLASS_DISPARITIES.items():
                if len(groups) >= 2 and (recall_pairs or not MULTICLASS_METRICS[d.metric].denominators):
                    out.append(Figure(name, model, key))
        return out

    def statistic(self, layout: Any, groupings: dict[str, list[str]], sensitive: pd.DataFrame, rows: ModelRows,
                  figures: list[Figure]) -> Statistic:
        """One sparse matrix maps row weights to every confusion matrix; the report's functions do the rest."""
        k2, n = len(layout.classes) ** 2, len(rows.y_true)
        cell = rows.y_true * len(layout.classes) + rows.y_pred
        cols, row_ids, offset, blocks = [cell], [np.arange(n)], k2, []
        for key, groups in layout.groupings.items():
            index = {g: j for j, (g, _) in enumerate(groups)}
            where = np.array([index.get(label, -1) for label in group_labels(sensitive, groupings[key])], dtype=np.int64)
            kept = where >= 0
            cols.append(offset + where[kept] * k2 + cell[kept])
            row_ids.append(np.flatnonzero(kept))
            blocks.append((key, offset, groups))
            offset += len(groups) * k2
        onehot = sparse.csc_matrix((np.ones(sum(len(r) for r in row_ids)), (np.concatenate(row_ids),
                                    np.concatenate(cols))), shape=(n, offset)).T.tocsr()
        order = [f.key for f in figures]

        def stat(w: np.ndarray) -> np.ndarray:
            sums = np.asarray((onehot @ np.atleast_2d(w).T.astype(np.float64)).T)
            values = _values(layout, sums, blocks, figures[0].model)
            return np.column_stack([values[key] for key in order])

        return stat


def _values(layout: ClassLayout, sums: np.ndarray, blocks: list, model: str) -> dict[str, np.ndarray]:
    """Every figure's replicates (by key) from confusion counts (replicates × cells)."""
    k, reps = len(layout.classes), len(sums)
    overall = confusion_metrics(sums[:, : k * k].reshape(reps, k, k))
    out = {Figure(m, model).key: overall[m] for m in OVERALL_METRICS}
    for key, offset, groups in blocks:
        if not groups:
            continue
        conf = sums[:, offset : offset + len(groups) * k * k].reshape(reps, len(groups), k, k)
        m = confusion_metrics(conf)
        recall_ok = np.array([ok for _, ok in groups])
        stats = _grouping_stats(conf, np.ones(len(groups), bool), recall_ok)
        for j, (g, _) in enumerate(groups):
            out.update({Figure(name, model, key, g).key: m[name][:, j] for name in GROUP_SCALARS})
            for i, c in enumerate(layout.classes):
                out[Figure("selection_rate", model, key, g, c).key] = m["selection_rate"][:, j, i]
                out[Figure("recall", model, key, g, c).key] = m["recall"][:, j, i]
        out.update({Figure(name, model, key).key: stats[name] for name in MULTICLASS_DISPARITIES})
    return out
