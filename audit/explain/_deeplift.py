"""DeepLift (Shrikumar et al. 2017) through Captum, averaged over the baselines given."""

from __future__ import annotations

import warnings

import torch

from audit.explain._base import Explainer, register

__all__ = ["DeepLift"]

# DeepLift runs input and baseline together; chunks keep memory flat on big sets.
_CHUNK_ROWS = 8192


@register
class DeepLift(Explainer):
    """DeepLift with the Rescale rule (Captum's ``DeepLift``).

    With ``k`` baselines the attributions are averaged over them, which is
    Captum's ``DeepLiftShap``. Attributions sum to ``f(x) - f(baseline)``.

    Examples
    --------
    >>> import numpy as np
    >>> from audit.models import MLP
    >>> DeepLift(MLP(3, hidden=(4,))).attribute(np.ones((2, 3), dtype=np.float32)).shape
    (2, 3)
    """

    name = "deeplift"
    needs_gradients = True
    completeness = True

    def _attribute(self, X: torch.Tensor, baselines: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        from captum.attr import DeepLift as CaptumDeepLift

        forward, _ = self._forward_fn(target)
        method = CaptumDeepLift(forward)
        total = torch.zeros_like(X)
        with warnings.catch_warnings():
            # Captum announces, every call, that it hooks the activations (and removes the hooks after).
            warnings.filterwarnings("ignore", message="Setting forward, backward hooks")
            for b in baselines:
                for start in range(0, len(X), _CHUNK_ROWS):
                    x = X[start : start + _CHUNK_ROWS].clone().requires_grad_()
                    t = None if target is None else target[start : start + _CHUNK_ROWS]
                    total[start : start + _CHUNK_ROWS] += method.attribute(
                        x, baselines=b.unsqueeze(0).expand_as(x), target=t).detach()
        return total / len(baselines)
