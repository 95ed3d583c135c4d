"""Serve the dashboard for a browser test: start the command, wait for Streamlit's health check, stop it after.

One place for what four browser tests did each in their own loop (start, poll ``/_stcore/health``, fail with the
server's log when it never answers, terminate and wait); each test keeps its own Chromium.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

__all__ = ["free_port", "serving"]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(cmd: list[str], *, cwd: Path, log_path: Path, timeout_s: float = 60.0) -> Iterator[str]:
    """Run ``cmd`` (a ``streamlit run`` command with ``--server.port``) in ``cwd`` and yield its URL once it answers.

    The test fails with the tail of the server's log when the health check does not answer in ``timeout_s``; the
    server is terminated (killed after 10 s) when the block ends, however it ends.
    """
    port = cmd[cmd.index("--server.port") + 1]
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w+") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=str(cwd))
        try:
            deadline = time.time() + timeout_s
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                        break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        log.seek(0)
                        pytest.fail(f"streamlit did not start: {log.read()[-2000:]}")
                    time.sleep(0.3)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
