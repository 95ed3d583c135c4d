"""Evidence packs: a sealed run mapped, provision by provision, to a governance framework.

For each article, subcategory or control of a framework (EU AI Act, NIST AI RMF 1.0, ISO/IEC 42001:2023
Annex A) the document cites the evidence the run holds: figures with their intervals (each with the JSON
pointer of its value in ``audit.json``), files with the sha256 the run's manifest records, gates and
reviews; each piece says what it shows and what it does not, and each framework lists what a person
must still supply. A mapping of evidence, not legal advice.

A framework is one module holding its mapping table as data (``_eu_ai_act``, ``_nist_ai_rmf``,
``_iso_42001``), registered in :data:`FRAMEWORKS`; evidence sources are registered functions over the
run (``_sources*``). Rendering to Markdown and HTML lives with the other readers (:mod:`reports.evidence`).

Examples
--------
>>> sorted(FRAMEWORKS)
['eu-ai-act', 'iso-42001', 'nist-ai-rmf']
>>> FRAMEWORKS["nist-ai-rmf"].rows[0].id
'GOVERN 1.4'
"""

from audit.evidence import _eu_ai_act, _iso_42001, _nist_ai_rmf, _sources_audits, _sources_record  # noqa: F401 - registration
from audit.evidence._build import DISCLAIMER, EVIDENCE_VERSION, build_evidence
from audit.evidence._model import FRAMEWORKS, Framework, Row, Supply, register_framework
from audit.evidence._sources import SOURCES, resolve_pointer
from audit.evidence._write import write_evidence

__all__ = [
    "DISCLAIMER",
    "EVIDENCE_VERSION",
    "FRAMEWORKS",
    "SOURCES",
    "Framework",
    "Row",
    "Supply",
    "build_evidence",
    "evidence_files",
    "register_framework",
    "resolve_pointer",
    "write_evidence",
]


def evidence_files(framework: str) -> dict[str, str]:
    """The names of an evidence pack's documents by format.

    Examples
    --------
    >>> evidence_files("eu-ai-act")["html"]
    'evidence-eu-ai-act.html'
    """
    return {fmt: f"evidence-{framework}.{ext}" for fmt, ext in (("markdown", "md"), ("html", "html"), ("json", "json"))}
