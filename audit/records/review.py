"""The review record of a run: an append-only, hash-chained, optionally signed ``reviews.jsonl``.

Each line is one JSON entry::

    {"version": 1, "index": 0, "reviewer": "...", "decision": "approve" | "reject", "comment": "...",
     "created_at": "<ISO 8601 UTC>", "manifest_sha256": "<sha256 of manifest.json>",
     "prev_hash": "<entry_hash of the previous entry, or 64 zeros>", "entry_hash": "<sha256 of this entry>",
     "signature": null | {"algorithm": "ed25519", "public_key": "<base64 raw key>", "key_fingerprint": "<sha256 hex>",
                          "value": "<base64 signature over the entry's canonical bytes>"}}

``entry_hash`` is the sha256 of the entry's canonical JSON (sorted keys, no
whitespace) without ``entry_hash`` and ``signature``. Each entry names the hash
of the one before it, so editing, deleting or reordering any entry breaks the
chain; each names the manifest it reviewed, so re-sealing a changed run under
the old reviews is caught. A chain alone cannot reveal that its *last* entries
were cut off: :func:`verify_reviews` reports the ``head`` hash so a CI system
or a ticket can pin it. Signatures prove who reviewed only for a public key
you trust: pass ``trusted_keys`` to check that too.

Examples
--------
>>> import tempfile, pathlib
>>> from audit.records.rundir import RunDirWriter
>>> run = pathlib.Path(tempfile.mkdtemp()) / "run"
>>> with RunDirWriter(run) as w:
...     _ = (w.path / "audit.json").write_text('{"schema_version": "1.0"}')
>>> entry = add_review(run, reviewer="Ada", decision="approve", comment="looks fine")
>>> verify_reviews(run)["ok"], entry["index"]
(True, 0)
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from filelock import FileLock

from audit.choices import REVIEW_DECISIONS
from audit.exceptions import AuditError, RunDirError
from audit.records._manifest import (
    REVIEWS_FILE,
    REVIEWS_LOCK_FILE,
    compare_with_manifest,
    manifest_sha256,
    read_manifest,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

__all__ = ["DECISIONS", "GENESIS_HASH", "add_review", "key_fingerprint", "read_reviews", "verify_reviews"]

DECISIONS = REVIEW_DECISIONS
GENESIS_HASH = "0" * 64
ENTRY_VERSION = 1
MAX_REVIEWER_CHARS = 200
MAX_COMMENT_CHARS = 20_000
_FIELDS = ("version", "index", "reviewer", "decision", "comment", "created_at", "manifest_sha256", "prev_hash")

_BAD_REVIEWER = "The reviewer name is {found}. Expected a non-empty name of at most {n} characters on one line; pass --reviewer NAME."
_BAD_DECISION = "The decision is {found!r}. Expected one of {choices}; pass --decision approve or --decision reject."
_CONTROL = ("The {what} holds control characters ({found}). Expected plain text: terminal escape sequences and invisible "
            "characters would be stored in the record and replayed wherever it is shown; remove them.")
_BAD_COMMENT = "The comment has {found} characters. Expected at most {n}; shorten it or link to a document."
_BAD_INPUT = "Cannot record the review: {problems}"
_RUN_CHANGED = ("Refusing to review {run}: it no longer matches its manifest ({diff}). A review must refer to the run "
                "exactly as it was written; re-run the audit, or restore the original files and check with 'rai-audit verify'.")
_CHAIN_BROKEN = ("Refusing to append to the review record of {run}: it is not intact ({problems}). "
                 "Restore reviews.jsonl from a trusted copy; 'rai-audit verify' lists the problems.")
_KEY_MISSING = ("The signing key {path} does not exist. Expected an Ed25519 private key in PEM format "
                "(e.g. 'openssl genpkey -algorithm ed25519 -out key.pem').")
_KEY_FIX = "Expected an Ed25519 private key in PEM format (e.g. 'openssl genpkey -algorithm ed25519 -out key.pem')."
_KEY_BAD = ("The signing key {path} cannot be used: {why}. Expected an unencrypted Ed25519 private key in PEM format "
            "(create one with 'openssl genpkey -algorithm ed25519 -out key.pem').")
_READ_FAILED = "Cannot read the review record of {run}: {problems}"
_RECORD_FIX = "Restore reviews.jsonl from a trusted copy; 'rai-audit verify' lists the problems."


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical({k: entry.get(k) for k in _FIELDS})).hexdigest()


def key_fingerprint(public_raw: bytes) -> str:
    """sha256 (hex) of a raw 32-byte Ed25519 public key: the identity a reviewer publishes.

    Examples
    --------
    >>> len(key_fingerprint(bytes(32)))
    64
    """
    return hashlib.sha256(public_raw).hexdigest()


def _load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from audit.records.files import read_bytes

    p = Path(path)
    if not p.exists():
        raise AuditError(_KEY_MISSING.format(path=p))
    pem = read_bytes(p, what="The signing key", fix=_KEY_FIX, error=AuditError, limit="KEY")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise AuditError(_KEY_BAD.format(path=p, why=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)) from None
    except OSError as exc:
        raise AuditError(_KEY_BAD.format(path=p, why=exc.strerror or exc)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError(_KEY_BAD.format(path=p, why=f"it is a {type(key).__name__.lstrip('_')}, not Ed25519"))
    return key


def _parse_lines(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    """Entries and problems; a line that is not a JSON object is a problem, never skipped silently.

    The file goes through the tool's one reader (regular file, size limit); each line through its
    JSON parser (nesting-depth limit).
    """
    from audit.records.files import parse_json, read_text

    try:
        text = read_text(path, what="Review record", fix=_RECORD_FIX, error=RunDirError, limit="REVIEWS")
    except RunDirError as exc:
        return [], [str(exc)]
    entries, problems = [], []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    elif lines:
        problems.append(f"line {len(lines)}: the last line has no newline (a partial write or an edit)")
    for n, line in enumerate(lines, start=1):
        try:
            obj = parse_json(line, where=f"line {n}", fix="", error=RunDirError)
        except RunDirError as exc:
            problems.append(str(exc).strip())
            continue
        if not isinstance(obj, dict):
            problems.append(f"line {n}: not a JSON object")
            continue
        obj["_line"] = n
        entries.append(obj)
    return entries, problems


def read_reviews(run_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The review entries of a run, oldest first (empty when none were recorded).

    The entries are returned as recorded; use :func:`verify_reviews` to check them.

    Examples
    --------
    >>> import tempfile
    >>> read_reviews(tempfile.mkdtemp())
    []
    """
    path = Path(run_dir) / REVIEWS_FILE
    if not path.exists() and not path.is_symlink():
        return []
    entries, problems = _parse_lines(path)
    if problems and not entries:
        raise RunDirError(_READ_FAILED.format(run=run_dir, problems="; ".join(problems[:3])))
    for e in entries:
        e.pop("_line", None)
    return entries


