"""How each kind of target is presented, declared once for the cards and the dashboard.

``audit.choices.TASK_KINDS`` says what a kind of target *allows* (a positive class, classes, a score to
rank); this module says how a reader *shows* it: the performance columns, the group-table columns,
the disparities in the order a reader scans them, the headline disparities and the one shown as a tile,
the decision rule, how intervals are described, the better direction of a figure, the cohort metrics,
and why a dashboard page does not apply. One :class:`KindView` per kind, looked up by the record's
``AuditResult.kind`` (:func:`kind_view`); the input axis (table, text, image) stays the record's
``input_kind``.

Examples
--------
>>> from audit.result import AuditResult
>>> view = kind_view(AuditResult.from_dict({"schema_version": "1.2", "task": "regression", "run": {}, "data": {},
...                                         "models": {}}))
>>> view.name, [c.name for c in view.columns], view.columns[0].lower_is_better
('regression', ['MAE', 'RMSE', 'R²'], True)
>>> [c.heading for c in KIND_VIEWS["binary"].columns]
['Test accuracy', 'Test ROC AUC']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit.choices import TASK_KINDS, TaskKind
from audit.metrics import headline_metrics
from reports._definitions import (
    COLUMN_LABELS,
    METRIC_DEFINITIONS,
    TASK_METRIC_DEFINITIONS,
)

__all__ = ["BASE_COLUMNS", "COLUMN_LABELS", "KIND_VIEWS", "Column", "KindView", "card_view", "kind_view", "pipeline_tag"]


@dataclass(frozen=True)
class Column:
    """One figure of a model: its key in the card and the group report, its ``ModelSummary`` attribute, its name."""

    key: str
    attr: str
    name: str
    digits: int = 3  # decimals shown
    target_units: bool = False  # in the target's units (a regression's MAE, RMSE)
    lower_is_better: bool = False

    @property
    def heading(self) -> str:
        """The performance table's heading (``Test macro F1``)."""
        return f"Test {self.name}"


def _columns(task: str, **presentation: dict[str, Any]) -> tuple[Column, ...]:
    """The headline performance metrics of config task ``task`` as columns: key, ``ModelSummary`` attribute and label
    as registered (:func:`audit.metrics.headline_metrics`, in its order); ``presentation`` adds a metric's digits and
    units."""
    return tuple(Column(m.name, m.model_field or m.name, m.headline or m.title, **presentation.get(m.name, {}))
                 for m in headline_metrics(task))


#: What every record's model summary holds; a kind without its own columns shows these.
BASE_COLUMNS = _columns("binary")
_IN_TARGET_UNITS: dict[str, Any] = {"digits": 2, "target_units": True, "lower_is_better": True}


@dataclass(frozen=True)
class KindView:
    """How a reader presents one kind of target (``kind`` says what it allows)."""

    kind: TaskKind
    #: The kind's own performance figures (empty: the record's accuracy and ROC AUC, :data:`BASE_COLUMNS`).
    performance: tuple[Column, ...]
    #: How many of the performance figures the card shows as headline tiles.
    n_tiles: int
    #: Group-table columns in the order a reader scans them (only those present are shown).
    group_metrics: tuple[str, ...]
    #: Disparities a card lists, in order (the engines report more; they stay in audit.json).
    disparities: tuple[str, ...]
    #: The disparities of the Bias section's headline table.
    headline_disparities: tuple[str, ...]
    #: The disparity shown as a headline tile (the worst over every grouping; labelled by its metric title).
    tile_disparity: str
    #: Disparities carried into the Hugging Face model-index.
    model_index_disparities: tuple[str, ...]
    #: Metric definitions, and definitions listed beyond the columns (per-class rates).
    definitions: Mapping[str, str]
    extra_definitions: tuple[str, ...] = ()
    #: How predictions become decisions (None: a score threshold).
    decision_rule: str | None = None
    #: How the group intervals are described: (with a recorded method, without one); None: the recorded text.
    interval_methods: tuple[str, str] | None = None
    #: Decimals of a group figure and of a disparity; whether figures are in the target's units.
    digits: int = 3
    target_units: bool = False
    #: The card's heading of the group tables of a kind with its own figures.
    group_title: str = ""
    #: Said under the performance table (``{target}`` and ``{units}`` filled in from the record).
    performance_note: str | None = None
    #: The dashboard's cohort metrics, their intervals and what the figures are.
    cohort_metrics: tuple[str, ...] = ()
    cohort_interval: str = "Wilson 95% intervals"
    cohort_note: str = ""
    #: Why What-if does not apply to this kind (None: it does, for tables).
    whatif_note: str | None = None

    @property
    def name(self) -> str:
        """The kind's name (``binary``, ``multiclass``, ``regression``)."""
        return self.kind.name

    @property
    def own_figures(self) -> bool:
        """Whether the kind has figures of its own beyond accuracy and ROC AUC (a card then describes its task)."""
        return bool(self.performance)

    @property
    def columns(self) -> tuple[Column, ...]:
        """The performance columns shown: the kind's own, else :data:`BASE_COLUMNS`."""
        return self.performance or BASE_COLUMNS


