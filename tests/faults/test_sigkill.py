"""SIGKILL at random points of a real run: no run directory, or a complete one that verifies.

Never a partial folder under the final name. A kill can leave a hidden
``.NAME.tmp-*`` folder (nothing runs on SIGKILL to remove it); readers must not
take it for a run, and a new run to the same name must still succeed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audit.records.rundir import is_complete_run, list_runs, load_result, verify_run

REPO = Path(__file__).resolve().parents[2]

CONFIG = """
name = "faulty"
[data]
bundled = "adult"
target = "income"
positive_label = ">50K"
sensitive_features = ["sex", "race"]
drop_columns = ["fnlwgt", "education"]
max_rows = 300
[model]
hidden = [8]
[training]
epochs = 1
[privacy]
enabled = false
membership_inference = false
[fairness]
n_boot = 20
mitigation = "none"
[explain]
max_rows = 20
n_examples = 2
checks = false
"""
# The timed kills need many whole runs: no explanations, so each is short.
CONFIG_FAST = CONFIG.replace("[explain]", "[explain]\nenabled = false")


def _assert_never_partial(root: Path) -> None:
    """Every visible folder is a complete, verifying run; hidden leftovers are not listed as runs."""
    listed = set(list_runs(root))
    for entry in root.iterdir():
        if entry.name.startswith("."):
            assert entry not in listed and not is_complete_run(entry), f"hidden leftover {entry.name} is presented as a run"
            continue
        assert is_complete_run(entry), f"{entry.name} exists under its final name but is incomplete: {sorted(os.listdir(entry))}"
        report = verify_run(entry)
        assert report["ok"], f"{entry.name} does not verify: {report}"
        assert load_result(entry)["schema_version"]
        assert entry in listed


@pytest.mark.slow
def test_sigkill_at_random_file_operations_while_writing(tmp_path):
    config = tmp_path / "faulty.toml"
    config.write_text(CONFIG, encoding="utf-8")
    root = tmp_path / "runs"
    seed = int(os.environ.get("RAI_FAULT_SEED", "0"))
    proc = subprocess.run([sys.executable, "-m", "tests.faults._kill_driver", str(config), str(root), "6", str(seed)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    points = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert points[0]["k"] is None and points[0]["total"] > 10  # the uninterrupted write, counted
    killed = [p for p in points[1:] if p["killed"]]
    assert len(killed) >= 5, points
    _assert_never_partial(root)
    for p in killed:
        # Killed before its last operation (the rename), a run must not exist under its final name.
        assert not Path(p["target"]).exists(), f"killed at operation {p['k']}/{p['total']} yet {p['target']} exists"
    assert is_complete_run(root / "complete")


@pytest.mark.slow
def test_sigkill_at_random_times_of_a_cli_run(tmp_path):
    config = tmp_path / "faulty.toml"
    config.write_text(CONFIG_FAST, encoding="utf-8")
    root = tmp_path / "runs"
    rng = random.Random(int(os.environ.get("RAI_FAULT_SEED", "0")))
    cmd = [sys.executable, "-m", "audit.cli", "run", str(config), "--quiet"]
    t0 = time.perf_counter()
    full = subprocess.run([*cmd, "--out", str(root / "full")], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    duration = time.perf_counter() - t0
    assert full.returncode in (0, 1), full.stderr[-2000:]
    for i in range(2):
        target = root / f"killed-{i}"
        proc = subprocess.Popen([*cmd, "--out", str(target)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
        delay = rng.uniform(0.2, duration * 1.05)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        _assert_never_partial(root)


def test_hidden_leftover_does_not_block_a_new_run_of_the_same_name(tmp_path):
    from audit.records.rundir import RunDirWriter

    leftover = tmp_path / ".run.tmp-12345-deadbeef"
    leftover.mkdir()
    (leftover / "audit.json").write_text("{", encoding="utf-8")  # half-written, as a kill leaves it
    with RunDirWriter(tmp_path / "run") as w:
        w.write_json("audit.json", {"schema_version": "1.0"})
    assert list_runs(tmp_path) == [tmp_path / "run"]
    _assert_never_partial(tmp_path)
