"""Duplicates explained honestly: the same record in both splits is not different people sharing coarse features.

``train_test_duplicates`` counts test rows sharing a training row's encoded feature vector, how many of those
equal it in every column (exact duplicate records), in which columns the others differ, and whether the
features are coarse (a row shares its vector with at least 2 rows on average). The concerns advise by case:
coarse features are a note, never "delete them"; records equal in every column name
data.drop_duplicate_records, and a test follows that advice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.config import config_from_dict
from audit.data import prepare_data
from audit.data.screening import COARSE_ROWS_PER_VECTOR, train_test_duplicates
from audit.result import AuditResult
from audit.verdict.concerns import find_concerns
from tests._real_like import arrests_table


def _config(path, target, positive, sensitive, **data):
    return config_from_dict({"name": "dups", "data": {"path": str(path), "target": target, "positive_label": positive,
                                                      "sensitive_features": sensitive, **data}})


def _concerns(prepared) -> dict:
    record = {"schema_version": "1.1", "run": {}, "data": prepared.summary, "models": {}}
    return {c.kind: c for c in find_concerns(AuditResult.from_dict(record))}


def _fine_table(n: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Varied features (a continuous income): different people almost never share a feature vector."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50_000, 15_000, n).round(2)
    return pd.DataFrame({"income": income, "tenure": rng.integers(0, 40, n), "sex": rng.choice(["F", "M"], n),
                         "approved": np.where(rng.random(n) < 1 / (1 + np.exp(-(income - 50_000) / 10_000)), "yes", "no")})


def test_exact_records_shared_vectors_and_coarseness_are_told_apart():
    X_train = np.array([[0, 1], [0, 1], [1, 1], [2, 2]], dtype=np.float32)
    X_test = np.array([[0, 1], [1, 1], [3, 3]], dtype=np.float32)
    raw_train = pd.DataFrame({"f": ["a", "a", "b", "c"], "id": [1, 2, 3, 4]})
    raw_test = pd.DataFrame({"f": ["a", "b", "d"], "id": [1, 9, 5]})
    d = train_test_duplicates(X_train, X_test, raw_train=raw_train, raw_test=raw_test)
    assert d["test_rows"] == 2 and d["exact_records"] == 1 and d["differing_columns"] == {"id": 1}
    assert d["distinct_vectors"] == 4
    # rows per vector, averaged over the 7 rows: [0, 1] is shared by 3 rows, [1, 1] by 2, the others are alone
    assert d["rows_per_vector"] == pytest.approx((3 * 3 + 2 * 2 + 1 + 1) / 7)
    assert d["coarse"] is (d["rows_per_vector"] >= COARSE_ROWS_PER_VECTOR)
    assert "at least 2 rows on average" in d["rule"]


def test_numbers_read_from_two_files_compare_by_value():
    d = train_test_duplicates(np.zeros((1, 1)), np.zeros((1, 1)), raw_train=pd.DataFrame({"a": [3]}),
                              raw_test=pd.DataFrame({"a": [3.0]}))
    assert d["exact_records"] == 1


def test_coarse_features_shared_by_different_people_are_a_note_never_delete(tmp_path):
    path = tmp_path / "released.csv"
    arrests_table().to_csv(path, index=False)
    prepared, _ = prepare_data(_config(path, "released", "Yes", ["race", "sex"]))
    dups = prepared.summary["train_test_duplicates"]
    assert dups["coarse"] and dups["rows_per_vector"] >= 2 and dups["share"] > 0.3
    found = _concerns(prepared)
    concern = found["train_test_duplicates"]
    assert concern.severity == "info" and "duplicate_records" not in found
    assert "coarse" in concern.title and "do not delete these rows" in concern.detail
    assert "not flattered" in concern.detail and "optimistic" not in concern.detail
    assert "only rows whose feature vector is unique" in concern.detail  # the membership audit already copes
    assert "only if you know they are copies" in concern.detail and "Deduplicate" not in concern.detail


def test_copies_in_both_splits_name_the_key_and_following_it_removes_them(tmp_path):
    table = _fine_table()
    copies = table.sample(n=150, random_state=1)  # 5% of the rows entered twice
    path = tmp_path / "loans.csv"
    pd.concat([table, copies], ignore_index=True).sample(frac=1, random_state=2).to_csv(path, index=False)
    prepared, _ = prepare_data(_config(path, "approved", "yes", ["sex"]))
    dups = prepared.summary["train_test_duplicates"]
    assert not dups["coarse"] and dups["exact_records"] > 20 and dups["exact_records"] == dups["test_rows"]
    concern = _concerns(prepared)["duplicate_records"]
    assert concern.severity == "warning" and "every column" in concern.title
    assert "data.drop_duplicate_records = true" in concern.detail and "the data cannot tell which" in concern.detail
    # the advice, followed
    fixed, _ = prepare_data(_config(path, "approved", "yes", ["sex"], drop_duplicate_records=True))
    assert fixed.summary["train_test_duplicates"]["exact_records"] == 0
    assert fixed.summary["rows_dropped_duplicate_records"] == {"training": 150}
    assert "duplicate_records" not in _concerns(fixed) and "train_test_duplicates" not in _concerns(fixed)
    assert any("data.drop_duplicate_records: dropped 150 training row(s)" in n for n in fixed.notes)


def test_a_test_file_loses_its_copies_of_training_rows(tmp_path):
    table = _fine_table(2000)
    train, test = table.iloc[:1500], pd.concat([table.iloc[1500:], table.iloc[:40]], ignore_index=True)
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    prepared, _ = prepare_data(_config(tmp_path / "train.csv", "approved", "yes", ["sex"], test_path=str(tmp_path / "test.csv"),
                                       drop_duplicate_records=True))
    assert prepared.summary["rows_dropped_duplicate_records"] == {"test": 40}
    assert prepared.summary["train_test_duplicates"]["exact_records"] == 0


def test_same_inputs_in_different_records_of_varied_features_are_not_called_copies(tmp_path):
    table = _fine_table()
    twins = table.sample(n=150, random_state=1).assign(branch="B")  # same inputs, another branch's file
    path = tmp_path / "loans.csv"
    pd.concat([table.assign(branch="A"), twins], ignore_index=True).to_csv(path, index=False)
    prepared, _ = prepare_data(_config(path, "approved", "yes", ["sex"], drop_columns=["branch"]))
    dups = prepared.summary["train_test_duplicates"]
    assert dups["exact_records"] == 0 and dups["test_rows"] > 20 and dups["differing_columns"]["branch"] == dups["test_rows"]
    concern = _concerns(prepared)["train_test_duplicates"]
    assert concern.severity == "warning" and "different records" in concern.title
    assert "differ from it in branch" in concern.detail and "do not delete them" in concern.detail
    assert "optimistic for inputs it has never seen" in concern.detail
    assert "drop_duplicate_records" not in concern.detail  # they are not copies: dropping them would delete records


def test_an_old_record_gets_no_deduplication_advice():
    record = {"schema_version": "1.1", "run": {}, "models": {},
              "data": {"train_test_duplicates": {"test_rows": 180, "n_test": 1000, "share": 0.18}}}
    concern = {c.kind: c for c in find_concerns(AuditResult.from_dict(record))}["train_test_duplicates"]
    assert "Deduplicate" not in concern.detail and "re-run" in concern.detail
