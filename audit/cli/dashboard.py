"""``rai-audit dashboard [RUNS_ROOT]``: serve the review dashboard (Streamlit) on a runs root.

The library does not depend on the dashboard: the ``dashboard`` package is imported
only when this command runs (:func:`dashboard.launch.run_dashboard` does the work, and takes
:data:`DEFAULT_HOST` and :data:`DEFAULT_PORT` from ``audit.cli._common``: one set of defaults).

Examples
--------
>>> import argparse
>>> p = argparse.ArgumentParser(); sub = p.add_subparsers()
>>> add_subparser(sub)
>>> a = p.parse_args(["dashboard"])
>>> a.runs_root, a.port, a.host
('runs', 8501, '127.0.0.1')
"""

from __future__ import annotations

import argparse

from audit.cli._common import DEFAULT_HOST, DEFAULT_PORT, Subparsers

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "add_subparser", "handler"]



def add_subparser(subparsers: Subparsers) -> None:
    """Add ``dashboard [RUNS_ROOT] [--port N] [--host ADDR] [--trust-factory M:F ...]`` to the ``rai-audit`` parser."""
    p = subparsers.add_parser(
        "dashboard",
        help="open the review dashboard (Streamlit) on the runs under RUNS_ROOT",
        description="Serve the review dashboard for the run directories under RUNS_ROOT. It only reads runs; "
                    "it never trains. It binds to 127.0.0.1 unless --host says otherwise. Ctrl-C or SIGTERM stops "
                    "the server with it (the server runs in its own process group; the signal is forwarded).",
    )
    p.add_argument("runs_root", nargs="?", default="runs", metavar="RUNS_ROOT",
                   help="folder holding run directories (default: runs)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to bind (default {DEFAULT_HOST}: this machine only; 0.0.0.0 exposes it to the network)")
    p.add_argument("--trust-factory", action="append", default=[], metavar="MODULE:FUNCTION",
                   help="let What-if rebuild runs whose model this factory built: the dashboard then imports and runs "
                        "its code, so name only factories you trust (repeatable)")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    """Serve until interrupted; returns Streamlit's exit code."""
    from dashboard.launch import run_dashboard

    return run_dashboard(args)
