"""Splits that give small groups their test rows, and advice that names the keys which do it.

``split.stratify = "groups"`` stratifies the test split (and the validation split) by sensitive group × target,
merging strata too small to split. The small-group and inconclusive-gate concerns name the keys that give a
small group enough test rows: split.test_size, split.stratify, fairness.min_group_size, and only then
allow_inconclusive. The last test follows that advice on a table with a small group of women.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.config import config_from_dict
from audit.data import prepare_data
from audit.data._sensitive import group_strata, min_stratum_rows
from audit.exceptions import ConfigError
from audit.pipeline.runner import run_audit
from tests._real_like import mortgage_table

_DPD = "demographic_parity_difference"


def _config(path, *, sensitive=("sex",), gates=(), **sections):
    raw = {"name": "strata", "data": {"path": str(path), "target": "approved", "positive_label": "yes",
                                      "sensitive_features": list(sensitive)},
           "model": {"hidden": [16]}, "privacy": {"enabled": False, "membership_inference": False},
           "fairness": {"n_boot": 0, "mitigation": "none"}, "explain": {"enabled": False}, "gates": list(gates)}
    for section, values in sections.items():
        raw[section] = {**raw.get(section, {}), **values}
    return config_from_dict(raw)


@pytest.fixture(scope="module")
def few_women(tmp_path_factory):
    """2,000 mortgage rows, 71 of them women: about 21 in a 30% test split, below min_group_size = 30."""
    path = tmp_path_factory.mktemp("strata") / "mortgage.csv"
    mortgage_table(women=0.035).to_csv(path, index=False)
    return path


def test_every_stratum_can_be_split_and_small_ones_merge_down_to_the_target():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 1000)
    sex = rng.choice(["F", "M"], 1000, p=[0.05, 0.95])
    race = rng.choice(["a", "b", "c", "d"], 1000, p=[0.01, 0.09, 0.3, 0.6])
    strata = group_strata(y, [sex, race], size=0.3)
    counts = pd.Series(strata).value_counts()
    assert counts.min() >= min_stratum_rows(0.3) == 4
    for stratum in counts.index:  # a stratum never mixes the target's values
        assert len(set(y[strata == stratum])) == 1
    assert len(counts) < 2 * 2 * 4  # the tiny sex × race cells were merged


def test_groups_stratification_gives_each_group_its_share_of_test_rows(few_women):
    shares = {}
    for stratify in ("target", "groups"):
        prepared, _ = prepare_data(_config(few_women, split={"stratify": stratify}))
        test, train = prepared.raw_test, pd.concat([prepared.raw_train, prepared.raw_validation])
        women = (test["sex"] == "female").sum() / ((test["sex"] == "female").sum() + (train["sex"] == "female").sum())
        shares[stratify] = women
        if stratify == "groups":
            for (sex, y), rows in pd.concat([train, test]).groupby(["sex", "approved"]).size().items():
                in_test = ((test["sex"] == sex) & (test["approved"] == y)).sum()
                assert abs(in_test - 0.3 * rows) <= 1, (sex, y)
            assert prepared.summary["stratify"] == "groups"
            assert "by sensitive group × target" in prepared.summary["test_source"]
    assert shares["groups"] == pytest.approx(0.3, abs=0.01)


def test_the_validation_split_is_stratified_by_groups_too(few_women):
    prepared, _ = prepare_data(_config(few_women, split={"stratify": "groups"}))
    val, fit = prepared.raw_validation, prepared.raw_train
    for sex in ("female", "male"):
        n_val, n_all = (val["sex"] == sex).sum(), (val["sex"] == sex).sum() + (fit["sex"] == sex).sum()
        assert abs(n_val - 0.2 * n_all) <= 2, sex


def test_groups_stratification_bins_a_numeric_sensitive_column(few_women):
    prepared, _ = prepare_data(_config(few_women, sensitive=("sex", "age"), split={"stratify": "groups"}))
    assert set(prepared.sensitive_test["age"]) == set(prepared.summary["sensitive_bins"]["age"]["labels"])


def test_an_unknown_stratification_is_refused(few_women):
    with pytest.raises(ConfigError, match="'split.stratify': unknown split stratification 'group'"):
        _config(few_women, split={"stratify": "group"})


def _sex_gate(result):
    gate = result.gates[0]
    women = next(g for g in result.fairness.models["reference"].by_feature["sex"].groups if g.group == "female")
    return gate, women


def test_following_the_small_group_advice_makes_the_gate_decide(few_women):
    gate = {"metric": _DPD, "feature": "sex", "model": "reference", "max": 0.5}
    before = run_audit(_config(few_women, gates=[gate]), write=False).result
    decided, women = _sex_gate(before)
    assert decided.outcome == "inconclusive" and "enough data" in decided.reason and women.count < 30
    concern = next(c for c in before.concerns if c.kind == "gate_inconclusive")
    advice = concern.detail
    for key in ("split.test_size (now 0.3)", 'split.stratify = "groups"', "fairness.min_group_size (now 30)"):
        assert key in advice, key
    assert advice.index("split.test_size") < advice.index("allow_inconclusive")
    assert "split.test_size" in next(c for c in before.concerns if c.kind == "small_groups").detail
    # the advice, followed: a larger, group-stratified test split gives the women enough rows
    after = run_audit(_config(few_women, gates=[gate], split={"stratify": "groups", "test_size": 0.45}), write=False).result
    decided, women = _sex_gate(after)
    assert women.count >= 30 and decided.outcome in ("pass", "fail") and decided.value is not None
    # or the other key it names: a lower floor
    lower = run_audit(_config(few_women, gates=[gate], fairness={"min_group_size": 15}), write=False).result
    assert _sex_gate(lower)[0].outcome in ("pass", "fail")


def test_a_test_file_is_advised_instead_of_split_keys():
    from audit.result import AuditResult
    from audit.verdict.concerns import _group_size_advice

    record = {"schema_version": "1.1", "run": {"config": {"data": {"test_path": "t.csv"}, "fairness": {"min_group_size": 30},
                                                          "split": {"test_size": 0.3}}}, "data": {}, "models": {}}
    advice = _group_size_advice(AuditResult.from_dict(record))
    assert "data.test_path" in advice and "split." not in advice and "fairness.min_group_size (now 30)" in advice
