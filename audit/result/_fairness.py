"""The fairness section: per model, group metrics by sensitive feature, disparities, mitigation.

One :class:`ModelFairness` describes the group audit of any model: a binary classifier's (Fairlearn's metrics,
exact intervals and parity tests), a multiclass classifier's (accuracy, macro averages, per-class selection rate
and recall, one-vs-rest disparities) or a regression's (group errors and their disparities). The fields every
kind fills come first in each class; those only some kinds fill are optional and say which kinds in their
description. Schema 1.x stored the multiclass and regression audits in a separate ``task_fairness`` section
(:class:`TaskFairness`, still read); :attr:`audit.result.AuditResult.group_audits` reads either.

Examples
--------
>>> f = Fairness.from_dict({"reference": {"min_group_size": 30, "by_feature": {}}, "representation": None})
>>> list(f.models), f.models["reference"].min_group_size
(['reference'], 30)
>>> g = Group.from_dict({"group": "F", "n": 40, "sufficient": True, "mae": {"value": 2.5, "ci": [2.0, 3.1]}})
>>> g.rows, g.too_small, g.figure("mae").value
(40, False, 2.5)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from audit.result._base import Schema, Section, doc
from audit.result._common import CI, Count, Metric, MetricOrCount, Probability

__all__ = [
    "CalibrationBin", "CalibrationCurve", "ConfidenceSettings", "Disparity", "ExcludedGroup", "Fairness",
    "FairnessBlock", "Figure", "FourFifthsRule", "Group", "Mitigation", "MitigationMetrics", "MitigationRow",
    "ModelFairness", "Overall", "Representation", "TaskFairness",
]  # fmt: skip


@dataclass(kw_only=True)
class ConfidenceSettings(Section):
    """How the intervals were computed."""

    method: str | None = field(default=None, metadata=doc("interval method for group metrics"))
    disparity_method: str | None = field(default=None, metadata=doc("interval method for disparities"))
    stratified: bool | None = field(default=None, metadata=doc("bootstrap resamples within each group"))
    n_boot: Count | None = field(default=None, metadata=doc("bootstrap resamples"))
    level: Annotated[float, Schema(exclusiveMinimum=0, exclusiveMaximum=1)] | None = field(
        default=None, metadata=doc("confidence level"))
    vanished_groups: str | None = field(default=None, metadata=doc("how a group absent from a resample is handled"))
    score_metrics: dict[str, str] = field(default_factory=dict, metadata=doc("score metric → its interval method"))
    simultaneous_method: str | None = field(default=None, metadata=doc("how the simultaneous (max-t) intervals were computed"))
    multiple_testing: dict[str, Any] = field(default_factory=dict, metadata=doc(
        "multiple-testing correction of the disparity p-values: method, tests, significant, alpha"))
    exact: bool | None = field(default=None, metadata=doc(
        "multiclass: every interval is exact (no resampling; n_boot = 0 only says so, the setting turns them on)"))
    min_rows: Count | None = field(default=None, metadata=doc(
        "regression: fewest rows of a group for the intervals of its MAE and means (fewer: withheld, ci_reason)"))
    min_rows_rmse: Count | None = field(default=None, metadata=doc("regression: fewest rows for an interval of the RMSE"))
    min_rows_disparity: Count | None = field(default=None, metadata=doc(
        "regression: fewest rows of every compared group for a disparity's interval"))


@dataclass(kw_only=True)
class Figure(Metric):
    """A multiclass or regression figure with its interval: ``{"value", "ci"}``, and why an interval is withheld."""

    ci_reason: str | None = field(default=None, metadata=doc(
        "regression: why the interval is withheld when the value is not null (too few rows, no spread)"))


@dataclass(kw_only=True)
class Overall(Section):
    """Metrics over the whole test set."""

    count: int | None = field(default=None, metadata=doc("binary: test rows"))
    metrics: dict[str, MetricOrCount] = field(default_factory=dict, metadata=doc("binary: metric → {value, ci}"))
    n: Count | None = field(default=None, metadata=doc("multiclass and regression: test rows"))
    figures: dict[str, Figure] = field(default_factory=dict, metadata=doc(
        "multiclass and regression: metric → {value, ci}, the keys beside n (multiclass: accuracy, macro precision, "
        "recall and F1, balanced accuracy; regression: MAE, RMSE, R², mean prediction, mean target, mean error)",
        flatten=True))

    def figure(self, name: str) -> Metric | None:
        """The overall ``{value, ci}`` entry of metric ``name`` whatever the kind (None when absent or a count).

        Examples
        --------
        >>> Overall.from_dict({"n": 9, "accuracy": {"value": 0.7, "ci": None}}).figure("accuracy").value
        0.7
        """
        entry = self.metrics.get(name)
        return entry if isinstance(entry, Metric) else self.figures.get(name)


@dataclass(kw_only=True)
class Group(Section):
    """One group of a sensitive feature (or an intersection of several)."""

    group: str = field(metadata=doc("group label"))
    values: dict[str, Any] = field(default_factory=dict, metadata=doc("feature → value defining the group"))
    count: Count | None = field(default=None, metadata=doc(
        "binary: test rows in the group (multiclass and regression: n)"))
    share: Probability | None = field(default=None, metadata=doc("share of test rows"))
    insufficient_data: bool = field(default=False, metadata=doc("group below min_group_size: its metrics are unreliable"))
    insufficient_for: list[str] | None = field(default=None, metadata=doc(
        "metrics the group has too little data for (rows, or positives of the metric's denominator)"))
    denominators: dict[str, Count] = field(default_factory=dict, metadata=doc(
        "denominator → rows (positives, negatives, predicted_positives)"))
    metrics: dict[str, MetricOrCount] = field(default_factory=dict, metadata=doc(
        "binary: metric → {value, ci} (and the row count)"))
    n: Count | None = field(default=None, metadata=doc("multiclass and regression: test rows in the group"))
    sufficient: bool | None = field(default=None, metadata=doc(
        "multiclass and regression: the group has min_group_size rows, so it enters the disparities"))
    selection_rate: dict[str, float | None] = field(default_factory=dict, metadata=doc(
        "multiclass: class → share of the group's rows predicted as it"))
    recall: dict[str, float | None] = field(default_factory=dict, metadata=doc(
        "multiclass: class → share of the group's rows of that class predicted as it (null below min_group_positives)"))
    confusion: list[list[Count]] = field(default_factory=list, metadata=doc(
        "multiclass: confusion counts, rows the true class, columns the predicted one (classes in data.classes order)"))
    selection_rate_ci: dict[str, CI | None] = field(default_factory=dict, metadata=doc(
        "multiclass: class → exact (Clopper-Pearson) interval of its selection rate"))
    recall_ci: dict[str, CI | None] = field(default_factory=dict, metadata=doc(
        "multiclass: class → exact (Clopper-Pearson) interval of its recall"))
    figures: dict[str, Figure] = field(default_factory=dict, metadata=doc(
        "multiclass and regression: metric → {value, ci}, the keys beside the fields above (multiclass: accuracy, "
        "macro recall and F1; regression: MAE, RMSE, mean prediction, mean target, mean error, each with ci_reason "
        "where its interval is withheld)", flatten=True))

    @property
    def rows(self) -> int | None:
        """The group's test rows, whatever the kind (``count`` of a binary group, ``n`` of the others)."""
        return self.count if self.count is not None else self.n

    @property
    def too_small(self) -> bool:
        """Whether the group is below ``min_group_size`` (flagged ``insufficient_data``, or not ``sufficient``)."""
        return bool(self.insufficient_data) or self.sufficient is False

    def figure(self, name: str) -> Metric | None:
        """The group's ``{value, ci}`` entry of metric ``name`` whatever the kind (None when absent or a count)."""
        entry = self.metrics.get(name)
        return entry if isinstance(entry, Metric) else self.figures.get(name)


