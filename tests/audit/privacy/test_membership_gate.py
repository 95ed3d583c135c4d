"""The membership-inference AUC gate fails only on an attack that tells members from non-members."""

from __future__ import annotations

from audit.config import GateSpec
from audit.verdict.gates import evaluate_gates

GATE = GateSpec(metric="membership_inference_auc", max=0.6)


def _result(section: dict) -> dict:
    return {"schema_version": "1.1", "run": {"name": "r"}, "data": {}, "models": {"private": {"test_accuracy": 0.8}},
            "privacy": {"membership_inference": {"private": {"n_members": 120, "n_nonmembers": 120, **section}}}}


def _attack(auc: float, above: bool | None, p: float = 0.2) -> dict:
    return {"auc": auc, "auc_p_value": p, "auc_p_holm": p, "above_chance": above}


def test_an_auc_above_the_bound_that_chance_could_give_is_inconclusive_not_a_failure():
    g = evaluate_gates([GATE], _result({"attacks": {"loss_threshold": _attack(0.62, False, 0.08),
                                                    "score": _attack(0.51, False, 0.4)}}))[0]
    assert g.outcome == "inconclusive" and g.value is None
    assert "0.620" in g.reason and "not distinguishable from chance" in g.reason and "120 members" in g.reason


def test_an_attack_above_chance_and_above_the_bound_fails():
    g = evaluate_gates([GATE], _result({"attacks": {"rmia": _attack(0.64, True, 1e-6)}}))[0]
    assert g.outcome == "fail" and g.value == 0.64


def test_below_the_bound_passes_whether_or_not_above_chance():
    for above in (True, False):
        g = evaluate_gates([GATE], _result({"attacks": {"loss_threshold": _attack(0.55, above)}}))[0]
        assert g.outcome == "pass"


def test_too_few_unique_rows_leave_the_gate_inconclusive_unless_an_attack_clearly_leaks():
    reason = "the attack is inconclusive: 40 row(s) per side have a feature vector that occurs once in the table"
    g = evaluate_gates([GATE], _result({"inconclusive_reason": reason,
                                        "attacks": {"loss_threshold": _attack(0.52, False)}}))[0]
    assert g.outcome == "inconclusive" and g.reason == reason
    g = evaluate_gates([GATE], _result({"inconclusive_reason": reason,
                                        "attacks": {"loss_threshold": _attack(0.95, True, 1e-9)}}))[0]
    assert g.outcome == "fail" and g.value == 0.95


def test_a_record_without_the_chance_test_reads_as_before():
    g = evaluate_gates([GATE], _result({"attacks": {"loss_threshold": {"auc": 0.62}}}))[0]
    assert g.outcome == "fail" and g.value == 0.62
