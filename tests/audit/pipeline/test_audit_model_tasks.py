"""audit_model on multiclass and regression models trained elsewhere (the Python API beside `rai-audit run`)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from audit import audit_model
from audit.data import TabularPreprocessor
from audit.exceptions import ConfigError, ModelError


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    n = 900
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "sex": rng.choice(["F", "M"], n)})
    df["label"] = np.where(df.x1 > 0.5, "high", np.where(df.x1 < -0.5, "low", "mid"))
    df["value"] = 3 * df.x1 + rng.normal(size=n) + 100 + (df.sex == "F") * 2.0
    pre = TabularPreprocessor().fit(df[["x1", "x2"]])
    return df.iloc[:600].reset_index(drop=True), df.iloc[600:].reset_index(drop=True), pre


def _linear(weights, bias) -> torch.nn.Linear:
    model = torch.nn.Linear(2, len(bias))
    with torch.no_grad():
        model.weight[:] = torch.tensor(weights, dtype=torch.float32)
        model.bias[:] = torch.tensor(bias, dtype=torch.float32)
    return model


def test_a_multiclass_model_is_audited_with_its_own_class_order(table):
    from fairlearn.metrics import MetricFrame
    from sklearn.metrics import accuracy_score

    train, test, pre = table
    # Outputs in the order (low, mid, high): the logit of each class grows with its distance along x1.
    model = _linear([[-4.0, 0.0], [0.0, 0.0], [4.0, 0.0]], [-2.0, 0.0, -2.0])
    result = audit_model(model, test=test, train=train, target="label", task="multiclass", classes=["low", "mid", "high"],
                         sensitive_features=["sex"], preprocessor=pre)
    assert result.task == "multiclass-classification" and result.data.classes == ["low", "mid", "high"]
    pred = np.array(["low", "mid", "high"])[np.argmax(model(torch.as_tensor(pre.transform(test[["x1", "x2"]]))).detach()
                                                     .numpy(), axis=1)]
    assert result.models["reference"].test_accuracy == pytest.approx(accuracy_score(test.label, pred), abs=1e-12)
    assert result.models["reference"].test_accuracy > 0.8
    frame = MetricFrame(metrics=accuracy_score, y_true=test.label, y_pred=pred, sensitive_features=test.sex)
    block = result.group_audits["reference"].by_feature["sex"]
    for g in block.groups:
        assert g.figures["accuracy"].value == pytest.approx(frame.by_group[g.group], abs=1e-12)
    assert block.disparities["accuracy_difference"].value == pytest.approx(frame.difference(), abs=1e-12)


def test_a_regression_predicting_in_target_units_is_audited_in_those_units(table, tmp_path):
    from fairlearn.metrics import MetricFrame
    from sklearn.metrics import mean_absolute_error

    train, test, pre = table
    model = _linear([[3.0, 0.0]], [100.0])
    result = audit_model(model, test=test, train=train, target="value", task="regression", sensitive_features=["sex"],
                         preprocessor=pre, out=tmp_path / "run")
    pred = model(torch.as_tensor(pre.transform(test[["x1", "x2"]]))).detach().numpy().reshape(-1)
    assert result.models["reference"].test_mae == pytest.approx(mean_absolute_error(test.value, pred), rel=1e-6)
    frame = MetricFrame(metrics=mean_absolute_error, y_true=test.value, y_pred=pred, sensitive_features=test.sex)
    groups = {g.group: g.figures["mae"].value for g in result.group_audits["reference"].by_feature["sex"].groups}
    assert groups == pytest.approx(frame.by_group.to_dict(), rel=1e-6)
    assert result.explainability["reference"].target == "prediction"
    saved = json.loads((tmp_path / "run" / "audit.json").read_text())
    assert saved["task"] == "regression" and saved["models"]["reference"]["test_r2"] > 0.6


def test_wrong_task_settings_and_output_widths_are_refused_with_the_fix(table):
    train, test, pre = table
    with pytest.raises(ConfigError, match="positive_label is required"):
        audit_model(_linear([[1.0, 0.0]], [0.0]), test=test, target="label", sensitive_features=["sex"], preprocessor=pre)
    with pytest.raises(ConfigError, match="expected"):
        audit_model(_linear([[1.0, 0.0]], [0.0]), test=test, target="value", task="ordinal", sensitive_features=["sex"],
                    preprocessor=pre)
    with pytest.raises(ModelError, match=r"nn.Linear\(hidden, 3\)"):
        audit_model(_linear([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0]), test=test, target="label", task="multiclass",
                    sensitive_features=["sex"], preprocessor=pre)
