"""The steps of one private training behind :func:`audit.privacy.train_private`.

Plan (validate the settings for these rows, prepare the module, pick the clipping mode), open a
matching checkpoint, distribute the module under DPDDP, build the trainer, restore a checkpoint's
state, run the epochs (with early stopping and a checkpoint after each). The facade and the result
are in :mod:`audit.privacy._train`.
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader

from audit.exceptions import PrivacyError
from audit.privacy._bookkeeping import bookkeeping_problems
from audit.privacy._checkpoint import (
    checkpoint_lock,
    load_checkpoint,
    save_checkpoint,
    training_fingerprint,
)
from audit.privacy._prepare import as_tensors, prepare_module, resolve_grad_sample_mode
from audit.privacy._secure_rng import SecureRandom
from audit.privacy._settings import (
    DELTA_RULE,
    DPSettings,
    default_delta,
    epsilon_after,
    steps_per_epoch,
)
from audit.privacy._trainers import (
    SECURE_RNG_MODE,
    BookkeepingTrainer,
    OpacusTrainer,
    RowDataset,
    first_item,
)
from audit.training import make_optimizer

ProgressFn = Callable[[int, int, dict], None]

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
_NO_NOISE = (
    "DP training needs a positive noise multiplier; calibration gave {sigma!r}. Refusing to train a model "
    "without noise and call it private. Fix: report this as a bug."
)
_RESUMED_SIGMA = (
    "The checkpoint's noise multiplier {found:.6g} differs from the one this configuration "
    "needs ({expected:.6g}). Fix: delete the checkpoint and retrain."
)


def _account(engine: Any) -> tuple:
    """The accountant's history now, hashable: ((σ, q, steps), ...)."""
    return tuple(tuple(entry) for entry in engine.accountant.history)  # entries reloaded from a checkpoint may be lists


def _epsilon(engine: Any, delta: float) -> float:
    return epsilon_after(engine.accountant.mechanism(), _account(engine), float(delta))


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
    from opacus.distributed import DifferentiallyPrivateDistributedDataParallel as DPDDP

    return module.module if distributed and isinstance(module, DPDDP) else module


@dataclass(frozen=True)
class _Options:
    """How to run a private training (not what makes it private: that is the DPSettings)."""

    seed: int
    loss_fn: Callable
    checkpoint_dir: Path | None
    config_fingerprint: str | None
    progress: ProgressFn | None
    distributed: bool | None
    step_hook: Any = None
    validation: Any = None  # (X, y) rows or a callable model -> float, minimised by early stopping
    patience: int | None = None


@dataclass
class _Plan:
    """What validation and preparation settled before the first step."""

    X: torch.Tensor
    y: torch.Tensor
    sigma: float
    delta: float
    delta_rule: str
    sample_rate: float
    steps_per_epoch: int
    module: nn.Module
    fixes: list[str]
    mode: str
    distributed: bool
    rank: int = 0
    world: int = 1


def _plan(model: nn.Module, X: Any, y: Any, s: DPSettings, o: _Options) -> _Plan:
    """Validate the settings for these rows, prepare the module and pick the clipping mode."""
    X_t, y_t = as_tensors(X, y)
    n = len(X_t)
    sigma = s.validate(n_train=n)
    if sigma is None or not sigma > 0:  # validation guarantees it; a zero would train a non-private model
        raise PrivacyError(_NO_NOISE.format(sigma=sigma))
    delta_used, delta_rule = (default_delta(n), DELTA_RULE) if s.delta is None else (float(s.delta), "given by the caller")
    sample_rate, per_epoch = steps_per_epoch(n, s.batch_size)
    module, fixes = prepare_module(model)
    distributed = o.distributed
    if distributed is None:
        distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
    mode = resolve_grad_sample_mode(s.grad_sample_mode, o.loss_fn, module=module, sample=X_t[:2], distributed=bool(distributed))
    if s.secure_rng and (mode != "bookkeeping" or not s.poisson_sampling):
        why = ("poisson_sampling=False shuffles with the seeded PRNG" if mode == "bookkeeping"
               else "; ".join(bookkeeping_problems(module, X_t[:2]) or ["see resolve_grad_sample_mode"]))
        raise PrivacyError(SECURE_RNG_MODE.format(mode=mode, why=why))
    plan = _Plan(X=X_t, y=y_t, sigma=float(sigma), delta=delta_used, delta_rule=delta_rule, sample_rate=sample_rate,
                 steps_per_epoch=per_epoch, module=module, fixes=fixes, mode=mode, distributed=bool(distributed))
    if plan.distributed:
        plan.rank, plan.world = torch.distributed.get_rank(), torch.distributed.get_world_size()
    return plan


