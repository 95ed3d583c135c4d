"""Concerns: what a reviewer must see first, read from the typed record alone."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from audit.config import GateSpec
from audit.result import AuditResult
from audit.verdict.concerns import audited_model, concerns_of, find_concerns
from audit.verdict.gates import evaluate_gates, verdict

_DPD = "demographic_parity_difference"


def _group(name: str, ece: float, count: int = 500, insufficient: bool = False) -> dict:
    return {"group": name, "count": count, "insufficient_data": insufficient,
            "metrics": {"ece": {"value": ece, "ci": None}}}


def _record() -> dict:
    def block(eces: dict[str, float], ratio: float) -> dict:
        return {"features": ["sex"], "groups": [_group(g, e) for g, e in eces.items()],
                "disparities": {_DPD: {"value": 0.177, "ci": [0.0, 0.436]}},
                "four_fifths_rule": {"selection_rate_ratio": ratio, "passed": ratio >= 0.8, "threshold": 0.8}}

    return {
        "schema_version": "1.1", "run": {"name": "r"},
        "data": {"train_test_duplicates": {"test_rows": 2979, "n_test": 16281, "share": 0.183},
                 "screening": {"excluded_columns": [{"column": "email", "kind": "identifier", "reason": "e-mail addresses"}],
                               "leakage": []},
                 "identifier_scan": [{"column": "user_id", "kind": "id", "reason": "unique per row", "status": "feature"}]},
        "models": {"reference": {"test_accuracy": 0.857}, "private": {"test_accuracy": 0.856}},
        "fairness": {"reference": {"by_feature": {"sex": block({"Female": 0.010, "Male": 0.016}, 0.35)}},
                     "private": {"min_group_size": 30, "by_feature": {"sex": block({"Female": 0.012, "Male": 0.132}, 0.31)}}},
        "privacy": {"dp": {"epsilon_spent": 0.99, "delta": 1e-6},
                    "canary_audit": {"epsilon_lower_bound": 0.9, "epsilon_accountant": 1.0}},
        "explainability": {"private": {"group_reliance": {"sex": {"proxies": [
            {"feature": "relationship", "proxy_auc": 0.86, "is_proxy": True},
            {"feature": "age", "proxy_auc": 0.55, "is_proxy": False}]}}}},
    }


def _kinds(concerns) -> dict[str, object]:
    return {c.kind: c for c in concerns}


def test_the_private_model_is_the_audited_one():
    assert audited_model(AuditResult.from_dict(_record())) == "private"


def test_a_clean_record_of_a_demo_lists_the_known_findings():
    result = AuditResult.from_dict(_record())
    result.gates = evaluate_gates([GateSpec(metric=_DPD, feature="sex", max=0.2, severity="warning")], result)
    found = _kinds(find_concerns(result))
    assert found["train_test_duplicates"].title == "18.3% of the test rows (2,979 of 16,281) duplicate a training row"
    assert found["ci_crosses_bound"].severity == "warning" and "0.177 [0.000, 0.436] ≤ 0.20" in found["ci_crosses_bound"].detail
    assert "sex (0.31)" in found["four_fifths"].detail and found["four_fifths"].model == "private"
    assert "sex = Male: 0.016 → 0.132 (×8.2)" in found["calibration_under_dp"].detail
    assert "sex = Female" not in found["calibration_under_dp"].detail  # 0.010 → 0.012 is not a concern
    assert "relationship (AUC 0.86)" in found["proxy"].title and "age" not in found["proxy"].title
    assert found["screening_excluded"].severity == "info" and "email" in found["screening_excluded"].title
    assert "user_id" in found["identifier_as_feature"].title
    assert found["canary_near_epsilon"].severity == "warning"
    assert "degenerate_model" not in found


def test_concerns_come_most_severe_first():
    record = _record()
    record["privacy"]["canary_audit"]["epsilon_lower_bound"] = 1.4  # above the claim: the guarantee does not hold
    severities = [c.severity for c in find_concerns(AuditResult.from_dict(record))]
    assert severities == sorted(severities, key=["critical", "warning", "info"].index)
    assert find_concerns(AuditResult.from_dict(record))[0].kind == "canary_above_epsilon"


def test_a_degenerate_model_and_its_inconclusive_gate_come_first_and_are_critical():
    record = _record()
    record["models"]["private"]["degenerate"] = {"degenerate": True, "reasons": ["the model predicts 1 for 100.0% of the rows"]}
    result = AuditResult.from_dict(record)
    result.gates = evaluate_gates([GateSpec(metric=_DPD, feature="sex", max=0.2)], result)
    concerns = find_concerns(result)
    assert verdict(result.gates) == "fail"
    assert [c.kind for c in concerns[:2]] == ["degenerate_model", "gate_inconclusive"]
    assert all(c.severity == "critical" for c in concerns[:2])
    assert "predicts 1 for 100.0% of the rows" in concerns[0].title
    assert "allow_inconclusive" in concerns[1].detail


def test_a_threshold_problem_is_its_own_critical_concern_with_advice_not_a_degenerate_model():
    record = _record()
    record["models"]["private"]["degenerate"] = {
        "degenerate": False, "reasons": [], "checks": {"constant_predictions": {"flagged": True, "share": 0.996}},
        "threshold_problem": "its decisions are 0 for 99.6% of the rows at the 0.5 threshold, though its scores rank "
                             "the classes (ROC AUC 0.860; one-sided Mann-Whitney p = 1e-30)"}
    result = AuditResult.from_dict(record)
    result.gates = evaluate_gates([GateSpec(metric=_DPD, feature="sex", max=0.2)], result)
    found = _kinds(find_concerns(result))
    assert "degenerate_model" not in found
    concern = found["threshold_problem"]
    assert concern.severity == "critical" and concern.title.startswith("The private model has a threshold problem: its")
    assert "training.threshold" in concern.detail and "training.class_weight" in concern.detail and "not degenerate" in concern.detail
    assert "threshold problem" in found["gate_inconclusive"].detail


def test_an_allowed_inconclusive_gate_passes_but_is_still_listed():
    record = _record()
    record["models"]["private"]["degenerate"] = {"degenerate": True, "reasons": ["ROC AUC 0.501 is not distinguishable from chance"]}
    result = AuditResult.from_dict(record)
    result.gates = evaluate_gates([GateSpec(metric=_DPD, feature="sex", max=0.2, allow_inconclusive=True)], result)
    assert verdict(result.gates) == "pass"
    found = _kinds(find_concerns(result))
    assert found["gate_inconclusive"].severity == "warning"
    assert found["degenerate_model"].severity == "critical"


def test_small_groups_and_inconclusive_disparities_are_explained():
    record = _record()
    block = record["fairness"]["private"]["by_feature"]["sex"]
    block["groups"].append(_group("Other", 0.2, count=12, insufficient=True))
    block["disparities"]["equal_opportunity_difference"] = {"value": None, "ci": None,
                                                            "inconclusive_reason": "1 of 3 groups has 10 positives"}
    found = _kinds(find_concerns(AuditResult.from_dict(record)))
    assert "sex = Other (n=12)" in found["small_groups"].title and "fewer than 30" in found["small_groups"].title
    assert "equal_opportunity_difference (sex)" in found["disparity_inconclusive"].detail


def test_stored_concerns_are_read_back_and_old_records_get_them_computed():
    result = AuditResult.from_dict(_record())
    assert result.concerns is None
    computed = concerns_of(result)
    assert computed and computed == find_concerns(result)
    result.concerns = computed[:1]
    again = AuditResult.from_json(result.to_json())
    assert [c.title for c in concerns_of(again)] == [computed[0].title]


def test_concerns_need_no_torch():
    import subprocess
    import sys

    code = "import sys, audit.verdict.concerns, reports; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_record_without_gates_or_findings_has_no_concerns():
    bare = AuditResult.from_dict({"schema_version": "1.1", "run": {}, "data": {}, "models": {"private": {"test_accuracy": 0.8}}})
    assert find_concerns(bare) == []


@pytest.mark.parametrize("share", [0.0, 0.005])
def test_few_duplicates_are_not_a_concern(share):
    record = copy.deepcopy(_record())
    record["data"]["train_test_duplicates"]["share"] = share
    assert "train_test_duplicates" not in _kinds(find_concerns(AuditResult.from_dict(record)))


class _RandomScores:
    """Scores drawn at random, independent of the input (a model that ignores its features)."""

    def __new__(cls, n_features: int):
        import torch
        from torch import nn

        class RandomScores(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.linear = nn.Linear(n_features, 1)
                self.generator = torch.Generator().manual_seed(0)

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                noise = torch.randn(len(x), 1, generator=self.generator)
                return self.linear(x) * 0.0 + noise

        return RandomScores()


@pytest.mark.slow
def test_a_model_with_random_scores_fails_and_the_cli_says_why_first(capsys):
    from audit import audit_model
    from audit.cli.run import _print_summary
    from audit.config import ExplainSection, FairnessSection
    from audit.data import TabularPreprocessor
    from audit.data.datasets import load_adult

    train, test = load_adult()
    train, test = train.sample(2000, random_state=1), test.sample(1500, random_state=1)
    pre = TabularPreprocessor().fit(train[[c for c in train.columns if c != "income"]])
    gate = GateSpec(metric=_DPD, feature="sex", model="reference", max=0.1)
    result = audit_model(_RandomScores(len(pre.feature_names_)), test=test, train=train, target="income",
                         positive_label=">50K", sensitive_features=["sex"], preprocessor=pre,
                         fairness=FairnessSection(n_boot=50, mitigation="none"), explain=ExplainSection(enabled=False),
                         membership_inference=False, gates=(gate,))
    assert result.verdict == "fail" and result.gates[0].outcome == "inconclusive"
    assert result.concerns[0].kind == "degenerate_model" and result.concerns[0].severity == "critical"
    assert result.verdict_reasons[0].startswith("inconclusive: Demographic parity difference (sex)")
    _print_summary(result.to_dict(), None, {})
    out = capsys.readouterr().out
    verdict_at, concerns_at = out.index("Verdict: FAIL"), out.index("Concerns (")
    assert verdict_at < concerns_at < out.index("CRITICAL  The reference model is degenerate")
    assert "[INCONCLUSIVE] Demographic parity difference (sex), reference model" in out


DEMO = Path(os.environ.get("RAI_AUDIT_DEMO", "/tmp/baseline-demo")) / "audit.json"


@pytest.mark.skipif(not DEMO.exists(), reason="rai-audit run examples/adult/audit.toml --out /tmp/baseline-demo")
def test_the_demo_passes_and_lists_its_concerns():
    result = AuditResult.from_json(DEMO.read_text())
    gates = [GateSpec(**g) for g in result.run.config["gates"]]
    result.gates = evaluate_gates(gates, result)
    assert verdict(result.gates) == "pass"
    found = _kinds(concerns_of(result))
    assert "four_fifths" in found and "degenerate_model" not in found
    assert not any(c.severity == "critical" for c in found.values())
    if result.data.train_test_duplicates is not None:  # Adult repeats records across its split
        assert 0.15 < result.data.train_test_duplicates.share < 0.25 and "train_test_duplicates" in found


def test_small_groups_and_undecided_disparities_of_a_regression_audit_are_concerns():
    record = {"schema_version": "1.2", "run": {}, "data": {}, "models": {"private": {}}, "task_fairness": {
        "task": "regression", "models": {"private": {"min_group_size": 30, "by_feature": {"sex": {
            "groups": [{"group": "x", "n": 5, "sufficient": False}, {"group": "y", "n": 50, "sufficient": True}],
            "disparities": {"mae_difference": {"value": None, "reason": "fewer than two groups with enough data"}}}}}}}}
    found = {c.kind: c for c in find_concerns(AuditResult.from_dict(record))}
    assert found["small_groups"].title == "1 group(s) have too little data (fewer than 30 test rows): sex = x (n=5)"
    assert found["disparity_inconclusive"].detail.startswith("mae_difference (sex). Fix: ")
