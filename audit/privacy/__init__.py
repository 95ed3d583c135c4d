"""Privacy: DP training through Opacus, and an audit of what a model actually leaks.

The formal half trains with differential privacy (:func:`train_private`); the
empirical half measures leakage (:func:`membership_inference`; :func:`membership_audit` with
clean non-members and the reference-model attacks :func:`rmia_scores` and :func:`lira_scores`;
:func:`canary_audit`, :func:`gradient_canary_audit`) and scans the input for identifiers (:func:`identifier_scan`).
:func:`privacy_statement` says what a run directory's artefacts promise.
:func:`privacy_utility_curve` shows what each ε costs in accuracy and fairness.

Examples
--------
>>> from audit.privacy import DP_DEFAULTS, train_private
>>> DP_DEFAULTS["batch_size"]
1024
"""

from audit.data import identifier_scan
from audit.privacy._canary import canary_audit, epsilon_lower_bound
from audit.privacy._canary_gradient import gradient_canary_audit
from audit.privacy._curve import privacy_utility_curve
from audit.privacy._fdp import gdp_lower_bound
from audit.privacy._lira import lira_scores
from audit.privacy._membership import confidence_score, membership_inference, per_example_loss
from audit.privacy._membership_audit import membership_audit
from audit.privacy._plain import train_non_private
from audit.privacy._prepare import prepare_module, resolve_grad_sample_mode
from audit.privacy._reference_models import private_trainer, train_reference_models
from audit.privacy._rmia import rmia_scores
from audit.privacy._settings import (
    DELTA_RULE,
    DP_DEFAULTS,
    DPSettings,
    default_batch_size,
    default_delta,
    validate_privacy_settings,
)
from audit.privacy._statement import privacy_statement
from audit.privacy._train import PrivateTrainingResult, train_private, train_with_settings

__all__ = [
    "DELTA_RULE",
    "DP_DEFAULTS",
    "DPSettings",
    "PrivateTrainingResult",
    "canary_audit",
    "confidence_score",
    "default_batch_size",
    "default_delta",
    "epsilon_lower_bound",
    "gdp_lower_bound",
    "gradient_canary_audit",
    "identifier_scan",
    "lira_scores",
    "membership_audit",
    "membership_inference",
    "per_example_loss",
    "prepare_module",
    "privacy_statement",
    "privacy_utility_curve",
    "private_trainer",
    "resolve_grad_sample_mode",
    "rmia_scores",
    "train_non_private",
    "train_private",
    "train_reference_models",
    "train_with_settings",
    "validate_privacy_settings",
]
