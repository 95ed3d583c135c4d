"""DP-SGD training through Opacus, with defaults that work and a budget that holds.

``train_private`` is a facade in the spirit of Opacus's ``PrivacyEngine``: it
validates the settings, prepares the module (fixing what ModuleValidator can
fix), resolves the per-sample-gradient mode, resumes from a checkpoint if one
matches, and trains with Poisson sampling, clipping and calibrated noise. The
noise multiplier is the one ``make_private_with_epsilon`` would choose (the same
binary search over the same accountant), computed once during validation.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from audit.exceptions import DataError, PrivacyError
from audit.modeling import binary_loss, positive_logit
from audit.privacy._bookkeeping import BookkeepingClipper, bookkeeping_problems
from audit.privacy._checkpoint import checkpoint_lock, load_checkpoint, save_checkpoint, training_fingerprint
from audit.privacy._settings import (
    DELTA_RULE,
    DP_DEFAULTS,
    default_delta,
    steps_per_epoch,
    validate_privacy_settings,
)

__all__ = ["PrivateTrainingResult", "prepare_module", "resolve_grad_sample_mode", "train_private"]

ProgressFn = Callable[[int, int, dict], None]

_BAD_X = "X must be a 2-D or higher array of finite numbers with one row per example; found {what}. Fix: encode and impute the features first."
_BAD_Y = "y must have one label per row of X ({n}); found {what}. Fix: pass the training labels aligned with X."
_UNSUPPORTED = (
    "The model has {count} layer(s) Opacus cannot train privately, even after its automatic "
    "fixes:\n- {lines}\nFix: replace each as suggested (e.g. BatchNorm -> GroupNorm, "
    "nn.LSTM -> opacus.layers.DPLSTM, nn.MultiheadAttention -> opacus.layers.DPMultiheadAttention) "
    "or freeze it (requires_grad=False)."
)
_NO_PARAMS = "The model has no trainable parameters, so there is nothing to train privately. Fix: pass a model with parameters that require gradients."
_GHOST_LOSS = (
    "grad_sample_mode={mode!r} needs a loss that can return per-example values; found {loss!r}. "
    "Fix: use the default binary_loss, an nn.Module loss with a 'reduction' attribute "
    "(e.g. nn.CrossEntropyLoss()), or grad_sample_mode='hooks'."
)
_BOOKKEEPING = (
    "grad_sample_mode='bookkeeping' cannot train this model:\n- {lines}\n"
    "Fix: use grad_sample_mode='auto', which falls back to Opacus's ghost clipping or hooks."
)
_STEP_HOOK_MODE = (
    "A step hook (used by the white-box canary audit) needs grad_sample_mode='bookkeeping'; "
    "found {mode!r}. Fix: audit a model whose trainable layers are nn.Linear, or use the "
    "input-space canary audit."
)
_OVERSPENT = (
    "Private training would report epsilon={spent:.4f} above the target {target}; refusing to "
    "label this model as ({target}, {delta:.3g})-DP. Fix: report this as a bug; lower epsilon "
    "slightly as a workaround."
)
_MODE_FAILED = (
    "Per-example gradients with grad_sample_mode={mode!r} failed on this model and data "
    "({error}). Expected the model to run on a batch of X and the loss to accept (output, y). "
    "Fix: check the model and loss on one batch without DP, or try grad_sample_mode='hooks'."
)
_DIST_DISAGREE = (
    "The processes of this distributed run see different checkpoints in {path} (epoch per rank: "
    "{seen}); resuming them would mix states. Expected one folder shared by every process (a "
    "shared filesystem). Fix: put checkpoint_dir on storage every rank reads, or delete the "
    "checkpoints to start over."
)
_DIST_PEER = "Another process of this distributed run failed: {message}"
_DIST_POISSON = (
    "Distributed DP training needs poisson_sampling=True (Opacus shards the data and samples "
    "each shard). Fix: set poisson_sampling=True."
)
_RESUMED_SIGMA = (
    "The checkpoint's noise multiplier {found:.6g} differs from the one this configuration "
    "needs ({expected:.6g}). Fix: delete the checkpoint and retrain."
)


@dataclass(frozen=True)
class PrivateTrainingResult:
    """What :func:`train_private` returns: the trained model and how private it is.

    ``model`` is a plain ``nn.Module`` (the caller's architecture after the
    replacements listed in ``module_fixes``), unwrapped from Opacus. Everything
    else is plain data; :meth:`to_dict` gives the JSON-serialisable record.
    """

    model: nn.Module
    module_fixes: list[str]
    epsilon_target: float
    epsilon_spent: float
    delta: float
    delta_rule: str
    accountant: str
    max_grad_norm: float
    noise_multiplier: float
    sample_rate: float
    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: str
    poisson_sampling: bool
    grad_sample_mode: str
    n_train: int
    steps: int
    epsilon_history: list[float] = field(default_factory=list)
    loss_history: list[float | None] = field(default_factory=list)
    resumed_from_epoch: int | None = None
    seconds_per_epoch: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable record of the private training (no model weights).

        Examples
        --------
        >>> import json  # doctest: +SKIP
        >>> json.dumps(result.to_dict())  # doctest: +SKIP
        """
        keys = (
            "epsilon_target", "epsilon_spent", "delta", "delta_rule", "accountant", "max_grad_norm",
            "noise_multiplier", "sample_rate", "epochs", "batch_size", "learning_rate", "optimizer",
            "poisson_sampling", "grad_sample_mode", "n_train", "steps", "epsilon_history",
            "loss_history", "module_fixes", "resumed_from_epoch", "seconds_per_epoch",
        )
        return {k: copy.deepcopy(getattr(self, k)) for k in keys}


