"""``regression_fairness_report``: group errors, their disparities and intervals for a regression model.

Groups are formed as in the binary report (one per sensitive value, ``"<missing>"``
for missing values, the intersection of all features keyed ``"a & b"``). Every
number equals Fairlearn's ``MetricFrame`` with the matching scikit-learn metric.

Intervals are of two kinds, chosen by whether the statistic decomposes over rows:

* MAE, mean prediction, mean target and mean error are means of per-row terms
  (``|e|``, ``ŷ``, ``y``, ``e = ŷ - y``): a group's estimate is a sample mean,
  so a t interval from the per-row values is right and costs nothing.
* RMSE is the square root of a mean, R² a ratio of sums, and the disparities
  (differences, ratios, the worst group) are maxima and minima over groups:
  none is linear in the rows, so their intervals come from a stratified
  bootstrap (rows resampled within each sensitive cell, so every group keeps its
  size), drawn as per-cell sums of the resampled rows in one vectorised pass.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy import stats

from audit.exceptions import DataError
from audit.fairness._bootstrap import disparity_interval, percentile_interval
from audit.fairness._counts import Grouping
from audit.fairness._inputs import MISSING_GROUP, check_params
from audit.fairness._entries import json_float, value_ci
from audit.fairness._multiclass import Layout, group_layout, spread

__all__ = ["regression_fairness_report"]

T_METHOD = "t interval of a mean of per-row terms: mean ± t(level, n - 1) · sd / √n (null for one row)"
BOOTSTRAP_METHOD = (
    "stratified bootstrap: rows resampled with replacement within each sensitive cell (the finest "
    "intersection of the sensitive features), so every group keeps its size; percentile interval"
)
DISPARITY_METHOD = (
    "the same stratified bootstrap; union of the percentile and basic (reverse-percentile) intervals, clipped "
    "to the disparity's range and containing the estimate (a max - min, min / max or max over groups is "
    "biased away from parity, and a percentile interval alone misses parity)"
)
INTERVALS = {
    "mae": T_METHOD,
    "mean_prediction": T_METHOD,
    "mean_target": T_METHOD,
    "mean_error": T_METHOD,
    "rmse": BOOTSTRAP_METHOD,
    "r2": BOOTSTRAP_METHOD,
    "disparities": DISPARITY_METHOD,
    "why": (
        "MAE and the means decompose into per-row terms, so each is a sample mean with standard error "
        "sd / √n (t interval); RMSE (square root of a mean), R² (ratio of sums) and the differences, ratios "
        "and maxima over groups do not, so they are bootstrapped."
    ),
}

_LENGTH_MISMATCH = (
    "{name} has {found} rows but y_true has {n}. Expected one entry per example in every input. "
    "Fix: pass arrays (and the sensitive table) built from the same rows, in the same order."
)
_EMPTY = "y_true is empty. Expected at least one example. Fix: pass the test-set targets."
_NOT_1D = "{name} has shape {shape}. Expected a 1-d array of numbers. Fix: pass one value per example."
_NOT_NUMERIC = (
    "{name} has dtype {dtype}. Expected numbers (a regression target or prediction). Fix: convert it to float."
)
_NOT_FINITE = (
    "{name} has {count} missing or infinite value(s). Expected a finite number for every example. "
    "Fix: drop or fill those rows before the audit."
)
_FEW_GROUPS = (
    "fewer than two groups have enough data ({used} of {total}: at least {min_rows} rows); "
    "a disparity needs two groups to compare"
)
_ZERO_MAX = "the largest group {metric} is 0, so the ratio min / max is undefined"
_SMALL_GROUP = "{n} rows < min_group_size = {min_rows}"
_CHUNK_ROWS = 1_000_000  # resampled rows gathered at once (x 7 columns of float64)

# per-row columns summed per cell: |e|, e², ŷ, y, e, y - ȳ, (y - ȳ)²
_ABS, _SQ, _PRED, _TARGET, _ERR, _CT, _CT2 = range(7)
GROUP_METRICS = ("mae", "rmse", "mean_prediction", "mean_target", "mean_error")
_T_COLUMNS = {"mae": _ABS, "mean_prediction": _PRED, "mean_target": _TARGET, "mean_error": _ERR}
DISPARITIES = {  # name: (group metric, statistic of spread(), interval bounds)
    "mae_difference": ("mae", 0, (0.0, np.inf)),
    "mae_ratio": ("mae", 1, (0.0, 1.0)),
    "rmse_difference": ("rmse", 0, (0.0, np.inf)),
    "rmse_ratio": ("rmse", 1, (0.0, 1.0)),
    "mean_prediction_difference": ("mean_prediction", 0, (0.0, np.inf)),
    "mean_error_difference": ("mean_error", 0, (0.0, np.inf)),
    "worst_group_mae": ("mae", 2, (0.0, np.inf)),
    "worst_group_rmse": ("rmse", 2, (0.0, np.inf)),
}


def regression_fairness_report(
    *,
    y_true,
    y_pred,
    sensitive: pd.DataFrame,
    n_boot: int = 1000,
    ci_level: float = 0.95,
    min_group_size: int = 30,
    intersections: bool = True,
    seed: int = 0,
) -> dict:
    """Group errors, disparities and intervals for a regression model.

    Parameters
    ----------
    y_true, y_pred : array-like of float
        Targets and predictions, finite numbers.
    sensitive : DataFrame
        One column per sensitive feature, any dtype. Missing values form the group ``"<missing>"``.
        With several columns each is reported alone and, when ``intersections``, all of them
        together (key ``"f1 & f2"``, groups ``"a & b"``), as in :func:`fairness_report`.
    n_boot : int
        Bootstrap resamples (0: no intervals at all, every ``ci`` is null).
    ci_level : float
        Interval coverage, e.g. 0.95.
    min_group_size : int
        Groups with fewer rows are not ``sufficient`` and left out of every disparity.
    intersections : bool
        Also report the intersection of all sensitive features.
    seed : int
        Seed of the bootstrap (``numpy.random.default_rng``).

    Returns
    -------
    dict
        JSON-serialisable: ``task``, ``n``, ``ci``, ``intervals`` (the method of each interval),
        ``overall`` (mae, rmse, r2, mean_prediction, mean_target, mean_error, n) and ``by_feature``
        (``groups``, ``disparities``, ``excluded_groups``). Differences are max - min over the
        sufficient groups, ratios min / max, ``worst_group_*`` the largest group error (bounded
        group loss) with the group under ``worst_group``. Errors are ``y_pred - y_true``.

    Raises
    ------
    ConfigError
        For invalid parameters.
    DataError
        For inputs that cannot be audited (every problem listed once).

    Examples
    --------
    >>> import pandas as pd
    >>> r = regression_fairness_report(y_true=[1.0, 2.0, 3.0, 1.0, 2.0, 3.0], y_pred=[1.0, 2.0, 4.0, 2.0, 3.0, 4.0],
    ...                                sensitive=pd.DataFrame({"sex": list("FFFMMM")}), n_boot=0, min_group_size=3)
    >>> r["overall"]["mae"]
    {'value': 0.6666666666666666, 'ci': None}
    >>> w = r["by_feature"]["sex"]["disparities"]["worst_group_mae"]
    >>> w["value"], w["worst_group"]
    (1.0, 'M')
    """
    check_params(n_boot=n_boot, ci_level=ci_level, min_group_size=min_group_size)
    yt, yp, layout = _prepare(y_true=y_true, y_pred=y_pred, sensitive=sensitive, intersections=intersections)
    rows = _row_terms(yt, yp)
    cell_sums = np.stack([np.bincount(layout.row_cell, weights=rows[:, q], minlength=layout.n_cells)
                          for q in range(rows.shape[1])], axis=-1)
    cell_n = np.bincount(layout.row_cell, minlength=layout.n_cells).astype(np.float64)
    sizes = [g.aggregate(cell_n[:, None])[:, 0].astype(np.int64) for g in layout.groupings]
    sufficient = [size >= min_group_size for size in sizes]
    point = {key: v[0] for key, v in _evaluate(cell_sums[None], cell_n, layout.groupings, sufficient).items()}
    point.update(_overall_point(yt, yp))
    boot = None
    if n_boot > 0:
        boot = _bootstrap(rows, cell_n, layout, sufficient, n_boot=int(n_boot), rng=np.random.default_rng(seed))
    tdist = _t_intervals(rows, layout, level=ci_level) if n_boot > 0 else None
    blocks = {g.key: _block(gi, g, point, boot, tdist, sizes[gi], level=ci_level, min_group_size=min_group_size)
              for gi, g in enumerate(layout.groupings)}
    return {
        "task": "regression",
        "n": int(len(yt)),
        "min_group_size": int(min_group_size),
        "missing_group": MISSING_GROUP,
        "error": "y_pred - y_true",
        "ci": {"n_boot": int(n_boot), "level": float(ci_level), "stratified": True},
        "intervals": dict(INTERVALS),
        "overall": _overall(point, boot, tdist, n=len(yt), level=ci_level),
        "by_feature": blocks,
    }


def _row_terms(yt: np.ndarray, yp: np.ndarray) -> np.ndarray:
    """(n, 7) per-row terms whose cell sums give every statistic (target centred for R²)."""
    err = yp - yt
    centred = yt - yt.mean()
    return np.column_stack([np.abs(err), err * err, yp, yt, err, centred, centred * centred])


def _metrics(sums: np.ndarray, n: np.ndarray) -> dict[str, np.ndarray]:
    """Group metrics from per-group sums (..., G, 7) and sizes (G,)."""
    return {
        "mae": sums[..., _ABS] / n,
        "rmse": np.sqrt(sums[..., _SQ] / n),
        "mean_prediction": sums[..., _PRED] / n,
        "mean_target": sums[..., _TARGET] / n,
        "mean_error": sums[..., _ERR] / n,
    }


def _evaluate(cell_sums: np.ndarray, cell_n: np.ndarray, groupings: list[Grouping], sufficient: list) -> dict:
    """Overall RMSE and R², group metrics (..., G) and disparities (...,) from cell sums (b, C, 7)."""
    total = cell_sums.sum(axis=1)
    n = cell_n.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {("overall", "rmse"): np.sqrt(total[:, _SQ] / n),
               ("overall", "r2"): 1.0 - total[:, _SQ] / (total[:, _CT2] - total[:, _CT] ** 2 / n)}
        for gi, g in enumerate(groupings):
            m = _metrics(g.aggregate(cell_sums), g.aggregate(cell_n[:, None])[:, 0])
            out.update({(gi, name): v for name, v in m.items()})
            for name, (metric, which, _) in DISPARITIES.items():
                out[(gi, name)] = spread(m[metric], sufficient[gi])[which]
    return out


def _overall_point(yt: np.ndarray, yp: np.ndarray) -> dict:
    """Overall metrics straight from the rows, computed as scikit-learn computes them."""
    err = yp - yt
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - np.sum(err ** 2) / np.sum((yt - np.mean(yt)) ** 2)
    return {("overall", "mae"): np.mean(np.abs(err)), ("overall", "rmse"): np.sqrt(np.mean(err ** 2)),
            ("overall", "r2"): r2, ("overall", "mean_prediction"): np.mean(yp),
            ("overall", "mean_target"): np.mean(yt), ("overall", "mean_error"): np.mean(err)}


def _resampled_cell_sums(rows: np.ndarray, row_cell: np.ndarray, n_cells: int, *, n_boot: int,
                         rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Yield (b, C, 7) cell sums of bootstrap resamples drawn row by row within each cell."""
    order = np.argsort(row_cell, kind="stable")
    sorted_rows = rows[order]
    sizes = np.bincount(row_cell, minlength=n_cells)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    row_start, row_size = np.repeat(starts, sizes), np.repeat(sizes, sizes)
    n = len(rows)
    chunk = max(1, _CHUNK_ROWS // n)
    for first in range(0, n_boot, chunk):
        b = min(chunk, n_boot - first)
        offset = np.minimum((rng.random((b, n)) * row_size).astype(np.int64), row_size - 1)
        yield np.add.reduceat(sorted_rows[row_start + offset], starts, axis=1)


def _bootstrap(rows: np.ndarray, cell_n: np.ndarray, layout: Layout, sufficient: list, *, n_boot: int,
               rng: np.random.Generator) -> dict:
    """Resampled values of every bootstrapped statistic: key -> (n_boot, ...) array."""
    parts: dict = {}
    for sums in _resampled_cell_sums(rows, layout.row_cell, layout.n_cells, n_boot=n_boot, rng=rng):
        for key, v in _evaluate(sums, cell_n, layout.groupings, sufficient).items():
            parts.setdefault(key, []).append(v)
    return {key: np.concatenate(v) for key, v in parts.items()}


def _t_bounds(mean: np.ndarray, sd: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        half = stats.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1)) * sd / np.sqrt(n)
    half = np.where(n > 1, half, np.nan)
    return mean - half, mean + half


