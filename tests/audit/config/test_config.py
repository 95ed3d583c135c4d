"""Config validation: every problem at once, naming key, expectation and finding."""

from __future__ import annotations

import pytest

from audit.config import config_from_dict, load_config
from audit.exceptions import ConfigError

BASE = {"data": {"bundled": "adult", "target": "income", "positive_label": ">50K", "sensitive_features": ["sex"]}}


def _with(**sections):
    raw = {k: dict(v) if isinstance(v, dict) else v for k, v in BASE.items()}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(raw.get(key), dict):
            raw[key] = {**raw[key], **value}
        else:
            raw[key] = value
    return raw


def test_example_config_loads_with_defaults_filled():
    cfg = load_config("examples/adult/audit.toml")
    assert cfg.name == "adult-income"
    assert cfg.data.sensitive_features == ["sex", "race"]
    assert cfg.privacy.enabled and cfg.privacy.target_epsilon == 1.0
    assert len(cfg.gates) >= 3


def test_typo_key_is_named_with_suggestion():
    raw = _with(data={"positive_lable": "x"})
    with pytest.raises(ConfigError) as exc:
        config_from_dict(raw)
    assert "unknown key 'data.positive_lable'" in str(exc.value)
    assert "did you mean 'positive_label'" in str(exc.value)


def test_all_problems_reported_together():
    raw = _with(privacy={"target_epsilon": -1, "delta": 1.5}, training={"epochs": 0}, bogus={})
    with pytest.raises(ConfigError) as exc:
        config_from_dict(raw)
    msg = str(exc.value)
    assert len(exc.value.problems) == 4
    for needle in ("privacy.target_epsilon", "found -1", "privacy.delta", "training.epochs", "unknown key 'bogus'"):
        assert needle in msg


def test_wrong_types_are_named():
    raw = _with(training={"batch_size": "big"}, data={"sensitive_features": "sex"})
    with pytest.raises(ConfigError) as exc:
        config_from_dict(raw)
    assert "'training.batch_size': expected an integer >= 1, found 'big'" in str(exc.value)
    assert "data.sensitive_features" in str(exc.value)


def test_exactly_one_data_source_required():
    raw = _with(data={"path": "x.csv"})
    with pytest.raises(ConfigError, match="exactly one of 'bundled'"):
        config_from_dict(raw)


def test_bool_is_not_a_number():
    with pytest.raises(ConfigError, match="privacy.target_epsilon"):
        config_from_dict(_with(privacy={"target_epsilon": True}))


def test_gate_unknown_metric_and_missing_feature_and_bound():
    raw = _with(gates=[{"metric": "demographic_parity", "max": 0.1},
                       {"metric": "demographic_parity_difference", "max": 0.1},
                       {"metric": "accuracy"}])
    with pytest.raises(ConfigError) as exc:
        config_from_dict(raw)
    msg = str(exc.value)
    assert "unknown metric 'demographic_parity'" in msg
    assert "expected 'feature'" in msg
    assert "expected a bound" in msg


def test_factory_needs_module_function_form():
    with pytest.raises(ConfigError, match="module:function"):
        config_from_dict(_with(model={"kind": "factory", "factory": "not a path"}))


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[data\nx=1", encoding="utf-8")
    with pytest.raises(ConfigError, match="Cannot parse"):
        load_config(bad)


def test_fingerprint_changes_with_settings():
    a = config_from_dict(BASE)
    b = config_from_dict(_with(privacy={"target_epsilon": 2.0}))
    assert a.fingerprint() == config_from_dict(BASE).fingerprint()
    assert a.fingerprint() != b.fingerprint()


def test_privacy_settings_that_need_dp_training_are_refused_without_it():
    raw = _with(privacy={"enabled": False, "canary_audit": True, "secure_rng": True, "utility_curve": [1.0],
                         "canary_kind": "gradient"})
    with pytest.raises(ConfigError) as exc:
        config_from_dict(raw)
    text = " ".join(exc.value.problems)
    for key in ("privacy.canary_audit", "privacy.secure_rng", "privacy.utility_curve"):
        assert f"'{key}' needs privacy.enabled = true" in text
    raw = _with(privacy={"canary_kind": "whitebox"})
    with pytest.raises(ConfigError, match=r"privacy.canary_kind.*\"auto\", \"gradient\" or \"input\""):
        config_from_dict(raw)
