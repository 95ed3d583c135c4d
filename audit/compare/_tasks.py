"""One comparison per kind of target, behind one base: how rows are read, which figures, how they are computed.

A :class:`TaskComparison` says, for one config task (:data:`audit.choices.TASK_KINDS`), how a model's rows
of ``predictions.csv`` are read and checked (:meth:`~TaskComparison.model_rows`), what else two runs must
share (:meth:`~TaskComparison.problems`, e.g. a multiclass run's classes), which groups both runs can
compare (:meth:`~TaskComparison.layout`), the figures (:meth:`~TaskComparison.figures`; their metrics
and directions are :data:`audit.compare._metrics.TASK_METRICS`) and the statistic that computes every
figure under bootstrap row weights (:meth:`~TaskComparison.statistic`). One class per kind, registered
with :func:`register_comparison`; ``compare_rows`` and ``compare_runs`` never branch on a task name.

Examples
--------
>>> from audit.choices import TASK_KINDS
>>> sorted(COMPARISONS) == sorted(TASK_KINDS)
True
>>> comparison_for("regression").metrics["mae"]
-1
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from audit.compare._metrics import DIRECTION, TASK_METRICS
from audit.exceptions import DataError
from audit.result import AuditResult

__all__ = ["COMPARISONS", "Figure", "ModelRows", "Statistic", "TaskComparison", "comparison_for", "register_comparison"]

PRED_FIX = "Re-run the audit: the predictions file of this run is incomplete or was replaced."
_UNSUPPORTED = ("run {which} is a {kind} run; `compare` compares runs of {kinds}. Fix: compare two runs of one of "
                "those tasks.")

#: Every figure of a model under row weights (replicates × rows) → (replicates × figures).
Statistic = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ModelRows:
    """One model's test rows as ``predictions.csv`` holds them: labels, decisions and scores.

    Binary: 0/1 labels and decisions, the positive score. Multiclass: class indices (positions in the run's
    classes), the predicted class's probability. Regression: the target and the prediction, in target units.
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    y_score: np.ndarray
    classes: tuple[str, ...] = ()  # a multiclass run's class labels, in the order the indices count


@dataclass(frozen=True)
class Figure:
    """One compared figure: ``metric[:class][feature=group]@model`` (class, feature and group where they apply).

    ``withheld`` says why the figure's change gets no interval or test (it is still reported).
    """

    metric: str
    model: str
    feature: str | None = None
    group: str | None = None
    class_label: str | None = None
    withheld: str | None = None

    @property
    def key(self) -> str:
        """The figure's name, as ``--max-drop`` takes it, e.g. ``tpr[sex=Female]@private``, ``recall:Sales[sex=Male]@m``."""
        where = f"[{self.feature}={self.group}]" if self.group is not None else f"[{self.feature}]" if self.feature else ""
        cls = f":{self.class_label}" if self.class_label is not None else ""
        return f"{self.metric}{cls}{where}@{self.model}"

    @property
    def direction(self) -> int:
        """+1 when higher is better, -1 when lower is better, 0 when neither (a change either way counts)."""
        return DIRECTION.get(self.metric, 0)


class TaskComparison:
    """What comparing two runs of one kind of target means (one subclass per kind, see the module docstring)."""

    #: The config task (a key of :data:`audit.choices.TASK_KINDS`).
    task: ClassVar[str]
    #: The label is a number (drift tests it as numeric) rather than a class.
    numeric_label: ClassVar[bool] = False
    #: Read ``y_true`` and ``y_pred`` as text (class labels) rather than numbers.
    text_labels: ClassVar[bool] = False

    @property
    def metrics(self) -> Mapping[str, int]:
        """The row figures' metrics and their directions (:data:`audit.compare._metrics.TASK_METRICS`)."""
        return TASK_METRICS[self.task]

    def model_rows(self, frame: pd.DataFrame, *, where: Path, result: AuditResult) -> dict[str, ModelRows]:
        """Each model's rows of a predictions table, checked (:class:`DataError` naming the model otherwise)."""
        out = {}
        for name, rows in frame.groupby("model", sort=False):
            parsed = self._rows(rows, result)
            if parsed is None:
                raise DataError(f"{where}: model {name!r} has {self._expected}. {PRED_FIX}")
            out[str(name)] = parsed
        return out

    #: What a model's rows must hold (said when they do not).
    _expected: ClassVar[str] = "rows that cannot be read"

    def _rows(self, rows: pd.DataFrame, result: AuditResult) -> ModelRows | None:
        raise NotImplementedError

    def problems(self, a: AuditResult, b: AuditResult) -> list[str]:
        """What else the two records must share for this kind (beyond task, target and sensitive features)."""
        return []

    def layout(self, groupings: dict[str, list[str]], sides: list[tuple[pd.DataFrame, ModelRows]], *,
               min_rows: int, min_per_class: int) -> Any:
        """The groups (and classes) both runs can compare."""
        raise NotImplementedError

    def figures(self, layout: Any, model: str, *, scores: bool = True) -> list[Figure]:
        """The figures of one model, in the order :meth:`statistic` returns them (``scores``: the score-based ones)."""
        raise NotImplementedError

    def statistic(self, layout: Any, groupings: dict[str, list[str]], sensitive: pd.DataFrame, rows: ModelRows,
                  figures: list[Figure]) -> Statistic:
        """Every figure of ``figures`` under row weights, for one run's rows."""
        raise NotImplementedError


#: Config task → its comparison (filled by :func:`register_comparison`).
COMPARISONS: dict[str, TaskComparison] = {}


def register_comparison(cls: type[TaskComparison]) -> type[TaskComparison]:
    """Class decorator: register the comparison of ``cls.task``."""
    COMPARISONS[cls.task] = cls()
    return cls


def comparison_for(task: str, *, which: object = "") -> TaskComparison:
    """The comparison of config task ``task`` (:class:`DataError` for a kind without one).

    Examples
    --------
    >>> type(comparison_for("multiclass")).__name__
    'MulticlassComparison'
    """
    if task not in COMPARISONS:
        raise DataError(_UNSUPPORTED.format(which=which, kind=task, kinds=", ".join(sorted(COMPARISONS))))
    return COMPARISONS[task]


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den``, NaN where ``den`` is 0."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def group_labels(sensitive: pd.DataFrame, features: list[str]) -> np.ndarray:
    """Each row's group label for a grouping (one feature, or an intersection joined by ' & ')."""
    labels = sensitive[features[0]].astype(str)
    for f in features[1:]:  # column-wise string concatenation: a row-wise join is a Python call per row
        labels = labels + " & " + sensitive[f].astype(str)
    return labels.to_numpy(dtype=object)
