"""The explainability section: per model, attributions, examples, group reliance, faithfulness.

Examples
--------
>>> x = ModelExplanation.from_dict({"method": "integrated_gradients",
...                                 "global_importance": [{"feature": "age", "mean_abs": 0.3}]})
>>> x.global_importance[0].feature
'age'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from audit.result._base import Section, doc
from audit.result._common import CI, RelPath

__all__ = [
    "Baseline", "Contribution", "ConvergenceDelta", "DeletionCurve", "Example", "Faithfulness", "FeatureImportance",
    "GroupReliance", "ImageMap", "ModelExplanation", "Proxy", "RandomizationTest",
]  # fmt: skip


@dataclass(kw_only=True)
class Baseline(Section):
    """The attribution baseline."""

    kind: str | None = field(default=None, metadata=doc("baseline kind"))
    description: str | None = field(default=None, metadata=doc("what the baseline is"))


@dataclass(kw_only=True)
class FeatureImportance(Section):
    """Global importance of one original feature."""

    feature: str = field(metadata=doc("original feature"))
    mean_abs: float | None = field(metadata=doc("mean |attribution|", minimum=0))
    ci: CI | None = field(default=None, metadata=doc("bootstrap interval of mean_abs"))
    mean_signed: float | None = field(default=None, metadata=doc("mean signed attribution"))


@dataclass(kw_only=True)
class Contribution(Section):
    """One feature's contribution to one prediction."""

    feature: str = field(metadata=doc("original feature"))
    value: Any = field(default=None, metadata=doc("the row's value"))
    attribution: float | None = field(default=None, metadata=doc("attribution"))


@dataclass(kw_only=True)
class Example(Section):
    """One explained test row."""

    row: Any = field(default=None, metadata=doc("test row index"))
    kind: Literal["sample", "confident_error", "largest_error"] | None = field(default=None, metadata=doc(
        "why it was chosen: at random, a confident error of a classifier, one of a regression's largest errors"))
    y_true: Any = field(default=None, metadata=doc("actual label (a regression: the target)"))
    y_score: float | None = field(default=None, metadata=doc(
        "positive-class score (a regression: the prediction)"))
    contributions: list[Contribution] = field(default_factory=list, metadata=doc("largest contributions"))


@dataclass(kw_only=True)
class Proxy(Section):
    """A feature that predicts a sensitive feature."""

    feature: str | None = field(default=None, metadata=doc("feature"))
    proxy_auc: float | None = field(default=None, metadata=doc("AUC of predicting the sensitive feature from it"))
    mutual_information: float | None = field(default=None, metadata=doc("mutual information with the sensitive feature"))
    importance: float | None = field(default=None, metadata=doc("its global importance"))
    importance_rank: int | None = field(default=None, metadata=doc("its rank by importance (1 = most)"))
    is_proxy: bool | None = field(default=None, metadata=doc("judged a proxy"))


@dataclass(kw_only=True)
class GroupReliance(Section):
    """How much the model relies on one sensitive feature and its proxies."""

    sensitive_feature_share: float | None = field(default=None, metadata=doc("share of total attribution on the feature"))
    profiles: dict[str, dict[str, float | None]] = field(default_factory=dict, metadata=doc("group → feature → mean |attribution|"))
    proxies: list[Proxy] = field(default_factory=list, metadata=doc("candidate proxies"))
    in_model: bool | None = field(default=None, metadata=doc("the sensitive feature is a model input"))
    groups: dict[str, int] = field(default_factory=dict, metadata=doc("group → explained rows"))
    proxy_method: str | None = field(default=None, metadata=doc("how proxy_auc was computed"))


@dataclass(kw_only=True)
class ConvergenceDelta(Section):
    """Integrated-gradients completeness check."""

    mean_abs: float | None = field(default=None, metadata=doc("mean |delta|"))
    max_abs: float | None = field(default=None, metadata=doc("max |delta|"))
    tolerance: float | None = field(default=None, metadata=doc("tolerance"))
    warning: bool | str | None = field(default=None, metadata=doc("delta above tolerance (or a message)"))


@dataclass(kw_only=True)
class DeletionCurve(Section):
    """Prediction change as top-k (vs random) features are removed."""

    k: list[float | None] = field(default_factory=list, metadata=doc("features removed"))
    top: list[float | None] = field(default_factory=list, metadata=doc("change removing the top-k"))
    random: list[float | None] = field(default_factory=list, metadata=doc("change removing k at random"))
    area_top: float | None = field(default=None, metadata=doc("area under the top-k curve"))
    area_random: float | None = field(default=None, metadata=doc("area under the random curve"))
    top_beats_random: bool | None = field(default=None, metadata=doc("removing the top features changes more than random ones"))
    metric: str | None = field(default=None, metadata=doc("what the curve measures"))


