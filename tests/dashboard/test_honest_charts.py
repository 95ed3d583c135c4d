"""Charts that do not mislead, and the mitigation trade-off in one row (issue 25, items 4 and 5).

The calibration chart promised a diagonal it did not draw; the privacy–utility axis ran 0.853–0.857 with no
intervals; eight pastel ROC curves in one chart could not be told apart; disparities and group figures were named
in snake_case; the mitigation table put a long description between the method and its figures, so the disparities
were off-screen at 1,400 px.
"""

from __future__ import annotations

import json

import pandas as pd

from dashboard import _charts as charts
from dashboard.views.fairness import mitigation_frame


def _specs(at) -> list[dict]:
    """Each chart's Vega-Lite spec, its data sets (Streamlit sends them apart, as Arrow) under ``"datasets"``."""
    import pyarrow as pa

    out = []
    for c in at.get("vega_lite_chart"):
        spec = json.loads(c.proto.spec)
        spec["datasets"] = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in c.proto.datasets}
        out.append(spec)
    return out


def _titles(spec: dict) -> list[str]:
    """Every chart and layer title of a spec (a title may be a string or {"text": ...})."""
    out = []
    for part in [spec, *spec.get("layer", []), *spec.get("hconcat", [])]:
        t = part.get("title")
        out.append(t.get("text") if isinstance(t, dict) else t)
    return [str(t) for t in out if t]


def test_the_calibration_chart_draws_its_diagonal(app, synthetic_root):
    at = app(synthetic_root, run="full", page="fairness")
    spec = next(s for s in _specs(at) if any("Reliability" in t for t in _titles(s)))
    diagonal = [v for d in spec["datasets"].values() for v in d]
    assert {"x": 0.0, "y": 0.0} in diagonal and {"x": 1.0, "y": 1.0} in diagonal
    assert spec["layer"][0]["mark"]["strokeDash"] == [4, 4]


def test_the_utility_axis_starts_at_the_majority_baseline_with_intervals(app, synthetic_root):
    at = app(synthetic_root, run="full", page="privacy")
    spec = next(s for s in _specs(at) if any("against ε" in t for t in _titles(s)))
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert "errorbar" in marks  # each point's interval
    domain = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert domain[1] - domain[0] > 0.05  # not a 0.004-wide axis that makes 0.001 look like a trend
    assert "always the majority class" in json.dumps(spec)
    assert "noise" in " ".join(c.value for c in at.caption) or "real difference" in " ".join(c.value for c in at.caption)


def test_roc_curves_use_a_strong_palette_in_small_multiples():
    rows = []
    for model in ("reference", "private"):
        for attack in ("loss", "score", "rmia", "lira"):
            rows += [{"fpr": f, "tpr": min(1.0, f * 1.1), "lower": f, "upper": 1.0, "model": model, "attack": attack}
                     for f in (0.001, 0.01, 0.1, 1.0)]
    spec = charts.roc_panels(pd.DataFrame(rows), panel="model", color="attack").to_dict()
    assert len(spec["hconcat"]) == 2  # one panel per model: four curves each, not eight in one
    color = spec["hconcat"][0]["layer"][1]["encoding"]["color"]["scale"]
    assert color["range"] == charts.PALETTE[:4] and color["domain"] == ["loss", "score", "rmia", "lira"]


def test_disparities_and_group_figures_have_readable_names(app, synthetic_root):
    at = app(synthetic_root, run="full", page="fairness")
    assert "selection rate" in at.dataframe[0].value.columns and "selection_rate" not in at.dataframe[0].value.columns
    spec = next(s for s in _specs(at) if any("Differences" in t for t in _titles(s)))
    names = {row["disparity"] for d in spec["datasets"].values() for row in d if "disparity" in row}
    assert "Demographic parity difference" in names and not any("_" in n for n in names)


def test_the_mitigation_table_puts_accuracy_beside_the_disparities():
    from audit.result import ModelFairness

    def row(method: str, acc: float, dp: float, eo: float) -> dict:
        return {"method": method, "description": "a long description " * 8, "metrics": {
            "accuracy": {"value": acc, "ci": [acc - 0.01, acc + 0.01]}, "balanced_accuracy": {"value": 0.7, "ci": None},
            "selection_rate": {"value": 0.2, "ci": None}, "demographic_parity_difference": {"value": dp, "ci": None},
            "demographic_parity_ratio": {"value": 0.3, "ci": None}, "equalized_odds_difference": {"value": eo, "ci": None}}}

    F = ModelFairness.from_dict({"mitigation": {
        "constraint": "demographic_parity", "sensitive_feature": "sex", "target_disparity": "demographic_parity_difference",
        "rows": [row("unmitigated", 0.857, 0.169, 0.095), row("threshold_optimizer", 0.838, 0.013, 0.322)]}})
    frame = mitigation_frame(F)
    assert list(frame.columns[:4]) == ["method", "Test accuracy", "Demographic parity difference",
                                       "Equalized odds difference"]
    assert "description" not in frame.columns
    assert frame.iloc[1, 2] == "0.013" and frame.iloc[1, 3] == "0.322"  # the trade-off reads in one row