@dataclass(kw_only=True)
class FourFifthsRule(Section):
    """The four-fifths (80 %) rule on selection rates."""

    selection_rate_ratio: float | None = field(default=None, metadata=doc("smallest over largest group selection rate"))
    passed: bool | None = field(default=None, metadata=doc("ratio at or above the threshold"))
    threshold: float | None = field(default=None, metadata=doc("the threshold (0.8)"))


@dataclass(kw_only=True)
class CalibrationBin(Section):
    """One score bin of a calibration curve."""

    lo: float | None = field(default=None, metadata=doc("bin lower edge"))
    hi: float | None = field(default=None, metadata=doc("bin upper edge"))
    count: int | None = field(default=None, metadata=doc("rows in the bin"))
    mean_score: float | None = field(default=None, metadata=doc("mean predicted score"))
    fraction_positive: float | None = field(default=None, metadata=doc("share of actual positives"))


@dataclass(kw_only=True)
class CalibrationCurve(Section):
    """Calibration of one group."""

    ece: float | None = field(default=None, metadata=doc("expected calibration error"))
    bins: list[CalibrationBin] = field(default_factory=list, metadata=doc("equal-width score bins"))


@dataclass(kw_only=True)
class Disparity(Figure):
    """One disparity across the groups of a sensitive feature (or an intersection): ``{"value", "ci"}`` and its test.

    A binary disparity gives why it is null in ``inconclusive_reason`` and what its tests detect in ``detectable``;
    a multiclass or regression one in ``reason`` and ``detectable_difference``, with the worst class or group.
    """

    p_value: Probability | None = field(default=None, metadata=doc(
        "p-value of parity: binary, the exact elementary tests Bonferroni-combined; multiclass rate disparities, the "
        "smallest exact p-value of a compared group against the rest"))
    p_adjusted: Probability | None = field(default=None, metadata=doc(
        "that p-value adjusted (Holm) over every parity test of the model"))
    significant: bool | None = field(default=None, metadata=doc(
        "p_adjusted <= 1 - level (family-wise over the model); null where no exact test applies (read the interval)"))
    reason: str | None = field(default=None, metadata=doc(
        "multiclass and regression: why the value is null (fewer than two groups with enough data)"))
    detectable_difference: float | None = field(default=None, metadata=doc(
        "multiclass rate disparities: smallest shift of the smallest compared group's rate from the rest that its "
        "test detects with 80% power; regression differences: smallest gap between two compared groups whose "
        "interval excludes 0 with 80% probability"))
    by_class: dict[str, float | None] = field(default_factory=dict, metadata=doc(
        "multiclass one-vs-rest (_ovr) disparities: class → its disparity"))
    groups_used_by_class: dict[str, list[str]] = field(default_factory=dict, metadata=doc(
        "multiclass recall_difference_ovr: class → the groups with enough true rows of it"))
    worst_class: str | None = field(default=None, metadata=doc(
        "multiclass one-vs-rest disparities: the class with the largest disparity"))
    worst_group: str | None = field(default=None, metadata=doc(
        "regression worst-group metrics: the group with the largest error"))

    @property
    def null_reason(self) -> str | None:
        """Why the value is null, whatever the kind (``inconclusive_reason`` or ``reason``)."""
        return self.inconclusive_reason or self.reason


