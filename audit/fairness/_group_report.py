"""The group-report engine: what every kind's group audit shares, with the metrics passed in.

As Fairlearn's ``MetricFrame`` takes a dict of metrics and serves classification and regression
alike, a group report here is its kind's metric specifications (:class:`MetricSpec`: what a
group's value is, its interval method, the rows it divides by; :class:`DisparitySpec`: the
metric a disparity compares, the statistic over groups, the test that decides parity) run
through the layers every kind shares, which live here once:

* the **group layout**: the sensitive columns encoded (missing values: ``"<missing>"``), each
  row's finest cell, one grouping per column and (with ``intersections``) all of them together
  (:func:`group_cells`, :func:`group_layout`);
* the **row checks**: every input has one entry per example (:func:`check_rows`);
* **sufficiency**: a group enters a metric's disparities with ``min_group_size`` rows and
  ``min_group_positives`` rows of each denominator the metric divides by (:func:`sufficient`),
  the groups left out and why (:func:`excluded_groups`, :func:`few_groups`);
* **spreads** over the groups compared (max - min, min / max, max: :func:`spread`);
* the **entries** and the **assembly**: ``{value, ci}`` with an interval widened to hold its
  estimate or withheld with its reason (:func:`interval_entry`), one block per grouping
  (:func:`block`) and the report (:func:`report`).

Holm's adjustment over a model's parity tests is :mod:`audit.fairness._holm`. The kinds'
inference (the binary exact intervals and tests in ``_exact``/``_engine``, the multiclass exact
bands in ``_multiclass_ci``, the regression studentized bootstrap in ``_regression_ci``) stays
with each kind: its numbers are its own.

Examples
--------
>>> import pandas as pd
>>> layout = group_layout(pd.DataFrame({"sex": list("FFM"), "race": list("aba")}), n=3, intersections=True,
...                       problems=[])
>>> [g.key for g in layout.groupings], layout.groupings[2].labels
(['sex', 'race', 'sex & race'], ['F & a', 'F & b', 'M & a'])
>>> few_groups(1, 2, min_rows=30, metrics="accuracy")
'fewer than two groups have enough data for accuracy (1 of 2: at least 30 rows); a disparity needs two groups to compare'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from audit.exceptions import DataError
from audit.fairness._counts import Cells, Grouping, count_cells, grouping
from audit.fairness._entries import json_float, value_ci
from audit.fairness._inputs import encode_sensitive

__all__ = [
    "STATISTICS",
    "DisparitySpec",
    "Layout",
    "MetricSpec",
    "block",
    "blocks",
    "check_rows",
    "one_d_floats",
    "excluded_groups",
    "few_groups",
    "group_cells",
    "group_layout",
    "interval_entry",
    "json_floats",
    "report",
    "row_count",
    "spread",
    "sufficient",
    "used_groups",
]

#: The statistics a disparity takes over the groups compared, and their index in :func:`spread`'s result.
STATISTICS = {"difference": 0, "ratio": 1, "max": 2}

_LENGTH_MISMATCH = (
    "{name} has {found} rows but y_true has {n}. Expected one entry per example in every input. "
    "Fix: pass arrays (and the sensitive table) built from the same rows, in the same order."
)
_FEW_GROUPS = (
    "fewer than two groups have enough data{what} ({used} of {total}: at least {min_rows} rows{extra}); "
    "a disparity needs two groups to compare"
)
_SMALL_GROUP = "{n} rows < min_group_size = {min_rows}"


@dataclass(frozen=True)
class MetricSpec:
    """One group metric of a kind's report.

    ``value`` says what a group's value is; ``interval`` how its interval is computed; ``denominators``
    the counts of rows (beside the group's rows) it divides by, of which a group needs
    ``min_group_positives`` for the metric (``"positives"``: actual positives; ``"class_rows"``: true rows of
    the class, for a per-class metric); ``per_class`` that a group has one value per class.
    """

    name: str
    value: str
    interval: str = ""
    denominators: tuple[str, ...] = ()
    per_class: bool = False


@dataclass(frozen=True)
class DisparitySpec:
    """One disparity of a kind's report: the group ``metric`` it compares and the ``statistic`` over the groups
    compared (:data:`STATISTICS`); a per-class metric's disparity is its worst class (``lowest``: the smallest
    value, for a ratio). ``test`` names the rate whose exact group-against-the-rest tests decide parity (None: the
    interval is the evidence); ``band`` the statistic whose simultaneous band gives its interval, when it differs
    from the metric (a regression's RMSE takes the band of its mean squared error)."""

    name: str
    metric: str
    statistic: Literal["difference", "ratio", "max"]
    test: str | None = None
    band: str | None = None

    @property
    def index(self) -> int:
        """The statistic's index in :func:`spread`'s result."""
        return STATISTICS[self.statistic]

    @property
    def lowest(self) -> bool:
        """Whether the worst class is the one with the smallest value (a ratio)."""
        return self.statistic == "ratio"


@dataclass(frozen=True)
class Layout:
    """Each row's finest sensitive cell, and the groupings reported (cells summed into groups)."""

    row_cell: np.ndarray
    n_cells: int
    groupings: list[Grouping]


def group_cells(cells: Cells, n_features: int, *, intersections: bool) -> list[Grouping]:
    """One grouping per sensitive feature, then (with ``intersections`` and 2+ features) all of them together."""
    out = [grouping(cells, [j]) for j in range(n_features)]
    if intersections and n_features > 1:
        out.append(grouping(cells, list(range(n_features))))
    return out


def group_layout(sensitive, *, n: int, intersections: bool, problems: list[str]) -> Layout | None:
    """Encode the sensitive columns (missing values: ``"<missing>"``) and group the rows as every report does.

    One grouping per column, then (with ``intersections`` and 2+ columns) all together, key ``"a & b"``;
    None when the columns have problems (appended to ``problems``).
    """
    features = encode_sensitive(sensitive, n=n, problems=problems)
    if problems or not features:
        return None
    none = np.zeros(n, dtype=bool)
    cells = count_cells(none, none, features)
    return Layout(row_cell=cells.row_cell, n_cells=len(cells.counts),
                  groupings=group_cells(cells, len(features), intersections=intersections))


def row_count(values, name: str, *, not_1d: str) -> int:
    """The number of rows of one input; :class:`DataError` (``not_1d``, with ``{name}`` and ``{shape}``) for a scalar."""
    try:
        return len(values)
    except TypeError:
        raise DataError(not_1d.format(name=name, shape="()")) from None


def one_d_floats(values, name: str, *, not_1d: str, not_numeric: str, problems: list[str],
                 **details: Any) -> np.ndarray | None:
    """One input as 1-d float64 (a single column or row flattened; nullable or object numbers coerced, missing
    ones NaN). Problems are appended, and None returned: ``not_1d`` (with ``{name}``, ``{shape}``) or
    ``not_numeric`` (with ``{name}``, ``{dtype}`` and ``details``).

    Examples
    --------
    >>> one_d_floats([[1], [2]], "y", not_1d="", not_numeric="", problems=[])
    array([1., 2.])
    >>> problems = []
    >>> one_d_floats(["a"], "y", not_1d="", not_numeric="{name}: {dtype}", problems=problems), problems
    (None, ['y: <U1'])
    """
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.DataFrame)) else np.asarray(values)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        problems.append(not_1d.format(name=name, shape=arr.shape))
        return None
    if arr.dtype.kind not in "biuf":
        try:  # e.g. nullable numbers or object arrays holding numbers
            arr = pd.to_numeric(pd.Series(arr)).to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            problems.append(not_numeric.format(name=name, dtype=arr.dtype, **details))
            return None
    return arr.astype(np.float64)


