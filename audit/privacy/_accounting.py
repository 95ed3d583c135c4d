"""Opacus's ε, computed by Opacus's own steps with the repeated work done once.

``PRVAccountant.get_epsilon`` sizes its discretisation domain with two RDP bounds, and each
evaluates Opacus's pure-Python RDP series at 151 orders: two thirds of a call, every call,
although the per-step RDP curve depends only on the noise multiplier and the sample rate
(``compute_rdp`` is that curve times the steps). Here the curve is computed once per
(σ, q) by Opacus's ``compute_rdp`` and scaled, which is the same arithmetic, so the answer
is bit-for-bit Opacus's; the discretisation, FFT composition and ε search are Opacus's
functions. The truncated PRV's mean (``scipy.integrate.quad`` over a Python callable, the
other large share) evaluates the same expressions with the constant ``cdf(t_min)`` kept.
tests/audit/privacy/test_accounting.py compares every answer with Opacus's accountants.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

__all__ = ["accountant_epsilon", "search_noise_multiplier"]

#: Opacus's ``PRVAccountant.get_epsilon`` default.
_EPS_ERROR = 0.01


def _alphas() -> list[float]:
    from opacus.accountants import RDPAccountant

    return list(RDPAccountant.DEFAULT_ALPHAS)


def _log_a_int(q: float, sigma: float, alpha: int) -> float:
    """Opacus's ``_compute_log_a_for_int_alpha``: the same terms (see :func:`_log_a_frac`), summed in the same order."""
    from opacus.accountants.analysis.rdp import _log_add
    from scipy import special

    i = np.arange(alpha + 1, dtype=np.float64)
    log_coef = np.array([math.log(c) for c in special.binom(alpha, i).tolist()]) + i * math.log(q) + (alpha - i) * math.log(1 - q)
    log_a = -np.inf
    for term in (log_coef + (i * i - i) / (2 * (sigma**2))).tolist():
        log_a = _log_add(log_a, term)
    return float(log_a)


def _log_a_frac(q: float, sigma: float, alpha: float, chunk: int = 64) -> float:
    """Opacus's ``_compute_log_a_for_frac_alpha``, term for term, the terms formed a chunk at a time.

    ``binom`` and ``log_ndtr`` are ufuncs (one call on an array gives each element what a call on
    that element gives), and NumPy's + - * / round as Python's do, so each term is Opacus's; the
    logs are ``math.log`` and the running sums Opacus's own ``_log_add`` / ``_log_sub`` in order.
    """
    from opacus.accountants.analysis.rdp import _log_add, _log_sub
    from scipy import special

    log_a0, log_a1 = -np.inf, -np.inf
    z0 = sigma**2 * math.log(1 / q - 1) + 0.5
    start = 0
    while True:
        i = np.arange(start, start + chunk, dtype=np.float64)
        coef = special.binom(alpha, i)
        log_coef = np.array([math.log(abs(c)) for c in coef.tolist()])
        j = alpha - i
        log_t0 = log_coef + i * math.log(q) + j * math.log(1 - q)
        log_t1 = log_coef + j * math.log(q) + i * math.log(1 - q)
        log_e0 = math.log(0.5) + (math.log(2) + special.log_ndtr(-((i - z0) / (math.sqrt(2) * sigma)) * 2**0.5))
        log_e1 = math.log(0.5) + (math.log(2) + special.log_ndtr(-((z0 - j) / (math.sqrt(2) * sigma)) * 2**0.5))
        s0 = (log_t0 + (i * i - i) / (2 * (sigma**2)) + log_e0).tolist()
        s1 = (log_t1 + (j * j - j) / (2 * (sigma**2)) + log_e1).tolist()
        for c, log_s0, log_s1 in zip(coef.tolist(), s0, s1, strict=True):
            if c > 0:
                log_a0, log_a1 = _log_add(log_a0, log_s0), _log_add(log_a1, log_s1)
            else:
                log_a0, log_a1 = _log_sub(log_a0, log_s0), _log_sub(log_a1, log_s1)
            if max(log_s0, log_s1) < -30:
                return _log_add(log_a0, log_a1)
        start += chunk


