"""``rai-audit dashboard``: start the Streamlit app on a runs root.

The subcommand runs ``streamlit run <installed dashboard/app.py>`` in a child
process with the interpreter running the CLI, bound to 127.0.0.1 unless
``--host`` says otherwise, headless and without usage statistics, and passes
the runs root after ``--`` (the app reads it once and cannot be pointed
elsewhere from the browser).

The server runs in its own process group. The launcher forwards SIGTERM and
SIGINT to that group and waits for it (killing it after
:data:`SHUTDOWN_GRACE_S`), so no server outlives ``rai-audit dashboard``.
The parser (``add_subparser``) lives in :mod:`audit.cli.dashboard`; the defaults in :mod:`audit.choices`.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from audit.choices import DASHBOARD_HOST as DEFAULT_HOST
from audit.choices import DASHBOARD_PORT as DEFAULT_PORT
from audit.exceptions import ConfigError, RunDirError

__all__ = ["APP_PATH", "SHUTDOWN_GRACE_S", "build_command", "run_dashboard"]

APP_PATH = Path(__file__).resolve().parent / "app.py"
#: Seconds the server gets to stop after a forwarded signal before its process group is killed.
SHUTDOWN_GRACE_S = 10.0

_NO_ROOT = (
    "RUNS_ROOT {root} is not a directory. Expected the folder that holds run directories "
    "(written by 'rai-audit run --out RUNS_ROOT/NAME'). Fix: create it or name an existing folder."
)
_BAD_PORT = "--port {port} is out of range. Expected an integer from 1 to 65535. Fix: e.g. --port 8501."
_BAD_FACTORY = ("--trust-factory {spec!r} is not a factory. Expected module:function, as the run's [model] factory "
                "names it (e.g. mymodels:build). Fix: copy the factory from the run's config.")
_FACTORY_SPEC = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


def build_command(runs_root: str | Path, *, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST,
                  trust_factories: Sequence[str] = ()) -> list[str]:
    """The command line that serves the dashboard for ``runs_root``.

    Parameters
    ----------
    runs_root : path
        Folder holding run directories; it must exist.
    port : int
        TCP port to listen on.
    host : str
        Address to bind; the default keeps the app private to this machine.
    trust_factories : sequence of str
        ``module:function`` factories What-if may import and run to rebuild a run's model (the confirmation,
        as ``rai-audit score --factory`` asks for it); fixed for the server's life.

    Returns
    -------
    list of str
        ``[python, -m, streamlit, run, APP_PATH, ...options, --, --runs-root, ROOT]``.

    Raises
    ------
    RunDirError
        When ``runs_root`` is not a directory.
    ConfigError
        When ``port`` is not in 1..65535, or a factory is not ``module:function``.

    Examples
    --------
    >>> import tempfile
    >>> cmd = build_command(tempfile.mkdtemp(), port=8600)
    >>> cmd[cmd.index("--server.port") + 1], cmd[cmd.index("--server.address") + 1]
    ('8600', '127.0.0.1')
    """
    root = Path(runs_root)
    if not root.is_dir():
        raise RunDirError(_NO_ROOT.format(root=root))
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigError(_BAD_PORT.format(port=port))
    bad = [f for f in trust_factories if not _FACTORY_SPEC.fullmatch(f)]
    if bad:
        raise ConfigError(_BAD_FACTORY.format(spec=bad[0]))
    return [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.runOnSave", "false",
        "--client.toolbarMode", "viewer",  # reviewers see no Deploy button or developer options
        "--server.fileWatcherType", "none",  # nothing to reload: the app's files do not change under a reviewer
        # Streamlit runs a full gc.collect() after every script run: 0.1-0.15 s with the records held in memory,
        # on every page view and widget change; Python's own generational collection still runs.
        "--runner.postScriptGC", "false",
        "--",
        "--runs-root", str(root.resolve()),
        *[arg for spec in trust_factories for arg in ("--trust-factory", spec)],
    ]


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # already gone


def _wait(proc: subprocess.Popen, forwarded: dict[str, float]) -> int:
    """Wait for the server; once a signal was forwarded, kill its group after the grace period."""
    while True:
        try:
            return proc.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            since = forwarded.get("at")
            if since is not None and time.monotonic() - since > SHUTDOWN_GRACE_S:
                _signal_group(proc, signal.SIGKILL)


def run_dashboard(args: argparse.Namespace) -> int:
    """Handler of ``rai-audit dashboard``: serve until interrupted; returns Streamlit's exit code.

    SIGTERM and SIGINT are forwarded to the server's process group and the launcher waits for it:
    0 when it stopped on a forwarded signal, otherwise its own exit code.
    """
    cmd = build_command(args.runs_root, port=args.port, host=args.host,
                        trust_factories=getattr(args, "trust_factory", None) or ())
    sys.stderr.write(f"Serving runs under {Path(args.runs_root).resolve()} at http://{args.host}:{args.port} (Ctrl-C stops)\n")
    proc = subprocess.Popen(cmd, start_new_session=True)  # its own process group: we decide what reaches it
    forwarded: dict[str, float] = {}

    def forward(signum: int, frame: object) -> None:  # noqa: ARG001 - signal handler signature
        forwarded.setdefault("at", time.monotonic())
        _signal_group(proc, signum)

    in_main = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)} if in_main else {}
    try:
        code = _wait(proc, forwarded)
    finally:
        if proc.poll() is None:  # an error in the launcher itself: never leave the server behind
            forward(signal.SIGTERM, None)
            _wait(proc, forwarded)
        for s, handler in previous.items():
            signal.signal(s, handler)
    if forwarded and code in (0, -signal.SIGTERM, -signal.SIGINT, -signal.SIGKILL):
        return 0
    return code if code >= 0 else 128 - code
