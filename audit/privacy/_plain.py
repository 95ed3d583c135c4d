"""The privacy code's non-private models, trained by the one loop of :mod:`audit.training`.

Used where the privacy module itself needs a non-private model: the privacy-utility curve's
reference point and the canary audit of a non-private model. (The pipeline's reference model is
trained by :func:`audit.training.train_reference`.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from audit.models import binary_loss
from audit.privacy._prepare import as_tensors
from audit.privacy._settings import DP_DEFAULTS
from audit.training import train_loop

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
    """Train ``model`` in place without DP, with the DP trainer's defaults and input checks; return it.

    A thin entry to :func:`audit.training.train_loop` (the one non-private loop): the
    rows are checked and converted as :func:`train_private` converts them (a DataLoader or Dataset
    is read into memory; float labels stay float, integer labels become class indices), the
    defaults are the DP settings' (:data:`DP_DEFAULTS`: epochs, batch size, learning rate,
    optimizer), so a non-private point compares like with like, and no global random state is
    touched.

    Examples
    --------
    >>> import numpy as np
    >>> from audit.models import MLP
    >>> X = np.random.default_rng(0).normal(size=(64, 3)).astype(np.float32)
    >>> model = train_non_private(MLP(3, hidden=(4,)), X, (X[:, 0] > 0).astype(np.float32), epochs=2, batch_size=16)
    >>> model.training
    False
    """
    X_t, y_t = as_tensors(X, y)
    return train_loop(model, X_t, y_t, epochs=int(epochs), batch_size=int(batch_size), learning_rate=learning_rate,
                      seed=int(seed), optimizer=optimizer, loss_fn=loss_fn)[0]
