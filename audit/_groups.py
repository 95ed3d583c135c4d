"""Group labels and column shapes shared by the data checks of ``run`` and the input contract of ``fairness``.

An intersectional group is labelled by its values joined with :data:`INTERSECTION_SEPARATOR` (``"F & Black"``), so
values that contain the separator can make two different groups print the same label
(:func:`clashing_intersections`); a column of lists or structs cannot be grouped or compared
(:func:`nested_columns`). ``audit.data`` and ``audit.fairness`` both check these, with their own messages; this
module (pandas and NumPy only) keeps one definition below both, so importing ``audit.data`` does not load the
fairness engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["INTERSECTION_SEPARATOR", "MISSING", "SAMPLE_ROWS", "clashing_intersections", "nested_columns"]

#: Joins the values of an intersectional group's label ("Female & Black").
INTERSECTION_SEPARATOR = " & "
#: How a missing value prints in a group's label.
MISSING = "<missing>"
#: Rows of each non-numeric column looked at for nested values (a Parquet column has one type for all rows).
SAMPLE_ROWS = 1000


def nested_columns(frame: pd.DataFrame, columns: list[str]) -> dict[str, str]:
    """Columns among ``columns`` holding nested values (lists, arrays, dicts: Parquet list/struct columns), each
    with an example value, shortened; the first :data:`SAMPLE_ROWS` rows of object columns are looked at.

    Examples
    --------
    >>> nested_columns(pd.DataFrame({"a": [1, 2], "b": [[1], [2, 3]]}), ["a", "b"])
    {'b': '[1]'}
    """
    out = {}
    for c in columns:
        if c not in frame.columns or frame[c].dtype != object:
            continue
        for value in frame[c].head(SAMPLE_ROWS):
            if isinstance(value, (list, tuple, dict, set, np.ndarray)):
                out[c] = repr(value.tolist() if isinstance(value, np.ndarray) else value)[:60]
                break
    return out


def clashing_intersections(groups: pd.DataFrame, columns: list[str], *,
                           missing: str = MISSING) -> tuple[list[tuple[Any, ...]], str] | None:
    """Two different combinations of ``columns``' values whose intersection labels print the same, and that label;
    None when no labels clash. Only the distinct combinations matter; a missing value prints as ``missing``.

    Examples
    --------
    >>> clashing_intersections(pd.DataFrame({"a": ["x & y", "x"], "b": ["z", "y & z"]}), ["a", "b"])
    ([('x & y', 'z'), ('x', 'y & z')], 'x & y & z')
    """
    text = groups[columns].drop_duplicates().astype("string").fillna(missing)
    if not any(text[c].str.contains(INTERSECTION_SEPARATOR, regex=False).any() for c in columns):
        return None  # no value holds the separator: labels cannot clash
    labels = text.apply(lambda row: INTERSECTION_SEPARATOR.join(row), axis=1)
    clash = text[labels.duplicated(keep=False)]
    if clash.empty:
        return None
    return [tuple(r) for r in clash.head(2).itertuples(index=False)], str(labels[clash.index[0]])