def _rdp_order(q: float, sigma: float, alpha: float) -> float:
    """Opacus's ``_compute_rdp``."""
    from opacus.accountants.analysis.rdp import _compute_rdp

    if q == 0 or sigma == 0 or q == 1.0 or np.isinf(alpha):
        return _compute_rdp(q, sigma, alpha)
    if float(alpha).is_integer():
        return _log_a_int(q, sigma, int(alpha)) / (alpha - 1)
    return _log_a_frac(q, sigma, alpha) / (alpha - 1)


@functools.lru_cache(maxsize=4096)
def _rdp_curve(sigma: float, q: float) -> np.ndarray:
    """RDP of one step at Opacus's default orders: ``compute_rdp`` of ``steps`` is this times ``steps``.

    Opacus's ``compute_rdp(steps=1)``, value for value (tests compare them), about 4x faster.
    """
    curve = np.array([_rdp_order(q, sigma, order) for order in _alphas()]) * 1
    curve.flags.writeable = False  # shared by every caller of the cache
    return curve


def _rdp_epsilon(history: tuple, delta: float) -> float:
    """``RDPAccountant.get_epsilon``: the same sum of ``compute_rdp`` curves and the same conversion."""
    from opacus.accountants.analysis.rdp import get_privacy_spent

    if not history:
        return 0.0
    rdp = sum([_rdp_curve(sigma, q) * steps for sigma, q, steps in history])
    eps, _ = get_privacy_spent(orders=_alphas(), rdp=rdp, delta=delta)
    return float(eps)


def _truncated(prv: Any, t_min: float, t_max: float) -> Any:
    """Opacus's ``TruncatedPrivacyRandomVariable`` whose scalar ``cdf`` (what ``quad`` calls) does less work.

    The values are the same expressions on the same numbers: ``cdf(t_min)`` is computed once
    instead of at every call, and only the branch ``np.where`` would select is evaluated.
    """
    from opacus.accountants.analysis.prv import TruncatedPrivacyRandomVariable
    from opacus.accountants.analysis.prv.prvs import SQRT2
    from scipy.special import erfc

    class _Truncated(TruncatedPrivacyRandomVariable):
        def __init__(self) -> None:
            super().__init__(prv, t_min, t_max)
            self._cdf_min = self._prv.cdf(self.t_min)
            self._cut = np.log(1 - prv.sample_rate)

        def _scalar_cdf(self, t: float) -> Any:
            # PoissonSubsampledGaussianPRV.cdf, the branch taken for a scalar, written as Opacus writes it.
            q, sigma = self._prv.sample_rate, self._prv.noise_multiplier
            if not t > self._cut:
                return 0.0
            z = np.log((np.exp(t) + q - 1) / q)
            return (-q * erfc((2 * z * sigma**2 - 1) / (2 * SQRT2 * sigma)) / 2
                    - (1 - q) * erfc((2 * z * sigma**2 + 1) / (2 * SQRT2 * sigma)) / 2 + 1.0)

        def _array_cdf(self, t: np.ndarray) -> np.ndarray:
            # The same on an array, the formula evaluated only where np.where would keep it (about half the domain).
            q, sigma = self._prv.sample_rate, self._prv.noise_multiplier
            out = np.zeros(np.shape(t))
            keep = t > self._cut
            z = np.log((np.exp(t[keep]) + q - 1) / q)
            out[keep] = (-q * erfc((2 * z * sigma**2 - 1) / (2 * SQRT2 * sigma)) / 2
                         - (1 - q) * erfc((2 * z * sigma**2 + 1) / (2 * SQRT2 * sigma)) / 2 + 1.0)
            return out

        def cdf(self, t: Any) -> Any:
            if np.ndim(t) != 0:
                return np.where(t < self.t_min, 0.0, np.where(
                    t < self.t_max, (self._array_cdf(np.asarray(t)) - self._cdf_min) / self._remaining_mass, 1.0))
            if t < self.t_min:
                return 0.0
            if t < self.t_max:
                return (self._scalar_cdf(t) - self._cdf_min) / self._remaining_mass
            return 1.0

    return _Truncated()


