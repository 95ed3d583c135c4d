"""Output into a closed pipe (``rai-audit ... | head``): a quiet exit, as Unix tools do, never "likely a bug".

Before the fix, ``fairness --json`` into a closed pipe printed ``unexpected BrokenPipeError ... likely a bug``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PEOPLE = Path(__file__).resolve().parents[1] / "bad_inputs" / "common" / "people.csv"
ROOT = Path(__file__).resolve().parents[2]


def _into_a_closed_pipe(argv: list[str]) -> tuple[int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "audit.cli", *argv], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the command writes a byte (imports take far longer)
    err = proc.stderr.read().decode()
    return proc.wait(timeout=120), err


@pytest.mark.parametrize("argv", [
    ["fairness", str(PEOPLE), "--y-true", "income", "--y-pred", "income", "--sensitive", "sex", "--pos-label", ">50K",
     "--n-boot", "0", "--json"],
    ["fairness", str(PEOPLE), "--y-true", "income", "--y-pred", "income", "--sensitive", "sex", "--pos-label", ">50K",
     "--n-boot", "0"],
    ["--help"],
])
def test_output_into_a_closed_pipe_exits_quietly(argv):
    code, err = _into_a_closed_pipe(argv)
    assert "BrokenPipe" not in err and "likely a bug" not in err and "Traceback" not in err, err
    assert "Exception ignored" not in err, err  # nothing left to flush at the interpreter's exit
    assert code == (0 if argv == ["--help"] else 2), err  # a report cut short is no success (argparse's help
    # swallows the error of its own write)


def test_broken_pipe_inside_a_command_is_not_reported_as_a_bug(monkeypatch, capsys):
    from audit.cli import fairness, main

    def closed(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(fairness, "handler", closed)
    argv = ["fairness", "p.csv", "--y-true", "y", "--y-pred", "p", "--sensitive", "sex"]
    assert main(argv) == 2
    assert capsys.readouterr().err == ""
