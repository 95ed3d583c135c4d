"""The accounting is Opacus's, bit for bit, with the RDP series computed once per (σ, q) instead of every call."""

import itertools
import warnings

import numpy as np
import pytest

from audit.models import MLP
from audit.privacy import train_private
from audit.privacy._accounting import _rdp_curve, accountant_epsilon
from audit.privacy._settings import epsilon_after, noise_multiplier_for


def _opacus_epsilon(mechanism, history, delta):
    from opacus.accountants import create_accountant

    accountant = create_accountant(mechanism=mechanism)
    accountant.history = list(history)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(accountant.get_epsilon(delta=delta))


# Noise from a weak to a strong guarantee, Adult's sample rate and a large one, one step to a long training.
WIDE = list(itertools.product((0.8, 3.90625, 12.0), (1 / 32, 0.2), (1, 32, 640), (1e-5, 1e-6)))
QUICK = [(0.8, 1 / 32, 64, 1e-6), (3.90625, 1 / 32, 32, 1e-6), (12.0, 0.2, 1, 1e-5)]


@pytest.mark.parametrize("mechanism", ["prv", "rdp"])
def test_epsilon_equals_opacus_accountant_exactly(mechanism):
    for sigma, q, steps, delta in QUICK:
        history = ((sigma, q, steps),)
        assert accountant_epsilon(mechanism, history, delta) == _opacus_epsilon(mechanism, history, delta), history


@pytest.mark.slow
@pytest.mark.parametrize("mechanism", ["prv", "rdp"])
def test_epsilon_equals_opacus_accountant_exactly_on_a_wide_grid(mechanism):
    for sigma, q, steps, delta in WIDE:
        history = ((sigma, q, steps),)
        assert accountant_epsilon(mechanism, history, delta) == _opacus_epsilon(mechanism, history, delta), history


def test_heterogeneous_history_and_other_accountants_equal_opacus():
    history = ((1.1, 0.01, 50), (2.0, 0.02, 30), (1.1, 0.01, 20))
    for mechanism in ("prv", "rdp", "gdp"):
        assert accountant_epsilon(mechanism, history, 1e-5) == _opacus_epsilon(mechanism, history, 1e-5)


def test_noise_search_equals_opacus_get_noise_multiplier():
    from opacus.accountants.utils import get_noise_multiplier

    for epsilon, q, steps in ((2.0, 0.05, 60),):
        noise_multiplier_for.cache_clear()
        ours = noise_multiplier_for(epsilon=epsilon, delta=1e-5, sample_rate=q, steps=steps, accountant="prv")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = get_noise_multiplier(target_epsilon=epsilon, target_delta=1e-5, sample_rate=q, steps=steps,
                                          accountant="prv")
        assert ours == theirs


def test_training_records_opacus_epsilon_per_epoch_and_runs_the_rdp_series_once(synthetic, monkeypatch):
    """Before: Opacus's PRV accountant ran its pure-Python RDP series twice per epoch (and per search step)."""
    from opacus.accountants import RDPAccountant

    from audit.privacy import _accounting

    X, y = synthetic
    calls = []
    real = _accounting._rdp_order
    monkeypatch.setattr(_accounting, "_rdp_order", lambda q, s, a: calls.append(s) or real(q, s, a))
    noise_multiplier_for.cache_clear()
    epsilon_after.cache_clear()
    _rdp_curve.cache_clear()
    res = train_private(MLP(6, hidden=(8,)), X, y, epsilon=2.0, epochs=4, batch_size=64, accountant="prv")
    res.epsilon_history  # noqa: B018 - the per-epoch record, computed on reading
    # One series (every order once) per noise multiplier the search tried (the trained one included), none per epoch.
    assert len(calls) == len(RDPAccountant.DEFAULT_ALPHAS) * len(set(calls)) and res.noise_multiplier in calls
    steps = res.steps // len(res.epsilon_history)
    expected = [_opacus_epsilon("prv", ((res.noise_multiplier, res.sample_rate, steps * k),), res.delta)
                for k in range(1, len(res.epsilon_history) + 1)]
    assert res.epsilon_history == expected
    assert res.epsilon_spent == expected[-1] <= 2.0
    assert np.all(np.diff(res.epsilon_history) > 0)


def test_a_training_without_progress_asks_the_accountant_once_and_its_history_is_the_same(synthetic, monkeypatch):
    """Before: ε after every epoch of every training (the curve's and the canary run's too, which keep only the model)."""
    from audit.privacy import _run

    X, y = synthetic
    kwargs = dict(epsilon=2.0, epochs=4, batch_size=64, accountant="prv")
    progress = []
    eager = train_private(MLP(6, hidden=(8,)), X, y, progress=lambda *a: progress.append(a[2]["epsilon"]), **kwargs)
    asked = []
    real = _run.epsilon_after
    monkeypatch.setattr(_run, "epsilon_after", lambda *a: asked.append(a) or real(*a))
    lazy = train_private(MLP(6, hidden=(8,)), X, y, **kwargs)
    assert len(asked) == 1  # the final ε: the budget check
    assert lazy.epsilon_spent == eager.epsilon_spent
    assert lazy.epsilon_history == eager.epsilon_history == progress  # computed on reading, same values
    assert lazy.to_dict()["epsilon_history"] == eager.to_dict()["epsilon_history"]
    assert len(asked) == 1  # the record's values come from the result, not the trainer


def test_rdp_curve_equals_opacus_compute_rdp_value_for_value():
    from opacus.accountants import RDPAccountant
    from opacus.accountants.analysis.rdp import compute_rdp

    for sigma, q in itertools.product((0.3, 0.8588, 1.25, 3.90625, 20, 1e4), (0.001, 1 / 32, 0.2, 0.5, 1.0)):
        _rdp_curve.cache_clear()
        expected = compute_rdp(q=q, noise_multiplier=sigma, steps=1, orders=RDPAccountant.DEFAULT_ALPHAS)
        assert np.array_equal(_rdp_curve(sigma, q), expected, equal_nan=True), (sigma, q)
