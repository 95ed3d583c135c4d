"""The model-parameter randomisation test (Adebayo et al. 2018) flags explainers that ignore the model."""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import spearmanr

from audit.explain import Explainer, IntegratedGradients, randomization_test, reinitialised_copy, rowwise_spearman


class InputTimesConstant(Explainer):
    """A deliberately broken explainer: attributions = input * 3, whatever the model."""

    name = "broken"

    def _attribute(self, X, baselines, target):
        return X * 3.0


def test_broken_explainer_is_flagged(adult):
    X = adult.X_test[:200]
    result = randomization_test(InputTimesConstant(adult.model), X, feature_groups=adult.feature_groups)
    assert result["spearman"] > 0.99
    assert result["flagged"] is True


def test_integrated_gradients_on_a_trained_model_passes(adult):
    X = adult.X_test[:200]
    result = randomization_test(IntegratedGradients(adult.model), X, baselines=adult.X_train.mean(axis=0),
                                feature_groups=adult.feature_groups)
    assert result["spearman"] < result["threshold"]
    assert result["flagged"] is False


def test_reinitialised_copy_changes_every_layer_and_leaves_the_original(adult):
    before = {k: v.clone() for k, v in adult.model.state_dict().items()}
    clone = reinitialised_copy(adult.model, seed=1)
    for k, v in clone.state_dict().items():
        assert not torch.equal(v, before[k]), k
        assert torch.equal(adult.model.state_dict()[k], before[k]), k


def test_rowwise_spearman_equals_scipy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(10, 7))
    b = a + rng.normal(scale=0.8, size=(10, 7))
    b[0, :3] = b[0, 3]  # ties
    ours = rowwise_spearman(a, b)
    ref = [spearmanr(a[i], b[i]).statistic for i in range(10)]
    np.testing.assert_allclose(ours, ref, atol=1e-12)