def check_rows(y_true, others: Mapping[str, Any], *, empty: str, not_1d: str, skip_none: bool = True) -> int:
    """The rows of ``y_true``; one :class:`DataError` naming every other input of another length.

    ``empty`` is the message for no rows; an input that is None is left to the kind's own checks with
    ``skip_none`` (else it is not 1-d). Nothing else is meaningful when rows do not line up.
    """
    n = row_count(y_true, "y_true", not_1d=not_1d)
    if n == 0:
        raise DataError(empty)
    problems = [_LENGTH_MISMATCH.format(name=name, found=row_count(v, name, not_1d=not_1d), n=n)
                for name, v in others.items()
                if not (skip_none and v is None) and row_count(v, name, not_1d=not_1d) != n]
    if problems:
        raise DataError("\n".join(problems), problems=problems)
    return n


def sufficient(rows: np.ndarray, spec: MetricSpec | None = None, counts: Mapping[str, np.ndarray] | None = None, *,
               min_group_size: int, min_group_positives: int = 0) -> np.ndarray:
    """Where a group has enough data for a metric: ``min_group_size`` rows and ``min_group_positives`` of each of the
    metric's denominators (``counts[d]``, shaped like ``rows`` or with a trailing class axis).

    Examples
    --------
    >>> spec = MetricSpec("tpr", "true positive rate", denominators=("positives",))
    >>> sufficient(np.array([40, 40, 5]), spec, {"positives": np.array([12, 3, 5])}, min_group_size=30,
    ...            min_group_positives=10).tolist()
    [True, False, False]
    """
    mask = np.asarray(rows) >= min_group_size
    available: Mapping[str, np.ndarray] = counts if counts is not None else {}
    for d in spec.denominators if spec is not None else ():
        enough = np.asarray(available[d]) >= min_group_positives
        mask = (mask[..., None] if enough.ndim > mask.ndim else mask) & enough
    return mask


