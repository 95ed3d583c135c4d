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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from torch import nn

from audit.exceptions import PrivacyError
from audit.models import binary_loss
from audit.privacy._prepare import is_dataset
from audit.privacy._run import (
    ProgressFn,
    _build_trainer,
    _distribute,
    _epsilon,
    _open_checkpoint,
    _Options,
    _plan,
    _restore,
    _run_epochs,
    _unwrapped,
)
from audit.privacy._settings import DP_DEFAULTS, DPSettings, epsilon_after

__all__ = ["PrivateTrainingResult", "train_private", "train_with_settings"]

_OVERSPENT = (
    "Private training would report epsilon={spent:.4f} above the target {target}; refusing to "
    "label this model as ({target}, {delta:.3g})-DP. Fix: report this as a bug; lower epsilon "
    "slightly as a workaround."
)


@dataclass(frozen=True)
class PrivateTrainingResult:
    """What :func:`train_private` returns: the trained model and how private it is.

    ``model`` is a plain ``nn.Module`` (the caller's architecture after the
    replacements listed in ``module_fixes``), unwrapped from Opacus. Everything
    else is plain data; :meth:`to_dict` gives the JSON-serialisable record.
    ``epsilon_history`` (ε after each epoch) is computed when first read if the
    training did not need it per epoch (no progress callback, no checkpoints): the
    same accountant on the same steps, so the same values, paid for only by a
    caller that reads them (the audited model's record; not the curve's or the
    canary run's trainings, which keep only the model and the final ε).
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
    epsilon_known: list[float] = field(default_factory=list, repr=False)
    epsilon_pending: tuple = field(default=(), repr=False)  # (accountant, δ, ((σ, q, steps), ...) after each later epoch)
    loss_history: list[float | None] = field(default_factory=list)
    resumed_from_epoch: int | None = None
    seconds_per_epoch: list[float] = field(default_factory=list)
    secure_rng: bool = False
    epochs_run: int | None = None
    best_epoch: int | None = None
    validation_history: list[float] = field(default_factory=list)

    @property
    def epsilon_history(self) -> list[float]:
        """ε after each epoch (Opacus's accountant on the steps taken by then)."""
        if self.epsilon_pending:
            mechanism, delta, accounts = self.epsilon_pending
            known = self.epsilon_known + [epsilon_after(mechanism, account, delta) for account in accounts]
            object.__setattr__(self, "epsilon_known", known)  # computed once; frozen otherwise
            object.__setattr__(self, "epsilon_pending", ())
        return self.epsilon_known

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
            "loss_history", "module_fixes", "resumed_from_epoch", "seconds_per_epoch", "secure_rng",
        )
        out = {k: copy.deepcopy(getattr(self, k)) for k in keys}
        if self.best_epoch is not None:  # early stopping on validation rows: the epoch kept and where it stopped
            out.update(epochs_run=self.epochs_run, best_epoch=self.best_epoch,
                       validation_history=list(self.validation_history),
                       stopped_early=bool(self.epochs_run is not None and self.epochs_run < self.epochs))
        return out


def _batch_size(X: Any, batch_size: int | None) -> int:
    """The logical batch: as given, else a DataLoader's batch size, else the default."""
    if batch_size is not None:
        return batch_size
    from_loader = getattr(X, "batch_size", None) if is_dataset(X) else None
    return from_loader if isinstance(from_loader, int) else DP_DEFAULTS["batch_size"]


