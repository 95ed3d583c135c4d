"""The one non-private training loop, its early stopping and the reference model's training.

:func:`train_loop` trains shuffled minibatches with Adam or SGD (:func:`make_optimizer`) and stops
early on a validation criterion; it touches no global random state. :func:`train_reference` seeds
everything and trains the reference model through it; the privacy code's non-private models
(:func:`audit.privacy.train_non_private`) train through it too.

Examples
--------
>>> import numpy as np
>>> from audit.training import build_model
>>> X = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
>>> y = (X[:, 0] > 0).astype("int64")
>>> model, info = train_reference(build_model(None, n_features=3), X, y, epochs=2, batch_size=16, learning_rate=0.01, seed=0)
>>> len(info["loss_history"])
2
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from audit.exceptions import ModelError
from audit.models._outputs import LossFn, binary_loss, count_parameters
from audit.training._factory import seed_everything

__all__ = ["AUTO_EPOCHS", "AUTO_STEPS", "PATIENCE", "EarlyStopping", "auto_epochs", "make_optimizer",
           "ranking_criterion", "train_loop", "train_reference", "validation_criterion"]


def _non_finite_loss(model: nn.Module, batch: torch.Tensor, loss: float, *, epoch: int, first: bool) -> str:
    """Say why the loss is not finite: the inputs, the model's output before any update, or the learning rate."""
    if not torch.isfinite(batch).all():
        return (f"Training loss became {loss} at epoch {epoch + 1}: the encoded inputs hold NaN or inf (values too large "
                "to standardise). Fix the data: clip or rescale extreme values.")
    if first:
        with torch.no_grad():
            out = model(batch)
        if not torch.isfinite(out).all():
            return ("Training loss became non-finite on the first batch, before any update: the model's output is non-finite "
                    "(NaN or inf). The fault is in its forward, not in the learning rate; fix the model.")
    return f"Training loss became {loss} at epoch {epoch + 1}; lower training.learning_rate."


AUTO_STEPS = 1500
"""Optimizer steps ``[training] epochs = "auto"`` aims at: enough for a small table to be learned."""
AUTO_EPOCHS = (10, 200)
"""Least and most epochs the automatic rule gives."""
PATIENCE = 5
"""Epochs without a better validation loss after which training stops (the best epoch's weights are kept)."""


