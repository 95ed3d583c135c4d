"""LiRA, offline (Carlini, Chien, Nasr, Song, Terzis & Tramèr 2022, "Membership Inference Attacks From First Principles").

For each target row, the reference models (none trained on it) give the distribution of the
audited model's logit-scaled confidence ``φ = log(p_y / (1 - p_y))`` had the row been left
out; a row whose φ sits far above that distribution is likely a member. The statistic is the
one-sided Gaussian test ``(φ - μ_out(x)) / σ_out``, ranked in float64 (the paper's
``-log Pr[N(μ, σ²) > φ]`` is a monotone function of it).

With few reference models (the paper: fewer than 64) a per-example variance is unreliable, so
σ_out is the **global** (pooled) spread of the reference models around their per-row mean;
with one reference model it cannot be estimated and 1 is used (the ranking is then by
``φ - μ_out(x)``, the same order a global σ would give). φ comes from the logits exactly, so
confident predictions do not saturate at p = 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from torch import nn

from audit.privacy._reference_models import logit_confidence, model_logits

__all__ = ["lira_scores"]


def lira_scores(model: nn.Module, reference_models: Sequence[nn.Module], X: Any, y: Any) -> np.ndarray:
    """(φ - μ_out) / σ_out for each row (float64; higher means "member").

    Examples
    --------
    >>> import torch
    >>> from audit.models import MLP
    >>> torch.manual_seed(0); m = MLP(3, hidden=(4,))  # doctest: +ELLIPSIS
    <...>
    >>> X = np.zeros((2, 3), dtype=np.float32); y = np.array([0.0, 1.0])
    >>> lira_scores(m, [m, m], X, y).tolist()
    [0.0, 0.0]
    """
    phi = logit_confidence(model_logits(model, X), y)
    ref = np.stack([logit_confidence(model_logits(r, X), y) for r in reference_models])
    mu = ref.mean(axis=0)
    if len(ref) > 1:
        sigma = float(np.sqrt(np.mean((ref - mu) ** 2) * len(ref) / (len(ref) - 1)))
        sigma = sigma if sigma > 0 else 1.0
    else:
        sigma = 1.0
    return (phi - mu) / sigma
