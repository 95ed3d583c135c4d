"""Headline figures chosen by what threatens the verdict, and counts named alike in the CLI, the card and the Overview.

issue 25: the headline tiles left out the pass-on-estimate-only gate (0.177 [0.000, 0.436] vs 0.20), the worst
intersection disparity and a failing multiclass gap; the banner counted warning-severity gates as "warning(s)" above
WARNING concerns, and the verdict line counted serious concerns where the block listed every concern.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.cli import run as cli_run
from audit.config import GateSpec
from audit.fairness import multiclass_fairness_report
from audit.result import AuditResult
from audit.verdict.gates import evaluate_gates
from reports import build_summary, render_html, render_markdown
from reports._headline import count_text, verdict_counts
from tests.reports._card_fixtures import make_result

_EO = "equalized_odds_difference"


def _with_gates(result: dict, *specs: GateSpec) -> dict:
    typed = AuditResult.from_dict(result)
    typed.gates = evaluate_gates(list(specs), typed)
    return typed.to_dict()


def test_a_pass_on_the_estimate_only_leads_the_headline_figures():
    result = make_result()
    result["fairness"]["private"]["by_feature"]["race"]["disparities"][_EO].update(value=0.177, ci=[0.0, 0.436])
    tiles = build_summary(_with_gates(result, GateSpec(metric=_EO, feature="race", max=0.2)))["tiles"]
    first = tiles[0]
    assert first["label"] == "Equalized odds difference (race)"
    assert (first["value"], first["ci"], first["bound"]) == (0.177, [0.0, 0.436], "≤ 0.20")
    assert first["threat"].startswith("passes on the estimate only")
    assert [t["label"] for t in tiles].count("Equalized odds difference (race)") == 1  # not repeated further down


def test_a_failing_gate_comes_before_a_warning_and_an_estimate_only_pass():
    result = make_result()
    disp = result["fairness"]["private"]["by_feature"]
    disp["race"]["disparities"][_EO].update(value=0.177, ci=[0.0, 0.436])
    disp["sex"]["disparities"]["demographic_parity_difference"].update(value=0.3, ci=[0.25, 0.35])
    result = _with_gates(result, GateSpec(metric=_EO, feature="race", max=0.2),
                         GateSpec(metric="accuracy", min=0.99, severity="warning"),
                         GateSpec(metric="demographic_parity_difference", feature="sex", max=0.2))
    threats = [t["threat"] for t in build_summary(result)["tiles"][:3]]
    assert threats == ["fails the verdict", "warning gate not passed: does not fail the verdict",
                       "passes on the estimate only: the interval crosses the bound"]


def test_the_worst_disparity_includes_the_intersections():
    result = make_result()
    blocks = result["fairness"]["private"]["by_feature"]
    inter = next(k for k, b in blocks.items() if len(b["features"]) == 2)
    blocks[inter]["disparities"]["demographic_parity_difference"].update(value=0.255, ci=[0.2, 0.31])
    for k, b in blocks.items():
        if k != inter:
            b["disparities"]["demographic_parity_difference"].update(value=0.1, ci=[0.05, 0.15])
    tiles = build_summary(result)["tiles"]
    worst = next(t for t in tiles if t["label"].startswith("Demographic parity difference ·"))
    assert worst["label"] == f"Demographic parity difference · {inter}" and worst["value"] == 0.255
    assert "intersections included" in worst["note"]


@pytest.fixture(scope="module")
def multiclass() -> dict:
    rng = np.random.default_rng(0)
    n = 400
    sex = rng.choice(["Female", "Male"], size=n)
    y = rng.integers(0, 3, size=n)
    pred = np.where(sex == "Male", 0, np.where(rng.random(n) < 0.6, y, rng.integers(0, 3, size=n)))
    report = multiclass_fairness_report(y_true=y, y_pred=pred, proba=None, sensitive=pd.DataFrame({"sex": sex}),
                                        classes=["a", "b", "c"], n_boot=20, min_group_size=30, seed=0)
    return {"schema_version": "2.0", "task": "multiclass-classification", "run": {"name": "mc"},
            "data": {"n_test": n, "task": "multiclass", "classes": ["a", "b", "c"], "sensitive_features": ["sex"]},
            "models": {"private": {"test_accuracy": 0.6, "test_macro_f1": 0.5}}, "fairness": {"private": report},
            "gates": [], "verdict": "pass"}


def test_the_worst_task_gap_is_a_headline_figure(multiclass):
    gaps = multiclass["fairness"]["private"]["by_feature"]["sex"]["disparities"]
    largest = max((n for n in ("accuracy_difference", "macro_f1_difference", "selection_rate_difference_ovr",
                               "recall_difference_ovr") if gaps[n]["value"] is not None), key=lambda n: gaps[n]["value"])
    tiles = build_summary(multiclass)["tiles"]
    assert any(t["metric"] == largest and t["value"] == pytest.approx(gaps[largest]["value"]) for t in tiles)
    failing = _with_gates(multiclass, GateSpec(metric="selection_rate_difference_ovr", feature="sex", max=0.05))
    first = build_summary(failing)["tiles"][0]
    assert first["metric"] == "selection_rate_difference_ovr" and first["threat"] == "fails the verdict"


def test_counts_name_what_they_count():
    counts = {"gates": 8, "gates_passed": 7, "gates_on_estimate_only": 1, "gates_failing_verdict": 0,
              "gates_warning_not_passed": 1, "gates_inconclusive_allowed": 0, "concerns": 11, "serious_concerns": 8}
    assert count_text(counts) == {"gates": "8 gates: 7 pass (1 on the estimate only), 1 with warning severity did not pass",
                                  "concerns": "8 serious concerns (of 11)"}


def test_cli_and_both_cards_print_the_same_counts_with_an_info_concern(capsys):
    result = make_result()
    result["fairness"]["private"]["by_feature"]["race"]["disparities"][_EO].update(value=0.177, ci=[0.0, 0.436])
    result = _with_gates(result, GateSpec(metric=_EO, feature="race", max=0.2, severity="warning"),
                         GateSpec(metric="accuracy", min=0.99, severity="warning"))
    typed = AuditResult.from_dict(result)
    counts = verdict_counts(typed)
    assert counts["info_concerns"] >= 1 and counts["serious_concerns"] < counts["concerns"]  # an info concern is listed
    text = count_text(counts)
    cli_run._print_summary(result, None, {})
    cli = capsys.readouterr().out
    assert f"— {text['gates']} · {text['concerns']} below" in cli
    assert f"Concerns ({counts['concerns']};" in cli  # the block the count says "of"
    md, html = render_markdown(result), render_html(result)
    assert f"{text['gates']} · **{text['concerns']} below**" in md
    assert text["gates"] in html and f"{text['concerns']} below" in html


def test_a_failing_gate_whose_interval_crosses_its_bound_is_not_called_a_pass():
    result = make_result()
    result["fairness"]["private"]["by_feature"]["race"]["disparities"][_EO].update(value=0.222, ci=[0.021, 0.711])
    result = _with_gates(result, GateSpec(metric=_EO, feature="race", max=0.2, severity="warning"))
    first = build_summary(result)["tiles"][0]
    assert first["outcome"] == "fail" and first["ci_crosses_bound"] is False  # it read "pass on the estimate only"
    row = next(line for line in render_markdown(result).splitlines() if line.startswith("| Equalized odds difference (race)"))
    assert row.split(" | ")[-1].startswith("fail (") and "estimate only" not in row  # the outcome, then why it leads


def test_the_cli_lists_the_headline_figures_threats_first(capsys):
    result = make_result()
    result["fairness"]["private"]["by_feature"]["race"]["disparities"][_EO].update(value=0.177, ci=[0.0, 0.436])
    result = _with_gates(result, GateSpec(metric=_EO, feature="race", max=0.2))
    cli_run._print_summary(result, None, {})
    lines = capsys.readouterr().out.splitlines()
    first = lines[lines.index(next(x for x in lines if x.startswith("Headline figures"))) + 1]
    assert first.startswith("  Equalized odds difference (race): 0.177 [0.000, 0.436] — gate ≤ 0.20: pass")
    assert "passes on the estimate only" in first


def test_both_cards_say_why_each_threatening_figure_leads():
    # the Markdown card showed the outcome only; a reviewer could not tell why a figure was first
    result = make_result()
    result["fairness"]["private"]["by_feature"]["race"]["disparities"][_EO].update(value=0.222, ci=[0.021, 0.711])
    result = _with_gates(result, GateSpec(metric=_EO, feature="race", max=0.2, severity="warning"))
    tile = build_summary(result)["tiles"][0]
    assert tile["threat"]
    md_row = next(line for line in render_markdown(result).splitlines()
                  if line.startswith("| Equalized odds difference (race)"))
    assert f"({tile['threat']})" in md_row.replace("\\", "")
    assert tile["threat"] in render_html(result)
