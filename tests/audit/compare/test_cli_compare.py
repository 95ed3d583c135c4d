"""``rai-audit compare`` end to end on the session's real tiny run: exit codes, JSON, JUnit, refusals."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd

from audit.cli import main
from tests.audit.compare._runs import table, write_run


def _planted(tiny_run, tmp_path):
    """A copy of the tiny run whose private model no longer selects any woman."""
    copy = tmp_path / "worse"
    shutil.copytree(tiny_run, copy)
    preds = pd.read_csv(copy / "predictions.csv", dtype={"sex": "string", "race": "string"})
    hit = (preds.model == "private") & (preds.sex == "Female")
    preds.loc[hit, "y_pred"] = 0
    preds.loc[hit, "y_score"] = np.minimum(preds.loc[hit, "y_score"], 0.3)
    preds.to_csv(copy / "predictions.csv", index=False)
    _reseal(copy)  # another release is another sealed run
    return copy


def _reseal(run) -> None:
    from audit.records._manifest import MANIFEST_FILE, build_manifest

    (run / MANIFEST_FILE).unlink()
    (run / MANIFEST_FILE).write_text(json.dumps(build_manifest(run)), encoding="utf-8")


def test_a_run_changed_since_it_was_sealed_is_refused(tiny_run, tmp_path, capsys):
    copy = tmp_path / "tampered"
    shutil.copytree(tiny_run, copy)
    with open(copy / "predictions.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    assert main(["compare", str(tiny_run), str(copy)]) == 2
    err = capsys.readouterr().err
    assert "Refusing to compare" in err and "changed: predictions.csv" in err


def test_a_run_against_itself_passes_with_json_and_junit(tiny_run, tmp_path, capsys):
    junit = tmp_path / "ci" / "compare.xml"
    code = main(["compare", str(tiny_run), str(tiny_run), "--max-drop", "accuracy=0.05", "--json", "--n-boot", "200",
                 "--junit", str(junit)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["verdict"] == "pass" and out["paired"]
    assert not any(c["significant"] for c in out["changes"])
    assert {c["metric"] for c in out["changes"]} >= {"accuracy", "roc_auc", "tpr", "epsilon_spent"}
    assert 'failures="0"' in junit.read_text() and "max_drop:accuracy@private" in junit.read_text()


def test_a_planted_regression_fails_and_says_so_first(tiny_run, tmp_path, capsys):
    code = main(["compare", str(tiny_run), str(_planted(tiny_run, tmp_path)), "--max-drop",
                 "selection_rate[sex=Female]=0.02", "--n-boot", "200"])
    out = capsys.readouterr().out
    assert code == 1 and out.startswith("FAIL")
    assert "selection_rate[sex=Female]@private" in out.split("Other changes")[0]


def test_junit_inside_a_run_and_bad_input_exit_2(tiny_run, tmp_path, capsys):
    assert main(["compare", str(tiny_run), str(tiny_run), "--junit", str(tiny_run / "x.xml")]) == 2
    assert "outside every run directory" in capsys.readouterr().err
    assert main(["compare", str(tiny_run), str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_inconclusive_exits_1_unless_allowed(tmp_path, capsys):
    base = table(np.random.default_rng(0))
    a = write_run(tmp_path / "a", base)
    b = write_run(tmp_path / "b", table(np.random.default_rng(0), drop_female_tpr=0.055))
    args = ["compare", str(a), str(b), "--max-drop", "tpr[sex=Female]=0.05", "--n-boot", "200"]
    assert main(args) == 1 and capsys.readouterr().out.startswith("INCONCLUSIVE")
    assert main([*args, "--allow-inconclusive"]) == 0
