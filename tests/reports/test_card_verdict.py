"""What the cards show first: the verdict's reasons, the concerns, the audited model's figures, readable gate lines."""

from __future__ import annotations

from audit.config import GateSpec
from audit.result import AuditResult
from audit.verdict.gates import evaluate_gates
from reports import build_card_data, build_summary, render_html, render_markdown
from tests.reports._card_fixtures import make_result

_DPD = "demographic_parity_difference"


def _with_gates(result: dict, *specs: GateSpec) -> dict:
    typed = AuditResult.from_dict(result)
    typed.gates = evaluate_gates(list(specs), typed)
    return typed.to_dict()


def _distinct_models() -> dict:
    result = make_result()
    sex = result["fairness"]["private"]["by_feature"]["sex"]["disparities"][_DPD]
    sex.update(value=0.169, ci=[0.159, 0.179])
    result["fairness"]["reference"]["by_feature"]["sex"]["disparities"][_DPD].update(value=0.5, ci=[0.45, 0.55])
    return _with_gates(result, GateSpec(metric=_DPD, feature="sex", max=0.2))


def test_headline_tiles_are_the_private_models_with_interval_and_bound():
    summary = build_summary(_distinct_models())
    assert summary["audited_model"] == "private"
    # the worst DP difference over every grouping, named in words (was "DP difference · sex", one tile per feature)
    tile = next(t for t in summary["tiles"] if t["label"] == "Demographic parity difference · sex")
    assert (tile["value"], tile["ci"], tile["bound"], tile["outcome"]) == (0.169, [0.159, 0.179], "≤ 0.20", "pass")
    html = render_html(_distinct_models())
    header = html[: html.index('<nav class="toc">')]
    assert "0.169" in header and "0.500" not in header  # the reference model's 0.5 is not a headline figure


def test_concerns_come_right_under_the_verdict_in_both_cards():
    result = _with_gates(make_result(), GateSpec(metric=_DPD, feature="sex", max=0.01, severity="warning"))
    html = render_html(result)
    verdict, concerns, toc = (html.index("VERDICT: PASS"), html.index("Concerns: read these first"),
                              html.index('<nav class="toc">'))
    assert verdict < concerns < toc
    md = render_markdown(result)
    assert md.index("**Verdict: PASS**") < md.index("### Concerns: read these first") < md.index("## 1. Model details")
    assert "**WARNING** Warning gate: Demographic parity difference (sex), private model" in md


def test_gate_lines_read_value_interval_bound_and_margin():
    gov = build_card_data(_distinct_models())["governance"]["gates"][0]
    assert gov["line"] == ("Demographic parity difference (sex), private model: 0.169 [0.159, 0.179] ≤ 0.20 — pass, "
                           f"margin 0.031; detectable with 80% power: ≥ {gov['detectable']:.3f}")
    assert gov["outcome"] == "pass" and gov["ci_crosses_bound"] is False
    assert ("| pass | error | Demographic parity difference (sex), private model: 0.169 \\[0.159, 0.179\\] ≤ 0.20 — pass, "
            f"margin 0.031; detectable with 80% power: ≥ {gov['detectable']:.3f} |") in render_markdown(_distinct_models())


def test_an_interval_across_the_bound_is_marked_in_the_card():
    result = make_result()
    result["fairness"]["private"]["by_feature"]["race"]["disparities"]["equalized_odds_difference"].update(
        value=0.177, ci=[0.0, 0.436])
    result = _with_gates(result, GateSpec(metric="equalized_odds_difference", feature="race", max=0.2, severity="warning"))
    card = build_card_data(result)
    assert card["governance"]["gates"][0]["ci_crosses_bound"] is True
    assert card["summary"]["concerns"][0]["kind"] == "ci_crosses_bound"
    assert "pass on the estimate only: the interval crosses the bound" in render_markdown(result)
    assert "pass*" in render_html(result)


def test_a_degenerate_model_reads_inconclusive_and_fail_first():
    result = make_result()
    result["models"]["private"]["degenerate"] = {"degenerate": True,
                                                 "reasons": ["the model predicts 1 for 100.0% of the rows (threshold 99%)"]}
    result = _with_gates(result, GateSpec(metric=_DPD, feature="sex", max=0.9))
    result["verdict"] = "fail"
    card = build_card_data(result)
    assert card["summary"]["concerns"][0]["kind"] == "degenerate_model"
    assert card["governance"]["gates"][0]["outcome"] == "inconclusive" and card["governance"]["n_failed_errors"] == 1
    html = render_html(result)
    assert "VERDICT: FAIL" in html and "INCONCLUSIVE" in html
    assert "The private model is degenerate: it predicts 1 for 100.0% of the rows" in html


def test_a_record_written_before_outcomes_still_gets_reasons_and_derived_lines():
    result = make_result()  # gates stored without outcome, margin or interval crossing
    card = build_card_data(result)
    assert card["summary"]["verdict_reasons"] == ["all 1 error gate(s) pass", "1 warning gate(s) did not pass: DP difference sex"]
    assert card["governance"]["gates"][1]["line"].endswith("— FAIL, over by 0.170 [warning gate: does not fail the verdict]")


def test_a_disparity_on_too_few_groups_reads_inconclusive_with_its_reason():
    result = make_result()
    why = "equal opportunity rests on 1 of 3 groups with at least 30 rows and 10 actual positives"
    result["fairness"]["private"]["by_feature"]["race"]["disparities"]["equal_opportunity_difference"].update(
        value=None, ci=None, inconclusive_reason=why)
    html, md = render_html(result), render_markdown(result)
    assert '<span class="warn">inconclusive</span><br><small class="ci">' + why in html
    assert f"equal_opportunity_difference inconclusive ({why})" in md
