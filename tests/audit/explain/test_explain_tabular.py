"""explain_tabular returns the documented, JSON-ready section and the attribution arrays."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audit.exceptions import ExplainError
from audit.explain import IntegratedGradients, aggregate_groups, explain_tabular


def _call(adult, **kw):
    n = kw.pop("n", 600)
    return explain_tabular(
        adult.model, X_explain=adult.X_test[:n], X_train=adult.X_train, feature_names=adult.feature_names,
        feature_groups=adult.feature_groups, raw_explain=adult.raw_test.iloc[:n], y_explain=adult.y_test[:n],
        sensitive_explain=adult.raw_test[["sex", "race"]].iloc[:n], raw_train=adult.raw_train,
        sensitive_train=adult.raw_train[["sex", "race"]], **kw)


@pytest.fixture(scope="module")
def ig_section(adult):
    return _call(adult)


def test_section_has_the_documented_shape_and_is_strict_json(ig_section):
    section, arrays = ig_section
    text = json.dumps(section, allow_nan=False)  # raises on NaN/inf or numpy types
    assert json.loads(text) == section
    for key in ("method", "target", "baseline", "n_rows", "global_importance", "examples", "group_reliance",
                "faithfulness", "warnings", "timing"):
        assert key in section, key
    assert section["method"] == "integrated_gradients" and section["target"] == "positive_logit"
    assert section["baseline"]["kind"] == "training_mean" and section["baseline"]["description"]
    faith = section["faithfulness"]
    assert set(faith["convergence_delta"]) >= {"mean_abs", "max_abs", "tolerance", "warning"}
    assert faith["infidelity"] >= 0 and faith["sensitivity_max"] >= 0
    assert set(faith["deletion_curve"]) >= {"k", "top", "random"}
    assert set(faith["randomization_test"]) >= {"spearman", "threshold", "flagged"}
    assert section["timing"]["rows_per_s"] > 0


def test_arrays_hold_feature_level_attributions_equal_to_ig(adult, ig_section):
    section, arrays = ig_section
    A = arrays["attributions"]
    assert A.shape == (600, len(adult.feature_groups)) and A.dtype == np.float32
    assert section["features"] == list(adult.feature_groups)
    direct = IntegratedGradients(adult.model).attribute(adult.X_test[:600], baselines=adult.X_train.mean(axis=0))
    np.testing.assert_allclose(A, aggregate_groups(direct, adult.feature_groups), atol=1e-5)
    assert arrays["convergence_delta"].shape == (600,)


def test_global_importance_is_sorted_and_consistent_with_the_array(ig_section):
    section, arrays = ig_section
    rows = section["global_importance"]
    assert [r["mean_abs"] for r in rows] == sorted((r["mean_abs"] for r in rows), reverse=True)
    col = {f: j for j, f in enumerate(section["features"])}
    for r in rows:
        a = arrays["attributions"][:, col[r["feature"]]].astype(np.float64)
        assert r["mean_abs"] == pytest.approx(np.abs(a).mean(), rel=1e-6)
        assert r["mean_signed"] == pytest.approx(a.mean(), rel=1e-5, abs=1e-7)
        assert r["ci"][0] <= r["mean_abs"] <= r["ci"][1]


def test_examples_include_the_most_confident_errors_with_raw_values(adult, ig_section):
    section, arrays = ig_section
    examples = section["examples"]
    assert len(examples) == 8
    errors = [e for e in examples if e["kind"] == "confident_error"]
    assert len(errors) == 4
    for e in errors:
        assert int(e["y_score"] >= 0.5) != e["y_true"]
    # They are the most confident errors: no other error is further from 0.5.
    from audit.models import predict_proba

    p = predict_proba(adult.model, adult.X_test[:600])
    wrong = np.nonzero((p >= 0.5).astype(int) != adult.y_test[:600])[0]
    assert min(abs(e["y_score"] - 0.5) for e in errors) >= np.sort(np.abs(p[wrong] - 0.5))[-4] - 1e-9
    e = examples[0]
    c = e["contributions"][0]
    assert c["attribution"] == pytest.approx(float(arrays["attributions"][e["row"], section["features"].index(c["feature"])]))
    assert c["value"] == str(adult.raw_test.iloc[e["row"]][c["feature"]]) or c["value"] == "missing"


@pytest.mark.parametrize("method", ["deeplift", "gradient_shap", "feature_ablation", "permutation"])
def test_every_method_gives_a_complete_section(adult, method):
    section, arrays = _call(adult, method=method, baseline="training_sample", n=200, n_boot=20)
    json.dumps(section, allow_nan=False)
    assert section["method"] == method and section["baseline"]["kind"] == "training_sample"
    assert arrays["attributions"].shape == (200, len(adult.feature_groups))
    assert (section["faithfulness"]["convergence_delta"] is None) == (method not in ("deeplift",))
    assert section["faithfulness"]["deletion_curve"]["k"][-1] == len(adult.feature_groups)


def test_checks_can_be_switched_off(adult):
    section, _ = _call(adult, checks=False, n=100, n_boot=0)
    assert "deletion_curve" not in section["faithfulness"]
    assert all(r["ci"] is None for r in section["global_importance"])


def test_check_thresholds_are_settings_with_validated_values(adult):
    # A stricter randomisation threshold flags what the default passes; the verdicts follow the setting.
    section, _ = _call(adult, n=120, n_boot=0)
    rand = section["faithfulness"]["randomization_test"]
    strict, _ = _call(adult, n=120, n_boot=0, randomization_threshold=max(1e-6, rand["spearman"] / 2),
                      delta_tolerance=1e-9)
    srand = strict["faithfulness"]["randomization_test"]
    assert srand["spearman"] == rand["spearman"]
    assert srand["threshold"] < rand["threshold"] and srand["flagged"] and not rand["flagged"]
    assert strict["faithfulness"]["convergence_delta"]["tolerance"] == 1e-9
    with pytest.raises(ExplainError) as err:
        _call(adult, n=50, randomization_threshold=1.5, delta_tolerance=0)
    assert {"randomization_threshold", "delta_tolerance"} <= {p.split(" ")[0] for p in err.value.problems}


def test_config_defaults_are_the_library_defaults():
    from audit.config import ExplainSection
    from audit.explain._faithfulness import DEFAULT_DELTA_TOLERANCE, DEFAULT_RANDOMIZATION_THRESHOLD

    assert ExplainSection().delta_tolerance == DEFAULT_DELTA_TOLERANCE
    assert ExplainSection().randomization_threshold == DEFAULT_RANDOMIZATION_THRESHOLD