@dataclass(kw_only=True)
class ExcludedGroup(Section):
    """A multiclass or regression group left out of every disparity of its block."""

    group: str | None = field(default=None, metadata=doc("group label"))
    n: Count | None = field(default=None, metadata=doc("test rows in the group"))
    reason: str | None = field(default=None, metadata=doc("why it is left out (below min_group_size)"))


@dataclass(kw_only=True)
class FairnessBlock(Section):
    """Group metrics and disparities for one sensitive feature (or intersection)."""

    features: Annotated[list[str], Schema(minItems=1)] = field(default_factory=list, metadata=doc("the sensitive feature(s) grouped on"))
    groups: list[Group] = field(default_factory=list, metadata=doc("one entry per group", required=True))
    disparities: dict[str, Disparity] = field(default_factory=dict, metadata=doc(
        "disparity name → {value, ci}, over the groups with enough data for the metric (null with "
        "inconclusive_reason, multiclass and regression: reason, when fewer than two have)"))
    disparities_all_groups: dict[str, Metric] = field(default_factory=dict, metadata=doc(
        "disparity name → {value, ci} over every group (Fairlearn's number; gates read it with groups = \"all\")"))
    four_fifths_rule: FourFifthsRule | None = field(default=None, metadata=doc("four-fifths rule on selection rates"))
    calibration: dict[str, CalibrationCurve] = field(default_factory=dict, metadata=doc("group → calibration (with scores)"))
    roc_auc_excluded_groups: list[str] = field(default_factory=list, metadata=doc("one-class groups left out of the AUC disparities"))
    insufficient_groups: list[str] = field(default_factory=list, metadata=doc("groups below min_group_size"))
    insufficient_by_metric: dict[str, list[str]] = field(default_factory=dict, metadata=doc(
        "metric → groups with too little data for it"))
    undefined_rates: list[dict[str, Any]] = field(default_factory=list, metadata=doc(
        "rates with an empty denominator: {metric, group, reason}"))
    vanished_resamples: int | None = field(default=None, metadata=doc("bootstrap resamples in which a group drew no rows"))
    excluded_groups: list[ExcludedGroup] = field(default_factory=list, metadata=doc(
        "multiclass and regression: the groups left out of the disparities, and why"))


@dataclass(kw_only=True)
class MitigationMetrics(Section):
    """A mitigation method's metrics, plus its per-group breakdown."""

    groups: dict[str, dict[str, Any]] = field(default_factory=dict, metadata=doc("group → rates (selection_rate, tpr, count)"))
    entries: dict[str, MetricOrCount] = field(default_factory=dict, metadata=doc(
        "metric name → {value, ci} (the keys sit beside 'groups')", flatten=True))


@dataclass(kw_only=True)
class MitigationRow(Section):
    """One mitigation method's test metrics."""

    method: str = field(metadata=doc("mitigation method"))
    description: str | None = field(default=None, metadata=doc("what the method does"))
    metrics: MitigationMetrics = field(default_factory=MitigationMetrics, metadata=doc(
        "metric → {value, ci}, and the per-group breakdown", required=True))


