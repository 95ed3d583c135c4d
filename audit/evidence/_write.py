"""Write an evidence pack atomically, sealed by its own manifest (checked by ``rai-audit verify`` like a run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audit.exceptions import RunDirError

__all__ = ["write_evidence"]

_EXISTS = "--out {out} already exists and is not empty. Choose another --out, or remove the old evidence pack first."
_IS_FILE = "--out {out} is a file, not a folder. Expected a folder for the evidence pack (created if absent); choose another --out."


def _check_out(out: Path) -> None:
    from audit.records.rundir import refuse_inside_run

    if out.exists() and not out.is_dir():
        raise RunDirError(_IS_FILE.format(out=out))
    if out.is_dir() and any(out.iterdir()):
        raise RunDirError(_EXISTS.format(out=out))
    refuse_inside_run(out, instead="Choose a folder outside every run directory (e.g. RUN_DIR-evidence beside the run)")


def write_evidence(out: str | Path, files: dict[str, str], *, built_from: dict[str, Any]) -> dict[str, Path]:
    """Write ``files`` (name → text) into the folder ``out``, with a ``manifest.json`` sealing them.

    The files are written by :class:`audit.records.rundir.RunDirWriter` into a hidden sibling, sealed and fsynced,
    and renamed to ``out`` (an empty ``out`` replaced), so ``out`` exists only when complete. The manifest lists each file's sha256 and
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
    from audit.records._manifest import MANIFEST_FILE
    from audit.records.rundir import RunDirWriter

    target = Path(out)
    _check_out(target)
    try:  # the run writer's way: a hidden sibling, sealed and fsynced, renamed into place
        with RunDirWriter(target, required=None, manifest_extra={"built_from": built_from}, replace_empty=True) as w:
            assert w.path is not None
            for name, text in files.items():
                (w.path / name).write_text(text, encoding="utf-8")
    except RunDirError as exc:
        raise RunDirError(str(exc).replace("the run under", "the evidence pack under")) from None
    return {name: target / name for name in [*files, MANIFEST_FILE]}
