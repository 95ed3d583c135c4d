"""Records written by earlier versions (schema 1.0, 1.1, 1.2) are read losslessly, re-gated and rendered.

``tests/old_records/audit_1_*.json.gz`` are the ``audit.json`` of one small run (Adult, 1,500 rows, the reference model
only) written by the code of each schema version (the last commit before the next version).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from audit.config import GateSpec
from audit.result import AuditResult
from audit.verdict.gates import evaluate_gates
from reports import render_html, render_markdown

RECORDS = sorted((Path(__file__).parent / "old_records").glob("audit_1_*.json.gz"))


def _load(path: Path) -> dict:
    return json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))


def test_every_version_is_stored():
    assert [p.name for p in RECORDS] == ["audit_1_0.json.gz", "audit_1_1.json.gz", "audit_1_2.json.gz"]


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.name)
def test_an_old_record_reads_losslessly_and_keeps_its_meaning(path):
    data = _load(path)
    result = AuditResult.from_dict(data)
    assert result.to_dict() == data
    assert result.schema_version == data["schema_version"]
    assert result.kind.name == "binary" and result.input_kind == "table"
    gate = evaluate_gates([GateSpec(metric="demographic_parity_difference", feature="sex", model="reference", max=0.2)],
                          result)[0]
    # Records from 1.1 on carry the degenerate-model check; a gate on a degenerate model is inconclusive, as it was
    # when the record was written (its own verdict says so).
    degenerate = (data["models"]["reference"].get("degenerate") or {}).get("degenerate", False)
    assert gate.value is not None
    assert gate.outcome == ("inconclusive" if degenerate else "pass"), gate.message
    if degenerate:
        assert any("degenerate" in reason for reason in data["verdict_reasons"])


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: p.name)
def test_an_old_record_renders_its_cards(path):
    data = _load(path)
    md, html = render_markdown(data), render_html(data)
    assert "Verdict" in md and "VERDICT" in html
