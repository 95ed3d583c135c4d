import json

import numpy as np
import pytest
import torch
from torch import nn

from audit.exceptions import PrivacyError
from audit.models import MLP, binary_loss
from audit.privacy import prepare_module, resolve_grad_sample_mode, train_private

FAST = dict(epochs=3, batch_size=64, accountant="rdp")  # RDP: the fastest accountant, for unit tests

EXPECTED_KEYS = {
    "epsilon_target", "epsilon_spent", "delta", "delta_rule", "accountant", "max_grad_norm", "noise_multiplier",
    "sample_rate", "epochs", "batch_size", "learning_rate", "optimizer", "poisson_sampling", "grad_sample_mode",
    "n_train", "steps", "epsilon_history", "loss_history", "module_fixes", "resumed_from_epoch",
}


def test_budget_is_never_exceeded_and_spent_per_epoch_is_recorded(synthetic):
    X, y = synthetic
    res = train_private(MLP(6, hidden=(8,)), X, y, epsilon=1.5, **FAST)
    d = res.to_dict()
    assert EXPECTED_KEYS <= set(d)
    json.dumps(d, allow_nan=False)
    assert len(d["epsilon_history"]) == 3 and np.all(np.diff(d["epsilon_history"]) > 0)
    assert 0 < d["epsilon_spent"] <= 1.5
    assert d["epsilon_spent"] == d["epsilon_history"][-1]
    assert d["noise_multiplier"] > 0 and d["delta"] < 1 / len(X)
    assert d["steps"] == 3 * int(np.ceil(len(X) / 64))


def test_model_is_unwrapped_and_loads_into_a_fresh_instance(synthetic):
    X, y = synthetic
    res = train_private(MLP(6, hidden=(8,)), X, y, epsilon=2.0, **FAST)
    assert type(res.model) is MLP
    assert not any(hasattr(p, "grad_sample") for p in res.model.parameters())
    fresh = MLP(6, hidden=(8,))
    fresh.load_state_dict(res.model.state_dict())
    x = torch.tensor(X[:5])
    assert torch.equal(fresh(x), res.model(x))


def test_input_model_is_not_modified(synthetic):
    X, y = synthetic
    model = MLP(6, hidden=(8,))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    train_private(model, X, y, epsilon=2.0, **FAST)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_batchnorm_is_replaced_and_the_fix_reported(synthetic):
    X, y = synthetic
    model = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
    res = train_private(model, X, y, epsilon=2.0, grad_sample_mode="hooks", **FAST)
    assert res.module_fixes == ["1: BatchNorm1d -> GroupNorm"]
    fixed = nn.Sequential(nn.Linear(6, 8), nn.GroupNorm(8, 8), nn.ReLU(), nn.Linear(8, 1))
    fixed.load_state_dict(res.model.state_dict())


class MyNorm(nn.BatchNorm1d):
    """A BatchNorm subclass: ModuleValidator matches exact types and would miss it."""


def test_unfixable_layers_are_refused_in_one_message():
    model = nn.Sequential(nn.Linear(6, 8), MyNorm(8), nn.Linear(8, 8), MyNorm(8), nn.Linear(8, 1))
    with pytest.raises(PrivacyError) as err:
        prepare_module(model)
    assert len(err.value.problems) == 2
    assert "1: MyNorm" in str(err.value) and "3: MyNorm" in str(err.value) and "GroupNorm" in str(err.value)


def test_auto_mode_uses_ghost_clipping_only_when_the_loss_allows():
    assert resolve_grad_sample_mode("auto", binary_loss) == "ghost"
    assert resolve_grad_sample_mode("auto", nn.CrossEntropyLoss()) == "ghost"
    custom = lambda out, y: binary_loss(out, y)  # noqa: E731
    assert resolve_grad_sample_mode("auto", custom) == "hooks"
    with pytest.raises(PrivacyError, match="per-example"):
        resolve_grad_sample_mode("ghost", custom)


def test_cross_entropy_for_multiclass(synthetic):
    X, _ = synthetic
    y = (np.digitize(X[:, 0], [-0.5, 0.5])).astype(np.int64)  # 3 classes
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    res = train_private(model, X, y, epsilon=4.0, loss_fn=nn.CrossEntropyLoss(), learning_rate=0.05, **FAST)
    acc = (res.model(torch.tensor(X)).argmax(1).numpy() == y).mean()
    assert acc > 0.5  # well above the 1/3 chance level


def test_empty_poisson_batches_take_a_noise_step(synthetic):
    X, y = synthetic
    # batch_size=1 on 40 rows: sample rate 1/40, about 37% of steps see an empty batch
    res = train_private(MLP(6, hidden=(4,)), X[:40], y[:40], epsilon=8.0, epochs=2, batch_size=1, accountant="rdp")
    assert res.steps == 80 and res.epsilon_spent <= 8.0
    assert all(v is None or np.isfinite(v) for v in res.loss_history)


def test_progress_is_called_after_each_epoch(synthetic):
    X, y = synthetic
    seen = []
    train_private(MLP(6, hidden=(4,)), X, y, epsilon=2.0, progress=lambda e, t, info: seen.append((e, t, info)), **FAST)
    assert [(e, t) for e, t, _ in seen] == [(1, 3), (2, 3), (3, 3)]
    assert {"loss", "epsilon"} <= set(seen[-1][2])


def test_refuses_nan_features(synthetic):
    from audit.exceptions import DataError

    X, y = synthetic
    X = X.copy()
    X[0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        train_private(MLP(6), X, y, epsilon=1.0, **FAST)
