"""An unwritable output directory or a full disk: a clear error (exit 2) and nothing left behind."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from audit.cli import main

CONFIG = """
name = "disk"
[data]
bundled = "adult"
target = "income"
positive_label = ">50K"
sensitive_features = ["sex"]
drop_columns = ["fnlwgt", "education"]
max_rows = 150
[model]
hidden = [4]
[training]
epochs = 1
[privacy]
enabled = false
membership_inference = false
identifier_scan = false
[fairness]
n_boot = 0
mitigation = "none"
[explain]
enabled = false
"""


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / "disk.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def _run(config: Path, out: Path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["run", str(config), "--out", str(out), "--quiet"])
    return code, capsys.readouterr().err


def test_output_parent_is_a_file(config, tmp_path, capsys):
    blocker = tmp_path / "runs"
    blocker.write_text("not a folder", encoding="utf-8")
    before = _tree(tmp_path)
    code, err = _run(config, blocker / "out", capsys)
    assert code == 2 and "Traceback" not in err and "likely a bug" not in err
    assert "Cannot write the run" in err and "writable --out" in err
    assert _tree(tmp_path) == before


def test_permission_denied(config, tmp_path, capsys, monkeypatch):
    # Tests may run as root, where chmod does not stop writes: refuse the mkdir the way a read-only mount would.
    out_parent = tmp_path / "ro"
    out_parent.mkdir()
    real_mkdir = os.mkdir

    def mkdir(path, *args, **kwargs):
        if str(path).startswith(str(out_parent)):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    before = _tree(tmp_path)
    code, err = _run(config, out_parent / "run", capsys)
    assert code == 2 and "Permission denied" in err and "writable --out" in err and "likely a bug" not in err
    assert _tree(tmp_path) == before


def _fill_disk_on(monkeypatch, module, name: str, after: int = 0) -> None:
    """Make ``module.name`` raise ENOSPC (after ``after`` successful calls)."""
    real = getattr(module, name)
    calls = {"n": 0}

    def full(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, full)


def test_full_disk_while_sealing_the_run(config, tmp_path, capsys, monkeypatch):
    import audit.records.rundir as rundir

    # The manifest is written last, inside the writer's own error handling.
    _fill_disk_on(monkeypatch, rundir, "_build_manifest")
    before = _tree(tmp_path)
    code, err = _run(config, tmp_path / "runs" / "out", capsys)
    assert code == 2 and "No space left on device" in err and "likely a bug" not in err
    assert _tree(tmp_path) - before <= {"runs"}  # the parent may be created; nothing inside it
    assert not any((tmp_path / "runs").iterdir())


def test_full_disk_while_writing_weights_leaves_nothing(config, tmp_path, capsys, monkeypatch):
    import torch

    _fill_disk_on(monkeypatch, torch, "save")
    before = _tree(tmp_path)
    code, err = _run(config, tmp_path / "runs" / "out", capsys)
    assert code == 2 and "Traceback" not in err
    assert _tree(tmp_path) - before <= {"runs"}
    assert not any((tmp_path / "runs").iterdir()), "a temporary run folder was left behind"


def test_full_disk_while_writing_weights_says_what_to_do(config, tmp_path, capsys, monkeypatch):
    import torch

    _fill_disk_on(monkeypatch, torch, "save")
    code, err = _run(config, tmp_path / "runs" / "out", capsys)
    assert code == 2 and "No space left on device" in err and "likely a bug" not in err and "writable --out" in err
