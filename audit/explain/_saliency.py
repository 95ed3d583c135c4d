"""Saliency (Simonyan et al. 2014): the absolute gradient, through Captum."""

from __future__ import annotations

import torch

from audit.explain._base import Explainer, register

__all__ = ["Saliency"]

_CHUNK_ROWS = 1024


@register
class Saliency(Explainer):
    """|d output / d input| per input element; no baseline.

    Examples
    --------
    >>> import numpy as np
    >>> from audit.models import MLP
    >>> Saliency(MLP(3, hidden=(4,))).attribute(np.ones((2, 3), dtype=np.float32)).shape
    (2, 3)
    """

    name = "saliency"
    needs_gradients = True
    uses_baseline = False
    multiplies_by_inputs = False

    def _attribute(self, X: torch.Tensor, baselines: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        from captum.attr import Saliency as CaptumSaliency

        forward, _ = self._forward_fn(target)
        method = CaptumSaliency(forward)
        parts = []
        for start in range(0, len(X), _CHUNK_ROWS):
            t = None if target is None else target[start : start + _CHUNK_ROWS]
            x = X[start : start + _CHUNK_ROWS].clone().requires_grad_()  # Captum warns otherwise
            parts.append(method.attribute(x, target=t, abs=True))
        return torch.cat(parts)
