"""Every list of allowed values, in one place.

The config validates against these names, the command line offers them, the
cards and the dashboard display them, and the library functions check their
arguments against them. A name is added here once; a test holds each library
registry (Opacus's accountants, Fairlearn's constraints, the explainers, the bundled
datasets) equal to the names listed here. The metrics a gate can name are registered with
their specifications in :mod:`audit.metrics` (built on the names here: the disparities
each task's group report computes, the tasks and what they allow).

This module imports nothing but the standard library, so the CLI, the config and
the dashboard can read it without importing torch.

Examples
--------
>>> "equal_opportunity" in MITIGATION_CONSTRAINTS
True
>>> "demographic_parity_ratio" in FAIRNESS_DISPARITIES
True
>>> one_of(("prv", "rdp", "gdp"))
'"prv", "rdp" or "gdp"'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

__all__ = [
    "ACCOUNTANTS",
    "BUNDLED_DATASETS",
    "CANARY_KINDS",
    "CONFIG_TASKS",
    "DASHBOARD_HOST",
    "DASHBOARD_PORT",
    "CONCERN_SEVERITIES",
    "DISPARITY_GROUPS",
    "EVIDENCE_FRAMEWORKS",
    "EXPLAIN_BASELINES",
    "FAIRNESS_DISPARITIES",
    "GATE_GROUPS",
    "GATE_OUTCOMES",
    "GATE_SEVERITIES",
    "GRAD_SAMPLE_MODES",
    "IDENTITY_CATEGORIES",
    "IDENTIFIER_POLICIES",
    "IMAGE_METHODS",
    "INPUT_KINDS",
    "MAX_SENSITIVE_GROUPS",
    "MITIGATIONS",
    "MITIGATION_CONSTRAINTS",
    "MODEL_KINDS",
    "TEXT_MODEL_KINDS",
    "MODEL_ROLES",
    "MULTICLASS_DISPARITIES",
    "OPTIMIZERS",
    "REGRESSION_DISPARITIES",
    "REVIEW_DECISIONS",
    "REVIEW_DECISION_LABELS",
    "SPLIT_STRATIFY",
    "TABULAR_METHODS",
    "TASKS",
    "TASK_KINDS",
    "TaskKind",
    "THRESHOLD_RULES",
    "CLASS_WEIGHTS",
    "UNDEFINED_MODES",
    "VERDICTS",
    "one_of",
    "task_kind",
]

# ------------------------------------------------------------------ data and models
#: Datasets shipped with the package or read from a registry package it depends on (``[data] bundled``):
#: UCI Adult (binary, and occupation for multiclass), scikit-learn's diabetes data (regression) and UCI Farm Ads
#: from the ``dmba`` wheel (texts; the ``text`` extra). audit.data.datasets.BUNDLED_DATASETS loads them.
BUNDLED_DATASETS = ("adult", "diabetes", "farm_ads")
#: ``[model] kind``: the built-in MLP, a user factory returning an nn.Module, the built-in bag-of-embeddings
#: text classifier, or a Hugging Face sequence classifier saved in a local folder (the last two for ``data.text_column``).
MODEL_KINDS = ("mlp", "factory", "text", "transformers")
#: The model kinds that read texts (``data.text_column``) rather than a table's encoded features.
TEXT_MODEL_KINDS = ("text", "transformers")
#: ``[data] identifier_columns``: what to do with identifier-like, raw-date and free-text feature columns.
IDENTIFIER_POLICIES = ("exclude", "refuse", "keep")
#: ``[split] stratify``: what the test split (and the validation split) keeps in proportion: the target alone, or
#: each sensitive group × the target (strata too small to split merged), so that small groups get their share.
SPLIT_STRATIFY = ("target", "groups")
#: The two models an audit trains and compares; gates name one of them.
MODEL_ROLES = ("private", "reference")
#: ``task``: what the model predicts: a yes/no label, one of several classes, or a number.
CONFIG_TASKS = ("binary", "multiclass", "regression")
#: What the audited model does (``AuditResult.task``): the config's task on tables or texts, or images.
TASKS = ("binary-classification", "image-classification", "multiclass-classification", "regression",
         "text-classification")


#: What a model reads (``AuditResult.input``): the input axis, separate from the target's kind.
INPUT_KINDS = ("table", "text", "image")


class TaskKind(NamedTuple):
    """What a kind of target allows, declared once (the audit.tasks classes, the config checks and the readers
    all read it; readers get it without importing the training code).

    ``result_task`` is the ``AuditResult.task`` of a table audit of this kind (every kind's group report goes to
    the record's ``fairness`` section); the flags say which settings and audits apply.
    """

    name: str
    result_task: str
    classifier: bool = False  # predicts a class: class weights, accuracy, a ranking to stop early on
    has_positive_class: bool = False  # data.positive_label is required (and refused otherwise)
    has_threshold: bool = False  # a decision threshold on a positive score (training.threshold)
    has_classes: bool = False  # class labels, in the model's output order
    has_scores_auc: bool = False  # a positive score: ROC AUC, calibration, the identity-subgroup AUCs
    texts: bool = False  # a text classifier may have this task (data.text_column)
    utility_curve: bool = False  # privacy.utility_curve: parity of binary decisions at each ε
    mitigation: bool = False  # fairness.mitigation (Fairlearn's binary constraints)
    input_canaries: bool = False  # privacy.canary_kind = "input" (label-flipped rows)
    disparities_over_all_groups: bool = False  # gates with groups = "all" (Fairlearn's all-groups numbers kept)
    score_command: bool = False  # rai-audit score rebuilds and applies its models
    slices: bool = False  # error analysis: errors are label mismatches


#: Every config task and what it allows (one source: audit.tasks, the config checks, cards and dashboard read it).
TASK_KINDS: dict[str, TaskKind] = {
    "binary": TaskKind("binary", "binary-classification", classifier=True, has_positive_class=True,
                       has_threshold=True,
                       has_scores_auc=True, texts=True, utility_curve=True, mitigation=True, input_canaries=True,
                       disparities_over_all_groups=True, score_command=True, slices=True),
    "multiclass": TaskKind("multiclass", "multiclass-classification", classifier=True, has_classes=True,
                           texts=True, input_canaries=True, slices=True),
    "regression": TaskKind("regression", "regression"),
}
assert tuple(TASK_KINDS) == CONFIG_TASKS


def task_kind(task: str | None) -> TaskKind | None:
    """The :class:`TaskKind` of a config task or of an ``AuditResult.task`` (a text classifier: binary unless the
    record says more; images: binary), or None for an unknown name.

    Examples
    --------
    >>> task_kind("multiclass-classification").name, task_kind("regression").result_task
    ('multiclass', 'regression')
    """
    if task in TASK_KINDS:
        return TASK_KINDS[task]
    by_result = {k.result_task: k for k in TASK_KINDS.values()}
    if task in by_result:
        return by_result[task]
    return TASK_KINDS["binary"] if task in ("text-classification", "image-classification") else None

#: ``[training] threshold``: the rule that chooses a binary model's decision threshold on validation rows
#: (audit.models.decisions), besides a fixed number in (0, 1).
THRESHOLD_RULES = ("base_rate", "balanced_accuracy", "f1")
#: ``[training] class_weight``: inverse-frequency weights in the loss ("auto": when the rarest class is under 20%).
CLASS_WEIGHTS = ("auto", "balanced", "none")

# ------------------------------------------------------------------ privacy (Opacus)
#: Opacus accountants (``opacus.accountants.create_accountant`` mechanism names).
ACCOUNTANTS = ("prv", "rdp", "gdp")
#: How per-example gradients are computed: rai-audit's book-keeping trainer, or an Opacus GradSampleModule mode.
GRAD_SAMPLE_MODES = ("auto", "bookkeeping", "ghost", "hooks", "functorch", "ew")
#: Optimizers of the DP training.
OPTIMIZERS = ("adam", "sgd")
#: ``[privacy] canary_kind``: white-box gradient canaries, black-box input canaries, or the best available.
CANARY_KINDS = ("auto", "gradient", "input")

# ------------------------------------------------------------------ fairness (Fairlearn)
#: Constraints the mitigation supports (ThresholdOptimizer and ExponentiatedGradient both offer each).
MITIGATION_CONSTRAINTS = ("demographic_parity", "equalized_odds", "equal_opportunity")
#: ``[fairness] mitigation``: a constraint, or "none" to skip mitigation.
MITIGATIONS = ("none", *MITIGATION_CONSTRAINTS)
#: How a rate undefined for a group (no positives, say) is reported: Fairlearn's 0, or None.
UNDEFINED_MODES = ("zero", "none")
#: Disparities computed per sensitive feature (each can be gated).
FAIRNESS_DISPARITIES = (
    "demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
    "equalized_odds_ratio", "equalized_odds_difference_mean", "equal_opportunity_difference",
    "equal_opportunity_ratio", "predictive_parity_difference", "predictive_parity_ratio", "accuracy_difference",
    "roc_auc_difference", "roc_auc_ratio",
)  # fmt: skip

#: Identity-term categories of the counterfactual text audit (audit.text; ``[text] identity_categories``).
IDENTITY_CATEGORIES = ("gender", "ethnicity", "religion", "age", "disability")

# ------------------------------------------------------------------ explanations (Captum)
#: Attribution methods for tabular models, in the order the config lists them.
TABULAR_METHODS = ("integrated_gradients", "deeplift", "gradient_shap", "feature_ablation", "permutation")
#: Attribution methods for image models.
IMAGE_METHODS = ("saliency", "occlusion", "integrated_gradients")
#: ``[explain] baseline``: the reference input the attributions are measured against.
EXPLAIN_BASELINES = ("training_mean", "training_sample")

# ------------------------------------------------------------------ gates and governance
#: ``[[gates]] severity``: an error fails the verdict, a warning is reported only.
GATE_SEVERITIES = ("error", "warning")
#: What one gate found: the bound holds, it does not, or the evidence cannot decide (a degenerate model, a
#: disparity resting on fewer than two groups with enough data). An inconclusive error gate fails the verdict
#: unless the gate says ``allow_inconclusive = true``.
GATE_OUTCOMES = ("pass", "fail", "inconclusive")
#: ``[fairness] disparity_groups`` and ``[[gates]] groups``: disparities over the groups with enough data for the
#: metric (default) or over every group.
DISPARITY_GROUPS = ("sufficient", "all")
#: Most groups of one sensitive feature, in ``rai-audit run`` and ``rai-audit fairness`` alike (more is an
#: identifier or free text, and would build that many groups before any report).
MAX_SENSITIVE_GROUPS = 100
GATE_GROUPS = DISPARITY_GROUPS
#: The verdict of an audit.
VERDICTS = ("pass", "fail")
#: How much a concern (audit.verdict.concerns) matters: critical undermines the verdict, warning qualifies it, info explains it.
CONCERN_SEVERITIES = ("critical", "warning", "info")
#: A reviewer's decision on a run.
REVIEW_DECISIONS = ("approve", "reject")
#: How the cards and the dashboard state a decision (one key per REVIEW_DECISIONS entry).
REVIEW_DECISION_LABELS = {"approve": "APPROVED", "reject": "REJECTED"}
#: ``rai-audit evidence --framework``: the governance frameworks an evidence pack maps a run to (audit.evidence).
EVIDENCE_FRAMEWORKS = ("eu-ai-act", "nist-ai-rmf", "iso-42001")
#: Where ``rai-audit dashboard`` listens by default (this machine only); the CLI and the dashboard read them here.
DASHBOARD_HOST = "127.0.0.1"
DASHBOARD_PORT = 8501


#: Disparities of a multiclass model per sensitive feature (audit.fairness.multiclass_fairness_report).
MULTICLASS_DISPARITIES = (
    "accuracy_difference", "macro_recall_difference", "macro_f1_difference", "selection_rate_difference_ovr",
    "selection_rate_ratio_ovr", "recall_difference_ovr",
)  # fmt: skip
#: Disparities of a regression model per sensitive feature (audit.fairness.regression_fairness_report).
REGRESSION_DISPARITIES = (
    "mae_difference", "mae_ratio", "rmse_difference", "rmse_ratio", "mean_prediction_difference",
    "mean_error_difference", "worst_group_mae", "worst_group_rmse",
)  # fmt: skip


def one_of(choices: Iterable[str]) -> str:
    """The choices as readable text for a message: ``"a", "b" or "c"``.

    Examples
    --------
    >>> one_of(["mlp", "factory"])
    '"mlp" or "factory"'
    >>> one_of(["adult"])
    '"adult"'
    """
    quoted = [f'"{c}"' for c in choices]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
