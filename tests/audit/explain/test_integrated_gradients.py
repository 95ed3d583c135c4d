"""Our chunked Integrated Gradients equals Captum's default call."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import IntegratedGradients as CaptumIG
from torch import nn

from audit.explain import IntegratedGradients
from audit.models import positive_logit


def _captum_default(model, X, baseline, target=None):
    forward = (lambda x: positive_logit(model(x))) if target is None else model
    return CaptumIG(forward).attribute(torch.from_numpy(X), baselines=torch.from_numpy(baseline), target=target).numpy()


def test_equals_captum_default_on_trained_adult_model(adult):
    baseline = adult.X_train.mean(axis=0, keepdims=True)
    ours = IntegratedGradients(adult.model).attribute(adult.X_test, baselines=baseline)
    ref = _captum_default(adult.model, adult.X_test, baseline)
    assert ours.shape == ref.shape == adult.X_test.shape
    assert np.abs(ours - ref).max() <= 1e-5


@pytest.mark.parametrize("chunk_rows", [3, 7, 100, 5000])
def test_chunking_does_not_change_results(adult, chunk_rows):
    X = adult.X_test[:60]
    baseline = adult.X_train.mean(axis=0)
    ours = IntegratedGradients(adult.model, chunk_rows=chunk_rows).attribute(X, baselines=baseline)
    ref = _captum_default(adult.model, X, baseline[None])
    assert np.abs(ours - ref).max() <= 1e-5


def test_multiclass_per_row_targets_equal_captum():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(6, 12), nn.Tanh(), nn.Linear(12, 4)).eval()
    X = np.random.default_rng(1).normal(size=(50, 6)).astype(np.float32)
    target = np.random.default_rng(2).integers(0, 4, size=50)
    ours = IntegratedGradients(model, target=target, chunk_rows=16).attribute(X, baselines=np.zeros(6))
    ref = _captum_default(model, X, np.zeros((1, 6), dtype=np.float32), target=torch.from_numpy(target))
    assert np.abs(ours - ref).max() <= 1e-5


def test_several_baselines_average_single_baseline_runs(adult):
    X = adult.X_test[:50]
    B = adult.X_train[:3]
    ig = IntegratedGradients(adult.model)
    averaged = ig.attribute(X, baselines=B)
    singles = np.mean([ig.attribute(X, baselines=b) for b in B], axis=0)
    assert np.abs(averaged - singles).max() <= 1e-5


def test_attributions_are_complete(adult):
    # Completeness: attributions sum to f(x) - f(baseline) up to the quadrature error.
    X = adult.X_test[:300]
    baseline = adult.X_train.mean(axis=0)
    ig = IntegratedGradients(adult.model, n_steps=200)
    total = ig.attribute(X, baselines=baseline).sum(axis=1)
    gap = ig.score(X) - ig.score(baseline[None])[0]
    assert np.abs(total - gap).mean() < 5e-3
