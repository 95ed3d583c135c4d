"""Resolve a framework's mapping table against a verified run: the evidence document as a dict."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from audit.evidence._model import FRAMEWORKS, Framework
from audit.evidence._sources import SOURCES, RunView
from audit.exceptions import ConfigError, RunDirError

__all__ = ["DISCLAIMER", "EVIDENCE_VERSION", "build_evidence"]

EVIDENCE_VERSION = 1
DISCLAIMER = ("This document maps evidence recorded in one audit run to the provisions of a governance framework. It is "
              "not legal advice, not a conformity assessment and not a certification: whether a provision applies and "
              "whether it is met is for the provider, the deployer and the competent authorities to decide. Each piece "
              "of evidence says what it does not show; the last section lists what a person must still supply.")

_UNKNOWN = "Unknown framework {name!r}. Expected one of {known}; pass --framework with one of them."


def _framework(name: str) -> Framework:
    if name not in FRAMEWORKS:
        raise ConfigError(_UNKNOWN.format(name=name, known=", ".join(sorted(FRAMEWORKS))))
    return FRAMEWORKS[name]


def _verified(run: Path) -> dict[str, Any]:
    """The run's verification report; a changed run or a broken review record is refused (exit 2)."""
    from audit.records.rundir import require_intact_run

    return require_intact_run(run, use="build evidence from")


def _reviews_file(run: Path, reviews: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The review record as a cited file: outside the manifest (it grows), so its sha256 is taken now."""
    if not reviews:
        return None
    from audit.records.files import read_bytes
    from audit.records.rundir import REVIEWS_FILE

    raw = read_bytes(run / REVIEWS_FILE, what="Review record", fix="Restore reviews.jsonl from a trusted copy.",
                     error=RunDirError, limit="REVIEWS")
    return {"path": REVIEWS_FILE, "sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw), "sealed": False,
            "note": "hash-chained review record, outside the manifest; sha256 taken when this document was built"}


def _pieces(view: RunView, framework: Framework, run: Path) -> dict[str, dict[str, Any]]:
    """Each cited source resolved once: its figures and files, or nothing when the run holds none."""
    out: dict[str, dict[str, Any]] = {}
    for name in dict.fromkeys(s for row in framework.rows for s in row.sources):
        src = SOURCES[name]
        found = src.find(view)
        if name == "reviews" and (f := _reviews_file(run, view.reviews)) is not None:
            found.files.append(f)
        if found.figures or found.files:
            out[name] = {"id": name, "title": src.title, "shows": src.shows, "does_not_show": src.does_not_show,
                         "figures": found.figures, "files": found.files, "notes": found.notes}
    return out


def _rows(framework: Framework, pieces: dict[str, dict[str, Any]], view: RunView) -> list[dict[str, Any]]:
    rows = []
    for row in framework.rows:
        cited = [s for s in row.sources if s in pieces]
        missing = [{"id": s, "title": SOURCES[s].title} for s in row.sources if s not in pieces and SOURCES[s].applies(view)]
        rows.append({"id": row.id, "title": row.title, "gist": row.gist, "coverage": row.coverage if cited else "none",
                     "evidence": cited, "not_in_this_run": missing, "gap": row.gap})
    return rows


def build_evidence(run_dir: str | Path, *, framework: str) -> dict[str, Any]:
    """The evidence document of a sealed run for one framework (a JSON-serialisable dict).

    The run is verified against its manifest first (a changed file or a broken review record is refused with
    :class:`~audit.exceptions.RunDirError`); every file is read through the bounded reader. Each row of the
    framework's mapping table cites the pieces of evidence the run holds; each figure carries the JSON pointer
    of its value in ``audit.json`` (``file`` names ``reviews.jsonl`` for reviews) and each file the sha256 the
    run's manifest records.

    Parameters
    ----------
    run_dir : path
        A run directory written by ``rai-audit run``.
    framework : {"eu-ai-act", "nist-ai-rmf", "iso-42001"}

    Examples
    --------
    >>> doc = build_evidence("runs/adult", framework="eu-ai-act")  # doctest: +SKIP
    >>> doc["rows"][0]["id"], doc["run"]["verified"]  # doctest: +SKIP
    ('Art. 9(2)', True)
    """
    from audit.records.review import read_reviews
    from audit.records.rundir import REVIEWS_FILE, load_result, read_manifest

    fw = _framework(framework)
    run = Path(run_dir)
    report = _verified(run)
    result = load_result(run)
    manifest = read_manifest(run)
    reviews = read_reviews(run) if (run / REVIEWS_FILE).exists() else []
    view = RunView(result=result, manifest_files=manifest["files"], reviews=reviews)
    pieces = _pieces(view, fw, run)
    rows = _rows(fw, pieces, view)
    card = result.get("run", {}).get("card") if isinstance(result.get("run"), dict) else None
    return {
        "evidence_version": EVIDENCE_VERSION,
        "framework": {"key": fw.key, "title": fw.title, "citation": fw.citation, "source_url": fw.source_url,
                      "notes": list(fw.notes)},
        "disclaimer": DISCLAIMER,
        "run": {"path": str(run), "name": (result.get("run") or {}).get("name"), "created_at": (result.get("run") or {}).get("created_at"),
                "model_name": card.get("model_name") if isinstance(card, dict) else None, "task": result.get("task"),
                "verdict": result.get("verdict"), "audited_model": view.audited_model,
                "manifest_sha256": report["manifest_sha256"], "files_checked": report["files_checked"], "verified": True,
                "reviews": len(reviews)},
        "rows": rows,
        "evidence": pieces,
        "must_supply": [{"item": s.item, "why": s.why, "asked_by": list(s.asked_by)} for s in fw.supply],
        "counts": {"rows": len(rows), "rows_with_evidence": sum(1 for r in rows if r["evidence"]),
                   "figures": sum(len(p["figures"]) for p in pieces.values()),
                   "files": len({f["path"] for p in pieces.values() for f in p["files"]})},
    }
