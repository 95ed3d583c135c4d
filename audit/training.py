"""Build models from the config and train the non-private reference model.

The private model is trained by :func:`audit.privacy.train_private` with the
same architecture and seed; this module owns everything else about models:
the factory (built-in MLP or the user's ``module:function``), seeding and the
plain training loop.

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
from audit.modeling import MLP, binary_loss, check_output_shape, count_parameters

__all__ = ["build_model", "model_factory", "seed_everything", "train_reference"]

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


def _import_user_module(module_name: str, search_dirs: list[str]) -> object:
    """Import the factory's module, looking first in the config's folder and the working directory.

    Under the ``rai-audit`` console script neither is on ``sys.path``; a model module kept
    next to the config is the common case.
    """
    added = [d for d in search_dirs if d not in sys.path]
    sys.path[:0] = added
    try:
        return importlib.import_module(module_name)
    finally:
        for d in added:
            if d in sys.path:
                sys.path.remove(d)


def model_factory(section: ModelSection | None, *, n_features: int, base_dir: str | None = None) -> Callable[[], nn.Module]:
    """A zero-argument callable that builds a fresh, untrained model each time.

    The user's factory is imported here (this runs their code: only configs the
    user runs themselves name factories; see SECURITY.md).
    """
    section = section or ModelSection()
    if section.kind == "mlp":
        return lambda: MLP(n_features, hidden=tuple(section.hidden), dropout=section.dropout)
    spec = section.factory or ""
    module_name, _, func_name = spec.partition(":")
    try:
        module = _import_user_module(module_name, [str(Path(base_dir or ".").resolve()), str(Path.cwd())])
    except Exception as exc:  # any import-time failure in user code
        raise ModelError(_FACTORY_IMPORT.format(spec=spec, module=module_name, error=f"{type(exc).__name__}: {exc}")) from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise ModelError(_FACTORY_ATTR.format(spec=spec, module=module_name, name=func_name))

    def build() -> nn.Module:
        try:
            model = func(n_features=n_features)
        except Exception as exc:
            raise ModelError(_FACTORY_RAISED.format(spec=spec, kind=type(exc).__name__, error=exc, name=func_name)) from None
        if not isinstance(model, nn.Module):
            raise ModelError(_FACTORY_TYPE.format(spec=spec, found=type(model).__name__))
        return model

    return build


def build_model(section: ModelSection | None, *, n_features: int, seed: int = 0, base_dir: str | None = None) -> nn.Module:
    """Build a seeded model and check it accepts the encoded features and outputs a binary score."""
    seed_everything(seed)
    model = model_factory(section, n_features=n_features, base_dir=base_dir)()
    probe = torch.zeros(4, n_features)
    try:
        with torch.no_grad():
            out = model.eval()(probe)
    except Exception as exc:
        raise ModelError(_FORWARD_FAILED.format(n=4, f=n_features, kind=type(exc).__name__, error=exc)) from None
    if not isinstance(out, torch.Tensor):
        raise ModelError(f"The model's forward returned {type(out).__name__}, expected a torch.Tensor of logits.")
    check_output_shape(out, 4)
    return model.train()


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
) -> tuple[nn.Module, dict[str, Any]]:
    """Train the non-private reference model with Adam and binary cross-entropy.

    Returns
    -------
    model, info
        The trained model and a JSON-serialisable summary (loss per epoch, wall and CPU time).
    """
    seed_everything(seed)
    X_t = torch.as_tensor(X, dtype=torch.float32)
    y_t = torch.as_tensor(y, dtype=torch.float32)
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    generator = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(X_t), generator=generator)
        total, count = 0.0, 0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = binary_loss(model(X_t[idx]), y_t[idx])
            if not torch.isfinite(loss):
                raise ModelError(f"Training loss became {loss.item()} at epoch {epoch + 1}; lower training.learning_rate.")
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
            count += len(idx)
        losses.append(total / max(count, 1))
        if progress is not None:
            progress(epoch + 1, epochs, {"loss": losses[-1]})
    info = {
        "optimizer": "adam",
        "epochs": epochs,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "seed": seed,
        "loss_history": losses,
        "train_wall_s": time.perf_counter() - wall0,
        "train_cpu_s": time.process_time() - cpu0,
        "n_parameters": count_parameters(model),
    }
    return model.eval(), info
