"""Evidence packs: each mapping table covers its provisions, every claim resolves in the run, the run is verified
first, the pack is sealed and never written inside a run, and hostile strings from the run stay inert."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from audit.choices import EVIDENCE_FRAMEWORKS
from audit.cli import main
from audit.evidence import FRAMEWORKS, SOURCES, evidence_files, resolve_pointer
from audit.records.review import add_review
from audit.records.rundir import manifest_sha256, verify_run
from tests.dashboard._synthetic import SCRIPT, make_run

# The provisions each table must map (issue 29): removing a row fails here.
REQUIRED = {
    "eu-ai-act": [
        "Art. 9(2)", "Art. 9(6)–(8)", "Art. 10(2)(f)", "Art. 10(2)(g)", "Art. 10(3)", "Art. 10(4)", "Art. 10(5)",
        "Art. 11(1), Annex IV(1)", "Annex IV(2)(b)", "Annex IV(2)(d)", "Annex IV(2)(e)", "Annex IV(2)(g)", "Annex IV(3)",
        "Annex IV(4)", "Art. 12", "Art. 13(3)(b)(ii)", "Art. 13(3)(b)(iv)", "Art. 13(3)(b)(v)", "Art. 13(3)(b)(vi)",
        "Art. 14(4)", "Art. 15(1), 15(3)", "Art. 15(4)", "Art. 15(5)", "Art. 72",
    ],
    "nist-ai-rmf": [
        "GOVERN 1.4", "GOVERN 1.6", "MAP 1.1", "MAP 2.3", "MAP 3.1", "MAP 3.2", "MAP 3.5", "MEASURE 1.1", "MEASURE 2.1",
        "MEASURE 2.3", "MEASURE 2.5", "MEASURE 2.6", "MEASURE 2.7", "MEASURE 2.8", "MEASURE 2.9", "MEASURE 2.10",
        "MEASURE 2.11", "MEASURE 2.12", "MEASURE 2.13", "MANAGE 1.1", "MANAGE 1.2", "MANAGE 1.3", "MANAGE 1.4", "MANAGE 4.1",
    ],
    "iso-42001": [
        "A.4.3", "A.4.4", "A.4.5", "A.5.4", "A.6.2.3", "A.6.2.4", "A.6.2.5", "A.6.2.6", "A.6.2.7", "A.6.2.8", "A.7.2",
        "A.7.3", "A.7.4", "A.7.5", "A.7.6", "A.8.2", "A.9.4",
    ],
}
# What a person must supply, by the provision that asks for it: intended purpose, risk acceptance, oversight design,
# post-market monitoring, QMS / management system, data governance beyond the table.
REQUIRED_SUPPLY = {
    "eu-ai-act": ["Art. 13(3)(b)(i)", "Art. 9(5)", "Art. 14(1)–(3)", "Art. 72(1)–(3)", "Art. 17", "Art. 10(2)(a)–(e)"],
    "nist-ai-rmf": ["MAP 1.1", "MANAGE 1.4", "MAP 3.5", "MEASURE 2.4", "GOVERN 1.2", "MAP 2.3"],
    "iso-42001": ["A.9.4", "clause 6.1.3", "A.9.2", "A.6.2.6", "A.2.2", "A.7.2"],
}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A small synthetic run with hostile strings in its names and one review (read-only: copy before changing)."""
    root = tmp_path_factory.mktemp("evidence-runs")
    path = make_run(root, "hostile", n=600, hostile=True, sections=("fairness", "privacy", "explainability", "compute", "cards"))
    add_review(path, reviewer="Ada <b>Lovelace</b>", decision="approve", comment="fine")
    return path


@pytest.fixture(scope="module")
def packs(run, tmp_path_factory) -> dict[str, Path]:
    """One evidence pack per framework, written by the command line."""
    out = tmp_path_factory.mktemp("packs")
    written = {}
    for fw in EVIDENCE_FRAMEWORKS:
        assert main(["evidence", str(run), "--framework", fw, "--out", str(out / fw)]) == 0
        written[fw] = out / fw
    return written


def test_the_registry_is_the_list_the_cli_offers():
    assert set(FRAMEWORKS) == set(EVIDENCE_FRAMEWORKS)


