"""``rai-audit dashboard``: argument parsing, the streamlit command line, and bad input."""

from __future__ import annotations

import argparse
import subprocess

import pytest

from audit.cli import main
from audit.exceptions import ConfigError, RunDirError
from dashboard import launch


def test_defaults_bind_localhost_and_runs():
    p = argparse.ArgumentParser()
    launch.add_subparser(p.add_subparsers())
    a = p.parse_args(["dashboard"])
    assert (a.runs_root, a.port, a.host, a.func) == ("runs", 8501, "127.0.0.1", launch.run_dashboard)


def test_command_runs_the_installed_app_headless_without_stats(tmp_path):
    cmd = launch.build_command(tmp_path, port=8600, host="127.0.0.1")
    assert cmd[1:5] == ["-m", "streamlit", "run", str(launch.APP_PATH)] and launch.APP_PATH.is_file()
    opts = dict(zip(cmd[5:cmd.index("--"):2], cmd[6:cmd.index("--"):2]))
    assert opts == {"--server.port": "8600", "--server.address": "127.0.0.1", "--server.headless": "true",
                    "--browser.gatherUsageStats": "false", "--server.runOnSave": "false"}
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
        def __init__(self, cmd):
            seen["cmd"] = cmd

        def wait(self, timeout=None):
            return 3

    monkeypatch.setattr(subprocess, "Popen", FakeProc)
    assert main(["dashboard", str(tmp_path), "--port", "8765", "--host", "0.0.0.0"]) == 3
    assert seen["cmd"][seen["cmd"].index("--server.address") + 1] == "0.0.0.0"
    assert seen["cmd"][seen["cmd"].index("--server.port") + 1] == "8765"
