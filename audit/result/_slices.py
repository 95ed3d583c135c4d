"""The error-analysis section: slices of the test set where each model errs most (``audit.slices``).

Examples
--------
>>> s = Slices.from_dict({"correction": "holm", "models": {"private": {"overall_error_rate": 0.17,
...     "by_error_rate": [{"label": "sex = Male", "size": 100, "errors": 30, "error_rate": 0.3,
...                        "conditions": [{"feature": "sex", "values": ["Male"], "label": "sex = Male"}]}]}}})
>>> s.models["private"].by_error_rate[0].conditions[0].values
['Male']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from audit.result._base import Section, doc
from audit.result._common import CI, Count, Probability, RelPath

__all__ = ["FeatureColumn", "ModelSlices", "Slice", "SliceCondition", "Slices"]


@dataclass(kw_only=True)
class SliceCondition(Section):
    """One condition of a slice: a category, an inclusive numeric range, or "missing"."""

    feature: str = field(metadata=doc("raw feature name"))
    values: list[str] | None = field(default=None, metadata=doc("categorical: the row's value is one of these"))
    lo: float | None = field(default=None, metadata=doc("numeric: lowest value included"))
    hi: float | None = field(default=None, metadata=doc("numeric: highest value included"))
    missing: bool | None = field(default=None, metadata=doc("true: the value is missing"))
    label: str | None = field(default=None, metadata=doc("the condition as text, e.g. 'age 17–27'"))


@dataclass(kw_only=True)
class Slice(Section):
    """A conjunction of conditions and how the model does on its rows."""

    conditions: list[SliceCondition] = field(default_factory=list, metadata=doc("all must hold (one per feature)"))
    label: str | None = field(default=None, metadata=doc("the conditions joined by ' & '"))
    size: Count = field(metadata=doc("test rows in the slice"))
    errors: Count = field(metadata=doc("rows the model gets wrong"))
    error_rate: Probability | None = field(metadata=doc("errors / size"))
    ci: CI | None = field(default=None, metadata=doc(
        "interval of the error rate, simultaneous over every slice examined (exact, Bonferroni level), so it covers "
        "the slice a ranking selects; records before issue 22: Wilson score at level"))
    ci_marginal: CI | None = field(default=None, metadata=doc(
        "exact (Clopper-Pearson) interval at level, for a slice chosen before looking"))
    rest_error_rate: Probability | None = field(default=None, metadata=doc("error rate of the test rows outside the slice"))
    gap: float | None = field(default=None, metadata=doc("error_rate − rest_error_rate (the disparity ranking)"))
    false_positives: Count | None = field(default=None, metadata=doc("errors predicted positive"))
    false_negatives: Count | None = field(default=None, metadata=doc("errors predicted negative"))
    score: float | None = field(default=None, metadata=doc("SliceLine score (α = 0.95): error excess against size"))
    p_value: Probability | None = field(default=None, metadata=doc("one-sided exact binomial test against the overall error rate"))
    p_adjusted: Probability | None = field(default=None, metadata=doc("p-value adjusted over every slice examined (see correction)"))
    significant: bool | None = field(default=None, metadata=doc("p_adjusted ≤ alpha"))


@dataclass(kw_only=True)
class ModelSlices(Section):
    """The slice search for one model."""

    n: Count | None = field(default=None, metadata=doc("test rows"))
    errors: Count | None = field(default=None, metadata=doc("test rows the model gets wrong"))
    overall_error_rate: Probability | None = field(default=None, metadata=doc("errors / n"))
    n_examined: Count | None = field(default=None, metadata=doc("slices examined"))
    n_family: Count | None = field(default=None, metadata=doc(
        "size of the multiple-testing family: every slice the numeric cuts could form (adaptive cuts look at the "
        "errors, so it exceeds n_examined); n_examined with quantile bins and in records before adaptive cuts"))
    examined_by_depth: dict[str, Count] = field(default_factory=dict, metadata=doc("depth → slices examined"))
    n_significant: Count | None = field(default=None, metadata=doc("slices significant after the correction"))
    max_significant_error_rate: Probability | None = field(
        default=None, metadata=doc("highest error rate of a significant slice; the overall error rate when none is"))
    max_significant_error_rate_ci: CI | None = field(default=None, metadata=doc(
        "its interval: the selected slice's simultaneous ci; the overall rate's exact interval when none is significant"))
    by_error_rate: list[Slice] = field(default_factory=list, metadata=doc("top slices by error rate, significant first"))
    by_gap: list[Slice] = field(default_factory=list, metadata=doc("top slices by gap to the rest, significant first"))


@dataclass(kw_only=True)
class FeatureColumn(Section):
    """One column of the stored raw test features."""

    name: str = field(metadata=doc("raw feature name"))
    kind: Literal["numeric", "categorical"] = field(metadata=doc("numeric values, or codes into categories"))
    categories: list[str] = field(default_factory=list, metadata=doc("categorical: value of each code"))


@dataclass(kw_only=True)
class Slices(Section):
    """Error analysis: slice discovery over the raw test features, per model."""

    method: str | None = field(default=None, metadata=doc("how slices were searched"))
    test: str | None = field(default=None, metadata=doc("the significance test"))
    correction: Literal["holm", "bonferroni"] | None = field(default=None, metadata=doc(
        "multiple-testing correction over all slices examined"))
    interval: str | None = field(default=None, metadata=doc("interval of each slice's error rate"))
    alpha: Probability | None = field(default=None, metadata=doc("family-wise error rate"))
    level: Probability | None = field(default=None, metadata=doc("interval level"))
    max_depth: Count | None = field(default=None, metadata=doc("most conditions per slice"))
    min_size: Count | None = field(default=None, metadata=doc("fewest rows of a slice examined"))
    n_bins: Count | None = field(default=None, metadata=doc("most ranges per numeric feature"))
    cuts: Literal["adaptive", "quantile"] | None = field(default=None, metadata=doc(
        "how numeric features are cut: ranges that best separate the error rate, or quantile bins (records before "
        "adaptive cuts: quantile)"))
    top_k: Count | None = field(default=None, metadata=doc("slices listed per ranking"))
    models: dict[str, ModelSlices] = field(default_factory=dict, metadata=doc("model → slices"))
    features: list[FeatureColumn] = field(default_factory=list, metadata=doc("layout of test_features"))
    test_features: RelPath | None = field(default=None, metadata=doc(
        "the raw test features (float64 .npy, rows in predictions.csv order), for cohorts and what-if"))
