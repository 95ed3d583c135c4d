"""f-DP analysis of one-run canary guesses (Mahloujifar, Melis & Chaudhuri, ICML 2025, "Auditing f-Differential Privacy in One Run").

The (ε, δ) analysis of Steinke, Nasr & Jagielski (2023) bounds the correct guesses by a
binomial at e^ε/(1+e^ε) plus a δ term that, for DP-SGD's δ, throws much of the evidence away.
Mahloujifar et al. instead test a whole trade-off function f: if the mechanism is f-DP, the
probability that an adversary guessing ``c'`` of ``m`` canaries gets ``c`` right is bounded by
a recursion over the number of correct guesses that uses f itself (their Algorithm with a cap
on the number of guesses, for a binary "in/out" alphabet). Here f is Gaussian DP,
``G_μ(x) = Φ(Φ⁻¹(1 - x) - μ)``, and the audit reports the largest μ the observed guesses reject at
the stated confidence: the mechanism is **not** μ-GDP for any smaller μ.

**What μ says, and what it does not.** Rejecting μ-GDP is valid for any mechanism: the
mechanism is not μ-GDP for any smaller μ (:data:`MU_ASSUMPTION`). μ is a privacy *level* only
where the trade-off curve is Gaussian, which DP-SGD's is approximately after many steps (the
central limit theorem of f-DP). The GDP privacy profile (Dong, Roth & Su 2022),
δ(ε) = Φ(-ε/μ + μ/2) - e^ε Φ(-ε/μ - μ/2) (:func:`gdp_epsilon`), turns μ into an ε only under
that assumption: on randomized response, exactly (1, 0)-DP, the μ its guesses reject converts to
"ε ≥ 1.2–1.3" in nearly every seed. So no ε is derived from μ (:data:`EPSILON_NOT_REPORTED`);
the canary audit's (ε, δ) test (:func:`~audit.privacy._canary.epsilon_lower_bound`), valid for any
mechanism, is the ε lower bound. (Testing the (ε, δ) trade-off curve itself with the recursion
below is valid for any mechanism too, but on the simulated Gaussian and randomized-response
mechanisms it gave the same ε as the (ε, δ) test (means within 0.1 over 20 seeds), so it is not reported
separately.)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = ["EPSILON_NOT_REPORTED", "MU_ASSUMPTION", "clt_mu", "gdp_delta", "gdp_epsilon", "gdp_from_guesses",
           "gdp_lower_bound", "gdp_rejects"]

#: What the μ lower bound promises, recorded and shown with every μ.
MU_ASSUMPTION = ("μ-Gaussian DP: the guesses reject μ-GDP for every smaller μ, which holds for any mechanism; μ is a privacy "
                 "level only if the mechanism's trade-off curve is Gaussian (DP-SGD's is approximately, after many "
                 "steps), and for other mechanisms it does not translate into ε")
#: Why the f-DP analysis reports no ε (the record's ``gaussian_dp.epsilon_not_reported``).
EPSILON_NOT_REPORTED = ("no ε is derived from μ: the μ → ε conversion assumes a Gaussian trade-off curve and overstates "
                        "ε for other mechanisms (randomized response at ε = 1 gives 1.2–1.3); the canary audit's (ε, δ) "
                        "lower bound holds for any mechanism")
_MU_MAX = 50.0
_COUNTS = "need 0 <= n_correct <= n_guesses <= m and m >= 1; found m={m}, n_guesses={r}, n_correct={v}."


def _inverse_tradeoff(x: float, mu: float) -> float:
    # The "inverse blow-up" of G_mu: the smallest probability an event can have under the
    # neighbouring distribution given probability x under the other, i.e. Φ(Φ⁻¹(x) - μ).
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    return float(ndtr(ndtri(x) - mu))


def gdp_rejects(mu: float, *, m: int, n_guesses: int, n_correct: int, alpha: float = 0.05) -> bool:
    """Whether ``n_correct`` of ``n_guesses`` correct guesses on ``m`` canaries reject μ-GDP at level ``alpha``.

    Examples
    --------
    >>> gdp_rejects(0.1, m=1000, n_guesses=100, n_correct=100)
    True
    >>> gdp_rejects(0.1, m=1000, n_guesses=100, n_correct=55)
    False
    """
    m, r, c = int(m), int(n_guesses), int(n_correct)
    if not (m >= 1 and 0 <= c <= r <= m):
        raise ValueError(_COUNTS.format(m=m, r=r, v=c))
    if r == 0:
        return False
    scale = alpha * r / m
    r_i, h_i = scale * c / r, scale * (r - c) / r  # the tail mass at exactly c correct, split into right / wrong
    for i in range(c - 1, -1, -1):
        h_next = max(h_i, _inverse_tradeoff(r_i, mu))  # binary alphabet: k - 1 = 1
        r_i = r_i + (i / (r - i)) * (h_next - h_i)
        h_i = h_next
    return r_i + h_i > r / m


def gdp_lower_bound(*, m: int, n_guesses: int, n_correct: int, alpha: float = 0.05, tol: float = 1e-4) -> float:
    """The largest μ that the guesses reject (0.0 when none is), by bisection.

    Examples
    --------
    >>> round(gdp_lower_bound(m=1000, n_guesses=100, n_correct=50), 3)
    0.0
    >>> gdp_lower_bound(m=1000, n_guesses=200, n_correct=160) > 0.3
    True
    """
    if not gdp_rejects(1e-9, m=m, n_guesses=n_guesses, n_correct=n_correct, alpha=alpha):
        return 0.0
    lo, hi = 1e-9, 1.0  # invariant: rejects(lo), not rejects(hi)
    while gdp_rejects(hi, m=m, n_guesses=n_guesses, n_correct=n_correct, alpha=alpha):
        lo, hi = hi, 2 * hi
        if hi > _MU_MAX:
            return _MU_MAX
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if gdp_rejects(mid, m=m, n_guesses=n_guesses, n_correct=n_correct, alpha=alpha):
            lo = mid
        else:
            hi = mid
    return float(lo)


def gdp_delta(mu: float, epsilon: float) -> float:
    """δ(ε) of μ-GDP (Dong, Roth & Su 2022, Corollary 2.13)."""
    if mu <= 0:
        return 0.0
    return float(ndtr(-epsilon / mu + mu / 2) - math.exp(epsilon) * ndtr(-epsilon / mu - mu / 2))


def gdp_epsilon(mu: float, delta: float) -> float:
    """The ε of μ-GDP at ``delta`` (0 when μ-GDP already gives δ at ε = 0).

    Examples
    --------
    >>> round(gdp_epsilon(1.0, 1e-5), 2)
    4.38
    """
    if mu <= 0 or gdp_delta(mu, 0.0) <= delta:
        return 0.0
    lo, hi = 0.0, 1.0
    while gdp_delta(mu, hi) > delta:
        lo, hi = hi, 2 * hi
    for _ in range(60):
        mid = (lo + hi) / 2
        if gdp_delta(mu, mid) > delta:
            lo = mid
        else:
            hi = mid
    return float(hi)


def clt_mu(*, sample_rate: float, steps: int, noise_multiplier: float) -> float:
    """μ of DP-SGD by the central limit theorem of f-DP: q·sqrt(T·(exp(1/σ²) - 1)).

    Bu, Dong, Long & Su (2020); Dong, Roth & Su (2022). An approximation, accurate when the
    steps are many and q small; reported beside the audit's μ, never used as a guarantee.

    Examples
    --------
    >>> round(clt_mu(sample_rate=1 / 32, steps=640, noise_multiplier=3.535), 3)
    0.228
    """
    if noise_multiplier <= 0 or steps <= 0:
        return float("inf") if noise_multiplier <= 0 else 0.0
    return float(sample_rate * math.sqrt(steps * math.expm1(1.0 / noise_multiplier**2)))


def gdp_from_guesses(scores: np.ndarray, included: np.ndarray, *, delta: float, confidence: float,
                     guess_fractions: tuple[float, ...]) -> dict[str, Any]:
    """The f-DP (Gaussian) analysis of top-k / bottom-k guesses, best k with a Bonferroni correction.

    The same guesses as :func:`~audit.privacy._canary.best_guesses`; the level is split over the
    fractions tried, so picking the best keeps the overall confidence. Reports μ with its
    assumption (``assumption``) and no ε (``epsilon_lower_bound`` is None, ``epsilon_not_reported``
    says why); ``delta`` is kept in the signature for the callers.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> inc = rng.random(1000) < 0.5
    >>> g = gdp_from_guesses(inc + rng.normal(size=1000), inc, delta=1e-5, confidence=0.95, guess_fractions=(0.1, 0.5))
    >>> 0 < g["mu_lower_bound"] < 1.0, g["epsilon_lower_bound"], g["assumption"][:13]
    (True, None, 'μ-Gaussian DP')
    """
    m = len(scores)
    ranked = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    alpha = (1.0 - confidence) / len(guess_fractions)
    best: dict[str, float] | None = None
    for frac in guess_fractions:
        k = max(1, int(round(frac * m / 2)))
        guess_in, guess_out = ranked[:k], ranked[m - k :] if k < m else ranked[:0]
        v = int(included[guess_in].sum() + (~included[guess_out]).sum())
        mu = gdp_lower_bound(m=m, n_guesses=2 * k, n_correct=v, alpha=alpha)
        if best is None or mu > best["mu_lower_bound"]:
            best = {"k": 2 * k, "n_correct": v, "mu_lower_bound": mu}
    assert best is not None  # guess_fractions is not empty (alpha above divides by its length)
    return {
        "method": "f-DP one-run audit (Mahloujifar, Melis & Chaudhuri 2025), Gaussian trade-off, binary guesses",
        **best,
        "assumption": MU_ASSUMPTION,
        "epsilon_lower_bound": None,
        "epsilon_not_reported": EPSILON_NOT_REPORTED,
        "confidence": float(confidence),
        "mu_accountant": None,
    }
