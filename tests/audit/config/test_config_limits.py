"""Config hardening: finite numbers only, resource limits, gate bounds that can be met, choices from audit.choices."""

from __future__ import annotations

import math

import pytest

from audit.config import MAX_SEED, config_from_dict, load_config
from audit.exceptions import ConfigError

BASE = {"data": {"bundled": "adult", "target": "income", "positive_label": ">50K", "sensitive_features": ["sex"]}}


def _problems(**sections) -> list[str]:
    raw = {**BASE, **sections}
    with pytest.raises(ConfigError) as exc:
        config_from_dict(raw)
    return exc.value.problems


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan])
def test_target_epsilon_must_be_finite(value):
    (problem,) = _problems(privacy={"target_epsilon": value})
    assert problem.startswith("'privacy.target_epsilon': expected a number > 0, found ")
    assert "inf and nan are never valid" in problem and "Fix: write a finite number" in problem


@pytest.mark.parametrize("section, key, value", [
    ("privacy", "delta", math.nan), ("privacy", "max_grad_norm", math.inf), ("privacy", "learning_rate", math.inf),
    ("training", "learning_rate", math.nan), ("fairness", "ci_level", math.nan), ("split", "test_size", math.nan),
    ("model", "dropout", math.nan), ("explain", "delta_tolerance", math.inf), ("explain", "randomization_threshold", math.nan),
    ("compute", "power_watts", math.inf), ("compute", "carbon_intensity_g_per_kwh", math.inf),
    ("privacy", "utility_curve", [1.0, math.inf]), ("data", "positive_label", math.nan),
])
def test_every_number_must_be_finite(section, key, value):
    raw = {section: {**BASE.get(section, {}), key: value}}
    problems = _problems(**raw)
    assert any(p.startswith(f"'{section}.{key}': expected") and "inf and nan" in p for p in problems), problems


def test_toml_inf_and_nan_are_refused_from_a_file(tmp_path):
    path = tmp_path / "audit.toml"
    path.write_text('[data]\nbundled = "adult"\ntarget = "income"\npositive_label = ">50K"\nsensitive_features = ["sex"]\n'
                    '[privacy]\ntarget_epsilon = inf\n[[gates]]\nmetric = "accuracy"\nmin = nan\n', encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert len(exc.value.problems) == 2
    assert "'privacy.target_epsilon'" in str(exc.value) and "found inf" in str(exc.value)
    assert "'gates[0].min'" in str(exc.value) and "found nan" in str(exc.value)


def test_n_boot_above_the_limit_names_number_reason_and_how_to_raise_it():
    (problem,) = _problems(fairness={"n_boot": 100_000_000})
    assert "'fairness.n_boot': 100000000 bootstrap resamples is above the limit of 100000" in problem
    assert "Monte-Carlo error" in problem
    assert "RAI_AUDIT_MAX_FAIRNESS_N_BOOT=100000000" in problem
    assert config_from_dict({**BASE, "fairness": {"n_boot": 100_000}}).fairness.n_boot == 100_000


def test_a_limit_is_raised_by_its_environment_variable(monkeypatch):
    monkeypatch.setenv("RAI_AUDIT_MAX_FAIRNESS_N_BOOT", "200000")
    assert config_from_dict({**BASE, "fairness": {"n_boot": 150_000}}).fairness.n_boot == 150_000
    monkeypatch.setenv("RAI_AUDIT_MAX_FAIRNESS_N_BOOT", "lots")
    problems = _problems(fairness={"n_boot": 150_000})
    assert any("RAI_AUDIT_MAX_FAIRNESS_N_BOOT: expected a positive integer" in p for p in problems)


@pytest.mark.parametrize("section, key, value, needle", [
    ("privacy", "canaries", 1_000_000, "1000000 canaries is above the limit of 100000"),
    ("privacy", "utility_curve", [float(i + 1) for i in range(21)], "21 epsilons is above the limit of 20"),
    ("explain", "n_examples", 5_000, "5000 examples is above the limit of 1000"),
    ("training", "epochs", 10**9, "1000000000 epochs is above the limit of 10000"),
    ("privacy", "epochs", 10**9, "1000000000 epochs is above the limit of 10000"),
    ("model", "hidden", [64, 10**6], "1000000 units in the widest layer is above the limit of 16384"),
    ("model", "hidden", [8] * 65, "65 hidden layers is above the limit of 64"),
])
def test_resource_limits(section, key, value, needle):
    (problem,) = _problems(**{section: {key: value}})
    assert problem.startswith(f"'{section}.{key}': ") and needle in problem and "environment variable RAI_AUDIT_MAX_" in problem


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1])
def test_seeds_are_what_numpy_and_pandas_accept(seed):
    problems = _problems(split={"seed": seed}, training={"seed": seed})
    assert problems == [f"'split.seed': expected an integer from 0 to {MAX_SEED}, found {seed}.",
                        f"'training.seed': expected an integer from 0 to {MAX_SEED}, found {seed}."]


