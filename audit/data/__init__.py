"""Load, check, split and encode tabular data.

The package reads by concept: :mod:`audit.data._read` reads a user's CSV or Parquet file,
:mod:`audit.data._checks` checks a table against the config, :mod:`audit.data._split` makes the
seeded stratified splits, :mod:`audit.data._preprocess` holds the :class:`TabularPreprocessor`,
:mod:`audit.data._sensitive` the group labels of sensitive columns, and :mod:`audit.data._prepare`
puts them together into :class:`PreparedData` (:func:`prepare_data`). The data screening
(:mod:`audit.data.screening`) with its identifier scan (:func:`identifier_scan`), the text
inputs and their vocabulary (:mod:`audit.data._vocab`) and the bundled datasets
(:mod:`audit.data.datasets`) sit beside them.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"age": [20, 30, 40], "sex": ["F", "M", "F"]})
>>> pre = TabularPreprocessor().fit(df)
>>> pre.feature_names_
['age', 'sex=F', 'sex=M']
"""

from __future__ import annotations

from audit.data._checks import (
    INTERSECTION_SEPARATOR,
    MAX_SENSITIVE_GROUPS,
    ambiguous_intersections,
    check_table,
    nested_columns,
    nested_problems,
)
from audit.data._identifiers import identifier_scan
from audit.data._prepare import PreparedData, prepare_data, prepared_from_frames
from audit.data._preprocess import TabularPreprocessor
from audit.data._read import file_sha256, read_table
from audit.data._sensitive import (
    MISSING_CATEGORY,
    SensitiveBins,
    fit_sensitive_bins,
    sensitive_frame,
)
from audit.data._split import split_train_test
from audit.tasks import encode_target

__all__ = [
    "INTERSECTION_SEPARATOR",
    "MAX_SENSITIVE_GROUPS",
    "MISSING_CATEGORY",
    "PreparedData",
    "SensitiveBins",
    "TabularPreprocessor",
    "ambiguous_intersections",
    "check_table",
    "encode_target",
    "file_sha256",
    "fit_sensitive_bins",
    "identifier_scan",
    "nested_columns",
    "nested_problems",
    "prepare_data",
    "prepared_from_frames",
    "read_table",
    "sensitive_frame",
    "split_train_test",
]
