"""The input contract of a predictions table, one place for every engine (pandas, Dask, Spark).

``rai-audit fairness`` reads a CSV or Parquet file into memory, or counts a Parquet dataset on
pandas, Dask or Spark. Every one of those paths checks its columns here, on what any engine computes
cheaply, before a row is counted or brought to this machine:

- *column types*: no nested values (lists, structs) in the label, score and sensitive columns, judged
  on the schema and, where an engine keeps them as objects (pandas, Dask), on the first rows
  (:data:`SAMPLE_ROWS`) of each non-numeric column;
- *scores*: numeric, none missing (NaN or null), none outside [0, 1] (infinities included), from one
  aggregate (missing count, smallest, largest);
- *group caps*: at most :data:`MAX_SENSITIVE_GROUPS` distinct values per sensitive column (the cap of
  ``rai-audit run``), from the same aggregate (an engine's distinct count), so an identifier column is
  refused before millions of groups are built;
- *intersections*: two different combinations of sensitive values must not print the same group
  label (values joined by ``" & "``), judged on the distinct combinations (the count table's keys, or
  the rows' distinct combinations in memory).

The messages are the same on every engine: each names the column, what was found and the fix.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"y": [0, 1], "p": [0, 1], "s": [0.2, float("nan")], "sex": ["F", "M"]})
>>> column_problems(frame, y_true="y", y_pred="p", sensitive=["sex"], y_score="s", source="file p.csv")[0][:46]
"y_score column 's' has 1 missing value(s) (NaN"
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from audit._groups import INTERSECTION_SEPARATOR, SAMPLE_ROWS, clashing_intersections, nested_columns
from audit.choices import MAX_SENSITIVE_GROUPS
from audit.exceptions import DataError
from audit.fairness._inputs import MISSING_GROUP

__all__ = ["INTERSECTION_SEPARATOR", "SAMPLE_ROWS", "check_columns", "check_intersections", "column_problems"]


_NESTED = ("column {column!r} holds nested values (lists or structs, e.g. {example}) in the {source}; rai-audit "
           "fairness needs one plain value per cell. Fix: flatten it into plain columns, or pass another column.")
_SCORE_NUMERIC = ("y_score column {col!r} has type {dtype} in the {source}. Expected probabilities of the positive "
                  "class as numbers in [0, 1]. Fix: pass the predicted probability column.")
_SCORE_MISSING = ("y_score column {col!r} has {n} missing value(s) (NaN or null) in the {source}. Expected a "
                  "probability for every example. Fix: drop those rows or recompute the scores.")
_SCORE_RANGE = ("y_score column {col!r} has values outside [0, 1] (min {lo:.6g}, max {hi:.6g}) in the {source}. "
                "Expected probabilities of the positive class (finite). Fix: apply a sigmoid/softmax to logits, and "
                "drop or recompute infinite scores, before the audit.")
_TOO_MANY_GROUPS = ("sensitive feature {column!r} has {n:,} distinct values in the {source} (at most {limit} groups "
                    "supported); nothing was counted. {fix}")
_FIX_TEXT = ("Is it an identifier or free text? Fix: map its values to at most {limit} groups, or leave it out of "
             "--sensitive.")
_FIX_QUANTILES = "Fix: pass --sensitive-quantiles 4 to cut it at its quantiles, or map it to at most {limit} groups."
_FIX_ENGINE = ("Fix: cut it into at most {limit} bands before the audit (e.g. age groups), or audit one file with "
               "--engine pandas, where --sensitive-quantiles cuts it at its quantiles.")
_CLASH = ("sensitive features {columns} have values containing {sep!r} that make different intersectional groups "
          "{groups} share the label {joined!r} in the {source} (labels join values with {sep!r}). Fix: rename those "
          "values (e.g. 'and' for '&') in the predictions file.")


def _native(frame: Any) -> pd.DataFrame:
    return (frame.collect(backend="pandas") if hasattr(frame, "collect") else frame).to_native()


def _nested(sample: pd.DataFrame, source: str) -> list[str]:
    return [_NESTED.format(column=c, example=example, source=source)
            for c, example in nested_columns(sample, list(sample.columns)).items()]


def _group_fix(numeric: bool, quantiles: int | None) -> str:
    if not numeric:
        return _FIX_TEXT.format(limit=MAX_SENSITIVE_GROUPS)
    return (_FIX_ENGINE if quantiles is None else _FIX_QUANTILES).format(limit=MAX_SENSITIVE_GROUPS)


def column_problems(frame: Any, *, y_true: str, y_pred: str, sensitive: list[str], y_score: str | None = None,
                    source: str, quantiles: int | None = None) -> list[str]:
    """Every problem of the columns of a pandas, Dask or Spark frame (see the module docstring).

    Parameters
    ----------
    frame : pandas, Dask or Spark DataFrame
        The rows to audit (the columns named must exist).
    y_true, y_pred, y_score, sensitive : column names
    source : str
        How messages name the input, e.g. ``"predictions file preds.csv"``.
    quantiles : int, optional
        The rows' numeric sensitive columns with many values are cut into this many groups (the
        in-memory path; 0: one group per value); None when an engine counts them as they are.

    Examples
    --------
    >>> ids = pd.DataFrame({"y": [0, 1] * 101, "p": [1, 0] * 101, "id": [f"u{i}" for i in range(202)]})
    >>> column_problems(ids, y_true="y", y_pred="p", sensitive=["id"], source="file")[0][:52]
    "sensitive feature 'id' has 202 distinct values in th"
    """
    import narwhals as nw

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning)  # narwhals: "Dask support is moving out"
        lazy = nw.from_native(frame)
        schema = lazy.collect_schema()
        wanted = [*dict.fromkeys([y_true, y_pred, *([y_score] if y_score else []), *sensitive])]
        typed = [c for c in wanted if isinstance(schema[c], (nw.List, nw.Struct, nw.Array))]
        if typed:  # every other check would compare or hash these values
            return [_NESTED.format(column=c, example=f"type {schema[c]}", source=source) for c in typed]
        # pandas and Dask hold nested values as objects (their type says "object" or "string"): look at the
        # first rows; Spark's schema is exact, so its columns are never sampled (each Spark job costs seconds)
        spark = type(frame).__module__.startswith("pyspark")
        plain = [] if spark else [c for c in wanted if not (schema[c].is_numeric() or schema[c] == nw.Boolean)]
        if plain:
            problems = _nested(_native(lazy.select(plain).head(SAMPLE_ROWS)), source)
            if problems:
                return problems
        problems = []
        aggs = [nw.col(c).n_unique().alias(f"g{i}") for i, c in enumerate(sensitive)]
        if y_score and not schema[y_score].is_numeric():
            problems.append(_SCORE_NUMERIC.format(col=y_score, dtype=schema[y_score], source=source))
        elif y_score:
            s = nw.col(y_score).cast(nw.Float64)
            aggs += [(s.is_null() | s.is_nan().fill_null(False)).cast(nw.Int64).sum().alias("missing"),
                     s.min().alias("lo"), s.max().alias("hi"), nw.len().alias("rows")]
        if not aggs:
            return problems
        row = _native(lazy.select(*aggs)).iloc[0]
    for i, c in enumerate(sensitive):
        n = int(row[f"g{i}"])
        numeric = schema[c].is_numeric()
        if n > MAX_SENSITIVE_GROUPS and not (numeric and quantiles):
            problems.append(_TOO_MANY_GROUPS.format(column=c, n=n, source=source, limit=MAX_SENSITIVE_GROUPS,
                                                    fix=_group_fix(numeric, quantiles)))
    if "missing" in row.index and int(row["rows"]):  # no rows: nothing to check (the caller says so)
        missing, lo, hi = int(row["missing"]), float(row["lo"]), float(row["hi"])
        if missing:
            problems.append(_SCORE_MISSING.format(col=y_score, n=missing, source=source))
        elif not (0.0 <= lo and hi <= 1.0):
            problems.append(_SCORE_RANGE.format(col=y_score, lo=lo, hi=hi, source=source))
    return problems


def check_columns(frame: Any, **columns: Any) -> None:
    """Raise one :class:`DataError` listing :func:`column_problems` (arguments as there).

    Examples
    --------
    >>> check_columns(pd.DataFrame({"y": [0, 1], "p": [1, 1], "sex": ["F", "M"]}), y_true="y", y_pred="p",
    ...               sensitive=["sex"], source="file")
    """
    problems = column_problems(frame, **columns)
    if problems:
        raise DataError("\n".join(problems), problems=problems)


def check_intersections(groups: pd.DataFrame, sensitive: list[str], *, source: str) -> None:
    """Refuse different combinations of sensitive values whose intersection labels print the same.

    ``groups`` holds the sensitive columns of the rows, or of a count table (only its distinct
    combinations matter). Values print as the report names groups (missing: ``"<missing>"``).

    Examples
    --------
    >>> check_intersections(pd.DataFrame({"a": ["x & y", "x"], "b": ["z", "y & z"]}), ["a", "b"],
    ...                     source="file")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    audit.exceptions.DataError: sensitive features ['a', 'b'] have values containing ' & ' that make ...
    """
    found = clashing_intersections(groups, sensitive, missing=MISSING_GROUP) if len(sensitive) >= 2 else None
    if found is None:
        return
    shown, joined = found
    raise DataError(_CLASH.format(columns=sensitive, groups=shown, joined=joined,
                                  sep=INTERSECTION_SEPARATOR, source=source))
