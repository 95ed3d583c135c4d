"""One-run privacy audit (Steinke, Nasr & Jagielski 2023, "Privacy Auditing with One (1) Training Run").

Insert ``m`` canaries, each independently included in training with
probability 1/2; train once; rank the canaries by a membership score; guess
"in" for the top ``k+`` and "out" for the bottom ``k-`` and abstain on the
rest. Under (ε, δ)-DP the number of correct guesses is (up to the δ term)
dominated by Binomial(r, e^ε / (1 + e^ε)), so a surprising number of correct
guesses *proves* the training is not (ε, δ)-DP for any ε below a bound: an
empirical lower bound to set beside the accountant's upper bound.

Canaries here are training rows with their label flipped: an input-space,
black-box audit, the weakest-assumption setting of the paper. Its bound is
valid but usually far below the accountant's ε for DP-SGD (the paper's
Figure 1 shows the gap); a bound well above 0 on a "private" model, or above
the accountant's ε, means something is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from audit.exceptions import DataError, PrivacyError
from audit.models import binary_loss
from audit.privacy._membership import per_example_loss
from audit.privacy._plain import train_non_private
from audit.privacy._prepare import as_tensors
from audit.privacy._settings import default_delta
from audit.privacy._train import train_private

__all__ = ["best_guesses", "canary_audit", "epsilon_lower_bound", "p_value"]

_COUNTS = (
    "epsilon_lower_bound needs 0 <= n_correct <= n_guesses <= m; found m={m}, "
    "n_guesses={r}, n_correct={v}. Fix: pass the counts from the audit."
)
_LEVEL = "{name} must be in {interval}; found {value!r}. Fix: use e.g. {example}."
_CANARIES = (
    "canary_audit needs 2 <= m <= half the training rows ({half}); found m={m}. Fix: use a "
    "smaller m (e.g. {suggest}) or more training rows."
)

_EPS_MAX = 50.0  # beyond this e^eps/(1+e^eps) is 1 to double precision


def p_value(*, m: int, n_guesses: int, n_correct: int, epsilon: float, delta: float) -> float:
    """P[at least ``n_correct`` of ``n_guesses`` guesses are right] under (ε, δ)-DP.

    The paper's Theorem 5.2 bound: the binomial tail at q = e^ε / (1 + e^ε) plus
    the δ term 2 m δ · max_{1<=i<=v} P[v - i <= Binomial(r, q) < v] / i.
    """
    from scipy.special import bdtrc, gammaln, xlog1py, xlogy  # scipy.stats.binom's sf and pmf, without its overhead

    r, v = int(n_guesses), int(n_correct)
    q = 1.0 / (1.0 + math.exp(-epsilon))
    tail = float(bdtrc(v - 1, r, q)) if v > 0 else 1.0  # P[Bin(r, q) >= v]
    if delta <= 0 or v == 0:
        return min(tail, 1.0)
    k = np.arange(v - 1, -1, -1, dtype=np.float64)  # P[Bin = v-1], P[Bin = v-2], ..., P[Bin = 0]
    pmf = np.exp(gammaln(r + 1) - gammaln(k + 1) - gammaln(r - k + 1) + xlogy(k, q) + xlog1py(r - k, -q))
    alpha = float(np.max(np.cumsum(pmf) / np.arange(1, v + 1)))
    return min(tail + 2.0 * m * delta * alpha, 1.0)


def epsilon_lower_bound(*, m: int, n_guesses: int, n_correct: int, delta: float, confidence: float = 0.95) -> float:
    """Largest ε such that (ε, δ)-DP is rejected at ``confidence`` by this many correct guesses.

    Parameters
    ----------
    m : int
        Number of canaries (each included with probability 1/2).
    n_guesses, n_correct : int
        Guesses made (excluding abstentions) and how many were right.
    delta : float
        The δ of the guarantee being tested.
    confidence : float
        e.g. 0.95: the bound is wrong with probability at most 5%.

    Returns
    -------
    float
        0.0 when the guesses are no better than chance could explain.

    Examples
    --------
    >>> round(epsilon_lower_bound(m=1000, n_guesses=100, n_correct=100, delta=0.0), 2)
    3.49
    >>> epsilon_lower_bound(m=1000, n_guesses=100, n_correct=50, delta=0.0)
    0.0
    """
    r, v = n_guesses, n_correct
    if not all(isinstance(x, (int, np.integer)) for x in (m, r, v)) or not 0 <= v <= r <= m:
        raise DataError(_COUNTS.format(m=m, r=r, v=v))
    if not (isinstance(delta, (int, float)) and 0 <= delta < 1):
        raise DataError(_LEVEL.format(name="delta", interval="[0, 1)", value=delta, example="1e-5"))
    if not (isinstance(confidence, (int, float)) and 0 < confidence < 1):
        raise DataError(_LEVEL.format(name="confidence", interval="(0, 1)", value=confidence, example="0.95"))
    alpha = 1.0 - confidence
    if r == 0 or p_value(m=m, n_guesses=r, n_correct=v, epsilon=0.0, delta=delta) >= alpha:
        return 0.0
    lo, hi = 0.0, 1.0  # invariant: p(lo) < alpha <= p(hi)
    while p_value(m=m, n_guesses=r, n_correct=v, epsilon=hi, delta=delta) < alpha:
        lo, hi = hi, 2 * hi
        if hi > _EPS_MAX:
            return _EPS_MAX
    for _ in range(50):  # the p-value increases with eps, so bisection finds the crossing
        mid = (lo + hi) / 2
        if p_value(m=m, n_guesses=r, n_correct=v, epsilon=mid, delta=delta) < alpha:
            lo = mid
        else:
            hi = mid
    return float(lo)


def best_guesses(
    scores: np.ndarray,
    included: np.ndarray,
    *,
    delta: float,
    confidence: float,
    guess_fractions: tuple[float, ...],
) -> dict[str, float]:
    """Guess "in" for the top-k and "out" for the bottom-k scores; keep the k with the best bound.

    The confidence is Bonferroni-corrected over ``guess_fractions``, so trying
    several k keeps the overall level.

    Examples
    --------
    >>> included = np.array([True] * 50 + [False] * 50)
    >>> best_guesses(np.arange(100.0)[::-1], included, delta=0.0, confidence=0.95, guess_fractions=(0.5,))["n_correct"]
    50
    """
    m = len(scores)
    ranked = np.argsort(-np.asarray(scores), kind="stable")
    level = 1.0 - (1.0 - confidence) / len(guess_fractions)
    best: dict[str, float] | None = None
    for frac in guess_fractions:
        k = max(1, int(round(frac * m / 2)))
        guess_in, guess_out = ranked[:k], ranked[m - k :] if k < m else ranked[:0]
        v = int(included[guess_in].sum() + (~included[guess_out]).sum())
        bound = epsilon_lower_bound(m=m, n_guesses=2 * k, n_correct=v, delta=delta, confidence=level)
        if best is None or bound > best["epsilon_lower_bound"]:
            best = {"k_plus": k, "k_minus": k, "n_guesses": 2 * k, "n_correct": v, "epsilon_lower_bound": bound}
    assert best is not None  # guess_fractions is not empty (level above divides by its length)
    return best


def _flip(y: torch.Tensor, rng: np.random.Generator, n_classes: int) -> torch.Tensor:
    if y.is_floating_point():
        return 1.0 - y
    shift = torch.as_tensor(rng.integers(1, n_classes, size=len(y)))
    return (y + shift) % n_classes


def canary_audit(
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
    """Train once with ``m`` label-flipped canaries and turn membership guesses into an ε lower bound.

    Parameters
    ----------
    model_factory : callable
        Returns a fresh, untrained model.
    X_train, y_train : array-like
        Training data; ``m`` rows become canaries, the rest are always included.
    m : int
        Number of canaries (each included with probability 1/2).
    epsilon : float or None
        Train privately at this target ε (with :func:`train_private`); ``None`` trains
        without DP (to audit a non-private model).
    delta : float, optional
        δ for training and for the bound (default: the :func:`default_delta` rule).
    seed : int
        Seeds canary choice, inclusion and training.
    confidence : float
        Confidence of the lower bound, after a Bonferroni correction over ``guess_fractions``.
    guess_fractions : tuple of float
        Candidate numbers of guesses, as fractions of ``m`` split evenly between
        "in" (top scores) and "out" (bottom scores); the best is reported.
    **training_kwargs
        Passed to the trainer (epochs, batch_size, learning_rate, ...).

    Returns
    -------
    dict
        ``{"method", "m", "k_plus", "k_minus", "n_guesses", "n_correct", "epsilon_lower_bound",
        "confidence", "delta", "epsilon_accountant", "private"}``.

    Examples
    --------
    >>> from audit.models import MLP  # doctest: +SKIP
    >>> canary_audit(lambda: MLP(10), X, y, m=500, epsilon=1.0)["epsilon_lower_bound"]  # doctest: +SKIP
    0.0
    """
    X_t, y_t = as_tensors(X_train, y_train)
    X_fit, y_fit, X_c, y_c, included = _insert_canaries(X_t, y_t, m=m, seed=seed)
    d = resolve_delta(delta, n_train=len(X_fit))
    trained, eps_acc = _train_fresh(model_factory, X_fit, y_fit, epsilon=epsilon, delta=d, seed=seed, loss_fn=loss_fn,
                                    **training_kwargs)
    scores = -per_example_loss(trained, X_c, y_c, loss_fn=loss_fn)  # high = looks like a member
    return canary_result(
        "one-run canary audit (Steinke, Nasr & Jagielski 2023), label-flipped input canaries, loss score",
        m=m, scores=scores, included=included, delta=d, confidence=confidence, guess_fractions=guess_fractions,
        epsilon_accountant=eps_acc, private=epsilon is not None)


def resolve_delta(delta: float | None, *, n_train: int) -> float:
    """The δ of the audit: the caller's, else the :func:`default_delta` rule for ``n_train`` rows."""
    return default_delta(n_train) if delta is None else float(delta)