def _check_signature(entry: dict[str, Any], where: str, trusted: set[str] | None) -> list[str]:
    sig = entry.get("signature")
    if sig is None:
        return [f"{where}: unsigned, but only reviews signed by a trusted key are accepted"] if trusted else []
    if not isinstance(sig, dict) or sig.get("algorithm") != "ed25519":
        return [f"{where}: signature has an unknown form (expected algorithm 'ed25519')"]
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw = base64.b64decode(str(sig.get("public_key", "")), validate=True)
        value = base64.b64decode(str(sig.get("value", "")), validate=True)
        Ed25519PublicKey.from_public_bytes(raw).verify(value, _canonical({k: entry.get(k) for k in _FIELDS}))
    except (ValueError, InvalidSignature):
        return [f"{where}: the Ed25519 signature does not verify (the entry or the signature was altered)"]
    problems = []
    fp = key_fingerprint(raw)
    if sig.get("key_fingerprint") not in (None, fp):
        problems.append(f"{where}: the recorded key fingerprint does not match the public key")
    if trusted is not None and fp not in trusted:
        problems.append(f"{where}: signed by key {fp[:16]}…, which is not among the trusted keys")
    return problems


def verify_reviews(
    run_dir: str | os.PathLike[str],
    *,
    trusted_keys: list[str] | None = None,
) -> dict[str, Any]:
    """Check the review record of a run: hash chain, entry hashes, manifest references and signatures.

    Parameters
    ----------
    run_dir : path
        The run directory.
    trusted_keys : list of str, optional
        Fingerprints (:func:`key_fingerprint`, hex) of reviewer keys to accept. When given,
        every entry must be signed by one of them.

    Returns
    -------
    dict
        ``{"ok": bool, "entries": int, "problems": [str], "head": str | None, "signed": int}``;
        ``head`` is the last entry's hash (pin it elsewhere to detect a truncated record).

    Examples
    --------
    >>> import tempfile
    >>> verify_reviews(tempfile.mkdtemp())["ok"]
    True
    """
    run = Path(run_dir)
    path = run / REVIEWS_FILE
    if not path.exists():
        return {"ok": True, "entries": 0, "problems": [], "head": None, "signed": 0}
    if path.is_symlink():
        return {"ok": False, "entries": 0, "problems": [f"{REVIEWS_FILE} is a symbolic link, not a regular file"],
                "head": None, "signed": 0}
    entries, problems = _parse_lines(path)
    try:
        current_manifest = manifest_sha256(run)
    except RunDirError:
        current_manifest = None
        problems.append("the run has no manifest.json, so the reviews cannot be tied to it")
    trusted = {k.strip().lower() for k in trusted_keys} if trusted_keys is not None else None
    prev = GENESIS_HASH
    signed = 0
    for i, e in enumerate(entries):
        where = f"entry {i} (line {e.get('_line')})"
        missing = [k for k in (*_FIELDS, "entry_hash") if k not in e]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
        if e.get("index") != i:
            problems.append(f"{where}: index is {e.get('index')!r}, expected {i} (an entry was removed, added or reordered)")
        if e.get("prev_hash") != prev:
            problems.append(f"{where}: prev_hash does not match the previous entry (the history was edited)")
        recomputed = _entry_hash(e)
        if e.get("entry_hash") != recomputed:
            problems.append(f"{where}: entry_hash does not match its content (the entry was edited)")
        if e.get("decision") not in DECISIONS:
            problems.append(f"{where}: decision {e.get('decision')!r} is not one of {list(DECISIONS)}")
        if current_manifest is not None and e.get("manifest_sha256") != current_manifest:
            problems.append(f"{where}: reviewed a different manifest ({str(e.get('manifest_sha256'))[:16]}…) than the run's "
                            f"current one ({current_manifest[:16]}…); the run was re-sealed after this review")
        problems += _check_signature(e, where, trusted)
        signed += isinstance(e.get("signature"), dict)
        prev = str(e.get("entry_hash"))
    return {"ok": not problems, "entries": len(entries), "problems": problems,
            "head": prev if entries else None, "signed": signed}


