"""Checks of a table against the config before any work: every problem found is reported at once.

Examples
--------
>>> frame = pd.DataFrame({"y": [0, 1, 0, 1], "sex": ["F", "M", "F", "M"], "x": [1.0, 2.0, 3.0, 4.0]})
>>> check_table(frame, target="y", positive_label=1, sensitive_features=["sex"])
>>> nested_problems(frame, ["x"], "data")
[]
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from audit._groups import INTERSECTION_SEPARATOR, clashing_intersections, nested_columns
from audit.choices import MAX_SENSITIVE_GROUPS  # one cap for run and fairness
from audit.config import DEFAULT_SENSITIVE_QUANTILES
from audit.data._read import _is_numeric
from audit.data._sensitive import MISSING_CATEGORY
from audit.exceptions import DataError
from audit.tasks import task_class

__all__ = [
    "INTERSECTION_SEPARATOR",
    "MAX_SENSITIVE_GROUPS",
    "ambiguous_intersections",
    "check_table",
    "column_hint",
    "nested_columns",
    "nested_problems",
    "unknown_column_problems",
]

_AMBIGUOUS_GROUP = (
    "sensitive features {columns} have values containing {sep!r} that make different intersectional groups {groups} "
    "share the label {joined!r} in the {label} (labels join values with {sep!r}). Rename those values (e.g. 'and' for "
    "'&'), or set data.intersections = false."
)
_NESTED = ("column {column!r} holds nested values (lists or structs, e.g. {example}) in the {label}; rai-audit needs one "
           "plain value per cell. Flatten it into plain columns, or leave it out (data.drop_columns).")
_MOSTLY_NUMERIC = (
    "column {column!r} looks numeric ({n_num} of {n_all} values are numbers) but has non-numeric values {bad} "
    "in the {label}. Expected numbers only; clean those values (or leave the cells empty to mark them missing)."
)
_INFINITE = (
    "numeric column {column!r} has {n} infinite value(s) in the {label}. Expected finite numbers; "
    "replace them with empty cells (missing) or clip them to a finite value."
)
# Squaring a magnitude above this overflows float64 (about 1.8e308), so standardising turns the column to NaN or 0.
_MAX_MAGNITUDE = 1e150
_HUGE = (
    "numeric column {column!r} has {n} value(s) of magnitude above {limit:.0e} (largest {largest:.3g}) in the {label}: "
    "standardising them overflows float64 (their square is infinite) and would turn the features into NaN. "
    "Expected measurements of a sane scale; rescale the column (e.g. a log), clip it, or fix those cells."
)
_DECIMAL_COMMA = r"[+-]?\d{1,3}(\.\d{3})*,\d+|[+-]?\d+,\d+"
_DECIMAL_COMMAS = (
    "column {column!r} holds numbers written with a decimal comma ({n} of {n_all} values, e.g. {shown}) in the {label}; "
    "read as text they would become one category per distinct number. Expected a decimal point: write {example}, or "
    "export the file with '.' as the decimal separator."
)
# A text column whose values are at least this share numbers is taken for a numeric column with typos:
# encoding it as categories would silently turn every distinct number into its own feature.
_NUMERIC_SHARE = 0.9


def nested_problems(frame: pd.DataFrame, columns: list[str], label: str) -> list[str]:
    """One message per nested column among ``columns`` (see :func:`nested_columns`)."""
    return [_NESTED.format(column=c, example=example, label=label) for c, example in nested_columns(frame, columns).items()]


def column_hint(name: str, columns: Sequence[str]) -> str:
    """What ``name``, not a column, was probably meant to be: the same name in another case, or a close spelling.

    Examples
    --------
    >>> column_hint("Sex", ["sex", "age"]), column_hint("agee", ["sex", "age"]), column_hint("zz", ["sex"])
    (" (a column 'sex' exists: names are case-sensitive)", " (did you mean 'age'?)", '')
    """
    same = [c for c in columns if str(c).lower() == name.lower()]
    if same:
        return f" (a column {str(same[0])!r} exists: names are case-sensitive)"
    close = difflib.get_close_matches(name, [str(c) for c in columns], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_column_problems(named: Mapping[str, Sequence[str]], columns: Sequence[str], label: str) -> list[str]:
    """One problem per name a config key lists that is not a column of the table, with :func:`column_hint`.

    ``named`` maps each column-naming key to its names (``audit.config._spec.named_columns``): one check for every
    such key, so a typo in ``data.keep_columns`` is refused as one in ``data.drop_columns`` is.

    Examples
    --------
    >>> (problem,) = unknown_column_problems({"data.keep_columns": ["agee"]}, ["age", "sex"], "data")
    >>> for sentence in problem.split(". "):
    ...     print(sentence)
    data.keep_columns names 'agee', which is not a column of the data (did you mean 'age'?)
    Columns found: ['age', 'sex']
    Fix: set data.keep_columns to columns of the data.
    """
    present = set(columns)
    shown = [str(c) for c in list(columns)[:_COLUMNS_SHOWN]] + (["..."] if len(columns) > _COLUMNS_SHOWN else [])
    return [f"{key} names {name!r}, which is not a column of the {label}{column_hint(name, columns)}. Columns found: "
            f"{shown}. Fix: set {key} to columns of the {label}."
            for key, names in named.items() for name in names if name not in present]


_COLUMNS_SHOWN = 12  # enough to spot the meant one; a wide table is not printed whole


def check_table(
    frame: pd.DataFrame,
    *,
    target: str,
    positive_label: Any,
    sensitive_features: list[str],
    drop_columns: Sequence[str] = (),
    label: str = "data",
    min_group_rows: int = 2,
    intersections: bool = False,
    task: str = "binary",
    sensitive_quantiles: int = DEFAULT_SENSITIVE_QUANTILES,
    sensitive_bins: dict[str, list[float]] | None = None,
    named_columns: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Check a table against the config before any work; report every problem at once.

    A numeric sensitive column that will be binned (``sensitive_quantiles`` > 0, or edges in
    ``sensitive_bins``; see :func:`fit_sensitive_bins`) is not refused for its many distinct values:
    the group count that matters is the binned one. ``named_columns`` gives every config key that names columns
    (``audit.config._spec.named_columns``; by default only ``data.drop_columns``): each name must be a column.

    Raises
    ------
    DataError
        Listing each problem (missing columns, labels that are not binary, an absent
        positive label, NaN targets, sensitive columns with one group or too many,
        all-missing columns, numeric columns with infinities or a few non-numeric values).
    """
    nested = nested_problems(frame, [c for c in frame.columns if c not in drop_columns], label)
    if nested:  # every other check would compare or hash these values
        body = "\n".join(f"  - {p}" for p in nested)
        raise DataError(f"The {label} cannot be audited as configured ({len(nested)} problem(s)):\n{body}", problems=nested)
    problems: list[str] = []
    cols = set(frame.columns)
    for name, what in [(target, "target"), *[(s, "sensitive feature") for s in sensitive_features]]:
        if name not in cols:
            hint = column_hint(name, list(frame.columns))
            problems.append(f"{what} column {name!r} is missing from the {label}{hint}. Columns found: {list(frame.columns)[:30]}.")
    named = dict(named_columns) if named_columns is not None else {"data.drop_columns": list(drop_columns)}
    named.pop("data.sensitive_features", None)  # reported above, with the columns found
    problems += unknown_column_problems(named, list(frame.columns), label)
    n_nan = int(frame[target].isna().sum()) if target in cols else 0
    if n_nan:  # every task: a row without a target cannot be scored
        problems.append(f"target column {target!r} has {n_nan} missing value(s) in the {label}. Drop or fill those rows first.")
    if target in cols:
        problems += task_class(task).target_problems(frame[target], target=target, label=label,
                                                     positive_label=positive_label)
    for s in sensitive_features:
        if s in cols:
            problems += _sensitive_problems(frame[s], s, label=label, quantiles=sensitive_quantiles,
                                            edges=(sensitive_bins or {}).get(s))
    present = [s for s in sensitive_features if s in cols]
    if intersections and len(present) > 1:
        problems += ambiguous_intersections(frame, present, label)
    for c in frame.columns:
        if c in (target,) or c in drop_columns:
            continue
        if frame[c].isna().all():
            problems.append(f"column {c!r} is entirely missing in the {label}; drop it (data.drop_columns).")
            continue
        if c in sensitive_features:
            continue  # sensitive values are group labels, never parsed as numbers
        problem = _numeric_problem(frame[c], c, label)
        if problem:
            problems.append(problem)
    if problems:
        body = "\n".join(f"  - {p}" for p in problems)
        raise DataError(f"The {label} cannot be audited as configured ({len(problems)} problem(s)):\n{body}", problems=problems)