@dataclass(kw_only=True)
class Mitigation(Section):
    """Post-processing / reduction mitigation compared with the unmitigated model."""

    constraint: str | None = field(default=None, metadata=doc("fairness constraint"))
    sensitive_feature: str | None = field(default=None, metadata=doc("feature the constraint is on"))
    rows: list[MitigationRow] = field(default_factory=list, metadata=doc("one row per method"))
    notes: list[str] = field(default_factory=list, metadata=doc("caveats"))
    target_disparity: str | None = field(default=None, metadata=doc("disparity the constraint targets"))
    fit_rows: int | None = field(default=None, metadata=doc("rows the mitigation was fitted on"))


@dataclass(kw_only=True)
class ModelFairness(Section):
    """The group audit of one model: a binary classifier's, a multiclass classifier's or a regression's.

    Every kind gives ``n``, ``min_group_size``, ``ci``, ``overall`` and ``by_feature``; the kind itself is the
    record's ``data.task`` (a multiclass or regression audit also states it in ``task``).
    """

    ci: ConfidenceSettings | None = field(default=None, metadata=doc("interval settings"))
    min_group_size: Count | None = field(default=None, metadata=doc(
        "groups below this are flagged insufficient_data (multiclass and regression: not sufficient) and left out "
        "of the disparities"))
    min_group_positives: Count | None = field(default=None, metadata=doc(
        "fewest rows of a metric's denominator (binary: positives, negatives, predicted positives; multiclass: true "
        "rows of a class, for its recall) a group needs"))
    disparity_groups: str | None = field(default=None, metadata=doc(
        "binary: which groups the disparities compare (sufficient: those with enough data)"))
    pos_label: Any = field(default=None, metadata=doc("binary: encoded positive label"))
    n: Count | None = field(default=None, metadata=doc("test rows"))
    missing_group: str | None = field(default=None, metadata=doc("label given to rows whose sensitive value is missing"))
    undefined_rates: str | None = field(default=None, metadata=doc(
        "binary: how a rate with an empty denominator is reported"))
    overall: Overall | None = field(default=None, metadata=doc("metrics over all rows"))
    by_feature: dict[str, FairnessBlock] = field(default_factory=dict, metadata=doc("feature (or 'a & b') → block"))
    mitigation: Mitigation | None = field(default=None, metadata=doc(
        "binary: mitigation comparison; null when not run"))
    task: str | None = field(default=None, metadata=doc(
        "multiclass or regression (a binary audit leaves it out; every record's kind is data.task)"))
    classes: list[str] = field(default_factory=list, metadata=doc("multiclass: class labels, as data.classes"))
    error: str | None = field(default=None, metadata=doc("regression: how an error is signed (y_pred - y_true)"))
    intervals: dict[str, str] = field(default_factory=dict, metadata=doc(
        "regression: the method of each figure's interval (studentized bootstrap, on the log scale for MAE and MSE; "
        "percentile for R²; box of a simultaneous band for the disparities), and why"))


@dataclass(kw_only=True)
class Representation(Section):
    """Representation audit: group sizes, shares, base rates and missing values, train vs test."""

    target: str | None = field(default=None, metadata=doc("target column"))
    positive_label: Any = field(default=None, metadata=doc("positive label"))
    min_share: float | None = field(default=None, metadata=doc("smallest group share not warned about"))
    shift_factor: float | None = field(default=None, metadata=doc("train/test share ratio that is warned about"))
    missing_group: str | None = field(default=None, metadata=doc("label of rows with a missing sensitive value"))
    features: dict[str, Any] = field(default_factory=dict, metadata=doc(
        "feature → groups → train/test count, share, base rate, missing values"))
    warnings: list[str] = field(default_factory=list, metadata=doc("representation problems found"))


@dataclass(kw_only=True)
class Fairness(Section):
    """Group audits keyed by model name (every kind of model), plus the representation audit (binary)."""

    representation: Representation | None = field(default=None, metadata=doc(
        "binary: representation audit (group shares and base rates, train against test)"))
    models: dict[str, ModelFairness | None] = field(default_factory=dict, metadata=doc(
        "model name → its group audit (the keys sit beside 'representation')", flatten=True))


@dataclass(kw_only=True)
class TaskFairness(Section):
    """Schema 1.x only: the group audits of a multiclass or regression model, keyed by model (2.0 keeps them in
    ``fairness``; :attr:`audit.result.AuditResult.group_audits` reads both)."""

    task: str | None = field(default=None, metadata=doc("multiclass or regression"))
    classes: list[str] = field(default_factory=list, metadata=doc("class labels (multiclass)"))
    models: dict[str, ModelFairness] = field(default_factory=dict, metadata=doc("model name → its group audit"))
