"""Bad input gives an ExplainError that says what was expected, what was found and what to do."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from audit.exceptions import ExplainError
from audit.explain import FeatureAblation, IntegratedGradients, Saliency, explain_tabular, make_explainer


class Rounding(nn.Module):
    """A step function: round() has zero gradient everywhere."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, x):
        return torch.round(self.linear(x) * 3)


class Detached(nn.Module):
    """Breaks the graph: the output does not depend differentiably on the input."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, x):
        return self.linear(x.detach())


class SqrtOfInput(nn.Module):
    """sqrt of the input: its gradient is NaN for negative inputs."""

    def forward(self, x):
        return torch.sqrt(x).sum(dim=1, keepdim=True)


X = np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32)


@pytest.mark.parametrize("model", [Rounding(), Detached()], ids=["round", "detach"])
@pytest.mark.parametrize("method", ["integrated_gradients", "deeplift", "gradient_shap"])
def test_non_differentiable_model_suggests_feature_ablation(model, method):
    with pytest.raises(ExplainError, match="feature_ablation") as err:
        make_explainer(method, model).attribute(X)
    assert "non-differentiable" in str(err.value)
    # ... and the suggested method works on it.
    assert FeatureAblation(model).attribute(X).shape == X.shape


def test_target_out_of_range_names_the_valid_range():
    model = nn.Linear(4, 3)
    with pytest.raises(ExplainError, match=r"Target 3 is out of range.*0\.\.2"):
        IntegratedGradients(model, target=3).attribute(X)
    with pytest.raises(ExplainError, match="out of range"):
        Saliency(model, target=[0, 1, -1] + [0] * 13).attribute(X)
    with pytest.raises(ExplainError, match="one target per row"):
        Saliency(model, target=[0, 1]).attribute(X)


def test_binary_target_on_a_multiclass_model_asks_for_a_class():
    with pytest.raises(ExplainError, match="target=<class index>"):
        IntegratedGradients(nn.Linear(4, 5)).attribute(X)


def test_nan_attributions_are_refused():
    X_pos = np.abs(X) + 0.1  # sqrt is finite here, but not on the path from a negative baseline
    with pytest.raises(ExplainError, match="NaN or infinite attribution"):
        IntegratedGradients(SqrtOfInput()).attribute(X_pos, baselines=-np.ones(4))


def test_nan_inputs_are_refused_with_the_row():
    bad = X.copy()
    bad[5, 2] = np.nan
    with pytest.raises(ExplainError, match="row 5"):
        IntegratedGradients(nn.Linear(4, 1)).attribute(bad)


@pytest.mark.parametrize("shape", [(3,), (2, 5), (1, 1, 4), (0, 4)])
def test_wrong_shaped_baseline_is_refused(shape):
    with pytest.raises(ExplainError, match=r"baseline has shape.*expected \(4,\)"):
        IntegratedGradients(nn.Linear(4, 1)).attribute(X, baselines=np.zeros(shape))


def test_permutation_of_a_single_row_is_refused():
    from audit.explain import FeaturePermutation

    with pytest.raises(ExplainError, match="at least 2 rows"):
        FeaturePermutation(nn.Linear(4, 1)).attribute(X[:1])


def test_unknown_method_lists_the_valid_ones():
    with pytest.raises(ExplainError, match="integrated_gradients") as err:
        make_explainer("shap_magic", nn.Linear(4, 1))
    assert "shap_magic" in str(err.value)


def test_explain_tabular_reports_every_problem_at_once(adult):
    with pytest.raises(ExplainError) as err:
        explain_tabular(
            adult.model, X_explain=adult.X_test[:10], X_train=adult.X_train[:, :5], feature_names=["x"],
            feature_groups=adult.feature_groups, raw_explain=adult.raw_test.iloc[:9], y_explain=np.full(10, 2),
            sensitive_explain=adult.raw_test[["sex"]].iloc[:10], method="lime", baseline="zeros", n_boot=-1)
    problems = err.value.problems
    text = " | ".join(problems)
    for words in ("lime", "zeros", "X_train has 5 columns", "feature_names has 1", "raw_explain has 9 rows",
                  "0/1 labels", "n_boot"):
        assert words in text, words
    assert len(problems) == 7