def _sensitive_problems(values: pd.Series, column: str, *, label: str, quantiles: int, edges: list[float] | None) -> list[str]:
    """A sensitive column with one group, or with more than MAX_SENSITIVE_GROUPS groups once binned."""
    n_groups = values.astype("string").fillna(MISSING_CATEGORY).nunique()
    if n_groups < 2:
        return [f"sensitive feature {column!r} has a single group in the {label}; fairness needs at least 2 groups."]
    numeric = _is_numeric(values)
    if edges is not None and not numeric and pd.to_numeric(values.dropna(), errors="coerce").isna().any():
        bad = values.dropna()[pd.to_numeric(values.dropna(), errors="coerce").isna()].astype(str).unique()[:3].tolist()
        return [f"data.sensitive_bins gives edges for {column!r}, whose values in the {label} are not numbers (e.g. {bad}). "
                "Fix: remove it from data.sensitive_bins (its values are group labels already), or fix the column."]
    if n_groups <= MAX_SENSITIVE_GROUPS or edges is not None or (numeric and quantiles):
        return []  # a numeric column is cut into groups (fit_sensitive_bins) before they are counted
    fix = ("Fix: set data.sensitive_quantiles (e.g. 4) to cut it at the training rows' quantiles, or give its edges in "
           f"data.sensitive_bins (e.g. {{{column} = [25, 45, 65]}})." if numeric else
           "Is it an identifier or free text? Fix: map its values to at most "
           f"{MAX_SENSITIVE_GROUPS} groups in the data file, or leave it out of data.sensitive_features.")
    return [f"sensitive feature {column!r} has {n_groups} distinct values in the {label} (at most {MAX_SENSITIVE_GROUPS} "
            f"groups supported). {fix}"]


