"""White-box gradient-canary audit: valid under DP, catches an under-noised implementation, refuses misuse."""

import numpy as np
import pytest
import torch
from torch import nn

from audit.exceptions import PrivacyError
from audit.models import MLP
from audit.privacy import gradient_canary_audit, train_private
from audit.privacy._canary_gradient import _DiracCanaries
from audit.privacy._train import _train_private

FAST = dict(epochs=4, batch_size=256, accountant="rdp")


@pytest.fixture(scope="module")
def task():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(4096, 8)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] > 0).astype(np.float32)
    return X, y


def _factory():
    return MLP(8, hidden=(32,))


@pytest.mark.parametrize("epsilon", [1.0, 4.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_lower_bound_never_exceeds_the_accountant(task, epsilon, seed):
    X, y = task
    res = gradient_canary_audit(_factory, X, y, m=300, epsilon=epsilon, seed=seed, **FAST)
    assert res["private"] and res["m"] == 300 and "gradient canaries" in res["method"]
    assert 0.0 <= res["epsilon_lower_bound"] <= res["epsilon_accountant"] <= epsilon * (1 + 1e-6)
    # The f-DP (Gaussian) analysis of the same guesses reports μ with its assumption, below the noise's μ, and no ε.
    assert res["gaussian_dp"]["mu_lower_bound"] <= res["gaussian_dp"]["mu_accountant"]  # the CLT μ of the noise used
    assert res["gaussian_dp"]["epsilon_lower_bound"] is None and "Gaussian" in res["gaussian_dp"]["assumption"]
    # An included canary enters a batch at the training sample rate: q * steps times on average.
    steps = FAST["epochs"] * int(np.ceil(len(X) / FAST["batch_size"]))
    expected = steps * FAST["batch_size"] / len(X)
    assert abs(res["mean_times_sampled"] - expected) < 0.25 * expected


def test_an_under_noised_training_is_caught(task, monkeypatch):
    # Simulate the bug an audit exists to find: the accountant is told sigma, but only 2% of
    # the noise is added. The white-box canaries must then prove far more leakage than claimed.
    import opacus.optimizers.optimizer_fast_gradient_clipping as fgc

    real = fgc._generate_noise

    def weak_noise(std, reference, generator=None, secure_mode=False):
        return real(std * 0.02, reference, generator=generator, secure_mode=secure_mode)

    monkeypatch.setattr(fgc, "_generate_noise", weak_noise)
    X, y = task
    res = gradient_canary_audit(_factory, X, y, m=300, epsilon=1.0, **FAST)
    assert res["epsilon_lower_bound"] > 2.0 > res["epsilon_accountant"]
    assert res["gaussian_dp"]["mu_lower_bound"] > 2 * res["gaussian_dp"]["mu_accountant"]  # and so does the f-DP μ
    assert res["score_noise_ratio"] < 0.1  # and the released noise is visibly short of the claim


def test_released_noise_matches_what_the_accountant_was_told(task):
    # Scores of excluded canaries are pure DP noise on unused coordinates: their spread must be
    # sigma * C / B * sqrt(steps), the noise the accountant's epsilon assumes.
    X, y = task
    res = gradient_canary_audit(_factory, X, y, m=2000, epsilon=2.0, **FAST)
    assert res["score_noise_ratio"] == pytest.approx(1.0, abs=0.08)


def test_canaries_do_not_touch_the_model_training(task):
    # The canaries live on their own coordinates: the model's clipped sums are exactly the
    # book-keeping clipper's, whatever the canaries do.
    X, y = task
    kw = dict(epsilon=2.0, delta=None, max_grad_norm=1.0, epochs=1, batch_size=256, learning_rate=0.01, optimizer="adam",
              seed=5, accountant="rdp", poisson_sampling=True, max_physical_batch_size=4096, grad_sample_mode="bookkeeping",
              loss_fn=train_private.__kwdefaults__["loss_fn"], checkpoint_dir=None, config_fingerprint=None,
              progress=None, distributed=False)
    seen = []

    class Spy(_DiracCanaries):
        def before_noise(self):
            super().before_noise()
            seen.append(self.slot.grad.clone())

    hook = Spy(m=50, included=np.ones(50, bool), seed=5)
    _train_private(_factory(), X, y, step_hook=hook, **kw)
    grads = torch.stack(seen)
    assert set(grads.unique().tolist()) <= {0.0, 1.0}  # each canary: 0 or exactly C = 1
    assert int(hook.times_sampled.sum()) == int(grads.sum())
    assert hook.steps == len(seen) == int(np.ceil(len(X) / 256))


def test_misuse_is_refused_with_a_reason(task):
    X, y = task
    with pytest.raises(PrivacyError, match="needs a target epsilon"):
        gradient_canary_audit(_factory, X, y, m=100, epsilon=None)
    with pytest.raises(PrivacyError, match="m >= 2"):
        gradient_canary_audit(_factory, X, y, m=1, epsilon=1.0, **FAST)
    with pytest.raises(PrivacyError, match="LayerNorm"):
        gradient_canary_audit(lambda: nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.Linear(8, 1)), X, y,
                              m=20, epsilon=1.0, **FAST)
    with pytest.raises(PrivacyError, match="grad_sample_mode"):
        gradient_canary_audit(_factory, X, y, m=100, epsilon=1.0, grad_sample_mode="hooks")
