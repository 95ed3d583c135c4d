"""The ``rai-audit`` command line.

Exit codes: 0 every gate passed (or the command succeeded), 1 a gate failed
(or ``verify`` found a difference), 2 bad input or an error. Errors print one
paragraph and no traceback unless ``--debug`` is given.

Subcommands, one module each: ``run``, ``card``, ``fairness``, ``score``, ``verify``, ``compare``,
``review``, ``dashboard``. Each module adds its parser with ``add_subparser``
and imports what its command needs only when the command runs, so
``rai-audit --help`` imports neither torch nor pandas.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from types import FrameType
from typing import NoReturn

from audit import __version__
from audit.cli import card, compare, dashboard, evidence, fairness, review, run, score, verify
from audit.cli._common import EXIT_ERROR, EXIT_GATE_FAILED, EXIT_OK
from audit.exceptions import AuditError

__all__ = ["EXIT_ERROR", "EXIT_GATE_FAILED", "EXIT_OK", "build_parser", "main"]

# In the order `rai-audit --help` lists them.
_SUBCOMMANDS = (run, card, fairness, score, verify, compare, review, evidence, dashboard)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="rai-audit",
        description="Responsible-AI audit for PyTorch models: privacy, fairness, explanations, compute and policy gates.",
        epilog="Exit codes: 0 pass, 1 a gate failed, 2 bad input or error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _SUBCOMMANDS:
        module.add_subparser(sub)
    # Accept --debug after the subcommand too (rai-audit run cfg.toml --debug).
    for subparser in sub.choices.values():
        subparser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks for errors")
    return parser


_INTERRUPTED = "error: interrupted{how}: nothing was published (a run directory appears only when complete).\n"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so it unwinds like Ctrl-C: temporary folders removed, nothing published."""


_SIGNALLED: list[int] = []  # the signal that interrupted this process, once one has


def _ignore_further_signals(signum: int) -> None:
    """From the first interruption on, SIGINT and SIGTERM are ignored, so the unwinding (temporary folders
    removed, nothing published) finishes: a second Ctrl-C or a supervisor's repeated SIGTERM would otherwise
    cut the clean-up short and end the process by the signal (exit -2) instead of exit 2."""
    _SIGNALLED.append(signum)
    for each in (signal.SIGINT, signal.SIGTERM):
        signal.signal(each, signal.SIG_IGN)


def _raise_terminated(signum: int, frame: FrameType | None) -> NoReturn:  # noqa: ARG001 - signal handler signature
    _ignore_further_signals(signum)
    raise Terminated()


def _raise_interrupted(signum: int, frame: FrameType | None) -> NoReturn:  # noqa: ARG001 - signal handler signature
    _ignore_further_signals(signum)
    raise KeyboardInterrupt()


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """While a command runs, SIGTERM interrupts it as Ctrl-C does, and the first of either is the only one
    (the main thread only can take signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum, handler in
                ((signal.SIGTERM, _raise_terminated), (signal.SIGINT, _raise_interrupted))}
    try:
        yield
    finally:
        if not _SIGNALLED:  # after a signal they stay ignored until the process exits
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _leave_now(code: int) -> NoReturn:
    """End the process with ``code`` once an interrupted command has unwound (its clean-up done, its message written).

    Nothing after this point may turn exit 2 into death by the signal: a loaded CI machine once saw a run
    interrupted twice exit -2 after it had unwound and said so, though further signals are ignored.
    Only a real signal leads here, so a command called in-process (tests) returns instead.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _stdout_to_devnull() -> None:
    """The reader of stdout went away (``| head``): point stdout at /dev/null so the flush at exit stays quiet."""
    with contextlib.suppress(OSError, ValueError):  # a stdout without a descriptor (captured in tests)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _flushed() -> bool:
    """Flush stdout now, so a closed pipe shows here and not as a message at the interpreter's exit."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _stdout_to_devnull()
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rai-audit`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: usage errors are bad input
        return (EXIT_ERROR if exc.code not in (0, None) else EXIT_OK) if _flushed() else EXIT_ERROR
    except BrokenPipeError:  # --help into a closed pipe
        _stdout_to_devnull()
        return EXIT_ERROR
    try:
        with _sigterm_interrupts():
            code = int(args.func(args))
        return code if _flushed() else EXIT_ERROR
    except BrokenPipeError:  # the reader closed the pipe (rai-audit ... --json | head): quiet, as Unix tools are
        _stdout_to_devnull()
        return EXIT_ERROR
    except AuditError as exc:
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_ERROR
    except KeyboardInterrupt as exc:
        sys.stderr.write(_INTERRUPTED.format(how=" by SIGTERM" if isinstance(exc, Terminated) else ""))
        if _SIGNALLED:
            _leave_now(EXIT_ERROR)
        return EXIT_ERROR
    except Exception as exc:  # a bug or an unexpected environment problem: still one paragraph
        if args.debug:
            traceback.print_exc()
        sys.stderr.write(
            f"error: unexpected {type(exc).__name__}: {exc}\n"
            "This is likely a bug in rai-audit; re-run with --debug for the traceback and report it.\n"
        )
        return EXIT_ERROR
