"""Reading user tables, checking them against the config, and encoding."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.data import TabularPreprocessor, check_table, encode_target, read_table
from audit.exceptions import DataError


def _frame(n=40):
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "age": rng.integers(18, 80, n), "sex": rng.choice(["F", "M"], n),
        "job": rng.choice(["a", "b", None], n), "y": rng.choice(["yes", "no"], n),
    })


def test_preprocessor_fits_on_train_only_and_maps_back():
    train = _frame()
    pre = TabularPreprocessor().fit(train[["age", "sex", "job"]])
    X = pre.transform(train[["age", "sex", "job"]])
    assert X.shape == (40, 1 + 2 + 3)
    assert pre.feature_groups_ == {"age": [0], "sex": [1, 2], "job": [3, 4, 5]}
    assert abs(X[:, 0].mean()) < 1e-6 and abs(X[:, 0].std() - 1) < 1e-5
    assert np.allclose(X[:, 1:3].sum(axis=1), 1) and np.allclose(X[:, 3:].sum(axis=1), 1)
    test = pd.DataFrame({"age": [30], "sex": ["X"], "job": ["a"]})  # unseen category -> zeros
    assert pre.transform(test)[0, 1:3].tolist() == [0.0, 0.0]


def test_preprocessor_round_trips_through_json(tmp_path):
    train = _frame()
    pre = TabularPreprocessor().fit(train[["age", "sex", "job"]])
    pre.save(tmp_path / "p.json")
    again = TabularPreprocessor.load(tmp_path / "p.json")
    assert np.array_equal(pre.transform(train), again.transform(train))
    assert again.feature_names_ == pre.feature_names_


def test_non_numeric_value_in_numeric_column():
    pre = TabularPreprocessor().fit(_frame()[["age"]])
    with pytest.raises(DataError, match="non-numeric values here: \\['forty'\\]"):
        pre.transform(pd.DataFrame({"age": ["forty", "30"]}))


def test_check_table_collects_every_problem():
    df = _frame()
    df["y"] = ["a", "b", "c", "d"] * 10
    df["empty"] = np.nan
    with pytest.raises(DataError) as exc:
        check_table(df, target="y", positive_label="yes", sensitive_features=["sex", "race"])
    msg = str(exc.value)
    assert "exactly 2 classes" in msg and "found 4" in msg
    assert "positive_label 'yes' does not occur" in msg
    assert "'race' is missing" in msg
    assert "'empty' is entirely missing" in msg


def test_single_group_and_too_many_groups():
    df = _frame(200)
    df["one"] = "x"
    df["ids"] = [f"id{i}" for i in range(200)]
    with pytest.raises(DataError) as exc:
        check_table(df, target="y", positive_label="yes", sensitive_features=["one", "ids"])
    assert "single group" in str(exc.value) and "200 distinct values" in str(exc.value)


def test_numeric_labels_match_string_positive_label():
    y = pd.Series([0, 1, 1, 0])
    assert encode_target(y, "1").tolist() == [0, 1, 1, 0]
    assert encode_target(pd.Series([" yes", "no"]), "yes").tolist() == [1, 0]


@pytest.mark.parametrize("content,match", [
    ("", "is empty"),
    ("a,b,y\n", "no data rows"),
    ("a;b;y\n1;2;3\n", "delimiter"),
    ("a,a,y\n1,2,3\n", "duplicated column names"),
])
def test_read_table_errors(tmp_path, content, match):
    p = tmp_path / "d.csv"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=match):
        read_table(p)


def test_read_table_parquet_and_bad_suffix(tmp_path):
    df = _frame()
    df.to_parquet(tmp_path / "d.parquet")
    assert len(read_table(tmp_path / "d.parquet")) == 40
    (tmp_path / "d.xlsx").write_text("x")
    with pytest.raises(DataError, match="expected a .csv"):
        read_table(tmp_path / "d.xlsx")


def test_codes_with_leading_zeros_are_read_as_text(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("region,n,y\n01,1,a\n02,2,b\n10,3,a\n", encoding="utf-8")
    df = read_table(p)
    assert df["region"].tolist() == ["01", "02", "10"]
    assert df["n"].tolist() == [1, 2, 3]  # plain numbers stay numbers


def test_header_names_differing_only_by_spaces_are_refused(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("age,age ,y\n1,2,a\n", encoding="utf-8")
    with pytest.raises(DataError, match="differ only by surrounding spaces"):
        read_table(p)


def test_decimal_commas_are_named():
    df = _frame(200)
    df["hours"] = [f"{i % 40},5" for i in range(200)]
    with pytest.raises(DataError, match="decimal comma"):
        check_table(df, target="y", positive_label="yes", sensitive_features=["sex"])


def test_huge_magnitudes_are_named():
    df = _frame(200)
    df["income"] = 1.0
    df.loc[3, "income"] = 1e308
    with pytest.raises(DataError, match="overflows float64"):
        check_table(df, target="y", positive_label="yes", sensitive_features=["sex"])


def test_boolean_target_matches_true_and_refuses_a_loose_text_label():
    df = _frame(200)
    df["y"] = [i % 2 == 0 for i in range(200)]
    check_table(df, target="y", positive_label=True, sensitive_features=["sex"])
    assert encode_target(df["y"], True).sum() == 100
    with pytest.raises(DataError, match="positive_label = true"):
        check_table(df, target="y", positive_label="True", sensitive_features=["sex"])


def test_nested_columns_are_named():
    df = _frame(200)
    df["tags"] = [["a"]] * 200
    with pytest.raises(DataError, match="'tags' holds nested values"):
        check_table(df, target="y", positive_label="yes", sensitive_features=["sex"])


@pytest.mark.parametrize("text", ["[1]", '{"columns": 1}', "[" * 5000 + "]" * 5000, '{"columns": NaN}'])
def test_preprocessor_file_from_a_run_is_read_safely(tmp_path, text):
    p = tmp_path / "preprocessor.json"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match="Preprocessor file"):
        TabularPreprocessor.load(p)


def test_intersection_labels_that_would_clash_are_refused_only_when_they_do():
    df = _frame(200)
    df["race"] = ["Black & Other" if i % 4 == 0 else "White" for i in range(200)]
    check_table(df, target="y", positive_label="yes", sensitive_features=["sex", "race"], intersections=True)
    df.loc[1, ["sex", "race"]] = [f"{df.loc[0, 'sex']} & Black", "Other"]
    df.loc[0, "race"] = "Black & Other"
    with pytest.raises(DataError, match="share the label"):
        check_table(df, target="y", positive_label="yes", sensitive_features=["sex", "race"], intersections=True)
    check_table(df, target="y", positive_label="yes", sensitive_features=["sex", "race"], intersections=False)