def spread(x: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Max - min, min / max and max over the last axis, among ``mask``-ed defined values.

    NaN where fewer than two values qualify (the ratio also where the max is 0).

    Examples
    --------
    >>> d, r, m = spread(np.array([0.2, 0.5, 0.4]), np.array([True, False, True]))
    >>> round(float(d), 12), float(r), float(m)
    (0.2, 0.5, 0.4)
    """
    valid = mask & ~np.isnan(x)
    hi = np.where(valid, x, -np.inf).max(axis=-1)
    lo = np.where(valid, x, np.inf).min(axis=-1)
    enough = valid.sum(axis=-1) >= 2
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = np.where(enough, hi - lo, np.nan)
        ratio = np.where(enough & (hi > 0), lo / np.where(hi > 0, hi, 1.0), np.nan)
    return diff, ratio, np.where(enough, hi, np.nan)


def few_groups(used: int, total: int, *, min_rows: int, metrics: str | None = None, extra: str = "") -> str:
    """Why a disparity rests on fewer than two groups: how many have enough data (``extra``: the denominators)."""
    return _FEW_GROUPS.format(what=f" for {metrics}" if metrics else "", used=used, total=total, min_rows=min_rows,
                              extra=extra)


def used_groups(labels: Sequence[str], mask: np.ndarray) -> list[str]:
    """The labels of the ``mask``-ed groups, in the grouping's order."""
    return [labels[int(j)] for j in np.flatnonzero(mask)]


def excluded_groups(groups: list[dict], *, min_group_size: int) -> list[dict]:
    """The groups (entries with ``n`` and ``sufficient``) left out of every disparity, with the reason."""
    return [{"group": x["group"], "n": x["n"], "reason": _SMALL_GROUP.format(n=x["n"], min_rows=min_group_size)}
            for x in groups if not x["sufficient"]]


def interval_entry(value, bounds: tuple | None = None, *, reason: str | None = None) -> dict:
    """``{"value", "ci"}``: the interval widened to contain the estimate; null without finite ``bounds``, and
    withheld with ``ci_reason`` when ``reason`` says why (both only where the value is defined).

    Examples
    --------
    >>> interval_entry(0.5, (0.52, 0.7)), interval_entry(0.5, (0.4, 0.6), reason="too few rows")
    ({'value': 0.5, 'ci': [0.5, 0.7]}, {'value': 0.5, 'ci': None, 'ci_reason': 'too few rows'})
    """
    entry = value_ci(value)
    v = entry["value"]
    if bounds is None or v is None:
        return entry
    if reason is not None:
        return {**entry, "ci_reason": reason}
    lo, hi = bounds
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return entry
    return value_ci(value, min(float(lo), v), max(float(hi), v))


def block(g: Grouping, groups: list, disparities: dict, **parts: Any) -> dict:
    """One grouping's block: its features, groups and disparities, then the kind's own ``parts`` in order."""
    return {"features": list(g.features), "groups": groups, "disparities": disparities, **parts}


def blocks(layout: Sequence[Grouping], build: Callable[[int, Grouping], dict]) -> dict[str, dict]:
    """One block per grouping (``build(gi, grouping)``), keyed by grouping (``"sex"``, ``"sex & race"``)."""
    return {g.key: build(gi, g) for gi, g in enumerate(layout)}


def report(settings: dict[str, Any], *, overall: dict, by_feature: dict[str, dict]) -> dict:
    """The report: the kind's ``settings`` (in its order), its figures over every row, then its blocks."""
    return {**settings, "overall": overall, "by_feature": by_feature}


def json_floats(values, classes: Sequence[str], *, keep: np.ndarray | None = None) -> dict[str, float | None]:
    """Per-class values as ``{class: float or None}`` (None where not ``keep`` or undefined)."""
    return {c: json_float(values[i]) if keep is None or keep[i] else None for i, c in enumerate(classes)}