def test_gate_with_min_above_max_can_never_pass():
    (problem,) = _problems(gates=[{"metric": "accuracy", "min": 0.9, "max": 0.8}])
    assert problem == ("'gates[0]' (accuracy): expected min <= max, found min = 0.9 > max = 0.8, which no value can meet. "
                       "Fix: swap them, or keep only the bound you mean.")


def test_gate_nan_bound_is_reported_once():
    (problem,) = _problems(gates=[{"metric": "accuracy", "min": math.nan}])
    assert problem.startswith("'gates[0].min': expected a number (the metric must be >= min), found nan")


def test_gate_messages_name_the_entry_in_the_file():
    problems = _problems(gates=["not a table", {"metric": "acuracy", "min": 0.5}])
    assert any(p.startswith("'gates[1].metric': unknown metric 'acuracy' (did you mean 'accuracy'?)") for p in problems)


def test_gate_metric_of_wrong_type_is_not_also_an_unknown_metric():
    assert _problems(gates=[{"metric": 3, "min": 0.5}]) == [
        "'gates[0].metric': expected a metric name (see audit.metrics.GATE_METRICS), found 3."]


@pytest.mark.parametrize("section, key, value, needle", [
    ("fairness", "mitigation", "equalised_odds",
     "'fairness.mitigation': unknown mitigation 'equalised_odds' (did you mean 'equalized_odds'?)"),
    ("privacy", "accountant", "gpd", "'privacy.accountant': unknown accountant 'gpd'"),
    ("explain", "method", "shap", "'explain.method': unknown attribution method 'shap'"),
    ("data", "bundled", "adlt",
     "'data.bundled': unknown bundled dataset 'adlt' (did you mean 'adult'?). Expected \"adult\", \"diabetes\" or \"farm_ads\"."),
])
def test_unknown_choices_name_the_valid_ones(section, key, value, needle):
    raw = {section: {**BASE.get(section, {}), key: value}}
    problems = _problems(**raw)
    assert len(problems) == 1 and needle in problems[0], problems


def test_config_accepts_equal_opportunity_and_gdp():
    cfg = config_from_dict({**BASE, "fairness": {"mitigation": "equal_opportunity"}, "privacy": {"accountant": "gdp"}})
    assert (cfg.fairness.mitigation, cfg.privacy.accountant) == ("equal_opportunity", "gdp")


def test_config_does_not_import_gates():
    import ast
    from pathlib import Path

    import audit.config

    modules = set()
    for path in Path(audit.config.__file__).parent.glob("*.py"):  # every module of the package
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "audit.config._validate" in modules and "audit.verdict.gates" not in modules


@pytest.mark.parametrize("key, value, needle", [
    ("power_watts", 1e300, "expected a number > 0 and at most 1000000"),
    ("carbon_intensity_g_per_kwh", 1e300, "expected a number from 0 to 10000"),
])
def test_compute_figures_no_machine_or_grid_reaches_are_refused(key, value, needle):
    (problem,) = _problems(compute={key: value})
    assert problem.startswith(f"'compute.{key}': {needle}")


def test_utility_curve_epsilons_must_be_distinct():
    (problem,) = _problems(privacy={"utility_curve": [1.0, 2.0, 1.0]})
    assert problem.startswith("'privacy.utility_curve': expected a list of distinct numbers > 0")