def _t_intervals(rows: np.ndarray, layout: Layout, *, level: float) -> dict:
    """t intervals of the per-row means, overall and per group: key -> (lo, hi)."""
    out = {}
    n = np.array(float(len(rows)))
    for metric, col in _T_COLUMNS.items():
        x = rows[:, col]
        out[("overall", metric)] = _t_bounds(np.mean(x), np.std(x, ddof=1) if len(x) > 1 else np.nan, n, level)
    for gi, g in enumerate(layout.groupings):
        rg = g.row_groups(layout.row_cell)
        size = np.bincount(rg, minlength=len(g.labels)).astype(np.float64)
        for metric, col in _T_COLUMNS.items():
            x = rows[:, col]
            mean = np.bincount(rg, weights=x, minlength=len(g.labels)) / size
            ss = np.bincount(rg, weights=(x - mean[rg]) ** 2, minlength=len(g.labels))
            with np.errstate(divide="ignore", invalid="ignore"):
                sd = np.sqrt(ss / (size - 1))
            out[(gi, metric)] = _t_bounds(mean, sd, size, level)
    for key, (lo, hi) in out.items():
        if key[1] == "mae":  # a mean of absolute errors is never negative: its interval stops at 0
            out[key] = (np.maximum(lo, 0.0), hi)
    return out


