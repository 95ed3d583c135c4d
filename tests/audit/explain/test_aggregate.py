"""One-hot columns sum back to original features; importance and its CIs."""

from __future__ import annotations

import numpy as np
import pytest

from audit.exceptions import ExplainError
from audit.explain import FeatureAblation, aggregate_groups, bootstrap_mean_ci, global_importance


def test_one_hot_groups_sum_to_original_features(adult):
    rng = np.random.default_rng(0)
    attr = rng.normal(size=(20, len(adult.feature_names))).astype(np.float32)
    grouped = aggregate_groups(attr, adult.feature_groups)
    assert grouped.shape == (20, len(adult.feature_groups))
    for g, (name, cols) in enumerate(adult.feature_groups.items()):
        np.testing.assert_allclose(grouped[:, g], attr[:, cols].sum(axis=1), rtol=1e-6, atol=1e-6, err_msg=name)
    # Summing all groups loses nothing.
    np.testing.assert_allclose(grouped.sum(axis=1), attr.sum(axis=1), rtol=1e-5, atol=1e-5)


def test_ablating_a_group_equals_the_sum_of_its_spread_columns(adult):
    # Ablation attributes whole groups; spread over columns, the group sum is the group's effect.
    X = adult.X_test[:30]
    baseline = adult.X_train.mean(axis=0)
    fa = FeatureAblation(adult.model, feature_groups=adult.feature_groups)
    grouped = fa.attribute_groups(X, baselines=baseline)
    g = list(adult.feature_groups).index("marital-status")
    cols = adult.feature_groups["marital-status"]
    ablated = X.copy()
    ablated[:, cols] = baseline[cols]
    expected = fa.score(X) - fa.score(ablated)
    np.testing.assert_allclose(grouped[:, g], expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("groups", "words"),
    [
        ({"a": [0, 1], "b": [1, 2]}, "in both"),
        ({"a": [0, 1]}, "belong to no group"),
        ({"a": [0, 1, 2], "b": [7]}, "outside"),
        ({"a": [0, 1, 2], "b": []}, "no columns"),
    ],
)
def test_invalid_groups_are_refused_with_the_problem_named(groups, words):
    with pytest.raises(ExplainError, match=words):
        aggregate_groups(np.zeros((2, 3)), groups)


def test_bootstrap_ci_matches_a_plain_resampling_loop():
    rng = np.random.default_rng(3)
    values = rng.exponential(size=(300, 2))
    lo, hi = bootstrap_mean_ci(values, n_boot=2000, seed=1)
    loop = np.array([values[rng.integers(0, 300, 300)].mean(axis=0) for _ in range(2000)])
    ref_lo, ref_hi = np.quantile(loop, [0.025, 0.975], axis=0)
    # Two independent bootstraps of the same statistic: bounds agree to Monte Carlo error.
    np.testing.assert_allclose(lo, ref_lo, atol=0.02)
    np.testing.assert_allclose(hi, ref_hi, atol=0.02)
    assert np.all(lo < values.mean(axis=0)) and np.all(values.mean(axis=0) < hi)


def test_global_importance_is_sorted_with_signed_means():
    grouped = np.array([[1.0, -4.0, 0.5], [-1.0, -2.0, 0.5], [3.0, 0.0, 0.5]])
    rows = global_importance(grouped, ["a", "b", "c"], n_boot=100, seed=0)
    assert [r["feature"] for r in rows] == ["b", "a", "c"]
    assert rows[0]["mean_abs"] == pytest.approx(2.0) and rows[0]["mean_signed"] == pytest.approx(-2.0)
    assert rows[1]["mean_signed"] == pytest.approx(1.0)
    for r in rows:
        assert r["ci"][0] <= r["mean_abs"] <= r["ci"][1]
