"""Low-FPR figures carry their evidence: counts, threshold-aware intervals, and a refusal when thin."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from audit.privacy._lowfpr import clopper_pearson, low_fpr_point, roc_counts, tpr_at_fpr_interval
from audit.privacy._membership import attack_summary


def test_tpr_at_a_threshold_resting_on_five_nonmembers_is_not_reported():
    rng = np.random.default_rng(0)
    s = attack_summary(rng.normal(0.5, 1, 5000), rng.normal(0, 1, 5000))
    p1, p01 = s["low_fpr"]
    assert p1["false_positive_allowance"] == 50 and p1["tpr"] is not None and p1["not_reported"] is None
    assert p01["false_positive_allowance"] == 5 and p01["tpr"] is None and s["tpr_at_0.1pct_fpr"] is None
    assert "5 non-members behind this threshold" in p01["not_reported"] and "at least 20 needed" in p01["not_reported"]


def test_minimum_count_is_configurable():
    rng = np.random.default_rng(0)
    s = attack_summary(rng.normal(0.5, 1, 5000), rng.normal(0, 1, 5000), min_false_positives=5)
    assert s["tpr_at_0.1pct_fpr"] is not None


def test_intervals_are_clopper_pearson_and_contain_the_estimate():
    for k, n in ((0, 100), (3, 100), (50, 100), (100, 100), (7, 5000)):
        lo, hi = clopper_pearson(k, n)
        ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert (lo, hi) == pytest.approx((ref.low, ref.high), abs=1e-9)
        assert lo <= k / n <= hi
    rng = np.random.default_rng(1)
    s = attack_summary(rng.normal(1, 1, 3000), rng.normal(0, 1, 3000), min_false_positives=1)
    for p in s["low_fpr"]:
        assert p["tpr_ci"][0] <= p["tpr"] <= p["tpr_ci"][1]
        assert p["fpr"] <= p["target_fpr"] and p["false_positives"] <= p["false_positive_allowance"]
        assert p["tpr"] == p["true_positives"] / p["n_members"]
    roc = s["roc"]
    assert all(lo <= t <= hi for lo, t, hi in zip(roc["tpr_lower"], roc["tpr"], roc["tpr_upper"], strict=True))


def test_ties_are_admitted_together_never_split():
    # Every score equal: the only threshold with FPR <= 1% is above all of them, so TPR is 0 (no interpolation).
    tp, fp = roc_counts(np.zeros(1000), np.zeros(1000))
    p = low_fpr_point(tp, fp, n_members=1000, n_nonmembers=1000, target=0.01, min_false_positives=0)
    assert p["tpr"] == 0.0 and p["false_positives"] == 0
    # ... and no non-member is behind that threshold, so with any minimum it is not reported.
    p = low_fpr_point(tp, fp, n_members=1000, n_nonmembers=1000, target=0.01, min_false_positives=1)
    assert p["tpr"] is None and "only 0 non-members behind the threshold" in p["not_reported"]


def test_the_minimum_applies_to_the_false_positives_actually_behind_the_threshold():
    # 5,000 non-members: the allowance at 1% FPR is 50, but 5 distinct top scores sit above a block of 300 ties,
    # so the threshold admits 5 non-members. The old rule (allowance >= 20) printed a TPR resting on those 5.
    rng = np.random.default_rng(0)
    non = np.r_[rng.normal(10, 1, 5), np.full(300, 3.0), rng.uniform(-3, 2.9, 4695)]
    s = attack_summary(rng.normal(0.5, 1, 5000), non)
    p1 = s["low_fpr"][0]
    assert p1["false_positive_allowance"] == 50 and p1["false_positives"] == 5
    assert p1["tpr"] is None and s["tpr_at_1pct_fpr"] is None
    assert "only 5 non-members" in p1["not_reported"] and "next threshold admits 305" in p1["not_reported"]


def test_the_tpr_interval_covers_the_true_tpr_at_the_target_fpr_though_the_threshold_is_estimated():
    # Members N(1, 1), non-members N(0, 1): the true TPR at 1% FPR is 1 - Phi(z_0.99 - 1). A Clopper–Pearson
    # interval on the members alone (threshold taken as fixed) misses it far more often than 5%.
    from scipy.stats import norm

    truth = norm.sf(norm.isf(0.01) - 1.0)
    rng = np.random.default_rng(0)
    ours = fixed = 0
    reps = 200
    for _ in range(reps):
        tp, fp = roc_counts(rng.normal(1, 1, 2000), rng.normal(0, 1, 5000))
        p = low_fpr_point(tp, fp, n_members=2000, n_nonmembers=5000, target=0.01)
        ours += p["tpr_ci"][0] <= truth <= p["tpr_ci"][1]
        lo, hi = clopper_pearson(p["true_positives"], 2000)
        fixed += lo <= truth <= hi
    assert ours / reps >= 0.93 and fixed / reps < 0.85


def test_interval_brackets_the_threshold_between_order_statistics():
    tp, fp = roc_counts(np.arange(900.0, 1000.0) + 0.5, np.arange(1000.0))
    r = tpr_at_fpr_interval(tp, fp, n_members=100, n_nonmembers=1000, target=0.05)
    k, j = r["false_positive_bounds"]
    assert k < 50 < j  # the 50th highest non-member is the point estimate's threshold
    assert 0.0 < r["tpr_ci"][0] < r["tpr_ci"][1] < 1.0 and "threshold-aware" in r["tpr_ci_method"]


def test_scores_are_ranked_in_float64():
    # Differences below float32 resolution still separate members from non-members.
    m = 1.0 + np.arange(1, 101) * 1e-12
    n = np.ones(100)
    assert attack_summary(m, n)["auc"] == 1.0


def test_roc_keeps_low_fpr_points_for_log_axes():
    rng = np.random.default_rng(2)
    s = attack_summary(rng.normal(0.3, 1, 20000), rng.normal(0, 1, 20000), max_roc_points=100)
    fpr = np.array(s["roc"]["fpr"])
    assert len(fpr) <= 100 and fpr[0] == 0.0 and fpr[-1] == 1.0
    assert (fpr[(fpr > 0) & (fpr <= 1e-3)]).size >= 5  # evenly spaced points alone would give none below 1%
    assert s["roc"]["false_positives"] == [int(round(f * 20000)) for f in fpr]


def test_confidence_attack_does_not_tie_confident_rows_at_one():
    import torch

    from audit.privacy._membership import _confidence_rank, confidence_score

    class Fixed(torch.nn.Module):
        def forward(self, x):
            return x[:, :1] * 1.0

    X = np.array([[40.0], [45.0], [-50.0], [0.5]], dtype=np.float32)
    saturated = confidence_score(Fixed(), X)
    assert saturated[0] == saturated[1] == 1.0  # float64 sigmoid of a float32 logit: tied at the top
    rank = _confidence_rank(Fixed(), X)
    assert rank.tolist() == [40.0, 45.0, 50.0, 0.5]
    assert (np.argsort(rank[[3, 0]]) == np.argsort(saturated[[3, 0]])).all()
