"""Privacy: DP training through Opacus, and an audit of what a model actually leaks.

Examples
--------
>>> from audit.privacy import DP_DEFAULTS, train_private
>>> DP_DEFAULTS["batch_size"]
1024
"""

from audit.privacy._settings import DELTA_RULE, DP_DEFAULTS, default_delta, validate_privacy_settings
from audit.privacy._train import PrivateTrainingResult, prepare_module, resolve_grad_sample_mode, train_private

__all__ = [
    "DELTA_RULE",
    "DP_DEFAULTS",
    "PrivateTrainingResult",
    "default_delta",
    "prepare_module",
    "resolve_grad_sample_mode",
    "train_private",
    "validate_privacy_settings",
]
