"""The f-DP (Gaussian DP) one-run analysis: never above the mechanism's guarantee, tighter than the (ε, δ) bound."""

from __future__ import annotations

import numpy as np
import pytest

from audit.privacy._canary import canary_result
from audit.privacy._fdp import MU_ASSUMPTION, gdp_delta, gdp_epsilon, gdp_from_guesses, gdp_lower_bound, gdp_rejects

FRACTIONS = (0.05, 0.1, 0.25, 0.5)


def _simulate(mu: float, seed: int, m: int = 1000):
    # Each canary's score is released by a Gaussian mechanism: shifted by 1 when included, noise 1/mu.
    rng = np.random.default_rng(seed)
    included = rng.random(m) < 0.5
    return included * 1.0 + rng.normal(scale=1.0 / mu, size=m), included


@pytest.mark.parametrize("mu", [0.5, 1.0, 2.0])
def test_gdp_bound_never_exceeds_the_mechanisms_mu_across_seeds(mu):
    for seed in range(10):
        scores, included = _simulate(mu, seed)
        g = gdp_from_guesses(scores, included, delta=1e-5, confidence=0.95, guess_fractions=FRACTIONS)
        assert 0.0 <= g["mu_lower_bound"] <= mu
        assert g["epsilon_lower_bound"] is None and g["assumption"] == MU_ASSUMPTION


def _randomized_response(epsilon: float, seed: int, m: int = 1000):
    # Each canary's bit is released truthfully with probability e^ε / (1 + e^ε): exactly (ε, 0)-DP, not Gaussian.
    rng = np.random.default_rng(seed)
    included = rng.random(m) < 0.5
    truthful = rng.random(m) < np.exp(epsilon) / (1 + np.exp(epsilon))
    return np.where(truthful, included, ~included).astype(float), included


def test_no_epsilon_is_converted_from_mu_on_randomized_response():
    # The Gaussian μ → ε conversion put "ε ≥ 1.24–1.34" on a mechanism that is exactly (1, 0)-DP.
    above_via_mu, reported = 0, []
    for seed in range(10):
        scores, included = _randomized_response(1.0, seed)
        res = canary_result("rr", m=1000, scores=scores, included=included, delta=1e-5, confidence=0.95,
                            guess_fractions=FRACTIONS, epsilon_accountant=1.0, private=True)
        above_via_mu += gdp_epsilon(res["gaussian_dp"]["mu_lower_bound"], 1e-5) > 1.0
        assert res["gaussian_dp"]["epsilon_lower_bound"] is None and res["gaussian_dp"]["epsilon_not_reported"]
        reported.append(res["epsilon_lower_bound"])
    assert above_via_mu >= 8  # what the old conversion would have printed
    assert sum(b > 1.0 for b in reported) <= 1  # the (ε, δ) bound holds for any mechanism (95%)


def test_mu_on_randomized_response_stays_below_its_true_mu():
    # Randomized response at ε is μ-GDP exactly from μ = 2 Φ⁻¹(e^ε / (1 + e^ε)) (its trade-off curve's kink).
    from scipy.stats import norm

    true_mu = 2 * norm.ppf(np.exp(1.0) / (1 + np.exp(1.0)))
    for seed in range(10):
        scores, included = _randomized_response(1.0, seed)
        g = gdp_from_guesses(scores, included, delta=1e-5, confidence=0.95, guess_fractions=FRACTIONS)
        assert g["mu_lower_bound"] <= true_mu


def test_no_signal_rejects_nothing():
    rng = np.random.default_rng(0)
    included = rng.random(1000) < 0.5
    g = gdp_from_guesses(rng.normal(size=1000), included, delta=1e-5, confidence=0.95, guess_fractions=FRACTIONS)
    assert g["mu_lower_bound"] < 0.2


def test_rejection_is_monotone_in_mu_and_counts():
    assert gdp_rejects(0.2, m=1000, n_guesses=200, n_correct=150)
    assert not gdp_rejects(3.0, m=1000, n_guesses=200, n_correct=150)
    assert gdp_lower_bound(m=1000, n_guesses=200, n_correct=170) > gdp_lower_bound(m=1000, n_guesses=200, n_correct=150)


def test_gdp_profile_round_trips():
    eps = gdp_epsilon(1.0, 1e-5)
    assert gdp_delta(1.0, eps) == pytest.approx(1e-5, rel=1e-6)


def test_canary_section_reports_the_gdp_bound_beside_the_epsilon_delta_bound():
    scores, included = _simulate(1.0, 0)
    res = canary_result("sim", m=1000, scores=scores, included=included, delta=1e-5, confidence=0.95,
                        guess_fractions=FRACTIONS, epsilon_accountant=None, private=True)
    assert res["gaussian_dp"]["mu_lower_bound"] > 0 and res["epsilon_lower_bound"] > 0
    from audit.result import CanaryAudit

    assert CanaryAudit.from_dict(res).gaussian_dp.mu_lower_bound == res["gaussian_dp"]["mu_lower_bound"]
