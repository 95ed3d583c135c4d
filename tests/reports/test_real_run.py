"""The cards of a real pipeline run (``tiny_run``): schema-valid, parsed by huggingface_hub, escaped, verifiable,
numbers equal to Fairlearn's from predictions.csv, and rendered by Chromium when it is installed."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from audit.cli import main
from audit.records.rundir import load_result, verify_run
from reports import build_card_data, schema_problems

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")


def test_real_audit_json_matches_the_schema(tiny_run):
    assert schema_problems(load_result(tiny_run)) == []


def test_cards_written_and_consistent(tiny_run):
    result = load_result(tiny_run)
    assert result["artifacts"]["cards"] == {"markdown": "model_card.md", "html": "model_card.html", "json": "model_card.json"}
    card = json.loads((tiny_run / "model_card.json").read_text())
    assert card == json.loads(json.dumps(build_card_data(result)))
    assert {card[k]["status"] for k in card["section_order"]} <= {"ok", "not run"}


def test_huggingface_loads_the_real_card(tiny_run):
    from huggingface_hub import ModelCard

    card = ModelCard.load(tiny_run / "model_card.md")
    result = load_result(tiny_run)
    acc = {r.metric_name: r.metric_value for r in card.data.eval_results if r.metric_type == "accuracy"}
    assert acc["Test accuracy (private model)"] == pytest.approx(result["models"]["private"]["test_accuracy"])


def test_script_in_model_name_is_escaped_everywhere(tiny_run):
    html = (tiny_run / "model_card.html").read_text()
    md = (tiny_run / "model_card.md").read_text().split("---", 2)[2]
    # The Markdown escapes '<' with a backslash (CommonMark: a literal '<'), so no '<' there is unescaped.
    assert "<script" not in html.lower() and not re.search(r"(?<!\\)<", md)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
    assert not [u for u in urls if re.match(r"(?i)(https?:)?//", u)]


def test_card_group_rates_equal_fairlearn_from_predictions(tiny_run):
    from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate

    preds = pd.read_csv(tiny_run / "predictions.csv", dtype={"sex": str})
    card = json.loads((tiny_run / "model_card.json").read_text())
    for model in ("reference", "private"):
        p = preds[preds["model"] == model]
        mf = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate},
                         y_true=p["y_true"], y_pred=p["y_pred"], sensitive_features=p["sex"])
        block = next(a for a in card["quantitative_analyses"]["unitary"] if a["model"] == model and a["feature"] == "sex")
        for g in block["groups"]:
            assert g["metrics"]["selection_rate"]["value"] == pytest.approx(mf.by_group.loc[g["group"], "selection_rate"], abs=1e-12)
            assert g["metrics"]["tpr"]["value"] == pytest.approx(mf.by_group.loc[g["group"], "tpr"], abs=1e-12)
        dpd = next(d for d in block["disparities"] if d["name"] == "demographic_parity_difference")
        assert dpd["value"] == pytest.approx(mf.difference()["selection_rate"], abs=1e-12)


def test_verify_then_tamper_then_review(tiny_run_copy):
    assert verify_run(tiny_run_copy)["ok"]
    assert main(["review", str(tiny_run_copy), "--reviewer", "Ada", "--decision", "approve", "--comment", "ok"]) == 0
    assert main(["verify", str(tiny_run_copy)]) == 0
    weights = next((tiny_run_copy / "models").glob("*.pt"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert main(["verify", str(tiny_run_copy)]) == 1
    assert main(["review", str(tiny_run_copy), "--reviewer", "Bob", "--decision", "approve"]) == 2


def test_junit_from_real_run(tiny_run, tmp_path):
    import xml.etree.ElementTree as ET

    from reports.junit import write_junit

    result = load_result(tiny_run)
    write_junit(result, tmp_path / "g.xml")
    cases = ET.parse(tmp_path / "g.xml").getroot().findall(".//testcase")
    assert len(cases) == len(result["gates"])


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed")
def test_chromium_renders_the_card(tiny_run, tmp_path):
    shot = tmp_path / "card.png"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", f"--screenshot={shot}", "--window-size=1200,3000",
                    (tiny_run / "model_card.html").as_uri()], capture_output=True, timeout=120, check=False)
    assert shot.is_file() and shot.stat().st_size > 50_000  # a blank page is a few kB
