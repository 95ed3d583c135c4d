"""Gate outcomes: pass, fail, inconclusive; what an inconclusive gate does to the verdict; intervals across the bound."""

from __future__ import annotations

import copy

import pytest

from audit.config import GateSpec
from audit.result import AuditResult
from audit.verdict.gates import degenerate_reason, evaluate_gates, gate_line, verdict, verdict_reasons

_DPD = "demographic_parity_difference"


def _record(*, degenerate: dict | None = None, selection_rate: float = 0.25, dpd: dict | None = None) -> dict:
    private = {"test_accuracy": 0.76}
    if degenerate is not None:
        private["degenerate"] = degenerate
    block = {"disparities": {_DPD: dpd or {"value": 0.05, "ci": [0.02, 0.08]}},
             "disparities_all_groups": {_DPD: {"value": 0.31, "ci": [0.1, 0.5]}},
             "four_fifths_rule": {"selection_rate_ratio": 0.9, "passed": True, "threshold": 0.8}}
    return {"schema_version": "1.1", "run": {"name": "r"}, "data": {}, "models": {"private": private},
            "fairness": {"private": {"overall": {"metrics": {"selection_rate": {"value": selection_rate}}},
                                     "by_feature": {"sex": block}}}}


CONSTANT = {"degenerate": True, "reasons": ["the model predicts 1 for 100.0% of the rows (threshold 99%)"], "warnings": []}
DPD_GATE = GateSpec(metric=_DPD, feature="sex", max=0.1)


def test_a_parity_gate_on_a_degenerate_model_is_inconclusive_and_fails_the_verdict():
    (g,) = evaluate_gates([DPD_GATE], _record(degenerate=CONSTANT))
    assert g.outcome == "inconclusive" and g.passed is False
    assert "predicts 1 for 100.0% of the rows" in g.reason and "say nothing about a working model" in g.reason
    assert "INCONCLUSIVE" in g.message
    assert verdict([g]) == "fail"
    assert verdict_reasons([g])[0].startswith("inconclusive: ")


def test_allow_inconclusive_passes_the_verdict_and_keeps_the_outcome():
    gate = GateSpec(metric=_DPD, feature="sex", max=0.1, allow_inconclusive=True)
    (g,) = evaluate_gates([gate], _record(degenerate=CONSTANT))
    assert g.outcome == "inconclusive" and g.passed is True and g.allow_inconclusive
    assert verdict([g]) == "pass"
    assert "allowed by allow_inconclusive" in " ".join(verdict_reasons([g]))


def test_a_constant_model_without_stored_checks_is_found_from_its_selection_rate():
    record = _record(selection_rate=1.0)
    reason = degenerate_reason(AuditResult.from_dict(record), "private")
    assert reason == "the model predicts the positive class for 100.0% of the test rows"
    (g,) = evaluate_gates([DPD_GATE], record)
    assert g.outcome == "inconclusive" and verdict([g]) == "fail"


def test_an_accuracy_gate_on_a_degenerate_model_is_not_a_pass():
    (g,) = evaluate_gates([GateSpec(metric="accuracy", min=0.7)], _record(degenerate=CONSTANT))
    assert g.outcome == "inconclusive" and not g.passed


def test_a_failing_value_on_a_degenerate_model_stays_a_failure_and_never_reads_trivially_satisfied():
    (g,) = evaluate_gates([GateSpec(metric=_DPD, feature="sex", max=0.01)], _record(degenerate=CONSTANT))
    assert g.outcome == "fail" and "degenerate" in g.reason
    assert g.reason == "the private model is also degenerate (it predicts 1 for 100.0% of the rows); the failure stands"
    assert "trivially" not in g.message and g.message.split(" — ")[1].startswith("FAIL, over by")


CONSTANT_CHECKED = {**CONSTANT, "checks": {"constant_predictions": {"flagged": True, "share": 1.0}}}
THRESHOLD = {"degenerate": False, "reasons": [], "warnings": [],
             "threshold_problem": "its decisions are 0 for 99.6% of the rows at the 0.5 threshold, though its scores "
                                  "rank the classes (ROC AUC 0.860; one-sided Mann-Whitney p = 1e-30)",
             "checks": {"constant_predictions": {"flagged": True, "share": 0.996}}}


def test_a_parity_gate_on_a_constant_model_says_parity_holds_by_construction():
    (g,) = evaluate_gates([DPD_GATE], _record(degenerate=CONSTANT_CHECKED))
    assert g.outcome == "inconclusive" and "treats every group alike by construction" in g.reason


def test_a_parity_gate_on_a_threshold_problem_is_inconclusive_with_true_words():
    (g,) = evaluate_gates([DPD_GATE], _record(degenerate=THRESHOLD))
    assert g.outcome == "inconclusive" and not g.passed
    assert g.reason.startswith("the private model has a threshold problem: its decisions are 0 for 99.6% of the rows")
    assert "ROC AUC 0.860" in g.reason and g.reason.endswith("parity of its decisions holds trivially")
    assert "degenerate" not in g.reason


