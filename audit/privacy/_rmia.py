"""RMIA, offline (Zarifzadeh, Liu, Shokri & Teh 2024, "Low-Cost High-Power Membership Inference Attacks").

For a target row x with label y, the likelihood ratio of the audited model θ against the
population is ``LR(x) = Pr(y | x, θ) / Pr(y | x)``, where ``Pr(y | x)`` is what models *not*
trained on x give. Offline, every reference model is "out" for x, and the paper corrects the
bias of out-only averages with a linear interpolation towards an "in" model::

    Pr(y | x) ≈ ½ ((1 + a) · mean_ref Pr(y | x, θ_ref) + (1 - a))

(``a`` = 0.3 by default; the paper picks it per dataset on reference models; ``a = 1`` is the
plain out-average). RMIA's score compares LR(x) against population rows z: the fraction of z
with ``LR(x) / LR(z) > γ``. For one audited model and a fixed set of z, that fraction is a
non-decreasing step function of LR(x), so it ranks targets as LR(x) does, except that a finite z
set ties many targets at the top. The attack therefore ranks by log LR(x) in float64 (same order,
no ties), which is the limit of many z; the ROC and the low-FPR figures are those of that score.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from torch import nn

from audit.privacy._reference_models import log_true_probability, model_logits

__all__ = ["DEFAULT_RMIA_A", "rmia_scores"]

DEFAULT_RMIA_A = 0.3
_A = "rmia offline a must be in (0, 1]; found {value!r}. Fix: use 0.3 (the paper's tabular setting) or 1."


def rmia_scores(model: nn.Module, reference_models: Sequence[nn.Module], X: Any, y: Any, *,
                a: float = DEFAULT_RMIA_A) -> np.ndarray:
    """log Pr(y|x, θ) - log Pr(y|x) for each row (float64; higher means "member").

    Examples
    --------
    >>> import torch
    >>> from audit.models import MLP
    >>> torch.manual_seed(0); m = MLP(3, hidden=(4,))  # doctest: +ELLIPSIS
    <...>
    >>> X = np.zeros((2, 3), dtype=np.float32); y = np.array([0.0, 1.0])
    >>> np.allclose(rmia_scores(m, [m], X, y, a=1.0), 0.0)  # the model against itself: no signal
    True
    """
    if not (isinstance(a, (int, float)) and 0 < a <= 1):
        from audit.exceptions import DataError

        raise DataError(_A.format(value=a))
    log_p = log_true_probability(model_logits(model, X), y)
    ref = np.stack([np.exp(log_true_probability(model_logits(r, X), y)) for r in reference_models])
    p_out = ref.mean(axis=0)
    p_x = 0.5 * ((1.0 + a) * p_out + (1.0 - a))
    return log_p - np.log(p_x)
