"""Degenerate-model checks: a model is degenerate when its output carries no signal, not when an imbalanced
model's accuracy ties the majority rate (that is a threshold problem); multiclass and regression alike."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audit.exceptions import ConfigError
from audit.fairness import degenerate_model_checks
from audit.fairness._degenerate_tasks import multiclass_degenerate_checks, regression_degenerate_checks


def _imbalanced(n: int = 1000, share: float = 0.08, auc_shift: float = 1.5, seed: int = 0):
    """A useful, calibrated model on 8% positives: ROC AUC about 0.86, every decision at 0.5 negative or nearly."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n, int)
    y[: round(share * n)] = 1
    s = rng.standard_normal(n) + auc_shift * y
    logit = np.log(share / (1 - share)) + auc_shift * s - auc_shift**2 / 2
    score = 1 / (1 + np.exp(-logit))
    return y, score, (score >= 0.5).astype(int)


def test_model_predicting_one_class_is_degenerate(adult):
    t = adult["test"]
    r = degenerate_model_checks(y_true=t["y_true"], y_pred=pd.Series(["<=50K"] * len(t["y01"])),
                                y_score=np.full(len(t["y01"]), 0.2), sensitive=t["sensitive"], pos_label=">50K")
    assert r["degenerate"] and r["threshold_problem"] is None
    checks = r["checks"]
    assert checks["constant_predictions"]["flagged"] and checks["constant_predictions"]["most_common"] == "<=50K"
    assert checks["constant_predictions"]["share"] == 1.0
    assert checks["constant_scores"]["flagged"] and checks["constant_scores"]["share"] == 1.0
    assert checks["roc_auc_chance"]["flagged"] and checks["roc_auc_chance"]["value"] == 0.5
    assert checks["roc_auc_chance"]["p_value"] == 1.0
    assert len(r["reasons"]) == 3 and "<=50K" in r["reasons"][0]
    json.dumps(r)


def test_model_approving_everyone_is_degenerate_without_scores():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    r = degenerate_model_checks(y_true=y, y_pred=np.ones(500, int))
    assert r["degenerate"]
    assert r["checks"]["constant_predictions"]["most_common"] == 1
    assert r["checks"]["roc_auc_chance"]["flagged"] is None  # no scores: not checked
    assert r["checks"]["decisions_informative"]["flagged"]  # TPR = FPR = 1


def test_output_ignoring_the_input_is_degenerate(adult):
    t = adult["test"]
    rng = np.random.default_rng(1)
    score = rng.random(len(t["y01"]))  # independent of everything
    pred = np.where(score >= 0.5, ">50K", "<=50K")
    r = degenerate_model_checks(y_true=t["y_true"], y_pred=pred, y_score=score, sensitive=t["sensitive"],
                                pos_label=">50K")
    assert r["degenerate"]
    assert not r["checks"]["constant_predictions"]["flagged"]
    auc = r["checks"]["roc_auc_chance"]
    assert auc["flagged"] and auc["p_value"] >= 0.05
    assert any("better than chance" in x for x in r["reasons"])


def test_good_model_on_adult_is_not_degenerate(adult):
    t = adult["test"]
    r = degenerate_model_checks(y_true=t["y_true"], y_pred=t["y_pred"], y_score=t["score"], sensitive=t["sensitive"],
                                pos_label=">50K")
    assert not r["degenerate"], r["reasons"]
    assert r["reasons"] == [] and r["threshold_problem"] is None
    acc = r["checks"]["accuracy_vs_majority"]
    assert acc["role"] == "information" and acc["accuracy"] > acc["majority_rate"]
    assert r["checks"]["roc_auc_chance"]["p_value"] < 1e-100
    assert r["checks"]["decisions_informative"]["balanced_accuracy"] > 0.7


def test_a_useful_imbalanced_model_at_the_majority_rate_is_not_degenerate():
    y, score, pred = _imbalanced(seed=1)
    r = degenerate_model_checks(y_true=y, y_pred=pred, y_score=score, threshold=0.5)
    acc = r["checks"]["accuracy_vs_majority"]
    assert acc["flagged"] and acc["margin"] < 0.01  # the old test called this model degenerate
    assert not r["degenerate"] and r["reasons"] == [] and r["threshold_problem"] is None
    assert r["checks"]["roc_auc_chance"]["value"] > 0.8
    assert r["checks"]["decisions_informative"]["p_value"] < 1e-6  # the few positive decisions are mostly right


def test_ranking_scores_with_decisions_all_one_class_are_a_threshold_problem_not_degenerate():
    y, score, pred = _imbalanced(share=0.02, auc_shift=1.2, seed=2)
    r = degenerate_model_checks(y_true=y, y_pred=pred, y_score=score, threshold=0.5)
    assert r["checks"]["constant_predictions"]["flagged"] and r["checks"]["constant_predictions"]["role"] == "threshold"
    assert not r["degenerate"] and r["reasons"] == []
    assert r["threshold_problem"].startswith("its decisions are 0 for 100.0% of the rows at the 0.5 threshold, though "
                                             "its scores rank the classes (ROC AUC 0.")


def test_informative_decisions_at_the_majority_rate_are_not_degenerate_without_scores():
    # 8% positives; the model flags the top 8% of scores: accuracy near the majority rate, but TPR >> FPR
    y, score, _ = _imbalanced(seed=3)
    pred = (score >= np.quantile(score, 0.92)).astype(int)
    r = degenerate_model_checks(y_true=y, y_pred=pred)
    info = r["checks"]["decisions_informative"]
    assert not r["degenerate"] and info["tpr"] > 3 * info["fpr"] and info["p_value"] < 1e-10


