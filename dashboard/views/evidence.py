"""Evidence: the selected run mapped to the EU AI Act, NIST AI RMF or ISO/IEC 42001 (``rai-audit evidence``).

The document is built by :func:`audit.evidence.build_evidence` (the run verified against its manifest first, every
file through the bounded reader) and rendered by :func:`reports.evidence.render_evidence`; the page shows its
Markdown (no raw HTML is rendered in the app) and offers the pack as a zip built in memory: the three documents and a
``manifest.json`` sealing them as ``rai-audit evidence`` writes it, so ``rai-audit verify`` checks the unpacked
folder. Nothing is written anywhere, least of all under the runs root.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from functools import partial
from typing import Any

import streamlit as st

from audit.choices import EVIDENCE_FRAMEWORKS
from audit.exceptions import AuditError
from audit.records.rundir import REVIEWS_FILE
from dashboard._data import md_escape
from dashboard._state import Run
from dashboard._ui import error, radio, require_run

__all__ = ["evidence_zip", "render"]

FRAMEWORK_PARAM = "framework"
_KEY = "evidence_framework"
_SECTION = re.compile(r"^## ", re.M)
_H3 = re.compile(r"^### ", re.M)  # a provision's heading one step smaller: Streamlit draws h3 as large as a page heading


@st.cache_data(max_entries=16, show_spinner="Building the evidence document (the run is verified first)…")
def _pack(path: str, sha: str, framework: str, reviews: tuple[int, int]) -> tuple[dict[str, Any], dict[str, str]]:
    # sha and the review record's (size, mtime) are in the key only: a re-written run or a new review builds afresh
    from audit.evidence import build_evidence
    from reports.evidence import render_evidence

    doc = build_evidence(path, framework=framework)
    return doc, render_evidence(doc)


def _reviews_stamp(run: Run) -> tuple[int, int]:
    try:
        info = (run.path / REVIEWS_FILE).lstat()
    except OSError:
        return (0, 0)
    return (info.st_size, info.st_mtime_ns)


def evidence_zip(doc: dict[str, Any], texts: dict[str, str], *, run_name: str) -> bytes:
    """The evidence pack as a zip, built in memory: ``RUN-evidence-F/`` holding the Markdown, HTML and JSON documents
    and a ``manifest.json`` sealing them, as ``rai-audit evidence`` writes the folder (``rai-audit verify`` checks it).

    Examples
    --------
    >>> data = evidence_zip(doc, render_evidence(doc), run_name="adult")  # doctest: +SKIP
    >>> zipfile.ZipFile(io.BytesIO(data)).namelist()[-1]  # doctest: +SKIP
    'adult-evidence-eu-ai-act/manifest.json'
    """
    from audit.evidence import evidence_files

    framework = doc["framework"]["key"]
    files = {name: texts[fmt].encode("utf-8") for fmt, name in evidence_files(framework).items()}
    # the manifest of audit.records (build_manifest) and the pack's built_from, as audit.evidence.write_evidence writes them
    manifest = {"manifest_version": 1, "algorithm": "sha256",
                "files": {n: {"sha256": hashlib.sha256(b).hexdigest(), "bytes": len(b)} for n, b in sorted(files.items())},
                "built_from": {"run": doc["run"]["name"], "run_path": run_name, "framework": framework,
                               "manifest_sha256": doc["run"]["manifest_sha256"]}}
    folder = f"{run_name}-evidence-{framework}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in [*files.items(), ("manifest.json", json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8"))]:
            archive.writestr(f"{folder}/{name}", data)
    return buffer.getvalue()


def _framework() -> str:
    """The framework picked (kept in the URL as ``?framework=``)."""
    from audit.evidence import FRAMEWORKS

    wanted = st.query_params.get(FRAMEWORK_PARAM)
    if _KEY not in st.session_state:
        st.session_state[_KEY] = wanted if wanted in EVIDENCE_FRAMEWORKS else EVIDENCE_FRAMEWORKS[0]
    chosen = radio("Framework", list(EVIDENCE_FRAMEWORKS), key=_KEY, horizontal=True,
                   format_func=lambda k: FRAMEWORKS[k].title)
    if st.query_params.get(FRAMEWORK_PARAM) != chosen:
        st.query_params[FRAMEWORK_PARAM] = chosen
    return chosen


def _sections(markdown: str) -> tuple[str, list[tuple[str, str]]]:
    """The document's preamble, and its numbered sections as (heading, body)."""
    head, *parts = _SECTION.split(markdown)
    out = []
    for part in parts:
        title, _, body = part.partition("\n")
        out.append((title.strip(), body))
    return head, out


def _summary(doc: dict[str, Any]) -> None:
    c = doc["counts"]
    cols = st.columns(5)
    for col, (label, value) in zip(cols, (("Provisions mapped", c["rows"]), ("With evidence in this run", c["rows_with_evidence"]),
                                          ("Figures cited", c["figures"]), ("Files cited (sha256)", c["files"]),
                                          ("Items a person must supply", len(doc["must_supply"]))), strict=True):
        col.metric(label, value)


def render() -> None:
    """The Evidence page: pick a framework; the mapping, provision by provision, and the pack as a zip."""
    run = require_run()
    st.title("Evidence for governance frameworks")
    st.caption("`rai-audit evidence` in the dashboard: each provision with the evidence this run holds (figures with "
               "their intervals, files with their sha256), what each piece shows and does not show, and what a person "
               "must still supply (docs/evidence.md). A mapping of evidence, not legal advice.")
    framework = _framework()
    try:
        doc, texts = _pack(str(run.path), run.sha, framework, _reviews_stamp(run))
    except AuditError as exc:
        error(exc)
        return
    _summary(doc)
    st.download_button("Download the evidence pack (zip: Markdown, HTML, JSON and manifest)",
                       data=partial(evidence_zip, doc, texts, run_name=run.name), mime="application/zip",
                       file_name=f"{run.name}-evidence-{framework}.zip", key="evidence_zip",
                       help="Unpack it and check it with `rai-audit verify FOLDER`; it is built here, nothing is written.")
    head, sections = _sections(texts["markdown"])
    with st.container(border=True):
        st.markdown(head.split("\n", 1)[1] if head.startswith("# ") else head)  # the page's title says the first line
    tabs = st.tabs([md_escape(title) for title, _ in sections])
    for tab, (_, body) in zip(tabs, sections, strict=True):
        tab.markdown(_H3.sub("#### ", body))


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
