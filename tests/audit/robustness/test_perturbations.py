"""Each perturbation changes what it says, at the rate it says, and never a sensitive column or an identity term."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audit.robustness import PERTURBATIONS, Columns, columns_for, register_perturbation


@pytest.fixture
def table() -> tuple[pd.DataFrame, Columns]:
    rng = np.random.default_rng(0)
    n = 20_000
    train = pd.DataFrame({"age": rng.normal(40, 12, n), "job": rng.choice(["a", "b", "c"], n, p=[0.6, 0.3, 0.1]),
                          "sex": rng.choice(["F", "M"], n), "hours": rng.integers(10, 60, n)})
    return train, columns_for(train, ["age", "job", "sex", "hours"], sensitive=["sex"])


def test_columns_leave_the_sensitive_ones_out(table):
    _, cols = table
    assert cols.names == ["age", "hours", "job"]
    assert cols.numeric["age"] == pytest.approx(12, rel=0.05)


def test_noise_has_the_stated_scale(table):
    rows, cols = table
    out = PERTURBATIONS["numeric_noise"].apply(rows, 0.25, cols, np.random.default_rng(1))
    assert (out["age"] - rows["age"]).std() == pytest.approx(0.25 * cols.numeric["age"], rel=0.03)
    assert out["sex"].equals(rows["sex"]) and out["job"].equals(rows["job"])


def test_missing_values_at_the_stated_rate(table):
    rows, cols = table
    out = PERTURBATIONS["missing_values"].apply(rows, 0.1, cols, np.random.default_rng(2))
    for col in ("age", "hours", "job"):
        assert out[col].isna().mean() == pytest.approx(0.1, abs=0.01)
    assert not out["sex"].isna().any()


def test_a_remap_always_changes_the_value_and_keeps_to_training_values(table):
    rows, cols = table
    out = PERTURBATIONS["category_remap"].apply(rows, 0.2, cols, np.random.default_rng(3))
    changed = out["job"] != rows["job"]
    assert changed.mean() == pytest.approx(0.2, abs=0.01)
    assert set(out["job"]) <= {"a", "b", "c"} and out["sex"].equals(rows["sex"])


def test_a_remap_of_missing_values_does_not_crash():
    rows = pd.DataFrame({"job": pd.array(["a", None, "b"] * 100, dtype="string")})
    cols = columns_for(rows, ["job"])
    out = PERTURBATIONS["category_remap"].apply(rows, 0.5, cols, np.random.default_rng(0))
    assert set(out["job"].dropna()) <= {"a", "b"}


def test_text_edits_leave_identity_terms_alone():
    rows = pd.DataFrame({"t": ["the women were treated kindly by the nurses"] * 200})
    cols = Columns(text="t", protected_terms=frozenset({"women"}))
    typo = PERTURBATIONS["typos"].apply(rows, 0.5, cols, np.random.default_rng(0))
    assert all("women" in t.split() for t in typo["t"]) and (typo["t"] != rows["t"]).mean() > 0.9
    filler = PERTURBATIONS["filler_words"].apply(rows, 0.3, cols, np.random.default_rng(0))
    for before, after in zip(rows["t"], filler["t"], strict=True):  # only fillers were added
        words = [w for w in after.split() if w not in ("really", "also", "just", "indeed", "actually", "well",
                                                        "basically", "so")]
        assert " ".join(words) == before


def test_a_perturbation_is_reproducible_from_its_generator(table):
    rows, cols = table
    a = PERTURBATIONS["numeric_noise"].apply(rows, 0.1, cols, np.random.default_rng(7))
    b = PERTURBATIONS["numeric_noise"].apply(rows, 0.1, cols, np.random.default_rng(7))
    assert a.equals(b)


def test_a_name_registered_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        register_perturbation("typos", input_kind="text", setting="typo_rate", label=str, description=str)(
            lambda rows, s, c, rng: rows)
