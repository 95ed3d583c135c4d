"""compare_runs on hand-made runs: pairing, refusals, gates, flips and concerns, drift, the figures' arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from audit.compare import compare_runs, format_comparison
from audit.compare._design import build_layout, design_matrix, figures_from_sums, row_figures, weighted_auc
from audit.exceptions import ConfigError, DataError
from tests.audit.compare._runs import table, write_run


@pytest.fixture
def base(tmp_path):
    return table(np.random.default_rng(0))


def test_the_same_rows_and_predictions_show_no_change_and_pass(tmp_path, base):
    a, b = write_run(tmp_path / "a", base), write_run(tmp_path / "b", base)
    comp = compare_runs(a, b, max_drop=["accuracy=0.02", "tpr[sex=Female]=0.05"], n_boot=200)
    assert comp.paired and "same 4,000 test rows" in comp.pairing
    assert not any(c.significant for c in comp.changes)
    assert comp.verdict == "pass"
    assert comp.drift == [] and "same test rows" in comp.drift_scope


def test_a_planted_tpr_drop_is_significant_and_fails_its_gate(tmp_path, base):
    worse = table(np.random.default_rng(0), drop_female_tpr=0.5)
    comp = compare_runs(write_run(tmp_path / "a", base), write_run(tmp_path / "b", worse),
                        max_drop=["tpr[sex=Female]=0.05", "accuracy@reference=0.02"], n_boot=200)
    by_key = {c.key: c for c in comp.changes}
    assert by_key["tpr[sex=Female]@private"].significant and by_key["tpr[sex=Female]@private"].delta < -0.2
    assert not by_key["accuracy@reference"].significant
    outcomes = {g["name"]: g["outcome"] for g in comp.gates["gates"]}
    assert outcomes == {"max_drop:tpr[sex=Female]@private": "fail", "max_drop:accuracy@reference": "pass"}
    text = format_comparison(comp)
    assert text.startswith("FAIL") and text.index("Significant changes") < text.index("Other changes")


def test_different_rows_are_compared_independently_with_drift_over_the_sensitive_columns(tmp_path, base):
    other = table(np.random.default_rng(1))
    comp = compare_runs(write_run(tmp_path / "a", base), write_run(tmp_path / "b", other), n_boot=200)
    assert not comp.paired and "differ row by row" in comp.pairing
    assert {t["feature"] for t in comp.drift} == {"sex", "race", "y_true (label)"}
    assert "sensitive columns and the label only" in comp.drift_scope
    assert all(0 <= t["effect"] <= 1 and "p_holm" in t for t in comp.drift)
    assert comp.verdict == "no gates"


def test_drift_covers_every_stored_feature_with_effect_sizes(tmp_path, base):
    rng = np.random.default_rng(5)
    n = len(base) // 2
    other = table(np.random.default_rng(1))
    feats_a = pd.DataFrame({"age": rng.normal(40, 10, n), "job": rng.choice(["a", "b"], n)})
    feats_b = pd.DataFrame({"age": rng.normal(45, 10, n), "job": rng.choice(["a", "b"], n)})
    comp = compare_runs(write_run(tmp_path / "a", base, features=feats_a),
                        write_run(tmp_path / "b", other, features=feats_b), n_boot=50)
    drift = {t["feature"]: t for t in comp.drift}
    assert drift["age"]["significant"] and drift["age"]["smd"] == pytest.approx(0.5, abs=0.1)
    assert drift["age"]["effect_name"] == "KS distance" and drift["job"]["effect_name"] == "Cramér's V"
    assert not drift["job"]["significant"] and set(drift["sex"]["shares"]) == {"Female", "Male"}
    assert "every raw test feature" in comp.drift_scope


def test_runs_of_different_groups_are_refused_naming_the_difference(tmp_path, base):
    a = write_run(tmp_path / "a", base)
    b = write_run(tmp_path / "b", base, data={"sensitive_features": ["sex"], "positive_label": "<=50K"})
    with pytest.raises(DataError) as err:
        compare_runs(a, b)
    assert "different positive label" in str(err.value) and "different sensitive features" in str(err.value)
    assert "Fix:" in str(err.value)


def test_a_gate_naming_no_figure_is_refused_with_close_names(tmp_path, base):
    a, b = write_run(tmp_path / "a", base), write_run(tmp_path / "b", base)
    with pytest.raises(ConfigError, match="did you mean accuracy@private"):
        compare_runs(a, b, max_drop=["acuracy=0.02"], n_boot=10)
    with pytest.raises(ConfigError, match="METRIC=DELTA"):
        compare_runs(a, b, max_drop=["accuracy"], n_boot=10)


def test_a_drop_near_delta_is_inconclusive(tmp_path, base):
    worse = table(np.random.default_rng(0), drop_female_tpr=0.055)
    comp = compare_runs(write_run(tmp_path / "a", base), write_run(tmp_path / "b", worse),
                        max_drop=["tpr[sex=Female]=0.05"], n_boot=200)
    gate = comp.gates["gates"][0]
    assert gate["outcome"] == "inconclusive", gate
    assert gate["interval"][0] < 0.05 < gate["interval"][1] and "cannot tell" in gate["reason"]


def test_gate_flips_and_concerns_are_matched_by_keys_not_wording(tmp_path, base):
    a = write_run(tmp_path / "a", base)
    b = write_run(tmp_path / "b", base,
                  gates=[{"name": "accuracy@private", "metric": "accuracy", "model": "private", "severity": "error",
                          "passed": False, "outcome": "fail", "message": "fail"}],
                  concerns=[{"kind": "four_fifths", "severity": "warning", "title": "Reworded", "model": "private"},
                            {"kind": "proxy", "severity": "warning", "title": "new proxy", "feature": "sex"}])
    comp = compare_runs(a, b, n_boot=10)
    assert comp.gate_flips == [{"gate": "accuracy@private", "severity": "error", "a": "pass", "b": "fail", "worse": True,
                                "message_b": "fail"}]
    assert [c["kind"] for c in comp.concerns["new"]] == ["proxy"] and comp.concerns["resolved"] == []


def test_figures_from_sums_equal_the_direct_rates_and_disparities(base):
    rows = base[base.model == "private"].reset_index(drop=True)
    sens, y, d = rows[["sex", "race"]], rows.y_true.to_numpy(), rows.y_pred.to_numpy()
    groupings = {"sex": ["sex"], "sex & race": ["sex", "race"]}
    layout = build_layout(groupings, [(sens, y), (sens, y)], min_rows=30, min_per_class=10)
    values = dict(zip([f.key for f in row_figures(layout, "m")],
                      figures_from_sums(layout, design_matrix(layout, groupings, sens, y, d).sum(axis=0))[0], strict=True))
    female = (sens.sex == "Female").to_numpy()
    assert values["accuracy@m"] == pytest.approx((y == d).mean())
    assert values["tpr[sex=Female]@m"] == pytest.approx(d[female & (y == 1)].mean())
    assert values["fpr[sex=Male]@m"] == pytest.approx(d[~female & (y == 0)].mean())
    rates = pd.Series(d).groupby(sens.sex.to_numpy()).mean()
    assert values["demographic_parity_difference[sex]@m"] == pytest.approx(rates.max() - rates.min())
    assert "tpr[sex & race=Female & Black]@m" in values


def test_weighted_auc_equals_scikit_learn_with_ties_and_weights():
    rng = np.random.default_rng(3)
    s, y = np.round(rng.random(500), 1), (rng.random(500) < 0.4).astype(int)
    w = rng.integers(0, 3, 500).astype(float)
    assert weighted_auc(s, y, w[None, :])[0] == pytest.approx(roc_auc_score(y, s, sample_weight=w))


def _robustness(flips: int, n: int = 4000) -> dict:
    cell = {"n": n, "flips": flips, "flip_rate": flips / n}
    return {"models": {"private": {"results": [{"perturbation": "numeric_noise", "setting": 0.25, "label": "noise",
                                                 "overall": cell}]}}}


def test_the_robustness_flip_rate_is_compared_and_gated(tmp_path, base):
    a = write_run(tmp_path / "a", base, robustness=_robustness(120))
    b = write_run(tmp_path / "b", base, robustness=_robustness(400))
    comp = compare_runs(a, b, n_boot=50, max_drop=["flip_rate[numeric_noise=0.25]=0.02"])
    change = {c.key: c for c in comp.changes}["flip_rate[numeric_noise=0.25]@private"]
    assert change.delta == pytest.approx(0.07) and change.significant and change.direction == -1
    assert comp.verdict == "fail"
