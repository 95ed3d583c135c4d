import math

import pytest

from audit.exceptions import PrivacyError
from audit.privacy import DP_DEFAULTS, default_delta, validate_privacy_settings

GOOD = dict(epsilon=1.0, delta=None, max_grad_norm=1.0, n_train=30000, epochs=20, batch_size=1024)


def test_default_delta_is_a_power_of_ten_below_one_over_ten_n():
    for n in (10, 999, 1000, 32561, 10**6):
        d = default_delta(n)
        assert d <= 1 / (10 * n)
        assert d * 10 > 1 / (10 * n)  # the largest such power
        assert math.isclose(math.log10(d), round(math.log10(d)))


def test_valid_settings_return_the_noise_multiplier():
    sigma = validate_privacy_settings(**GOOD)
    assert 1.0 < sigma < 10.0


def test_every_problem_is_reported_at_once():
    with pytest.raises(PrivacyError) as err:
        validate_privacy_settings(
            epsilon=-1, delta=0.01, max_grad_norm=0, n_train=1000, epochs=0, batch_size=5000,
            learning_rate=-1, accountant="moments", grad_sample_mode="fast", optimizer="lbfgs",
        )
    problems = err.value.problems
    assert len(problems) == 9
    text = str(err.value)
    for word in ("epsilon", "delta", "max_grad_norm", "epochs", "batch_size", "learning_rate", "prv", "auto", "adam"):
        assert word in text


@pytest.mark.parametrize("delta", [0.0, -1e-6, 1e-3, 0.5])
def test_delta_outside_zero_to_one_over_n_is_refused(delta):
    with pytest.raises(PrivacyError, match="1/n"):
        validate_privacy_settings(**{**GOOD, "n_train": 1000, "delta": delta})


def test_unreachable_epsilon_says_what_would_work():
    with pytest.raises(PrivacyError) as err:
        validate_privacy_settings(epsilon=0.01, delta=None, max_grad_norm=1.0, n_train=200, epochs=50, batch_size=200)
    assert "cannot be reached" in str(err.value)
    assert "What would work" in str(err.value)


def test_defaults_are_valid_for_adult_size():
    validate_privacy_settings(
        epsilon=1.0, delta=DP_DEFAULTS["delta"], max_grad_norm=DP_DEFAULTS["max_grad_norm"], n_train=32561,
        epochs=DP_DEFAULTS["epochs"], batch_size=DP_DEFAULTS["batch_size"], learning_rate=DP_DEFAULTS["learning_rate"],
        accountant=DP_DEFAULTS["accountant"],
    )


def test_noise_multiplier_matches_opacus_make_private_with_epsilon(synthetic):
    import torch
    from opacus import PrivacyEngine
    from torch.utils.data import DataLoader, TensorDataset

    X, y = synthetic
    sigma = validate_privacy_settings(epsilon=2.0, delta=1e-4, max_grad_norm=1.0, n_train=len(X), epochs=3, batch_size=64)
    model = torch.nn.Linear(6, 1)
    _, opt, _ = PrivacyEngine(accountant="prv").make_private_with_epsilon(
        module=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        data_loader=DataLoader(TensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=64),
        target_epsilon=2.0, target_delta=1e-4, epochs=3, max_grad_norm=1.0,
    )
    assert sigma == opt.noise_multiplier