def _fingerprint_settings(s: DPSettings, o: _Options, plan: _Plan) -> dict[str, Any]:
    settings = {
        "epsilon": float(s.epsilon), "delta": plan.delta, "max_grad_norm": float(s.max_grad_norm), "epochs": int(s.epochs),
        "batch_size": int(s.batch_size), "learning_rate": float(s.learning_rate), "optimizer": s.optimizer, "seed": o.seed,
        "accountant": s.accountant, "poisson_sampling": bool(s.poisson_sampling),
        "loss": getattr(o.loss_fn, "__qualname__", repr(o.loss_fn)), "secure_rng": bool(s.secure_rng),
    }
    if o.validation is not None:  # early stopping decides the weights kept: a resume must stop the same way
        settings["early_stopping"] = {"patience": o.patience, "criterion": getattr(o.validation, "__qualname__", "loss")}
    if plan.distributed:
        settings["world_size"] = plan.world  # a resume must shard the data the same way
    return settings


def _open_checkpoint(held: contextlib.ExitStack, s: DPSettings, o: _Options, plan: _Plan) -> tuple[dict | None, str | None]:
    """Lock the checkpoint folder and load a matching checkpoint; (None, None) without checkpoints."""
    if o.checkpoint_dir is None:
        return None, None
    dist, rank, folder = plan.distributed, plan.rank, o.checkpoint_dir
    # One process (rank 0 under DPDDP) holds the checkpoint folder: two runs resuming and
    # rewriting one checkpoint could interleave their states.
    _all_agree(dist, lambda: held.enter_context(checkpoint_lock(folder)) if rank == 0 else None)
    fingerprint = training_fingerprint(model=plan.module, X=plan.X, y=plan.y, settings=_fingerprint_settings(s, o, plan),
                                       config_fingerprint=o.config_fingerprint)
    state = _all_agree(dist, lambda: load_checkpoint(folder, fingerprint=fingerprint, steps_per_epoch=plan.steps_per_epoch))
    if dist:
        epochs_seen = [None] * plan.world
        torch.distributed.all_gather_object(epochs_seen, None if state is None else int(state["epoch"]))
        if len(set(epochs_seen)) > 1:
            raise PrivacyError(_DIST_DISAGREE.format(path=folder, seen=epochs_seen))
    if state is not None:
        if not math.isclose(float(state["noise_multiplier"]), plan.sigma, rel_tol=1e-9):
            raise PrivacyError(_RESUMED_SIGMA.format(found=float(state["noise_multiplier"]), expected=plan.sigma))
        plan.module.load_state_dict(state["model"])
    return state, fingerprint


def _distribute(plan: _Plan, s: DPSettings) -> nn.Module:
    """The module to train: under DPDDP, replicas synchronised (book-keeping) or Opacus's DPDDP wrapper."""
    if not plan.distributed:
        return plan.module
    if not s.poisson_sampling:
        raise PrivacyError(_DIST_POISSON)
    if plan.mode != "bookkeeping":
        from opacus.distributed import (
            DifferentiallyPrivateDistributedDataParallel as DPDDP,
        )

        return DPDDP(plan.module)
    # What DPDDP's constructor does; the book-keeping optimizer sums the gradients itself.
    with torch.no_grad():
        for p in plan.module.parameters():
            torch.distributed.broadcast(p.data, 0)
    return plan.module


