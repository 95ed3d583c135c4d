"""Numeric sensitive columns are cut into groups by a stated rule, never one group per distinct value silently.

The rule (audit/data/_sensitive.py): a numeric, non-boolean sensitive column with more than 10 distinct values in
the training rows is cut at the training rows' quantiles (``data.sensitive_quantiles``, default 4) or at the
user's edges (``data.sensitive_bins``); the edges are fitted on the training rows and applied to every split;
missing values stay ``<missing>``; the model still reads the raw number.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from audit.config import config_from_dict
from audit.data import MISSING_CATEGORY, check_table, fit_sensitive_bins, prepare_data, prepared_from_frames
from audit.exceptions import ConfigError, DataError
from tests._real_like import mortgage_table


def _config(path, *, data=None, **sections):
    raw = {"name": "bins", "data": {"path": str(path), "target": "approved", "positive_label": "yes",
                                    "sensitive_features": ["sex", "age"], **(data or {})},
           "model": {"hidden": [8]}, "privacy": {"enabled": False, "membership_inference": False},
           "fairness": {"n_boot": 0, "mitigation": "none"}, "explain": {"enabled": False}}
    for section, values in sections.items():
        raw[section] = {**raw.get(section, {}), **values}
    return config_from_dict(raw)


@pytest.fixture(scope="module")
def mortgage_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("bins") / "mortgage.csv"
    mortgage_table().to_csv(path, index=False)
    return path


def test_a_continuous_column_is_cut_at_training_quartiles_with_readable_labels():
    train = pd.DataFrame({"age": np.arange(18, 81)})
    bins = fit_sensitive_bins(train, ["age"])["age"]
    assert bins.rule == "quantiles" and bins.quantiles == 4 and bins.n_distinct == 63
    assert bins.edges == (34.0, 49.0, 64.0)  # 33.5, 49, 64.5 rounded to whole numbers like the ages
    assert bins.labels == ("< 34", "[34, 49)", "[49, 64)", "≥ 64")
    assert "63 distinct values in the training rows (more than 10)" in bins.text and "quartiles" in bins.text


def test_few_values_booleans_and_text_keep_one_group_per_value():
    frame = pd.DataFrame({"children": np.arange(100) % 6, "flag": [True, False] * 50, "code": [f"c{i}" for i in range(100)]})
    assert fit_sensitive_bins(frame, ["children", "flag", "code"]) == {}


def test_quantiles_zero_never_bins_and_ties_merge():
    frame = pd.DataFrame({"x": [0] * 80 + list(range(1, 21))})
    assert fit_sensitive_bins(frame, ["x"], quantiles=0) == {}
    tied = fit_sensitive_bins(frame, ["x"], quantiles=4)["x"]  # every quartile is 0: zero is a group of its own
    assert tied.edges == (1.0,) and tied.labels == ("< 1", "≥ 1") and "tied quantiles merged" in tied.text


def test_the_users_edges_give_the_groups_the_config_names():
    bins = fit_sensitive_bins(pd.DataFrame({"age": [30, 50]}), ["age"], edges={"age": [25, 45, 65]})["age"]
    assert bins.rule == "edges" and bins.labels == ("< 25", "[25, 45)", "[45, 65)", "≥ 65")
    got = bins.apply(pd.Series([18, 25, 44.9, 45, 64, 65, 90, None]))
    assert got.tolist() == ["< 25", "[25, 45)", "[25, 45)", "[45, 65)", "[45, 65)", "≥ 65", "≥ 65", MISSING_CATEGORY]


def test_fitted_on_training_rows_and_applied_to_test_rows_alike():
    train = pd.DataFrame({"age": np.arange(20, 61), "y": [0, 1] * 20 + [0]})
    test = pd.DataFrame({"age": [5, 35, 59, 99, None], "y": [0, 1, 0, 1, 0]})
    pre = type("Pre", (), {"columns_": [], "transform": staticmethod(lambda f: np.zeros((len(f), 0), np.float32)),
                           "feature_names_": []})()
    prepared = prepared_from_frames(train, test, target="y", positive_label=1, sensitive_features=["age"], preprocessor=pre)
    labels = prepared.sensitive_bins["age"].labels
    assert set(prepared.sensitive_train["age"]) == set(labels)
    assert prepared.sensitive_test["age"].tolist() == [labels[0], labels[1], labels[3], labels[3], MISSING_CATEGORY]


def test_prepare_data_bins_age_records_the_rule_and_keeps_the_raw_feature(mortgage_csv):
    prepared, _ = prepare_data(_config(mortgage_csv))
    rule = prepared.summary["sensitive_bins"]["age"]
    assert rule["rule"] == "quantiles" and rule["quantiles"] == 4 and len(rule["labels"]) == 4
    assert rule["n_distinct_train"] > 40 and rule["text"].startswith("age: a numeric column with")
    assert set(prepared.sensitive_train["age"]) == set(rule["labels"])
    assert set(prepared.sensitive_test["age"]) <= set(rule["labels"])
    assert "sex" not in prepared.summary["sensitive_bins"]
    assert any(n.startswith("sensitive feature age: a numeric column") for n in prepared.notes)
    # only the groups are binned: the model reads the raw age (standardised) as one feature
    names = prepared.preprocessor.feature_names_
    assert "age" in names and not any(n.startswith("age=") for n in names)
    column = prepared.X_train[:, names.index("age")]
    assert np.corrcoef(column, prepared.raw_train["age"].to_numpy(dtype=float))[0, 1] == pytest.approx(1.0)


def test_prepare_data_uses_the_configured_edges(mortgage_csv):
    prepared, _ = prepare_data(_config(mortgage_csv, data={"sensitive_bins": {"age": [30, 50]}}))
    assert prepared.summary["sensitive_bins"]["age"]["labels"] == ["< 30", "[30, 50)", "≥ 50"]
    assert set(prepared.sensitive_test["age"]) == {"< 30", "[30, 50)", "≥ 50"}


def test_a_continuous_column_is_binned_not_refused_and_the_refusal_names_the_keys_that_fix_it():
    frame = pd.DataFrame({"income": np.linspace(1000, 90000, 300), "y": [0, 1] * 150})
    check_table(frame, target="y", positive_label=1, sensitive_features=["income"])  # 300 values: binned, accepted
    with pytest.raises(DataError) as err:
        check_table(frame, target="y", positive_label=1, sensitive_features=["income"], sensitive_quantiles=0)
    message = err.value.problems[0]
    assert "300 distinct values" in message and "data.sensitive_quantiles" in message and "data.sensitive_bins" in message
    # following the advice: either key makes the column acceptable
    check_table(frame, target="y", positive_label=1, sensitive_features=["income"], sensitive_quantiles=4)
    check_table(frame, target="y", positive_label=1, sensitive_features=["income"], sensitive_quantiles=0,
                sensitive_bins={"income": [20000, 50000]})


def test_a_text_column_with_too_many_groups_is_still_refused():
    frame = pd.DataFrame({"person": [f"p{i}" for i in range(300)], "y": [0, 1] * 150})
    with pytest.raises(DataError, match="300 distinct values.*identifier"):
        check_table(frame, target="y", positive_label=1, sensitive_features=["person"])


def test_edges_for_a_text_column_are_refused():
    frame = pd.DataFrame({"sex": ["F", "M"] * 50, "y": [0, 1] * 50})
    with pytest.raises(DataError, match="data.sensitive_bins gives edges for 'sex'"):
        check_table(frame, target="y", positive_label=1, sensitive_features=["sex"], sensitive_bins={"sex": [1]})


@pytest.mark.parametrize(("data", "expected"), [
    ({"sensitive_bins": {"age": [45, 25]}}, "'data.sensitive_bins'"),
    ({"sensitive_bins": {"income": [10]}}, "names ['income'], which is not in data.sensitive_features"),
    ({"sensitive_quantiles": 1}, "'data.sensitive_quantiles'"),
    ({"sensitive_quantiles": 50}, "'data.sensitive_quantiles'"),
])
def test_bad_binning_keys_are_refused(tmp_path, data, expected):
    with pytest.raises(ConfigError, match=expected.replace("[", r"\[").replace("]", r"\]")):
        _config(tmp_path / "x.csv", data=data)


def test_audit_model_bins_like_the_run(mortgage_csv):
    import torch

    from audit.config import ExplainSection, FairnessSection
    from audit.data import TabularPreprocessor
    from audit.pipeline.runner import audit_model

    frame = pd.read_csv(mortgage_csv)
    train, test = frame.iloc[:1400], frame.iloc[1400:]
    features = ["income_band", "credit_history", "age"]
    pre = TabularPreprocessor().fit(train[features])
    model = torch.nn.Linear(len(pre.feature_names_), 1)
    result = audit_model(model, test=test, train=train, target="approved", positive_label="yes",
                         sensitive_features=["sex", "age"], preprocessor=pre, membership_inference=False,
                         fairness=FairnessSection(n_boot=0, mitigation="none"), explain=ExplainSection(enabled=False))
    expected = fit_sensitive_bins(train, ["age"])["age"]
    assert result.data.sensitive_bins["age"].labels == list(expected.labels)
    groups = [g.group for g in result.fairness.models["reference"].by_feature["age"].groups]
    assert sorted(groups) == sorted(expected.labels)


def test_the_fairness_cli_bins_a_numeric_column_and_says_so(tmp_path):
    frame = mortgage_table()
    frame["y"] = (frame["approved"] == "yes").astype(int)
    frame["p"] = np.random.default_rng(0).integers(0, 2, len(frame))
    path = tmp_path / "preds.csv"
    frame[["y", "p", "age"]].to_csv(path, index=False)
    args = [sys.executable, "-m", "audit.cli", "fairness", str(path), "--y-true", "y", "--y-pred", "p", "--sensitive", "age",
            "--n-boot", "0", "--json"]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    groups = [g["group"] for g in json.loads(done.stdout)["by_feature"]["age"]["groups"]]
    assert groups == list(fit_sensitive_bins(frame, ["age"])["age"].labels)
    assert "sensitive feature age: a numeric column" in done.stderr and "--sensitive-quantiles 0" in done.stderr
    kept = subprocess.run([*args, "--sensitive-quantiles", "0"], capture_output=True, text=True, check=True)
    assert len(json.loads(kept.stdout)["by_feature"]["age"]["groups"]) == frame["age"].nunique()


@pytest.mark.slow
def test_a_run_says_how_age_was_binned_and_counts_groups_not_ages(mortgage_csv, tmp_path):
    from audit.pipeline.runner import run_audit
    from audit.runtime.progress import Progress
    from reports import build_card_data, render_html, render_markdown

    stream = io.StringIO()
    outcome = run_audit(_config(mortgage_csv), write=False, progress=Progress(total=0, stream=stream))
    result = outcome.result
    labels = result.data.sensitive_bins["age"].labels
    assert "sensitive feature age: a numeric column with" in stream.getvalue()
    note = next(c for c in result.concerns if c.kind == "sensitive_binned")
    assert note.severity == "info" and "data.sensitive_bins" in note.detail and "raw values" in note.detail
    representation = result.fairness.representation
    assert sorted(representation.features["age"]["groups"]) == sorted(labels)
    assert not any("age=" in w for w in representation.warnings)
    card = build_card_data(result)
    assert any(line.startswith("age: a numeric column") for line in card["training_data"]["sensitive_bins"])
    markdown, html = render_markdown(result.to_dict()), render_html(result.to_dict())
    assert "- Sensitive groups: age: a numeric column" in markdown and "<li>Sensitive groups: age: a numeric" in html
    assert "Test rows repeating a training row:" in markdown
