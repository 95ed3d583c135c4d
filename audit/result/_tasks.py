"""Sections of the tasks beyond binary tables: group errors of multiclass and regression models, and the text audits.

Examples
--------
>>> f = TaskFairness.from_dict({"task": "regression", "models": {"private": {"by_feature": {"sex": {
...     "disparities": {"mae_difference": {"value": 1.5, "ci": [0.5, 2.5]}}}}}}})
>>> f.models["private"].by_feature["sex"].disparities["mae_difference"].value
1.5
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audit.result._base import Section, doc
from audit.result._common import CI, Count

__all__ = ["TaskDisparity", "TaskFairness", "TaskFairnessBlock", "TaskModelFairness", "TextAudit", "TextModelAudit"]


@dataclass(kw_only=True)
class TaskDisparity(Section):
    """One disparity of a multiclass or regression model across the groups of a sensitive feature."""

    value: float | None = field(default=None, metadata=doc("the disparity; null when fewer than two groups have enough data"))
    ci: CI | None = field(default=None, metadata=doc(
        "interval [low, high] from simultaneous group bands (box method: covers whichever groups the sample makes look "
        "best and worst); records before issue 22: bootstrap"))
    groups_used: list[str] = field(default_factory=list, metadata=doc("groups the disparity compares"))
    reason: str | None = field(default=None, metadata=doc("why the value is null"))
    ci_reason: str | None = field(default=None, metadata=doc("why the interval is withheld when the value is not null"))
    p_value: float | None = field(default=None, metadata=doc(
        "multiclass rate disparities: smallest Fisher exact p-value of a compared group against the rest"))
    p_adjusted: float | None = field(default=None, metadata=doc("that p-value Holm-adjusted over every test of the model"))
    significant: bool | None = field(default=None, metadata=doc(
        "p_adjusted <= 1 - level (family-wise over the model); null where no exact test applies (read the interval)"))
    detectable_difference: float | None = field(default=None, metadata=doc(
        "multiclass rate disparities: smallest shift of the smallest compared group's rate from the rest that its "
        "test detects with 80% power; regression differences: smallest gap between two compared groups whose "
        "interval excludes 0 with 80% probability"))
    by_class: dict[str, float | None] = field(default_factory=dict, metadata=doc(
        "class → the one-vs-rest disparity (multiclass _ovr metrics)"))
    groups_used_by_class: dict[str, list[str]] = field(default_factory=dict, metadata=doc(
        "class → the groups with enough true rows of it (recall_difference_ovr)"))
    worst_class: str | None = field(default=None, metadata=doc("class with the largest one-vs-rest disparity"))
    worst_group: str | None = field(default=None, metadata=doc("group with the largest error (worst-group metrics)"))


@dataclass(kw_only=True)
class TaskFairnessBlock(Section):
    """Group metrics and disparities for one sensitive feature (or an intersection)."""

    groups: list[dict[str, Any]] = field(default_factory=list, metadata=doc(
        "one entry per group: rows, whether it has enough data, and each metric as {value, ci} (multiclass: "
        "accuracy, macro recall and F1, selection rate and recall per class with their exact intervals "
        "selection_rate_ci and recall_ci, the confusion matrix; regression: MAE, RMSE, mean prediction, mean "
        "target, mean error, each with ci_reason where its interval is withheld)"))
    disparities: dict[str, TaskDisparity] = field(default_factory=dict, metadata=doc("disparity name → value, interval"))
    excluded_groups: list[Any] = field(default_factory=list, metadata=doc("groups left out of the disparities, and why"))


@dataclass(kw_only=True)
class TaskModelFairness(Section):
    """The group audit of one multiclass or regression model."""

    n: Count | None = field(default=None, metadata=doc("test rows"))
    min_group_size: Count | None = field(default=None, metadata=doc("fewest rows a group needs to enter the disparities"))
    min_group_positives: Count | None = field(default=None, metadata=doc(
        "fewest true rows of a class a group needs for that class's recall (multiclass)"))
    ci: dict[str, Any] = field(default_factory=dict, metadata=doc(
        "how the intervals were computed: method, disparity_method, level, n_boot; multiclass: multiple_testing (the "
        "parity tests' family: tests, significant, alpha); regression: the row floors of withheld intervals"))
    intervals: dict[str, Any] = field(default_factory=dict, metadata=doc(
        "regression: the method of each figure's interval (studentized bootstrap, on the log scale for MAE and MSE; "
        "percentile for R²; box of a simultaneous band for the disparities), and why"))
    overall: dict[str, Any] = field(default_factory=dict, metadata=doc("metrics over all test rows"))
    by_feature: dict[str, TaskFairnessBlock] = field(default_factory=dict, metadata=doc("feature (or 'a & b') → block"))


@dataclass(kw_only=True)
class TaskFairness(Section):
    """Fairness of multiclass and regression models (audit.fairness), keyed by model."""

    task: str | None = field(default=None, metadata=doc("multiclass or regression"))
    classes: list[str] = field(default_factory=list, metadata=doc("class labels (multiclass)"))
    models: dict[str, TaskModelFairness] = field(default_factory=dict, metadata=doc("model name → its group audit"))


@dataclass(kw_only=True)
class TextModelAudit(Section):
    """The text audits of one model (audit.text)."""

    counterfactual: dict[str, Any] | None = field(default=None, metadata=doc(
        "counterfactual identity-term fairness (Garg et al. 2019): flip rate and score change per term pair and per "
        "category, with intervals that take texts as the unit, and examples; the largest over pairs with intervals "
        "adjusted for choosing it (n_pairs, ci_pair, upper_bound_all_pairs); matching: the identity-term matches "
        "found, swapped, and left out with their reason (names, ambiguous words not about people); the template "
        "scores per term"))
    identity_auc: dict[str, Any] | None = field(default=None, metadata=doc(
        "subgroup, BPSN and BNSP AUC per identity the test texts mention (Borkan et al. 2019), with intervals; worst: "
        "the lowest of each family, its interval adjusted for choosing it (n_subgroups, ci_subgroup)"))
    tokens: dict[str, Any] | None = field(default=None, metadata=doc(
        "token attributions (Captum LayerIntegratedGradients on the embedding): top tokens, examples, "
        "completeness and the deletion check"))


@dataclass(kw_only=True)
class TextAudit(Section):
    """The audits of a text classifier: vocabulary, identity terms, counterfactuals, token attributions."""

    text_column: str | None = field(default=None, metadata=doc("column of texts"))
    identity_categories: list[str] = field(default_factory=list, metadata=doc("identity-term categories audited"))
    mentions: dict[str, Count] = field(default_factory=dict, metadata=doc("identity subgroup → test texts mentioning it"))
    models: dict[str, TextModelAudit] = field(default_factory=dict, metadata=doc("model name → its text audits"))
