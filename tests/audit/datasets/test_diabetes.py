"""The diabetes regression data, read from the copy bundled with scikit-learn."""

from __future__ import annotations

import socket

import pandas as pd
import pytest

from audit.data.datasets._diabetes import (
    DIABETES_ATTRIBUTION,
    DIABETES_COLUMNS,
    DIABETES_ROWS,
    DIABETES_TARGET,
    load_diabetes,
)


@pytest.fixture(scope="module")
def diabetes() -> pd.DataFrame:
    frame, test = load_diabetes()
    assert test is None
    return frame


def test_rows_and_columns(diabetes):
    assert len(diabetes) == DIABETES_ROWS == 442
    assert list(diabetes.columns) == [
        "age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6", "progression",
    ]  # fmt: skip
    assert list(diabetes.columns) == [*DIABETES_COLUMNS, DIABETES_TARGET]
    assert not diabetes.isna().any().any()


def test_values_are_unscaled(diabetes):
    assert diabetes["age"].between(19, 79).all()
    assert diabetes["bmi"].between(18, 43).all()
    assert diabetes["age"].dtype == "int64"
    # First patient of the published table.
    first = diabetes.iloc[0]
    assert (first["age"], first["sex"], first["bmi"], first["progression"]) == (59, "sex 2", 32.1, 151.0)


def test_sex_is_a_string_that_says_only_the_code(diabetes):
    assert pd.api.types.is_string_dtype(diabetes["sex"])
    assert diabetes["sex"].value_counts().to_dict() == {"sex 1": 235, "sex 2": 207}


def test_target_is_numeric_disease_progression(diabetes):
    target = diabetes[DIABETES_TARGET]
    assert pd.api.types.is_float_dtype(target)
    assert target.min() == 25.0 and target.max() == 346.0


def test_loading_is_deterministic_and_offline(diabetes, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the diabetes dataset must not touch the network")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    again, _ = load_diabetes()
    pd.testing.assert_frame_equal(diabetes, again)


def test_attribution_names_source_and_licence():
    for part in ("Efron", "Least Angle Regression", "scikit-learn", "BSD"):
        assert part in DIABETES_ATTRIBUTION
