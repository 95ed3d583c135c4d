"""GradientShap (Lundberg and Lee 2017) through Captum, sampling the baselines given."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from audit.explain._base import Explainer, register

__all__ = ["GradientShap"]

_CHUNK_ROWS = 2048


@register
class GradientShap(Explainer):
    """Captum's ``GradientShap``: expected gradients over baselines and path points.

    Each row is explained ``n_samples`` times, each time with a baseline drawn
    from the ``k`` given and a random point on the path; the mean approximates
    SHAP values. With one baseline it is a Monte Carlo Integrated Gradients.

    Parameters
    ----------
    n_samples : int
        Random (baseline, path point) draws per row.
    stdevs : float
        Gaussian noise added to the inputs (Captum's SmoothGrad-style option; 0 by default).

    Examples
    --------
    >>> import numpy as np
    >>> from audit.models import MLP
    >>> gs = GradientShap(MLP(3, hidden=(4,)), n_samples=4)
    >>> gs.attribute(np.ones((2, 3), dtype=np.float32), baselines=np.zeros((5, 3))).shape
    (2, 3)
    """

    name = "gradient_shap"
    needs_gradients = True

    def __init__(self, model: nn.Module, *, n_samples: int = 20, stdevs: float = 0.0, **kwargs: Any) -> None:
        super().__init__(model, n_samples=n_samples, stdevs=stdevs, **kwargs)
        self.n_samples = int(n_samples)
        self.stdevs = float(stdevs)

    def _attribute(self, X: torch.Tensor, baselines: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        from captum.attr import GradientShap as CaptumGradientShap

        forward, _ = self._forward_fn(target)
        method = CaptumGradientShap(forward)
        parts = []
        for start in range(0, len(X), _CHUNK_ROWS):
            x = X[start : start + _CHUNK_ROWS]
            t = None if target is None else target[start : start + _CHUNK_ROWS]
            parts.append(method.attribute(x, baselines=baselines, n_samples=self.n_samples, stdevs=self.stdevs, target=t))
        return torch.cat(parts)