def canary_result(method: str, *, m: int, scores: np.ndarray, included: np.ndarray, delta: float, confidence: float,
                  guess_fractions: tuple[float, ...], epsilon_accountant: float | None, private: bool) -> dict:
    """The keys every canary audit reports: its method, the best guesses and their ε lower bound, the accountant's ε.

    Shared by :func:`canary_audit` and :func:`gradient_canary_audit`, so both bound and report alike.
    ``epsilon_lower_bound`` is the (ε, δ) test of :func:`epsilon_lower_bound`, valid for any
    mechanism; ``gaussian_dp`` holds the f-DP μ of the same guesses with its assumption, and no ε.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> inc = rng.random(1000) < 0.5
    >>> r = canary_result("sim", m=1000, scores=inc + rng.normal(size=1000), included=inc, delta=1e-5, confidence=0.95,
    ...                   guess_fractions=(0.1, 0.5), epsilon_accountant=None, private=False)
    >>> r["epsilon_lower_bound"] > 0, r["gaussian_dp"]["epsilon_lower_bound"]
    (True, None)
    """
    from audit.privacy._fdp import gdp_from_guesses

    best = best_guesses(scores, included, delta=delta, confidence=confidence, guess_fractions=guess_fractions)
    return {
        "method": method,
        "m": int(m),
        **best,
        "confidence": float(confidence),
        "delta": delta,
        "epsilon_accountant": epsilon_accountant,
        "private": private,
        # The same guesses tested against Gaussian trade-off functions (f-DP): μ with its assumption, no ε.
        "gaussian_dp": gdp_from_guesses(scores, included, delta=delta, confidence=confidence,
                                        guess_fractions=guess_fractions),
    }


