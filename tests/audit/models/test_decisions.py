"""The decision threshold: its rules on validation rows, what the record keeps, and that the config needs rows for it."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score, f1_score

from audit.config import config_from_dict
from audit.exceptions import ConfigError
from audit.models.decisions import choose_threshold, rule_name


def _scores(n: int = 2000, positives: float = 0.12, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positives).astype(int)
    # every score above 0.5, as a model of 88% approvals gives: ranking, not calibration, carries the signal
    s = 0.6 + 0.3 * (1 / (1 + np.exp(-(rng.normal(size=n) + 1.5 * y))))
    return y, s


def test_base_rate_selects_as_many_as_the_base_rate_and_never_everyone():
    y, s = _scores()
    chosen = choose_threshold(y, s, rule="base_rate")
    assert chosen["validation"]["selection_rate"] == pytest.approx(y.mean(), abs=1 / len(y))
    assert chosen["at_0_5"]["selection_rate"] == 1.0  # at 0.5 the same model selects every row
    assert chosen["rule"] == "base_rate" and "base rate" in chosen["rule_text"]


@pytest.mark.parametrize(("rule", "metric"), [("balanced_accuracy", balanced_accuracy_score), ("f1", f1_score)])
def test_optimising_rules_find_the_best_threshold_among_the_scores(rule, metric):
    y, s = _scores(seed=1)
    chosen = choose_threshold(y, s, rule=rule)
    best = max(metric(y, (s >= t).astype(int)) for t in np.unique(s))
    assert metric(y, (s >= chosen["threshold"]).astype(int)) == pytest.approx(best, abs=1e-12)


def test_a_fixed_threshold_is_kept_and_a_bad_rule_is_refused():
    y, s = _scores()
    assert choose_threshold(y, s, rule=0.7)["threshold"] == 0.7
    assert rule_name(0.3) == "fixed"
    with pytest.raises(ConfigError, match="base_rate"):
        rule_name("median")


def _raw(**training):
    return {"name": "t", "data": {"bundled": "adult", "target": "income", "positive_label": ">50K",
                                  "sensitive_features": ["sex"]}, "split": {"validation_size": 0},
            "training": training}


def test_a_threshold_rule_or_early_stopping_without_validation_rows_is_refused_with_the_keys_that_fix_it():
    with pytest.raises(ConfigError) as err:
        config_from_dict(_raw())
    text = str(err.value)
    assert "split.validation_size" in text and "training.threshold" in text and "training.early_stopping" in text
    config = config_from_dict(_raw(threshold=0.5, early_stopping=False))  # the fix the message names
    assert config.split.validation_size == 0 and config.training.threshold == 0.5


def test_audit_model_decides_at_the_threshold_its_owner_gives(tmp_path):
    import pandas as pd
    import torch

    from audit.config import ExplainSection, FairnessSection
    from audit.data import TabularPreprocessor
    from audit.pipeline.runner import audit_model
    from tests._real_like import mortgage_table

    frame = mortgage_table()
    train, test = frame.iloc[:1400], frame.iloc[1400:]
    pre = TabularPreprocessor().fit(train[["income_band", "credit_history"]])
    torch.manual_seed(0)
    model = torch.nn.Linear(len(pre.feature_names_), 1)
    result = audit_model(model, test=test, train=train, target="approved", positive_label="yes",
                         sensitive_features=["sex"], preprocessor=pre, membership_inference=False, threshold=0.37,
                         fairness=FairnessSection(n_boot=0, mitigation="none"), explain=ExplainSection(enabled=False),
                         out=tmp_path / "run")
    chosen = result.models["reference"].decision_threshold
    assert (chosen.value, chosen.rule) == (0.37, "fixed")
    preds = pd.read_csv(tmp_path / "run" / "predictions.csv")
    assert ((preds["y_score"] >= 0.37).astype(int) == preds["y_pred"]).all()