def _prv_epsilon(history: tuple, delta: float) -> float:
    """``PRVAccountant.get_epsilon(delta)``: Opacus's domain rule, discretisation, composition and search."""
    from opacus.accountants.analysis.prv import (
        Domain,
        PoissonSubsampledGaussianPRV,
        compose_heterogeneous,
        discretize,
    )

    eps_error, delta_error = _EPS_ERROR, delta / 1000
    prvs = [PoissonSubsampledGaussianPRV(q, sigma) for sigma, q, _ in history]
    counts = [steps for _, _, steps in history]
    total = sum(counts)
    # compute_safe_domain_size, with the RDP curves cached
    L_max = _rdp_epsilon(tuple((s, q, n) for s, q, n in history), delta_error / 4)
    for sigma, q, _ in history:
        L_max = max(L_max, _rdp_epsilon(((sigma, q, 1),), delta_error / (8 * total)))
    L = max(L_max, eps_error) + 3
    mesh_size = eps_error / np.sqrt(total * np.log(12 / delta_error) / 2)
    domain = Domain.create_aligned(-L, L, mesh_size)
    dprvs = [discretize(_truncated(prv, domain.t_min, domain.t_max), domain) for prv in prvs]
    composed = compose_heterogeneous(dprvs=dprvs, num_self_compositions=counts)
    _, _, eps_upper = composed.compute_epsilon(delta, delta_error, eps_error)
    return float(eps_upper)


def accountant_epsilon(mechanism: str, history: tuple, delta: float) -> float:
    """ε that Opacus's ``mechanism`` accountant reports for ``history`` ((σ, q, steps), ...) at ``delta``.

    PRV and RDP are computed here (the same numbers, faster: see the module); other
    accountants are Opacus's.

    Examples
    --------
    >>> round(accountant_epsilon("rdp", ((1.0, 0.01, 100),), 1e-5), 3)
    1.214
    """
    if mechanism == "rdp":
        return _rdp_epsilon(history, delta)
    if mechanism == "prv" and history:
        return _prv_epsilon(history, delta)
    from opacus.accountants import create_accountant

    accountant = create_accountant(mechanism=mechanism)
    accountant.history = list(history)
    return float(accountant.get_epsilon(delta=delta))


def search_noise_multiplier(*, epsilon_of: Any, target_epsilon: float, epsilon_tolerance: float = 0.01) -> float:
    """Opacus's ``get_noise_multiplier`` search, step for step, with ``epsilon_of(sigma)`` as its accountant.

    Doubling from 20 until ε is below the target, then bisection until it is within the
    tolerance below it; the same σ values in the same order, so the same answer.

    Examples
    --------
    >>> search_noise_multiplier(epsilon_of=lambda s: 10 / s, target_epsilon=1.0)
    10.078125
    """
    from opacus.accountants.utils import MAX_SIGMA

    eps_high = math.inf
    sigma_low: float = 0  # ints, as Opacus starts: its first question is about sigma 20
    sigma_high: float = 10
    while eps_high > target_epsilon:
        sigma_high = 2 * sigma_high
        eps_high = epsilon_of(sigma_high)
        if sigma_high > MAX_SIGMA:
            raise ValueError("The privacy budget is too low.")
    while target_epsilon - eps_high > epsilon_tolerance:
        sigma = (sigma_low + sigma_high) / 2
        eps = epsilon_of(sigma)
        if eps < target_epsilon:
            sigma_high, eps_high = sigma, eps
        else:
            sigma_low = sigma
    return sigma_high
