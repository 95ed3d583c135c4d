"""Crash-safe checkpoints for private training.

A checkpoint holds everything needed to continue *the same* DP-SGD run: model
and optimizer state, the accountant's history (so ε is never reset), the
random generators for sampling and noise, and a fingerprint of the settings
and data, so a checkpoint written for another configuration is refused rather
than silently spending a different budget.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from filelock import FileLock, Timeout
from torch import nn

from audit.exceptions import PrivacyError

__all__ = ["CHECKPOINT_NAME", "checkpoint_in_use", "checkpoint_lock", "load_checkpoint", "save_checkpoint", "training_fingerprint"]

CHECKPOINT_NAME = "dp_checkpoint.pt"
LOCK_NAME = "train.lock"
_FORMAT = 1

_CORRUPT = (
    "The DP checkpoint {path} cannot be read ({error}). Expected a checkpoint written by "
    "rai-audit's train_private. Fix: delete it to start training from scratch (the budget of "
    "the interrupted run is then not reused), or restore the file."
)
_MISMATCH = (
    "The DP checkpoint {path} was written for another training configuration (fingerprint "
    "{found}, this run {expected}); resuming it would mix two budgets. Fix: use a fresh "
    "checkpoint_dir for this configuration, or rerun with the original settings and data."
)
_BROKEN_ACCOUNTANT = (
    "The DP checkpoint {path} says {epochs} epoch(s) were trained but its accountant records "
    "{found} step(s) instead of {expected}; resuming would understate the privacy spent. Fix: "
    "delete the checkpoint and retrain from scratch."
)


_BUSY = (
    "The DP checkpoint directory {path} is in use by another training process{who}. Two processes "
    "resuming and rewriting one checkpoint could interleave their states. Fix: wait for the other "
    "run to finish, or pass a different checkpoint_dir."
)


def _file_lock(path: Path, **options: Any) -> Any:
    """A non-blocking OS lock on ``path`` (``flock`` on POSIX, ``LockFileEx`` on Windows) through filelock.

    ``timeout=0`` makes one attempt. No soft (marker-file) fallback: only a lock the OS holds for the
    process is released when the process dies, so a killed run never leaves a stale lock behind.
    """
    return FileLock(path, timeout=0, fallback_to_soft=False, preserve_lock_file=True, **options)


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:  # Windows: the holder's byte-range lock forbids reading
        return ""


@contextmanager
def checkpoint_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` while training with it.

    The lock is an OS file lock on ``directory/train.lock`` (``flock`` on POSIX, through
    filelock); the OS releases it when the process dies, so a killed run never leaves a
    stale lock. The file holds the holder's pid, which the refusal names.

    Raises
    ------
    PrivacyError
        If another process holds it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d, checkpoint_lock(Path(d)):
    ...     checkpoint_in_use(Path(d))
    True
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_NAME
    lock = _file_lock(path)
    try:
        lock.acquire()
    except Timeout:
        holder = _holder(path)
        raise PrivacyError(_BUSY.format(path=directory, who=f" (pid {holder})" if holder.isdigit() else "")) from None
    try:
        # For the next one's refusal. A contender never truncates the file (filelock >= 3.30), so the pid stays.
        path.write_text(str(os.getpid()), encoding="ascii")
        yield
    finally:
        lock.release()


def checkpoint_in_use(directory: Path) -> bool:
    """Whether some process holds :func:`checkpoint_lock` on ``directory`` (this one included)."""
    path = Path(directory) / LOCK_NAME
    if not path.exists():
        return False
    lock = _file_lock(path)
    try:
        lock.acquire()
    except Timeout:
        return True
    lock.release()
    return False


def training_fingerprint(
    *, model: nn.Module, X: torch.Tensor, y: torch.Tensor, settings: dict, config_fingerprint: str | None
) -> str:
    """sha256 over what decides the privacy spent and the result: settings, data, architecture.

    Weights are left out on purpose: the checkpoint carries them, and an unseeded
    factory must still be able to resume.
    """
    h = hashlib.sha256()
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    h.update(json.dumps(config_fingerprint).encode())
    h.update(type(model).__module__.encode() + b"." + type(model).__qualname__.encode())
    for name, tensor in model.state_dict().items():
        h.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype};".encode())
    for t in (X, y):
        arr = np.ascontiguousarray(t.detach().cpu().numpy())
        h.update(f"{arr.dtype}{arr.shape}".encode())
        h.update(arr.tobytes())
    return h.hexdigest()


def save_checkpoint(directory: Path, state: dict[str, Any]) -> Path:
    """Write ``state`` atomically (temp file, fsync, rename) so a kill never leaves half a file."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / CHECKPOINT_NAME
    tmp = directory / (CHECKPOINT_NAME + f".tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        torch.save({"format": _FORMAT, **state}, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


def load_checkpoint(directory: Path, *, fingerprint: str, steps_per_epoch: int) -> dict[str, Any] | None:
    """The checkpoint in ``directory`` if there is one, validated; ``None`` if there is none.

    Raises
    ------
    PrivacyError
        If the file is unreadable, from another configuration, or its accountant
        history does not match the epochs it claims.
    """
    path = Path(directory) / CHECKPOINT_NAME
    if not path.exists():
        return None
    try:
        # weights_only: a checkpoint is data; never execute a pickle from disk.
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure to read means the same thing here
        raise PrivacyError(_CORRUPT.format(path=path, error=f"{type(exc).__name__}: {exc}")) from exc
    if not isinstance(state, dict) or state.get("format") != _FORMAT:
        raise PrivacyError(_CORRUPT.format(path=path, error="unknown format"))
    if state.get("fingerprint") != fingerprint:
        raise PrivacyError(_MISMATCH.format(path=path, found=state.get("fingerprint"), expected=fingerprint))
    history = state["accountant"].get("history", [])
    recorded = int(sum(int(entry[2]) for entry in history))
    expected = int(state["epoch"]) * steps_per_epoch
    if recorded != expected:
        raise PrivacyError(_BROKEN_ACCOUNTANT.format(path=path, epochs=state["epoch"], found=recorded, expected=expected))
    return state
