"""SIGTERM and SIGINT during ``rai-audit score``: exit 2, "nothing was published", and truly nothing.

The predictions are written into a hidden sibling of ``--out`` renamed once complete; an interrupted score
used to leave ``preds/part-00000.parquet``, which ``rai-audit fairness preds/`` read as the complete set.
The scorer is slowed (small chunks, a pause per chunk) so the signal lands after a part file is written.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Runs the real CLI in a child process, the scorer slowed down: 100-row chunks, 0.2 s each.
DRIVER = """
import sys, time
import audit.scale._score as score_module
score_module.PANDAS_CHUNK_ROWS = 100
real = score_module.Scorer.__call__
def slow(self, frame, partition_info=None, *, first_row=None):
    time.sleep(0.2)
    return real(self, frame, partition_info, first_row=first_row)
score_module.Scorer.__call__ = slow
from audit.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_during_score_leaves_no_predictions(signum, tmp_path):
    from tests.scale.test_score import _rows, _write_run

    _write_run(tmp_path / "run")
    _rows(n=3000, seed=1).to_parquet(tmp_path / "data.parquet", index=False)
    proc = subprocess.Popen([sys.executable, "-c", DRIVER, "score", "run", "data.parquet", "--out", "preds"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".preds.tmp-*/part-00001.parquet")):  # two chunks written, more to come
        assert proc.poll() is None, f"score ended before it was interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, "score never wrote a chunk"
        time.sleep(0.05)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, f"exit {proc.returncode}\n{err}"
    assert "interrupted" in err and "nothing was published" in err and "Traceback" not in err
    leftovers = sorted(p.name for p in tmp_path.iterdir() if "preds" in p.name)
    assert leftovers == [], f"an interrupted score left {leftovers}"
