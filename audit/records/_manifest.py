"""The manifest of a run directory: sha256 and size of every sealed file, and the comparison with it.

The lowest layer of run directories, shared by :mod:`audit.records.rundir` (which writes and verifies
runs) and :mod:`audit.records.review` (which appends to a sealed run's review record), so neither
imports the other for it.
"""

from __future__ import annotations

import hashlib
import re
import stat
from pathlib import Path
from typing import Any

from audit.exceptions import RunDirError

__all__ = ["MANIFEST_FILE", "REVIEWS_FILE", "REVIEWS_LOCK_FILE", "build_manifest", "compare_with_manifest", "manifest_sha256",
           "read_manifest"]

MANIFEST_FILE = "manifest.json"
REVIEWS_FILE = "reviews.jsonl"
#: The lock reviewers take while appending (an empty file; the record itself is never the lock file,
#: so no lock implementation can truncate or remove it).
REVIEWS_LOCK_FILE = "reviews.lock"
# Files that legitimately change after the run is sealed; they carry their own integrity checks.
_UNSEALED = {MANIFEST_FILE, REVIEWS_FILE, REVIEWS_LOCK_FILE}

_NOT_A_RUN = "{path} is not a run directory: {why}. Expected a folder written by 'rai-audit run' with audit.json and manifest.json."


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))
_SHA256 = re.compile(r"[0-9a-f]{64}")
_MANIFEST_FIX = "The run cannot be verified; re-run the audit, or restore manifest.json from a trusted copy."


def _sealed_files(directory: Path) -> dict[str, Path]:
    out = {}
    for p in sorted(directory.rglob("*")):
        if p.is_symlink():
            raise RunDirError(f"{p} is a symbolic link; run directories must contain regular files only.")
        mode = p.lstat().st_mode
        kind = next((name for test, name in _KINDS if test(mode)), None)
        if kind is not None:
            raise RunDirError(f"{p} is {kind}; run directories must contain regular files and folders only. "
                              "Remove it (it was not written by rai-audit) and verify again.")
        if p.is_file():
            rel = p.relative_to(directory).as_posix()
            if rel not in _UNSEALED:
                out[rel] = p
    return out


def _build_manifest(directory: Path) -> dict[str, Any]:
    files = {rel: {"sha256": _sha256(p), "bytes": p.stat().st_size} for rel, p in _sealed_files(directory).items()}
    return {"manifest_version": 1, "algorithm": "sha256", "files": files}


def build_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of a folder as :class:`~audit.records.rundir.RunDirWriter` seals it (every regular file but the
    manifest and the review record, with its sha256 and size); other sealed outputs (evidence packs) reuse it, so
    ``rai-audit verify`` checks them the same way."""
    return _build_manifest(Path(directory))


def read_manifest(run_dir: str | Path) -> dict[str, Any]:
    """The run's manifest as a dict."""
    from audit.records.files import load_json

    p = Path(run_dir) / MANIFEST_FILE
    if p.is_symlink():
        raise RunDirError(_NOT_A_RUN.format(path=run_dir, why=f"{MANIFEST_FILE} is a symbolic link (runs hold regular files only)"))
    if not p.exists():
        raise RunDirError(_NOT_A_RUN.format(path=run_dir, why=f"{MANIFEST_FILE} is missing"))
    data = load_json(p, what="Manifest", fix=_MANIFEST_FIX, error=RunDirError, limit="MANIFEST")
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise RunDirError(f"{p} has no 'files' table; the run cannot be verified.")
    bad = [rel for rel, entry in data["files"].items()
           if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str) or not _SHA256.fullmatch(entry["sha256"])]
    if bad:
        raise RunDirError(f"{p}: the entries for {bad[:5]} are not objects with a sha256 (64 hex digits), as rai-audit "
                          f"writes them. {_MANIFEST_FIX}")
    return data


def manifest_sha256(run_dir: str | Path) -> str:
    """sha256 of the manifest file's bytes: the identity of a sealed run (reviews sign it)."""
    from audit.records.files import check_file

    p = Path(run_dir) / MANIFEST_FILE
    if not p.exists() and not p.is_symlink():
        raise RunDirError(_NOT_A_RUN.format(path=run_dir, why=f"{MANIFEST_FILE} is missing"))
    return _sha256(check_file(p, what="Manifest", fix=_MANIFEST_FIX, error=RunDirError, limit="MANIFEST"))


def compare_with_manifest(run_dir: str | Path) -> dict[str, Any]:
    """The files added, removed and changed since the manifest was written (the review record aside).

    Returns
    -------
    dict
        ``run_dir``, ``manifest_sha256``, ``added``, ``removed``, ``changed`` (sorted relative
        paths) and ``files_checked``.
    """
    path = Path(run_dir)
    if not path.is_dir():
        why = "no such directory" if not path.exists() else "it is not a directory"
        raise RunDirError(_NOT_A_RUN.format(path=path, why=why))
    manifest = read_manifest(path)
    recorded: dict[str, Any] = manifest["files"]
    present = _sealed_files(path)
    return {
        "run_dir": str(path),
        "manifest_sha256": manifest_sha256(path),
        "added": sorted(set(present) - set(recorded)),
        "removed": sorted(set(recorded) - set(present)),
        "changed": sorted(rel for rel in set(present) & set(recorded) if _sha256(present[rel]) != recorded[rel].get("sha256")),
        "files_checked": len(recorded),
    }
