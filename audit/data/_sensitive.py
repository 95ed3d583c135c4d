"""Group labels of sensitive columns: numeric columns binned by a stated rule, and split strata by group.

* **Binning.** A numeric (not boolean) sensitive column with more than
  :data:`~audit.config.SENSITIVE_MAX_VALUES` (10) distinct values in the training rows is cut into
  groups, never kept as one group per value (an ``age`` column made 46 groups, 103 small-group notes
  and 70 representation warnings): at the user's edges (``data.sensitive_bins = {age = [25, 45, 65]}``
  gives ``< 25``, ``[25, 45)``, ``[45, 65)``, ``≥ 65``), or else at the training rows' quantiles
  (``data.sensitive_quantiles``, default 4: quartiles, edges rounded to whole numbers for a column of
  whole numbers and to 3 significant digits otherwise; tied quantiles merge, so a column of few
  distinct values can give fewer groups, and a smallest value holding a quarter of the rows is a group
  of its own). The edges are fitted on the training rows only and applied
  unchanged to the validation and test rows; a missing value stays the group ``<missing>``. Only the
  group labels are binned: the model still reads the raw number as a feature.
* **Strata.** ``split.stratify = "groups"`` stratifies the test (and validation) split by sensitive
  group × target. A stratum with too few rows to put one in each side
  (fewer than ``max(2, ceil(1 / min(size, 1 - size)))``) drops the last sensitive feature from its key,
  then the one before, down to the target alone; leftover target strata that are still too small join
  the largest stratum of the same target value.

Examples
--------
>>> import pandas as pd
>>> train = pd.DataFrame({"age": list(range(20, 61))})
>>> bins = fit_sensitive_bins(train, ["age"])
>>> bins["age"].labels
('< 30', '[30, 40)', '[40, 50)', '≥ 50')
>>> bins["age"].apply(pd.Series([18, 35, None, 70])).tolist()
['< 30', '[30, 40)', '<missing>', '≥ 50']
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd

from audit.config import DEFAULT_SENSITIVE_QUANTILES, SENSITIVE_MAX_VALUES
from audit.exceptions import DataError

__all__ = ["MISSING_CATEGORY", "SensitiveBins", "fit_sensitive_bins", "group_strata", "min_stratum_rows", "sensitive_frame"]

MISSING_CATEGORY = "<missing>"
_NAMES = {2: "medians", 3: "terciles", 4: "quartiles", 5: "quintiles", 10: "deciles"}
_NOT_NUMBERS = ("sensitive feature {column!r} is binned as a number ({why}) but holds values that are not numbers in the "
                "{label}: {bad}. Fix: clean those cells (leave them empty to mark them missing), or {fix}.")
_TEXT_BINS = ("data.sensitive_bins gives edges for {column!r}, whose values in the {label} are not numbers (e.g. {bad}). "
              "Fix: remove it from data.sensitive_bins (its values are group labels already), or fix the column.")


def _is_number_column(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


def _labels(edges: tuple[float, ...]) -> tuple[str, ...]:
    inner = [f"[{_fmt(a)}, {_fmt(b)})" for a, b in pairwise(edges)]
    return (f"< {_fmt(edges[0])}", *inner, f"≥ {_fmt(edges[-1])}")


@dataclass(frozen=True)
class SensitiveBins:
    """How one numeric sensitive column becomes groups: the edges fitted on the training rows, and why.

    ``rule`` is ``"quantiles"`` (``data.sensitive_quantiles``) or ``"edges"`` (``data.sensitive_bins``).
    A value ``x`` falls in the group whose interval holds it: ``< e1``, ``[e1, e2)``, …, ``≥ ek``.
    """

    column: str
    rule: str
    edges: tuple[float, ...]
    n_distinct: int
    quantiles: int | None = None
    rows: str = "training rows"  # the rows the edges were fitted on, in words

    @property
    def labels(self) -> tuple[str, ...]:
        """The group labels, lowest interval first."""
        return _labels(self.edges)

    @property
    def text(self) -> str:
        """The rule in words, for the progress output, the concern and the card."""
        groups = ", ".join(self.labels)
        if self.rule == "edges":
            how = f"cut at the edges data.sensitive_bins gives ({', '.join(map(_fmt, self.edges))})"
        else:
            name = _NAMES.get(self.quantiles or 0, f"{self.quantiles}-quantiles")
            merged = "" if len(self.edges) == (self.quantiles or 0) - 1 else ", tied quantiles merged"
            how = (f"a numeric column with {self.n_distinct} distinct values in the {self.rows} (more than "
                   f"{SENSITIVE_MAX_VALUES}), cut at the {name} of the {self.rows}{merged}")
        return f"{self.column}: {how} into {len(self.labels)} groups {groups}; missing values stay {MISSING_CATEGORY}"

    def apply(self, series: pd.Series, *, label: str = "data") -> pd.Series:
        """The group label of each value (``<missing>`` where the value is missing).

        Raises
        ------
        DataError
            A value that is not a number.
        """
        values = pd.to_numeric(series, errors="coerce")
        bad = series[values.isna() & series.notna()]
        if len(bad):
            why = "data.sensitive_bins" if self.rule == "edges" else "it is numeric in the training rows"
            fix = ("remove it from data.sensitive_bins" if self.rule == "edges" else
                   "set data.sensitive_quantiles = 0 to keep one group per value")
            raise DataError(_NOT_NUMBERS.format(column=self.column, why=why, label=label, bad=bad.astype(str).unique()[:5].tolist(),
                                                fix=fix))
        codes = np.searchsorted(np.asarray(self.edges, dtype=np.float64), values.to_numpy(dtype=np.float64), side="right")
        labels = np.asarray(self.labels, dtype=object)[np.minimum(codes, len(self.edges))]
        return pd.Series(np.where(values.isna().to_numpy(), MISSING_CATEGORY, labels), index=series.index, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        """The record's ``data.sensitive_bins.<column>`` entry."""
        return {"rule": self.rule, "quantiles": self.quantiles, "edges": [float(e) for e in self.edges],
                "labels": list(self.labels), "n_distinct_train": int(self.n_distinct), "text": self.text}


