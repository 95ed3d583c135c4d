"""Safe weight loading: a state dict read with ``torch.load(..., weights_only=True)`` after the file checks.

The one loader of model weights, for the audit (``model.weights``) and for the dashboard's
What-if (a run's saved weights): the bounded file reader first (a regular file, a size limit,
the zip members checked), then torch's weights-only unpickler, so no pickled code ever runs; a
training checkpoint or meta-device tensors are named as such.

Examples
--------
>>> import tempfile
>>> from audit.models._builtin import MLP
>>> path = Path(tempfile.mkdtemp()) / "w.pt"
>>> torch.save(MLP(3, hidden=(2,)).state_dict(), path)
>>> sorted(read_weights(path))
['net.0.bias', 'net.0.weight', 'net.2.bias', 'net.2.weight']
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar, cast

import torch
from torch import nn

from audit.exceptions import ModelError

__all__ = ["load_weights", "read_weights"]

_Model = TypeVar("_Model", bound=nn.Module)

_WEIGHTS_FIX = "Fix model.weights (relative to the config file)."
_CHECKPOINT_KEYS = ("model_state_dict", "state_dict", "model")
_WEIGHTS_CHECKPOINT = (
    "{path} is a training checkpoint (keys {keys}), not a state dict: the model's weights are under {key!r}. "
    "Expected the state dict alone. Fix: save it with torch.save(checkpoint[{key!r}], 'model.pt') and point "
    "model.weights at that file."
)
_WEIGHTS_META = (
    "{path} holds tensors on the meta device ({n}, e.g. {keys}): shapes with no values, as saved from a model built "
    "on torch.device('meta'). Expected real weights; save the state dict of the trained model."
)
_WEIGHTS_UNSAFE = (
    "Refused to load {path}: it contains pickled Python objects beyond tensors ({error}); nothing in it was run. "
    "rai-audit only loads plain state dicts with torch.load(weights_only=True), because a pickle can run code. "
    "Save the weights with torch.save(model.state_dict(), path)."
)
# Tensors may share storage (tied weights); ones that hold far more values than the file stores are views of a few
# values (torch.zeros(1).expand(200000, 200000) saves in 1 KiB), and a model built to fit them would allocate it all.
_MAX_VIEW_RATIO = 100
_WEIGHTS_VIEWS = (
    "{path} holds tensors of {held:,} bytes in all, stored in a file of {size:,} bytes (views repeating a few stored "
    "values); it was not used, since a model built to fit it would allocate that much. Expected the state dict of a "
    "trained model; save it with torch.save(model.state_dict(), path)."
)
_WEIGHTS_NOT_SAFETENSORS = (
    "{path} is named .safetensors but is not a valid safetensors file ({found}); it was not loaded, and nothing in it "
    "was run. rai-audit loads PyTorch state dicts: save the weights with torch.save(model.state_dict(), 'model.pt') "
    "and point at the .pt file. {fix}"
)
_WEIGHTS_SAFETENSORS = (
    "{path} is a safetensors file; rai-audit loads PyTorch state dicts saved by torch.save (it does not depend on the "
    "safetensors package), so it was not loaded. Convert it once: torch.save(safetensors.torch.load_file('{name}'), "
    "'model.pt'), and point at model.pt. {fix}"
)
_WEIGHTS_BAD = "Cannot read {path} as a torch state dict: {error}. The file may be truncated or not a .pt file; save it again."
_WEIGHTS_MISMATCH = (
    "The weights in {path} do not fit the configured model: missing keys {missing}, unexpected keys {unexpected}"
    "{shapes}. {fix}"
)
_MISMATCH_FIX = "Check model.hidden / model.factory match the model that was saved."


def _check_state(state: object, p: Path) -> None:
    """A plain state dict of real tensors, or a message saying what the file holds instead."""
    if isinstance(state, dict):
        inner = [k for k in _CHECKPOINT_KEYS if isinstance(state.get(k), dict)]
        if inner and not all(isinstance(v, torch.Tensor) for v in state.values()):
            keys = sorted(map(str, state))[:8]
            raise ModelError(_WEIGHTS_CHECKPOINT.format(path=p, keys=keys, key=inner[0]))
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelError(_WEIGHTS_BAD.format(path=p, error=f"expected a dict of tensors (a state dict), found {type(state).__name__}"))
    meta = sorted(k for k, v in state.items() if v.is_meta)
    if meta:
        raise ModelError(_WEIGHTS_META.format(path=p, keys=meta[:3], n=len(meta)))
    from audit.records.files import limit_bytes

    held, size = sum(v.numel() * v.element_size() for v in state.values()), p.stat().st_size
    if held > limit_bytes("WEIGHTS") or held > _MAX_VIEW_RATIO * size + (1 << 20):  # a model of that size would be built
        raise ModelError(_WEIGHTS_VIEWS.format(path=p, held=held, size=size))


def _safetensors_found(head: bytes, size: int) -> str | None:
    """None when ``head`` (the file's first bytes) starts a safetensors file, else what it starts like instead."""
    n = int.from_bytes(head[:8], "little") if len(head) >= 8 else -1
    if 2 <= n <= size - 8 and head[8:9] == b"{":  # an 8-byte header length, then the JSON header
        return None
    if head[:1] == b"\x80":
        return "it holds a pickle stream"
    if head[:4] == b"PK\x03\x04":
        return "it is a zip archive, as torch.save writes; if it is one, name it .pt"
    return "its first 8 bytes are not the length of a JSON header within the file"


def _refuse_safetensors(p: Path, *, fix: str) -> None:
    """A file named ``.safetensors``, or one that is safetensors by its first bytes, is refused with what it is.

    Never handed to torch.load: torch answers a ``.safetensors`` name by importing the optional safetensors
    package ("not installed"), which rai-audit does not declare; a pickle under that name is never unpickled.
    """
    with p.open("rb") as fh:  # check_file has seen a regular file
        head = fh.read(9)
    found = _safetensors_found(head, p.stat().st_size)
    if p.suffix.lower() == ".safetensors":
        if found is None:
            raise ModelError(_WEIGHTS_SAFETENSORS.format(path=p, name=p.name, fix=fix))
        raise ModelError(_WEIGHTS_NOT_SAFETENSORS.format(path=p, found=found, fix=fix))
    if found is None:  # safetensors under another name: torch would call it a bad pickle
        raise ModelError(_WEIGHTS_SAFETENSORS.format(path=p, name=p.name, fix=fix))


def read_weights(path: str | Path, *, fix: str = _WEIGHTS_FIX) -> dict[str, torch.Tensor]:
    """Read a state dict safely (``weights_only=True``), with clear errors; nothing in the file is run.

    Parameters
    ----------
    path : str or Path
        A ``.pt`` file holding a state dict (``torch.save(model.state_dict(), path)``).
    fix : str
        The sentence that says how to point at another file (the config's ``model.weights`` by default).

    Raises
    ------
    UnsafeFileError
        The file holds a pickle payload (arbitrary objects); it is never executed.
    ModelError
        A missing, empty, truncated or oversized file; a training checkpoint; meta-device tensors; a safetensors
        file, or a file named ``.safetensors`` that is not one (never handed to torch.load).
    """
    import pickle
    import warnings
    import zipfile

    from audit.exceptions import UnsafeFileError
    from audit.records.files import check_file, check_zip

    p = check_file(path, what="Weights file", fix=fix, error=ModelError, limit="WEIGHTS")
    if p.stat().st_size == 0:
        raise ModelError(_WEIGHTS_BAD.format(path=p, error="the file is empty"))
    check_zip(p, what="Weights file", fix=fix, error=ModelError, limit="WEIGHTS")
    _refuse_safetensors(p, fix=fix)
    try:
        with warnings.catch_warnings():
            # torch warns about pickle protocols of hostile files; the error below says all the user needs.
            warnings.simplefilter("ignore", UserWarning)
            state = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        text = str(exc)
        if "Weights only load failed" in text or "Unsupported global" in text or "weights_only" in text:
            # Name only the refused global: torch's own text goes on to suggest allow-listing it, which
            # for a file of unknown origin is exactly the wrong advice.
            found = re.search(r"GLOBAL\s+([\w.]+)", text)
            what = f"it references {found.group(1)}" if found else "it is not a plain tensor file"
            raise UnsafeFileError(_WEIGHTS_UNSAFE.format(path=p, error=what)) from None
        raise ModelError(_WEIGHTS_BAD.format(path=p, error=text.splitlines()[0][:200])) from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError) as exc:
        first = (str(exc).splitlines() or [type(exc).__name__])[0].split(". ")[0]
        raise ModelError(_WEIGHTS_BAD.format(path=p, error=first[:200])) from None
    _check_state(state, p)
    return cast("dict[str, torch.Tensor]", state)  # _check_state refused anything else


