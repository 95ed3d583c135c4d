"""The privacy section: DP training, membership inference, canary audit, identifier scan, utility curve.

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
from audit.result._common import Count, Probability
from audit.result._run import IdentifierFinding

__all__ = ["Attack", "CanaryAudit", "DPTraining", "MembershipInference", "Privacy", "RocCurve", "UtilityPoint"]

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
    steps: Count | None = field(default=None, metadata=doc("optimizer steps"))
    epsilon_history: list[float | None] = field(default_factory=list, metadata=doc("ε after each epoch"))
    loss_history: list[float | None] = field(default_factory=list, metadata=doc("training loss per epoch"))
    module_fixes: list[str] = field(default_factory=list, metadata=doc("layers replaced to make the model DP-compatible"))
    resumed_from_epoch: int | None = field(default=None, metadata=doc("epoch a checkpoint resumed from"))
    seconds_per_epoch: list[float | None] = field(default_factory=list, metadata=doc("wall time per epoch"))
    secure_rng: bool | None = field(default=None, metadata=doc("cryptographically secure noise"))


@dataclass(kw_only=True)
class RocCurve(Section):
    """An ROC curve."""

    fpr: list[float | None] = field(default_factory=list, metadata=doc("false positive rates"))
    tpr: list[float | None] = field(default_factory=list, metadata=doc("true positive rates"))


@dataclass(kw_only=True)
class Attack(Section):
    """One membership-inference attack."""

    auc: Probability | None = field(default=None, metadata=doc("attack ROC AUC (0.5 = chance)"))
    tpr_at_1pct_fpr: Probability | None = field(default=None, metadata=doc("TPR at 1 % FPR"))
    tpr_at_01pct_fpr: Probability | None = field(default=None, metadata=doc("TPR at 0.1 % FPR", key="tpr_at_0.1pct_fpr"))
    advantage: float | None = field(default=None, metadata=doc("max TPR − FPR"))
    roc: RocCurve | None = field(default=None, metadata=doc("the attack's ROC curve"))


@dataclass(kw_only=True)
class MembershipInference(Section):
    """Membership inference against one model."""

    n_members: Count | None = field(default=None, metadata=doc("training rows attacked"))
    n_nonmembers: Count | None = field(default=None, metadata=doc("held-out rows attacked"))
    attacks: dict[str, Attack] = field(default_factory=dict, metadata=doc("attack name → result"))


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


@dataclass(kw_only=True)
class UtilityPoint(Section):
    """One point of the privacy–utility curve."""

    epsilon: _Positive | None = field(metadata=doc("ε (null = non-private)"))
    accuracy: Probability | None = field(metadata=doc("test accuracy"))
    by_group_accuracy: dict[str, dict[str, float | None]] = field(default_factory=dict, metadata=doc("feature → group → accuracy"))
    demographic_parity_difference: dict[str, float | None] = field(default_factory=dict, metadata=doc("feature → DP difference"))
    equalized_odds_difference: dict[str, float | None] = field(default_factory=dict, metadata=doc("feature → EO difference"))
    accuracy_drop_by_group: dict[str, dict[str, float | None]] = field(default_factory=dict, metadata=doc("feature → group → accuracy lost to DP"))


@dataclass(kw_only=True)
class Privacy(Section):
    """Privacy audits."""

    dp: DPTraining | None = field(default=None, metadata=doc("DP training; null when privacy is off"))
    membership_inference: dict[str, MembershipInference] = field(default_factory=dict, metadata=doc("model → attacks"))
    canary_audit: CanaryAudit | None = field(default=None, metadata=doc("canary audit; absent when not run"))
    identifier_scan: list[IdentifierFinding] | None = field(default=None, metadata=doc("identifier-scan findings; null when not run"))
    utility_curve: list[UtilityPoint] = field(default_factory=list, metadata=doc("privacy–utility curve"))
