"""The dashboard in a real browser: Debian's Chromium driven by Playwright.

Starts ``streamlit run dashboard/app.py`` on a free localhost port over a runs root holding
an Adult-sized run (all 16,281 test rows × 2 models), opens every page, moves the
threshold slider, submits a review, saves screenshots under ``test-artifacts/dashboard/``
and prints the timings. Skipped when /usr/bin/chromium or Playwright is absent.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import pytest

from tests.dashboard._serve import free_port, serving
from tests.dashboard._synthetic import make_run
from tests.dashboard.conftest import APP

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
PAGES = [("runs", "Runs"), ("overview", "Overview"), ("fairness", "Fairness"), ("privacy", "Privacy"),
         ("explainability", "Explainability"), ("compute", "Compute and environmental impact"),
         ("card", "Model card"), ("review", "Review")]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard, started as ``rai-audit dashboard`` starts it, over one run of the whole Adult test split."""
    from dashboard.launch import build_command

    root = tmp_path_factory.mktemp("browser-runs")
    make_run(root, "adult-full", n=None)  # the whole Adult test split, both models
    log = tmp_path_factory.mktemp("log") / "streamlit.log"
    with serving(build_command(root, port=free_port()), cwd=APP.parents[1], log_path=log) as url:
        yield url, root


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


# Resolves with the milliseconds from the next keydown to the frame after a caption containing `want` appears.
_ARM = """(want) => { window.__sliderDone = new Promise((resolve) => {
  let t0 = null;
  document.addEventListener('keydown', () => { t0 = performance.now(); }, {capture: true, once: true});
  const seen = () => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')].some((e) => e.textContent.includes(want));
  const obs = new MutationObserver(() => {
    if (t0 !== null && seen()) { obs.disconnect(); requestAnimationFrame(() => resolve(performance.now() - t0)); }
  });
  obs.observe(document.body, {subtree: true, childList: true, characterData: true});
}); }"""


def _settled(page, timeout_ms: int = 30_000) -> None:
    """Wait until the script run has finished (Streamlit marks the app root while a run is in progress)."""
    page.wait_for_function(
        "() => document.querySelector('[data-testid=\"stApp\"]')?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=timeout_ms)


def _open(page, url: str, title: str) -> float:
    """Load ``url`` afresh (new session) and return seconds until its title shows and the run has finished."""
    t0 = time.perf_counter()
    page.goto(url)
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=60_000)
    _settled(page)
    return time.perf_counter() - t0


def _navigate(page, link: str, title: str) -> float:
    """Click a sidebar page link (as a reviewer does) and return seconds until the page has rendered."""
    t0 = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"]').get_by_text(link, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=60_000)
    _settled(page)
    return time.perf_counter() - t0


def test_every_page_slider_and_review_in_chromium(server, browser):
    url, root = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 2200})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:", "blob:")) else None)

    # Warm-up: the first request imports the app's libraries in the server process (once per server).
    warm = _open(page, f"{url}/?run=adult-full", "Runs")
    nav_s, url_s = {}, {}
    # First render of every page within one session: the run is loaded once (cached by manifest hash), each
    # page's own work (threshold curves, charts) happens on its first visit.
    for slug, title in PAGES[1:] + PAGES[:1]:
        link = {"card": "Model card", "compute": "Compute"}.get(slug, title)
        nav_s[slug] = _navigate(page, link, title)
        assert not page.get_by_test_id("stException").count(), f"exception on {slug}"
        page.screenshot(path=str(ARTIFACTS / f"{slug}.png"), full_page=True)
    # The same pages opened by URL: a new browser session each time (page load, websocket, script run).
    for slug, title in PAGES:
        url_s[slug] = _open(page, f"{url}/{'' if slug == 'runs' else slug}?run=adult-full", title)

    # Threshold slider: arrow keys on the focused thumb. Timed inside the page, from the keydown event to the
    # frame after the fragment's caption shows the new threshold (its chart and table arrive in the same update).
    _open(page, f"{url}/fairness?run=adult-full", "Fairness")
    thumb = page.get_by_role("slider").first
    thumb.scroll_into_view_if_needed()
    thumb.focus()
    moves = []
    value = 0.5
    for key in ["ArrowRight"] * 5 + ["ArrowLeft"] * 10:
        value = round(value + (0.01 if key == "ArrowRight" else -0.01), 2)
        page.evaluate(_ARM, f"At threshold {value:.2f}:")
        page.keyboard.press(key)
        moves.append(page.evaluate("window.__sliderDone") / 1000.0)
        _settled(page)
    page.screenshot(path=str(ARTIFACTS / "fairness-slider.png"), full_page=True)

    # Review: fill the form and submit; the entry lands in reviews.jsonl.
    _open(page, f"{url}/review?run=adult-full", "Review")
    page.get_by_label("Reviewer").fill("Browser Tester")
    page.get_by_text("reject", exact=True).click()
    page.get_by_label("Comment").fill("checked in Chromium")
    page.get_by_role("button", name="Record review").click()
    page.get_by_text("Review recorded").first.wait_for(timeout=20_000)
    page.screenshot(path=str(ARTIFACTS / "review-submitted.png"), full_page=True)
    entries = [json.loads(line) for line in (root / "adult-full" / "reviews.jsonl").read_text().splitlines()]
    assert [(e["reviewer"], e["decision"]) for e in entries] == [("Browser Tester", "reject")]

    report = {"warm_up_s": warm, "first_render_in_app_s": nav_s, "open_by_url_s": url_s, "slider_move_s": moves,
              "slider_median_s": statistics.median(moves), "slider_max_s": max(moves)}
    (ARTIFACTS / "timings.json").write_text(json.dumps(report, indent=1))
    print("\ndashboard timings (s):", json.dumps(report, indent=1))
    assert not errors, errors
    assert not external, external[:5]
    # Regression guards, loose enough for a loaded 2-core CI machine; the goals (1 s, 200 ms) are in the report.
    assert max(nav_s.values()) < 3.0, nav_s
    assert statistics.median(moves) < 0.5, moves
