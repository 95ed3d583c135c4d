"""Target labels as the audits read them: the positive label (tolerant of 1 vs "1", True vs "true"), class labels as text."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["class_labels", "encode_target", "label_matches"]


def _as_bool(label: Any) -> bool | None:
    """A label as a boolean: true/false (any case), 1/0, or None when it is neither."""
    if isinstance(label, (bool, np.bool_)):
        return bool(label)
    if isinstance(label, (int, float)) and label in (0, 1):
        return bool(label)
    text = str(label).strip().lower()
    return {"true": True, "1": True, "false": False, "0": False}.get(text)


def label_matches(series: pd.Series, positive_label: Any) -> pd.Series:
    """Compare labels to the configured positive label, tolerating 1 vs '1', True vs 'true' and stray spaces.

    Examples
    --------
    >>> label_matches(pd.Series([True, False]), "true").tolist(), label_matches(pd.Series([0, 1]), "1").tolist()
    ([True, False], [False, True])
    """
    if pd.api.types.is_bool_dtype(series):
        want = _as_bool(positive_label)
        return pd.Series(False, index=series.index) if want is None else series.astype("boolean").eq(want).fillna(False).astype(bool)
    if pd.api.types.is_numeric_dtype(series) and isinstance(positive_label, str):
        try:
            positive_label = float(positive_label)
        except ValueError:
            return pd.Series(False, index=series.index)
    if not pd.api.types.is_numeric_dtype(series):
        return series.astype("string").str.strip() == str(positive_label).strip()
    return series == positive_label


def encode_target(series: pd.Series, positive_label: Any) -> np.ndarray:
    """Binary labels as int64 0/1, 1 where the value equals ``positive_label``."""
    labels: np.ndarray = label_matches(series, positive_label).to_numpy(dtype=np.int64)
    return labels


def class_labels(y: pd.Series) -> pd.Series:
    """Class labels as text: whole numbers without a decimal point (a column with missing values is read as floats,
    so ``2`` arrives as ``2.0``), everything else as written, trimmed.

    Examples
    --------
    >>> class_labels(pd.Series([2.0, 10.0, 1.5])).tolist(), class_labels(pd.Series([" a", "b"])).tolist()
    (['2', '10', '1.5'], ['a', 'b'])
    """
    if pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
        return y.map(lambda v: v if pd.isna(v) else str(int(v)) if float(v).is_integer() else str(v))
    return y.astype(str).str.strip()
