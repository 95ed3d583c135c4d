"""The one reader (audit.records.files): regular files only, size limits, JSON depth, zip bombs."""

from __future__ import annotations

import json
import os
import threading
import zipfile

import pytest

from audit.exceptions import DataError, ModelError, RunDirError
from audit.records import files


@pytest.mark.parametrize("make, kind", [
    (lambda p: p.mkdir(), "a directory"),
    (lambda p: os.mkfifo(p), "a FIFO"),
])
def test_special_files_are_named_and_never_opened(tmp_path, make, kind):
    target = tmp_path / "thing"
    make(target)
    done = threading.Event()
    errors = []

    def read():
        try:
            files.read_bytes(target, what="Data file", fix="Fix data.path.", error=DataError, limit="DATA")
        except DataError as exc:
            errors.append(str(exc))
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(10), "reading blocked (the FIFO was opened)"
    assert kind in errors[0] and "not a regular file" in errors[0] and "Fix data.path." in errors[0]
    assert "does not exist" not in errors[0]


def test_a_device_is_named(tmp_path):
    with pytest.raises(DataError, match="character device"):
        files.read_bytes("/dev/zero", what="Data file", fix="", error=DataError, limit="DATA")


def test_missing_file_keeps_does_not_exist(tmp_path):
    with pytest.raises(RunDirError, match="does not exist"):
        files.check_file(tmp_path / "absent.json", what="Run file", fix="", error=RunDirError)


def test_size_limit_and_its_environment_variable(tmp_path, monkeypatch):
    p = tmp_path / "audit.toml"
    p.write_bytes(b"#" * ((1 << 20) + 1))
    with pytest.raises(DataError, match="RAI_AUDIT_MAX_CONFIG_BYTES"):
        files.read_bytes(p, what="Config file", fix="", error=DataError, limit="CONFIG")
    monkeypatch.setenv("RAI_AUDIT_MAX_CONFIG_BYTES", str(2 << 20))
    assert len(files.read_bytes(p, what="Config file", fix="", error=DataError, limit="CONFIG")) == (1 << 20) + 1
    monkeypatch.setenv("RAI_AUDIT_MAX_CONFIG_BYTES", "10")  # a limit is only ever raised
    assert files.limit_bytes("CONFIG") == 1 << 20


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_json_depth_limit_is_inclusive():
    assert files.json_depth(json.loads(_nested(files.MAX_JSON_DEPTH))) == files.MAX_JSON_DEPTH
    files.parse_json(_nested(files.MAX_JSON_DEPTH), where="x", fix="", error=RunDirError)
    with pytest.raises(RunDirError, match="nested more than 100 levels"):
        files.parse_json(_nested(files.MAX_JSON_DEPTH + 1), where="x", fix="", error=RunDirError)


def test_json_nested_beyond_the_parser_is_refused_not_a_recursion_error():
    with pytest.raises(RunDirError, match="nested more than"):
        files.parse_json(_nested(200_000), where="x", fix="", error=RunDirError)


def test_invalid_json_names_the_file_and_fix(tmp_path):
    p = tmp_path / "manifest.json"
    p.write_text("{", encoding="utf-8")
    with pytest.raises(RunDirError, match=r"manifest.json is not valid JSON .*restore it"):
        files.load_json(p, what="Manifest", fix="restore it", error=RunDirError, limit="MANIFEST")


def test_zip_declared_size_over_the_limit_is_refused_before_inflating(tmp_path, monkeypatch):
    p = tmp_path / "model.pt"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("m/data/0", b"x" * 4096)
    monkeypatch.setitem(files._LIMITS, "WEIGHTS", 1024)
    with pytest.raises(ModelError, match="would inflate to 4,096 bytes, over the limit"):
        files.check_zip(p, what="Weights file", fix="", error=ModelError, limit="WEIGHTS")


def test_zip_with_a_high_ratio_member_is_refused(tmp_path):
    p = tmp_path / "model.pt"
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("m/data.pkl", b"\0" * (8 << 20))
    with pytest.raises(ModelError, match="member 'm/data.pkl' declares"):
        files.check_zip(p, what="Weights file", fix="", error=ModelError, limit="WEIGHTS")


def test_real_torch_weights_pass_the_zip_check(tmp_path):
    torch = pytest.importorskip("torch")
    p = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(300, 300).state_dict(), p)
    files.check_zip(p, what="Weights file", fix="", error=ModelError, limit="WEIGHTS")


def test_not_a_zip_is_left_to_its_reader(tmp_path):
    p = tmp_path / "model.pt"
    p.write_bytes(b"not a zip")
    files.check_zip(p, what="Weights file", fix="", error=ModelError, limit="WEIGHTS")
