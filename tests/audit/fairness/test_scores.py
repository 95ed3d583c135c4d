"""Per-group ROC AUC equals scikit-learn; ECE and reliability bins equal a direct recount."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from audit.fairness import fairness_report


def test_group_auc_equals_sklearn_and_ci_brackets_it(adult):
    t = adult["test"]
    rep = fairness_report(y_true=t["y01"], y_pred=t["p01"], y_score=t["score"], sensitive=t["sensitive"], n_boot=100)
    assert rep["overall"]["metrics"]["roc_auc"]["value"] == pytest.approx(roc_auc_score(t["y01"], t["score"]), abs=1e-12)
    for g in rep["by_feature"]["race"]["groups"]:
        idx = (t["sensitive"]["race"] == g["group"]).to_numpy()
        auc = g["metrics"]["roc_auc"]
        if len(set(t["y01"][idx])) < 2:
            assert auc["value"] is None
            continue
        assert auc["value"] == pytest.approx(roc_auc_score(t["y01"][idx], t["score"][idx]), abs=1e-12)
        assert auc["ci"][0] <= auc["value"] <= auc["ci"][1]


def test_auc_with_ties_equals_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.random(500), 1)  # many ties
    import pandas as pd

    rep = fairness_report(y_true=y, y_pred=(s > 0.5).astype(int), y_score=s,
                          sensitive=pd.DataFrame({"g": rng.choice(["a", "b"], 500)}), n_boot=0)
    assert rep["overall"]["metrics"]["roc_auc"]["value"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_ece_and_bins_equal_direct_recount(adult):
    t = adult["test"]
    rep = fairness_report(y_true=t["y01"], y_pred=t["p01"], y_score=t["score"], sensitive=t["sensitive"], n_boot=50)
    cal = rep["by_feature"]["sex"]["calibration"]
    for group, c in cal.items():
        idx = (t["sensitive"]["sex"] == group).to_numpy()
        s, y = t["score"][idx], t["y01"][idx]
        b = np.minimum((s * 10).astype(int), 9)
        expected = sum(abs(s[b == k].mean() - y[b == k].mean()) * (b == k).sum() for k in range(10) if (b == k).any()) / len(s)
        assert c["ece"] == pytest.approx(expected, abs=1e-12)
        assert sum(x["count"] for x in c["bins"]) == idx.sum()
        for k, x in enumerate(c["bins"]):
            if x["count"]:
                assert x["fraction_positive"] == pytest.approx(y[b == k].mean(), abs=1e-12)
    g0 = rep["by_feature"]["sex"]["groups"][0]["metrics"]["ece"]
    assert 0 <= g0["ci"][0] < g0["ci"][1] <= 1
