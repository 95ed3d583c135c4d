"""audit_model (a model trained elsewhere, no DP settings): threshold attacks only, and the record says why."""

from __future__ import annotations

import torch

from audit import audit_model
from audit.config import ExplainSection, FairnessSection
from audit.data import TabularPreprocessor
from audit.data.datasets import load_adult
from audit.models import MLP


def test_audit_model_runs_threshold_attacks_on_clean_nonmembers_and_says_why_no_reference_attack():
    train, test = load_adult()
    train, test = train.sample(1500, random_state=0), test.sample(1000, random_state=0)
    features = [c for c in train.columns if c != "income"]
    pre = TabularPreprocessor().fit(train[features])
    torch.manual_seed(0)
    model = MLP(len(pre.feature_names_), hidden=(8,))
    res = audit_model(model, test=test, train=train, target="income", positive_label=">50K", sensitive_features=["sex"],
                      preprocessor=pre, fairness=FairnessSection(n_boot=0, mitigation="none"),
                      explain=ExplainSection(enabled=False))
    mia = res.privacy.membership_inference["reference"]
    assert set(mia.attacks) == {"loss_threshold", "score"}
    assert mia.reference_models.k == 0 and "trained elsewhere" in mia.reference_models.skipped
    assert mia.nonmember_cleaning.heldout_rows == 1000
    assert mia.n_nonmembers == mia.nonmember_cleaning.clean_heldout_rows  # every clean row attacked (no population)
