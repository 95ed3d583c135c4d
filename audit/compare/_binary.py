"""The comparison of binary classifiers: accuracy, ROC AUC, each group's selection rate, TPR and FPR, disparities.

The figures are weighted counts (:mod:`audit.compare._design`); ROC AUC is computed apart from the scores.

Examples
--------
>>> sorted(BinaryComparison().metrics)[:3]
['accuracy', 'demographic_parity_difference', 'equal_opportunity_difference']
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from audit.compare._design import Layout, build_layout, design_matrix, figures_from_sums, row_figures, weighted_auc
from audit.compare._tasks import Figure, ModelRows, Statistic, TaskComparison, register_comparison
from audit.result import AuditResult

__all__ = ["BinaryComparison"]


@register_comparison
class BinaryComparison(TaskComparison):
    """Labels and decisions 0/1 and a positive score; the groups compared where both runs have the rows."""

    task = "binary"
    _expected: ClassVar[str] = "labels or decisions other than 0/1, or scores missing"

    def _rows(self, rows: pd.DataFrame, result: AuditResult) -> ModelRows | None:
        y = pd.to_numeric(rows["y_true"], errors="coerce").to_numpy()
        d = pd.to_numeric(rows["y_pred"], errors="coerce").to_numpy()
        s = pd.to_numeric(rows["y_score"], errors="coerce").to_numpy(dtype=np.float64)
        if not (np.isin(y, (0, 1)).all() and np.isin(d, (0, 1)).all() and np.isfinite(s).all()):
            return None
        return ModelRows(y.astype(np.int8), d.astype(np.int8), s)

    def layout(self, groupings: dict[str, list[str]], sides: list[tuple[pd.DataFrame, ModelRows]], *,
               min_rows: int, min_per_class: int) -> Layout:
        """Groups with ``min_rows`` rows in both runs; TPR and FPR where both have ``min_per_class`` of the class."""
        return build_layout(groupings, [(s, r.y_true) for s, r in sides], min_rows=min_rows, min_per_class=min_per_class)

    def figures(self, layout: Any, model: str, *, scores: bool = True) -> list[Figure]:
        """Accuracy, each group's rates, the disparities, then ROC AUC (``scores``)."""
        return row_figures(layout, model) + ([Figure("roc_auc", model)] if scores else [])

    def statistic(self, layout: Any, groupings: dict[str, list[str]], sensitive: pd.DataFrame, rows: ModelRows,
                  figures: list[Figure]) -> Statistic:
        """Weighted counts → rates and disparities; the weighted ROC AUC when the figures end with it."""
        m = design_matrix(layout, groupings, sensitive, rows.y_true, rows.y_pred)
        auc = bool(figures) and figures[-1].metric == "roc_auc"

        def stat(w: np.ndarray) -> np.ndarray:
            values = figures_from_sums(layout, w @ m)
            return np.column_stack([values, weighted_auc(rows.y_score, rows.y_true, w)]) if auc else values

        return stat