class _RowDataset(TensorDataset):
    """TensorDataset that fetches a whole batch with one indexing op.

    The default DataLoader path indexes row by row and collates; for tabular data
    that costs more than the DP-SGD step itself (about 7x per epoch on Adult).
    """

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, ...]]:
        idx = torch.as_tensor(indices, dtype=torch.long)
        return [tuple(t[idx] for t in self.tensors)]


def _first(batch: list) -> Any:
    # Pairs with _RowDataset.__getitems__: the batch is already collated.
    return batch[0]


class _PerSampleLoss:
    """A criterion with a ``reduction`` attribute, as Opacus's ghost clipping requires."""

    def __init__(self, loss_fn: Callable) -> None:
        self.loss_fn = loss_fn
        self.reduction = "mean"

    @staticmethod
    def supports(loss_fn: Callable) -> bool:
        return loss_fn is binary_loss or (isinstance(loss_fn, nn.Module) and hasattr(loss_fn, "reduction"))

    def __call__(self, output: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.loss_fn is binary_loss:
            per = nn.functional.binary_cross_entropy_with_logits(
                positive_logit(output), y.float().reshape(-1), reduction="none"
            )
        else:
            old = self.loss_fn.reduction
            self.loss_fn.reduction = "none"
            try:
                per = self.loss_fn(output, y)
            finally:
                self.loss_fn.reduction = old
        if self.reduction == "none":
            return per
        return per.sum() if self.reduction == "sum" else per.mean()


def _as_tensors(X: Any, y: Any) -> tuple[torch.Tensor, torch.Tensor]:
    try:
        X_t = torch.as_tensor(np.asarray(X, dtype=np.float32) if not torch.is_tensor(X) else X).float()
    except (TypeError, ValueError) as exc:
        raise DataError(_BAD_X.format(what=f"values that are not numbers ({exc})")) from exc
    if X_t.ndim < 2 or len(X_t) == 0:
        raise DataError(_BAD_X.format(what=f"shape {tuple(X_t.shape)}"))
    if not torch.isfinite(X_t).all():
        raise DataError(_BAD_X.format(what=f"{int((~torch.isfinite(X_t)).sum())} NaN or infinite values"))
    y_t = torch.as_tensor(np.asarray(y) if not torch.is_tensor(y) else y)
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
    loss_fn: Callable,
    *,
    module: nn.Module | None = None,
    sample: torch.Tensor | None = None,
    distributed: bool = False,
) -> str:
    """The per-sample-gradient mode to use; ``'auto'`` picks the fastest that applies.

    ``'auto'`` chooses, in order of measured speed (``benchmarks/bench_privacy.py``):

    1. ``'bookkeeping'``: one backward pass, clipped sums formed from each Linear
       layer's inputs and output gradients (Bu et al. 2023), when ``module`` is
       given, every trainable parameter is in a plain ``nn.Linear`` called once per
       forward pass (checked on ``sample``), the loss gives per-example values and
       training is not distributed;
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
    per_example_ok = _PerSampleLoss.supports(loss_fn)
    if mode == "auto":
        if per_example_ok and module is not None and not distributed and not bookkeeping_problems(module, sample):
            return "bookkeeping"
        return "ghost" if per_example_ok else "hooks"
    if mode in ("ghost", "bookkeeping") and not per_example_ok:
        raise PrivacyError(_GHOST_LOSS.format(mode=mode, loss=loss_fn))
    if mode == "bookkeeping":
        problems = ["distributed training (DPDDP) is not supported; use 'ghost'"] if distributed else []
        problems += bookkeeping_problems(module, sample) if module is not None else []
        if problems:
            raise PrivacyError(_BOOKKEEPING.format(lines="\n- ".join(problems)), problems=problems)
    return mode


def _epsilon(engine: Any, delta: float) -> float:
    with warnings.catch_warnings():
        # PRV bounds its domain with RDP, which warns when the best order is at the grid's edge.
        warnings.simplefilter("ignore")
        return float(engine.accountant.get_epsilon(delta=delta))


def _make_optimizer(name: str, params, lr: float) -> torch.optim.Optimizer:
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    return torch.optim.Adam(params, lr=lr)


def _all_agree(distributed: bool, action: Callable[[], Any]) -> Any:
    """Run ``action`` here; under DPDDP, raise on every rank if it failed on any.

    A rank that raised alone would leave the others blocked in the next collective
    call; instead all ranks learn of the failure and raise the same error.
    """
    if not distributed:
        return action()
    value, message = None, None
    try:
        value = action()
    except PrivacyError as exc:
        message = str(exc)
    except OSError as exc:
        message = f"{type(exc).__name__}: {exc}"
    messages = [None] * torch.distributed.get_world_size()
    torch.distributed.all_gather_object(messages, message)
    failed = [m for m in messages if m is not None]
    if message is not None:
        raise PrivacyError(message)
    if failed:
        raise PrivacyError(_DIST_PEER.format(message=failed[0]))
    return value


def _unwrapped(module: nn.Module, distributed: bool) -> nn.Module:
    # The caller's module inside Opacus's DPDDP wrapper (its state_dict keys carry no "module." prefix).
    return module.module if distributed else module


def _run_first_step(mode: str, step: Callable[[], Any]) -> Any:
    # The first step is where an unsuitable model or loss shows itself; say which mode failed.
    try:
        return step()
    except (RuntimeError, ValueError, NotImplementedError, TypeError) as exc:
        raise PrivacyError(_MODE_FAILED.format(mode=mode, error=f"{type(exc).__name__}: {exc}")) from exc


class _OpacusTrainer:
    """DP-SGD through ``PrivacyEngine.make_private`` and ``BatchMemoryManager`` (Opacus's modes)."""

    def __init__(self, *, engine, module, optimizer, loss_fn, loader, sigma, max_grad_norm, poisson_sampling,
                 mode, noise_gen, sample_gen, max_physical_batch_size, step_hook=None) -> None:
        if step_hook is not None:
            raise PrivacyError(_STEP_HOOK_MODE.format(mode=mode))
        self.mode = mode
        criterion = _PerSampleLoss(loss_fn) if mode == "ghost" else loss_fn
        made = engine.make_private(
            module=module, optimizer=optimizer, criterion=criterion, data_loader=loader, noise_multiplier=sigma,
            max_grad_norm=max_grad_norm, poisson_sampling=poisson_sampling, grad_sample_mode=mode,
            noise_generator=noise_gen,
        )
        if mode == "ghost":
            self.model, self.optimizer, self.criterion, self.loader = made
        else:
            self.model, self.optimizer, self.loader = made
            self.criterion = criterion
        if poisson_sampling:
            self.loader.batch_sampler.generator = sample_gen
        self.max_physical_batch_size = max_physical_batch_size
        self._first = True

    def _step(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.criterion(self.model(xb), yb)
        loss.backward()
        return loss

    def run_epoch(self) -> tuple[float, int]:
        from opacus.utils.batch_memory_manager import BatchMemoryManager

        self.model.train()
        loss_sum, count = 0.0, 0
        with warnings.catch_warnings(), BatchMemoryManager(
            data_loader=self.loader, max_physical_batch_size=self.max_physical_batch_size, optimizer=self.optimizer
        ) as batches:
            # Ghost clipping's double backward triggers a harmless PyTorch hook warning per step.
            warnings.filterwarnings("ignore", message="Full backward hook is firing")
            for xb, yb in batches:
                if self._first:
                    loss = _run_first_step(self.mode, lambda: self._step(xb, yb))
                    self._first = False
                else:
                    loss = self._step(xb, yb)
                # An empty Poisson batch still takes a (pure-noise) step: the accountant
                # assumes every step happens, so skipping it would misstate the privacy.
                self.optimizer.step()
                if len(yb):
                    loss_sum += float(loss.item()) * len(yb)
                    count += len(yb)
        return loss_sum, count

    def plain_module(self) -> nn.Module:
        return self.model._module

    def close(self) -> None:
        if hasattr(self.model, "to_standard_module"):
            self.model.to_standard_module()  # removes Opacus's hooks from the module


def _clipped_sum_optimizer(**kwargs: Any) -> Any:
    """Opacus's ``DPOptimizerFastGradientClipping`` that takes ``p.grad`` as the clipped sum.

    Identical to Opacus's except that ``accumulate`` takes the gradient tensor itself
    instead of a deep copy (a measurable share of a 1.4 ms step; the trainer writes a
    fresh tensor every step); noise, scaling and the accountant hook are Opacus's.
    """
    from opacus.optimizers import DPOptimizerFastGradientClipping

    class _ClippedSumOptimizer(DPOptimizerFastGradientClipping):
        def accumulate(self) -> None:
            for p in self.params:
                if p.summed_grad is not None:
                    p.summed_grad.add_(p.grad)
                else:
                    p.summed_grad = p.grad.detach()

    return _ClippedSumOptimizer(**kwargs)


def _index_sampler(**kwargs: Any) -> Any:
    """Opacus's ``UniformWithReplacementSampler`` yielding index tensors instead of lists.

    Same random draws (one ``torch.rand`` over all rows per step), same number of
    steps; the rows are then taken with one indexing op, skipping the DataLoader.
    """
    from opacus.utils.uniform_sampler import UniformWithReplacementSampler

    class _IndexTensorSampler(UniformWithReplacementSampler):
        def __iter__(self):
            for _ in range(self.steps):
                yield (torch.rand(self.num_samples, generator=self.generator) < self.sample_rate).nonzero().reshape(-1)

    return _IndexTensorSampler(**kwargs)


class _BookkeepingTrainer:
    """DP-SGD with book-keeping clipping: Opacus's sampler, noise and accountant, one backward pass.

    The parts are the ones ``make_private`` would build for ghost clipping (Poisson
    sampling at ``1 / len(loader)`` as ``DPDataLoader`` does, ``DPOptimizerFastGradientClipping``
    with the same expected batch size, the accountant's step hook at the same
    sample rate); only the clipped gradient sum comes from
    :class:`~audit.privacy._bookkeeping.BookkeepingClipper`. Logical batches larger
    than ``max_physical_batch_size`` are processed in slices and summed, which is
    exact because clipping is per example.
    """

    def __init__(self, *, engine, module, optimizer, loss_fn, loader, sigma, max_grad_norm, poisson_sampling,
                 mode, noise_gen, sample_gen, max_physical_batch_size, step_hook=None) -> None:
        self.mode = mode
        self.module = module
        self.tensors = loader.dataset.tensors
        n = len(loader.dataset)
        # Poisson batches as Opacus's DPDataLoader draws them; shuffled partitions through the loader otherwise.
        self.batches = _index_sampler(num_samples=n, sample_rate=1 / len(loader), generator=sample_gen) if poisson_sampling else None
        self.loader = loader
        sample_rate = 1 / (len(self.batches) if poisson_sampling else len(loader))
        self.optimizer = _clipped_sum_optimizer(
            optimizer=optimizer, noise_multiplier=sigma, max_grad_norm=max_grad_norm,
            expected_batch_size=int(n * sample_rate), loss_reduction="mean", generator=noise_gen,
        )
        self.optimizer.attach_step_hook(engine.accountant.get_optimizer_hook_fn(sample_rate=sample_rate))
        self.clipper = BookkeepingClipper(module, max_grad_norm=max_grad_norm)
        self.loss = _PerSampleLoss(loss_fn)
        self.loss.reduction = "none"
        self.max_physical_batch_size = max_physical_batch_size
        self._first = True
        self.step_hook = step_hook
        if step_hook is not None:
            step_hook.attach(sample_rate=sample_rate, max_grad_norm=max_grad_norm)

    def _slice(self, xb: torch.Tensor, yb: torch.Tensor) -> float:
        with self.clipper.capture():
            per_example = self.loss(self.module(xb), yb)
            per_example.sum().backward()  # a sum, so each example's gradient is its own
        self.clipper.accumulate()
        return float(per_example.detach().sum())

    def _epoch_batches(self):
        if self.batches is None:
            yield from self.loader
            return
        X, y = self.tensors
        # A DataLoader draws a base seed from its generator (the sampling generator, which
        # DPDataLoader shares) at the start of every epoch; so do we, so the batches are
        # exactly those of Opacus's DPDataLoader.
        torch.empty((), dtype=torch.int64).random_(generator=self.batches.generator)
        for idx in self.batches:
            yield X[idx], y[idx]

    def run_epoch(self) -> tuple[float, int]:
        self.module.train()
        loss_sum, count = 0.0, 0
        for xb, yb in self._epoch_batches():
            self.optimizer.zero_grad(set_to_none=True)
            for start in range(0, len(yb), self.max_physical_batch_size):
                xs, ys = xb[start : start + self.max_physical_batch_size], yb[start : start + self.max_physical_batch_size]
                if self._first:
                    loss_sum += _run_first_step(self.mode, lambda: self._slice(xs, ys))
                    self._first = False
                else:
                    loss_sum += self._slice(xs, ys)
            count += len(yb)
            # An empty Poisson batch gives zero gradients and still takes a (pure-noise) step.
            self.clipper.write_grads()
            if self.step_hook is not None:
                self.step_hook.before_noise()  # p.grad holds the clipped sum
            self.optimizer.step()
            if self.step_hook is not None:
                self.step_hook.after_step()  # p.grad holds the released, noisy average
        return loss_sum, count

    def plain_module(self) -> nn.Module:
        return self.module

    def close(self) -> None:
        self.clipper.close()


def train_private(
    model: nn.Module,
    X: Any,
    y: Any,
    *,
    epsilon: float,
    delta: float | None = None,
    max_grad_norm: float = DP_DEFAULTS["max_grad_norm"],
    epochs: int = DP_DEFAULTS["epochs"],
    batch_size: int = DP_DEFAULTS["batch_size"],
    learning_rate: float = DP_DEFAULTS["learning_rate"],
    optimizer: str = DP_DEFAULTS["optimizer"],
    seed: int = 0,
    accountant: str = DP_DEFAULTS["accountant"],
    poisson_sampling: bool = DP_DEFAULTS["poisson_sampling"],
    max_physical_batch_size: int = DP_DEFAULTS["max_physical_batch_size"],
    grad_sample_mode: str = DP_DEFAULTS["grad_sample_mode"],
    loss_fn: Callable = binary_loss,
    checkpoint_dir: Path | str | None = None,
    config_fingerprint: str | None = None,
    progress: ProgressFn | None = None,
    distributed: bool | None = None,
) -> PrivateTrainingResult:
    """Train ``model`` with DP-SGD so that it is (``epsilon``, ``delta``)-differentially private.

    Parameters
    ----------
    model : nn.Module
        The architecture to train (not modified; a copy is trained).
    X, y : array-like or Tensor
        Encoded float features and labels (0/1 for the default loss; class indices
        for ``nn.CrossEntropyLoss()``).
    epsilon : float
        Target ε; training never spends more.
    delta : float, optional
        Target δ, below 1/n. Default: the largest power of ten not above 1/(10 n).
    max_grad_norm, epochs, batch_size, learning_rate, optimizer
        DP-SGD settings; defaults in :data:`DP_DEFAULTS` (see docs/privacy.md for why).
    seed : int
        Seeds Poisson sampling and the noise, so a run is reproducible.
    accountant : {'prv', 'rdp', 'gdp'}
        Privacy accountant used to calibrate the noise and report ε.
    poisson_sampling : bool
        Sample each row independently per step (what the accountants assume). With
        ``False`` batches are shuffled partitions and the reported ε is an approximation.
    max_physical_batch_size : int
        Largest batch computed at once; larger logical batches are split (memory only).
    grad_sample_mode : {'auto', 'bookkeeping', 'ghost', 'hooks', 'functorch', 'ew'}
        How per-example gradients are clipped; ``'auto'`` picks the fastest that
        applies (see :func:`resolve_grad_sample_mode`). ``'bookkeeping'`` is ours
        (one backward pass, Linear layers only); the others are Opacus's.
    loss_fn : callable
        ``loss_fn(output, y) -> scalar`` mean loss.
    checkpoint_dir : path, optional
        Write a checkpoint after every epoch and resume from it if present. Under
        DPDDP every process must see the same folder (rank 0 writes it).
    config_fingerprint : str, optional
        The caller's config hash, mixed into the checkpoint fingerprint.
    progress : callable, optional
        ``progress(epoch, total_epochs, {"loss", "epsilon", "seconds"})`` after each epoch.
    distributed : bool, optional
        Train with Opacus's ``DPDDP`` across the processes of the initialised
        ``torch.distributed`` group (default: whenever one is initialised). Every
        process passes the same full ``X``, ``y`` and the *global* ``batch_size``;
        each samples its own shard, so ε equals the single-process ε.

    Returns
    -------
    PrivateTrainingResult

    Raises
    ------
    PrivacyError
        Invalid settings (all listed), a model Opacus cannot handle, or a checkpoint
        from another configuration. Never returns a non-private model.

    Examples
    --------
    >>> from audit.modeling import MLP
    >>> X = np.random.default_rng(0).normal(size=(512, 5)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.float32)
    >>> res = train_private(MLP(5, hidden=(8,)), X, y, epsilon=2.0, epochs=2, batch_size=128)
    >>> res.epsilon_spent <= 2.0
    True
    """
    # locals() here holds exactly the parameters above.
    return _train_private(**locals())


def _train_private(
    model: nn.Module,
    X: Any,
    y: Any,
    *,
    epsilon: float,
    delta: float | None,
    max_grad_norm: float,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    optimizer: str,
    seed: int,
    accountant: str,
    poisson_sampling: bool,
    max_physical_batch_size: int,
    grad_sample_mode: str,
    loss_fn: Callable,
    checkpoint_dir: Path | str | None,
    config_fingerprint: str | None,
    progress: ProgressFn | None,
    distributed: bool | None,
    step_hook: Any = None,
) -> PrivateTrainingResult:
    """:func:`train_private`, plus a private ``step_hook`` that sees each step's clipped sum and release.

    The hook (``parameters()``, trained and noised with the model's;
    ``attach(sample_rate, max_grad_norm)``; ``before_noise()``; ``after_step()``) is how the white-box canary audit inserts canary gradients; it
    is not public because a hook that adds unclipped gradients would void the guarantee.
    """
    from opacus import PrivacyEngine

    X_t, y_t = _as_tensors(X, y)
    n = len(X_t)
    sigma = validate_privacy_settings(
        epsilon=epsilon, delta=delta, max_grad_norm=max_grad_norm, n_train=n, epochs=epochs,
        batch_size=batch_size, learning_rate=learning_rate, accountant=accountant,
        grad_sample_mode=grad_sample_mode, optimizer=optimizer, max_physical_batch_size=max_physical_batch_size,
    )
    assert sigma is not None and sigma > 0  # validation guarantees it; a zero would be non-private
    delta_used, delta_rule = (default_delta(n), DELTA_RULE) if delta is None else (float(delta), "given by the caller")
    sample_rate, per_epoch = steps_per_epoch(n, batch_size)
    module, fixes = prepare_module(model)
    if distributed is None:
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
    mode = resolve_grad_sample_mode(grad_sample_mode, loss_fn, module=module, sample=X_t[:2], distributed=bool(distributed))

    settings = {
        "epsilon": float(epsilon), "delta": delta_used, "max_grad_norm": float(max_grad_norm), "epochs": int(epochs),
        "batch_size": int(batch_size), "learning_rate": float(learning_rate), "optimizer": optimizer, "seed": int(seed),
        "accountant": accountant, "poisson_sampling": bool(poisson_sampling), "loss": getattr(loss_fn, "__qualname__", repr(loss_fn)),
    }
    rank, world = 0, 1
    if distributed:
        rank, world = torch.distributed.get_rank(), torch.distributed.get_world_size()
        settings["world_size"] = world  # a resume must shard the data the same way
    with contextlib.ExitStack() as held:
        state = None
        fingerprint = None
        if checkpoint_dir is not None:
            # One process (rank 0 under DPDDP) holds the checkpoint folder: two runs resuming and
            # rewriting one checkpoint could interleave their states.
            _all_agree(distributed, lambda: held.enter_context(checkpoint_lock(Path(checkpoint_dir))) if rank == 0 else None)
            fingerprint = training_fingerprint(model=module, X=X_t, y=y_t, settings=settings, config_fingerprint=config_fingerprint)
            state = _all_agree(distributed, lambda: load_checkpoint(Path(checkpoint_dir), fingerprint=fingerprint,
                                                                    steps_per_epoch=per_epoch))
            if distributed:
                epochs_seen = [None] * world
                torch.distributed.all_gather_object(epochs_seen, None if state is None else int(state["epoch"]))
                if len(set(epochs_seen)) > 1:
                    raise PrivacyError(_DIST_DISAGREE.format(path=checkpoint_dir, seen=epochs_seen))
        if state is not None:
            if not math.isclose(float(state["noise_multiplier"]), sigma, rel_tol=1e-9):
                raise PrivacyError(_RESUMED_SIGMA.format(found=float(state["noise_multiplier"]), expected=sigma))
            module.load_state_dict(state["model"])

        if distributed:
            if not poisson_sampling:
                raise PrivacyError(_DIST_POISSON)
            from opacus.distributed import DifferentiallyPrivateDistributedDataParallel as DPDDP

            module = DPDDP(module)

        # Each rank draws its own Poisson batches from its shard; noise is added on rank 0 only.
        sample_gen = torch.Generator().manual_seed(int(seed) + 7919 * rank)
        noise_gen = torch.Generator().manual_seed(int(seed) + 1_000_003)
        loader = DataLoader(
            _RowDataset(X_t, y_t), batch_size=batch_size, collate_fn=_first,
            shuffle=not poisson_sampling, generator=sample_gen,
        )
        # A step hook's own parameters (the canary audit's) are noised and released like the model's.
        extra = list(step_hook.parameters()) if step_hook is not None else []
        opt = _make_optimizer(optimizer, list(module.parameters()) + extra, learning_rate)
        make = _BookkeepingTrainer if mode == "bookkeeping" else _OpacusTrainer
        with warnings.catch_warnings():
            # Opacus warns that its RNG is not cryptographically secure; we seed it on purpose
            # for reproducible audits (documented in docs/privacy.md).
            warnings.simplefilter("ignore")
            engine = PrivacyEngine(accountant=accountant)
            trainer = make(
                engine=engine, module=module, optimizer=opt, loss_fn=loss_fn, loader=loader, sigma=sigma,
                max_grad_norm=float(max_grad_norm), poisson_sampling=poisson_sampling, mode=mode,
                noise_gen=noise_gen, sample_gen=sample_gen, max_physical_batch_size=int(max_physical_batch_size),
                step_hook=step_hook,
            )

        start_epoch, eps_hist, loss_hist, secs = 0, [], [], []
        if state is not None:
            trainer.optimizer.original_optimizer.load_state_dict(state["optimizer"])
            engine.accountant.load_state_dict(state["accountant"])
            # Under DPDDP each rank samples its own shard: it resumes its own generator.
            sample_gen.set_state(state["sample_rngs"][rank] if distributed else state["sample_rng"])
            noise_gen.set_state(state["noise_rng"])
            start_epoch = int(state["epoch"])
            eps_hist, loss_hist, secs = list(state["epsilon_history"]), list(state["loss_history"]), list(state["seconds_per_epoch"])

        try:
            for epoch in range(start_epoch, epochs):
                t0 = time.perf_counter()
                loss_sum, count = trainer.run_epoch()
                secs.append(time.perf_counter() - t0)  # training only; accounting is timed apart
                eps_now = _epsilon(engine, delta_used)
                eps_hist.append(eps_now)
                loss_hist.append(loss_sum / count if count else None)
                if checkpoint_dir is not None:
                    rngs = [sample_gen.get_state()]
                    if distributed:
                        rngs = [None] * world
                        torch.distributed.all_gather_object(rngs, sample_gen.get_state())
                    # Rank 0 writes for all (the replicas are identical; rank 0 holds the noise);
                    # every rank learns whether it worked, so none waits on a failed peer.
                    _all_agree(distributed, lambda: save_checkpoint(Path(checkpoint_dir), {
                        "fingerprint": fingerprint, "epoch": epoch + 1,
                        "model": _unwrapped(trainer.plain_module(), distributed).state_dict(),
                        "optimizer": trainer.optimizer.original_optimizer.state_dict(), "accountant": engine.accountant.state_dict(),
                        "sample_rng": rngs[0], "sample_rngs": rngs, "noise_rng": noise_gen.get_state(),
                        "noise_multiplier": sigma, "epsilon_history": eps_hist, "loss_history": loss_hist,
                        "seconds_per_epoch": secs,
                    }) if rank == 0 else None)
                if progress is not None:
                    progress(epoch + 1, epochs, {"loss": loss_hist[-1], "epsilon": eps_now, "seconds": secs[-1]})
        finally:
            trainer.close()

    spent = _epsilon(engine, delta_used) if eps_hist else 0.0
    if spent > epsilon * (1 + 1e-6):
        raise PrivacyError(_OVERSPENT.format(spent=spent, target=epsilon, delta=delta_used))
    trained = _unwrapped(trainer.plain_module(), distributed)
    trained.eval()
    return PrivateTrainingResult(
        model=trained, module_fixes=fixes, epsilon_target=float(epsilon), epsilon_spent=spent, delta=delta_used,
        delta_rule=delta_rule, accountant=accountant, max_grad_norm=float(max_grad_norm), noise_multiplier=float(sigma),
        sample_rate=float(sample_rate), epochs=int(epochs), batch_size=int(batch_size), learning_rate=float(learning_rate),
        optimizer=optimizer, poisson_sampling=bool(poisson_sampling), grad_sample_mode=mode, n_train=n,
        steps=int(epochs * per_epoch), epsilon_history=eps_hist, loss_history=loss_hist,
        resumed_from_epoch=start_epoch if state is not None else None, seconds_per_epoch=secs,
    )
