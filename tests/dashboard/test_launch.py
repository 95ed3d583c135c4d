"""``rai-audit dashboard``: argument parsing, the streamlit command line, bad input, and shutdown."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audit.cli import dashboard as dashboard_cli
from audit.cli import main
from audit.exceptions import ConfigError, RunDirError
from dashboard import launch

REPO = Path(__file__).resolve().parents[2]


def test_defaults_bind_localhost_and_runs():
    p = argparse.ArgumentParser()
    dashboard_cli.add_subparser(p.add_subparsers())
    a = p.parse_args(["dashboard"])
    assert (a.runs_root, a.port, a.host, a.func) == ("runs", 8501, "127.0.0.1", dashboard_cli.handler)


def test_launcher_has_no_parser_or_defaults_of_its_own():
    assert not hasattr(launch, "add_subparser")
    assert launch.DEFAULT_HOST is dashboard_cli.DEFAULT_HOST and launch.DEFAULT_PORT == dashboard_cli.DEFAULT_PORT


def test_command_runs_the_installed_app_headless_without_stats(tmp_path):
    cmd = launch.build_command(tmp_path, port=8600, host="127.0.0.1")
    assert cmd[1:5] == ["-m", "streamlit", "run", str(launch.APP_PATH)] and launch.APP_PATH.is_file()
    opts = dict(zip(cmd[5:cmd.index("--"):2], cmd[6:cmd.index("--"):2], strict=True))
    assert opts == {"--server.port": "8600", "--server.address": "127.0.0.1", "--server.headless": "true",
                    "--browser.gatherUsageStats": "false", "--server.runOnSave": "false",
                    "--client.toolbarMode": "viewer",  # issue 25: reviewers see no Deploy button
                    "--server.fileWatcherType": "none", "--runner.postScriptGC": "false"}  # no per-view gc.collect()
    assert cmd[cmd.index("--") + 1:] == ["--runs-root", str(tmp_path.resolve())]


def test_missing_root_is_a_rundir_error(tmp_path):
    with pytest.raises(RunDirError, match="not a directory"):
        launch.build_command(tmp_path / "absent")


@pytest.mark.parametrize("port", [0, 70000, -1])
def test_bad_port_is_a_config_error(tmp_path, port):
    with pytest.raises(ConfigError, match="1 to 65535"):
        launch.build_command(tmp_path, port=port)


def test_cli_missing_root_exits_2_with_one_line(tmp_path, capsys):
    assert main(["dashboard", str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err
    assert "is not a directory" in err and "Traceback" not in err


def test_handler_returns_streamlit_exit_code(tmp_path, monkeypatch):
    seen = {}

    class FakeProc:
        pid = -1

        def __init__(self, cmd, **kwargs):
            seen["cmd"], seen["kwargs"] = cmd, kwargs

        def wait(self, timeout=None):
            return 3

        def poll(self):
            return 3

    monkeypatch.setattr(subprocess, "Popen", FakeProc)
    assert main(["dashboard", str(tmp_path), "--port", "8765", "--host", "0.0.0.0"]) == 3
    assert seen["cmd"][seen["cmd"].index("--server.address") + 1] == "0.0.0.0"
    assert seen["cmd"][seen["cmd"].index("--server.port") + 1] == "8765"
    assert seen["kwargs"] == {"start_new_session": True}  # its own process group, which the launcher signals


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _healthy(port: int) -> bool:
    """Streamlit answers its health check: fully started (a signal during startup is Streamlit's own race)."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads child processes from /proc (Linux)")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_to_the_launcher_stops_the_server(signum, tmp_path):
    """A real `rai-audit dashboard`: after SIGTERM (or SIGINT) to the launcher, the port is closed and no server remains."""
    port = _free_port()
    launcher = subprocess.Popen([sys.executable, "-m", "audit.cli", "dashboard", str(tmp_path), "--port", str(port)],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    children: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while not _healthy(port):
            assert launcher.poll() is None, f"the launcher exited early: {launcher.stderr.read()}"
            assert time.monotonic() < deadline, "the server never opened its port"
            time.sleep(0.3)
        children = _children(launcher.pid)
        assert children, "the server is not a child of the launcher"
        launcher.send_signal(signum)
        code = launcher.wait(timeout=launch.SHUTDOWN_GRACE_S + 20)
        err = launcher.stderr.read()
        assert code == 0, err
        assert "Traceback" not in err
        assert not _port_open(port), "the port is still open after the launcher stopped"
        assert not [c for c in children if _alive(c)], "a server process outlived the launcher"
    finally:
        for pid in [*children, launcher.pid]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