def _validate(reviewer: Any, decision: Any, comment: Any) -> list[str]:
    problems = []
    if not isinstance(reviewer, str) or not reviewer.strip() or len(reviewer) > MAX_REVIEWER_CHARS or "\n" in reviewer or "\r" in reviewer:
        found = "empty" if not isinstance(reviewer, str) or not reviewer.strip() else (
            f"{len(reviewer)} characters long" if len(reviewer) > MAX_REVIEWER_CHARS else "on several lines")
        problems.append(_BAD_REVIEWER.format(found=found, n=MAX_REVIEWER_CHARS))
    if decision not in DECISIONS:
        problems.append(_BAD_DECISION.format(found=decision, choices=list(DECISIONS)))
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT_CHARS:
        problems.append(_BAD_COMMENT.format(found=len(comment) if isinstance(comment, str) else "no text", n=MAX_COMMENT_CHARS))
    for what, text, allowed in (("reviewer name", reviewer, ""), ("comment", comment, "\n\t")):
        bad = _control_characters(text, allowed) if isinstance(text, str) else []
        if bad:
            problems.append(_CONTROL.format(what=what, found=", ".join(bad[:5])))
    return problems


def _control_characters(text: str, allowed: str) -> list[str]:
    """Control characters (terminal escapes, NUL, bidi overrides, zero-width...) in ``text``, as escapes; the record is
    shown in terminals and cards. The set is the one cards and the dashboard make visible (:mod:`audit._visible`)."""
    from audit._visible import control_characters

    return control_characters(text, allowed=allowed)


