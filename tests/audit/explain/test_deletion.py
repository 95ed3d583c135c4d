"""Deletion curve: removing the most important features first moves a trained model's prediction sooner."""

from __future__ import annotations

import numpy as np

from audit.explain import IntegratedGradients, deletion_curve


def test_top_features_beat_random_orders_on_a_trained_model(adult):
    X = adult.X_test[:256]
    baseline = adult.X_train.mean(axis=0, keepdims=True)
    ig = IntegratedGradients(adult.model, feature_groups=adult.feature_groups)
    grouped = ig.attribute_groups(X, baselines=baseline)
    curve = deletion_curve(ig, X, grouped, baseline=baseline, feature_groups=adult.feature_groups, seed=0)
    G = len(adult.feature_groups)
    assert curve["k"] == list(range(G + 1))
    assert curve["top"][0] == curve["random"][0] == 0.0
    # Removing everything is the same input whatever the order.
    assert abs(curve["top"][-1] - curve["random"][-1]) < 1e-6
    assert curve["top_beats_random"] and curve["area_top"] > 1.3 * curve["area_random"]
    assert curve["top"][1] > curve["random"][1]


def test_an_inverted_ranking_does_worse_than_random(adult):
    # The check can fail: rank features least-important first and "top" falls below random.
    X = adult.X_test[:256]
    baseline = adult.X_train.mean(axis=0, keepdims=True)
    ig = IntegratedGradients(adult.model, feature_groups=adult.feature_groups)
    grouped = ig.attribute_groups(X, baselines=baseline)
    inverted = 1.0 / (np.abs(grouped) + 1e-6)
    curve = deletion_curve(ig, X, inverted, baseline=baseline, feature_groups=adult.feature_groups, seed=0)
    assert not curve["top_beats_random"]
