"""The defaults on tables built like the public ones a new user brings (imbalanced, coarse, a small group).

Before issue 23 both the reference and the private model predicted the majority class for every row of
such tables. With the defaults (class weights, a threshold chosen on validation rows, automatic epochs,
early stopping) both learn and decide, and the record says how the threshold was chosen.
"""

from __future__ import annotations

import json

import pytest

from audit.config import load_config
from audit.pipeline.runner import run_audit
from tests._real_like import arrests_table, mortgage_table

TABLES = {
    "mortgage": (mortgage_table, "approved", "yes", ["sex", "race"]),
    "arrests": (arrests_table, "released", "Yes", ["race", "sex"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TABLES))
def test_the_defaults_train_models_that_learn_and_decide(tmp_path, name):
    make, target, positive, sensitive = TABLES[name]
    make().to_csv(tmp_path / "table.csv", index=False)
    (tmp_path / "audit.toml").write_text(
        f'name = "{name}"\n[data]\npath = "table.csv"\ntarget = "{target}"\npositive_label = "{positive}"\n'
        f"sensitive_features = {json.dumps(sensitive)}\n", encoding="utf-8")
    result = run_audit(load_config(tmp_path / "audit.toml"), write=False).result
    for model in ("reference", "private"):
        summary = result.models[model]
        assert summary.degenerate.degenerate is False, (model, summary.degenerate.reasons)
        assert summary.degenerate.threshold_problem is None, (model, summary.degenerate.threshold_problem)
        assert summary.test_roc_auc > 0.6, model
        chosen = summary.decision_threshold
        assert chosen.rule == "base_rate" and 0 < chosen.value < 1
        assert 0.6 < chosen.validation["selection_rate"] < 0.97  # never everyone, as at 0.5
        assert summary.test_balanced_accuracy > 0.55
    assert result.data.n_validation > 0
    dp = result.privacy.dp
    assert dp.epsilon_spent <= dp.epsilon_target


def _run_table(tmp_path, name: str, extra: str = ""):
    make, target, positive, sensitive = TABLES[name]
    if not (tmp_path / "table.csv").exists():
        make().to_csv(tmp_path / "table.csv", index=False)
    (tmp_path / "audit.toml").write_text(
        f'name = "{name}"\n[data]\npath = "table.csv"\ntarget = "{target}"\npositive_label = "{positive}"\n'
        f"sensitive_features = {json.dumps(sensitive)}\n{extra}", encoding="utf-8")
    return run_audit(load_config(tmp_path / "audit.toml"), write=False).result


@pytest.mark.slow
def test_the_threshold_advice_names_keys_that_fix_the_threshold_problem(tmp_path):
    # the old defaults: unweighted loss, decisions at 0.5 -> the model approves everyone
    old = "[training]\nthreshold = 0.5\nclass_weight = \"none\"\n[privacy]\nenabled = false\n"
    before = _run_table(tmp_path, "mortgage", old)
    concern = next(c for c in before.concerns if c.kind == "threshold_problem")
    assert 'training.threshold = "base_rate"' in concern.detail and "training.class_weight" in concern.detail
    # follow the advice: the rule it names
    after = _run_table(tmp_path, "mortgage", old.replace("threshold = 0.5", 'threshold = "base_rate"'))
    assert after.models["reference"].degenerate.threshold_problem is None
    assert not any(c.kind == "threshold_problem" for c in after.concerns)
    # or the other key it names
    weighted = _run_table(tmp_path, "mortgage", old.replace('class_weight = "none"', 'class_weight = "balanced"'))
    assert weighted.models["reference"].degenerate.threshold_problem is None
