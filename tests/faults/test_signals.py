"""SIGTERM and SIGINT during a real ``rai-audit run``: a message, exit 2, nothing published.

SIGTERM (what ``kill``, systemd and CI runners send) is handled as Ctrl-C is: the run
unwinds, its temporary folder is removed, and the user reads "interrupted: nothing was
published" instead of a silent exit 143.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Long enough to be interrupted mid-training (the limit is far; the test kills it within seconds).
CONFIG = """
name = "sig"
[data]
bundled = "adult"
target = "income"
positive_label = ">50K"
sensitive_features = ["sex"]
drop_columns = ["fnlwgt", "education"]
max_rows = 2000
[model]
hidden = [8]
[training]
epochs = 5000
batch_size = 64
[privacy]
enabled = false
membership_inference = false
[fairness]
n_boot = 0
mitigation = "none"
[explain]
enabled = false
"""


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "times"), [(signal.SIGTERM, 1), (signal.SIGINT, 1), (signal.SIGINT, 2)],
                         ids=["SIGTERM", "SIGINT", "SIGINT twice"])
def test_signal_during_training_exits_2_and_publishes_nothing(signum, times, tmp_path):
    # Twice: a second Ctrl-C 50 ms after the first (or a supervisor repeating SIGTERM) used to cut the clean-up
    # short, and the process died by the signal (exit -2) instead of exiting 2.
    (tmp_path / "audit.toml").write_text(CONFIG, encoding="utf-8")
    runs = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "audit.cli", "run", "audit.toml", "--out", str(runs / "out")],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    err: list[str] = []
    training = threading.Event()

    def read_stderr() -> None:
        for line in proc.stderr:
            err.append(line)
            if "epoch" in line.lower() or "train reference" in line.lower():
                training.set()

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    assert training.wait(timeout=120), f"training never started: {''.join(err)}"
    time.sleep(0.5)
    for _ in range(times):
        proc.send_signal(signum)
        time.sleep(0.05)
    code = proc.wait(timeout=60)
    reader.join(timeout=10)
    text = "".join(err)
    assert code == 2, f"exit {code}\n{text}"
    assert "interrupted" in text and "nothing was published" in text
    assert "Traceback" not in text
    leftovers = sorted(p.name for p in runs.iterdir()) if runs.exists() else []
    assert leftovers == [], f"an interrupted run left {leftovers}"
