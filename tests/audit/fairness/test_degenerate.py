"""Degenerate-model checks: constant, majority-class-level and chance-level models are flagged; a good one is not."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import ConfigError
from audit.fairness import degenerate_model_checks


def test_model_predicting_one_class_is_degenerate(adult):
    t = adult["test"]
    r = degenerate_model_checks(y_true=t["y_true"], y_pred=pd.Series(["<=50K"] * len(t["y01"])),
                                y_score=np.full(len(t["y01"]), 0.2), sensitive=t["sensitive"], pos_label=">50K")
    assert r["degenerate"]
    checks = r["checks"]
    assert checks["constant_predictions"]["flagged"] and checks["constant_predictions"]["most_common"] == "<=50K"
    assert checks["constant_predictions"]["share"] == 1.0
    assert checks["accuracy_vs_majority"]["flagged"] and checks["accuracy_vs_majority"]["margin"] == 0.0
    assert checks["roc_auc_chance"]["flagged"] and checks["roc_auc_chance"]["value"] == 0.5
    assert len(r["reasons"]) == 3 and "<=50K" in r["reasons"][0]
    json.dumps(r)


def test_model_approving_everyone_is_degenerate():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    r = degenerate_model_checks(y_true=y, y_pred=np.ones(500, int))
    assert r["degenerate"]
    assert r["checks"]["constant_predictions"]["most_common"] == 1
    assert r["checks"]["roc_auc_chance"]["flagged"] is None  # no scores: not checked


def test_output_ignoring_the_input_is_degenerate(adult):
    t = adult["test"]
    rng = np.random.default_rng(1)
    score = rng.random(len(t["y01"]))  # independent of everything
    pred = np.where(score >= 0.5, ">50K", "<=50K")
    r = degenerate_model_checks(y_true=t["y_true"], y_pred=pred, y_score=score, sensitive=t["sensitive"],
                                pos_label=">50K")
    assert r["degenerate"]
    assert not r["checks"]["constant_predictions"]["flagged"]
    assert r["checks"]["accuracy_vs_majority"]["flagged"]
    auc = r["checks"]["roc_auc_chance"]
    assert auc["flagged"] and auc["ci"][0] <= 0.5 <= auc["ci"][1]
    assert any("chance" in x for x in r["reasons"])


def test_good_model_on_adult_is_not_degenerate(adult):
    t = adult["test"]
    r = degenerate_model_checks(y_true=t["y_true"], y_pred=t["y_pred"], y_score=t["score"], sensitive=t["sensitive"],
                                pos_label=">50K")
    assert not r["degenerate"], r["reasons"]
    assert r["reasons"] == []
    acc = r["checks"]["accuracy_vs_majority"]
    assert acc["accuracy"] > acc["majority_rate"] and acc["p_value"] < 1e-6
    assert r["checks"]["roc_auc_chance"]["ci"][0] > 0.8


def test_tiny_margin_on_a_small_test_set_is_not_above_the_majority():
    # 40 rows, majority rate 0.6; the model is right on 2 more rows than always guessing 0: p ~ 0.34
    y = np.array([0] * 24 + [1] * 16)
    p = np.zeros(40, int)
    p[24:28] = 1  # right on 4 positives
    p[:2] = 1  # wrong on 2 negatives
    r = degenerate_model_checks(y_true=y, y_pred=p)
    acc = r["checks"]["accuracy_vs_majority"]
    assert acc["margin"] == pytest.approx(0.05)
    assert acc["flagged"] and acc["p_value"] > 0.05
    assert r["degenerate"] and "not shown to be above" in r["reasons"][0]


def test_constant_within_a_group_is_a_warning_listing_the_group():
    rng = np.random.default_rng(2)
    n = 2000
    g = rng.choice(["a", "b"], n)
    y = rng.integers(0, 2, n)
    p = np.where(g == "a", 1, np.where(rng.random(n) < 0.9, y, 1 - y))  # constant in group a only
    score = np.clip(np.where(g == "a", 0.9, 0.5 + 0.4 * (2 * p - 1)) + 0.01 * rng.standard_normal(n), 0, 1)
    r = degenerate_model_checks(y_true=y, y_pred=p, y_score=score, sensitive=pd.DataFrame({"g": g}))
    within = r["checks"]["constant_within_groups"]
    assert within["flagged"] and [(x["feature"], x["group"], x["most_common"]) for x in within["groups"]] == [("g", "a", 1)]
    assert r["warnings"] and "g='a'" in r["warnings"][0]
    assert not r["degenerate"]  # the model predicts something: the fairness finding is real


def test_small_groups_are_not_checked_for_constant_predictions():
    y = np.r_[np.zeros(50, int), np.ones(50, int)]
    p = y.copy()
    g = np.array(["big"] * 90 + ["tiny"] * 10)  # tiny: all positive (true) predictions, 10 rows
    r = degenerate_model_checks(y_true=y, y_pred=p, sensitive=pd.DataFrame({"g": g}))
    assert not r["checks"]["constant_within_groups"]["flagged"]


def test_thresholds_are_keywords_and_bad_values_refused():
    y = np.array([0, 1] * 50)
    p = np.array([0] * 97 + [1] * 3)
    assert degenerate_model_checks(y_true=y, y_pred=p)["checks"]["constant_predictions"]["flagged"] is False
    assert degenerate_model_checks(y_true=y, y_pred=p, constant_share=0.95)["checks"]["constant_predictions"]["flagged"]
    with pytest.raises(ConfigError, match="constant_share"):
        degenerate_model_checks(y_true=y, y_pred=p, constant_share=0.3)
    with pytest.raises(ConfigError, match="level"):
        degenerate_model_checks(y_true=y, y_pred=p, level=1.5)
