"""Small groups are kept and flagged; missing sensitive values form their own group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.fairness import MISSING_GROUP, fairness_report


def test_groups_below_minimum_are_flagged_not_dropped():
    rng = np.random.default_rng(0)
    s = pd.DataFrame({"g": ["big"] * 200 + ["small"] * 12})
    rep = fairness_report(y_true=rng.integers(0, 2, 212), y_pred=rng.integers(0, 2, 212), sensitive=s,
                          n_boot=20, min_group_size=30)
    block = rep["by_feature"]["g"]
    flags = {g["group"]: (g["count"], g["insufficient_data"]) for g in block["groups"]}
    assert flags == {"big": (200, False), "small": (12, True)}
    assert block["insufficient_groups"] == ["small"]
    assert rep["min_group_size"] == 30


def test_missing_sensitive_values_are_their_own_group():
    s = pd.DataFrame({"g": pd.Series(["a", None, "b", pd.NA, "a", "b"], dtype="string")})
    rep = fairness_report(y_true=[0, 1, 1, 0, 1, 0], y_pred=[0, 1, 1, 1, 0, 0], sensitive=s, n_boot=0)
    groups = {g["group"]: g["count"] for g in rep["by_feature"]["g"]["groups"]}
    assert groups == {"a": 2, "b": 2, MISSING_GROUP: 2}
    assert rep["missing_group"] == MISSING_GROUP


def test_intersections_reported_with_values(adult):
    t = adult["test"]
    rep = fairness_report(y_true=t["y01"], y_pred=t["p01"], sensitive=t["sensitive"], n_boot=0)
    inter = rep["by_feature"]["sex & race"]
    assert inter["features"] == ["sex", "race"]
    g = next(x for x in inter["groups"] if x["group"] == "Female & White")
    assert g["values"] == {"sex": "Female", "race": "White"}
    assert sum(x["count"] for x in inter["groups"]) == len(t["y01"])
    no_inter = fairness_report(y_true=t["y01"], y_pred=t["p01"], sensitive=t["sensitive"], n_boot=0, intersections=False)
    assert list(no_inter["by_feature"]) == ["sex", "race"]
