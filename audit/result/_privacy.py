"""The privacy section: DP training, membership inference, canary audit, utility curve, the run's privacy statement.

Examples
--------
>>> p = Privacy.from_dict({"dp": None, "membership_inference": {"reference": {"attacks": {"score": {"auc": 0.51}}}}})
>>> p.membership_inference["reference"].attacks["score"].auc
0.51
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from audit.result._base import Schema, Section, doc
from audit.result._common import CI, Count, Probability
from audit.result._run import IdentifierFinding

__all__ = ["Attack", "CanaryAudit", "DPTraining", "GaussianDPAudit", "LowFprPoint", "MembershipInference", "NonmemberCleaning",
           "Privacy", "PrivacyArtefact", "PrivacyStatement", "ReferenceModels", "RocCurve", "UnsavedModel", "UtilityPoint"]

_Positive = Annotated[float, Schema(exclusiveMinimum=0)]
_NonNegative = Annotated[float, Schema(minimum=0)]


@dataclass(kw_only=True)
class DPTraining(Section):
    """Differentially private training (DP-SGD) and its accounting."""

    epsilon_target: _Positive | None = field(default=None, metadata=doc("target ε"))
    epsilon_spent: _NonNegative | None = field(metadata=doc("ε spent (accountant)"))
    delta: Annotated[float, Schema(exclusiveMinimum=0, exclusiveMaximum=1)] = field(metadata=doc("δ"))
    delta_rule: str | None = field(default=None, metadata=doc("how δ was chosen"))
    accountant: str | None = field(default=None, metadata=doc("privacy accountant"))
    max_grad_norm: _Positive | None = field(default=None, metadata=doc("per-sample gradient clipping norm"))
    noise_multiplier: _NonNegative | None = field(default=None, metadata=doc("noise standard deviation over the clipping norm"))
    sample_rate: Probability | None = field(default=None, metadata=doc("Poisson sampling rate"))
    epochs: Count | None = field(default=None, metadata=doc("training epochs"))
    batch_size: Annotated[int, Schema(minimum=1)] | None = field(default=None, metadata=doc("expected batch size"))
    learning_rate: float | None = field(default=None, metadata=doc("learning rate"))
    optimizer: str | None = field(default=None, metadata=doc("optimizer"))
    poisson_sampling: bool | None = field(default=None, metadata=doc("Poisson sampling of batches"))
    grad_sample_mode: str | None = field(default=None, metadata=doc("per-sample gradient mode"))
    n_train: Count | None = field(default=None, metadata=doc("training rows"))
    steps: Count | None = field(default=None, metadata=doc("optimizer steps taken (accounted)"))
    epsilon_history: list[float | None] = field(default_factory=list, metadata=doc("ε after each epoch"))
    loss_history: list[float | None] = field(default_factory=list, metadata=doc("training loss per epoch"))
    module_fixes: list[str] = field(default_factory=list, metadata=doc("layers replaced to make the model DP-compatible"))
    resumed_from_epoch: int | None = field(default=None, metadata=doc("epoch a checkpoint resumed from"))
    seconds_per_epoch: list[float | None] = field(default_factory=list, metadata=doc("wall time per epoch"))
    secure_rng: bool | None = field(default=None, metadata=doc("cryptographically secure noise"))
    epochs_run: Count | None = field(default=None, metadata=doc(
        "epochs actually trained (early stopping); steps and ε spent are those of these epochs"))
    best_epoch: Count | None = field(default=None, metadata=doc("the epoch whose weights were kept"))
    stopped_early: bool | None = field(default=None, metadata=doc("training stopped before its epochs ran out"))
    validation_history: list[float] = field(default_factory=list, metadata=doc(
        "what early stopping minimised per epoch, on validation rows outside the DP guarantee"))


@dataclass(kw_only=True)
class RocCurve(Section):
    """An ROC curve."""

    fpr: list[float | None] = field(default_factory=list, metadata=doc("false positive rates"))
    tpr: list[float | None] = field(default_factory=list, metadata=doc("true positive rates"))
    tpr_lower: list[float | None] = field(default_factory=list, metadata=doc("Clopper–Pearson lower bound of each TPR"))
    tpr_upper: list[float | None] = field(default_factory=list, metadata=doc("Clopper–Pearson upper bound of each TPR"))
    false_positives: list[int | None] = field(default_factory=list, metadata=doc("non-members at or above each threshold"))


@dataclass(kw_only=True)
class LowFprPoint(Section):
    """An attack's TPR at a target FPR, with the counts behind it, or why it is not reported."""

    target_fpr: Probability | None = field(default=None, metadata=doc("the FPR asked for"))
    false_positive_allowance: Count | None = field(default=None, metadata=doc(
        "non-members the threshold may admit: floor(target × non-members)"))
    true_positives: Count | None = field(default=None, metadata=doc("members at or above the threshold"))
    false_positives: Count | None = field(default=None, metadata=doc("non-members at or above the threshold"))
    n_members: Count | None = field(default=None, metadata=doc("members attacked"))
    n_nonmembers: Count | None = field(default=None, metadata=doc("non-members attacked"))
    fpr: Probability | None = field(default=None, metadata=doc("FPR achieved at the threshold"))
    fpr_ci: CI | None = field(default=None, metadata=doc("Clopper–Pearson interval of the FPR"))
    tpr: Probability | None = field(default=None, metadata=doc("TPR at the threshold; null when not reported"))
    tpr_ci: CI | None = field(default=None, metadata=doc(
        "interval of the true TPR at the target FPR, with the threshold's uncertainty (see tpr_ci_method; records "
        "without that key: Clopper–Pearson at the chosen threshold); null when not reported"))
    tpr_ci_method: str | None = field(default=None, metadata=doc("how tpr_ci was computed"))
    false_positive_bounds: list[int | None] | None = field(default=None, metadata=doc(
        "ranks [k, j] of the non-member scores (from the top) between which the true threshold lies, for tpr_ci"))
    confidence: Probability | None = field(default=None, metadata=doc("interval confidence"))
    min_false_positives: Count | None = field(default=None, metadata=doc(
        "the non-members a reported TPR needs behind its threshold (older records: in its allowance)"))
    not_reported: str | None = field(default=None, metadata=doc("why the TPR is not reported; null when it is"))


