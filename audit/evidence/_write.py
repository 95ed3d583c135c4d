"""Write an evidence pack atomically, sealed by its own manifest (checked by ``rai-audit verify`` like a run)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from audit.exceptions import RunDirError

__all__ = ["write_evidence"]

_EXISTS = "--out {out} already exists and is not empty. Choose another --out, or remove the old evidence pack first."
_IS_FILE = "--out {out} is a file, not a folder. Expected a folder for the evidence pack (created if absent); choose another --out."
_UNWRITABLE = "Cannot write the evidence pack under {parent}: {error}. Choose a writable --out."


def _check_out(out: Path) -> None:
    from audit.records.rundir import refuse_inside_run

    if out.exists() and not out.is_dir():
        raise RunDirError(_IS_FILE.format(out=out))
    if out.is_dir() and any(out.iterdir()):
        raise RunDirError(_EXISTS.format(out=out))
    refuse_inside_run(out, instead="Choose a folder outside every run directory (e.g. RUN_DIR-evidence beside the run)")


def write_evidence(out: str | Path, files: dict[str, str], *, built_from: dict[str, Any]) -> dict[str, Path]:
    """Write ``files`` (name → text) into the folder ``out``, with a ``manifest.json`` sealing them.

    The files are written into a hidden sibling (``.<out>.tmp-<pid>-<random>``) renamed to ``out`` once the
    manifest is written, so ``out`` exists only when complete. The manifest lists each file's sha256 and
    size, as a run's does, plus ``built_from`` (the run and its manifest's sha256), so ``rai-audit verify OUT``
    checks the pack. ``out`` inside a run directory, or a non-empty ``out``, is refused.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "pack"
    >>> paths = write_evidence(out, {"evidence.md": "# x\\n"}, built_from={"manifest_sha256": "0" * 64})
    >>> sorted(p.name for p in out.iterdir())
    ['evidence.md', 'manifest.json']
    """
    from audit.records._manifest import MANIFEST_FILE, build_manifest

    target = Path(out)
    _check_out(target)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = parent / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir()
    except OSError as exc:
        raise RunDirError(_UNWRITABLE.format(parent=parent, error=exc.strerror or exc)) from None
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        manifest = {**build_manifest(tmp), "built_from": built_from}
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
        if target.is_dir():  # an empty folder given as --out: replaced by the complete pack
            target.rmdir()
        os.rename(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RunDirError(_UNWRITABLE.format(parent=parent, error=exc.strerror or exc)) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {name: target / name for name in [*files, MANIFEST_FILE]}