@dataclass
class _Training:
    """The live objects of one private training."""

    engine: Any
    trainer: Any
    sample_gen: torch.Generator
    noise_gen: torch.Generator


def _build_trainer(module: nn.Module, s: DPSettings, o: _Options, plan: _Plan) -> _Training:
    from opacus import PrivacyEngine

    # Each rank draws its own Poisson batches from its shard; noise is added on rank 0 only.
    sample_gen = torch.Generator().manual_seed(o.seed + 7919 * plan.rank)
    noise_gen = torch.Generator().manual_seed(o.seed + 1_000_003)
    loader = DataLoader(RowDataset(plan.X, plan.y), batch_size=s.batch_size, collate_fn=first_item,
                        shuffle=not s.poisson_sampling, generator=sample_gen)
    # A step hook's own parameters (the canary audit's) are noised and released like the model's.
    extra = list(o.step_hook.parameters()) if o.step_hook is not None else []
    opt = make_optimizer(s.optimizer, list(module.parameters()) + extra, s.learning_rate)
    make = BookkeepingTrainer if plan.mode == "bookkeeping" else OpacusTrainer
    with warnings.catch_warnings():
        # Opacus warns that its RNG is not cryptographically secure; we seed it on purpose
        # for reproducible audits (documented in docs/privacy.md).
        warnings.simplefilter("ignore")
        engine = PrivacyEngine(accountant=s.accountant)
        trainer = make(
            engine=engine, module=module, optimizer=opt, loss_fn=o.loss_fn, loader=loader, sigma=plan.sigma,
            max_grad_norm=float(s.max_grad_norm), poisson_sampling=s.poisson_sampling, mode=plan.mode,
            noise_gen=noise_gen, sample_gen=sample_gen, max_physical_batch_size=int(s.max_physical_batch_size),
            step_hook=o.step_hook, secure=SecureRandom() if s.secure_rng else None, rank=plan.rank, world=plan.world,
        )
    return _Training(engine=engine, trainer=trainer, sample_gen=sample_gen, noise_gen=noise_gen)


@dataclass
class _History:
    start_epoch: int = 0
    epsilon: list[float] = field(default_factory=list)
    # The accountant's history after each epoch whose ε nobody needed during training (no progress callback, no
    # checkpoint): ε is computed from them only if the per-epoch record is read (PrivateTrainingResult.epsilon_history).
    accounts: list[tuple] = field(default_factory=list)
    loss: list[float | None] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    stopper: Any = None  # audit.training.EarlyStopping, with validation rows


def _restore(state: dict | None, t: _Training, plan: _Plan) -> _History:
    """Continue from a checkpoint: optimizer, accountant, generators and histories."""
    if state is None:
        return _History()
    t.trainer.optimizer.original_optimizer.load_state_dict(state["optimizer"])
    t.engine.accountant.load_state_dict(state["accountant"])
    # Under DPDDP each rank samples its own shard: it resumes its own generator.
    t.sample_gen.set_state(state["sample_rngs"][plan.rank] if plan.distributed else state["sample_rng"])
    t.noise_gen.set_state(state["noise_rng"])
    h = _History(start_epoch=int(state["epoch"]), epsilon=list(state["epsilon_history"]),
                 loss=list(state["loss_history"]), seconds=list(state["seconds_per_epoch"]))
    h.stopper = _stopper_from(state.get("early_stopping"))
    return h


