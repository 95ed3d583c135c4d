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
    "Artifacts", "Card", "CardFiles", "Data", "DecisionThreshold", "Degeneracy", "Environment", "ExcludedColumn", "IdentifierFinding",
    "LeakingFeature", "ModelSummary", "Run", "Screening", "SensitiveBinning", "TrainTestDuplicates",
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
    config: dict[str, Any] | None = field(default=None, metadata=doc("normalised config (see audit/config/); null for audit_model"))
    config_sha256: Sha256 | None = field(default=None, metadata=doc("sha256 of the normalised config"))
    config_file_sha256: Sha256 | None = field(default=None, metadata=doc("sha256 of the config file's bytes"))
    data_sha256: dict[str, Sha256] = field(default_factory=dict, metadata=doc("data file → sha256"))
    weights_sha256: dict[str, Sha256] = field(default_factory=dict, metadata=doc(
        "model → sha256 of its saved weights (set by the run writer)"))
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
    """Test rows that repeat a training row: the same feature vector, and of those the same record."""

    test_rows: Count | None = field(default=None, metadata=doc(
        "test rows whose encoded features (the model's inputs) equal a training row's"))
    n_test: Count | None = field(default=None, metadata=doc("test rows"))
    share: Probability | None = field(default=None, metadata=doc("test_rows / n_test"))
    basis: str | None = field(default=None, metadata=doc("what counts as a duplicate"))
    exact_records: Count | None = field(default=None, metadata=doc(
        "test rows equal to a training row in every column of the table, including columns the model does not read "
        "(the same record, or different people with identical values); null when not counted"))
    exact_share: Probability | None = field(default=None, metadata=doc("exact_records / n_test"))
    differing_columns: dict[str, Count] = field(default_factory=dict, metadata=doc(
        "column → test rows sharing a training row's feature vector that differ from it in that column (different "
        "records with the same inputs)"))
    distinct_vectors: Count | None = field(default=None, metadata=doc(
        "distinct encoded feature vectors among the training and test rows"))
    rows_per_vector: float | None = field(default=None, metadata=doc(
        "mean over training and test rows of how many rows share the row's feature vector (itself included)", minimum=1))
    coarse: bool | None = field(default=None, metadata=doc(
        "rows_per_vector ≥ 2: different people share feature vectors as a matter of course (see rule)"))
    rule: str | None = field(default=None, metadata=doc("the rule that calls the features coarse"))


@dataclass(kw_only=True)
class SensitiveBinning(Section):
    """How a numeric sensitive column was cut into groups (fitted on the training rows; the model reads the raw value)."""

    rule: str | None = field(default=None, metadata=doc(
        "quantiles (data.sensitive_quantiles of the training rows) or edges (data.sensitive_bins)"))
    quantiles: int | None = field(default=None, metadata=doc("number of quantile groups asked for (rule quantiles)"))
    edges: list[float] = field(default_factory=list, metadata=doc(
        "the cut points: groups < e1, [e1, e2), …, ≥ ek (tied quantiles merged)"))
    labels: list[str] = field(default_factory=list, metadata=doc("the group labels, lowest first; missing values: <missing>"))
    n_distinct_train: Count | None = field(default=None, metadata=doc("distinct values of the column in the training rows"))
    text: str | None = field(default=None, metadata=doc("the rule in words"))


@dataclass(kw_only=True)
class Data(Section):
    """The dataset: source, sizes, target, features, sensitive features, identifier scan."""

    source: str | None = field(default=None, metadata=doc("training data source"))
    test_source: str | None = field(default=None, metadata=doc("test data source"))
    n_train: Count | None = field(default=None, metadata=doc("training rows"))
    n_test: Count | None = field(default=None, metadata=doc("test rows"))
    n_validation: Count | None = field(default=None, metadata=doc(
        "training rows held out of training (split.validation_size) to choose the decision threshold and stop early"))
    target: str | None = field(default=None, metadata=doc("target column"))
    positive_label: Any = field(default=None, metadata=doc("the target value counted as positive"))
    base_rate_train: Probability | None = field(default=None, metadata=doc("share of positives in training"))
    base_rate_test: Probability | None = field(default=None, metadata=doc("share of positives in test"))
    sensitive_features: list[str] = field(default_factory=list, metadata=doc("sensitive feature columns"))
    sensitive_bins: dict[str, SensitiveBinning] = field(default_factory=dict, metadata=doc(
        "sensitive column → how its numbers were cut into groups (columns absent here keep one group per value)"))
    stratify: str | None = field(default=None, metadata=doc(
        "what the test and validation splits were stratified on: target, or groups (sensitive group × target); null "
        "with a test file"))
    rows_dropped_missing_target: dict[str, Count] = field(default_factory=dict, metadata=doc(
        "table (training, test) → rows dropped for a missing target (data.drop_missing_target)"))
    rows_dropped_duplicate_records: dict[str, Count] = field(default_factory=dict, metadata=doc(
        "table (training, test) → rows dropped for repeating an earlier row in every column "
        "(data.drop_duplicate_records)"))
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
    identifier_scan: list[IdentifierFinding] | None = field(default=None, metadata=doc(
        "identifier-scan findings of the training rows (run_audit and audit_model alike; records before 2.0 of "
        "audit_model: privacy.identifier_scan); null when not run"))
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
class DecisionThreshold(Section):
    """How a binary model turns scores into decisions: the threshold, the rule that chose it, and on what."""

    value: float | None = field(default=None, metadata=doc("decisions are positive where the score is at or above it"))
    rule: str | None = field(default=None, metadata=doc(
        "base_rate, balanced_accuracy, f1 (chosen on the validation rows) or fixed (training.threshold)"))
    rule_text: str | None = field(default=None, metadata=doc("the rule in words"))
    validation: dict[str, Any] = field(default_factory=dict, metadata=doc(
        "validation rows at the threshold: rows, accuracy, balanced_accuracy, tpr, fpr, precision, f1, selection_rate"))
    at_0_5: dict[str, Any] = field(default_factory=dict, metadata=doc("the same validation figures at 0.5"))


@dataclass(kw_only=True)
class ModelSummary(Section):
    """One trained (or audited) model: test metrics and training settings."""

    test_accuracy: Probability | None = field(metadata=doc("test accuracy"))
    test_roc_auc: Probability | None = field(default=None, metadata=doc("test ROC AUC"))
    test_macro_f1: Probability | None = field(default=None, metadata=doc("test macro-averaged F1 (multiclass)"))
    test_balanced_accuracy: Probability | None = field(default=None, metadata=doc(
        "test balanced accuracy, the mean recall over classes (binary at the decision threshold, multiclass)"))
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
    decision_threshold: DecisionThreshold | None = field(default=None, metadata=doc(
        "binary models: the decision threshold every audit of decisions uses, its rule and validation figures"))
    class_weights: list[float] | None = field(default=None, metadata=doc(
        "loss weight of each class (training.class_weight); null when the loss was not weighted"))
    epochs_run: Count | None = field(default=None, metadata=doc("epochs actually trained (early stopping)"))
    best_epoch: Count | None = field(default=None, metadata=doc("the epoch whose weights were kept (lowest validation loss)"))
    stopped_early: bool | None = field(default=None, metadata=doc("training stopped before its epochs ran out"))
    validation_history: list[float] = field(default_factory=list, metadata=doc(
        "what early stopping minimised, per epoch: 1 − ROC AUC on the validation rows (classifiers; macro one-vs-rest "
        "for several classes), else the validation loss"))


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