def _entry(value, key, boot: dict | None, tdist: dict | None, *, level: float, index=None, bounds=None) -> dict:
    """``{"value", "ci"}`` with the t interval when there is one for ``key``, else the bootstrap's."""
    if json_float(value) is None or (boot is None and tdist is None):
        return value_ci(value)
    if tdist is not None and key in tdist:
        lo, hi = tdist[key]
        return value_ci(value, lo if index is None else lo[index], hi if index is None else hi[index])
    samples = boot[key] if index is None else boot[key][:, index]
    if np.isnan(samples).all():
        return value_ci(value)
    if bounds is None:
        lo, hi = percentile_interval(samples, level)
    else:
        lo, hi = disparity_interval(samples, np.asarray(value, dtype=float), level, bounds=bounds)
    return value_ci(value, lo, hi)


def _overall(point: dict, boot: dict | None, tdist: dict | None, *, n: int, level: float) -> dict:
    out = {m: _entry(point[("overall", m)], ("overall", m), boot, tdist, level=level)
           for m in ("mae", "rmse", "r2", "mean_prediction", "mean_target", "mean_error")}
    out["n"] = int(n)
    return out


def _block(gi: int, g: Grouping, point: dict, boot: dict | None, tdist: dict | None, sizes: np.ndarray, *,
           level: float, min_group_size: int) -> dict:
    """One grouping: its groups, disparities and the groups left out of them."""
    sufficient = sizes >= min_group_size
    groups = [{"group": label, "values": dict(g.values[j]), "n": int(sizes[j]), "sufficient": bool(sufficient[j]),
               **{m: _entry(point[(gi, m)][j], (gi, m), boot, tdist, level=level, index=j) for m in GROUP_METRICS}}
              for j, label in enumerate(g.labels)]
    return {
        "features": list(g.features),
        "groups": groups,
        "disparities": _disparities(gi, g, point, boot, sufficient, level=level, min_group_size=min_group_size),
        "excluded_groups": [{"group": x["group"], "n": x["n"],
                             "reason": _SMALL_GROUP.format(n=x["n"], min_rows=min_group_size)}
                            for x in groups if not x["sufficient"]],
    }


