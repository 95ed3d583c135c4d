"""What-if on a factory model, in Chromium, from a server started as ``rai-audit dashboard --trust-factory`` starts it.

The launcher passes the trusted factory after ``--``; the page imports it from the server's working folder and scores
the row with the run's verified weights (AppTest holds the same in ``test_whatif_factory.py``; this holds the command
line). Screenshot: ``test-artifacts/dashboard/whatif-factory.png``.
"""

from __future__ import annotations

import pytest

from tests.dashboard._serve import free_port, serving
from tests.dashboard.test_browser import ARTIFACTS, CHROMIUM, _open, browser  # noqa: F401
from tests.dashboard.test_whatif_factory import make_factory_run

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def trusted_server(tmp_path_factory):
    from dashboard.launch import build_command

    folder = tmp_path_factory.mktemp("factory-runs")
    root = make_factory_run(folder)
    cmd = build_command(root, port=free_port(), trust_factories=["trusted_mod:build"])
    with serving(cmd, cwd=folder, log_path=folder / "streamlit.log") as url:  # trusted_mod.py imports from here
        yield url


def test_whatif_scores_a_trusted_factory_model(trusted_server, browser):  # noqa: F811
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    _open(page, f"{trusted_server}/whatif?run=factory", "What-if")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_text("Edit the row", exact=True).wait_for(timeout=30_000)
    assert page.get_by_test_id("stException").count() == 0
    text = main.inner_text()
    assert "--trust-factory" not in text  # the note for an untrusted factory is not shown
    assert "Each model's output" in text and "Nearest change that flips the decision" in text  # scored and searched
    # the text is drawn first, the data grid after (it loads its Arrow data on its own): wait for it
    page.get_by_test_id("stDataFrame").first.wait_for(timeout=30_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "whatif-factory.png"), full_page=True)