@pytest.mark.parametrize("framework", EVIDENCE_FRAMEWORKS)
def test_each_mapping_table_covers_its_provisions(framework):
    fw = FRAMEWORKS[framework]
    assert fw.row_ids() == REQUIRED[framework]
    for row in fw.rows:
        assert row.sources and set(row.sources) <= set(SOURCES), row.id
        assert row.gist and row.gap, row.id
    asked = {a for s in fw.supply for a in s.asked_by}
    assert set(REQUIRED_SUPPLY[framework]) <= asked


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("framework", EVIDENCE_FRAMEWORKS)
def test_every_claim_resolves_to_a_figure_or_a_file_of_the_run(run, packs, framework):
    doc = json.loads((packs[framework] / evidence_files(framework)["json"]).read_text(encoding="utf-8"))
    sources = {"audit.json": json.loads((run / "audit.json").read_text(encoding="utf-8")),
               "reviews.jsonl": _lines(run / "reviews.jsonl")}
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert doc["run"]["manifest_sha256"] == manifest_sha256(run)
    cited = {e for row in doc["rows"] for e in row["evidence"]}
    assert cited == set(doc["evidence"]) and cited  # every piece is cited by a row, every citation has a piece
    for key, piece in doc["evidence"].items():
        assert piece["shows"] and piece["does_not_show"], key
        assert piece["figures"] or piece["files"], key
        for f in piece["figures"]:
            assert resolve_pointer(sources[f["file"]], f["pointer"]) == f["value"], (key, f)
            if "interval" in f:
                assert resolve_pointer(sources[f["file"]], f["interval_pointer"]) == f["interval"], (key, f)
        for f in piece["files"]:
            on_disk = run / f["path"]
            assert on_disk.is_file(), (key, f)
            assert hashlib.sha256(on_disk.read_bytes()).hexdigest() == f["sha256"], (key, f)
            assert f["path"] in manifest or (f["path"] == "reviews.jsonl" and not f["sealed"]), (key, f)
    assert {"reviews", "disparities", "verdict", "privacy_dp"} <= set(doc["evidence"]) or framework == "iso-42001"


@pytest.mark.parametrize("framework", EVIDENCE_FRAMEWORKS)
def test_the_pack_is_sealed_by_its_own_manifest_naming_the_run(run, packs, framework):
    report = verify_run(packs[framework])
    assert report["ok"] and report["files_checked"] == 3
    manifest = json.loads((packs[framework] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["built_from"]["manifest_sha256"] == manifest_sha256(run)
    assert not [p for p in packs[framework].parent.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_hostile_strings_from_the_run_are_inert_in_html_and_markdown(packs):
    names = evidence_files("eu-ai-act")
    html = (packs["eu-ai-act"] / names["html"]).read_text(encoding="utf-8")
    md = (packs["eu-ai-act"] / names["markdown"]).read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html and "<b>Lovelace" not in html
    assert "&lt;script&gt;" in html and "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html
    assert SCRIPT not in md and "\\<script\\>" in md


def test_a_tampered_run_is_refused_naming_what_changed(run, tmp_path, capsys):
    copy = tmp_path / "runs" / "tampered"
    shutil.copytree(run, copy)
    with open(copy / "predictions.csv", "a", encoding="utf-8") as fh:
        fh.write("0,0,0\n")
    out = tmp_path / "pack"
    assert main(["evidence", str(copy), "--framework", "eu-ai-act", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "changed: predictions.csv" in err and "rai-audit verify" in err
    assert not out.exists()


def test_out_inside_a_run_is_refused_and_the_run_still_verifies(run, tmp_path, capsys):
    copy = tmp_path / "runs" / "r"
    shutil.copytree(run, copy)
    assert main(["evidence", str(copy), "--framework", "nist-ai-rmf", "--out", str(copy / "evidence")]) == 2
    assert "inside the sealed run" in capsys.readouterr().err
    assert not (copy / "evidence").exists() and verify_run(copy)["ok"]


def test_an_existing_pack_is_not_overwritten(run, packs, capsys):
    before = verify_run(packs["iso-42001"])["manifest_sha256"]
    assert main(["evidence", str(run), "--framework", "iso-42001", "--out", str(packs["iso-42001"])]) == 2
    assert "already exists" in capsys.readouterr().err
    assert verify_run(packs["iso-42001"])["manifest_sha256"] == before


def test_a_source_the_run_lacks_is_named_not_in_this_run(packs):
    doc = json.loads((packs["eu-ai-act"] / evidence_files("eu-ai-act")["json"]).read_text(encoding="utf-8"))
    rows = {r["id"]: r for r in doc["rows"]}
    assert "slices" not in doc["evidence"]  # the fixture ran no slice search
    assert "slices" in {m["id"] for m in rows["Art. 9(2)"]["not_in_this_run"]}