def _disparities(gi: int, g: Grouping, point: dict, boot: dict | None, sufficient: np.ndarray, *, level: float,
                 min_group_size: int) -> dict:
    """Every disparity of one grouping: value, interval, the groups used and why it is null when it is."""
    used = [g.labels[j] for j in np.flatnonzero(sufficient)]
    few = None
    if len(used) < 2:
        few = _FEW_GROUPS.format(used=len(used), total=len(g.labels), min_rows=min_group_size)
    out = {}
    for name, (metric, _, bounds) in DISPARITIES.items():
        entry = _entry(point[(gi, name)], (gi, name), boot, None, level=level, bounds=bounds)
        reason = few
        if reason is None and entry["value"] is None:
            reason = _ZERO_MAX.format(metric=metric)
        entry.update(groups_used=used if few is None else [], reason=reason)
        if name.startswith("worst_group_"):
            values = np.where(sufficient, point[(gi, metric)], -np.inf)
            entry["worst_group"] = g.labels[int(np.argmax(values))] if few is None else None
        out[name] = entry
    return out


def _numbers(values, name: str, *, problems: list[str]) -> np.ndarray | None:
    """Finite float64 values of one 1-d input; problems are appended (and None returned) otherwise."""
    arr = values.to_numpy() if isinstance(values, (pd.Series, pd.DataFrame)) else np.asarray(values)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        problems.append(_NOT_1D.format(name=name, shape=arr.shape))
        return None
    if arr.dtype.kind not in "biuf":
        try:  # e.g. nullable numbers or object arrays holding numbers
            arr = pd.to_numeric(pd.Series(arr)).to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            problems.append(_NOT_NUMERIC.format(name=name, dtype=arr.dtype))
            return None
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        problems.append(_NOT_FINITE.format(name=name, count=int(bad.sum())))
        return None
    return arr


def _length(values, name: str) -> int:
    try:
        return len(values)
    except TypeError:
        raise DataError(_NOT_1D.format(name=name, shape="()")) from None


def _prepare(*, y_true, y_pred, sensitive, intersections: bool) -> tuple[np.ndarray, np.ndarray, Layout]:
    """Check the data, raising one :class:`DataError` listing every problem; encode the groups."""
    n = _length(y_true, "y_true")
    if n == 0:
        raise DataError(_EMPTY)
    problems = [_LENGTH_MISMATCH.format(name=name, found=_length(v, name), n=n)
                for name, v in (("y_pred", y_pred), ("sensitive", sensitive)) if _length(v, name) != n]
    if problems:  # nothing else is meaningful when rows do not line up
        raise DataError("\n".join(problems), problems=problems)
    yt = _numbers(y_true, "y_true", problems=problems)
    yp = _numbers(y_pred, "y_pred", problems=problems)
    layout = group_layout(sensitive, n=n, intersections=intersections, problems=problems)
    if problems:
        raise DataError("\n".join(problems), problems=problems)
    return yt, yp, layout
