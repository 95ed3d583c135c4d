"""The Releases page (``rai-audit compare`` in the dashboard) and the Evidence page (``rai-audit evidence``).

Releases: the verdict first in the CLI's words (PASS on a copy of a run, FAIL on a planted regression that breaks its
δ gate), the runs and gates kept in the URL, a pair that cannot be compared refused with the reason, the comparison
cached per pair and gates. Evidence: each framework renders, and the download is a zip whose manifest verifies.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.choices import EVIDENCE_FRAMEWORKS
from audit.records.rundir import manifest_sha256, verify_run
from tests.dashboard.conftest import APP, texts

_FEMALE_RATE = "selection_rate[sex=Female]@private"


def _reseal(run: Path) -> None:
    """Another release is another sealed run: the planted copy gets its own manifest."""
    from audit.records._manifest import MANIFEST_FILE, build_manifest

    (run / MANIFEST_FILE).unlink()
    (run / MANIFEST_FILE).write_text(json.dumps(build_manifest(run)), encoding="utf-8")


@pytest.fixture
def releases_root(runs_root) -> Path:
    """The synthetic root plus ``same`` (a copy of ``full``), ``worse`` (its private model selects no woman) and
    ``tampered`` (a copy of ``full`` changed after it was sealed)."""
    full = runs_root / "full"
    shutil.copytree(full, runs_root / "same")
    worse = shutil.copytree(full, runs_root / "worse")
    preds = pd.read_csv(worse / "predictions.csv", dtype={"sex": "string", "race": "string"})
    hit = (preds.model == "private") & (preds.sex == "Female")
    preds.loc[hit, "y_pred"] = 0
    preds.loc[hit, "y_score"] = np.minimum(preds.loc[hit, "y_score"], 0.3)
    preds.to_csv(worse / "predictions.csv", index=False)
    _reseal(worse)
    tampered = shutil.copytree(full, runs_root / "tampered")
    with open(tampered / "predictions.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    return runs_root


def _releases(root: Path, monkeypatch, *, baseline: str, candidate: str, gates: tuple[str, ...] = ()):
    """The Releases page opened from a link naming both runs (and gates), as a shared URL opens it."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RAI_AUDIT_RUNS_ROOT", str(root))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"run": candidate, "baseline": baseline, "candidate": candidate})
    if gates:
        at.query_params["gate"] = list(gates)
    at.run()
    at.switch_page("views/releases.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def _param(at, name: str) -> list[str]:
    value = at.query_params.get(name)
    return [value] if isinstance(value, str) else list(value or [])


def _changes_table(at) -> pd.DataFrame:
    """The last table of changes on the page (the table of every change)."""
    return [d.value for d in at.dataframe if "reading" in d.value.columns][-1]


def test_a_planted_regression_fails_its_gate_and_says_so(releases_root, monkeypatch):
    at = _releases(releases_root, monkeypatch, baseline="full", candidate="worse", gates=(f"{_FEMALE_RATE}=0.02",))
    assert at.error[0].value.startswith("**FAIL: a gated figure got worse by more than its δ**")
    assert "A (baseline): **full** · B (candidate): **worse**" in at.error[0].value
    reason = at.error[0].value.split("\n- ")[1].replace("\\", "")  # each gate's reason follows, in the CLI's words
    assert reason.startswith(f"**FAIL** {_FEMALE_RATE} (δ = 0.02): the worsening is at least")
    significant = at.dataframe[0].value
    assert _FEMALE_RATE in set(significant["figure"]) and significant["simultaneous interval of Δ"].str.match(r"^\[").all()
    assert at.multiselect(key="releases_gate_keys").value == [_FEMALE_RATE]
    assert _param(at, "gate") == [f"{_FEMALE_RATE}=0.02"] and _param(at, "baseline") == ["full"]
    assert "Data drift" in texts(at)


def test_a_copy_of_a_run_passes_its_gate(releases_root, monkeypatch):
    at = _releases(releases_root, monkeypatch, baseline="full", candidate="same", gates=("accuracy@private=0.02",))
    assert at.success[0].value.startswith("**PASS: no gated figure got worse by more than its δ**")
    assert not at.error
    assert "No figure changed significantly" in at.success[1].value
    # the table of every change filters by text, model and significance
    at.text_input(key="releases_filter").set_value("tpr[").run()
    shown = _changes_table(at)
    assert len(shown) and shown["figure"].str.startswith("tpr[").all()


def test_gates_are_picked_from_the_figures_the_cli_accepts(releases_root, monkeypatch):
    at = _releases(releases_root, monkeypatch, baseline="full", candidate="worse")
    assert "NO GATES" in at.info[0].value
    options = at.multiselect(key="releases_gate_keys").options
    assert "accuracy@private" in options and _FEMALE_RATE in options
    at.multiselect(key="releases_gate_keys").set_value([_FEMALE_RATE]).run()
    at.number_input(key=f"releases_delta_{_FEMALE_RATE}").set_value(0.5).run()
    assert not at.exception
    assert at.success[0].value.startswith("**PASS")  # the worsening (about 0.1) is within δ = 0.5
    assert _param(at, "gate") == [f"{_FEMALE_RATE}=0.5"]


def test_a_tampered_run_is_refused_with_the_reason_not_a_traceback(releases_root, monkeypatch):
    at = _releases(releases_root, monkeypatch, baseline="full", candidate="tampered")
    assert len(at.error) == 1 and "cannot be compared" in at.error[0].value
    said = at.error[0].value.replace("\\", "")  # the message is Markdown-escaped
    assert "Refusing to compare" in said and "changed: predictions.csv" in said
    assert not at.dataframe


def test_reruns_named_in_the_link_reach_the_comparison(releases_root, monkeypatch):
    """?rerun_a= names a rerun of the baseline's config (here a copy of it): the changes are judged against it."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RAI_AUDIT_RUNS_ROOT", str(releases_root))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"run": "worse", "baseline": "full", "candidate": "worse", "rerun_a": ["same"]})
    at.run()
    at.switch_page("views/releases.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.multiselect(key="releases_reruns_baseline").value == ["same"]
    assert not at.error
    assert "A and 1 rerun(s)" in " ".join(c.value for c in at.caption).replace("\\", "")


def test_the_comparison_is_cached_per_pair_and_gates(releases_root, monkeypatch):
    import audit.compare

    calls: list[tuple[str, str]] = []
    original = audit.compare.compare_runs

    def counted(a, b, **kwargs):
        calls.append((Path(a).name, Path(b).name))
        return original(a, b, **kwargs)

    monkeypatch.setattr(audit.compare, "compare_runs", counted)
    at = _releases(releases_root, monkeypatch, baseline="same", candidate="worse")
    at.checkbox(key="releases_only").check().run()
    at.run()
    assert not at.exception
    assert calls.count(("same", "worse")) == 1  # three page views, one bootstrap


@pytest.mark.parametrize("framework", EVIDENCE_FRAMEWORKS)
def test_evidence_renders_for_each_framework(app, synthetic_root, framework):
    from audit.evidence import FRAMEWORKS

    at = app(synthetic_root, run="full", page="evidence")
    at.radio(key="evidence_framework").set_value(framework).run()
    assert not at.exception and not at.error
    shown = texts(at)
    assert FRAMEWORKS[framework].rows[0].id in shown and "Not legal advice" in shown
    assert "sha256" in shown and "What a person must still supply" in "\n".join(t.label for t in at.tabs)
    assert _param(at, "framework") == [framework]
    assert len(at.get("download_button")) == 1


def test_the_evidence_zip_holds_a_pack_whose_manifest_verifies(synthetic_root, tmp_path):
    from audit.evidence import build_evidence
    from dashboard.views.evidence import evidence_zip
    from reports.evidence import render_evidence

    before = sorted((p.relative_to(synthetic_root), p.stat().st_mtime_ns) for p in synthetic_root.rglob("*"))
    doc = build_evidence(synthetic_root / "full", framework="nist-ai-rmf")
    data = evidence_zip(doc, render_evidence(doc), run_name="full")
    zipfile.ZipFile(io.BytesIO(data)).extractall(tmp_path)
    pack = tmp_path / "full-evidence-nist-ai-rmf"
    assert sorted(p.name for p in pack.iterdir()) == ["evidence-nist-ai-rmf.html", "evidence-nist-ai-rmf.json",
                                                      "evidence-nist-ai-rmf.md", "manifest.json"]
    report = verify_run(pack)
    assert report["ok"] and report["files_checked"] == 3
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["built_from"]["manifest_sha256"] == manifest_sha256(synthetic_root / "full")
    assert sorted((p.relative_to(synthetic_root), p.stat().st_mtime_ns) for p in synthetic_root.rglob("*")) == before


def test_html_in_run_and_group_names_stays_text_on_both_pages(tmp_path, monkeypatch):
    from tests.dashboard._synthetic import make_run
    from tests.dashboard.test_security import _UNESCAPED_TAG, HOSTILE_DIR

    make_run(tmp_path, HOSTILE_DIR, n=400, hostile=True)
    make_run(tmp_path, "next", n=400, hostile=True, seed=1)  # other rows: drift lists the hostile group's share
    at = _releases(tmp_path, monkeypatch, baseline=HOSTILE_DIR, candidate="next", gates=("accuracy@private=0.1",))
    labels = "\n".join(str(w.label) for w in at.number_input)
    assert not _UNESCAPED_TAG.search(texts(at) + labels), _UNESCAPED_TAG.search(texts(at) + labels)
    assert any("<script" in str(v) for df in at.dataframe for v in df.value.to_numpy().ravel())  # cells: shown as text
    at.switch_page("views/evidence.py")
    at.run()
    assert not at.exception and not _UNESCAPED_TAG.search(texts(at))