def _stopper_from(saved: dict | None) -> Any:
    """The early-stopping state a checkpoint kept (so a resumed run keeps the same best epoch)."""
    if saved is None:
        return None
    from audit.training import EarlyStopping

    stopper = EarlyStopping(int(saved["patience"]))
    stopper.history, stopper.best_epoch = list(saved["history"]), int(saved["best_epoch"])
    stopper.best_loss, stopper.best_state = float(saved["best_loss"]), saved["best_state"]
    return stopper


def _save(t: _Training, o: _Options, plan: _Plan, h: _History, *, epoch: int, fingerprint: str | None) -> None:
    folder = o.checkpoint_dir
    assert folder is not None  # _save runs only with a checkpoint folder
    rngs: list[torch.Tensor | None] = [t.sample_gen.get_state()]
    if plan.distributed:
        rngs = [None] * plan.world
        torch.distributed.all_gather_object(rngs, t.sample_gen.get_state())
    # Rank 0 writes for all (the replicas are identical; rank 0 holds the noise);
    # every rank learns whether it worked, so none waits on a failed peer.
    _all_agree(plan.distributed, lambda: save_checkpoint(folder, {
        "fingerprint": fingerprint, "epoch": epoch + 1,
        "model": _unwrapped(t.trainer.plain_module(), plan.distributed).state_dict(),
        "optimizer": t.trainer.optimizer.original_optimizer.state_dict(), "accountant": t.engine.accountant.state_dict(),
        "sample_rng": rngs[0], "sample_rngs": rngs, "noise_rng": t.noise_gen.get_state(),
        "noise_multiplier": plan.sigma, "epsilon_history": h.epsilon, "loss_history": h.loss,
        "seconds_per_epoch": h.seconds, "early_stopping": None if h.stopper is None else {
            "patience": h.stopper.patience, "history": h.stopper.history, "best_epoch": h.stopper.best_epoch,
            "best_loss": h.stopper.best_loss, "best_state": h.stopper.best_state},
    }) if plan.rank == 0 else None)


def _stop_here(t: _Training, o: _Options, plan: _Plan, h: _History, epoch: int) -> bool:
    """Record the validation loss of this epoch; True when the patience has run out."""
    if o.validation is None:
        return False
    if h.stopper is None:
        from audit.training import EarlyStopping

        assert o.patience is not None  # validation rows come only with a patience (train_with_settings)
        h.stopper = EarlyStopping(int(o.patience))
    from audit.training import validation_criterion

    module = _unwrapped(t.trainer.plain_module(), plan.distributed)
    criterion = validation_criterion(o.validation, o.loss_fn)
    assert criterion is not None  # o.validation is not None
    return h.stopper.update(module, criterion(module), epoch + 1)


def _run_epochs(t: _Training, s: DPSettings, o: _Options, plan: _Plan, h: _History, fingerprint: str | None) -> None:
    if h.stopper is not None and h.start_epoch - h.stopper.best_epoch >= h.stopper.patience:
        t.trainer.close()
        return  # a checkpoint written after the last epoch early stopping ran
    try:
        for epoch in range(h.start_epoch, s.epochs):
            t0 = time.perf_counter()
            loss_sum, count = t.trainer.run_epoch()
            h.seconds.append(time.perf_counter() - t0)  # training only; accounting is timed apart
            if o.progress is not None or o.checkpoint_dir is not None:  # shown or saved now
                h.epsilon.append(_epsilon(t.engine, plan.delta))
            else:  # ε once, at the end; the per-epoch values only if the record is read
                h.accounts.append(_account(t.engine))
            h.loss.append(loss_sum / count if count else None)
            stop = _stop_here(t, o, plan, h, epoch)
            if o.checkpoint_dir is not None:
                _save(t, o, plan, h, epoch=epoch, fingerprint=fingerprint)
            if o.progress is not None:
                o.progress(epoch + 1, s.epochs, {"loss": h.loss[-1], "epsilon": h.epsilon[-1], "seconds": h.seconds[-1]})
            if stop:
                break
    finally:
        t.trainer.close()