def test_a_failing_parity_gate_on_a_threshold_problem_fails_with_the_context():
    (g,) = evaluate_gates([GateSpec(metric=_DPD, feature="sex", max=0.01)], _record(degenerate=THRESHOLD))
    assert g.outcome == "fail" and g.reason.startswith("the private model also has a threshold problem: ")
    assert g.reason.endswith("the failure stands") and "trivially" not in g.reason


def test_accuracy_and_score_gates_are_not_made_inconclusive_by_a_threshold_problem():
    record = _record(degenerate=THRESHOLD)
    record["models"]["private"]["test_roc_auc"] = 0.86
    gates = [GateSpec(metric="accuracy", min=0.7), GateSpec(metric="roc_auc", min=0.8)]
    assert [g.outcome for g in evaluate_gates(gates, record)] == ["pass", "pass"]


def test_operational_gates_ignore_degeneracy():
    record = _record(degenerate=CONSTANT)
    record["models"]["private"]["n_parameters"] = 10
    (g,) = evaluate_gates([GateSpec(metric="n_parameters", max=100)], record)
    assert g.outcome == "pass"


def test_a_disparity_on_fewer_than_two_sufficient_groups_is_inconclusive_with_the_reason():
    why = "demographic parity rests on 1 of 3 groups with at least 30 rows"
    (g,) = evaluate_gates([DPD_GATE], _record(dpd={"value": None, "ci": None, "inconclusive_reason": why}))
    assert g.outcome == "inconclusive" and g.reason == why and verdict([g]) == "fail"


def test_a_plain_null_disparity_is_inconclusive_not_passed():
    (g,) = evaluate_gates([DPD_GATE], _record(dpd={"value": None, "ci": None}))
    assert g.outcome == "inconclusive" and "undefined" in g.reason


def test_a_section_that_was_off_is_not_computed_and_allow_inconclusive_does_not_rescue_it():
    gate = GateSpec(metric="epsilon_spent", max=1.0, allow_inconclusive=True)
    (g,) = evaluate_gates([gate], _record())
    assert g.outcome == "fail" and "not computed" in g.message and verdict([g]) == "fail"


def test_groups_all_reads_the_all_groups_disparity():
    sufficient, every = evaluate_gates([DPD_GATE, GateSpec(metric=_DPD, feature="sex", max=0.1, groups="all")], _record())
    assert sufficient.value == 0.05 and sufficient.groups == "sufficient" and sufficient.outcome == "pass"
    assert every.value == 0.31 and every.groups == "all" and every.outcome == "fail"


def test_groups_all_on_a_record_without_all_groups_values_reads_the_disparities():
    record = _record()
    del record["fairness"]["private"]["by_feature"]["sex"]["disparities_all_groups"]
    (g,) = evaluate_gates([GateSpec(metric=_DPD, feature="sex", max=0.1, groups="all")], record)
    assert g.value == 0.05


def test_an_interval_across_the_bound_is_flagged_and_shown_but_passes():
    record = _record(dpd={"value": 0.177, "ci": [0.0, 0.436]})
    (g,) = evaluate_gates([GateSpec(metric=_DPD, feature="sex", max=0.2)], record)
    assert g.outcome == "pass" and g.ci_crosses_bound is True
    assert g.margin == pytest.approx(0.023)
    assert "0.177 [0.000, 0.436] ≤ 0.20 — pass on the estimate only: the interval crosses the bound" in g.message
    (strict,) = evaluate_gates([GateSpec(metric=_DPD, feature="sex", max=0.2, use_ci_bound=True)], record)
    assert strict.outcome == "fail" and strict.compared == 0.436


def test_an_interval_inside_the_bound_reads_value_interval_bound_and_margin():
    (g,) = evaluate_gates([GateSpec(metric=_DPD, feature="sex", max=0.2)], _record(dpd={"value": 0.169, "ci": [0.159, 0.179]}))
    assert g.ci_crosses_bound is False
    assert g.message == "Demographic parity difference (sex), private model: 0.169 [0.159, 0.179] ≤ 0.20 — pass, margin 0.031"


def test_points_gates_read_in_points():
    record = {"schema_version": "1.1", "run": {}, "data": {},
              "models": {"reference": {"test_accuracy": 0.8574}, "private": {"test_accuracy": 0.8565}}}
    (g,) = evaluate_gates([GateSpec(metric="accuracy_drop", max=0.015, name="within 1.5 points")], record)
    assert g.message == ("within 1.5 points: Accuracy lost to DP (reference − private), private model: 0.09 points "
                         "≤ 1.5 points — pass, margin 1.41 points")


def test_records_written_before_outcomes_read_their_outcome_from_passed():
    old = {"name": "g", "metric": "accuracy", "severity": "error", "value": 0.5, "passed": False, "message": "m"}
    record = copy.deepcopy(old)
    from audit.result import GateResult

    g = GateResult.from_dict(record)
    assert g.effective_outcome == "fail" and g.fails_verdict and g.to_dict() == old
    assert "FAIL" in gate_line(g)
