"""Everything checkable is checked before the first training (issue 12).

The three late refusals a new user met on small real tables: the default private batch
size on 560 training rows (now adapts), ``target_epsilon = inf``, and a gate naming a
column that is not a sensitive feature. Each refused config must train nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.config import config_from_dict
from audit.exceptions import ConfigError
from audit.pipeline.preflight import gate_problems
from audit.pipeline.runner import run_audit


@pytest.fixture(scope="module")
def small_table(tmp_path_factory) -> str:
    """1,000 rows (560 for training after the default test and validation splits), a realistic mix of columns."""
    rng = np.random.default_rng(7)
    n = 1000
    sex = rng.choice(["female", "male"], size=n)
    age = rng.integers(18, 80, size=n)
    hours = rng.normal(40, 8, size=n).round(1)
    region = rng.choice(["north", "south", "east", "west"], size=n)
    logit = 0.04 * (age - 45) + 0.05 * (hours - 40) + 0.3 * (sex == "male")
    approved = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    path = tmp_path_factory.mktemp("preflight") / "credit.csv"
    pd.DataFrame({"age": age, "hours": hours, "region": region, "sex": sex, "approved": approved}).to_csv(path, index=False)
    return str(path)


def _config(path: str, **overrides):
    raw = {
        "name": "small",
        "data": {"path": path, "target": "approved", "positive_label": "yes", "sensitive_features": ["sex"]},
        "model": {"hidden": [8]},
        "training": {"epochs": 2},
        "privacy": {"target_epsilon": 2.0, "epochs": 2, "membership_inference": False},
        "fairness": {"n_boot": 20, "mitigation": "none"},
        "explain": {"enabled": False},
    }
    for section, values in overrides.items():
        raw[section] = {**raw.get(section, {}), **values} if isinstance(values, dict) else values
    return config_from_dict(raw)


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if any model trains."""
    import audit.privacy
    import audit.training

    def refuse(*args, **kwargs):
        raise AssertionError("a model was trained before the config was refused")

    monkeypatch.setattr(audit.training, "train_reference", refuse)
    monkeypatch.setattr(audit.privacy, "train_with_settings", refuse)


def test_default_private_batch_adapts_to_small_data(small_table):
    outcome = run_audit(_config(small_table), write=False)
    dp = outcome.result.to_dict()["privacy"]["dp"]
    assert dp["n_train"] == 560  # 70% of the rows, less the 20% held out for validation
    assert dp["batch_size"] == 56  # a tenth of the rows, not the default 1,024 the user never set
    assert 0 < dp["epsilon_spent"] <= 2.0


def test_infinite_epsilon_is_refused_at_config_time(small_table):
    with pytest.raises(ConfigError, match="target_epsilon"):
        _config(small_table, privacy={"target_epsilon": float("inf")})


def test_gate_on_a_column_that_is_not_sensitive_is_refused_before_training(small_table, no_training):
    cfg = _config(small_table, gates=[{"metric": "demographic_parity_difference", "feature": "region", "max": 0.2}])
    with pytest.raises(ConfigError, match="feature 'region' is not a sensitive feature") as err:
        run_audit(cfg, write=False)
    assert "nothing was trained" in str(err.value)


def test_gates_that_cannot_exist_are_all_listed(small_table):
    cfg = _config(small_table, privacy={"enabled": False},
                  gates=[{"metric": "accuracy", "model": "private", "min": 0.5},
                         {"metric": "membership_inference_auc", "model": "reference", "max": 0.6},
                         {"metric": "canary_epsilon_lower_bound", "model": "reference", "max": 1.0}])
    problems = gate_problems(cfg)
    assert len(problems) == 3
    assert "privacy.enabled = false" in problems[0]
    assert "membership-inference" in problems[1] and "canary audit" in problems[2]


def test_intersection_feature_is_a_valid_gate_feature(small_table, tmp_path):
    frame = pd.read_csv(small_table).assign(band=lambda f: np.where(f["age"] < 40, "young", "older"))
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    cfg = _config(str(path), data={"sensitive_features": ["sex", "band"]},
                  gates=[{"metric": "demographic_parity_difference", "feature": "sex & band", "max": 0.5}])
    assert gate_problems(cfg) == []


def test_explicit_batch_larger_than_the_rows_is_refused_before_training(small_table, no_training):
    cfg = _config(small_table, privacy={"batch_size": 5000})
    with pytest.raises(ConfigError, match="batch_size must be an integer between 1 and the number of training rows"):
        run_audit(cfg, write=False)


def test_unreachable_epsilon_is_refused_before_training(small_table, no_training):
    cfg = _config(small_table, privacy={"target_epsilon": 0.01, "epochs": 50, "batch_size": 560})
    with pytest.raises(ConfigError, match="cannot be reached"):
        run_audit(cfg, write=False)


def test_too_many_input_canaries_for_the_rows_are_refused_before_training(small_table, no_training):
    cfg = _config(small_table, privacy={"canary_audit": True, "canary_kind": "input", "canaries": 1000})
    with pytest.raises(ConfigError, match="privacy.canaries = 1000"):
        run_audit(cfg, write=False)


def test_gradient_canaries_on_a_model_that_cannot_have_them_are_refused_before_training(small_table, no_training):
    cfg = _config(small_table, model={"kind": "factory", "factory": "tests.audit._layernorm_model:make"},
                  privacy={"canary_audit": True, "canary_kind": "gradient", "canaries": 100, "secure_rng": True})
    with pytest.raises(ConfigError) as err:
        run_audit(cfg, write=False)
    assert len(err.value.problems) == 2  # both the canary kind and secure randomness, in one error
    assert "canary_kind" in str(err.value) and "secure_rng" in str(err.value)
