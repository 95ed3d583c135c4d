"""The externally-trained-model example runs through the public API and writes a valid run."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pandas as pd
import pytest
from fairlearn.metrics import demographic_parity_difference

from audit.records.rundir import verify_run
from reports import schema_problems

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_external_model_example_audits_and_matches_fairlearn(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("audit_external", REPO / "examples/external_model/audit_external.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    out = tmp_path / "external"
    monkeypatch.setattr(sys, "argv", ["audit_external.py", "--out", str(out)])
    example.main()
    printed = capsys.readouterr().out
    assert "verdict pass" in printed and "demographic parity difference (sex)" in printed
    result = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert schema_problems(result) == [] and verify_run(out)["ok"]
    assert set(result["models"]) == {"reference"} and result["privacy"]["dp"] is None
    assert result["models"]["reference"]["test_accuracy"] > 0.8
    preds = pd.read_csv(out / "predictions.csv", keep_default_na=False)
    ours = result["fairness"]["reference"]["by_feature"]["sex"]["disparities"]["demographic_parity_difference"]["value"]
    assert abs(ours - demographic_parity_difference(preds["y_true"], preds["y_pred"], sensitive_features=preds["sex"])) <= 1e-12
