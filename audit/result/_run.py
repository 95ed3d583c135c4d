"""Run provenance, data summary, per-model summaries and artifact paths.

Examples
--------
>>> run = Run.from_dict({"name": "demo", "created_at": "2024-01-01T00:00:00+00:00"})
>>> run.weights_sha256 = {"reference": "0" * 64}
>>> sorted(run.to_dict())
['created_at', 'name', 'weights_sha256']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from audit.result._base import Schema, Section, doc
from audit.result._common import Count, Probability, RelPath, Sha256

__all__ = [
    "Artifacts", "Card", "CardFiles", "Data", "Degeneracy", "Environment", "ExcludedColumn", "IdentifierFinding",
    "LeakingFeature", "ModelSummary", "Run", "Screening", "TrainTestDuplicates",
]  # fmt: skip

_ISO_TIME = Annotated[str, Schema(pattern="^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")]


@dataclass(kw_only=True)
class Environment(Section):
    """Where the audit ran."""

    python: str | None = field(default=None, metadata=doc("Python version"))
    platform: str | None = field(default=None, metadata=doc("platform string (OS, kernel, libc)"))
    machine: str | None = field(default=None, metadata=doc("CPU architecture"))
    torch_threads: int | None = field(default=None, metadata=doc("torch intra-op threads"))
    libraries: dict[str, str | None] = field(default_factory=dict, metadata=doc("library name → installed version (null when absent)"))
    git_commit: str | None = field(default=None, metadata=doc("git commit of the working tree, when known"))


@dataclass(kw_only=True)
class Card(Section):
    """The model-card text given in the config's ``[card]`` table."""

    model_name: str | None = field(default=None, metadata=doc("model name shown as the card title"))
    description: str | None = field(default=None, metadata=doc("what the model does"))
    intended_use: str | None = field(default=None, metadata=doc("who may use the model, for what"))
    out_of_scope_uses: list[str] = field(default_factory=list, metadata=doc("uses the model is not for"))
    limitations: str | None = field(default=None, metadata=doc("known limitations"))
    ethical_considerations: str | None = field(default=None, metadata=doc("ethical considerations"))
    authors: list[str] = field(default_factory=list, metadata=doc("authors of the model"))
    license: str | None = field(default=None, metadata=doc("licence identifier"))


@dataclass(kw_only=True)
class Run(Section):
    """Provenance of the run: name, time, seed, config and the hashes of its inputs and outputs."""


    name: str = field(metadata=doc("run name"))
    created_at: _ISO_TIME = field(metadata=doc("creation time, ISO 8601 UTC"))
    seed: int | None = field(default=None, metadata=doc("training seed"))
    config: dict[str, Any] | None = field(default=None, metadata=doc("normalised config (see audit/config.py); null for audit_model"))
    config_sha256: Sha256 | None = field(default=None, metadata=doc("sha256 of the normalised config"))
    config_file_sha256: Sha256 | None = field(default=None, metadata=doc("sha256 of the config file's bytes"))
    data_sha256: dict[str, Sha256] = field(default_factory=dict, metadata=doc("data file → sha256"))
    weights_sha256: dict[str, Sha256] = field(default_factory=dict, metadata=doc("model → sha256 of its saved weights (set by the run writer)"))
    environment: Environment | None = field(default=None, metadata=doc("Python, platform, library versions, git commit"))
    card: Card | None = field(default=None, metadata=doc("model-card text from the config"))


@dataclass(kw_only=True)
class IdentifierFinding(Section):
    """A column that looks like a direct identifier."""

    column: str = field(metadata=doc("column name"))
    kind: str | None = field(default=None, metadata=doc("kind of identifier (e.g. email, id)"))
    reason: str | None = field(default=None, metadata=doc("why the column was flagged"))
    recommendation: str | None = field(default=None, metadata=doc("what to do about it"))
    status: str | None = field(default=None, metadata=doc(
        "what became of the column: feature, excluded, dropped, sensitive_feature, target or not_used"))


