"""Run directories: written atomically, described by a manifest, verified on demand.

A run is built in a hidden temporary sibling (``.<name>.tmp-<pid>-<random>``)
and renamed into place only once every file and the manifest are written, so
a run directory that exists under its final name is always complete. A crash
leaves at most a hidden temporary folder, which readers ignore.

Layout of a run directory::

    audit.json         the AuditResult
    manifest.json      sha256 and size of every other file (except reviews.jsonl and reviews.lock)
    predictions.csv    one row per test example and model
    models/            weights (state dicts) and preprocessor.json
    model_card.{md,html,json}
    reviews.jsonl      append-only review record (hash-chained; see audit.records.review)
    reviews.lock       the reviewers' lock (empty; outside the manifest)

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> with RunDirWriter(root / "run1") as w:
...     _ = (w.path / "audit.json").write_text('{"schema_version": "1.0"}')
>>> verify_run(root / "run1")["ok"]
True
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path
from types import TracebackType
from typing import Any

from audit.exceptions import RunDirError
from audit.records._manifest import (
    _NOT_A_RUN,
    MANIFEST_FILE,
    REVIEWS_FILE,
    _build_manifest,
    compare_with_manifest,
    manifest_sha256,
    read_manifest,
)
from audit.records.review import verify_reviews

__all__ = [
    "AUDIT_FILE",
    "MANIFEST_FILE",
    "REVIEWS_FILE",
    "RunDirWriter",
    "confine",
    "enclosing_run",
    "is_complete_run",
    "list_runs",
    "load_result",
    "manifest_sha256",
    "read_manifest",
    "refuse_inside_run",
    "require_intact_run",
    "run_created",
    "verify_run",
]

AUDIT_FILE = "audit.json"

_EXISTS = "Run directory {path} already exists. Choose another --out, or remove the old run first."
_UNWRITABLE = "Cannot write the run under {parent}: {error}. Choose a writable --out directory."
_CORRUPT_FIX = "The run is corrupt; re-run the audit."
_ESCAPES = "{path} is outside the runs root {root}. Only runs under the root can be opened."
_OUT_INSIDE = ("{flag} {out} is inside the sealed run {run}: writing there changes files its manifest covers, so "
               "'rai-audit verify' would fail and new reviews would be refused. {instead}.")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class RunDirWriter:
    """Context manager that builds a sealed folder (a run directory) in a temporary folder and renames it into place.

    Parameters
    ----------
    final_path : Path
        Where the complete folder will appear. Must not exist yet (or be an empty folder, with
        ``replace_empty``).
    required : str or None
        A file the folder must hold to be published (a run's ``audit.json``; None: any content).
    manifest_extra : dict, optional
        Keys added to the manifest (an evidence pack's ``built_from``).
    replace_empty : bool
        An existing empty folder at ``final_path`` is replaced by the complete one.

    Notes
    -----
    Write files under :attr:`path` inside the ``with`` block. On success the
    manifest is written, files are fsynced and the folder renamed (atomic on
    one filesystem). On any exception the temporary folder is removed.
    """

    def __init__(self, final_path: str | Path, *, required: str | None = AUDIT_FILE,
                 manifest_extra: dict[str, Any] | None = None, replace_empty: bool = False) -> None:
        self.final_path = Path(final_path)
        self.path: Path | None = None
        self.required, self.manifest_extra, self.replace_empty = required, manifest_extra or {}, replace_empty

    def _taken(self) -> bool:
        """Whether ``final_path`` holds something the writer may not replace."""
        if not self.final_path.exists():
            return False
        return not (self.replace_empty and self.final_path.is_dir() and not any(self.final_path.iterdir()))

    def __enter__(self) -> RunDirWriter:
        if self._taken():
            raise RunDirError(_EXISTS.format(path=self.final_path))
        parent = self.final_path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            tmp = parent / f".{self.final_path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
            tmp.mkdir()
        except OSError as exc:
            raise RunDirError(_UNWRITABLE.format(parent=parent, error=exc.strerror or exc)) from None
        self.path = tmp
        return self

    def write_json(self, name: str, data: Any) -> Path:
        """Write ``data`` as indented UTF-8 JSON (NaN refused) under the run."""
        assert self.path is not None
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False), encoding="utf-8")
        return target

    def seal(self) -> None:
        """Write the manifest and fsync everything; called on successful exit."""
        assert self.path is not None
        manifest = {**_build_manifest(self.path), **self.manifest_extra}
        (self.path / MANIFEST_FILE).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
        for p in self.path.rglob("*"):
            if p.is_file():
                with open(p, "rb") as fh:
                    os.fsync(fh.fileno())
        _fsync_dir(self.path)

    def _publish(self) -> None:
        assert self.path is not None
        if self.required is not None and not (self.path / self.required).is_file():
            raise RunDirError(f"Internal error: the run in {self.path} has no {self.required}; nothing was published.")
        self.seal()
        if self._taken():
            raise RunDirError(_EXISTS.format(path=self.final_path))
        if self.final_path.is_dir():  # an empty folder given as --out: replaced by the complete one
            self.final_path.rmdir()
        os.rename(self.path, self.final_path)
        _fsync_dir(self.final_path.parent)

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self.path is not None
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            if isinstance(exc, OSError) and not isinstance(exc, RunDirError):
                # A full disk or a vanished folder while writing files: a clear error, nothing published.
                raise RunDirError(_UNWRITABLE.format(parent=self.final_path.parent, error=exc.strerror or exc)) from None
            return
        try:
            self._publish()
        except OSError as exc:
            shutil.rmtree(self.path, ignore_errors=True)
            if isinstance(exc, RunDirError):
                raise
            raise RunDirError(_UNWRITABLE.format(parent=self.final_path.parent, error=exc.strerror or exc)) from None
        except BaseException:
            shutil.rmtree(self.path, ignore_errors=True)
            raise


def confine(path: str | Path, root: str | Path) -> Path:
    """Resolve ``path`` (relative paths against ``root``) and refuse it unless it lies under ``root``.

    Symbolic links are resolved first, so a link pointing outside is refused too.
    """
    root_r = Path(root).resolve()
    p = Path(path)
    resolved = (p if p.is_absolute() else root_r / p).resolve()
    if resolved != root_r and root_r not in resolved.parents:
        raise RunDirError(_ESCAPES.format(path=path, root=root_r))
    return resolved


def enclosing_run(path: str | Path) -> Path | None:
    """The run directory ``path`` lies in (or is), at any depth, or None: the nearest folder holding a run's
    ``audit.json``, or its ``manifest.json`` beside ``models/`` (a web project's manifest.json alone is no run),
    links resolved. Writing there would change a sealed run.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (run / "audit.json").write_text("{}")
    >>> enclosing_run(run / "models" / "new") == run.resolve(), enclosing_run(run.parent / "elsewhere")
    (True, None)
    """
    resolved = Path(path).resolve()
    for folder in (resolved, *resolved.parents):
        try:
            if (folder / AUDIT_FILE).is_file() or ((folder / MANIFEST_FILE).is_file() and (folder / "models").is_dir()):
                return folder
        except OSError:  # an unreadable ancestor holds no run we could have written
            continue
    return None


def refuse_inside_run(out: str | Path, *, flag: str = "--out", instead: str = "Choose a folder outside the run") -> None:
    """Raise :class:`RunDirError` when the output folder ``out`` lies inside a run directory (see :func:`enclosing_run`).

    ``instead`` ends the message (what to write to instead). ``card``, ``score`` and ``run`` call it on their
    ``--out`` before anything is written.
    """
    run = enclosing_run(out)
    if run is not None:
        raise RunDirError(_OUT_INSIDE.format(flag=flag, out=out, run=run, instead=instead))


def is_complete_run(path: Path) -> bool:
    """A published run: a visible folder with audit.json and manifest.json."""
    return path.is_dir() and not path.name.startswith(".") and (path / AUDIT_FILE).is_file() and (path / MANIFEST_FILE).is_file()


def list_runs(root: str | Path) -> list[Path]:
    """Complete runs directly under ``root`` (temporary and partial folders skipped), newest first.

    Ordered by :func:`run_created` (ties by name), never by the folder's modification time: recording a
    review writes into the run's folder and must not move it to the top of a reviewer's list.
    """
    r = Path(root)
    if not r.is_dir():
        return []
    runs = [p for p in r.iterdir() if is_complete_run(p)]
    return sorted(runs, key=lambda p: (-run_created(p), p.name))


_CREATED: dict[tuple[str, int, int], float] = {}  # (audit.json, size, mtime_ns) -> created; bounded below


def run_created(run_dir: str | Path) -> float:
    """When a run was created, as a POSIX timestamp: its ``run.created_at``, else the time ``manifest.json`` was sealed.

    ``audit.json`` is read through the bounded reader once per file version (cached by size and modification
    time), so listing a root of many runs on every dashboard rerun stays cheap. A run whose record is unreadable
    or has no parseable ``created_at`` falls back to its manifest's modification time (written once, when the run
    is sealed; the review record lives beside it and leaves it untouched), then to 0.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (run / "audit.json").write_text('{"schema_version": "1.0", "run": {"created_at": "2025-01-01T00:00:00Z"}}')
    >>> run_created(run)
    1735689600.0
    """
    import datetime as _dt

    audit = Path(run_dir) / AUDIT_FILE
    try:
        st = audit.stat()
        key = (str(audit), st.st_size, st.st_mtime_ns)
    except OSError:
        key = None
    if key is not None and key in _CREATED:
        return _CREATED[key]
    created = None
    try:
        raw = load_result(run_dir).get("run")
        text = raw.get("created_at") if isinstance(raw, dict) else None
        if isinstance(text, str):
            when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            created = (when if when.tzinfo else when.replace(tzinfo=_dt.timezone.utc)).timestamp()
    except (RunDirError, ValueError):
        created = None
    if created is None:
        try:
            created = (Path(run_dir) / MANIFEST_FILE).stat().st_mtime
        except OSError:
            created = 0.0
    if key is not None:
        if len(_CREATED) > 4096:
            _CREATED.clear()
        _CREATED[key] = created
    return created


def load_result(run_dir: str | Path, *, root: str | Path | None = None) -> dict[str, Any]:
    """Read ``audit.json`` of a run as a dict, with clear errors for missing or corrupt runs.

    Parameters
    ----------
    run_dir : path
        The run directory.
    root : path, optional
        When given, ``run_dir`` must lie under it (the dashboard passes its runs root).
    """
    from audit.records.files import load_json

    path = confine(run_dir, root) if root is not None else Path(run_dir)
    if not path.is_dir():
        why = "no such directory" if not path.exists() else "it is a file, not a directory"
        raise RunDirError(_NOT_A_RUN.format(path=path, why=why))
    audit = path / AUDIT_FILE
    if audit.is_symlink():
        raise RunDirError(_NOT_A_RUN.format(path=path, why=f"{AUDIT_FILE} is a symbolic link (runs hold regular files only)"))
    if not audit.exists():
        raise RunDirError(_NOT_A_RUN.format(path=path, why=f"{AUDIT_FILE} is missing"))
    data = load_json(audit, what="Run file", fix=_CORRUPT_FIX, error=RunDirError, limit="AUDIT")
    if not isinstance(data, dict) or "schema_version" not in data:
        raise RunDirError(_NOT_A_RUN.format(path=path, why=f"{AUDIT_FILE} has no schema_version"))
    return data


def verify_run(run_dir: str | Path) -> dict[str, Any]:
    """Compare a run directory with its manifest, and check its review record when it has one.

    Returns
    -------
    dict
        ``ok`` (bool), ``added``, ``removed`` and ``changed`` (lists of relative paths),
        ``manifest_sha256`` and ``reviews`` (the review-chain check, when reviews exist).
    """
    path = Path(run_dir)
    report = compare_with_manifest(path)
    ok = not (report["added"] or report["removed"] or report["changed"])
    if (path / REVIEWS_FILE).exists():
        report["reviews"] = verify_reviews(path)
        ok = ok and report["reviews"]["ok"]
    report["ok"] = ok
    return report


_CHANGED = ("Refusing to {use} {run}: it no longer matches its manifest ({diff}). It must be read exactly as it was "
            "sealed; restore the original files (check with 'rai-audit verify {run}') or re-run the audit.")
_REVIEWS_BROKEN = ("Refusing to {use} {run}: its review record is not intact ({problems}). Restore reviews.jsonl "
                   "from a trusted copy; 'rai-audit verify' lists the problems.")


def require_intact_run(run_dir: str | Path, *, use: str) -> dict[str, Any]:
    """:func:`verify_run`'s report, or a :class:`RunDirError` naming what changed (``use``: what was to be done).

    Examples
    --------
    >>> require_intact_run("/no/such/run", use="compare")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    RunDirError: ...
    """
    run = Path(run_dir)
    report = verify_run(run)
    diff = [f"{kind}: {', '.join(report[kind][:5])}{' …' if len(report[kind]) > 5 else ''}"
            for kind in ("changed", "added", "removed") if report.get(kind)]
    if diff:
        raise RunDirError(_CHANGED.format(use=use, run=run, diff="; ".join(diff)))
    reviews = report.get("reviews")
    if reviews and not reviews.get("ok"):
        raise RunDirError(_REVIEWS_BROKEN.format(use=use, run=run,
                                                 problems="; ".join(map(str, reviews.get("problems", [])[:3]))))
    return report
