"""The training loops behind ``train_private``: Opacus's ``make_private``, or book-keeping clipping.

Both expose ``optimizer`` (an Opacus ``DPOptimizer``), ``run_epoch()``,
``plain_module()`` and ``close()``, so ``train_private`` drives either the same way.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.utils.data import TensorDataset

from audit.exceptions import PrivacyError
from audit.privacy._bookkeeping import BookkeepingClipper
from audit.privacy._prepare import PerSampleLoss
from audit.privacy._secure_rng import SecureRandom

__all__ = ["SECURE_RNG_MODE", "BookkeepingTrainer", "OpacusTrainer", "RowDataset", "first_item"]

_STEP_HOOK_MODE = (
    "A step hook (used by the white-box canary audit) needs grad_sample_mode='bookkeeping'; "
    "found {mode!r}. Fix: audit a model whose trainable layers are nn.Linear or nn.Conv2d, or use the "
    "input-space canary audit."
)
SECURE_RNG_MODE = (
    "secure_rng=True needs grad_sample_mode='bookkeeping' (the trainer that can draw noise from a "
    "CSPRNG here); this model and loss resolve to {mode!r}: {why}. Fix: use a model whose trainable "
    "layers are nn.Linear or nn.Conv2d with a per-example loss, or install torchcsprng and train with Opacus's "
    "PrivacyEngine(secure_mode=True) directly."
)
_MODE_FAILED = (
    "Per-example gradients with grad_sample_mode={mode!r} failed on this model and data "
    "({error}). Expected the model to run on a batch of X and the loss to accept (output, y). "
    "Fix: check the model and loss on one batch without DP, or try grad_sample_mode='hooks'."
)


class RowDataset(TensorDataset):
    """TensorDataset that fetches a whole batch with one indexing op.

    The default DataLoader path indexes row by row and collates; for tabular data
    that costs more than the DP-SGD step itself (about 7x per epoch on Adult).
    """

    def __getitems__(self, indices: list[int]) -> list[tuple[torch.Tensor, ...]]:
        idx = torch.as_tensor(indices, dtype=torch.long)
        return [tuple(t[idx] for t in self.tensors)]


def first_item(batch: list) -> Any:
    # Pairs with RowDataset.__getitems__: the batch is already collated.
    return batch[0]


def _run_first_step(mode: str, step: Callable[[], Any]) -> Any:
    # The first step is where an unsuitable model or loss shows itself; say which mode failed.
    try:
        return step()
    except (RuntimeError, ValueError, NotImplementedError, TypeError) as exc:
        raise PrivacyError(_MODE_FAILED.format(mode=mode, error=f"{type(exc).__name__}: {exc}")) from exc


class OpacusTrainer:
    """DP-SGD through ``PrivacyEngine.make_private`` and ``BatchMemoryManager`` (Opacus's modes)."""

    def __init__(self, *, engine, module, optimizer, loss_fn, loader, sigma, max_grad_norm, poisson_sampling,
                 mode, noise_gen, sample_gen, max_physical_batch_size, step_hook=None, secure=None,
                 rank: int = 0, world: int = 1) -> None:
        if step_hook is not None:
            raise PrivacyError(_STEP_HOOK_MODE.format(mode=mode))
        if secure is not None:
            raise PrivacyError(SECURE_RNG_MODE.format(mode=mode, why="Opacus's secure_mode needs torchcsprng"))
        self.mode = mode
        criterion = PerSampleLoss(loss_fn) if mode == "ghost" else loss_fn
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
                    loss = _run_first_step(self.mode, functools.partial(self._step, xb, yb))
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


def _clipped_sum_optimizer(*, secure: SecureRandom | None = None, distributed: bool = False, **kwargs: Any) -> Any:
    """Opacus's ``DPOptimizerFastGradientClipping`` that takes ``p.grad`` as the clipped sum.

    Identical to Opacus's except that ``accumulate`` takes the gradient tensor itself
    instead of a deep copy (a measurable share of a 1.4 ms step; the trainer writes a
    fresh tensor every step), and, with ``secure``, the noise comes from a CSPRNG
    (Opacus's own ``secure_mode`` needs torchcsprng); scaling and the accountant hook
    are Opacus's.
    """
    from opacus.optimizers import DistributedDPOptimizerFastGradientClipping, DPOptimizerFastGradientClipping
    from opacus.optimizers.optimizer import _check_processed_flag, _mark_as_processed

    # Under DPDDP Opacus's distributed variant adds the noise on rank 0 only and sums the gradients.
    base: Any = DistributedDPOptimizerFastGradientClipping if distributed else DPOptimizerFastGradientClipping

    class _ClippedSumOptimizer(base):
        def accumulate(self) -> None:
            for p in self.params:
                if p.summed_grad is not None:
                    p.summed_grad.add_(p.grad)
                else:
                    p.summed_grad = p.grad.detach()

        def add_noise(self) -> None:
            if secure is None:
                return super().add_noise()
            if getattr(self, "rank", 0) != 0:  # noise is added once, on rank 0
                for p in self.params:
                    p.grad = p.summed_grad.view_as(p)
                return None
            for p in self.params:  # Opacus's add_noise, with the secure source
                _check_processed_flag(p.summed_grad)
                noise = secure.normal(p.summed_grad.shape, std=self.noise_multiplier * self.max_grad_norm,
                                      dtype=p.summed_grad.dtype)
                p.grad = (p.summed_grad + noise).view_as(p)
                _mark_as_processed(p.summed_grad)

    return _ClippedSumOptimizer(**kwargs)


class _PoissonBatches:
    """Opacus's Poisson sampling, drawn exactly as its data loaders draw it, as index tensors.

    One process: ``UniformWithReplacementSampler`` inside ``DPDataLoader``, including
    the base seed a DataLoader draws from the same generator at every epoch start.
    DPDDP: ``DistributedUniformWithReplacementSampler``, a fixed shuffled shard per
    rank sampled at the same rate, except that an empty local batch is still a step
    (Opacus skips it, which would leave the ranks' steps out of step). With a
    CSPRNG the same draws come from it. Rows are then taken with one indexing op.
    """

    def __init__(self, *, n: int, sample_rate: float, generator: torch.Generator,
                 secure: SecureRandom | None = None, rank: int = 0, world: int = 1) -> None:
        self.steps = int(1 / sample_rate)  # as Opacus's samplers count them
        self.sample_rate = sample_rate
        self.generator = generator
        self.secure = secure
        self.shard = None
        if world > 1:
            self.shard = torch.randperm(n, generator=torch.Generator().manual_seed(0))[rank:n:world]
        self.size = n if self.shard is None else len(self.shard)

    def __len__(self) -> int:
        return self.steps

    def epoch(self):
        if self.secure is None:
            torch.empty((), dtype=torch.int64).random_(generator=self.generator)
        for _ in range(self.steps):
            u = self.secure.uniform(self.size) if self.secure is not None else torch.rand(self.size, generator=self.generator)
            picked = (u < self.sample_rate).nonzero().reshape(-1)
            yield picked if self.shard is None else self.shard[picked]


class BookkeepingTrainer:
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
                 mode, noise_gen, sample_gen, max_physical_batch_size, step_hook=None,
                 secure: SecureRandom | None = None, rank: int = 0, world: int = 1) -> None:
        self.mode = mode
        self.module = module
        self.tensors = loader.dataset.tensors
        n = len(loader.dataset)
        # Poisson batches as Opacus's data loaders draw them; shuffled partitions through the loader otherwise.
        self.batches = (_PoissonBatches(n=n, sample_rate=1 / len(loader), generator=sample_gen, secure=secure,
                                        rank=rank, world=world) if poisson_sampling else None)
        self.loader = loader
        sample_rate = 1 / (len(self.batches) if self.batches is not None else len(loader))  # Poisson: its own count
        # make_private's expected batch size, per process under DPDDP.
        expected = int(n * sample_rate) / world if world > 1 else int(n * sample_rate)
        self.optimizer = _clipped_sum_optimizer(
            secure=secure, distributed=world > 1, optimizer=optimizer, noise_multiplier=sigma,
            max_grad_norm=max_grad_norm, expected_batch_size=expected, loss_reduction="mean", generator=noise_gen,
        )
        self.optimizer.attach_step_hook(engine.accountant.get_optimizer_hook_fn(sample_rate=sample_rate))
        self.clipper = BookkeepingClipper(module, max_grad_norm=max_grad_norm)
        self.loss = PerSampleLoss(loss_fn)
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
        for idx in self.batches.epoch():
            yield X[idx], y[idx]

    def run_epoch(self) -> tuple[float, int]:
        self.module.train()
        loss_sum, count = 0.0, 0
        for xb, yb in self._epoch_batches():
            self.optimizer.zero_grad(set_to_none=True)
            for start in range(0, len(yb), self.max_physical_batch_size):
                xs, ys = xb[start : start + self.max_physical_batch_size], yb[start : start + self.max_physical_batch_size]
                if self._first:
                    loss_sum += _run_first_step(self.mode, functools.partial(self._slice, xs, ys))
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