@dataclass(kw_only=True)
class Attack(Section):
    """One membership-inference attack."""

    auc: Probability | None = field(default=None, metadata=doc("attack ROC AUC (0.5 = chance)"))
    auc_p_value: Probability | None = field(default=None, metadata=doc(
        "one-sided Mann–Whitney p-value of an AUC above 0.5"))
    auc_p_holm: Probability | None = field(default=None, metadata=doc(
        "auc_p_value adjusted over the model's attacks (Holm)"))
    above_chance: bool | None = field(default=None, metadata=doc(
        "auc_p_holm below 0.05: the attack tells members from non-members at all"))
    tpr_at_1pct_fpr: Probability | None = field(default=None, metadata=doc("TPR at 1 % FPR"))
    tpr_at_01pct_fpr: Probability | None = field(default=None, metadata=doc("TPR at 0.1 % FPR", key="tpr_at_0.1pct_fpr"))
    advantage: float | None = field(default=None, metadata=doc("max TPR − FPR"))
    low_fpr: list[LowFprPoint] = field(default_factory=list, metadata=doc("TPR at 1 % and 0.1 % FPR with counts and intervals"))
    roc: RocCurve | None = field(default=None, metadata=doc("the attack's ROC curve"))


@dataclass(kw_only=True)
class NonmemberCleaning(Section):
    """How the attacked rows were selected: feature vectors unique in the table, on both sides (older records: the
    held-out rows repeating a training row were removed from the non-members only)."""

    rule: str | None = field(default=None, metadata=doc("the selection rule, in words"))
    heldout_rows: Count | None = field(default=None, metadata=doc("held-out rows before cleaning"))
    exact_duplicates_removed: Count | None = field(default=None, metadata=doc(
        "held-out rows whose encoded features equal a training row's"))
    near_duplicates_removed: Count | None = field(default=None, metadata=doc("held-out rows equal to a training row after rounding"))
    heldout_repeats_removed: Count | None = field(default=None, metadata=doc(
        "held-out rows repeating another held-out row (but no training row)"))
    near_decimals: int | None = field(default=None, metadata=doc("decimals kept when rounding; null: no near-duplicate check"))
    clean_heldout_rows: Count | None = field(default=None, metadata=doc("held-out rows eligible as non-members"))
    train_rows: Count | None = field(default=None, metadata=doc("training rows"))
    clean_train_rows: Count | None = field(default=None, metadata=doc(
        "training rows eligible as members (feature vector unique in the table)"))
    duplicated_share: Probability | None = field(default=None, metadata=doc(
        "share of all rows whose feature vector occurs more than once (not attacked)"))
    population_rows: Count | None = field(default=None, metadata=doc("held-out rows the reference models trained on"))
    population_overlap: Count | None = field(default=None, metadata=doc(
        "attacked non-members with an exact or near copy in the reference models' population (0 by construction)"))


