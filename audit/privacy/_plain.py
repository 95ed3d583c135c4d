"""Non-private training with the same loop shape as the private one.

Used where the privacy module itself needs a non-private model: the
privacy-utility curve's reference point and the canary audit of a
non-private model. (The pipeline's reference model is trained by the runner.)
"""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import nn

from audit.models import binary_loss
from audit.privacy._settings import DP_DEFAULTS
from audit.privacy._prepare import as_tensors
from audit.privacy._train import _make_optimizer

__all__ = ["train_non_private"]


def train_non_private(
    model: nn.Module,
    X: Any,
    y: Any,
    *,
    epochs: int = DP_DEFAULTS["epochs"],
    batch_size: int = DP_DEFAULTS["batch_size"],
    learning_rate: float = DP_DEFAULTS["learning_rate"],
    optimizer: str = DP_DEFAULTS["optimizer"],
    seed: int = 0,
    loss_fn: Callable = binary_loss,
) -> nn.Module:
    """Train ``model`` in place with minibatch Adam/SGD on shuffled batches; return it."""
    X_t, y_t = as_tensors(X, y)
    gen = torch.Generator().manual_seed(int(seed))
    opt = _make_optimizer(optimizer, model.parameters(), learning_rate)
    model.train()
    for _ in range(int(epochs)):
        perm = torch.randperm(len(X_t), generator=gen)
        for start in range(0, len(X_t), int(batch_size)):
            idx = perm[start : start + int(batch_size)]
            opt.zero_grad(set_to_none=True)
            loss_fn(model(X_t[idx]), y_t[idx]).backward()
            opt.step()
    model.eval()
    return model
