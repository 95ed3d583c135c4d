"""The model factory: the built-in MLP or the user's ``module:function``, checked before any training.

A user's factory is imported in isolation (its module's import may not exit the process or leave
modules behind) and its model is probed on a small batch: output shape, finite values, no final
probability layer. :func:`seed_everything` seeds Python, NumPy and torch.

Examples
--------
>>> model = build_model(None, n_features=3)
>>> type(model).__name__
'MLP'
"""

from __future__ import annotations

import importlib
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Literal

import numpy as np
import torch
from torch import nn

from audit.config import ModelSection
from audit.exceptions import ModelError
from audit.models._builtin import MLP
from audit.models._outputs import count_parameters
from audit.tasks import TaskSpec

__all__ = ["build_model", "model_factory", "seed_everything"]

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

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        sys.argv = self.saved_argv
        if exc is None or isinstance(exc, (KeyboardInterrupt, ModelError)):
            return False
        if isinstance(exc, SystemExit):
            raise ModelError(_FACTORY_EXITED.format(spec=self.spec, where=self.where, code=exc.code, argv0=self.argv0,
                                                    expected=self.expected)) from None
        if isinstance(exc, Exception):
            return False  # the caller words ordinary exceptions itself
        raise ModelError(_FACTORY_BASE.format(spec=self.spec, where=self.where, kind=type(exc).__name__, error=exc,
                                              expected=self.expected)) from None


def _forget_shadowed(module_name: str, search_dirs: list[str]) -> None:
    """Drop a cached module of that name imported from elsewhere when a search folder holds its own.

    Two configs in one process (a notebook, a test session) may each keep a ``models.py`` beside
    them; without this the second audit would silently build the first one's model.
    """
    top = module_name.split(".")[0]
    cached = sys.modules.get(top)
    cached_file = getattr(cached, "__file__", None)
    if cached is None or cached_file is None:
        return
    for folder in search_dirs:
        candidates = (os.path.join(folder, f"{top}.py"), os.path.join(folder, top, "__init__.py"))
        local = next((c for c in candidates if os.path.isfile(c)), None)
        if local is not None:
            if os.path.realpath(local) != os.path.realpath(cached_file):
                for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
                    del sys.modules[name]
            return


def _import_user_module(module_name: str, search_dirs: list[str]) -> object:
    """Import the factory's module, looking first in the config's folder and the working directory.

    Under the ``rai-audit`` console script neither is on ``sys.path``; a model module kept
    next to the config is the common case. The caller isolates the import (:class:`_Isolated`).
    """
    _forget_shadowed(module_name, search_dirs)
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
    if section.kind == "transformers":
        return _transformer_factory(section, base_dir=base_dir, n_outputs=n_outputs)
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


def _transformer_factory(section: ModelSection, *, base_dir: str | None, n_outputs: int) -> Callable[[], nn.Module]:
    """Each call loads the checkpoint afresh (checked once first: every problem before any training) with new adapters."""
    from audit.data._tokenizer import check_checkpoint, load_tokenizer
    from audit.text._transformer import load_transformer

    path = Path(base_dir or ".") / str(section.path)
    check_checkpoint(path, n_outputs=n_outputs, shown=section.path)
    pad = int(load_tokenizer(path).pad_token_id)
    return lambda: load_transformer(path, pad_token_id=pad, lora_rank=section.lora_rank,
                                    lora_targets=section.lora_targets)


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

