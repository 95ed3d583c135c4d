"""Build models from the config and train the non-private reference model.

The private model is trained by :func:`audit.privacy.train_private` with the
same architecture and seed; this module owns everything else about models:
the factory (built-in MLP or the user's ``module:function``), seeding and the
one non-private training loop (:func:`train_loop`), which the privacy code's
non-private models train through too.

Examples
--------
>>> import numpy as np
>>> X = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
>>> y = (X[:, 0] > 0).astype("int64")
>>> model, info = train_reference(build_model(None, n_features=3), X, y, epochs=2, batch_size=16, learning_rate=0.01, seed=0)
>>> len(info["loss_history"])
2
"""

from __future__ import annotations

import importlib
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from audit.config import ModelSection
from audit.exceptions import ModelError
from audit.models._builtin import MLP
from audit.models._outputs import binary_loss, count_parameters
from audit.tasks import TaskSpec

__all__ = ["AUTO_EPOCHS", "AUTO_STEPS", "PATIENCE", "EarlyStopping", "auto_epochs", "build_model", "make_optimizer",
           "model_factory", "ranking_criterion", "seed_everything", "train_loop", "train_reference",
           "validation_criterion"]

_FACTORY_IMPORT = (
    "model.factory {spec!r}: cannot import module {module!r} ({error}). Expected an importable "
    "'module:function': put the module next to the config file or in the working directory, or install it."
)
_FACTORY_ATTR = "model.factory {spec!r}: module {module!r} has no function {name!r}. Check the spelling."
_FACTORY_RAISED = "model.factory {spec!r} raised {kind}: {error}. It is called as {name}(n_features=<int>)."
_FACTORY_TYPE = "model.factory {spec!r} returned {found}, expected a torch.nn.Module."
_FORWARD_FAILED = (
    "The model failed on a batch of {n} rows with {f} features: {kind}: {error}. "
    "Expected forward(x) with x of shape (batch, n_features)."
)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so the same config gives the same numbers."""
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


_FACTORY_EXITED = (
    "model.factory {spec!r}: {where} raised SystemExit({code!r}): it called sys.exit, or parsed the command line "
    "with argparse and found it wanting (it was given a neutral command line [{argv0!r}], never rai-audit's). "
    "Expected {expected}. Fix: move script code under 'if __name__ == \"__main__\":'."
)
_FACTORY_BASE = "model.factory {spec!r}: {where} raised {kind}: {error}. Expected {expected}."
_IMPORT_EXPECTED = "importing the module to only define things (classes, functions)"
_CALL_EXPECTED = "{name}(n_features=<int>) to return an nn.Module"


class _Isolated:
    """Run user code (the factory's import or call) with a neutral ``sys.argv``, restored afterwards.

    ``SystemExit`` and any other ``BaseException`` that is not an interruption become a
    :class:`ModelError` naming ``where``; ``KeyboardInterrupt`` (a real Ctrl-C, or SIGTERM, which
    the CLI turns into one) still interrupts.
    """

    def __init__(self, spec: str, where: str, expected: str, argv0: str) -> None:
        self.spec, self.where, self.expected, self.argv0 = spec, where, expected, argv0

    def __enter__(self) -> _Isolated:
        self.saved_argv = sys.argv
        sys.argv = [self.argv0]
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        sys.argv = self.saved_argv
        if exc_type is None or issubclass(exc_type, (KeyboardInterrupt, ModelError)):
            return False
        if issubclass(exc_type, SystemExit):
            raise ModelError(_FACTORY_EXITED.format(spec=self.spec, where=self.where, code=exc.code, argv0=self.argv0,
                                                    expected=self.expected)) from None
        if issubclass(exc_type, Exception):
            return False  # the caller words ordinary exceptions itself
        raise ModelError(_FACTORY_BASE.format(spec=self.spec, where=self.where, kind=exc_type.__name__, error=exc,
                                              expected=self.expected)) from None


def _import_user_module(module_name: str, search_dirs: list[str]) -> object:
    """Import the factory's module, looking first in the config's folder and the working directory.

    Under the ``rai-audit`` console script neither is on ``sys.path``; a model module kept
    next to the config is the common case. The caller isolates the import (:class:`_Isolated`).
    """
    added = [d for d in search_dirs if d not in sys.path]
    sys.path[:0] = added
    try:
        return importlib.import_module(module_name)
    finally:
        for d in added:
            if d in sys.path:
                sys.path.remove(d)


def model_factory(section: ModelSection | None, *, n_features: int, base_dir: str | None = None, n_outputs: int = 1,
                  vocab_size: int | None = None) -> Callable[[], nn.Module]:
    """A zero-argument callable that builds a fresh, untrained model each time.

    The user's factory is imported here (this runs their code: only configs the
    user runs themselves name factories; see SECURITY.md). Its import and each call
    see a neutral ``sys.argv``; ``sys.exit`` or any other non-interrupting
    ``BaseException`` from them is a :class:`ModelError`.
    """
    section = section or ModelSection()
    if section.kind == "mlp":
        return lambda: MLP(n_features, hidden=tuple(section.hidden), dropout=section.dropout, n_outputs=n_outputs)
    if section.kind == "text":
        from audit.text import TextClassifier

        return lambda: TextClassifier(int(vocab_size or 2), embedding_dim=section.embedding_dim, n_outputs=n_outputs)
    extra = {"n_outputs": n_outputs} if n_outputs != 1 else {}  # a factory for several classes is told how many
    spec = section.factory or ""
    module_name, _, func_name = spec.partition(":")
    try:
        with _Isolated(spec, f"importing module {module_name!r}", _IMPORT_EXPECTED, module_name):
            module = _import_user_module(module_name, [str(Path(base_dir or ".").resolve()), str(Path.cwd())])
    except Exception as exc:  # any import-time failure in user code
        if isinstance(exc, ModelError):
            raise
        raise ModelError(_FACTORY_IMPORT.format(spec=spec, module=module_name, error=f"{type(exc).__name__}: {exc}")) from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise ModelError(_FACTORY_ATTR.format(spec=spec, module=module_name, name=func_name))

    def build() -> nn.Module:
        try:
            with _Isolated(spec, f"{func_name}(n_features={n_features})", _CALL_EXPECTED.format(name=func_name), module_name):
                model = func(n_features=n_features, **extra)
        except Exception as exc:
            if isinstance(exc, ModelError):
                raise
            raise ModelError(_FACTORY_RAISED.format(spec=spec, kind=type(exc).__name__, error=exc, name=func_name)) from None
        if not isinstance(model, nn.Module):
            raise ModelError(_FACTORY_TYPE.format(spec=spec, found=type(model).__name__))
        return model

    return build


_NO_PARAMETERS = (
    "The model has no trainable parameters ({n} parameters, none with requires_grad=True): there is nothing to train or "
    "audit. Expected a model with at least one trainable layer, e.g. nn.Linear. Fix: check model.factory returns the "
    "model itself, and unfreeze its parameters."
)
_PROBABILITIES = (
    "The model ends in nn.{layer} and outputs probabilities (every output in [0, 1]), not logits. rai-audit applies the "
    "sigmoid itself (training uses binary cross-entropy with logits), so a second one would squash every score into "
    "[0.5, 0.73] and make every prediction positive. Fix: remove the final {layer} (return the raw output of the last "
    "nn.Linear)."
)
_NON_FINITE_OUTPUT = (
    "The model's output is non-finite (NaN or inf) on a batch of {n} standard-normal rows, before any training: the "
    "fault is in its forward (e.g. a division by zero, the log of 0, a NaN constant), not in the learning rate. "
    "Expected finite logits; fix the model's forward."
)


def _final_probability_layer(model: nn.Module) -> str | None:
    """``"Sigmoid"`` or ``"Softmax"`` when the model's last leaf module is one (registration order)."""
    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    last = leaves[-1] if leaves else None
    return type(last).__name__ if isinstance(last, (nn.Sigmoid, nn.Softmax)) else None


