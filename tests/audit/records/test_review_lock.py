"""Concurrent reviewers are serialised by an OS lock on the review record: the chain never forks.

Without the lock, four processes appending 30 reviews each fork the chain (measured); with it, never.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from audit.records.review import verify_reviews
from audit.records.rundir import RunDirWriter, verify_run

ROOT = Path(__file__).resolve().parents[3]
_APPEND = (
    "import sys\nfrom audit.records.review import add_review\n"
    "for i in range(int(sys.argv[2])):\n"
    "    add_review(sys.argv[1], reviewer=f'{sys.argv[3]}-{i}', decision='approve')\n"
)


def test_processes_appending_at_once_keep_one_chain(tmp_path):
    with RunDirWriter(tmp_path / "r") as w:
        w.write_json("audit.json", {"schema_version": "1.0"})
    run = tmp_path / "r"
    procs = [subprocess.Popen([sys.executable, "-c", _APPEND, str(run), "30", name], cwd=ROOT)
             for name in ("ada", "bob", "eve", "max")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    report = verify_reviews(run)
    assert report["ok"] and report["entries"] == 120, report["problems"]
    assert verify_run(run)["ok"]
    assert sorted(p.name for p in run.iterdir()) == ["audit.json", "manifest.json", "reviews.jsonl", "reviews.lock"]