@dataclass(kw_only=True)
class ExcludedColumn(Section):
    """A candidate feature the data screening left out."""

    column: str = field(metadata=doc("column name"))
    kind: str | None = field(default=None, metadata=doc("why: identifier-like, raw date, free text"))
    reason: str | None = field(default=None, metadata=doc("what the screening saw"))


@dataclass(kw_only=True)
class LeakingFeature(Section):
    """A feature that alone predicts the target almost perfectly."""

    column: str = field(metadata=doc("column name"))
    auc: Probability | None = field(default=None, metadata=doc("its single-feature ROC AUC for the target"))


@dataclass(kw_only=True)
class Screening(Section):
    """What the data screening decided before encoding."""

    excluded_columns: list[ExcludedColumn] = field(default_factory=list, metadata=doc("feature columns left out, with the reason"))
    leakage: list[LeakingFeature] = field(default_factory=list, metadata=doc("features found to leak the target"))


@dataclass(kw_only=True)
class TrainTestDuplicates(Section):
    """Test rows whose encoded features equal a training row's."""

    test_rows: Count | None = field(default=None, metadata=doc("test rows with a training duplicate"))
    n_test: Count | None = field(default=None, metadata=doc("test rows"))
    share: Probability | None = field(default=None, metadata=doc("test_rows / n_test"))
    basis: str | None = field(default=None, metadata=doc("what counts as a duplicate"))


@dataclass(kw_only=True)
class Data(Section):
    """The dataset: source, sizes, target, features, sensitive features, identifier scan."""

    source: str | None = field(default=None, metadata=doc("training data source"))
    test_source: str | None = field(default=None, metadata=doc("test data source"))
    n_train: Count | None = field(default=None, metadata=doc("training rows"))
    n_test: Count | None = field(default=None, metadata=doc("test rows"))
    target: str | None = field(default=None, metadata=doc("target column"))
    positive_label: Any = field(default=None, metadata=doc("the target value counted as positive"))
    base_rate_train: Probability | None = field(default=None, metadata=doc("share of positives in training"))
    base_rate_test: Probability | None = field(default=None, metadata=doc("share of positives in test"))
    sensitive_features: list[str] = field(default_factory=list, metadata=doc("sensitive feature columns"))
    sensitive_used_as_features: bool | None = field(default=None, metadata=doc("whether sensitive features are model inputs"))
    features: list[str] = field(default_factory=list, metadata=doc("original feature names"))
    dropped_columns: list[str] = field(default_factory=list, metadata=doc("columns dropped before training"))
    n_encoded_features: Count | None = field(default=None, metadata=doc("features after encoding"))
    encoded_feature_names: list[str] = field(default_factory=list, metadata=doc("feature names after encoding"))
    missing_values_train: dict[str, Count] = field(default_factory=dict, metadata=doc("column → missing values in training"))
    attribution: str | None = field(default=None, metadata=doc("dataset citation"))
    task: str | None = field(default=None, metadata=doc("the config's task: binary, multiclass or regression"))
    classes: list[str | int] = field(default_factory=list, metadata=doc(
        "class labels in the order of the model's outputs (multiclass; binary: negative, positive)"))
    class_counts_train: dict[str, Count] = field(default_factory=dict, metadata=doc("class label → training rows (multiclass)"))
    target_summary: dict[str, Any] = field(default_factory=dict, metadata=doc(
        "regression target: mean, standard deviation, min, max on the training rows (the model learns the standardised "
        "target and predicts in target units)"))
    text_column: str | None = field(default=None, metadata=doc("the column of texts a text classifier reads"))
    text: dict[str, Any] = field(default_factory=dict, metadata=doc(
        "text preparation: vocabulary size, maximum length, tokens per text, share of unknown tokens"))
    identifier_scan: list[IdentifierFinding] | None = field(default=None, metadata=doc("identifier-scan findings; null when not run"))
    screening: Screening | None = field(default=None, metadata=doc("data screening before encoding; null when not run"))
    train_test_duplicates: TrainTestDuplicates | None = field(default=None, metadata=doc(
        "test rows duplicating a training row; null when not counted"))