@dataclass(kw_only=True)
class ReferenceModels(Section):
    """The reference models of the RMIA and LiRA attacks (never saved)."""

    k: Count | None = field(default=None, metadata=doc("reference models (0: none trained)"))
    skipped: str | None = field(default=None, metadata=doc("why none were trained"))
    trainer: str | None = field(default=None, metadata=doc("how they were trained (as the audited model)"))
    attacks: list[str] = field(default_factory=list, metadata=doc("attacks that used them"))
    rows_per_model: list[int | None] = field(default_factory=list, metadata=doc("disjoint population rows per model"))
    population_rows: Count | None = field(default=None, metadata=doc("population rows split between them"))
    seconds_per_model: list[float | None] = field(default_factory=list, metadata=doc("training time per model"))
    seconds: _NonNegative | None = field(default=None, metadata=doc("whole reference attack (training and scoring)"))
    rmia_a: float | None = field(default=None, metadata=doc("RMIA offline interpolation a"))
    saved: bool | None = field(default=None, metadata=doc("whether their weights were saved (never)"))


@dataclass(kw_only=True)
class MembershipInference(Section):
    """Membership inference against one model."""

    n_members: Count | None = field(default=None, metadata=doc("training rows attacked"))
    n_nonmembers: Count | None = field(default=None, metadata=doc("held-out rows attacked"))
    attacks: dict[str, Attack] = field(default_factory=dict, metadata=doc("attack name → result"))
    nonmember_cleaning: NonmemberCleaning | None = field(default=None, metadata=doc("how the attacked rows were selected"))
    inconclusive_reason: str | None = field(default=None, metadata=doc(
        "why the attack cannot be informative (too few rows with a unique feature vector); a gate on it is inconclusive"))
    reference_models: ReferenceModels | None = field(default=None, metadata=doc("reference models of RMIA and LiRA"))


@dataclass(kw_only=True)
class CanaryAudit(Section):
    """One-run canary audit: an empirical lower bound on ε."""

    method: str | None = field(default=None, metadata=doc("canary kind and attack"))
    m: Count | None = field(default=None, metadata=doc("canaries"))
    k_plus: int | None = field(default=None, metadata=doc("positive guesses"))
    k_minus: int | None = field(default=None, metadata=doc("negative guesses"))
    n_guesses: Count | None = field(default=None, metadata=doc("guesses made"))
    n_correct: Count | None = field(default=None, metadata=doc("correct guesses"))
    epsilon_lower_bound: _NonNegative | None = field(default=None, metadata=doc("empirical ε lower bound"))
    confidence: Annotated[float, Schema(exclusiveMinimum=0, exclusiveMaximum=1)] | None = field(
        default=None, metadata=doc("confidence of the bound"))
    delta: float | None = field(default=None, metadata=doc("δ used for the bound"))
    epsilon_accountant: float | None = field(default=None, metadata=doc("ε the accountant reported"))
    private: bool | None = field(default=None, metadata=doc("audited the private model"))
    mean_times_sampled: _NonNegative | None = field(default=None, metadata=doc("white-box canaries: mean times each was sampled"))
    score_noise_ratio: _NonNegative | None = field(default=None, metadata=doc("white-box canaries: released noise over assumed noise"))
    gaussian_dp: GaussianDPAudit | None = field(default=None, metadata=doc("f-DP (Gaussian DP) analysis of the same guesses"))


@dataclass(kw_only=True)
class GaussianDPAudit(Section):
    """f-DP analysis of the canary guesses (Mahloujifar, Melis & Chaudhuri 2025): a lower bound on μ-GDP."""

    method: str | None = field(default=None, metadata=doc("the analysis"))
    mu_lower_bound: _NonNegative | None = field(default=None, metadata=doc("empirical lower bound on μ (see assumption)"))
    assumption: str | None = field(default=None, metadata=doc("what the μ bound promises, and under which assumption"))
    epsilon_lower_bound: _NonNegative | None = field(default=None, metadata=doc(
        "null: no ε is derived from μ (older records: the ε μ implies under a Gaussian trade-off curve, which is not a "
        "lower bound for other mechanisms)"))
    epsilon_not_reported: str | None = field(default=None, metadata=doc("why no ε is derived from μ"))
    mu_accountant: _NonNegative | None = field(default=None, metadata=doc(
        "white-box canaries: μ of the noise used, by the f-DP central limit theorem q·sqrt(T(exp(1/σ²) − 1)) (approximate)"))
    confidence: Probability | None = field(default=None, metadata=doc("confidence of the bound"))
    k: Count | None = field(default=None, metadata=doc("guesses the bound used"))
    n_correct: Count | None = field(default=None, metadata=doc("correct guesses among them"))