def _insert_canaries(X_t: torch.Tensor, y_t: torch.Tensor, *, m: int, seed: int) -> tuple:
    """Training rows with ``m`` label-flipped canaries, each included with probability 1/2.

    Returns the rows to train on, the canaries (included or not) and which were included.
    """
    n = len(X_t)
    if not (isinstance(m, int) and 2 <= m <= n // 2):
        raise PrivacyError(_CANARIES.format(half=n // 2, m=m, suggest=max(2, min(1000, n // 10))))
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    canary_idx, rest_idx = order[:m], order[m:]
    n_classes = int(y_t.max().item()) + 1 if not y_t.is_floating_point() else 2
    X_c = X_t[canary_idx]
    y_c = _flip(y_t[canary_idx], rng, n_classes)
    included = rng.random(m) < 0.5
    X_fit = torch.cat([X_t[rest_idx], X_c[torch.as_tensor(included)]])
    y_fit = torch.cat([y_t[rest_idx], y_c[torch.as_tensor(included)]])
    return X_fit, y_fit, X_c, y_c, included


def _train_fresh(model_factory: Callable[[], nn.Module], X_fit: torch.Tensor, y_fit: torch.Tensor, *,
                 epsilon: float | None, delta: float, seed: int, loss_fn: Callable,
                 **training_kwargs: Any) -> tuple[nn.Module, float | None]:
    """A fresh model trained privately at ``epsilon`` (or without DP when it is None), and the ε it spent."""
    torch.manual_seed(seed)
    model = model_factory()
    if epsilon is None:
        return train_non_private(model, X_fit, y_fit, seed=seed, loss_fn=loss_fn, **training_kwargs), None
    res = train_private(model, X_fit, y_fit, epsilon=epsilon, delta=delta, seed=seed, loss_fn=loss_fn, **training_kwargs)
    return res.model, res.epsilon_spent
