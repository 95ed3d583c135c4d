"""The fairness section: per model, group metrics by sensitive feature, disparities, mitigation.

Examples
--------
>>> f = Fairness.from_dict({"reference": {"min_group_size": 30, "by_feature": {}}, "representation": None})
>>> list(f.models), f.models["reference"].min_group_size
(['reference'], 30)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from audit.result._base import Schema, Section, doc
from audit.result._common import Count, Metric, MetricOrCount, Probability

__all__ = [
    "CalibrationBin", "CalibrationCurve", "ConfidenceSettings", "FairnessBlock", "Fairness", "FourFifthsRule",
    "Group", "Mitigation", "MitigationMetrics", "MitigationRow", "ModelFairness", "Overall", "Representation",
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


@dataclass(kw_only=True)
class Overall(Section):
    """Metrics over the whole test set."""

    count: int | None = field(default=None, metadata=doc("test rows"))
    metrics: dict[str, MetricOrCount] = field(default_factory=dict, metadata=doc("metric → {value, ci}"))


@dataclass(kw_only=True)
class Group(Section):
    """One group of a sensitive feature (or an intersection of several)."""

    group: str = field(metadata=doc("group label"))
    values: dict[str, Any] = field(default_factory=dict, metadata=doc("feature → value defining the group"))
    count: Count = field(metadata=doc("test rows in the group"))
    share: Probability | None = field(default=None, metadata=doc("share of test rows"))
    insufficient_data: bool = field(default=False, metadata=doc("group below min_group_size: its metrics are unreliable"))
    insufficient_for: list[str] | None = field(default=None, metadata=doc(
        "metrics the group has too little data for (rows, or positives of the metric's denominator)"))
    denominators: dict[str, Count] = field(default_factory=dict, metadata=doc(
        "denominator → rows (positives, negatives, predicted_positives)"))
    metrics: dict[str, MetricOrCount] = field(default_factory=dict, metadata=doc("metric → {value, ci} (and the row count)", required=True))


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
class FairnessBlock(Section):
    """Group metrics and disparities for one sensitive feature (or intersection)."""

    features: Annotated[list[str], Schema(minItems=1)] = field(default_factory=list, metadata=doc("the sensitive feature(s) grouped on"))
    groups: list[Group] = field(default_factory=list, metadata=doc("one entry per group", required=True))
    disparities: dict[str, Metric] = field(default_factory=dict, metadata=doc(
        "disparity name → {value, ci}, over the groups with enough data for the metric (null with "
        "inconclusive_reason when fewer than two have)"))
    disparities_all_groups: dict[str, Metric] = field(default_factory=dict, metadata=doc(
        "disparity name → {value, ci} over every group (Fairlearn's number; gates read it with groups = \"all\")"))
    four_fifths_rule: FourFifthsRule | None = field(default=None, metadata=doc("four-fifths rule on selection rates"))
    calibration: dict[str, CalibrationCurve] = field(default_factory=dict, metadata=doc("group → calibration (with scores)"))
    roc_auc_excluded_groups: list[str] = field(default_factory=list, metadata=doc("one-class groups left out of the AUC disparities"))
    insufficient_groups: list[str] = field(default_factory=list, metadata=doc("groups below min_group_size"))
    insufficient_by_metric: dict[str, list[str]] = field(default_factory=dict, metadata=doc(
        "metric → groups with too little data for it"))
    undefined_rates: list[dict[str, Any]] = field(default_factory=list, metadata=doc("rates with an empty denominator: {metric, group, reason}"))
    vanished_resamples: int | None = field(default=None, metadata=doc("bootstrap resamples in which a group drew no rows"))


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
    metrics: MitigationMetrics = field(default_factory=MitigationMetrics, metadata=doc("metric → {value, ci}, and the per-group breakdown", required=True))


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
    """The fairness audit of one model."""

    ci: ConfidenceSettings | None = field(default=None, metadata=doc("interval settings"))
    min_group_size: Count | None = field(default=None, metadata=doc("groups below this are flagged insufficient_data"))
    min_group_positives: Count | None = field(default=None, metadata=doc(
        "fewest rows of a metric's denominator (positives, negatives, predicted positives) a group needs"))
    disparity_groups: str | None = field(default=None, metadata=doc(
        "which groups the disparities compare (sufficient: those with enough data)"))
    pos_label: Any = field(default=None, metadata=doc("encoded positive label"))
    n: Count | None = field(default=None, metadata=doc("test rows"))
    missing_group: str | None = field(default=None, metadata=doc("label given to rows whose sensitive value is missing"))
    undefined_rates: str | None = field(default=None, metadata=doc("how a rate with an empty denominator is reported"))
    overall: Overall | None = field(default=None, metadata=doc("metrics over all rows"))
    by_feature: dict[str, FairnessBlock] = field(default_factory=dict, metadata=doc("feature (or 'a & b') → block"))
    mitigation: Mitigation | None = field(default=None, metadata=doc("mitigation comparison; null when not run"))


@dataclass(kw_only=True)
class Representation(Section):
    """Representation audit: group sizes, shares, base rates and missing values, train vs test."""

    target: str | None = field(default=None, metadata=doc("target column"))
    positive_label: Any = field(default=None, metadata=doc("positive label"))
    min_share: float | None = field(default=None, metadata=doc("smallest group share not warned about"))
    shift_factor: float | None = field(default=None, metadata=doc("train/test share ratio that is warned about"))
    missing_group: str | None = field(default=None, metadata=doc("label of rows with a missing sensitive value"))
    features: dict[str, Any] = field(default_factory=dict, metadata=doc("feature → groups → train/test count, share, base rate, missing values"))
    warnings: list[str] = field(default_factory=list, metadata=doc("representation problems found"))


@dataclass(kw_only=True)
class Fairness(Section):
    """Fairness audits keyed by model name, plus the representation audit."""

    representation: Representation | None = field(default=None, metadata=doc("representation audit"))
    models: dict[str, ModelFairness | None] = field(default_factory=dict, metadata=doc(
        "model name → its fairness audit (the keys sit beside 'representation')", flatten=True))