@dataclass(kw_only=True)
class UtilityPoint(Section):
    """One point of the privacy–utility curve."""

    epsilon: _Positive | None = field(metadata=doc("ε (null = non-private)"))
    accuracy: Probability | None = field(metadata=doc("test accuracy"))
    by_group_accuracy: dict[str, dict[str, float | None]] = field(default_factory=dict, metadata=doc("feature → group → accuracy"))
    demographic_parity_difference: dict[str, float | None] = field(default_factory=dict, metadata=doc("feature → DP difference"))
    equalized_odds_difference: dict[str, float | None] = field(default_factory=dict, metadata=doc("feature → EO difference"))
    accuracy_drop_by_group: dict[str, dict[str, float | None]] = field(default_factory=dict, metadata=doc(
        "feature → group → accuracy lost to DP"))
    source: str | None = field(default=None, metadata=doc("where the point's model came from (the audited private model, "
                                                          "or trained for the curve; the non-private point is not the reference model)"))
    threshold: float | None = field(default=None, metadata=doc(
        "the decision threshold of the point's model (chosen by training.threshold's rule on the validation rows)"))


@dataclass(kw_only=True)
class PrivacyArtefact(Section):
    """A file of the run directory and whether the DP guarantee covers it."""

    path: str | None = field(default=None, metadata=doc("path relative to the run directory (may hold a *)"))
    private: bool | None = field(default=None, metadata=doc("covered by the DP guarantee"))
    why: str | None = field(default=None, metadata=doc("the reason"))


@dataclass(kw_only=True)
class UnsavedModel(Section):
    """A model the run trained on the data and discarded."""

    what: str | None = field(default=None, metadata=doc("the model"))
    private: bool | None = field(default=None, metadata=doc("trained with DP"))
    why: str | None = field(default=None, metadata=doc("what it means for the guarantee"))
    saved: bool | None = field(default=None, metadata=doc("written to the run directory (never)"))


@dataclass(kw_only=True)
class PrivacyStatement(Section):
    """What the run directory as a whole promises: which artefacts are private, and what to publish."""

    guarantee: str | None = field(default=None, metadata=doc("the guarantee in one sentence; null without DP"))
    epsilon: _NonNegative | None = field(default=None, metadata=doc("ε of the private model (accountant)"))
    delta: float | None = field(default=None, metadata=doc("δ"))
    accountant: str | None = field(default=None, metadata=doc("privacy accountant"))
    neighbouring: str | None = field(default=None, metadata=doc("the neighbouring relation"))
    sample_rate: Probability | None = field(default=None, metadata=doc("q = 1/ceil(N/B)"))
    sampling: str | None = field(default=None, metadata=doc("the sampling convention in words"))
    artefacts: list[PrivacyArtefact] = field(default_factory=list, metadata=doc("files written, private or not"))
    not_saved: list[UnsavedModel] = field(default_factory=list, metadata=doc("models trained and discarded"))
    dp_trainings_on_training_rows: Count | None = field(default=None, metadata=doc("DP trainings that used the training rows"))
    composition: str | None = field(default=None, metadata=doc("how the guarantees compose, when several"))
    validation_rows: str | None = field(default=None, metadata=doc(
        "what the validation rows chose (the epoch kept, the decision threshold) and that ε does not cover them"))
    publish: list[str] = field(default_factory=list, metadata=doc("what to publish for the guarantee to hold"))
    do_not_publish: list[str] = field(default_factory=list, metadata=doc("what the guarantee does not cover"))


@dataclass(kw_only=True)
class Privacy(Section):
    """Privacy audits."""

    dp: DPTraining | None = field(default=None, metadata=doc("DP training; null when privacy is off"))
    membership_inference: dict[str, MembershipInference] = field(default_factory=dict, metadata=doc("model → attacks"))
    canary_audit: CanaryAudit | None = field(default=None, metadata=doc("canary audit; absent when not run"))
    identifier_scan: list[IdentifierFinding] | None = field(default=None, metadata=doc(
        "records before 2.0 only (kept as read): the identifier scan, now written once in data.identifier_scan "
        "(read AuditResult.identifier_findings)"))
    utility_curve: list[UtilityPoint] = field(default_factory=list, metadata=doc("privacy–utility curve"))
    statement: PrivacyStatement | None = field(default=None, metadata=doc("what the run directory promises; absent in older records"))
