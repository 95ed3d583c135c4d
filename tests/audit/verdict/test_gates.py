"""Policy gates: bounds, severities, CI bounds, and never passing a missing metric."""

from __future__ import annotations

from audit.config import GateSpec
from audit.result import AuditResult, GateResult
from audit.verdict.gates import GATE_METRICS, evaluate_gates, verdict

RESULT = {"schema_version": "1.1", "run": {"name": "r"}, "data": {},
    "models": {"reference": {"test_accuracy": 0.85}, "private": {"test_accuracy": 0.84, "n_parameters": 100}},
    "fairness": {"private": {"by_feature": {"sex": {
        "disparities": {"demographic_parity_difference": {"value": 0.15, "ci": [0.12, 0.19]}},
        "four_fifths_rule": {"selection_rate_ratio": 0.35, "passed": False}}}}},
    "privacy": {"dp": {"epsilon_spent": 0.98, "delta": 1e-5},
                "membership_inference": {"private": {"attacks": {"loss_threshold": {"auc": 0.51}, "score": {"auc": 0.53}}}}},
}


def test_min_and_max_bounds():
    gates = [GateSpec(metric="accuracy", min=0.8), GateSpec(metric="epsilon_spent", max=0.5)]
    out = evaluate_gates(gates, RESULT)
    assert [g.passed for g in out] == [True, False]
    assert "0.980" in out[1]["message"] and "≤ 0.50" in out[1]["message"] and "FAIL, over by 0.480" in out[1]["message"]


def test_fairness_gate_reads_feature_and_ci_bound():
    plain = GateSpec(metric="demographic_parity_difference", feature="sex", max=0.18)
    pessimistic = GateSpec(metric="demographic_parity_difference", feature="sex", max=0.18, use_ci_bound=True)
    a, b = evaluate_gates([plain, pessimistic], RESULT)
    assert a.passed and a.compared == 0.15
    assert not b.passed and b.compared == 0.19


def test_missing_metric_is_not_a_pass():
    out = evaluate_gates([GateSpec(metric="canary_epsilon_lower_bound", max=1.0)], RESULT)
    assert out[0]["passed"] is False and "not computed" in out[0]["message"]


def test_warning_gates_do_not_fail_verdict():
    out = evaluate_gates([GateSpec(metric="accuracy", min=0.99, severity="warning")], RESULT)
    assert not out[0]["passed"] and verdict(out) == "pass"
    out = evaluate_gates([GateSpec(metric="accuracy", min=0.99)], RESULT)
    assert verdict(out) == "fail"


def test_accuracy_drop_and_mia_take_worst_attack():
    out = evaluate_gates([GateSpec(metric="accuracy_drop", max=0.015), GateSpec(metric="membership_inference_auc", max=0.6)], RESULT)
    assert abs(out[0]["value"] - 0.01) < 1e-12 and out[0]["passed"]
    assert out[1]["value"] == 0.53


def test_every_metric_resolves_without_error_on_empty_result():
    for name, spec in GATE_METRICS.items():
        gate = GateSpec(metric=name, max=1.0, feature="sex" if spec.needs_feature else None)
        assert evaluate_gates([gate], {})[0].passed is False


def test_a_typed_result_and_its_dict_give_the_same_gates():
    gates = [GateSpec(metric="accuracy", min=0.8), GateSpec(metric="demographic_parity_difference", feature="sex", max=0.18),
             GateSpec(metric="membership_inference_auc", max=0.6), GateSpec(metric="four_fifths_ratio", feature="sex", min=0.8)]
    typed = AuditResult.from_dict(RESULT)
    assert evaluate_gates(gates, typed) == evaluate_gates(gates, RESULT)
    assert all(isinstance(g, GateResult) for g in evaluate_gates(gates, typed))


def test_verdict_reads_gate_dicts_during_the_transition():
    out = evaluate_gates([GateSpec(metric="accuracy", min=0.99)], RESULT)
    assert verdict([g.to_dict() for g in out]) == "fail"


def test_gate_results_serialise_with_every_key():
    out = evaluate_gates([GateSpec(metric="accuracy", min=0.8)], RESULT)[0].to_dict()
    assert list(out) == ["name", "metric", "model", "feature", "severity", "max", "min", "use_ci_bound", "value", "ci",
                         "compared", "passed", "message", "outcome", "reason", "ci_crosses_bound", "margin",
                         "allow_inconclusive", "groups", "detectable"]


# ---------------------------------------------------------------- expected_calibration_error (audit/metrics/performance.py)
def _calibrated(ece, ci, **model):
    return {**RESULT, "models": {"private": {"test_accuracy": 0.84, **model}},
            "fairness": {"private": {"overall": {"count": 1000, "metrics": {"ece": {"value": ece, "ci": ci}}},
                                     "by_feature": {}}}}


def test_calibration_gate_reads_the_overall_ece_and_its_interval():
    gate = GateSpec(metric="expected_calibration_error", max=0.1)
    (g,) = evaluate_gates([gate], _calibrated(0.094, [0.089, 0.099]))
    assert (g.outcome, g.value, g.ci, g.ci_crosses_bound) == ("pass", 0.094, [0.089, 0.099], False)
    assert g.message == "Expected calibration error, private model: 0.094 [0.089, 0.099] ≤ 0.10 — pass, margin 0.006"
    (g,) = evaluate_gates([GateSpec(metric="expected_calibration_error", max=0.1, use_ci_bound=True)],
                          _calibrated(0.094, [0.081, 0.112]))
    assert (g.outcome, g.compared) == ("fail", 0.112)  # the pessimistic end of its interval


def test_calibration_gate_is_not_computed_without_the_group_report_and_inconclusive_on_a_degenerate_model():
    gate = GateSpec(metric="expected_calibration_error", max=0.1)
    assert evaluate_gates([gate], RESULT)[0].outcome == "fail"  # no overall ECE recorded: never a pass
    degenerate = {"degenerate": True, "reasons": ["the model predicts 0 for 100.0% of the rows"]}
    (g,) = evaluate_gates([gate], _calibrated(0.01, [0.0, 0.02], degenerate=degenerate))
    assert g.outcome == "inconclusive" and "its score says nothing about a working model" in g.reason


def test_calibration_gate_exists_where_a_positive_score_does():
    import pytest

    from audit.config import config_from_dict
    from audit.exceptions import ConfigError
    from audit.pipeline.preflight import gate_problems

    data = {"bundled": "adult", "target": "income", "sensitive_features": ["sex"]}
    gates = [{"metric": "expected_calibration_error", "max": 0.05}]
    assert config_from_dict({"data": {**data, "positive_label": ">50K"}, "gates": gates}).gates[0].max == 0.05
    for task in ("multiclass", "regression"):
        with pytest.raises(ConfigError, match="is computed for \"binary\" tasks"):
            config_from_dict({"task": task, "data": data, "gates": gates})
    texts = config_from_dict({"data": {**data, "positive_label": ">50K", "text_column": "text", "sensitive_features": []},
                              "model": {"kind": "text"}, "gates": [{**gates[0], "model": "reference"}]})
    assert gate_problems(texts) == [
        ("'gates[0]' (expected_calibration_error@reference): needs a sensitive feature (the group report measures "
         "calibration), which this config switches off. Fix: list a column in data.sensitive_features, or remove the "
         "gate.")]
