"""Per-group ROC AUC equals scikit-learn and its disparities Fairlearn's; ECE and reliability bins equal a direct recount."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame
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


@pytest.mark.parametrize("feature", ["sex", "race", "sex & race"])
def test_auc_disparities_equal_fairlearn(adult, feature):
    t = adult["test"]
    rep = fairness_report(y_true=t["y01"], y_pred=t["p01"], y_score=t["score"], sensitive=t["sensitive"], n_boot=300)
    block = rep["by_feature"][feature]
    sens = t["sensitive"][block["features"]]
    # Fairlearn's roc_auc_score raises on a one-class group; compare on the groups where AUC is defined.
    keep = ~sens.astype(str).agg(" & ".join, axis=1).isin(block["roc_auc_excluded_groups"]).to_numpy()
    mf = MetricFrame(metrics=roc_auc_score, y_true=t["y01"][keep], y_pred=t["score"][keep],
                     sensitive_features=sens[keep].reset_index(drop=True))
    d = block["disparities_all_groups"]
    assert d["roc_auc_difference"]["value"] == pytest.approx(mf.difference(), abs=1e-12)
    assert d["roc_auc_ratio"]["value"] == pytest.approx(mf.ratio(), abs=1e-12)
    for name in ("roc_auc_difference", "roc_auc_ratio"):
        lo, hi = d[name]["ci"]
        assert 0 <= lo <= d[name]["value"] <= hi <= 1


def test_auc_disparity_interval_covers_the_true_gap():
    # Two groups whose true AUCs differ by a known amount (binormal model), 150 simulated audits.
    from scipy.stats import norm

    rng = np.random.default_rng(3)
    shifts = {"a": 1.0, "b": 1.6}
    truth = abs(norm.cdf(1.6 / np.sqrt(2)) - norm.cdf(1.0 / np.sqrt(2)))
    hits, reps = 0, 150
    for _ in range(reps):
        g = rng.choice(["a", "b"], 3000)
        y = rng.integers(0, 2, 3000)
        score = 1 / (1 + np.exp(-(rng.standard_normal(3000) + y * np.vectorize(shifts.get)(g))))
        rep = fairness_report(y_true=y, y_pred=(score > 0.5).astype(int), y_score=score,
                              sensitive=pd.DataFrame({"g": g}), n_boot=300, seed=int(rng.integers(1 << 30)))
        lo, hi = rep["by_feature"]["g"]["disparities"]["roc_auc_difference"]["ci"]
        hits += lo <= truth <= hi
    assert 0.9 <= hits / reps <= 0.99


def test_auc_disparity_when_every_group_has_one_class():
    rep = fairness_report(y_true=[0, 1, 0, 1], y_pred=[0, 1, 0, 1], y_score=[0.2, 0.9, 0.1, 0.8],
                          sensitive=pd.DataFrame({"g": ["a", "b", "a", "b"]}), n_boot=50)
    block = rep["by_feature"]["g"]
    entry = block["disparities_all_groups"]["roc_auc_difference"]
    assert entry == {"value": None, "ci": None, "ci_method": entry["ci_method"]}
    gate = block["disparities"]["roc_auc_difference"]
    assert gate["value"] is None and gate["groups_used"] == [] and "fewer than two groups" in gate["inconclusive_reason"]
    assert block["roc_auc_excluded_groups"] == ["a", "b"]
