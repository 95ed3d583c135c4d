"""A model that ignores its input never passes a fairness gate (issue 13), through the public API."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from audit import audit_model
from audit.config import ExplainSection, FairnessSection, GateSpec
from audit.data import TabularPreprocessor
from audit.data.datasets import load_adult


class IgnoresInput(nn.Module):
    """Approves everyone: a constant logit whatever the features."""

    def __init__(self, n_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(n_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x) * 0.0 + 3.0


@pytest.fixture(scope="module")
def adult_sample():
    train, test = load_adult()
    train, test = train.sample(3000, random_state=0), test.sample(2000, random_state=0)
    pre = TabularPreprocessor().fit(train[[c for c in train.columns if c != "income"]])
    return train, test, pre


def _audit(model, adult_sample, **gate):
    train, test, pre = adult_sample
    spec = GateSpec(metric="demographic_parity_difference", feature="sex", model="reference", max=0.1, **gate)
    return audit_model(model, test=test, train=train, target="income", positive_label=">50K", sensitive_features=["sex"],
                       preprocessor=pre, fairness=FairnessSection(n_boot=50, mitigation="none"),
                       explain=ExplainSection(enabled=False), membership_inference=False, gates=(spec,))


def test_a_model_that_ignores_its_input_fails_with_the_reason(adult_sample):
    pre = adult_sample[2]
    result = _audit(IgnoresInput(len(pre.feature_names_)), adult_sample)
    gate = result.gates[0]
    assert result.verdict == "fail"
    assert gate.outcome == "inconclusive" and "degenerate" in gate.message
    assert result.models["reference"].degenerate.degenerate
    assert any("predicts 1 for 100.0% of the rows" in r for r in result.models["reference"].degenerate.reasons)


def test_allow_inconclusive_passes_but_the_reason_stays(adult_sample):
    pre = adult_sample[2]
    result = _audit(IgnoresInput(len(pre.feature_names_)), adult_sample, allow_inconclusive=True)
    assert result.verdict == "pass"
    assert result.gates[0].outcome == "inconclusive"
    assert result.models["reference"].degenerate.degenerate
