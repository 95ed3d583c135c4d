"""The comparison of regression models: the figures of the record's regression group report, from the rows.

Every figure is a function of weighted sums of per-row terms (absolute error, squared error, prediction,
signed error, and the target and its square for R²), overall and per group, so one matrix product gives
them under any row weights: overall MAE, RMSE, R², mean prediction and mean error; each group's MAE, RMSE,
mean prediction and mean error (errors are prediction − target, as in the record); and the disparities of
:data:`audit.fairness._specs.REGRESSION_DISPARITIES` (differences and ratios over the groups, the worst
group's error). The target's own mean is data, not the model, and is left to the drift tests.

An RMSE (and a disparity of RMSEs) over fewer than 200 rows in a run is reported without an interval or
test, as the record withholds its interval there: squared errors are too skewed for a normal interval.

Examples
--------
>>> s = pd.DataFrame({"g": ["u", "v"] * 50})
>>> rows = ModelRows(np.arange(100.0), np.arange(100.0) + np.tile([1.0, -3.0], 50), np.zeros(100))
>>> comp = RegressionComparison()
>>> layout = comp.layout({"g": ["g"]}, [(s, rows), (s, rows)], min_rows=30, min_per_class=10)
>>> figs = comp.figures(layout, "m")
>>> v = dict(zip([f.key for f in figs], comp.statistic(layout, {"g": ["g"]}, s, rows, figs)(np.ones((1, 100)))[0]))
>>> float(v["mae@m"]), float(v["mae_difference[g]@m"]), float(v["mean_error[g=v]@m"])
(2.0, 2.0, -3.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from audit.compare._tasks import Figure, ModelRows, Statistic, TaskComparison, group_labels, ratio, register_comparison
from audit.fairness._group_report import spread
from audit.fairness._regression_ci import MIN_ROWS_RMSE
from audit.fairness._specs import REGRESSION_DISPARITIES
from audit.result import AuditResult

__all__ = ["RegressionComparison"]

OVERALL = ("mae", "rmse", "r2", "mean_prediction", "mean_error")
GROUP = ("mae", "rmse", "mean_prediction", "mean_error")
_TERMS = 5  # per group: rows, |e|, e², prediction, e
_WITHHELD = (f"no interval: an RMSE over fewer than {MIN_ROWS_RMSE} rows (squared errors too skewed; the record "
             "withholds it too)")


@dataclass(frozen=True)
class GroupLayout:
    """Per grouping the groups both runs compare, with the fewest rows either run has in each."""

    groupings: dict[str, list[tuple[str, int]]]
    n_rows: int  # the fewer test rows of the two runs


@register_comparison
class RegressionComparison(TaskComparison):
    """Targets and predictions in target units; the figures of the record's regression group report."""

    task = "regression"
    numeric_label = True
    _expected: ClassVar[str] = "targets or predictions that are not finite numbers"

    def _rows(self, rows: pd.DataFrame, result: AuditResult) -> ModelRows | None:
        y, p = (pd.to_numeric(rows[c], errors="coerce").to_numpy(dtype=np.float64) for c in ("y_true", "y_pred"))
        if not (np.isfinite(y).all() and np.isfinite(p).all()):
            return None
        return ModelRows(y, p, p)

    def layout(self, groupings: dict[str, list[str]], sides: list[tuple[pd.DataFrame, ModelRows]], *,
               min_rows: int, min_per_class: int) -> GroupLayout:
        """Groups with ``min_rows`` rows in both runs."""
        out: dict[str, list[tuple[str, int]]] = {}
        for key, features in groupings.items():
            labels = [group_labels(s, features) for s, _ in sides]
            sizes = [pd.Series(lab).value_counts() for lab in labels]
            names = sorted(set(sizes[0].index) & set(sizes[1].index))
            out[key] = [(g, n) for g in names if (n := int(min(sz[g] for sz in sizes))) >= min_rows]
        return GroupLayout(out, min(len(r.y_true) for _, r in sides))

    def figures(self, layout: Any, model: str, *, scores: bool = True) -> list[Figure]:
        """Overall figures, then per grouping each group's figures and the disparities over them."""
        small = layout.n_rows < MIN_ROWS_RMSE
        out = [Figure(m, model, withheld=_WITHHELD if m == "rmse" and small else None) for m in OVERALL]
        for key, groups in layout.groupings.items():
            for g, n in groups:
                out += [Figure(m, model, key, g, withheld=_WITHHELD if m == "rmse" and n < MIN_ROWS_RMSE else None)
                        for m in GROUP]
            if len(groups) >= 2:
                few = min(n for _, n in groups) < MIN_ROWS_RMSE
                out += [Figure(name, model, key, withheld=_WITHHELD if d.metric == "rmse" and few else None)
                        for name, d in REGRESSION_DISPARITIES.items()]
        return out

    def statistic(self, layout: Any, groupings: dict[str, list[str]], sensitive: pd.DataFrame, rows: ModelRows,
                  figures: list[Figure]) -> Statistic:
        """Weighted sums of the per-row terms (float64: squared errors in target units) → every figure."""
        y, p = rows.y_true, rows.y_pred
        e = p - y
        terms = np.column_stack([np.ones_like(y), np.abs(e), e * e, p, e])
        cols = [terms, y[:, None], (y * y)[:, None]]
        for key, groups in layout.groupings.items():
            labels = group_labels(sensitive, groupings[key])
            cols += [(labels == g).astype(np.float64)[:, None] * terms for g, _ in groups]
        m = np.hstack(cols)
        order = [f.key for f in figures]
        model = figures[0].model if figures else ""

        def stat(w: np.ndarray) -> np.ndarray:
            values = _values(layout, np.atleast_2d(w) @ m, model)
            return np.column_stack([values[key] for key in order])

        return stat


def _means(sums: np.ndarray) -> dict[str, np.ndarray]:
    """MAE, RMSE, mean prediction and mean error from (..., 5) sums of rows, |e|, e², prediction, e."""
    n = sums[..., 0]
    return {"mae": ratio(sums[..., 1], n), "rmse": np.sqrt(ratio(sums[..., 2], n)),
            "mean_prediction": ratio(sums[..., 3], n), "mean_error": ratio(sums[..., 4], n)}


def _values(layout: GroupLayout, sums: np.ndarray, model: str) -> dict[str, np.ndarray]:
    """Every figure's replicates (by key) from weighted sums (replicates × columns)."""
    overall = _means(sums[:, :_TERMS])
    n, sy, syy = sums[:, 0], sums[:, _TERMS], sums[:, _TERMS + 1]
    overall["r2"] = 1.0 - ratio(sums[:, 2], syy - ratio(sy * sy, n))
    out = {Figure(m, model).key: overall[m] for m in OVERALL}
    base = _TERMS + 2
    for key, groups in layout.groupings.items():
        g_sums = sums[:, base : base + len(groups) * _TERMS].reshape(len(sums), len(groups), _TERMS)
        base += len(groups) * _TERMS
        by = _means(g_sums)
        for j, (g, _) in enumerate(groups):
            out.update({Figure(m, model, key, g).key: by[m][:, j] for m in GROUP})
        if len(groups) >= 2:
            everyone = np.ones(len(groups), bool)
            out.update({Figure(name, model, key).key: spread(by[d.metric], everyone)[d.index]
                        for name, d in REGRESSION_DISPARITIES.items()})
    return out
