"""Infidelity and sensitivity are Captum's metrics, computed as documented."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from audit.explain import (
    FeatureAblation,
    IntegratedGradients,
    convergence_delta,
    convergence_summary,
    infidelity_score,
    sensitivity_score,
)


def test_infidelity_is_zero_for_exact_attributions_of_a_linear_model():
    # For a linear model, IG (and ablation) attributions are exactly w * (x - b), so removing any
    # subset of features changes the output by exactly the removed attributions.
    torch.manual_seed(0)
    model = nn.Linear(6, 1)
    X = np.random.default_rng(0).normal(size=(40, 6)).astype(np.float32)
    b = np.zeros(6, dtype=np.float32)
    ig = IntegratedGradients(model)
    good = infidelity_score(ig, X, ig.attribute(X, baselines=b), baseline=b)
    shuffled = infidelity_score(ig, X, ig.attribute(X, baselines=b)[:, ::-1].copy(), baseline=b)
    assert good < 1e-9 < shuffled


def test_infidelity_matches_a_direct_monte_carlo_estimate(adult):
    X = adult.X_test[:50]
    b = adult.X_train.mean(axis=0, keepdims=True)
    fa = FeatureAblation(adult.model, feature_groups=adult.feature_groups)
    attr = fa.attribute(X, baselines=b)
    ours = infidelity_score(fa, X, attr, baseline=b, feature_groups=adult.feature_groups, n_perturb_samples=400,
                            seed=1)
    # Independent estimate of E[(sum of removed attributions - (f(x) - f(x_removed)))^2].
    rng = np.random.default_rng(2)
    groups = list(adult.feature_groups.values())
    grouped = np.stack([attr[:, c].sum(1) for c in groups], axis=1)
    fx = fa.score(X)
    errs = []
    for _ in range(400):
        keep = rng.random((len(X), len(groups))) < 0.3
        Xp = X.copy()
        for g, cols in enumerate(groups):
            rows = keep[:, g]
            Xp[np.ix_(rows, cols)] = b[0, cols]
        errs.append(((keep * grouped).sum(1) - (fx - fa.score(Xp))) ** 2)
    ref = float(np.mean(errs))
    assert abs(ours - ref) / ref < 0.15


def test_sensitivity_is_small_for_ig_on_smooth_models(adult):
    X = adult.X_test[:16]
    b = adult.X_train.mean(axis=0)
    s = sensitivity_score(IntegratedGradients(adult.model), X, baselines=b, feature_groups=adult.feature_groups)
    assert 0 < s < 1
    model = nn.Linear(X.shape[1], 1)
    # IG of a linear model with a zero baseline is w * x: noise of radius 0.02 moves it by at
    # most 0.02 * |w| per column, a small change relative to |w * x|.
    s_lin = sensitivity_score(IntegratedGradients(model), X, baselines=np.zeros(X.shape[1]))
    assert s_lin < 0.2


def test_convergence_delta_is_small_for_ig_and_flagged_when_steps_are_too_few(adult):
    X = adult.X_test[:200]
    b = adult.X_train.mean(axis=0)
    fine = IntegratedGradients(adult.model, n_steps=100)
    delta = convergence_delta(fine, X, fine.attribute(X, baselines=b), baselines=b)
    assert convergence_summary(delta)["warning"] is False
    coarse = IntegratedGradients(adult.model, n_steps=2, method="riemann_left")
    delta = convergence_delta(coarse, X, coarse.attribute(X, baselines=b), baselines=b)
    summary = convergence_summary(delta, tolerance=0.01, method="integrated_gradients")
    assert summary["warning"] is True and "n_steps" in summary["message"]
