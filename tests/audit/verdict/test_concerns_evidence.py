"""Concerns that state their evidence (issue 25): explanation quality, and text flips that never claim more.

Before: IG convergence with a max delta of 0.496 against a tolerance of 0.05 raised nothing (the check read the mean),
a failed faithfulness check raised nothing, and the flip concern said the decision "depends on which identity a text
mentions" from one flipped text, without the count or an example.
"""

from __future__ import annotations

from audit.result import AuditResult
from audit.verdict.concerns import find_concerns


def _record(faithfulness: dict) -> AuditResult:
    return AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {"private": {}},
                                  "explainability": {"private": {"method": "integrated_gradients",
                                                                 "faithfulness": faithfulness}}})


def _kinds(r: AuditResult, prefix: str) -> list:
    return [c for c in find_concerns(r) if c.kind.startswith(prefix)]


def test_convergence_is_judged_by_the_largest_delta_not_the_mean():
    r = _record({"n_rows": 256, "convergence_delta": {"mean_abs": 0.011, "max_abs": 0.496, "tolerance": 0.05,
                                                      "warning": False}})
    [c] = _kinds(r, "attribution_convergence")
    assert c.severity == "warning" and c.model == "private"
    assert "0.496" in c.title and "0.05" in c.title and "integrated gradients" in c.title
    assert "256 rows" in c.detail and "0.011" in c.detail and "misstate" in c.detail  # what it means for the attributions


def test_converged_attributions_raise_no_concern():
    r = _record({"convergence_delta": {"mean_abs": 0.001, "max_abs": 0.02, "tolerance": 0.05, "warning": False},
                 "deletion_curve": {"top_beats_random": True}, "randomization_test": {"flagged": False}})
    assert _kinds(r, "attribution") == []


def test_failed_faithfulness_checks_are_warnings_naming_the_model_and_measure():
    r = _record({"deletion_curve": {"top_beats_random": False, "area_top": 0.1, "area_random": 0.12},
                 "randomization_test": {"flagged": True, "spearman": 0.8, "threshold": 0.5}})
    by_kind = {c.kind: c for c in _kinds(r, "attribution")}
    assert set(by_kind) == {"attribution_deletion", "attribution_randomization"}
    assert "0.1 against 0.12" in by_kind["attribution_deletion"].title
    assert "Spearman 0.80, flagged at 0.50" in by_kind["attribution_randomization"].title
    assert all(c.severity == "warning" and "private model" in c.title for c in by_kind.values())


def _text_record() -> AuditResult:
    original = "buy a warm tent for women today at the best price in town"
    return AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {"private": {}},
        "text": {"models": {"private": {"counterfactual": {
            "threshold": 0.5,
            "max_flip_rate": {"value": 0.012, "ci": [0.0003, 0.09], "n": 117, "n_flips": 1, "n_pairs": 48,
                              "pair": {"category": "gender", "from": "women", "to": "men"}},
            "pairs": [{"from": "women", "to": "men", "examples": [
                {"original": original, "counterfactual": original.replace("women", "men"), "score": 0.55,
                 "counterfactual_score": 0.45}]}]}}}}})  # fmt: skip


def test_flip_concern_states_texts_interval_and_an_example_without_overclaiming():
    [c] = [c for c in find_concerns(_text_record()) if c.kind == "identity_term_flips"]
    assert "decision changed when 'women' was swapped for 'men'" in c.title and "1 of 117 texts" in c.title
    assert "[0.0%, 9.0%]" in c.title and "largest of 48 pairs" in c.title
    assert "depends on which identity" not in c.title + c.detail.split("not that")[0]
    assert "not that decisions depend on which identity a text mentions in general" in c.detail
    assert "[women → men]" in c.detail and "0.550 → 0.450" in c.detail
