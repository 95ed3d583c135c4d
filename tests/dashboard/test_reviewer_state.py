"""The run stays put under the reviewer (URL and session), and a review decision reaches Overview, Runs and every page.

AppTest page tests over the synthetic runs root (``full`` and ``bare``); the browser flows are in
test_browser_reviewer_flows.py.
"""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import texts

review = pytest.importorskip("audit.records.review")


def _picker(at):
    return next(s for s in at.sidebar.selectbox if s.label == "Run")


def test_the_linked_run_is_kept_in_the_url_across_pages(app, synthetic_root):
    at = app(synthetic_root, run="full", page="fairness")
    assert _picker(at).value == "full"
    assert at.query_params["run"] in ("full", ["full"])
    assert "Run **full**" in "\n".join(c.value for c in at.caption)  # the page names the run it shows


def test_a_page_switch_without_the_link_stays_on_the_session_run(app, synthetic_root):
    at = app(synthetic_root, run="full", page="overview")
    at.query_params.clear()  # what st.switch_page does to the URL
    at.switch_page("views/compute.py").run()
    assert _picker(at).value == "full"
    assert at.query_params["run"] in ("full", ["full"])


def test_picking_a_run_in_the_sidebar_updates_the_url(app, synthetic_root):
    at = app(synthetic_root, run="full", page="overview")
    _picker(at).set_value("bare").run()
    assert at.session_state["run"] == "bare"
    assert at.query_params["run"] in ("bare", ["bare"])
    assert "Run **bare**" in texts(at)


def test_review_form_has_no_default_decision_and_refuses_without_one(app, runs_root):
    at = app(runs_root, run="full", page="review")
    assert at.radio[0].value is None
    at.text_input[0].input("Rita")
    at.text_area[0].input("checked")
    at.button[0].click().run()
    assert any("Choose a decision" in e.value for e in at.error)
    assert not (runs_root / "full" / "reviews.jsonl").exists()


def test_a_rejection_shows_on_overview_first_and_on_runs(app, runs_root):
    review.add_review(runs_root / "full", reviewer="Ann", decision="approve", comment="")
    review.add_review(runs_root / "full", reviewer="Rita", decision="reject", comment="DP gap")
    at = app(runs_root, run="full", page="overview")
    banner = [e.value for e in at.error if "Review: REJECTED" in e.value]
    assert banner and "Rita" in banner[0] and "review #2" in banner[0], [e.value for e in at.error]
    at = app(runs_root, run="full", page="runs")
    frame = at.dataframe[0].value
    assert list(frame.columns[:9]) == ["run", "verdict", "review", "gates failing the verdict", "warning gates not passed",
                                       "gates inconclusive", "serious concerns", "task", "created"]
    row = frame.set_index("run").loc["full"]
    assert row["review"].startswith("REJECTED by Rita") and frame.set_index("run").loc["bare", "review"] == "not reviewed"
    at = app(runs_root, run="full", page="compute")
    assert "review: **REJECTED by Rita" in "\n".join(c.value for c in at.caption)  # every page


def test_the_model_card_page_states_a_review_the_sealed_card_predates(app, runs_root):
    # the card in the run was rendered when the run was written: without this banner the page opened with
    # the sealed card's verdict after a rejection
    at = app(runs_root, run="full", page="card")
    assert not [e.value for e in at.error if "Review:" in e.value]
    review.add_review(runs_root / "full", reviewer="Rita", decision="reject", comment="DP gap")
    at = app(runs_root, run="full", page="card")
    banner = [e.value for e in at.error if "Review: REJECTED" in e.value]
    assert banner and "Rita" in banner[0], [e.value for e in at.error]
    assert any("before this review" in c.value for c in at.caption)