def train_private(
    model: nn.Module,
    X: Any,
    y: Any = None,
    *,
    epsilon: float,
    delta: float | None = None,
    max_grad_norm: float = DP_DEFAULTS["max_grad_norm"],
    epochs: int = DP_DEFAULTS["epochs"],
    batch_size: int | None = None,
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
    secure_rng: bool = DP_DEFAULTS["secure_rng"],
    validation: Any = None,
    patience: int | None = None,
) -> PrivateTrainingResult:
    """Train ``model`` with DP-SGD so that it is (``epsilon``, ``delta``)-differentially private.

    Parameters
    ----------
    model : nn.Module
        The architecture to train (a copy is trained).
    X, y : array-like or Tensor, or a DataLoader / Dataset and ``y=None``
        Encoded float features and labels (0/1 for the default loss; class indices
        for ``nn.CrossEntropyLoss()``). A ``DataLoader`` or map-style ``Dataset`` of
        (x, y) pairs is read once into memory (Poisson sampling needs every row at
        every step); a loader's ``batch_size`` is then the logical batch size.
    epsilon : float
        Target ε; training never spends more.
    delta : float, optional
        Target δ, below 1/n. Default: the largest power of ten not above 1/(10 n).
    max_grad_norm, epochs, batch_size, learning_rate, optimizer
        DP-SGD settings; defaults in :data:`DP_DEFAULTS` (see docs/privacy.md for why).
        ``batch_size=None``: the DataLoader's batch size, else the default.
    seed : int
        Seeds Poisson sampling and the noise, so a run is reproducible.
    accountant : {'prv', 'rdp', 'gdp'}
        Calibrates the noise and reports ε.
    poisson_sampling : bool
        Sample each row independently per step (what the accountants assume); ``False``: shuffled
        partitions, and the reported ε is an approximation.
    max_physical_batch_size : int
        Largest batch computed at once (memory only).
    grad_sample_mode : {'auto', 'bookkeeping', 'ghost', 'hooks', 'functorch', 'ew'}
        How per-example gradients are clipped; ``'auto'`` picks the fastest that applies
        (:func:`resolve_grad_sample_mode`); ``'bookkeeping'`` is ours, the others Opacus's.
    loss_fn : callable
        ``loss_fn(output, y) -> scalar`` mean loss.
    checkpoint_dir : path, optional
        Checkpoint after every epoch and resume from it (under DPDDP, one folder all ranks see).
    config_fingerprint, progress : optional
        The caller's config hash (mixed into the checkpoint fingerprint); a callable
        ``progress(epoch, total_epochs, {"loss", "epsilon", "seconds"})`` called after each epoch.
    distributed : bool, optional
        Train with Opacus's ``DPDDP`` across the initialised ``torch.distributed`` group (default:
        whenever one is); every process passes the full data and the global batch size.
    secure_rng : bool
        Draw sampling and noise from a CSPRNG (ChaCha20 keyed by ``os.urandom``), for a released
        model; not repeatable. Needs ``nn.Linear`` / ``nn.Conv2d`` layers.
    validation, patience : optional
        Early stopping, as :func:`train_with_settings` describes.

    Returns
    -------
    PrivateTrainingResult

    Raises
    ------
    PrivacyError
        Invalid settings (all listed), a model Opacus cannot handle, or a checkpoint from another
        configuration. Never returns a non-private model.

    Examples
    --------
    >>> import numpy as np
    >>> from audit.models import MLP
    >>> X = np.random.default_rng(0).normal(size=(512, 5)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.float32)
    >>> res = train_private(MLP(5, hidden=(8,)), X, y, epsilon=2.0, epochs=2, batch_size=128)
    >>> res.epsilon_spent <= 2.0
    True
    """
    settings = DPSettings(
        epsilon=epsilon, delta=delta, max_grad_norm=max_grad_norm, epochs=epochs, batch_size=_batch_size(X, batch_size),
        learning_rate=learning_rate, optimizer=optimizer, accountant=accountant, poisson_sampling=poisson_sampling,
        max_physical_batch_size=max_physical_batch_size, grad_sample_mode=grad_sample_mode, secure_rng=secure_rng,
    )
    return train_with_settings(model, X, y, settings=settings, seed=seed, loss_fn=loss_fn, checkpoint_dir=checkpoint_dir,
                               config_fingerprint=config_fingerprint, progress=progress, distributed=distributed,
                               validation=validation, patience=patience)


