"""Run directories: verify passes on a fresh run and on a copy elsewhere, fails on any change."""

from __future__ import annotations

import json
import shutil

import pytest

from audit.cli import main
from audit.exceptions import RunDirError
from audit.records.rundir import RunDirWriter, confine, list_runs, load_result, verify_run


@pytest.fixture
def run(tmp_path):
    with RunDirWriter(tmp_path / "runs" / "r1") as w:
        (w.path / "models").mkdir()
        (w.path / "models" / "reference.pt").write_bytes(b"\x00weights" * 100)
        w.write_json("audit.json", {"schema_version": "1.0", "run": {"name": "r1"}})
    return tmp_path / "runs" / "r1"


def _flip_one_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_fresh_run_verifies(run):
    report = verify_run(run)
    assert report["ok"] and report["files_checked"] == 2 and not (report["added"] or report["removed"] or report["changed"])


@pytest.mark.parametrize("rel", ["audit.json", "models/reference.pt"])
def test_one_changed_byte_is_caught(run, rel):
    _flip_one_byte(run / rel)
    report = verify_run(run)
    assert not report["ok"] and report["changed"] == [rel]
    assert main(["verify", str(run)]) == 1


def test_added_and_removed_files_are_caught(run):
    (run / "extra.txt").write_text("x")
    (run / "models" / "reference.pt").unlink()
    report = verify_run(run)
    assert report["added"] == ["extra.txt"] and report["removed"] == ["models/reference.pt"] and not report["ok"]


def test_copy_on_another_path_verifies(run, tmp_path):
    copy = tmp_path / "elsewhere" / "deep" / "copy-of-r1"
    shutil.copytree(run, copy)
    assert verify_run(copy)["ok"]
    assert all(not k.startswith("/") for k in json.loads((copy / "manifest.json").read_text())["files"])


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(ValueError):
        with RunDirWriter(tmp_path / "runs" / "r2") as w:
            (w.path / "audit.json").write_text("{}")
            raise ValueError("crash mid-write")
    assert list((tmp_path / "runs").iterdir()) == []


def test_confine_refuses_escapes(run, tmp_path):
    root = tmp_path / "runs"
    assert confine("r1", root) == run.resolve()
    with pytest.raises(RunDirError, match="outside the runs root"):
        confine("../..", root)
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(RunDirError):
        confine("link", root)


def test_list_and_load(run, tmp_path):
    assert list_runs(tmp_path / "runs") == [run]
    assert load_result(run)["run"]["name"] == "r1"
    (run / "audit.json").write_text("{not json")
    with pytest.raises(RunDirError, match="not valid JSON"):
        load_result(run)


def test_verify_cli_json_and_missing_manifest(run, capsys):
    assert main(["verify", str(run), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True
    (run / "manifest.json").unlink()
    assert main(["verify", str(run)]) == 2
