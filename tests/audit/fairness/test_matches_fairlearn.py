"""Every number Fairlearn also computes equals Fairlearn's to 1e-12."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics as skm
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equal_opportunity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)

from audit.fairness import fairness_report

from .conftest import random_groups

TOL = 1e-12
METRICS = {
    "selection_rate": selection_rate,
    "accuracy": skm.accuracy_score,
    "balanced_accuracy": skm.balanced_accuracy_score,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "tnr": true_negative_rate,
    "fnr": false_negative_rate,
    "precision": lambda yt, yp: skm.precision_score(yt, yp, zero_division=0.0),
    "base_rate": lambda yt, yp: float(np.mean(yt)),
    "count": count,
}


def _frame(y, p, sens) -> MetricFrame:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns on groups with one class
        return MetricFrame(metrics=METRICS, y_true=y, y_pred=p, sensitive_features=sens)


def _assert_groups_equal(block: dict, mf: MetricFrame) -> None:
    by_group = mf.by_group.dropna(how="all")  # Fairlearn reindexes to unobserved intersections
    assert len(block["groups"]) == len(by_group)
    for g in block["groups"]:
        key = tuple(g["values"].values())
        row = by_group.loc[key if len(key) > 1 else key[0]]
        assert g["count"] == row["count"] == g["metrics"]["count"]
        for m in METRICS:
            if m != "count":
                assert g["metrics"][m]["value"] == pytest.approx(row[m], abs=TOL), (g["group"], m)


def _assert_disparities_equal(disp: dict, y, p, sens) -> None:
    for method, suffix in (("between_groups", ""), ("to_overall", "_to_overall")):
        kw = {"sensitive_features": sens, "method": method}
        expected = {
            "demographic_parity_difference": demographic_parity_difference(y, p, **kw),
            "demographic_parity_ratio": demographic_parity_ratio(y, p, **kw),
            "equalized_odds_difference": equalized_odds_difference(y, p, **kw),
            "equalized_odds_ratio": equalized_odds_ratio(y, p, **kw),
            "equalized_odds_difference_mean": equalized_odds_difference(y, p, agg="mean", **kw),
            "equalized_odds_ratio_mean": equalized_odds_ratio(y, p, agg="mean", **kw),
            "equal_opportunity_difference": equal_opportunity_difference(y, p, **kw),
            "equal_opportunity_ratio": equal_opportunity_ratio(y, p, **kw),
        }
        mf = _frame(y, p, sens)
        for m in ("accuracy", "precision", "balanced_accuracy", "fpr", "tnr", "fnr", "base_rate"):
            expected[f"{m}_difference"] = mf.difference(method=method)[m]
            expected[f"{m}_ratio"] = mf.ratio(method=method)[m]
        expected["predictive_parity_difference"] = expected["precision_difference"]
        expected["predictive_parity_ratio"] = expected["precision_ratio"]
        for name, value in expected.items():
            got = disp[name + suffix]["value"]
            if np.isnan(value):
                assert got is None, name + suffix
            else:
                assert got == pytest.approx(value, abs=TOL), name + suffix


def test_adult_group_metrics_equal_metricframe(adult):
    t = adult["test"]
    rep = fairness_report(y_true=t["y_true"], y_pred=t["y_pred"], sensitive=t["sensitive"], pos_label=">50K", n_boot=0)
    for feature in ("sex", "race"):
        _assert_groups_equal(rep["by_feature"][feature], _frame(t["y01"], t["p01"], t["sensitive"][feature]))
    _assert_groups_equal(rep["by_feature"]["sex & race"], _frame(t["y01"], t["p01"], t["sensitive"]))
    overall = _frame(t["y01"], t["p01"], t["sensitive"]["sex"]).overall
    for m in METRICS:
        if m != "count":
            assert rep["overall"]["metrics"][m]["value"] == pytest.approx(overall[m], abs=TOL)


def test_adult_disparities_equal_fairlearn_functions(adult):
    t = adult["test"]
    rep = fairness_report(y_true=t["y_true"], y_pred=t["y_pred"], sensitive=t["sensitive"], pos_label=">50K", n_boot=0)
    for key, sens in (("sex", t["sensitive"]["sex"]), ("race", t["sensitive"]["race"]), ("sex & race", t["sensitive"])):
        _assert_disparities_equal(rep["by_feature"][key]["disparities_all_groups"], t["y01"], t["p01"], sens)


@pytest.mark.parametrize("seed", [0, 1])
def test_random_many_groups_with_zero_positives_equal_fairlearn(seed):
    d = random_groups(seed)
    rep = fairness_report(y_true=d["y"], y_pred=d["p"], sensitive=d["sensitive"], n_boot=0, min_group_size=1)
    _assert_groups_equal(rep["by_feature"]["g"], _frame(d["y"], d["p"], d["sensitive"]["g"]))
    _assert_groups_equal(rep["by_feature"]["g & h"], _frame(d["y"], d["p"], d["sensitive"]))
    _assert_disparities_equal(rep["by_feature"]["g"]["disparities_all_groups"], d["y"], d["p"], d["sensitive"]["g"])
    _assert_disparities_equal(rep["by_feature"]["g & h"]["disparities_all_groups"], d["y"], d["p"], d["sensitive"])


def test_zero_positive_groups_are_listed_as_undefined():
    d = random_groups(0)
    block = fairness_report(y_true=d["y"], y_pred=d["p"], sensitive=d["sensitive"][["g"]], n_boot=0)["by_feature"]["g"]
    undefined = {(u["group"], u["metric"]) for u in block["undefined_rates"]}
    assert {("g00", "tpr"), ("g01", "fnr"), ("g02", "fpr"), ("g03", "precision")} <= undefined
    g00 = next(g for g in block["groups"] if g["group"] == "g00")
    assert g00["metrics"]["tpr"]["value"] == 0.0  # Fairlearn's convention


def test_undefined_none_reports_null_and_skips_group():
    y = np.array([0, 0, 0, 1, 1, 0])
    p = np.array([1, 0, 0, 1, 0, 1])
    s = pd.DataFrame({"g": list("aaabbb")})
    block = fairness_report(y_true=y, y_pred=p, sensitive=s, n_boot=0, undefined="none")["by_feature"]["g"]
    a = block["groups"][0]
    assert a["metrics"]["tpr"]["value"] is None
    # only group b has a TPR, so the between-group TPR difference is 0
    assert block["disparities_all_groups"]["equal_opportunity_difference"]["value"] == 0.0
