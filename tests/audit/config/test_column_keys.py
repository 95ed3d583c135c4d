"""Every config key that names columns of the data is marked once (``columns=True`` in its field metadata), and one
data check refuses a name that is not a column, with the column probably meant ("did you mean"), for every such key."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from audit.config import DataSection, named_columns
from audit.config._sections import _SECTIONS
from audit.data import check_table
from audit.exceptions import DataError

#: Keys that name a column but are checked by their own rule (the target: its own message and task checks).
_OWN_CHECK = {"data.target"}


def _names_columns(meta) -> bool:
    text = str(meta.get("expected", ""))
    return "column name" in text or "name of the column" in text or "name of the label column" in text


def test_every_key_that_names_columns_is_marked():
    unmarked = [f"{name}.{f.name}" for name, cls in _SECTIONS.items() for f in dataclasses.fields(cls)
                if _names_columns(f.metadata) and not f.metadata.get("columns") and f"{name}.{f.name}" not in _OWN_CHECK]
    assert not unmarked, f"keys naming columns without columns=True (the shared unknown-column check skips them): {unmarked}"


def test_named_columns_lists_the_marked_keys():
    d = DataSection(target="y", sensitive_features=["sex"], drop_columns=["a"], keep_columns=["b"], allow_leakage=["c"],
                    text_column="t")
    assert named_columns(d, "data") == {"data.sensitive_features": ["sex"], "data.text_column": ["t"],
                                        "data.drop_columns": ["a"], "data.keep_columns": ["b"], "data.allow_leakage": ["c"]}


_FRAME = pd.DataFrame({"y": [0, 1] * 4, "sex": ["F", "M"] * 4, "hours-per-week": range(8), "Text": ["a b"] * 8})


@pytest.mark.parametrize(("key", "name", "hint"), [
    ("keep_columns", "hours_per_week", "did you mean 'hours-per-week'?"),
    ("allow_leakage", "hours_per_wek", "did you mean 'hours-per-week'?"),
    ("drop_columns", "hours-per-weak", "did you mean 'hours-per-week'?"),
    ("text_column", "text", "a column 'Text' exists: names are case-sensitive"),
])
def test_an_unknown_name_in_any_column_key_is_refused_with_the_column_meant(key, name, hint):
    d = DataSection(target="y", sensitive_features=["sex"], **{key: name if key == "text_column" else [name]})
    with pytest.raises(DataError) as err:
        check_table(_FRAME, target="y", positive_label=1, sensitive_features=["sex"], drop_columns=d.drop_columns,
                    named_columns=named_columns(d, "data"))
    assert f"data.{key} names {name!r}, which is not a column of the data ({hint})" in str(err.value)


def test_known_names_pass():
    d = DataSection(target="y", sensitive_features=["sex"], keep_columns=["hours-per-week"], allow_leakage=["hours-per-week"])
    check_table(_FRAME, target="y", positive_label=1, sensitive_features=["sex"], named_columns=named_columns(d, "data"))
