"""How rai-audit reads a binary classifier's output.

A model may end in one logit (shape ``(n,)`` or ``(n, 1)``) or two class
logits (shape ``(n, 2)``). Everything that trains, predicts or explains goes
through these helpers so the three agree on what "the positive score" is.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import torch
from torch import nn

from audit.exceptions import ModelError

__all__ = [
    "MLP",
    "RegressionLoss",
    "WeightedClassLoss",
    "class_weights",
    "positive_logit",
    "binary_loss",
    "predict_proba",
    "check_output_shape",
    "count_parameters",
    "load_weights",
]

_BAD_OUTPUT = (
    "The model's output has shape {shape} for a batch of {n} rows. Expected a binary "
    "classifier: shape ({n},), ({n}, 1) (one logit) or ({n}, 2) (two class logits). "
    "Fix: end the model with nn.Linear(hidden, 1)."
)


class MLP(nn.Module):
    """The built-in tabular model: Linear-ReLU blocks ending in one logit (or one output per class).

    Parameters
    ----------
    n_features : int
        Number of encoded input columns.
    hidden : sequence of int
        Width of each hidden layer, e.g. ``(64, 32)``.
    dropout : float
        Dropout after each hidden layer (0 disables it).
    n_outputs : int
        Outputs: 1 (a binary logit or a regression value) or the number of classes.

    Examples
    --------
    >>> MLP(10, hidden=(8,))(torch.zeros(3, 10)).shape
    torch.Size([3, 1])
    """

    def __init__(self, n_features: int, hidden: tuple[int, ...] | list[int] = (64, 32), dropout: float = 0.0,
                 n_outputs: int = 1) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_features
        for h in hidden:
            layers += [nn.Linear(width, int(h)), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = int(h)
        layers.append(nn.Linear(width, int(n_outputs)))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.net(x)


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
    return counts.sum() / (n_classes * np.maximum(counts, 1))


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


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
_WEIGHTS_BAD = "Cannot read {path} as a torch state dict: {error}. The file may be truncated or not a .pt file; save it again."
_WEIGHTS_MISMATCH = (
    "The weights in {path} do not fit the configured model: missing keys {missing}, unexpected keys {unexpected}"
    "{shapes}. Check model.hidden / model.factory match the model that was saved."
)


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


def load_weights(model: nn.Module, path: str | Path) -> nn.Module:
    """Load a state dict into ``model`` safely (``weights_only=True``), with clear errors.

    Raises
    ------
    UnsafeFileError
        The file holds a pickle payload (arbitrary objects); it is never executed.
    ModelError
        Missing, truncated or mismatched weights.
    """
    import pickle
    import warnings
    import zipfile

    from audit.exceptions import UnsafeFileError

    from audit.records.files import check_file, check_zip

    p = check_file(path, what="Weights file", fix=_WEIGHTS_FIX, error=ModelError, limit="WEIGHTS")
    if p.stat().st_size == 0:
        raise ModelError(_WEIGHTS_BAD.format(path=p, error="the file is empty"))
    check_zip(p, what="Weights file", fix=_WEIGHTS_FIX, error=ModelError, limit="WEIGHTS")
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
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(own[k].shape)}" for k in set(own) & set(state)
              if tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or shapes:
        raise ModelError(_WEIGHTS_MISMATCH.format(path=p, missing=missing[:5], unexpected=unexpected[:5],
                                                  shapes=f", shape mismatches {shapes[:3]}" if shapes else ""))
    model.load_state_dict(state)
    return model
