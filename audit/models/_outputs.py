"""How rai-audit reads a model's output, and the losses it trains with.

A binary classifier may end in one logit (shape ``(n,)`` or ``(n, 1)``) or two class
logits (shape ``(n, 2)``). Everything that trains, predicts or explains goes
through these helpers so the three agree on what "the positive score" is.
The built-in model is in :mod:`audit.models._builtin`, weight loading in :mod:`audit.models._weights`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from audit.exceptions import ModelError

__all__ = [
    "LossFn",
    "RegressionLoss",
    "WeightedClassLoss",
    "class_weights",
    "positive_logit",
    "binary_loss",
    "predict_proba",
    "check_output_shape",
    "count_parameters",
]

#: A training loss: ``loss_fn(output, y) -> scalar`` (a function such as :func:`binary_loss`, or a loss module).
LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

_BAD_OUTPUT = (
    "The model's output has shape {shape} for a batch of {n} rows. Expected a binary "
    "classifier: shape ({n},), ({n}, 1) (one logit) or ({n}, 2) (two class logits). "
    "Fix: end the model with nn.Linear(hidden, 1)."
)


def check_output_shape(output: torch.Tensor, n: int) -> None:
    """Raise :class:`ModelError` unless ``output`` is a binary classifier's output for ``n`` rows."""
    shape = tuple(output.shape)
    if shape not in {(n,), (n, 1), (n, 2)}:
        raise ModelError(_BAD_OUTPUT.format(shape=shape, n=n))


def positive_logit(output: torch.Tensor) -> torch.Tensor:
    """The log-odds of the positive class, shape ``(n,)``, from any accepted output shape."""
    if output.ndim == 2 and output.shape[1] == 2:
        return output[:, 1] - output[:, 0]
    return output.reshape(-1)


def binary_loss(output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy for labels ``y`` in {0, 1}, whatever the output shape."""
    return nn.functional.binary_cross_entropy_with_logits(positive_logit(output), y.float().reshape(-1))


@torch.inference_mode()
def predict_proba(model: nn.Module, X: np.ndarray | torch.Tensor, *, batch_size: int = 8192) -> np.ndarray:
    """Probability of the positive class for each row of ``X``.

    Examples
    --------
    >>> from audit.models import MLP
    >>> p = predict_proba(MLP(4, hidden=(3,)), np.zeros((5, 4), dtype=np.float32))
    >>> p.shape
    (5,)
    """
    was_training = model.training
    model.eval()
    X_t = torch.as_tensor(X, dtype=torch.float32)
    out = []
    for start in range(0, len(X_t), batch_size):
        chunk = model(X_t[start : start + batch_size])
        check_output_shape(chunk, len(X_t[start : start + batch_size]))
        out.append(torch.sigmoid(positive_logit(chunk)))
    model.train(was_training)
    if not out:
        return np.zeros(0, dtype=np.float64)
    return torch.cat(out).double().numpy()


class RegressionLoss(nn.Module):
    """Mean squared error on the standardised target, whatever the output shape ((n,) or (n, 1)).

    It has a ``reduction`` attribute, so Opacus's ghost clipping and the membership audit can ask
    for per-example losses.

    Examples
    --------
    >>> RegressionLoss()(torch.zeros(2, 1), torch.tensor([1.0, -1.0])).item()
    1.0
    """

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction

    def forward(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return nn.functional.mse_loss(output.reshape(-1), y.to(output.dtype).reshape(-1), reduction=self.reduction)


class WeightedClassLoss(nn.Module):
    """Binary or multiclass cross-entropy with one weight per class: the batch mean of ``w[y_i] · loss_i``.

    The mean is over the rows (not over the weights, as ``nn.CrossEntropyLoss(weight=...)`` takes it),
    so a DP-SGD step clips and averages per-example gradients as it does without weights. It has a
    ``reduction`` attribute for Opacus's ghost clipping and the membership audit.

    Examples
    --------
    >>> loss = WeightedClassLoss(torch.tensor([1.0, 3.0]), binary=True)
    >>> round(loss(torch.zeros(2, 1), torch.tensor([0, 1])).item(), 4)  # (1 + 3) / 2 * log 2
    1.3863
    """

    weights: torch.Tensor  # a buffer: moves with the module

    def __init__(self, weights: torch.Tensor, *, binary: bool, reduction: str = "mean") -> None:
        super().__init__()
        self.register_buffer("weights", torch.as_tensor(weights, dtype=torch.float32))
        self.binary = binary
        self.reduction = reduction

    def forward(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # noqa: D102
        y = y.reshape(-1).long()
        if self.binary:
            per = nn.functional.binary_cross_entropy_with_logits(positive_logit(output), y.float(), reduction="none")
        else:
            per = nn.functional.cross_entropy(output, y, reduction="none")
        per = per * self.weights.to(per.dtype)[y]
        return per if self.reduction == "none" else per.sum() if self.reduction == "sum" else per.mean()


def class_weights(y: np.ndarray, mode: str, *, n_classes: int = 2, rare_share: float = 0.2) -> np.ndarray | None:
    """Inverse-frequency class weights (mean weight 1 over the rows), or None when the loss is not weighted.

    ``mode``: ``"balanced"`` always; ``"none"`` never; ``"auto"`` when the rarest class is under
    ``rare_share`` of the rows (a model of 88% approvals otherwise learns to approve everyone).

    Examples
    --------
    >>> class_weights(np.array([0] * 9 + [1]), "auto").round(3).tolist()
    [0.556, 5.0]
    >>> class_weights(np.array([0, 1, 1, 0]), "auto") is None
    True
    """
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=n_classes).astype(float)
    if mode == "none" or (mode == "auto" and counts.min() / max(counts.sum(), 1) >= rare_share):
        return None
    weights: np.ndarray = counts.sum() / (n_classes * np.maximum(counts, 1))
    return weights


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))
