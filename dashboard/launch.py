"""``rai-audit dashboard``: start the Streamlit app on a runs root.

The subcommand runs ``streamlit run <installed dashboard/app.py>`` in a child
process with the interpreter running the CLI, bound to 127.0.0.1 unless
``--host`` says otherwise, headless and without usage statistics, and passes
the runs root after ``--`` (the app reads it once and cannot be pointed
elsewhere from the browser).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from audit.exceptions import ConfigError, RunDirError

__all__ = ["APP_PATH", "DEFAULT_HOST", "DEFAULT_PORT", "add_subparser", "build_command", "run_dashboard"]

APP_PATH = Path(__file__).resolve().parent / "app.py"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501

_NO_ROOT = (
    "RUNS_ROOT {root} is not a directory. Expected the folder that holds run directories "
    "(written by 'rai-audit run --out RUNS_ROOT/NAME'). Fix: create it or name an existing folder."
)
_BAD_PORT = "--port {port} is out of range. Expected an integer from 1 to 65535. Fix: e.g. --port 8501."


def build_command(runs_root: str | Path, *, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST) -> list[str]:
    """The command line that serves the dashboard for ``runs_root``.

    Parameters
    ----------
    runs_root : path
        Folder holding run directories; it must exist.
    port : int
        TCP port to listen on.
    host : str
        Address to bind; the default keeps the app private to this machine.

    Returns
    -------
    list of str
        ``[python, -m, streamlit, run, APP_PATH, ...options, --, --runs-root, ROOT]``.

    Raises
    ------
    RunDirError
        When ``runs_root`` is not a directory.
    ConfigError
        When ``port`` is not in 1..65535.

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
    return [
        sys.executable, "-m", "streamlit", "run", str(APP_PATH),
        "--server.port", str(port),
        "--server.address", host,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--server.runOnSave", "false",
        "--",
        "--runs-root", str(root.resolve()),
    ]


def run_dashboard(args: argparse.Namespace) -> int:
    """Handler of ``rai-audit dashboard``: serve until interrupted; returns Streamlit's exit code."""
    cmd = build_command(args.runs_root, port=args.port, host=args.host)
    sys.stderr.write(f"Serving runs under {Path(args.runs_root).resolve()} at http://{args.host}:{args.port} (Ctrl-C stops)\n")
    proc = subprocess.Popen(cmd)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        # Ctrl-C reaches the child too (same process group); wait for it to shut down cleanly.
        try:
            return proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()


def add_subparser(subparsers: argparse._SubParsersAction) -> None:
    """Add ``dashboard [RUNS_ROOT] [--port N] [--host ADDR]`` to the ``rai-audit`` parser.

    Examples
    --------
    >>> p = argparse.ArgumentParser(); sub = p.add_subparsers()
    >>> add_subparser(sub)
    >>> a = p.parse_args(["dashboard"])
    >>> a.runs_root, a.port, a.host
    ('runs', 8501, '127.0.0.1')
    """
    p = subparsers.add_parser(
        "dashboard",
        help="open the review dashboard (Streamlit) on the runs under RUNS_ROOT",
        description="Serve the review dashboard for the run directories under RUNS_ROOT. It only reads runs; "
                    "it never trains. It binds to 127.0.0.1 unless --host says otherwise.",
    )
    p.add_argument("runs_root", nargs="?", default="runs", metavar="RUNS_ROOT",
                   help="folder holding run directories (default: runs)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to bind (default {DEFAULT_HOST}: this machine only; 0.0.0.0 exposes it to the network)")
    p.set_defaults(func=run_dashboard)