_MULTICLASS_RULE = "The predicted class is the most probable one (the largest softmax output)."
_REGRESSION_RULE = ("The model predicts the target itself (trained on the standardised target; every figure is in "
                    "target units).")
_REGRESSION_INTERVALS = (
    ("studentized bootstrap (rows resampled within each sensitive cell) for MAE (log scale), mean prediction, mean "
     "target and mean error; RMSE: the square root of the MSE's, withheld in small groups (ci_reason); R²: percentile "
     "bootstrap"),
    ("Student-t intervals for MAE, mean prediction, mean target and mean error; stratified bootstrap (rows resampled "
     "within each sensitive cell) for RMSE, R² and the disparities"),
)
_WHATIF_MULTICLASS = ("What-if rescores edited rows with a binary model's score and its decision at its threshold; it "
                      "does not rebuild a multiclass model (one score per class). The Explainability page shows the "
                      "explained class and the per-class importance; Fairness shows the confusion matrices by group.")
_WHATIF_REGRESSION = ("What-if rescores edited rows with a binary model's score and its decision at its threshold; it "
                      "does not rebuild a regression model. The Explainability page shows what drives the predictions; "
                      "Fairness shows the error by group.")

#: Every kind's presentation, by ``TaskKind.name``.
KIND_VIEWS: dict[str, KindView] = {
    "binary": KindView(
        kind=TASK_KINDS["binary"], performance=(), n_tiles=2,
        group_metrics=("selection_rate", "accuracy", "tpr", "fpr", "precision", "base_rate", "roc_auc", "ece"),
        disparities=("demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
                     "equalized_odds_ratio", "equalized_odds_difference_mean", "equal_opportunity_difference",
                     "equal_opportunity_ratio", "predictive_parity_difference", "predictive_parity_ratio",
                     "accuracy_difference", "roc_auc_difference", "roc_auc_ratio"),
        headline_disparities=("demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
                              "equal_opportunity_difference", "predictive_parity_difference", "accuracy_difference",
                              "roc_auc_difference"),
        tile_disparity="demographic_parity_difference",
        model_index_disparities=("demographic_parity_difference", "equalized_odds_difference"),
        definitions=METRIC_DEFINITIONS,
        cohort_metrics=("error rate", "accuracy", "selection rate", "tpr", "fpr"),
        cohort_note=("Recomputed from predictions.csv on each cohort's rows, from each model's decisions (at its "
                     "decision threshold); intervals are Wilson score intervals, so they differ slightly from the run's "
                     "recorded exact (Clopper-Pearson) intervals."),
    ),
    "multiclass": KindView(
        kind=TASK_KINDS["multiclass"],
        performance=_columns("multiclass"),
        n_tiles=2, group_metrics=("accuracy", "macro_recall", "macro_f1"),
        disparities=("accuracy_difference", "macro_recall_difference", "macro_f1_difference",
                     "selection_rate_difference_ovr", "selection_rate_ratio_ovr", "recall_difference_ovr"),
        headline_disparities=("accuracy_difference", "macro_f1_difference", "selection_rate_difference_ovr",
                              "recall_difference_ovr"),
        tile_disparity="selection_rate_difference_ovr",
        model_index_disparities=("selection_rate_difference_ovr", "recall_difference_ovr"),
        definitions=TASK_METRIC_DEFINITIONS, extra_definitions=("selection_rate", "recall"),
        decision_rule=_MULTICLASS_RULE, group_title="Confusion by group",
        cohort_metrics=("error rate", "accuracy"),
        cohort_note=("Recomputed from predictions.csv on each cohort's rows (predicted class against true class); "
                     "intervals are Wilson score intervals. Per-class rates by group are on the Fairness page."),
        whatif_note=_WHATIF_MULTICLASS,
    ),
    "regression": KindView(
        kind=TASK_KINDS["regression"],
        performance=_columns("regression", mae=_IN_TARGET_UNITS, rmse=_IN_TARGET_UNITS),
        n_tiles=3, group_metrics=("mae", "rmse", "mean_prediction", "mean_target", "mean_error"),
        disparities=("mae_difference", "mae_ratio", "rmse_difference", "rmse_ratio", "mean_prediction_difference",
                     "mean_error_difference", "worst_group_mae", "worst_group_rmse"),
        headline_disparities=("mae_difference", "rmse_difference", "mean_error_difference", "worst_group_mae"),
        tile_disparity="mae_difference",
        model_index_disparities=("mae_difference", "worst_group_mae"),
        definitions=TASK_METRIC_DEFINITIONS, decision_rule=_REGRESSION_RULE, interval_methods=_REGRESSION_INTERVALS,
        digits=2, target_units=True, group_title="Error by group",
        performance_note=("MAE and RMSE are in the units of the target {target}{units}; R² is unitless (1 is perfect, "
                          "0 is the mean)."),
        cohort_metrics=("mae", "mean error", "mean prediction", "mean target"), cohort_interval="t 95% intervals",
        cohort_note=("Recomputed from predictions.csv on each cohort's rows, in the target's units; intervals are t "
                     "intervals of the mean of per-row terms (mean error = prediction − target)."),
        whatif_note=_WHATIF_REGRESSION,
    ),
}
assert set(KIND_VIEWS) == set(TASK_KINDS)


