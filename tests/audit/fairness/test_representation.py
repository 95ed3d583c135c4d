"""Representation audit: shares, base rates, missing values by group, warnings."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from audit.data.datasets import load_adult
from audit.fairness import representation_report


def test_adult_representation_counts_and_base_rates():
    train, test = load_adult()
    rep = representation_report(train=train, test=test, target="income", positive_label=">50K",
                                sensitive_features=["sex", "race"])
    json.dumps(rep, allow_nan=False)
    female = rep["features"]["sex"]["groups"]["Female"]
    sel = train["sex"] == "Female"
    assert female["train"]["count"] == int(sel.sum())
    assert female["train"]["share"] == pytest.approx(sel.mean())
    assert female["train"]["base_rate"] == pytest.approx((train.loc[sel, "income"] == ">50K").mean())
    assert female["train"]["rows_with_missing"] == int(train.loc[sel].drop(columns="sex").isna().any(axis=1).sum())
    assert female["train"]["missing_by_column"]["occupation"] == int(train.loc[sel, "occupation"].isna().sum())
    # Adult's smallest race group is under 1% of rows
    assert any("Other" in w and "below min_share" in w for w in rep["warnings"])


def test_share_shift_and_absent_group_warn():
    train = pd.DataFrame({"g": ["a"] * 90 + ["b"] * 10, "y": [0, 1] * 50})
    test = pd.DataFrame({"g": ["a"] * 60 + ["b"] * 30 + ["c"] * 10, "y": [0, 1] * 50})
    rep = representation_report(train=train, test=test, target="y", positive_label=1, sensitive_features=["g"])
    text = " ".join(rep["warnings"])
    assert "'b' is 10.00% of train but 30.00% of test" in text
    assert "'c' occurs in test but not in train" in text
    assert rep["features"]["g"]["groups"]["c"]["train"] is None
