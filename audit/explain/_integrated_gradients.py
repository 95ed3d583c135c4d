"""Integrated Gradients, chunked for speed, equal to Captum's default call.

Captum's default ``IntegratedGradients(f).attribute(X, baselines=b)`` builds
all ``n_rows * n_steps`` scaled inputs in one tensor: on the Adult test set
that is 800k rows, far beyond the CPU caches, so the forward and backward are
memory bound. Here the same Gauss-Legendre points and weights are applied to
chunks of about 16k scaled rows, with the same layout (step-major) and the same
float32 arithmetic, so results agree with Captum to rounding (tested to 1e-5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from audit.explain._base import Explainer, register

__all__ = ["IntegratedGradients", "integrated_gradients"]

# Scaled rows per forward/backward pass: big enough to amortise Python overhead,
# small enough that activations stay in cache (measured: 8k-20k is the plateau).
_SCALED_ROWS_PER_CHUNK = 16384


@register
class IntegratedGradients(Explainer):
    """Integrated Gradients (Sundararajan et al. 2017), chunked for throughput.

    Parameters
    ----------
    model : nn.Module
        The model to explain.
    n_steps : int
        Points on the path from baseline to input (Captum's default 50).
    method : str
        Captum's integral approximation (``"gausslegendre"`` by default, as Captum).
    chunk_rows : int, optional
        Input rows per pass; by default about 16k scaled rows per pass.
    **kwargs
        ``target`` and ``feature_groups`` as in :class:`Explainer`.

    Examples
    --------
    >>> import numpy as np
    >>> from audit.models import MLP
    >>> ig = IntegratedGradients(MLP(4, hidden=(8,)))
    >>> ig.attribute(np.ones((3, 4), dtype=np.float32), baselines=np.zeros(4)).shape
    (3, 4)
    """

    name = "integrated_gradients"
    needs_gradients = True
    completeness = True

    def __init__(self, model: nn.Module, *, n_steps: int = 50, method: str = "gausslegendre",
                 chunk_rows: int | None = None, **kwargs: Any) -> None:
        super().__init__(model, n_steps=n_steps, method=method, chunk_rows=chunk_rows, **kwargs)
        self.n_steps = int(n_steps)
        self.method = method
        self.chunk_rows = chunk_rows

    def _attribute(self, X: torch.Tensor, baselines: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        from captum.attr._utils.approximation_methods import approximation_parameters

        step_fn, alpha_fn = approximation_parameters(self.method)
        alphas = torch.tensor(alpha_fn(self.n_steps), dtype=X.dtype, device=X.device).view(-1, *([1] * X.ndim))
        # Captum multiplies by torch.tensor(step_sizes).float(): same rounding here.
        steps = torch.tensor(step_fn(self.n_steps)).float().to(X.device).view(self.n_steps, 1)
        chunk = self.chunk_rows or max(1, _SCALED_ROWS_PER_CHUNK // self.n_steps)
        total = torch.zeros_like(X)
        for b in baselines:
            b = b.unsqueeze(0)
            for start in range(0, len(X), chunk):
                x = X[start : start + chunk]
                t = None if target is None else target[start : start + chunk].repeat(self.n_steps)
                total[start : start + chunk] += self._chunk(x, b, alphas, steps, t)
        return total / len(baselines) if len(baselines) > 1 else total

    def _chunk(self, x: torch.Tensor, b: torch.Tensor, alphas: torch.Tensor, steps: torch.Tensor,
               target: torch.Tensor | None) -> torch.Tensor:
        m = len(x)
        # Captum's baseline + alpha * (input - baseline), step-major, as one broadcast op.
        scaled = (b + alphas * (x - b)).reshape(self.n_steps * m, *x.shape[1:]).requires_grad_()
        out = self.forward_target(scaled, target)
        (grads,) = torch.autograd.grad(out.sum(), scaled)
        total = (grads.contiguous().view(self.n_steps, -1) * steps).view(self.n_steps, m, *x.shape[1:]).sum(0)
        return total * (x - b)


def integrated_gradients(model: nn.Module, X: np.ndarray | torch.Tensor, *,
                         baselines: np.ndarray | torch.Tensor | float | None = None,
                         target: int | Sequence[int] | np.ndarray | torch.Tensor | None = None, n_steps: int = 50,
                         chunk_rows: int | None = None) -> np.ndarray:
    """Functional form of :class:`IntegratedGradients`; returns a NumPy array shaped like ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from audit.models import MLP
    >>> integrated_gradients(MLP(2, hidden=(3,)), np.ones((1, 2), dtype=np.float32)).shape
    (1, 2)
    """
    return IntegratedGradients(model, target=target, n_steps=n_steps, chunk_rows=chunk_rows).attribute(X, baselines=baselines)