def add_review(
    run_dir: str | os.PathLike[str],
    *,
    reviewer: str,
    decision: str,
    comment: str = "",
    key_path: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Append a review to the run's ``reviews.jsonl`` and return the new entry.

    Refused (with :class:`~audit.exceptions.RunDirError`) when the run differs from its
    manifest or its review record is not intact; bad arguments raise
    :class:`~audit.exceptions.AuditError` listing every problem. Concurrent reviewers are
    serialised by a file lock, so the chain never forks.

    Parameters
    ----------
    run_dir : path
        A run directory written by ``rai-audit run``.
    reviewer : str
        Who reviewed (one line, at most 200 characters).
    decision : {"approve", "reject"}
    comment : str
        Free text (at most 20,000 characters).
    key_path : path, optional
        An Ed25519 private key (PEM, unencrypted) to sign the entry with.

    Examples
    --------
    >>> entry = add_review("runs/adult-income-20250101T000000Z", reviewer="Ada", decision="approve")  # doctest: +SKIP
    >>> entry["prev_hash"]  # doctest: +SKIP
    '0000000000000000000000000000000000000000000000000000000000000000'
    """
    problems = _validate(reviewer, decision, comment)
    if problems:
        raise AuditError(_BAD_INPUT.format(problems=" ".join(problems)), problems=problems)
    key = _load_private_key(key_path) if key_path is not None else None
    run = Path(run_dir)
    read_manifest(run)  # a clear error when this is not a sealed run
    path = run / REVIEWS_FILE
    if path.is_symlink():
        raise RunDirError(f"{path} is a symbolic link; the review record must be a regular file in the run.")
    _intact(run)  # refuse before creating the record or the lock; checked again under the lock
    existed = path.exists()
    try:
        fh = open(path, "a+", encoding="utf-8")
    except OSError as exc:
        raise RunDirError(f"Cannot open {path} for appending: {exc.strerror or exc}. Check the run directory's permissions.") from None
    try:
        entry = _append_locked(fh, run, reviewer=reviewer, decision=decision, comment=comment, key=key)
    except BaseException:
        if not existed and path.is_file() and path.stat().st_size == 0:
            path.unlink()  # a refused first review leaves no empty record behind
        raise
    return entry


def _record_lock(run: Path) -> FileLock:
    """An exclusive OS lock (``flock`` on POSIX) on ``RUN/reviews.lock``, through filelock.

    It blocks until free; the OS releases it if the holder dies (no soft-lock fallback, which
    could outlive a killed reviewer). The lock file stays in place (removing a lock file races
    with the next holder); the manifest leaves it out, like the record.
    """
    return FileLock(run / REVIEWS_LOCK_FILE, fallback_to_soft=False, preserve_lock_file=True)


def _intact(run: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The manifest comparison and the chain check; refused unless the run and its record are intact."""
    report = compare_with_manifest(run)
    diff = {k: report[k] for k in ("added", "removed", "changed") if report.get(k)}
    if diff:
        raise RunDirError(_RUN_CHANGED.format(run=run, diff="; ".join(f"{k}: {', '.join(v)}" for k, v in diff.items())))
    chain = verify_reviews(run)
    if not chain["ok"]:
        raise RunDirError(_CHAIN_BROKEN.format(run=run, problems="; ".join(chain["problems"][:5])))
    return report, chain


def _append_locked(fh: IO[str], run: Path, *, reviewer: str, decision: str, comment: str,
                   key: Ed25519PrivateKey | None) -> dict[str, Any]:
    with fh, _record_lock(run):  # held until close: read-last-entry and append are one step
        report, chain = _intact(run)
        entry: dict[str, Any] = {
            "version": ENTRY_VERSION,
            "index": chain["entries"],
            "reviewer": reviewer.strip(),
            "decision": decision,
            "comment": comment,
            "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "manifest_sha256": report["manifest_sha256"],
            "prev_hash": chain["head"] or GENESIS_HASH,
        }
        entry["entry_hash"] = _entry_hash(entry)
        entry["signature"] = None
        if key is not None:
            from cryptography.hazmat.primitives import serialization

            raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            entry["signature"] = {
                "algorithm": "ed25519",
                "public_key": base64.b64encode(raw).decode("ascii"),
                "key_fingerprint": key_fingerprint(raw),
                "value": base64.b64encode(key.sign(_canonical({k: entry[k] for k in _FIELDS}))).decode("ascii"),
            }
        fh.seek(0, os.SEEK_END)
        fh.write(json.dumps(entry, ensure_ascii=False, allow_nan=False, sort_keys=True) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return entry
