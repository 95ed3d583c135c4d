"""One way the browser tests start the dashboard: a Streamlit server on a free localhost port, waited for.

Shared by tests/dashboard/test_browser.py, test_browser_reviewer_flows.py and test_card_downloads.py (each had
its own copy of the start, health wait and shutdown).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_command(root: Path, port: int) -> list[str]:
    """``streamlit run dashboard/app.py`` over ``root`` on ``port`` (no file watcher, no usage statistics)."""
    return [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port), "--server.address",
            "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--", "--runs-root", str(root)]


@contextmanager
def serving(cmd: list[str], port: int, log_path: Path) -> Iterator[str]:
    """Run ``cmd`` (a server on ``port``) until the block ends; yields its URL once /_stcore/health answers."""
    with log_path.open("w+") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=str(APP.parents[1]))
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                        break
                except OSError:
                    time.sleep(0.3)
            else:
                proc.kill()
                log.seek(0)
                pytest.fail(f"streamlit did not start: {log.read()[-2000:]}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