@dataclass(kw_only=True)
class RandomizationTest(Section):
    """Model-randomization sanity check."""

    spearman: float | None = field(default=None, metadata=doc("rank correlation with a randomized model's attributions"))
    threshold: float | None = field(default=None, metadata=doc("flag threshold"))
    flagged: bool | None = field(default=None, metadata=doc("attributions barely depend on the weights"))
    n_rows: int | None = field(default=None, metadata=doc("rows compared"))
    n_models: int | None = field(default=None, metadata=doc("randomized models"))


@dataclass(kw_only=True)
class Faithfulness(Section):
    """Faithfulness checks of the attributions (image runs: one block per method, kept in extra)."""

    convergence_delta: ConvergenceDelta | None = field(default=None, metadata=doc("completeness check"))
    infidelity: float | None = field(default=None, metadata=doc("Captum infidelity"))
    sensitivity_max: float | None = field(default=None, metadata=doc("Captum sensitivity_max"))
    deletion_curve: DeletionCurve | None = field(default=None, metadata=doc("deletion curve"))
    randomization_test: RandomizationTest | None = field(default=None, metadata=doc("randomization test"))
    n_rows: int | None = field(default=None, metadata=doc("rows checked"))
    infidelity_description: str | None = field(default=None, metadata=doc("what infidelity measures here"))
    sensitivity_description: str | None = field(default=None, metadata=doc("what sensitivity_max measures here"))
    checks_s: float | None = field(default=None, metadata=doc("time spent on the checks, seconds"))


@dataclass(kw_only=True)
class ImageMap(Section):
    """One saved attribution map (image runs)."""

    path: RelPath = field(metadata=doc("image file"))
    method: str | None = field(default=None, metadata=doc("attribution method"))
    label: Any = field(default=None, metadata=doc("actual class"))
    prediction: Any = field(default=None, metadata=doc("predicted class"))
    caption: str | None = field(default=None, metadata=doc("caption"))


@dataclass(kw_only=True)
class ModelExplanation(Section):
    """Explanations of one model."""

    method: str | None = field(default=None, metadata=doc("attribution method"))
    methods: list[str] | None = field(default=None, metadata=doc("attribution methods (image runs)"))
    target: Any = field(default=None, metadata=doc("explained output (a name, or a class index)"))
    target_description: str | None = field(default=None, metadata=doc("what the explained output means"))
    features: list[str] = field(default_factory=list, metadata=doc("original features attributed to"))
    importance_ci: dict[str, Any] = field(default_factory=dict, metadata=doc("how the importance intervals were computed"))
    baseline: Baseline | None = field(default=None, metadata=doc("attribution baseline"))
    n_rows: int | None = field(default=None, metadata=doc("rows explained"))
    n_images: int | None = field(default=None, metadata=doc("images explained (image runs)"))
    test_rows: str | None = field(default=None, metadata=doc("which test rows were explained"))
    global_importance: list[FeatureImportance] = field(default_factory=list, metadata=doc("features by importance"))
    examples: list[Example] = field(default_factory=list, metadata=doc("explained rows"))
    group_reliance: dict[str, GroupReliance] = field(default_factory=dict, metadata=doc("sensitive feature → reliance"))
    faithfulness: Faithfulness | None = field(default=None, metadata=doc("faithfulness checks"))
    warnings: list[str] = field(default_factory=list, metadata=doc("problems found"))
    timing: dict[str, Any] = field(default_factory=dict, metadata=doc("attribution timing"))
    artifacts: dict[str, RelPath] = field(default_factory=dict, metadata=doc("array name → .npy file"))
    image_maps: list[ImageMap] = field(default_factory=list, metadata=doc("saved attribution maps (image runs)"))
    per_class_accuracy: dict[str, dict[str, Any]] = field(default_factory=dict, metadata=doc("class → {accuracy, n} (image runs)"))
    explained_class: str | None = field(default=None, metadata=doc(
        "a multiclass model: the class whose log-odds the examples and checks explain (the one predicted most often)"))
    per_class_importance: dict[str, list[FeatureImportance]] = field(default_factory=dict, metadata=doc(
        "a multiclass model: class → its features by importance (mean |attribution| of the class's log-odds)"))
