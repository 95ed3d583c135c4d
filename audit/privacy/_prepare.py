"""Before DP training: inputs as tensors, the module fixed for Opacus, the per-sample-gradient mode.

Everything here runs before any step, so a model or loss that cannot be trained
privately is refused up front, with every problem listed.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any, Protocol, cast

import numpy as np
import torch
from torch import nn

from audit.exceptions import DataError, PrivacyError
from audit.models import binary_loss, positive_logit
from audit.models._outputs import LossFn
from audit.privacy._bookkeeping import bookkeeping_problems

__all__ = ["PerSampleLoss", "as_tensors", "from_dataset", "is_dataset", "prepare_module", "resolve_grad_sample_mode"]

_BAD_X = ("X must be a 2-D or higher array of finite numbers with one row per example; found {what}. Fix: encode and "
          "impute the features first.")
_BAD_Y = "y must have one label per row of X ({n}); found {what}. Fix: pass the training labels aligned with X."
_UNSUPPORTED = (
    "The model has {count} layer(s) Opacus cannot train privately, even after its automatic "
    "fixes:\n- {lines}\nFix: replace each as suggested (e.g. BatchNorm -> GroupNorm, "
    "nn.LSTM -> opacus.layers.DPLSTM, nn.MultiheadAttention -> opacus.layers.DPMultiheadAttention) "
    "or freeze it (requires_grad=False)."
)
_ITERABLE = (
    "train_private needs a map-style dataset (with __len__ and __getitem__): Poisson sampling draws "
    "every row independently at every step; found {kind}. Fix: materialise it, e.g. "
    "TensorDataset(X, y), or pass the X, y arrays."
)
_PAIRS = (
    "every item of the dataset must be an (features, label) pair of numbers with a scalar label; "
    "{kind} is not. Fix: return (x, y) from __getitem__, or pass the X, y arrays."
)
_Y_WITH_LOADER = (
    "y was given with a DataLoader or Dataset, which already holds the labels. Fix: pass y=None "
    "(or leave it out), or pass X as an array."
)
_NO_PARAMS = ("The model has no trainable parameters, so there is nothing to train privately. Fix: pass a model with "
              "parameters that require gradients.")
_GHOST_LOSS = (
    "grad_sample_mode={mode!r} needs a loss that can return per-example values; found {loss!r}. "
    "Fix: use the default binary_loss, an nn.Module loss with a 'reduction' attribute "
    "(e.g. nn.CrossEntropyLoss()), or grad_sample_mode='hooks'."
)
_BOOKKEEPING = (
    "grad_sample_mode='bookkeeping' cannot train this model:\n- {lines}\n"
    "Fix: use grad_sample_mode='auto', which falls back to Opacus's ghost clipping or hooks."
)


class _ReducingLoss(Protocol):
    """A loss module whose ``reduction`` says how it sums its per-example values (``nn.CrossEntropyLoss``)."""

    reduction: str

    def __call__(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor: ...


class PerSampleLoss:
    """A criterion with a ``reduction`` attribute, as Opacus's ghost clipping requires."""

    def __init__(self, loss_fn: LossFn) -> None:
        self.loss_fn = loss_fn
        self.reduction = "mean"

    @staticmethod
    def supports(loss_fn: LossFn) -> bool:
        return loss_fn is binary_loss or (isinstance(loss_fn, nn.Module) and hasattr(loss_fn, "reduction"))

    def __call__(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.loss_fn is binary_loss:
            per = nn.functional.binary_cross_entropy_with_logits(
                positive_logit(output), y.float().reshape(-1), reduction="none"
            )
        else:
            module = cast(_ReducingLoss, self.loss_fn)  # an nn.Module with a reduction (supports)
            old = module.reduction
            module.reduction = "none"
            try:
                per = module(output, y)
            finally:
                module.reduction = old
        if self.reduction == "none":
            return per
        return per.sum() if self.reduction == "sum" else per.mean()


def from_dataset(data: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """(features, labels) of a ``DataLoader``'s dataset or a map-style ``Dataset`` of (x, y) pairs.

    DP-SGD's Poisson sampling draws every row independently at every step, so it
    needs random access to the whole dataset: the rows are read once into memory
    (a ``TensorDataset`` is used as it is). The loader's own sampler and batching
    are not used; its ``batch_size`` is the logical batch size unless one is given.

    Examples
    --------
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> X, y = from_dataset(DataLoader(TensorDataset(torch.zeros(5, 3), torch.ones(5)), batch_size=2))
    >>> tuple(X.shape), tuple(y.shape)
    ((5, 3), (5,))
    """
    from torch.utils.data import DataLoader, IterableDataset, TensorDataset

    dataset = data.dataset if isinstance(data, DataLoader) else data
    if isinstance(dataset, IterableDataset) or not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
        raise DataError(_ITERABLE.format(kind=type(dataset).__name__))
    if isinstance(dataset, TensorDataset) and len(dataset.tensors) == 2:
        return dataset.tensors[0], dataset.tensors[1]
    rows = [dataset[i] for i in range(len(dataset))]
    if not rows or not all(isinstance(r, (tuple, list)) and len(r) == 2 for r in rows):
        raise DataError(_PAIRS.format(kind=type(dataset).__name__))
    try:
        return (torch.stack([torch.as_tensor(np.asarray(r[0], dtype=np.float32)) for r in rows]),
                torch.as_tensor(np.asarray([np.asarray(r[1]).item() for r in rows])))
    except (TypeError, ValueError, RuntimeError) as exc:
        raise DataError(_PAIRS.format(kind=type(dataset).__name__) + f" ({exc})") from exc


def is_dataset(X: Any) -> bool:
    """Whether ``X`` is a DataLoader or a Dataset (rather than arrays or tensors)."""
    from torch.utils.data import DataLoader, Dataset

    return isinstance(X, (DataLoader, Dataset))


def as_tensors(X: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
    if is_dataset(X):
        if y is not None:
            raise DataError(_Y_WITH_LOADER)
        X, y = from_dataset(X)
    try:
        X_t = torch.as_tensor(np.asarray(X, dtype=np.float32) if not torch.is_tensor(X) else X).float()
    except (TypeError, ValueError) as exc:
        raise DataError(_BAD_X.format(what=f"values that are not numbers ({exc})")) from exc
    if X_t.ndim < 2 or len(X_t) == 0:
        raise DataError(_BAD_X.format(what=f"shape {tuple(X_t.shape)}"))
    if not torch.isfinite(X_t).all():
        raise DataError(_BAD_X.format(what=f"{int((~torch.isfinite(X_t)).sum())} NaN or infinite values"))
    y_t = torch.as_tensor(np.array(y) if not torch.is_tensor(y) else y)  # a copy: a read-only array warns in torch
    if y_t.ndim != 1 or len(y_t) != len(X_t):
        raise DataError(_BAD_Y.format(n=len(X_t), what=f"shape {tuple(y_t.shape)}"))
    # Float labels stay float (binary loss); integer labels become long (cross-entropy).
    y_t = y_t.float() if y_t.is_floating_point() or y_t.dtype == torch.bool else y_t.long()
    return X_t.contiguous(), y_t.contiguous()


def prepare_module(model: nn.Module) -> tuple[nn.Module, list[str]]:
    """A DP-trainable copy of ``model`` and the list of layer replacements made.

    Runs Opacus's ``ModuleValidator``; applies its fixes (e.g. BatchNorm to
    GroupNorm) and reports each; refuses what cannot be fixed with one message.

    Examples
    --------
    >>> fixed, fixes = prepare_module(nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4)))
    >>> fixes
    ['1: BatchNorm1d -> GroupNorm']
    """
    from opacus.validators import ModuleValidator

    module = copy.deepcopy(model)
    if not any(p.requires_grad for p in module.parameters()):
        raise PrivacyError(_NO_PARAMS)
    if not ModuleValidator.validate(module, strict=False) and not _batchnorm_subclasses(module):
        return module, []
    before = dict(module.named_modules())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fixed = ModuleValidator.fix(module)
    fixes = []
    for name, sub in fixed.named_modules():
        old = before.get(name)
        if name and old is not None and type(old) is not type(sub):
            fixes.append(f"{name}: {type(old).__name__} -> {type(sub).__name__}")
    lines = [str(e).strip().replace("\n", " ") for e in ModuleValidator.validate(fixed, strict=False)]
    lines += _batchnorm_subclasses(fixed)
    if lines:
        raise PrivacyError(_UNSUPPORTED.format(count=len(lines), lines="\n- ".join(lines)), problems=lines)
    return fixed, fixes


def _batchnorm_subclasses(module: nn.Module) -> list[str]:
    # ModuleValidator matches exact types, so a BatchNorm subclass slips through and would
    # silently mix examples within a batch (no per-example gradient, no DP guarantee).
    exact = {nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm}
    return [
        f"{name}: {type(sub).__name__} is a BatchNorm subclass; batch statistics mix examples, so "
        "per-example gradients (and DP) are undefined. Use nn.GroupNorm or nn.LayerNorm instead."
        for name, sub in module.named_modules()
        if isinstance(sub, nn.modules.batchnorm._BatchNorm) and type(sub) not in exact
    ]


def resolve_grad_sample_mode(
    mode: str,
    loss_fn: LossFn,
    *,
    module: nn.Module | None = None,
    sample: torch.Tensor | None = None,
    distributed: bool = False,
) -> str:
    """The per-sample-gradient mode to use; ``'auto'`` picks the fastest that applies.

    ``'auto'`` chooses, in order of measured speed (``benchmarks/bench_privacy.py``):

    1. ``'bookkeeping'``: one backward pass, clipped sums formed from each Linear
       layer's inputs and output gradients (Bu et al. 2023), when ``module`` is
       given, every trainable parameter is in a plain ``nn.Linear`` or ``nn.Conv2d`` called once per
       forward pass (checked on ``sample``) and the loss gives per-example values
       (in one process or under DPDDP alike: ``distributed`` no longer changes the choice);
    2. ``'ghost'``: Opacus's ghost clipping (Li et al. 2022), which computes
       per-example gradient *norms* without materialising per-example gradients
       but runs two backward passes; needs per-example losses;
    3. ``'hooks'`` otherwise.

    Examples
    --------
    >>> resolve_grad_sample_mode("auto", binary_loss)
    'ghost'
    >>> resolve_grad_sample_mode("auto", binary_loss, module=nn.Linear(3, 1))
    'bookkeeping'
    """
    per_example_ok = PerSampleLoss.supports(loss_fn)
    if mode == "auto":
        if per_example_ok and module is not None and not bookkeeping_problems(module, sample):
            return "bookkeeping"
        return "ghost" if per_example_ok else "hooks"
    if mode in ("ghost", "bookkeeping") and not per_example_ok:
        raise PrivacyError(_GHOST_LOSS.format(mode=mode, loss=loss_fn))
    if mode == "bookkeeping":
        problems = bookkeeping_problems(module, sample) if module is not None else []
        if problems:
            raise PrivacyError(_BOOKKEEPING.format(lines="\n- ".join(problems)), problems=problems)
    return mode