def auto_epochs(n_rows: int, batch_size: int) -> int:
    """Epochs for about :data:`AUTO_STEPS` optimizer steps, within :data:`AUTO_EPOCHS`.

    On 1,400 rows at batch 256 the old default (10 epochs) took 60 steps, and the model predicted
    the majority class; this rule takes 200 epochs there (early stopping ends it sooner), and 17
    on Adult's 22,000 rows.

    Examples
    --------
    >>> auto_epochs(1400, 256), auto_epochs(22792, 256)
    (200, 17)
    """
    steps_per_epoch = max(1, -(-int(n_rows) // max(int(batch_size), 1)))
    return int(min(max(-(-AUTO_STEPS // steps_per_epoch), AUTO_EPOCHS[0]), AUTO_EPOCHS[1]))


#: What early stopping minimises: a score of the model, lower is better.
Criterion = Callable[[nn.Module], float]
#: Early stopping's validation: rows ``(X, y)`` whose loss is watched, or a criterion.
Validation = tuple[np.ndarray, np.ndarray] | Criterion


def validation_criterion(validation: Validation | None, loss_fn: LossFn) -> Criterion | None:
    """What early stopping minimises: a callable as given, or the loss on validation rows ``(X, y)``."""
    if validation is None or callable(validation):
        return validation
    X_v = torch.as_tensor(validation[0], dtype=torch.float32)
    y_v = torch.as_tensor(np.array(validation[1]))

    def loss(model: nn.Module) -> float:
        was = model.training
        model.eval()
        with torch.no_grad():
            out = float(loss_fn(model(X_v), y_v))
        model.train(was)
        return out

    return loss


def ranking_criterion(X_val: np.ndarray, y_val: np.ndarray, *, n_classes: int = 2) -> Criterion:
    """Early stopping for a classifier: 1 − ROC AUC on the validation rows (lower is better).

    Binary: the AUC of the positive score; multiclass: the macro one-vs-rest AUC of the class
    probabilities (classes absent from the validation rows left out). Rank-based, so the noise a DP
    model's outputs drift with (their scale grows while their ranking improves) does not stop training
    at the first epoch, as the validation loss did.
    """
    from sklearn.metrics import roc_auc_score

    from audit.models._outputs import predict_proba

    y = np.asarray(y_val)
    present = np.unique(y)

    def criterion(model: nn.Module) -> float:
        if len(present) < 2:
            return 0.0
        if n_classes == 2:
            return 1.0 - float(roc_auc_score(y, predict_proba(model, X_val)))
        was = model.training
        model.eval()
        with torch.no_grad():
            proba = torch.softmax(model(torch.as_tensor(X_val, dtype=torch.float32)).double(), dim=1).numpy()
        model.train(was)
        aucs = [roc_auc_score(y == k, proba[:, k]) for k in present]
        return 1.0 - float(np.mean(aucs))

    return criterion


class EarlyStopping:
    """Keep the weights of the epoch with the lowest validation loss; stop after ``patience`` epochs without one."""

    def __init__(self, patience: int = PATIENCE) -> None:
        self.patience = patience
        self.best_loss = float("inf")
        self.best_epoch = 0
        self.best_state: dict[str, torch.Tensor] | None = None
        self.history: list[float] = []

    def update(self, model: nn.Module, loss: float, epoch: int) -> bool:
        """Record epoch ``epoch`` (1-based); True when training should stop."""
        self.history.append(loss)
        if self.best_state is None or loss < self.best_loss - 1e-7 * max(1.0, abs(self.best_loss)):
            self.best_loss, self.best_epoch = loss, epoch
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        return epoch - self.best_epoch >= self.patience

    def restore(self, model: nn.Module) -> None:
        if self.best_state is not None:
            model.load_state_dict(self.best_state)


def make_optimizer(name: str, params: Iterable[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """The optimizer both trainings use: Adam (``"adam"``, the default) or SGD with momentum 0.9 (``"sgd"``).

    Examples
    --------
    >>> from audit.models import MLP
    >>> type(make_optimizer("sgd", MLP(3, hidden=(2,)).parameters(), 0.1)).__name__
    'SGD'
    """
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.Adam(params, lr=lr)


def train_loop(
    model: nn.Module,
    X: np.ndarray | torch.Tensor,
    y: np.ndarray | torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    optimizer: str = "adam",
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    loss_fn: LossFn = binary_loss,
    validation: Validation | None = None,
    patience: int | None = PATIENCE,
) -> tuple[nn.Module, dict[str, Any]]:
    """The one non-private training loop: shuffled minibatches, the task's loss, optional early stopping.

    Rows are shuffled each epoch by a generator seeded with ``seed``; no global random state is touched
    (:func:`train_reference` seeds it first). A non-finite loss raises :class:`~audit.exceptions.ModelError`.
    The privacy code's non-private models train here too (:func:`audit.privacy.train_non_private`).

    Parameters
    ----------
    model : nn.Module
        Trained in place.
    X, y : array or Tensor
        Encoded features (float32) and labels (0/1, class indices) or regression targets.
    epochs, batch_size, learning_rate, seed, optimizer
        The loop's settings; ``optimizer`` is ``"adam"`` or ``"sgd"`` (:func:`make_optimizer`).
    progress : callable, optional
        ``progress(epoch, epochs, {"loss": ...})`` after each epoch.
    loss_fn : callable
        ``loss_fn(output, y) -> scalar`` mean loss.
    validation, patience : optional
        Early stopping, as :func:`train_reference` describes.

    Returns
    -------
    model, info
        The trained model (in eval mode) and a JSON-serialisable summary (as :func:`train_reference`).

    Examples
    --------
    >>> from audit.models import MLP
    >>> X = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    >>> model, info = train_loop(MLP(3, hidden=(4,)), X, (X[:, 0] > 0).astype("float32"), epochs=2, batch_size=16,
    ...                          learning_rate=0.01, seed=0)
    >>> len(info["loss_history"]), model.training
    (2, False)
    """
    X_t = torch.as_tensor(X, dtype=torch.float32)
    y_t = torch.as_tensor(np.array(y))  # int64 labels (cross-entropy needs them), float targets of a regression
    opt = make_optimizer(optimizer, model.parameters(), learning_rate)
    generator = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    stopper = EarlyStopping(patience) if validation is not None and patience else None
    criterion = validation_criterion(validation, loss_fn) if stopper is not None else None
    wall0, cpu0 = time.perf_counter(), time.process_time()
    model.train()
    for epoch in range(epochs):
        losses.append(_epoch(model, opt, loss_fn, X_t, y_t, generator, batch_size=batch_size, epoch=epoch))
        if progress is not None:
            progress(epoch + 1, epochs, {"loss": losses[-1]})
        if stopper is not None and criterion is not None and stopper.update(model, criterion(model), epoch + 1):
            break
    if stopper is not None:
        stopper.restore(model)
    info = {
        "optimizer": optimizer,
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "seed": seed,
        "loss_history": losses,
        "train_wall_s": time.perf_counter() - wall0,
        "train_cpu_s": time.process_time() - cpu0,
        "n_parameters": count_parameters(model),
    }
    if stopper is not None:
        info.update(epochs_run=len(losses), best_epoch=stopper.best_epoch, validation_history=stopper.history,
                    stopped_early=len(losses) < epochs)
    return model.eval(), info


def train_reference(
    model: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    progress: Callable[[int, int, dict[str, Any]], None] | None = None,
    loss_fn: LossFn = binary_loss,
    validation: Validation | None = None,
    patience: int | None = PATIENCE,
) -> tuple[nn.Module, dict[str, Any]]:
    """Train the non-private reference model with Adam and the task's loss (binary cross-entropy by default).

    Python, NumPy and torch are seeded with ``seed`` (:func:`seed_everything`), then the model is
    trained by :func:`train_loop`. With ``validation`` (rows ``(X, y)``, whose loss is watched, or a
    callable ``model -> float`` to minimise, e.g. :func:`ranking_criterion`) and a ``patience``, the
    criterion is measured after every epoch, training stops after ``patience`` epochs without
    improvement, and the best epoch's weights are kept (early stopping).

    Returns
    -------
    model, info
        The trained model and a JSON-serialisable summary (loss per epoch, validation losses, the
        epoch kept, wall and CPU time).
    """
    seed_everything(seed)
    return train_loop(model, X, y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=seed,
                      progress=progress, loss_fn=loss_fn, validation=validation, patience=patience)


def _epoch(model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: LossFn, X_t: torch.Tensor, y_t: torch.Tensor,
           generator: torch.Generator, *, batch_size: int, epoch: int) -> float:
    """One pass over the shuffled rows; the mean training loss."""
    order = torch.randperm(len(X_t), generator=generator)
    total, count = 0.0, 0
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(X_t[idx]), y_t[idx])
        if not torch.isfinite(loss):
            raise ModelError(_non_finite_loss(model, X_t[idx], loss.item(), epoch=epoch, first=start == 0 and epoch == 0))
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * len(idx)
        count += len(idx)
    return total / max(count, 1)
