"""The f-DP (Gaussian DP) one-run analysis: never above the mechanism's guarantee, tighter than the (ε, δ) bound."""

from __future__ import annotations

import numpy as np
import pytest

from audit.privacy._canary import best_guesses, canary_result
from audit.privacy._fdp import gdp_delta, gdp_epsilon, gdp_from_guesses, gdp_lower_bound, gdp_rejects

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
        assert g["epsilon_lower_bound"] <= gdp_epsilon(mu, 1e-5)


def test_gdp_analysis_is_tighter_than_the_epsilon_delta_bound():
    tighter = 0
    for seed in range(5):
        scores, included = _simulate(1.0, seed)
        g = gdp_from_guesses(scores, included, delta=1e-5, confidence=0.95, guess_fractions=FRACTIONS)
        b = best_guesses(scores, included, delta=1e-5, confidence=0.95, guess_fractions=FRACTIONS)
        tighter += g["epsilon_lower_bound"] > b["epsilon_lower_bound"]
    assert tighter == 5


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
