"""White-box one-run audit of DP-SGD with gradient canaries (Steinke, Nasr & Jagielski 2023, §6).

The input-space audit in :mod:`audit.privacy._canary` only sees the final model
and is loose. DP-SGD's guarantee covers much more: every noisy gradient it
releases. This audit uses that threat model, the one the accountant's ε is
stated for:

* ``m`` "Dirac" canaries: canary ``j`` is a gradient of norm exactly ``C`` (the
  clipping norm) on coordinate ``j`` of an extra parameter vector trained with the
  model but unused by it, so no data gradient masks the canaries;
* each canary is included with probability 1/2; an included canary is a record
  like any other: at every step it is Poisson-sampled at the training sample
  rate ``q`` and, when sampled, its gradient is added to the clipped sum *before*
  Opacus adds the noise;
* the score of canary ``j`` is the sum over steps of the released (noisy,
  averaged) gradient at its coordinate; included canaries push it up by
  ``C / B`` each time they are sampled;
* guesses and the ε lower bound are those of the input-space audit.

Because each canary is a record with a gradient within the clipping norm,
sampled at the accountant's rate, the training with canaries is (ε, δ)-DP with
respect to each canary by the same accounting, so the bound can never exceed
the accountant's ε unless the implementation is wrong: this is a check of the
noise calibration itself, not only of the final model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from audit.exceptions import PrivacyError
from audit.models import binary_loss
from audit.privacy._canary import canary_result, resolve_delta
from audit.privacy._prepare import as_tensors
from audit.privacy._settings import DP_DEFAULTS
from audit.privacy._train import _train_private

__all__ = ["gradient_canary_audit"]

_CANARY_COUNT = "gradient_canary_audit needs an integer m >= 2 canaries; found m={m!r}. Fix: use e.g. m=1000."
_NOT_PRIVATE = (
    "gradient_canary_audit audits DP-SGD's noisy gradients, so it needs a target epsilon; found "
    "epsilon=None. Fix: pass the epsilon the model is trained at, or use canary_audit() for a "
    "non-private model."
)
_TRAINING_KWARGS = "gradient_canary_audit does not take {keys}: the audit controls them. Fix: remove them."


class _DiracCanaries:
    """The step hook: Dirac canary gradients on a dedicated parameter vector, and their released values.

    The canaries get their own coordinates (a parameter the model never uses, so its
    data gradient is exactly zero) rather than coordinates of the model's weights,
    where the data's own gradients would mask them. Opacus adds noise to that vector
    like to any other parameter, so the scores are canary signal plus DP noise only.
    """

    def __init__(self, *, m: int, included: np.ndarray, seed: int) -> None:
        self.m = m
        self.included = torch.as_tensor(included)
        self.slot = nn.Parameter(torch.zeros(m))
        self.generator = torch.Generator().manual_seed(int(seed) + 424_242)
        self.scores = torch.zeros(m, dtype=torch.float64)
        self.times_sampled = torch.zeros(m, dtype=torch.long)
        self.steps = 0

    def parameters(self) -> list[nn.Parameter]:
        return [self.slot]

    def attach(self, *, sample_rate: float, max_grad_norm: float) -> None:
        self.sample_rate = float(sample_rate)
        self.max_grad_norm = float(max_grad_norm)

    def before_noise(self) -> None:
        # Each included canary is Poisson-sampled like a training row; when sampled it is a
        # gradient of norm exactly C (already "clipped") on its own coordinate.
        sampled = (torch.rand(self.m, generator=self.generator) < self.sample_rate) & self.included
        self.times_sampled += sampled
        self.slot.grad = self.max_grad_norm * sampled.to(self.slot.dtype)

    def after_step(self) -> None:
        grad = self.slot.grad
        assert grad is not None  # set by before_noise, then noised by the step
        self.scores += grad.detach().double()
        self.steps += 1


def gradient_canary_audit(
    model_factory: Callable[[], nn.Module],
    X_train: Any,
    y_train: Any,
    *,
    m: int = 1000,
    epsilon: float | None,
    delta: float | None = None,
    seed: int = 0,
    confidence: float = 0.95,
    guess_fractions: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5),
    loss_fn: Callable = binary_loss,
    **training_kwargs: Any,
) -> dict:
    """Train once with ``m`` gradient canaries and turn membership guesses into an ε lower bound.

    Parameters
    ----------
    model_factory : callable
        Returns a fresh, untrained model whose trainable layers are ``nn.Linear`` or ``nn.Conv2d``
        (the book-keeping trainer inserts the canaries).
    X_train, y_train : array-like
        Training data, all of it used; the canaries are extra records.
    m : int
        Number of canaries (each included with probability 1/2).
    epsilon : float
        Target ε of the DP training being audited.
    delta : float, optional
        δ for training and for the bound (default: the :func:`default_delta` rule).
    seed : int
        Seeds canary coordinates, inclusion, sampling and training.
    confidence : float
        Confidence of the lower bound, after a Bonferroni correction over ``guess_fractions``.
    guess_fractions : tuple of float
        Candidate numbers of guesses, as fractions of ``m``, split evenly between "in"
        (top scores) and "out" (bottom scores); the best is reported.
    **training_kwargs
        Passed to :func:`train_private` (epochs, batch_size, learning_rate, ...).

    Returns
    -------
    dict
        The keys of :func:`canary_audit`, with ``method`` naming this audit and
        ``mean_times_sampled`` (how often an included canary entered a batch) and
        ``score_noise_ratio``: the empirical standard deviation of the excluded
        canaries' scores over the one the claimed noise implies (σ·C/B·√steps);
        about 1 when the noise is what the accountant was told.

    Raises
    ------
    PrivacyError
        No ε, fewer than 2 canaries, or a model the book-keeping trainer cannot train.

    Examples
    --------
    >>> from audit.models import MLP
    >>> X = np.random.default_rng(0).normal(size=(2048, 8)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.float32)
    >>> res = gradient_canary_audit(lambda: MLP(8, hidden=(32,)), X, y, m=200, epsilon=1.0,
    ...                             epochs=2, batch_size=256)
    >>> res["epsilon_lower_bound"] <= res["epsilon_accountant"]
    True
    """
    X_t, y_t = _checked_request(X_train, y_train, m=m, epsilon=epsilon, training_kwargs=training_kwargs)
    assert epsilon is not None  # _checked_request refuses a missing epsilon
    d = resolve_delta(delta, n_train=len(X_t))
    rng = np.random.default_rng(seed)
    included = rng.random(m) < 0.5
    hook = _DiracCanaries(m=m, included=included, seed=seed)
    res = _train_with_canaries(model_factory, X_t, y_t, hook, epsilon=epsilon, delta=d, seed=seed, loss_fn=loss_fn,
                               training_kwargs=training_kwargs)
    out = {
        **canary_result(
            "one-run canary audit (Steinke, Nasr & Jagielski 2023), white-box Dirac gradient canaries, "
            "score = sum of released noisy gradients",
            m=m, scores=hook.scores.numpy(), included=included, delta=d, confidence=confidence,
            guess_fractions=guess_fractions, epsilon_accountant=res.epsilon_spent, private=True),
        "mean_times_sampled": float(hook.times_sampled[hook.included].float().mean()) if included.any() else 0.0,
        "score_noise_ratio": _noise_ratio(hook, included, res),
    }
    from audit.privacy._fdp import clt_mu  # each canary is one record of the subsampled Gaussian mechanism

    out["gaussian_dp"]["mu_accountant"] = clt_mu(sample_rate=res.sample_rate, steps=hook.steps,
                                                 noise_multiplier=res.noise_multiplier)
    return out


def _checked_request(X_train: Any, y_train: Any, *, m: Any, epsilon: float | None,
                     training_kwargs: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
    """The training data as tensors, once the audit is known to be runnable as asked."""
    if epsilon is None:
        raise PrivacyError(_NOT_PRIVATE)
    fixed = sorted({"grad_sample_mode", "checkpoint_dir", "distributed", "progress"} & set(training_kwargs))
    if fixed:
        raise PrivacyError(_TRAINING_KWARGS.format(keys=", ".join(fixed)))
    X_t, y_t = as_tensors(X_train, y_train)
    if not isinstance(m, int) or m < 2:
        raise PrivacyError(_CANARY_COUNT.format(m=m))
    return X_t, y_t


def _train_with_canaries(model_factory: Callable[[], nn.Module], X_t: torch.Tensor, y_t: torch.Tensor,
                         hook: _DiracCanaries, *, epsilon: float, delta: float, seed: int, loss_fn: Callable,
                         training_kwargs: dict[str, Any]) -> Any:
    """Book-keeping DP-SGD with the canary hook; the audit fixes the settings that would bypass or hide it."""
    settings = {key: training_kwargs.pop(key, DP_DEFAULTS[key]) for key in (
        "max_grad_norm", "epochs", "batch_size", "learning_rate", "optimizer", "accountant",
        "poisson_sampling", "max_physical_batch_size",
    )}
    torch.manual_seed(seed)
    return _train_private(
        model_factory(), X_t, y_t, epsilon=epsilon, delta=delta, seed=seed, loss_fn=loss_fn,
        grad_sample_mode="bookkeeping", checkpoint_dir=None, config_fingerprint=None, progress=None,
        distributed=False, step_hook=hook, **settings, **training_kwargs,
    )


def _noise_ratio(hook: _DiracCanaries, included: np.ndarray, res: Any) -> float | None:
    # Excluded canaries' scores are pure release noise: N(0, (sigma C / B)^2 * steps) each.
    out = hook.scores.numpy()[~included]
    if len(out) < 2 or hook.steps == 0:
        return None
    expected_batch = int(res.n_train * res.sample_rate)  # Opacus's expected batch size
    claimed = res.noise_multiplier * res.max_grad_norm / expected_batch * np.sqrt(hook.steps)
    return float(np.sqrt(np.mean(out**2)) / claimed)