def _rounded(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Readable edges: whole numbers for a column of whole numbers, else 3 significant digits."""
    if np.all(np.equal(np.mod(values, 1), 0)):
        return np.round(edges)
    digits = [3 - 1 - int(math.floor(math.log10(abs(e)))) if e != 0 else 0 for e in edges]
    return np.array([round(float(e), d) for e, d in zip(edges, digits, strict=True)])


def _quantile_edges(values: np.ndarray, q: int) -> tuple[float, ...]:
    edges = _rounded(np.quantile(values, np.arange(1, q) / q), values)
    lo, hi = values.min(), values.max()
    # an edge at or below the smallest value would make an empty first group: a smallest value that holds a quarter
    # of the rows (0 children, 0 prior arrests) becomes its own group, cut at the next value; none above the largest
    above = values[values > lo]
    edges = np.where(edges <= lo, above.min() if len(above) else hi + 1, edges)
    return tuple(float(e) for e in np.unique(edges) if lo < e <= hi)


def fit_sensitive_bins(
    train: pd.DataFrame, columns: list[str], *, quantiles: int = DEFAULT_SENSITIVE_QUANTILES,
    edges: dict[str, list[float]] | None = None, label: str = "training data", rows: str = "training rows",
) -> dict[str, SensitiveBins]:
    """The binning of each sensitive column that needs one, fitted on ``train``.

    A column named in ``edges`` is cut there; otherwise a numeric (not boolean) column with more than
    :data:`~audit.config.SENSITIVE_MAX_VALUES` distinct values is cut at ``quantiles`` quantiles of
    ``train`` (``quantiles = 0``: never). Other columns are absent from the result (one group per value).
    ``label`` names the table in messages, ``rows`` the fitted rows in the rule's words.

    Raises
    ------
    DataError
        ``edges`` names a column whose values are not numbers.

    Examples
    --------
    >>> frame = pd.DataFrame({"age": [18, 30, 45, 62, 70] * 4, "sex": ["F", "M"] * 10})
    >>> sorted(fit_sensitive_bins(frame, ["age", "sex"], edges={"age": [25, 65]})["age"].labels)
    ['< 25', '[25, 65)', '≥ 65']
    """
    edges = dict(edges or {})
    out: dict[str, SensitiveBins] = {}
    for c in columns:
        if c not in train.columns:
            continue
        s = train[c]
        numbers = pd.to_numeric(s, errors="coerce") if not pd.api.types.is_bool_dtype(s) else pd.Series(np.nan, index=s.index)
        n_distinct = int(numbers.dropna().nunique())
        if c in edges:
            bad = s[numbers.isna() & s.notna()]
            if len(bad):
                raise DataError(_TEXT_BINS.format(column=c, label=label, bad=bad.astype(str).unique()[:3].tolist()))
            out[c] = SensitiveBins(column=c, rule="edges", edges=tuple(float(e) for e in edges[c]), n_distinct=n_distinct,
                                   rows=rows)
        elif quantiles and _is_number_column(s) and n_distinct > SENSITIVE_MAX_VALUES:
            cut = _quantile_edges(numbers.dropna().to_numpy(dtype=np.float64), quantiles)
            if cut:
                out[c] = SensitiveBins(column=c, rule="quantiles", edges=cut, n_distinct=n_distinct, quantiles=quantiles,
                                       rows=rows)
    return out


def min_stratum_rows(size: float) -> int:
    """The fewest rows a stratum needs to expect at least one row on each side of a split of ``size``.

    Examples
    --------
    >>> min_stratum_rows(0.3), min_stratum_rows(0.2), min_stratum_rows(0.5)
    (4, 5, 2)
    """
    return max(2, math.ceil(1 / min(size, 1 - size) - 1e-9))


def _joined(keys: list[np.ndarray], rows: np.ndarray) -> np.ndarray:
    parts = [k[rows].astype(str) for k in keys]
    out = parts[0].astype(object)
    for part in parts[1:]:
        out = out + "\x1f" + part
    return out


def group_strata(target: np.ndarray, groups: list[np.ndarray], *, size: float) -> np.ndarray:
    """Strata of target × sensitive groups for a split of ``size``, merging those too small to split.

    A stratum with fewer than :func:`min_stratum_rows` rows drops the last group key, then the one
    before, down to the target alone; a target-only leftover still too small joins the largest stratum
    of its target value.

    Examples
    --------
    >>> y = np.array([0, 1] * 50)
    >>> sex = np.array(["F"] * 10 + ["M"] * 90)
    >>> len(set(group_strata(y, [sex], size=0.3)))
    4
    """
    keys = [np.asarray(target).astype(str), *[np.asarray(g).astype(str) for g in groups]]
    n, least = len(keys[0]), min_stratum_rows(size)
    depth = np.full(n, len(keys))
    for d in range(len(keys), 1, -1):
        rows = np.flatnonzero(depth == d)
        if not len(rows):
            continue
        label = pd.Series(_joined(keys[:d], rows))
        small = label.map(label.value_counts()).to_numpy() < least
        depth[rows[small]] = d - 1
    strata = np.empty(n, dtype=object)
    for d in np.unique(depth):
        rows = np.flatnonzero(depth == d)
        strata[rows] = f"{d}\x1e" + _joined(keys[:d], rows)
    counts = pd.Series(strata).value_counts()
    for stratum in counts.index[counts.to_numpy() < least]:
        rows = strata == stratum
        same = pd.Series(strata[(keys[0] == keys[0][rows][0]) & ~rows]).value_counts()
        if len(same):
            strata[rows] = same.index[0]
    return strata


def sensitive_frame(frame: pd.DataFrame, columns: list[str], *, bins: dict[str, SensitiveBins] | None = None,
                    label: str = "data") -> pd.DataFrame:
    """The sensitive columns as string group labels; a missing value is its own group (``<missing>``).

    A column with fitted ``bins`` (:func:`fit_sensitive_bins`) gets its interval labels (``[30, 40)``).

    Examples
    --------
    >>> sensitive_frame(pd.DataFrame({"sex": ["F", None]}), ["sex"])["sex"].tolist()
    ['F', '<missing>']
    >>> frame = pd.DataFrame({"age": [20, 50, None]})
    >>> bins = fit_sensitive_bins(frame, ["age"], edges={"age": [40]})
    >>> sensitive_frame(frame, ["age"], bins=bins)["age"].tolist()
    ['< 40', '≥ 40', '<missing>']
    """
    bins = bins or {}
    return pd.DataFrame({c: bins[c].apply(frame[c], label=label) if c in bins else
                         frame[c].astype("string").fillna(MISSING_CATEGORY).astype(object) for c in columns}, index=frame.index)