def test_uninformative_but_varying_decisions_with_ranking_scores_are_a_threshold_problem():
    y, score, _ = _imbalanced(n=2000, seed=4)
    pred = np.random.default_rng(5).integers(0, 2, 2000)  # decisions drawn apart from the scores
    r = degenerate_model_checks(y_true=y, y_pred=pred, y_score=score, threshold=0.5)
    assert not r["degenerate"]
    assert r["threshold_problem"].startswith("its decisions at the 0.5 threshold are not shown to carry information")


def test_scores_ranking_the_wrong_way_are_degenerate_and_said_so():
    y, score, pred = _imbalanced(n=500, share=0.3)
    r = degenerate_model_checks(y_true=y, y_pred=1 - pred, y_score=1 - score)
    assert r["degenerate"] and "wrong way round" in r["reasons"][-1]


def test_two_positives_and_an_exact_ranking_still_count_as_signal_only_when_the_test_says_so():
    y = np.array([0] * 298 + [1] * 2)
    score = np.r_[np.linspace(0.0, 0.4, 298), 0.45, 0.47]  # both positives on top: p = 1 / C(300, 2)
    r = degenerate_model_checks(y_true=y, y_pred=(score >= 0.5).astype(int), y_score=score)
    assert not r["degenerate"] and r["checks"]["roc_auc_chance"]["p_value"] < 0.01
    y3 = np.array([0] * 297 + [1] * 3)
    middling = np.r_[np.linspace(0.0, 0.4, 297), 0.19, 0.21, 0.25]
    assert degenerate_model_checks(y_true=y3, y_pred=np.zeros(300, int), y_score=middling)["degenerate"]


def test_the_auc_test_matches_scipy_exact_with_few_positives_and_asymptotic_with_many():
    from scipy.stats import mannwhitneyu

    from audit.fairness._degenerate import _mann_whitney

    rng = np.random.default_rng(12)
    for n, k, method, tol in ((300, 3, "exact", 0.01), (1000, 15, "exact", 0.01), (500, 100, "asymptotic", 1e-12)):
        y = np.zeros(n, bool)
        y[:k] = True
        s = rng.random(n) + 0.1 * y
        auc, above, below = _mann_whitney(y, s)
        assert above == pytest.approx(mannwhitneyu(s[y], s[~y], alternative="greater", method=method).pvalue, abs=tol)
        assert below == pytest.approx(mannwhitneyu(s[y], s[~y], alternative="less", method=method).pvalue, abs=tol)
        flipped = _mann_whitney(~y, s)  # the negatives as the minority: the tails swap
        assert flipped[1] == pytest.approx(below, abs=tol) and flipped[2] == pytest.approx(above, abs=tol)


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


# ---------------------------------------------------------------- multiclass
def test_a_useful_multiclass_model_on_a_70_percent_majority_is_not_degenerate():
    rng = np.random.default_rng(6)
    y = rng.choice(5, 600, p=[0.7, 0.075, 0.075, 0.075, 0.075])
    pred = np.where(rng.random(600) < 0.4, y, 0)  # right on 40% of minority rows, majority otherwise
    r = multiclass_degenerate_checks(y_true=y, y_pred=pred, classes=list("abcde"))
    assert r["checks"]["accuracy_vs_majority"]["role"] == "information"
    assert not r["degenerate"], r["reasons"]
    assert r["checks"]["agreement_vs_chance"]["kappa"] > 0.2


def test_multiclass_predictions_unrelated_to_the_class_are_degenerate():
    rng = np.random.default_rng(7)
    y, pred = rng.integers(0, 3, 400), rng.integers(0, 3, 400)
    r = multiclass_degenerate_checks(y_true=y, y_pred=pred, classes=list("abc"))
    assert r["degenerate"] and "more often than chance" in r["reasons"][0]


# ---------------------------------------------------------------- regression
def test_a_model_worse_than_the_mean_is_never_told_it_is_better():
    # right on 70% of the rows, far off on 30%: MAE 1.23 against 0.74 for the mean; the median paired
    # difference favours the model, so a Wilcoxon signed-rank test called it better
    rng = np.random.default_rng(11)
    y = rng.standard_normal(300)
    pred = y + np.where(rng.random(300) < 0.3, 5.0, 0.02) * rng.standard_normal(300)
    r = regression_degenerate_checks(y_true=y, y_pred=pred, train_mean=0.0)
    check = r["checks"]["error_vs_mean"]
    assert check["mae"] > 1.0 and check["baseline_mae"] < 0.9
    assert r["degenerate"] and check["flagged"] and "is above that of always predicting" in check["reason"]
    assert "below" not in check["reason"] and check["ci"][0] > 0


def test_a_model_better_than_the_mean_is_said_so_with_its_interval():
    rng = np.random.default_rng(9)
    y = rng.standard_normal(200)
    r = regression_degenerate_checks(y_true=y, y_pred=0.8 * y + 0.3 * rng.standard_normal(200), train_mean=0.0)
    check = r["checks"]["error_vs_mean"]
    assert not r["degenerate"] and check["ci"][1] < 0 and "is below that of always predicting" in check["reason"]


def test_a_tie_with_the_mean_is_not_shown_better():
    rng = np.random.default_rng(10)
    y = rng.standard_normal(40)
    pred = 0.5 * y + np.sqrt(0.75) * rng.standard_normal(40)  # same expected MAE as the mean
    check = regression_degenerate_checks(y_true=y, y_pred=pred, train_mean=0.0)["checks"]["error_vs_mean"]
    assert check["ci"][0] < 0 < check["ci"][1] or check["mae"] > check["baseline_mae"]
    assert check["flagged"]