def train_with_settings(
    model: nn.Module,
    X: Any,
    y: Any = None,
    *,
    settings: DPSettings,
    seed: int = 0,
    loss_fn: Callable = binary_loss,
    checkpoint_dir: Path | str | None = None,
    config_fingerprint: str | None = None,
    progress: ProgressFn | None = None,
    distributed: bool | None = None,
    validation: Any = None,
    patience: int | None = None,
) -> PrivateTrainingResult:
    """:func:`train_private` with the DP settings as one :class:`~audit.privacy.DPSettings`.

    The audit pipeline builds its settings once and trains every private model with them. With
    ``validation`` (rows ``(X, y)``, whose loss is watched, or a callable ``model -> float`` to
    minimise) and a ``patience``, training stops after ``patience`` epochs without improvement and
    keeps the best epoch's weights; ε is then the accountant's for the
    steps actually taken (choosing among the epochs' models is post-processing of the DP training;
    the validation rows are not training rows and are not covered by ε).

    Examples
    --------
    >>> import numpy as np
    >>> from audit.models import MLP
    >>> from audit.privacy import DPSettings
    >>> X = np.random.default_rng(0).normal(size=(512, 5)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.float32)
    >>> res = train_with_settings(MLP(5, hidden=(8,)), X, y, settings=DPSettings(epsilon=2.0, epochs=2, batch_size=128))
    >>> res.epsilon_spent <= 2.0
    True
    """
    return _train(model, X, y, settings=settings, options=_Options(
        seed=int(seed), loss_fn=loss_fn, checkpoint_dir=None if checkpoint_dir is None else Path(checkpoint_dir),
        config_fingerprint=config_fingerprint, progress=progress, distributed=distributed,
        validation=validation if patience else None, patience=patience))


def _train_private(model: nn.Module, X: Any, y: Any, *, seed: int, loss_fn: Callable, checkpoint_dir: Path | str | None,
                   config_fingerprint: str | None, progress: ProgressFn | None, distributed: bool | None,
                   step_hook: Any = None, **settings: Any) -> PrivateTrainingResult:
    """:func:`train_private`, plus a private ``step_hook`` that sees each step's clipped sum and release.

    The hook (``parameters()``, trained and noised with the model's;
    ``attach(sample_rate, max_grad_norm)``; ``before_noise()``; ``after_step()``) is how the white-box canary audit
    inserts canary gradients; it is not public because a hook that adds unclipped gradients would void the guarantee.
    """
    return _train(model, X, y, settings=DPSettings(**settings), options=_Options(
        seed=int(seed), loss_fn=loss_fn, checkpoint_dir=None if checkpoint_dir is None else Path(checkpoint_dir),
        config_fingerprint=config_fingerprint, progress=progress, distributed=distributed, step_hook=step_hook))


def _train(model: nn.Module, X: Any, y: Any, *, settings: DPSettings, options: _Options) -> PrivateTrainingResult:
    s, o = settings, options
    plan = _plan(model, X, y, s, o)
    with contextlib.ExitStack() as held:
        state, fingerprint = _open_checkpoint(held, s, o, plan)
        module = _distribute(plan, s)
        t = _build_trainer(module, s, o, plan)
        h = _restore(state, t, plan)
        _run_epochs(t, s, o, plan, h, fingerprint)
    spent = _epsilon(t.engine, plan.delta) if h.epsilon or h.accounts else 0.0
    if spent > s.epsilon * (1 + 1e-6):
        raise PrivacyError(_OVERSPENT.format(spent=spent, target=s.epsilon, delta=plan.delta))
    trained = _unwrapped(t.trainer.plain_module(), plan.distributed)
    if h.stopper is not None:
        h.stopper.restore(trained)
    trained.eval()
    epochs_run = len(h.epsilon) + len(h.accounts)
    return PrivateTrainingResult(
        model=trained, module_fixes=plan.fixes, epsilon_target=float(s.epsilon), epsilon_spent=spent, delta=plan.delta,
        delta_rule=plan.delta_rule, accountant=s.accountant, max_grad_norm=float(s.max_grad_norm),
        noise_multiplier=plan.sigma, sample_rate=float(plan.sample_rate), epochs=int(s.epochs), batch_size=int(s.batch_size),
        learning_rate=float(s.learning_rate), optimizer=s.optimizer, poisson_sampling=bool(s.poisson_sampling),
        grad_sample_mode=plan.mode, n_train=len(plan.X), steps=int(epochs_run * plan.steps_per_epoch),
        epsilon_known=h.epsilon,
        epsilon_pending=(t.engine.accountant.mechanism(), float(plan.delta), tuple(h.accounts)) if h.accounts else (),
        loss_history=h.loss, resumed_from_epoch=h.start_epoch if state is not None else None,
        seconds_per_epoch=h.seconds, secure_rng=bool(s.secure_rng),
        epochs_run=epochs_run if h.stopper is not None else None,
        best_epoch=h.stopper.best_epoch if h.stopper is not None else None,
        validation_history=list(h.stopper.history) if h.stopper is not None else [],
    )
