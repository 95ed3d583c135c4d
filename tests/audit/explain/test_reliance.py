"""Group reliance: proxies for a sensitive attribute are found and scored like scikit-learn would."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import mutual_info_score, roc_auc_score

from audit.explain import IntegratedGradients, group_reliance, proxy_strength
from audit.explain._reliance import discretize, group_labels


def test_relationship_is_found_as_a_proxy_for_sex_on_adult(adult):
    ig = IntegratedGradients(adult.model, feature_groups=adult.feature_groups)
    grouped = ig.attribute_groups(adult.X_test, baselines=adult.X_train.mean(axis=0))
    out, warnings = group_reliance(
        grouped, adult.features, sensitive_explain=adult.raw_test[["sex", "race"]], raw_explain=adult.raw_test,
        raw_train=adult.raw_train, sensitive_train=adult.raw_train[["sex", "race"]])
    proxies = {p["feature"]: p for p in out["sex"]["proxies"]}
    assert "sex" not in proxies  # the attribute itself is reported as a share, not a proxy
    assert proxies["relationship"]["is_proxy"] and proxies["relationship"]["proxy_auc"] > 0.8
    assert out["sex"]["proxies"][0]["feature"] == "relationship"  # the strongest proxy
    assert proxies["fnlwgt"]["proxy_auc"] < 0.6  # a sampling weight says little about sex
    assert any("relationship" in w and "sex" in w for w in warnings) or proxies["relationship"]["importance_rank"] > 5
    assert set(out["sex"]["profiles"]) == {"Female", "Male"}
    assert out["sex"]["in_model"] and 0 < out["sex"]["sensitive_feature_share"] < 1


def test_sensitive_share_is_its_fraction_of_total_importance():
    grouped = np.array([[2.0, -1.0, 1.0], [2.0, 1.0, -1.0]])
    raw = pd.DataFrame({"sex": ["F", "M"], "b": ["x", "y"], "c": [1.0, 2.0]})
    out, _ = group_reliance(grouped, ["sex", "b", "c"], sensitive_explain=raw[["sex"]], raw_explain=raw)
    assert out["sex"]["sensitive_feature_share"] == 0.5
    assert out["sex"]["profiles"]["F"] == {"sex": 2.0, "b": 1.0, "c": 1.0}


def test_a_sensitive_feature_outside_the_model_has_zero_share():
    grouped = np.ones((4, 2))
    raw = pd.DataFrame({"a": ["x", "y", "x", "y"], "b": [1, 2, 3, 4]})
    sens = pd.DataFrame({"sex": ["F", "M", "F", "M"]})
    out, _ = group_reliance(grouped, ["a", "b"], sensitive_explain=sens, raw_explain=raw)
    assert out["sex"]["in_model"] is False and out["sex"]["sensitive_feature_share"] == 0.0
    assert {p["feature"] for p in out["sex"]["proxies"]} == {"a", "b"}


def test_proxy_auc_and_mutual_information_match_scikit_learn():
    rng = np.random.default_rng(0)
    n = 3000
    s = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    f = np.where(rng.random(n) < 0.7, s, rng.choice(["a", "b", "c", "d"], size=n))
    f = pd.Series(f).where(rng.random(n) > 0.05, None)  # some missing values: their own category
    tr, ev = slice(0, 2000), slice(2000, n)
    ours = proxy_strength(f[tr], s[tr], f[ev], s[ev])
    # Reference: the same frequency-table classifier, scored with sklearn's one-vs-rest macro AUC.
    f_tr, f_ev = discretize(f[tr].reset_index(drop=True), f[ev].reset_index(drop=True))
    classes = sorted(set(s))
    table = pd.crosstab(pd.Series(f_tr, name="f"), pd.Series(s[tr], name="s")).reindex(columns=classes, fill_value=0) + 1
    proba = (table.div(table.sum(axis=1), axis=0)).loc[f_ev].to_numpy()
    ref_auc = roc_auc_score(s[ev], proba, multi_class="ovr", average="macro", labels=classes)
    assert abs(ours["proxy_auc"] - ref_auc) < 1e-12
    assert abs(ours["mutual_information"] - mutual_info_score(s[ev], f_ev)) < 1e-12


def test_numeric_features_are_binned_on_training_quantiles_and_missing_kept():
    train = pd.Series(np.arange(100, dtype=float))
    other = pd.Series([-5.0, 50.0, np.nan, 1e9])
    tr, ev = discretize(train, other)
    assert len(set(tr)) == 10
    assert list(ev) == ["0", "5", "missing", "9"]
    assert list(group_labels(pd.Series(["x", None], dtype="string"))) == ["x", "missing"]
