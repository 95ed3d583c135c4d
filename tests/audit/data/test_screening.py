"""Data checks before training on a raw criminal-justice-style table written for these tests:
names, case numbers, timestamps, a date of birth, a post-outcome column and a high-cardinality code."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from audit.config import config_from_dict
from audit.data import prepare_data
from audit.exceptions import DataError

GIVEN = ["miguel", "James", "Maria", "Wei", "Fatima", "John", "Aisha", "Pierre", "Olga", "Kwame", "Priya", "Hiroshi",
         "Carlos", "Linda", "Omar", "Yuki", "Anna", "Kofi", "Elena", "David"]
FAMILY = ["hernandez", "Smith", "Nguyen", "Garcia", "Khan", "Muller", "Kowalski", "Okafor", "Rossi", "Tanaka", "Patel",
          "Johnson", "Lee", "Brown", "Silva", "Ivanov", "Kim", "Diallo", "Martin", "Lopez"]


def raw_table(n: int = 2000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    first, last = rng.choice(GIVEN, n), rng.choice(FAMILY, n)
    age = rng.integers(18, 70, n)
    priors = rng.poisson(2, n)
    race = rng.choice(["African-American", "Caucasian", "Hispanic", "Other"], n, p=[0.5, 0.34, 0.1, 0.06])
    logit = -0.5 + 0.25 * priors - 0.03 * (age - 35)
    recid = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    jail_in = pd.Timestamp("2013-01-01") + pd.to_timedelta(rng.integers(0, 700 * 24 * 60, n), unit="min")
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "name": [f"{a} {b}" for a, b in zip(first, last, strict=True)], "first": first, "last": last,
        "dob": (pd.Timestamp("1945-01-01") + pd.to_timedelta(rng.integers(0, 20000, n), unit="D")).strftime("%Y-%m-%d"),
        "c_case_number": [f"{13000000 + i}CF10A" for i in rng.permutation(n)],
        "c_jail_in": jail_in.strftime("%Y-%m-%d %H:%M:%S"),
        "age": age, "priors_count": priors, "sex": rng.choice(["Male", "Female"], n, p=[0.8, 0.2]), "race": race,
        # recorded after the outcome: equals the label for 98% of people
        "days_to_new_arrest": np.where((recid == 1) ^ (rng.random(n) < 0.02), rng.integers(1, 700, n), -1),
        "two_year_recid": recid,
    })


def _config(path, **data):
    return config_from_dict({"name": "raw", "data": {"path": str(path), "target": "two_year_recid", "positive_label": 1,
                                                     "sensitive_features": ["race", "sex"], **data}})


@pytest.fixture(scope="module")
def raw_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("screen") / "raw.csv"
    raw_table().to_csv(path, index=False)
    return path


def test_leaking_column_is_refused_with_its_score_before_training_fast(raw_csv):
    started = time.perf_counter()
    with pytest.raises(DataError) as err:
        prepare_data(_config(raw_csv))
    assert time.perf_counter() - started < 10
    assert len(err.value.problems) == 1
    assert "'days_to_new_arrest' predicts the target almost perfectly" in err.value.problems[0]
    assert "ROC AUC 0.9" in err.value.problems[0] and "data.allow_leakage" in err.value.problems[0]


def test_identifiers_dates_and_names_are_excluded_before_encoding(raw_csv):
    prepared, _ = prepare_data(_config(raw_csv, allow_leakage=["days_to_new_arrest"]))
    excluded = {e["column"]: e["kind"] for e in prepared.summary["screening"]["excluded_columns"]}
    assert excluded == {"id": "identifier", "name": "name", "first": "name", "last": "name", "dob": "date_of_birth",
                        "c_case_number": "record_number", "c_jail_in": "date"}
    assert prepared.summary["features"] == ["age", "priors_count", "sex", "race", "days_to_new_arrest"]
    assert prepared.X_train.shape[1] < 20  # not one column per name, case number and timestamp
    status = {f["column"]: f["status"] for f in prepared.screening.scan}
    assert set(status.values()) == {"excluded"}


def test_dropped_identifiers_are_reported_as_dropped_not_as_features(raw_csv):
    prepared, _ = prepare_data(_config(raw_csv, allow_leakage=["days_to_new_arrest"],
                                       drop_columns=["name", "first", "last", "c_case_number"]))
    status = {f["column"]: f["status"] for f in prepared.screening.scan}
    assert status["name"] == status["c_case_number"] == "dropped"
    assert "Dropped before training" in next(f for f in prepared.screening.scan if f["column"] == "name")["recommendation"]


def test_refuse_policy_lists_every_identifier_column(raw_csv):
    with pytest.raises(DataError) as err:
        prepare_data(_config(raw_csv, identifier_columns="refuse", allow_leakage=["days_to_new_arrest"]))
    named = sorted(p.split("'")[1] for p in err.value.problems)
    assert named == sorted(["id", "name", "first", "last", "dob", "c_case_number", "c_jail_in"])


def test_keep_columns_accepts_a_flagged_column_on_purpose(raw_csv):
    prepared, _ = prepare_data(_config(raw_csv, allow_leakage=["days_to_new_arrest"], keep_columns=["c_jail_in"],
                                       drop_columns=["id", "name", "first", "last", "dob", "c_case_number"],
                                       max_encoded_features=5000))
    assert "c_jail_in" in prepared.summary["features"]


def test_encoded_width_above_the_limit_is_refused_naming_the_widest_column(tmp_path):
    frame = raw_table(n=1500)[["age", "priors_count", "sex", "race", "two_year_recid"]]
    frame["product_code"] = [f"P{i % 700:04d}" for i in range(len(frame))]  # 700 categories, repeated: not a key
    path = tmp_path / "wide.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"above data.max_encoded_features = 300: 'product_code' \(\d+ categories\)"):
        prepare_data(_config(path, max_encoded_features=300))


def test_train_test_duplicates_are_counted(tmp_path):
    frame = raw_table(n=1000)[["age", "sex", "race", "two_year_recid"]]  # few distinct feature vectors: many repeats
    path = tmp_path / "dups.csv"
    frame.to_csv(path, index=False)
    prepared, _ = prepare_data(_config(path))
    dups = prepared.summary["train_test_duplicates"]
    assert dups["n_test"] == 300 and 0 < dups["test_rows"] <= 300
    assert dups["share"] == pytest.approx(dups["test_rows"] / 300)


def test_bundled_adult_passes_the_screening_unchanged():
    from audit.config import load_config

    prepared, _ = prepare_data(load_config("examples/adult/audit.toml"))
    assert prepared.summary["screening"] == {"excluded_columns": [], "leakage": []}
    assert 0.15 < prepared.summary["train_test_duplicates"]["share"] < 0.25  # Adult repeats records
