"""Every attribution method runs, returns the input's shape, and agrees with Captum where it wraps it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from captum.attr import DeepLift as CaptumDeepLift
from torch import nn

from audit.explain import EXPLAINERS, TABULAR_METHODS, DeepLift, Occlusion, Saliency, make_explainer
from audit.explain._base import _PositiveLogit


@pytest.mark.parametrize("method", TABULAR_METHODS)
def test_each_tabular_method_runs_on_adult(adult, method):
    X = adult.X_test[:64]
    explainer = make_explainer(method, adult.model, feature_groups=adult.feature_groups)
    attr = explainer.attribute(X, baselines=adult.X_train[:4], seed=0)
    assert attr.shape == X.shape and attr.dtype == np.float32
    assert np.isfinite(attr).all() and np.abs(attr).sum() > 0
    grouped = explainer.attribute_groups(X, baselines=adult.X_train[:4], seed=0)
    assert grouped.shape == (64, len(adult.feature_groups))


@pytest.mark.parametrize("method", TABULAR_METHODS)
def test_each_method_is_deterministic_for_a_seed(adult, method):
    X = adult.X_test[:32]
    explainer = make_explainer(method, adult.model, feature_groups=adult.feature_groups)
    a = explainer.attribute(X, baselines=adult.X_train[:4], seed=5)
    b = explainer.attribute(X, baselines=adult.X_train[:4], seed=5)
    np.testing.assert_array_equal(a, b)


def test_deeplift_equals_captum_and_is_complete(adult):
    X = adult.X_test[:100]
    baseline = adult.X_train.mean(axis=0, keepdims=True)
    ours = DeepLift(adult.model).attribute(X, baselines=baseline)
    ref = CaptumDeepLift(_PositiveLogit(adult.model)).attribute(
        torch.from_numpy(X), baselines=torch.from_numpy(np.repeat(baseline, len(X), axis=0))).detach().numpy()
    assert np.abs(ours - ref).max() <= 1e-5
    gap = DeepLift(adult.model).score(X) - DeepLift(adult.model).score(baseline)[0]
    np.testing.assert_allclose(ours.sum(axis=1), gap, atol=1e-4)


def _cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, 3)).eval()


def test_image_methods_run_on_a_cnn_with_per_image_targets():
    images = torch.rand(5, 1, 8, 8)
    target = [0, 1, 2, 1, 0]
    for name in ("saliency", "occlusion", "integrated_gradients"):
        attr = make_explainer(name, _cnn(), target=target).attribute(images)
        assert attr.shape == (5, 1, 8, 8) and np.isfinite(attr).all(), name
    assert (Saliency(_cnn(), target=target).attribute(images) >= 0).all()


def test_occlusion_of_a_linear_model_is_the_window_average_of_weight_times_input():
    # For a linear model, occluding a patch changes the output by sum(w * x) over the patch;
    # Captum averages each pixel over the windows covering it. With a 1x1 window that is w * x.
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 2)).eval()
    images = torch.rand(3, 1, 4, 4)
    attr = Occlusion(net, window=1, target=1).attribute(images)
    expected = (net[1].weight[1].detach().view(1, 1, 4, 4) * images).numpy()
    np.testing.assert_allclose(attr, expected, atol=1e-6)


def test_registry_names_every_method():
    assert set(TABULAR_METHODS) | {"saliency", "occlusion"} <= set(EXPLAINERS)
