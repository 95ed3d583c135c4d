"""Every page renders on a complete run, on a run missing every optional section, and on a real pipeline run."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import PAGES, texts


def _ok(at) -> None:
    assert not at.exception, [e.message for e in at.exception]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_a_complete_run(app, synthetic_root, page):
    at = app(synthetic_root, run="full", page=page)
    _ok(at)
    assert at.title, "every page has a title"
    assert not at.error, [e.value for e in at.error]
    assert at.sidebar.selectbox[0].value == "full"


def test_runs_page_lists_every_run_and_compares_two(app, synthetic_root):
    at = app(synthetic_root, run="full", page="runs")
    listing = at.dataframe[0].value
    assert set(listing["run"]) == {"full", "bare"}
    assert set(listing["verdict"]) == {"pass"}
    compare = at.dataframe[1].value
    assert {"verdict", "ε spent"} <= set(compare["figure"])
    # the bare run has no private model: the comparison says so instead of failing
    assert "not in run" in set(compare["B"]) | set(compare["A"])


def test_overview_shows_verdict_and_every_gate(app, synthetic_root):
    at = app(synthetic_root, run="full", page="overview")
    assert "Verdict: PASS" in at.success[0].value
    gates = at.dataframe[0].value
    assert len(gates) == 2 and set(gates["result"]) == {"pass", "warning"}
    assert "≤ 0.10" in set(gates["bound"])


def test_overview_lists_the_concerns_before_the_gates(app, synthetic_root):
    at = app(synthetic_root, run="full", page="overview")
    headings = [h.value for h in at.subheader]
    assert headings.index("Concerns: read these first") < headings.index("Gates")
    shown = texts(at)
    assert "WARNING" in shown and "Warning gate\\: Demographic parity difference \\(sex\\)" in shown
    assert "serious concern" in at.success[0].value  # counted as the card and the CLI count them (was "concern(s) below")


def test_fairness_page_has_group_table_charts_heatmap_and_slider(app, synthetic_root):
    at = app(synthetic_root, run="full", page="fairness")
    assert at.slider[0].value == 0.5
    assert len(at.get("vega_lite_chart")) >= 4  # disparities (2), heatmap, calibration, threshold rates
    groups = at.dataframe[0].value
    assert set(groups["group"]) == {"Female", "Male"}
    assert groups["selection rate"].str.match(r"^\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]$").all()  # readable headers (was selection_rate)
    assert "Mitigation" in texts(at)
    at.selectbox(key="fair_feature").set_value("race").run()
    assert not at.exception
    assert "Small groups" in texts(at)  # Adult's race groups include some under 30 rows in 1,500


def test_privacy_page_shows_dp_mia_canary_and_scan(app, synthetic_root):
    at = app(synthetic_root, run="full", page="privacy")
    labels = {m.label: m.value for m in at.metric}
    assert labels["ε spent"] == "0.980" and labels["ε lower bound (measured)"] == "0.120"
    assert len(at.get("vega_lite_chart")) == 3  # ε per epoch, utility curve, ROC


def test_explainability_page_picks_an_example(app, synthetic_root):
    at = app(synthetic_root, run="full", page="explainability")
    before = at.dataframe[0].value.copy()
    at.selectbox(key="ex_example").set_value(2).run()
    assert not at.exception
    assert not before.equals(at.dataframe[0].value)
    assert "relationship" in set(at.dataframe[1].value["feature"])  # proxies table


def test_robustness_page_shows_the_worst_cells_every_setting_and_groups(app, synthetic_root):
    at = app(synthetic_root, run="full", page="robustness")
    _ok(at)
    assert [m.label for m in at.metric][:2] == ["largest flip rate", "largest accuracy drop"]
    settings = at.dataframe[0].value
    assert list(settings["perturbation"]) == ["numeric noise ×0.1 SD", "numeric noise ×0.25 SD", "missing values 10%",
                                              "category remap 10%"]
    assert settings["flip rate"].between(0, 1).all()
    groups = at.dataframe[1].value
    assert groups["group"].str.startswith(("sex = ", "race = ")).all()


def test_card_page_offers_three_downloads(app, synthetic_root):
    at = app(synthetic_root, run="full", page="card")
    assert len(at.get("download_button")) == 3
    assert "Model card: Synthetic Adult MLP" in texts(at)
    assert "license" not in at.markdown[-1].value  # front matter shown apart, not as body text


@pytest.mark.parametrize("page", PAGES)
def test_page_says_not_run_for_missing_sections(app, synthetic_root, page):
    at = app(synthetic_root, run="bare", page=page)
    _ok(at)
    if page in {"fairness", "privacy", "explainability", "robustness", "compute", "card"}:
        assert "not run" in texts(at)


def test_empty_root_says_so(app, tmp_path):
    at = app(tmp_path)
    _ok(at)
    assert "No complete run" in texts(at) + "\n".join(w.value for w in at.sidebar.warning)


def test_missing_root_is_reported_not_raised(app, tmp_path):
    at = app(tmp_path / "nope")
    _ok(at)
    assert "is not a directory" in "\n".join(e.value for e in at.sidebar.error)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_a_real_pipeline_run(app, real_root, page):
    at = app(real_root, page=page)
    _ok(at)
    assert at.title
    assert not at.error, [e.value for e in at.error]


def test_rendering_every_page_leaves_the_shared_record_unchanged(app, synthetic_root):
    # the typed record is cached with st.cache_resource (shared by every session, not copied): pages only read it
    from audit.records.rundir import manifest_sha256
    from dashboard._state import _load_result, load_run

    path = synthetic_root / "full"
    fresh = load_run(synthetic_root, "full").result.to_dict()
    for page in PAGES:
        _ok(app(synthetic_root, run="full", page=page))
    cached = _load_result(str(path.resolve()), manifest_sha256(path))
    assert cached is _load_result(str(path.resolve()), manifest_sha256(path))  # shared: the same object
    assert cached.to_dict() == fresh
