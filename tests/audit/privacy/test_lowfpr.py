"""Low-FPR figures carry their evidence: counts, Clopper–Pearson intervals, and a refusal when thin."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from audit.privacy._lowfpr import clopper_pearson, low_fpr_point, roc_counts
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
    assert all(lo <= t <= hi for lo, t, hi in zip(roc["tpr_lower"], roc["tpr"], roc["tpr_upper"]))


def test_ties_are_admitted_together_never_split():
    # Every score equal: the only threshold with FPR <= 1% is above all of them, so TPR is 0 (no interpolation).
    tp, fp = roc_counts(np.zeros(1000), np.zeros(1000))
    p = low_fpr_point(tp, fp, n_members=1000, n_nonmembers=1000, target=0.01, min_false_positives=1)
    assert p["tpr"] == 0.0 and p["false_positives"] == 0


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
