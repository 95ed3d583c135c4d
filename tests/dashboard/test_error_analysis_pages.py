"""Error analysis, cohorts, what-if, model comparison and the review status, in AppTest."""

from __future__ import annotations

import json

import pytest

from tests.dashboard.conftest import texts


def _ok(at) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_error_analysis_lists_slices_with_intervals_and_the_correction(app, synthetic_root):
    at = app(synthetic_root, run="full", page="error_analysis")
    _ok(at)
    assert "holm" in texts(at).lower() and "every slice examined" in texts(at)
    table = at.dataframe[0].value
    assert {"slice", "rows", "error rate", "lo", "hi", "gap", "p (Holm)", "significant"} <= set(table.columns)
    assert (table["lo"] <= table["error rate"]).all() and (table["error rate"] <= table["hi"]).all()
    assert len(at.get("vega_lite_chart")) == 1
    at.radio(key="ea_rank").set_value("gap to the rest of the test set").run()
    _ok(at)


def test_slice_becomes_the_cohort_in_session_and_url_and_scopes_fairness(app, runs_root):
    at = app(runs_root, run="full", page="error_analysis")
    label = next(s for s in at.selectbox if s.label == "Slice").format_func(0)
    at.button(key="ea_to_cohort").click().run()
    _ok(at)
    cohort = json.loads(at.query_params["cohort"][0] if isinstance(at.query_params["cohort"], list) else at.query_params["cohort"])
    assert cohort and all("feature" in c for c in cohort)
    assert "Cohort set" in texts(at) and "Scoped to the cohort" in texts(at)
    assert label.split(". ", 1)[1].split(" & ")[0] in texts(at).replace("\\", "")
    at.switch_page("views/fairness.py").run()
    _ok(at)
    assert "By group: cohort" in texts(at)
    at.switch_page("views/cohorts.py").run()
    _ok(at)
    names = at.selectbox(key="co_a").options
    assert any(n.startswith("active:") for n in names)


def test_cohort_from_the_url_scopes_error_analysis(app, synthetic_root, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.dashboard.conftest import APP

    monkeypatch.setenv("RAI_AUDIT_RUNS_ROOT", str(synthetic_root))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["run"] = "full"
    at.query_params["cohort"] = json.dumps([{"feature": "sex", "values": ["Female"]}])
    at.run()
    at.switch_page("views/error_analysis.py").run()
    _ok(at)
    assert "Scoped to the cohort" in texts(at) and "sex = Female" in texts(at).replace("\\", "")
    assert any("cohort" in str(m.label) for m in at.metric)


def test_cohort_builder_and_side_by_side_comparison(app, synthetic_root):
    at = app(synthetic_root, run="full", page="cohorts")
    _ok(at)
    at.multiselect(key="co_features").set_value(["sex"]).run()
    at.multiselect(key="co_cat_sex").set_value(["Female"]).run()
    assert "sex = Female" in texts(at).replace("\\", "")
    at.text_input(key="co_name").input("women").run()
    at.button(key="co_use").click().run()
    _ok(at)
    at.selectbox(key="co_a").set_value("women").run()
    at.selectbox(key="co_b").set_value("whole test set").run()
    _ok(at)
    table = at.dataframe[-1].value
    assert set(table["cohort"]) == {"A: women", "B: whole test set"}
    assert table["accuracy"].str.match(r"^\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]$").all()


def test_whatif_recomputes_scores_and_attributions_after_an_edit(app, synthetic_root):
    at = app(synthetic_root, run="full", page="whatif")
    _ok(at)
    before = at.dataframe[0].value
    assert set(before["model"]) == {"reference", "private"}
    assert (before["change"].abs() < 1e-9).all()  # nothing edited: both columns score the original row
    at.number_input(key=f"wi_{at.selectbox(key='wi_row').value}_education-num").set_value(16.0).run()
    at.selectbox(key=f"wi_{at.selectbox(key='wi_row').value}_relationship").set_value("Wife").run()
    _ok(at)
    after = at.dataframe[0].value
    assert (after["change"].abs() > 0).any()
    assert "Edited: education" in texts(at)
    assert len(at.get("vega_lite_chart")) == 1


def test_whatif_search_narrows_the_rows(app, synthetic_root):
    at = app(synthetic_root, run="full", page="whatif")
    at.text_input(key="wi_search").input("Amer-Indian").run()
    _ok(at)
    rows = at.selectbox(key="wi_row").options
    assert rows and all("race=Amer-Indian-Eskimo" in r or "Amer-Indian" in r for r in rows) or "matching rows" in texts(at)


def test_whatif_says_a_factory_model_cannot_be_rebuilt(app, tmp_path):
    from tests.dashboard.test_whatif_factory import make_factory_run

    root = make_factory_run(tmp_path)  # nothing trusts trusted_mod:build here
    at = app(root, run="factory", page="whatif")
    _ok(at)
    # The note names the factory and the confirmed ways to use it (it used to say only "cannot rebuild it safely").
    assert "does not rebuild it" in texts(at) and "rai-audit score --factory trusted_mod:build" in texts(at)
    assert "rai-audit dashboard --trust-factory trusted_mod:build" in texts(at)


def test_model_comparison_charts_every_point_and_the_gate_bound(app, synthetic_root):
    at = app(synthetic_root, run="full", page="compare")
    _ok(at)
    table = at.dataframe[0].value
    assert {"audited model", "mitigation", "utility curve"} <= set(table["kind"])
    spec = json.dumps(at.get("vega_lite_chart")[0].proto.spec if hasattr(at.get("vega_lite_chart")[0], "proto") else "")
    assert "gate" in spec or "gate" in texts(at)


def test_disparity_chart_holds_every_interval_and_draws_the_gate(app, synthetic_root):
    at = app(synthetic_root, run="full", page="fairness")
    _ok(at)
    assert "Red ticks: the gates' bounds" in texts(at)
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    layers = spec["layer"]
    domain = layers[0]["encoding"]["x"]["scale"]["domain"]
    assert any(layer.get("mark", {}).get("type") == "tick" for layer in layers)
    record = json.loads((synthetic_root / "full" / "audit.json").read_text())
    disp = record["fairness"]["private"]["by_feature"]["sex"]["disparities"]
    highs = [e["ci"][1] for k, e in disp.items() if "difference" in k and isinstance(e, dict) and e.get("ci")
             and e["ci"][1] is not None and k in {"demographic_parity_difference", "equalized_odds_difference",
                                                 "equal_opportunity_difference", "accuracy_difference"}]
    assert highs and max(highs) <= domain[1] and 0.1 <= domain[1]  # the gate bound (0.1) and every interval are inside


@pytest.mark.parametrize("signed", [False])
def test_review_states_the_current_status_numbers_from_one_and_warns_unsigned(app, runs_root, signed):
    from audit.records.review import add_review

    add_review(runs_root / "full", reviewer="Ann", decision="approve", comment="ok")
    add_review(runs_root / "full", reviewer="Bob", decision="reject", comment="slices")
    at = app(runs_root, run="full", page="review")
    assert not at.exception
    assert "Current status: REJECTED" in texts(at) and "Bob" in texts(at)
    assert "unsigned" in texts(at) and "weak evidence" in texts(at)
    assert list(at.dataframe[0].value["#"]) == [1, 2]
