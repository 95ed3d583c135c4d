"""The threshold slider's group rates and gaps equal Fairlearn's on the run's predictions."""

from __future__ import annotations

import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)


def _reference(root, model, feature, t):
    pred = pd.read_csv(root / "full" / "predictions.csv", dtype={feature: "string"})
    part = pred[pred["model"] == model]
    y, yhat, s = part["y_true"].to_numpy(), (part["y_score"] >= t).astype(int).to_numpy(), part[feature].to_numpy()
    mf = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate},
                     y_true=y, y_pred=yhat, sensitive_features=s)
    return (mf.by_group, demographic_parity_difference(y, yhat, sensitive_features=s),
            equalized_odds_difference(y, yhat, sensitive_features=s))


@pytest.mark.parametrize("t", [0.5, 0.23, 0.81])
def test_slider_rates_match_fairlearn(app, synthetic_root, t):
    at = app(synthetic_root, run="full", page="fairness")
    model = at.radio(key="fair_model").value
    at.slider(key=f"fair_threshold_{model}").set_value(t).run()
    assert not at.exception
    by_group, dp, eo = _reference(synthetic_root, model, "sex", t)
    shown = {m.label: float(m.value) for m in at.metric if "difference" in m.label}
    assert shown["demographic parity difference"] == pytest.approx(dp, abs=5e-5)
    assert shown["equalized odds difference"] == pytest.approx(eo, abs=5e-5)
    table = next(d.value for d in at.dataframe if "selected" in d.value.columns).set_index("group")
    readable = {"selection_rate": "selection rate", "tpr": "true positive rate", "fpr": "false positive rate"}
    for metric, header in readable.items():  # the table's readable headers (were the snake_case keys)
        for group, value in by_group[metric].items():
            assert table.loc[group, header] == pytest.approx(value, abs=1e-12), (metric, group)


def test_slider_on_intersection_and_other_model(app, synthetic_root):
    at = app(synthetic_root, run="full", page="fairness")
    at.radio(key="fair_model").set_value("reference")
    at.selectbox(key="fair_feature").set_value("sex & race").run()
    at.slider(key="fair_threshold_reference").set_value(0.4).run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "selected" in d.value.columns)
    assert table["group"].str.contains(" & ").all()
    pred = pd.read_csv(synthetic_root / "full" / "predictions.csv", dtype={"sex": "string", "race": "string"})
    part = pred[pred["model"] == "reference"]
    expected = (part["y_score"] >= 0.4).groupby(part["sex"] + " & " + part["race"]).mean()
    got = table.set_index("group")["selection rate"]  # readable headers (was selection_rate)
    assert got.to_dict() == pytest.approx({str(k): v for k, v in expected.items()}, abs=1e-12)


def test_the_slider_starts_at_the_models_own_threshold(app, synthetic_root):
    at = app(synthetic_root, run="full", page="fairness")
    model = at.radio(key="fair_model").value
    slider = at.slider(key=f"fair_threshold_{model}")
    # a record without a decision threshold (written before them) starts at 0.5 and says so
    assert slider.value == 0.5
    assert any("decides at 0.500" in c.value for c in at.caption)