def kind_view(result: Any) -> KindView:
    """The :class:`KindView` of a record (``AuditResult.kind``), or of a :class:`TaskKind`.

    Examples
    --------
    >>> kind_view(TASK_KINDS["multiclass"]).decision_rule.startswith("The predicted class")
    True
    """
    kind = result if isinstance(result, TaskKind) else result.kind
    return KIND_VIEWS[kind.name]


def card_view(card: Mapping[str, Any]) -> KindView:
    """The :class:`KindView` of built card data: its ``task`` section's kind (a binary table's card has none).

    Examples
    --------
    >>> card_view({"task": {"kind": "regression"}}).name, card_view({}).name
    ('regression', 'binary')
    """
    task = card.get("task")
    name = task.get("kind") if isinstance(task, Mapping) else None
    return KIND_VIEWS.get(str(name), KIND_VIEWS["binary"])


def pipeline_tag(kind: TaskKind, input_kind: str) -> str:
    """The Hugging Face pipeline tag of a model of this kind reading this input.

    Examples
    --------
    >>> pipeline_tag(TASK_KINDS["regression"], "table"), pipeline_tag(TASK_KINDS["multiclass"], "text")
    ('tabular-regression', 'text-classification')
    """
    if input_kind in ("text", "image"):
        return f"{input_kind}-classification"
    return "tabular-classification" if kind.classifier else "tabular-regression"
