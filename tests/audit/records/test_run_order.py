"""The order of runs under a root: creation time from the record, never the folder's modification time."""

from __future__ import annotations

import json
import os
from pathlib import Path

from audit.records.review import add_review
from audit.records.rundir import RunDirWriter, list_runs, run_created


def _run(root: Path, name: str, created_at: str | None) -> Path:
    with RunDirWriter(root / name) as w:
        run = {"name": name} | ({"created_at": created_at} if created_at is not None else {})
        (w.path / "audit.json").write_text(json.dumps({"schema_version": "1.0", "run": run}))
    return root / name


def test_runs_are_listed_by_creation_time_not_modification_time(tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    new = _run(root, "a-new", "2025-06-01T00:00:00+00:00")
    old = _run(root, "z-old", "2025-01-01T00:00:00Z")  # written last: the newest folder on disk
    assert list_runs(root) == [new, old]


def test_recording_a_review_does_not_reorder_the_runs(tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    old = _run(root, "old", "2025-01-01T00:00:00Z")
    new = _run(root, "new", "2025-06-01T00:00:00Z")
    os.utime(old, (1, 1))
    os.utime(new, (2, 2))
    assert list_runs(root) == [new, old]
    add_review(old, reviewer="Rita", decision="reject", comment="")  # touches the old run's folder
    assert list_runs(root) == [new, old]


def test_a_run_without_created_at_falls_back_to_its_manifest(tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    run = _run(root, "legacy", None)
    os.utime(run / "manifest.json", (1_000, 1_000))
    os.utime(run, (2_000_000_000, 2_000_000_000))  # a folder touched later (e.g. by a review) changes nothing
    assert run_created(run) == 1_000
    dated = _run(root, "dated", "2001-01-01T00:00:00Z")
    assert list_runs(root) == [dated, run]
