"""A reviewer's flows in a real browser (Debian's Chromium driven by Playwright): the run never changes under the
reviewer, and a review decision reaches every view.

The server is started with the command ``rai-audit dashboard`` runs (:func:`dashboard.launch.build_command`) over
a runs root of two runs: ``alpha`` (the one reviewed, created first) and ``newest`` (created later, so listed first).
Every flow works on ``alpha``: a run that silently falls back to the newest one fails the test.
Screenshots go to ``test-artifacts/dashboard/reviewer-*.png``. Skipped when /usr/bin/chromium or Playwright is absent.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.dashboard._serve import free_port, serving
from tests.dashboard._synthetic import make_run
from tests.dashboard.test_browser import ARTIFACTS, CHROMIUM, _navigate, _open, _settled, browser  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]

SHARED, NEWEST = "alpha", "newest"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The dashboard, started as ``rai-audit dashboard`` starts it, over ``alpha`` (older) and ``newest``."""
    from dashboard.launch import build_command

    root = tmp_path_factory.mktemp("reviewer-runs")
    make_run(root, SHARED, n=1500, created_at="2025-01-01T00:00:00Z")
    make_run(root, NEWEST, n=400, seed=1, created_at="2025-06-01T00:00:00Z")
    log = tmp_path_factory.mktemp("log") / "streamlit.log"
    with serving(build_command(root, port=free_port()), cwd=Path(__file__).resolve().parents[2], log_path=log) as url:
        yield url, root


def _selected_run(page) -> str:
    """The run the sidebar's run picker shows (its label and the value of its input)."""
    return page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.evaluate(
        "(e) => e.innerText + ' ' + [...e.querySelectorAll('input')].map((i) => i.value).join(' ')")


def _click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_timeout(300)
    _settled(page)


def _shot(page, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"reviewer-{name}.png"), full_page=full_page)


def test_shared_cohort_link_opens_the_same_run_in_a_new_browser(two_runs, browser):  # noqa: F811
    url, _ = two_runs
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    _open(page, f"{url}/?run={SHARED}", "Runs")
    assert not page.get_by_role("button", name="Deploy").count(), "reviewers must not see Streamlit's Deploy button"
    _navigate(page, "Error analysis", "Error analysis")
    _click(page, "Use as cohort")
    page.get_by_text("Cohort set").first.wait_for(timeout=20_000)
    shared = page.url
    assert "cohort=" in shared and f"run={SHARED}" in shared, shared
    page.close()

    context = browser.new_context(viewport={"width": 1400, "height": 1400})  # another reviewer's browser
    other = context.new_page()
    _open(other, shared, "Error analysis")
    _shot(other, "shared-link")
    assert SHARED in _selected_run(other)
    assert other.get_by_text(f"Run {SHARED}").count(), "the page names the run it shows"
    other.get_by_text("Scoped to the cohort").first.wait_for(timeout=20_000)
    assert not other.get_by_test_id("stException").count()
    context.close()


def test_open_a_row_in_whatif_stays_on_the_run(two_runs, browser):  # noqa: F811
    url, _ = two_runs
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    _open(page, f"{url}/?run={SHARED}", "Runs")
    _navigate(page, "Error analysis", "Error analysis")
    _click(page, "Open a row in What-if")
    page.get_by_role("heading", name="What-if", exact=True).first.wait_for(timeout=60_000)
    _settled(page)
    _shot(page, "whatif-from-slice")
    assert SHARED in _selected_run(page)
    assert f"run={SHARED}" in page.url, page.url
    page.get_by_text("matching rows (slice:").first.wait_for(timeout=20_000)
    _navigate(page, "Fairness", "Fairness")  # and the next page too
    assert SHARED in _selected_run(page) and f"run={SHARED}" in page.url
    page.close()


def test_a_rejection_reaches_overview_runs_and_a_rerendered_card(two_runs, browser, tmp_path):  # noqa: F811
    url, root = two_runs
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    _open(page, f"{url}/?run={SHARED}", "Runs")
    _navigate(page, "Review", "Review")
    page.get_by_label("Reviewer").fill("Rita")
    page.get_by_text("reject", exact=True).click()
    page.get_by_label("Comment").fill("the Sales slice errs too often")
    _click(page, "Record review")
    page.get_by_text("Current status: REJECTED").first.wait_for(timeout=20_000)

    _navigate(page, "Overview", "Overview")
    banner = page.get_by_text("Review: REJECTED").first
    banner.wait_for(timeout=20_000)
    verdict = page.get_by_text("Verdict").first
    assert banner.bounding_box()["y"] < verdict.bounding_box()["y"], "the review status comes first"
    _shot(page, "overview-rejected")

    _navigate(page, "Runs", "Runs")
    _shot(page, "runs-rejected", full_page=False)  # 1400 x 900: the reviewer's columns fit
    grid = page.get_by_test_id("stDataFrame").first
    grid.scroll_into_view_if_needed()
    # The grid draws on a canvas; its cells' text is in the accessibility table it keeps beside it.
    page.wait_for_function("""(name) => (document.querySelector('[data-testid="stDataFrame"]')?.textContent || '')
        .includes(name)""", arg=SHARED, timeout=20_000)
    texts = grid.evaluate("(e) => [...e.querySelectorAll('td')].map((td) => td.textContent)")
    assert any("REJECTED" in t for t in texts), texts[:40]
    names = [t for t in texts if t in (SHARED, NEWEST)]
    assert names[:2] == [NEWEST, SHARED], "recording a review must not reorder the runs"
    assert SHARED in _selected_run(page)
    page.close()

    out = tmp_path / "cards"
    subprocess.run([sys.executable, "-m", "audit.cli", "card", str(root / SHARED), "--out", str(out)], check=True,
                   capture_output=True, cwd=str(Path(__file__).resolve().parents[2]))
    markdown = (out / "model_card.md").read_text(encoding="utf-8")
    body = markdown.split("\n# Model card", 1)[1]
    assert body.index("Review: REJECTED") < body.index("Verdict:")
    assert "#1 " in markdown and "#0 " not in markdown  # numbered as the dashboard numbers it
    card = browser.new_page(viewport={"width": 1400, "height": 900})
    card.goto((out / "model_card.html").as_uri())
    first = card.get_by_text("Review: REJECTED").first
    assert first.bounding_box()["y"] < card.get_by_text("Verdict").first.bounding_box()["y"]
    _shot(card, "card-rejected", full_page=False)  # the card's head: the review status first
    card.close()