def _probe(n: int, n_features: int, vocab_size: int | None) -> torch.Tensor:
    """Inputs to try a model on: standard-normal features, or token ids of a text model (as floats, as the pipeline gives them)."""
    generator = torch.Generator().manual_seed(0)
    if vocab_size is not None:
        return torch.randint(0, max(int(vocab_size), 1), (n, n_features), generator=generator).float()
    return torch.randn(n, n_features, generator=generator)


def _check_outputs(model: nn.Module, n_features: int, task: TaskSpec, vocab_size: int | None) -> None:
    """Refuse a model that outputs non-finite values or probabilities (a final Sigmoid/Softmax)."""
    probe = _probe(16, n_features, vocab_size)
    with torch.no_grad():
        out = model(probe)
    if not isinstance(out, torch.Tensor):
        return
    task.check_output(out, len(probe))
    if not torch.isfinite(out).all():
        raise ModelError(_NON_FINITE_OUTPUT.format(n=len(probe)))
    layer = _final_probability_layer(model)
    if task.kind.classifier and layer is not None and bool(((out >= 0) & (out <= 1)).all()):
        raise ModelError(_PROBABILITIES.format(layer=layer))


def build_model(section: ModelSection | None, *, n_features: int, seed: int = 0, base_dir: str | None = None,
                task: TaskSpec | None = None, vocab_size: int | None = None) -> nn.Module:
    """Build a seeded model and check it can be trained and audited.

    It must accept the encoded features (or, for a text model, ``n_features`` token ids per row),
    output this task's logits or values (finite), and have trainable parameters.
    """
    task = task or TaskSpec("binary")
    seed_everything(seed)
    model = model_factory(section, n_features=n_features, base_dir=base_dir, n_outputs=task.n_outputs,
                          vocab_size=vocab_size)()
    probe = torch.zeros(4, n_features)
    try:
        with torch.no_grad():
            out = model.eval()(probe)
    except Exception as exc:
        raise ModelError(_FORWARD_FAILED.format(n=4, f=n_features, kind=type(exc).__name__, error=exc)) from None
    if not isinstance(out, torch.Tensor):
        raise ModelError(f"The model's forward returned {type(out).__name__}, expected a torch.Tensor of logits.")
    task.check_output(out, 4)
    if count_parameters(model) == 0:
        raise ModelError(_NO_PARAMETERS.format(n=sum(p.numel() for p in model.parameters())))
    try:
        _check_outputs(model, n_features, task, vocab_size)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(_FORWARD_FAILED.format(n=16, f=n_features, kind=type(exc).__name__, error=exc)) from None
    return model.train()


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


Validation = "tuple[np.ndarray, np.ndarray] | Callable[[nn.Module], float]"


def validation_criterion(validation: Any, loss_fn: Callable) -> Callable[[nn.Module], float] | None:
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


def ranking_criterion(X_val: np.ndarray, y_val: np.ndarray, *, n_classes: int = 2) -> Callable[[nn.Module], float]:
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


def make_optimizer(name: str, params: Any, lr: float) -> torch.optim.Optimizer:
    """The optimizer both trainings use: Adam (``"adam"``, the default) or SGD with momentum 0.9 (``"sgd"``).

    Examples
    --------
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
    loss_fn: Callable = binary_loss,
    validation: tuple[np.ndarray, np.ndarray] | Callable[[nn.Module], float] | None = None,
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
        if stopper is not None and stopper.update(model, criterion(model), epoch + 1):
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
    loss_fn: Callable = binary_loss,
    validation: tuple[np.ndarray, np.ndarray] | Callable[[nn.Module], float] | None = None,
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


def _epoch(model: nn.Module, optimizer: torch.optim.Optimizer, loss_fn: Callable, X_t: torch.Tensor, y_t: torch.Tensor,
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