def ambiguous_intersections(frame: pd.DataFrame, columns: list[str], label: str) -> list[str]:
    """Different intersectional groups whose labels (values joined by " & ") would be the same.

    Returns one message naming the clashing groups, or an empty list.

    Examples
    --------
    >>> frame = pd.DataFrame({"a": ["x & y", "x"], "b": ["z", "y & z"]})
    >>> len(ambiguous_intersections(frame, ["a", "b"], "data"))
    1
    """
    found = clashing_intersections(frame, columns, missing=MISSING_CATEGORY)
    if found is None:
        return []
    shown, joined = found
    return [_AMBIGUOUS_GROUP.format(columns=columns, groups=shown, joined=joined, sep=INTERSECTION_SEPARATOR, label=label)]


def _numeric_problem(series: pd.Series, column: str, label: str) -> str | None:
    """A message when a numeric column has infinities or overflowing magnitudes, or a text column is
    numbers with a few typos or with decimal commas."""
    if _is_numeric(series):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        n_inf = int(np.isinf(values).sum())
        if n_inf:
            return _INFINITE.format(column=column, n=n_inf, label=label)
        huge = np.abs(values[np.isfinite(values)])
        huge = huge[huge > _MAX_MAGNITUDE]
        return _HUGE.format(column=column, n=len(huge), largest=float(huge.max()), limit=_MAX_MAGNITUDE, label=label) \
            if len(huge) else None
    if pd.api.types.is_bool_dtype(series):
        return None
    values = series.dropna()
    text = values.astype("string").str.strip()
    commas = text.str.fullmatch(_DECIMAL_COMMA)
    if len(values) and int(commas.sum()) >= _NUMERIC_SHARE * len(values):
        shown = text[commas].unique().tolist()[:3]
        return _DECIMAL_COMMAS.format(column=column, n=int(commas.sum()), n_all=len(values), shown=shown, label=label,
                                      example=shown[0].replace(".", "").replace(",", "."))
    parsed = pd.to_numeric(text, errors="coerce")
    n_num = int(parsed.notna().sum())
    if n_num == len(values) or n_num < _NUMERIC_SHARE * len(values):
        return None
    bad = text[parsed.isna()].unique().tolist()
    shown = [str(b) for b in bad[:5]] + (["..."] if len(bad) > 5 else [])
    return _MOSTLY_NUMERIC.format(column=column, n_num=n_num, n_all=len(values), bad=shown, label=label)