@dataclass(kw_only=True)
class Degeneracy(Section):
    """Whether a model's output carries signal (audit.fairness.degenerate_model_checks)."""

    degenerate: bool | None = field(default=None, metadata=doc(
        "no signal: constant output, scores ranking no better than chance, decisions without information about the "
        "label (no scores), predictions agreeing with the class only by chance (multiclass), or an MAE not shown below "
        "the training mean's (regression)"))
    reasons: list[str] = field(default_factory=list, metadata=doc("why it is degenerate, in plain English"))
    threshold_problem: str | None = field(default=None, metadata=doc(
        "binary: why the decisions carry no information although the scores rank the classes (not degenerate: "
        "fairness gates on decisions are inconclusive); null when none"))
    warnings: list[str] = field(default_factory=list, metadata=doc("groups within which the predictions are constant"))
    checks: dict[str, Any] = field(default_factory=dict, metadata=doc("check name → its numbers, flagged and reason"))
    thresholds: dict[str, Any] = field(default_factory=dict, metadata=doc("thresholds the checks used"))
    n: Count | None = field(default=None, metadata=doc("test rows checked"))


@dataclass(kw_only=True)
class ModelSummary(Section):
    """One trained (or audited) model: test metrics and training settings."""

    test_accuracy: Probability | None = field(metadata=doc("test accuracy"))
    test_roc_auc: Probability | None = field(default=None, metadata=doc("test ROC AUC"))
    test_macro_f1: Probability | None = field(default=None, metadata=doc("test macro-averaged F1 (multiclass)"))
    test_balanced_accuracy: Probability | None = field(default=None, metadata=doc(
        "test balanced accuracy, the mean recall over classes (multiclass)"))
    test_mae: float | None = field(default=None, metadata=doc("test mean absolute error, target units (regression)"))
    test_rmse: float | None = field(default=None, metadata=doc("test root mean squared error, target units (regression)"))
    test_r2: float | None = field(default=None, metadata=doc("test coefficient of determination R² (regression)"))
    private: bool | None = field(default=None, metadata=doc("trained with differential privacy"))
    n_parameters: Count | None = field(default=None, metadata=doc("trainable parameters"))
    architecture: str | None = field(default=None, metadata=doc("printed module structure"))
    epochs: Count | None = field(default=None, metadata=doc("training epochs"))
    batch_size: int | None = field(default=None, metadata=doc("training batch size", minimum=1))
    learning_rate: float | None = field(default=None, metadata=doc("learning rate"))
    optimizer: str | None = field(default=None, metadata=doc("optimizer name"))
    seed: int | None = field(default=None, metadata=doc("training seed"))
    grad_sample_mode: str | None = field(default=None, metadata=doc("per-sample gradient mode of a private model"))
    loss_history: list[float | None] = field(default_factory=list, metadata=doc("mean training loss per epoch"))
    train_wall_s: float | None = field(default=None, metadata=doc("training wall time, seconds", minimum=0))
    train_cpu_s: float | None = field(default=None, metadata=doc("training CPU time, seconds", minimum=0))
    degenerate: Degeneracy | None = field(default=None, metadata=doc(
        "degenerate-model checks; a fairness gate on a degenerate model is inconclusive"))


@dataclass(kw_only=True)
class CardFiles(Section):
    """Rendered model-card files."""


    markdown: RelPath | None = field(default=None, metadata=doc("Markdown card"))
    html: RelPath | None = field(default=None, metadata=doc("HTML card"))
    json: RelPath | None = field(default=None, metadata=doc("card data as JSON"))


@dataclass(kw_only=True)
class Artifacts(Section):
    """Relative paths of the files beside ``audit.json``; set by the run writer."""


    weights: dict[str, RelPath] = field(default_factory=dict, metadata=doc("model → saved state dict"))
    preprocessor: RelPath | None = field(default=None, metadata=doc("fitted preprocessor (JSON)"))
    vocabulary: RelPath | None = field(default=None, metadata=doc("the text model's vocabulary (JSON)"))
    predictions: RelPath | None = field(default=None, metadata=doc("per-row predictions CSV"))
    cards: CardFiles | None = field(default=None, metadata=doc("rendered model cards"))
