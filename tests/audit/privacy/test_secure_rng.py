"""Secure randomness: the right distributions, not repeatable, the noise the accountant assumes."""

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from audit.exceptions import PrivacyError
from audit.models import MLP
from audit.privacy import gradient_canary_audit, train_private
from audit.privacy._secure_rng import SecureRandom

FAST = dict(epochs=2, batch_size=256, accountant="rdp")


@pytest.fixture(scope="module")
def task():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4096, 8)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.float32)


def test_draws_follow_their_distributions():
    rng = SecureRandom()
    u = rng.uniform(200_000).numpy()
    assert stats.kstest(u, "uniform").pvalue > 1e-3 and u.min() >= 0 and u.max() < 1
    z = rng.normal((200_000,), std=3.0, dtype=torch.float64).numpy()
    assert stats.kstest(z / 3.0, "norm").pvalue > 1e-3
    assert not np.array_equal(SecureRandom().uniform(8).numpy(), SecureRandom().uniform(8).numpy())


def test_secure_training_spends_the_same_budget_and_cannot_be_repeated(task):
    X, y = task
    runs = []
    for _ in range(2):
        torch.manual_seed(0)  # same initial weights and seed: only the secure draws differ
        runs.append(train_private(MLP(8, hidden=(16,)), X, y, epsilon=2.0, secure_rng=True, seed=1, **FAST))
    a, b = runs
    assert a.secure_rng and a.to_dict()["secure_rng"] is True
    assert a.epsilon_history == b.epsilon_history and a.epsilon_spent <= 2.0
    assert not torch.equal(a.model.net[0].weight, b.model.net[0].weight)


def test_secure_noise_is_the_noise_the_accountant_assumes(task):
    # The white-box canaries' excluded scores are pure released noise on unused coordinates.
    X, y = task
    res = gradient_canary_audit(lambda: MLP(8, hidden=(32,)), X, y, m=2000, epsilon=2.0, secure_rng=True,
                                epochs=4, batch_size=256, accountant="rdp")
    assert res["score_noise_ratio"] == pytest.approx(1.0, abs=0.08)
    assert res["epsilon_lower_bound"] <= res["epsilon_accountant"]
    assert res["mean_times_sampled"] == pytest.approx(4 * 16 / 16, rel=0.2)  # q * steps: Poisson rate kept


def test_secure_rng_is_refused_where_it_cannot_be_honoured(task):
    X, y = task
    normed = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.Linear(8, 1))
    with pytest.raises(PrivacyError, match=r"secure_rng=True.*LayerNorm"):
        train_private(normed, X, y, epsilon=2.0, secure_rng=True, **FAST)
    with pytest.raises(PrivacyError, match="poisson_sampling=False"):
        train_private(MLP(8, hidden=(4,)), X, y, epsilon=2.0, secure_rng=True, poisson_sampling=False, **FAST)
