"""Occlusion (Zeiler and Fergus 2014): slide a baseline patch, watch the output, through Captum."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from audit.explain._base import Explainer, register

__all__ = ["Occlusion"]


@register
class Occlusion(Explainer):
    """Captum's ``Occlusion`` over images shaped ``(n, channels, height, width)``.

    Parameters
    ----------
    window : int
        Side of the square patch (all channels occluded together).
    stride : int
        Step between patches.

    Examples
    --------
    >>> import numpy as np
    >>> net = nn.Sequential(nn.Flatten(), nn.Linear(16, 1))
    >>> Occlusion(net, window=2).attribute(np.ones((1, 1, 4, 4), dtype=np.float32)).shape
    (1, 1, 4, 4)
    """

    name = "occlusion"

    def __init__(self, model: nn.Module, *, window: int = 2, stride: int = 1, **kwargs: Any) -> None:
        super().__init__(model, window=window, stride=stride, **kwargs)
        self.window = int(window)
        self.stride = int(stride)

    def _attribute(self, X: torch.Tensor, baselines: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
        from captum.attr import Occlusion as CaptumOcclusion

        forward, _ = self._forward_fn(target)
        method = CaptumOcclusion(forward)
        shape: tuple[int, ...]
        strides: tuple[int, ...]
        if X.ndim == 4:
            shape, strides = (X.shape[1], self.window, self.window), (X.shape[1], self.stride, self.stride)
        else:
            shape, strides = (self.window,) * (X.ndim - 1), (self.stride,) * (X.ndim - 1)
        total = torch.zeros_like(X)
        with torch.no_grad():
            for b in baselines:
                total += method.attribute(X, sliding_window_shapes=shape, strides=strides, baselines=b.unsqueeze(0),
                                          target=target, perturbations_per_eval=16)
        return total / len(baselines)