def load_state(model: _Model, state: dict[str, torch.Tensor], path: str | Path, *, fix: str = _MISMATCH_FIX) -> _Model:
    """Load a state dict read by :func:`read_weights` into ``model``; :class:`ModelError` (ending in ``fix``) unless it fits."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}" for k in set(own) & set(state)
              if tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or shapes:
        raise ModelError(_WEIGHTS_MISMATCH.format(path=path, missing=missing[:5], unexpected=unexpected[:5],
                                                  shapes=f", shape mismatches {shapes[:3]}" if shapes else "", fix=fix))
    model.load_state_dict(state)
    return model


def load_weights(model: _Model, path: str | Path, *, fix: str = _WEIGHTS_FIX) -> _Model:
    """Load a state dict into ``model`` safely (``weights_only=True``), with clear errors.

    Raises
    ------
    UnsafeFileError
        The file holds a pickle payload (arbitrary objects); it is never executed.
    ModelError
        Missing, truncated or mismatched weights.

    Examples
    --------
    >>> import tempfile
    >>> from audit.models._builtin import MLP
    >>> path = Path(tempfile.mkdtemp()) / "w.pt"
    >>> torch.save(MLP(3, hidden=(2,)).state_dict(), path)
    >>> load_weights(MLP(3, hidden=(2,)), path).net[0].weight.shape
    torch.Size([2, 3])
    """
    return load_state(model, read_weights(path, fix=fix), Path(path))
