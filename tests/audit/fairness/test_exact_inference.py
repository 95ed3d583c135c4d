"""Exact inference of the binary fairness report: group intervals, bands, disparity intervals, parity tests.

The coverage, family-wise error and power over the grid of hard cells are in the validity suite
(validity/fairness.py, docs/validity.md); these tests pin the methods and the cases the issue found.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from audit.fairness import fairness_report
from audit.fairness._exact import disparity_ci, group_intervals, mid_p_vs_rest
from audit.fairness._holm import holm
from audit.fairness._proportions import clopper_pearson, detectable_difference, sidak_level


def _table(groups: dict[str, tuple[int, int, int, int]]):
    """Rows from per-group confusion counts (TN, FP, FN, TP)."""
    y, p, g = [], [], []
    for name, (tn, fp, fn, tp) in groups.items():
        for yy, pp, k in ((0, 0, tn), (0, 1, fp), (1, 0, fn), (1, 1, tp)):
            y += [yy] * k
            p += [pp] * k
            g += [name] * k
    return np.array(y), np.array(p), pd.DataFrame({"g": g})


def test_clopper_pearson_equals_scipy_binomtest():
    for k, n in [(0, 60), (1, 20), (5, 10), (20, 20), (37, 1000)]:
        lo, hi = clopper_pearson(k, n, 0.95)
        ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
        assert float(lo) == pytest.approx(ref.low, abs=1e-12) and float(hi) == pytest.approx(ref.high, abs=1e-12)


def test_zero_false_positives_among_sixty_negatives_is_not_a_certainty():
    # The case: 0 FP of 60 negatives got a bootstrap SE of 0, a band of [0, 0] and
    # fpr_ratio_to_overall = 0 [0, 0], p = 5e-8, "significant".
    y, p, s = _table({"a": (60, 0, 10, 30), "b": (900, 30, 60, 140), "c": (880, 25, 50, 150)})
    block = fairness_report(y_true=y, y_pred=p, sensitive=s, n_boot=1)["by_feature"]["g"]
    a = next(g for g in block["groups"] if g["group"] == "a")["metrics"]["fpr"]
    assert a["value"] == 0.0 and a["ci"][0] == 0.0 and a["ci"][1] == pytest.approx(1 - 0.025 ** (1 / 60))
    assert a["simultaneous_ci"][1] > a["ci"][1]
    ratio = block["disparities"]["fpr_ratio_to_overall"]
    assert ratio["value"] == 0.0 and ratio["ci"][1] > 0.0
    assert ratio["p_value"] > 0.05 and ratio["significant"] is False  # 0 of 60 at an FPR of 0.03 is common


def test_group_bands_are_exact_intervals_at_the_sidak_level():
    counts = np.array([[50, 10, 5, 35], [40, 0, 20, 40], [10, 10, 10, 10]])
    lo, hi = group_intervals(counts, "tpr", 0.95, simultaneous=True)
    ref_lo, ref_hi = clopper_pearson(counts[:, 3], counts[:, 2] + counts[:, 3], sidak_level(0.95, 3))
    np.testing.assert_allclose(lo, ref_lo, atol=1e-15)
    np.testing.assert_allclose(hi, ref_hi, atol=1e-15)


def test_a_disparity_interval_contains_every_value_the_box_allows():
    counts = np.array([[80, 20, 10, 40], [60, 30, 25, 35], [30, 5, 5, 10]])
    lo, hi = disparity_ci("demographic_parity_difference", ("selection_rate",), counts, 0.95)
    box_lo, box_hi = group_intervals(counts, "selection_rate", 0.95, simultaneous=True)
    for corner in itertools.product(*zip(box_lo, box_hi, strict=True)):
        assert lo - 1e-12 <= max(corner) - min(corner) <= hi + 1e-12


def test_two_groups_difference_is_the_mover_interval_with_exact_limits():
    counts = np.array([[40, 10, 10, 40], [45, 5, 20, 30]])  # selection rates 50/100 and 35/100
    lo, hi = disparity_ci("demographic_parity_difference", ("selection_rate",), counts, 0.95)
    (l1, l2), (u1, u2) = clopper_pearson(np.array([50, 35]), np.array([100, 100]), 0.95)
    assert lo == pytest.approx(0.15 - np.hypot(0.5 - l1, u2 - 0.35))
    assert hi == pytest.approx(0.15 + np.hypot(u1 - 0.5, 0.35 - l2))


def test_the_group_test_is_the_exact_conditional_distribution_with_mid_p():
    k, n = np.array([2, 10]), np.array([20, 1000])
    # enumerate the hypergeometric law of group 0's count given the total independently
    support = np.arange(0, 13)
    pmf = stats.hypergeom.pmf(support, 1020, 12, 20)
    expected = 20 * 12 / 1020
    far = np.abs(support - expected) > abs(2 - expected) + 1e-9
    tie = np.isclose(np.abs(support - expected), abs(2 - expected))
    assert mid_p_vs_rest(k, n)[0] == pytest.approx(pmf[far].sum() + 0.5 * pmf[tie].sum())
    # the mid-p sits between the exact test's halves, below Fisher's doubled one-sided p
    assert mid_p_vs_rest(k, n)[0] < stats.fisher_exact([[2, 18], [10, 990]])[1]


def test_a_real_disparity_is_significant_and_parity_is_not():
    rng = np.random.default_rng(1)
    n = 6000
    s = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(["x", "y", "z"], n)})
    y = rng.integers(0, 2, n)
    p = (rng.random(n) < np.where(s.sex == "F", 0.25, 0.45)).astype(int)
    rep = fairness_report(y_true=y, y_pred=p, sensitive=s, n_boot=1)
    dp = rep["by_feature"]["sex"]["disparities"]["demographic_parity_difference"]
    assert dp["significant"] and dp["p_adjusted"] < 0.05 and dp["ci"][0] > 0
    assert 0 < dp["detectable"] < dp["value"]
    assert rep["by_feature"]["race"]["disparities"]["demographic_parity_difference"]["significant"] is False
    mt = rep["ci"]["multiple_testing"]
    assert mt["method"] == "holm" and mt["alpha"] == 0.05 and mt["tests"] >= mt["hypotheses"] > 10


def test_every_interval_contains_its_estimate_and_the_band_the_marginal_interval():
    rng = np.random.default_rng(0)
    n = 1500
    s = pd.DataFrame({"g": rng.choice(list("abcdefghij"), n)})
    y = rng.integers(0, 2, n)
    p = (rng.random(n) < 0.3 + 0.02 * (s.g.to_numpy() < "e")).astype(int)
    block = fairness_report(y_true=y, y_pred=p, sensitive=s, n_boot=1)["by_feature"]["g"]
    for g in block["groups"]:
        for _m, e in g["metrics"].items():
            if isinstance(e, dict) and e.get("ci"):
                assert 0 <= e["simultaneous_ci"][0] <= e["ci"][0] <= e["value"] <= e["ci"][1] <= e["simultaneous_ci"][1] <= 1
    for name, e in block["disparities"].items():
        if e.get("ci") and "roc_auc" not in name:
            assert e["ci"][0] <= e["value"] <= e["ci"][1], name
            assert e["simultaneous_ci"][0] <= e["ci"][0] and e["ci"][1] <= e["simultaneous_ci"][1], name


def test_detectable_difference_matches_a_simulated_power_of_eighty_percent():
    rng = np.random.default_rng(3)
    delta = detectable_difference(0.3, 250, 2750, alpha=0.05 / 12)
    k_rest = rng.binomial(2750, 0.3, 4000)
    k_small = rng.binomial(250, 0.3 + delta, 4000)
    hits = np.mean([mid_p_vs_rest(np.array([a, b]), np.array([250, 2750]))[0] < 0.05 / 12 for a, b in zip(k_small, k_rest, strict=True)])
    assert 0.75 <= hits <= 0.86


def test_the_report_is_the_same_whatever_the_seed_and_without_n_boot_has_no_intervals():
    rng = np.random.default_rng(5)
    n = 600
    y, p = rng.integers(0, 2, n), rng.integers(0, 2, n)
    s = pd.DataFrame({"g": rng.choice(list("ab"), n)})
    assert fairness_report(y_true=y, y_pred=p, sensitive=s, n_boot=5, seed=1) == \
        fairness_report(y_true=y, y_pred=p, sensitive=s, n_boot=5, seed=2)
    rep = fairness_report(y_true=y, y_pred=p, sensitive=s, n_boot=0)
    assert all(e["ci"] is None for e in rep["overall"]["metrics"].values())
    assert "multiple_testing" not in rep["ci"]


def test_holm_matches_the_textbook_step_down():
    p = [0.01, 0.04, 0.03, 0.005]
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([]) == []
