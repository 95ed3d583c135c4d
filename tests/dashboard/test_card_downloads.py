"""The Model card page's downloads: the card files are read when a button is clicked, not on every page load.

The HTML and JSON cards are 100-200 KB each; reading (and registering) all three on every script run of the page
was part of its first render. The AppTest checks that loading the page reads no card file; the browser test
(Debian's Chromium) that a click still downloads the run's file, byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.exceptions import RunDirError
from tests.dashboard._serve import free_port, serving
from tests.dashboard.conftest import APP
from tests.dashboard.test_browser import CHROMIUM, _open


def test_card_page_reads_no_card_file_until_a_download_is_clicked(app, synthetic_root, monkeypatch):
    from dashboard import _data

    read: list[str] = []
    original = _data.run_bytes

    def spy(run_dir: Path, rel: str, *, limit: str) -> bytes:
        read.append(rel)
        return original(run_dir, rel, limit=limit)

    # the page reads run files through the bounded reader (dashboard._data.run_bytes), no longer Path.read_bytes
    monkeypatch.setattr(_data, "run_bytes", spy)  # the page script imports it from dashboard._data when it runs
    at = app(synthetic_root, run="full", page="card")
    assert not at.exception
    assert len(at.get("download_button")) == 3
    assert read == ["model_card.md"]  # the card shown; before: .md, .html and .json read on every page load


def test_card_download_is_confined_to_the_run_when_clicked(synthetic_root):
    from dashboard.views.card import _read

    run = synthetic_root / "full"
    assert _read(run, "model_card.md") == (run / "model_card.md").read_bytes()
    with pytest.raises(RunDirError):
        _read(run, "../bare/model_card.md")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed")
def test_card_download_button_delivers_the_file_in_chromium(synthetic_root, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    from dashboard.launch import build_command

    with serving(build_command(synthetic_root, port=free_port()), cwd=APP.parents[1], log_path=tmp_path / "streamlit.log") as url:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_context(accept_downloads=True).new_page()
            _open(page, f"{url}/card?run=full", "Model card")
            with page.expect_download(timeout=30_000) as info:
                page.get_by_role("button", name="Download Markdown").click()
            got = Path(info.value.path()).read_bytes()
            browser.close()
    assert got == (synthetic_root / "full" / "model_card.md").read_bytes()
