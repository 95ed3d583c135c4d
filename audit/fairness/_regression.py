"""``regression_fairness_report``: group errors, their disparities and intervals for a regression model.

Groups are formed as in the binary report (one per sensitive value, ``"<missing>"``
for missing values, the intersection of all features keyed ``"a & b"``). Every
number equals Fairlearn's ``MetricFrame`` with the matching scikit-learn metric.

Intervals (``_regression_ci``): MAE, RMSE (the square root of the MSE), mean prediction, mean
target and mean error are means of per-row terms, and each group's gets a studentized
(bootstrap-t) interval, resampling rows within each sensitive cell so every group keeps its size;
on the log scale for MAE and MSE, which are positive and skewed. Every disparity (difference,
ratio, worst group) is the box of a simultaneous band over the groups compared (max-|T| over
them), which handles the selection of the largest and smallest group. Intervals are withheld,
with the reason, where none can be trusted (too few rows, no variation). R² (overall only) keeps
a percentile interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.exceptions import DataError
from audit.fairness._bootstrap import percentile_interval
from audit.fairness._counts import Grouping
from audit.fairness._entries import json_float
from audit.fairness._group_bands import spread_box
from audit.fairness._group_report import (
    Layout,
    block,
    blocks,
    check_rows,
    excluded_groups,
    few_groups,
    group_layout,
    interval_entry,
    one_d_floats,
    report,
    spread,
    sufficient,
    used_groups,
)
from audit.fairness._inputs import MISSING_GROUP, check_params
from audit.fairness._regression_ci import (
    BAND_MIN_ROWS,
    MIN_ROWS,
    MIN_ROWS_RMSE,
    NORMAL_MIN_ROWS,
    band_quantile,
    group_moments,
    map_interval,
    resampled_cell_sums,
    studentized,
)
from audit.fairness._specs import REGRESSION_DISPARITIES, REGRESSION_DISPARITY_METHOD, REGRESSION_METRICS

__all__ = ["regression_fairness_report"]

_BOOT_APPROX = (f"studentized bootstrap, resampled cell sums drawn from their normal approximation (every sensitive "
                f"cell has at least {NORMAL_MIN_ROWS} rows; exact resampling below)")
R2_METHOD = "stratified bootstrap (rows resampled within each sensitive cell), percentile interval"
INTERVALS = {  # each figure's interval method (the group metrics' from their specifications), and why
    **{m: REGRESSION_METRICS[m].interval for m in ("mae", "mean_prediction", "mean_target", "mean_error", "rmse")},
    "r2": R2_METHOD,
    "disparities": REGRESSION_DISPARITY_METHOD,
    "detectable_difference": (
        "a difference's smallest true gap between two compared groups whose interval would exclude 0 with 80% "
        "probability: the two widest band half-widths plus 0.84 standard errors of the gap (the worst pair)"
    ),
    "why": (
        "MAE, MSE and the means are sample means of per-row terms; in small groups (8-15 rows) a percentile "
        "bootstrap covers 58-84% and a t interval undercovers skewed errors, while the studentized bootstrap "
        "carries the skewness into the interval. A max - min, min / max or max over groups is a selected value: "
        "its interval comes from a band over every group at once."
    ),
}
_Z80 = 0.8416212335729143  # standard normal quantile at 0.8 (80% power)
_CI_FEW_ROWS = "interval withheld: {n} rows < {floor} ({why})"
_CI_FLAT = "interval withheld: every row has the same {term}, so there is no spread to build an interval from"
_CI_BAND = "interval withheld: {reason}"
_WHY_FLOOR = {
    "mse": "squared errors are too skewed for an interval of the RMSE to keep its level in fewer rows",
    "other": "too few rows for a resampling interval",
}

_EMPTY = "y_true is empty. Expected at least one example. Fix: pass the test-set targets."
_NOT_1D = "{name} has shape {shape}. Expected a 1-d array of numbers. Fix: pass one value per example."
_NOT_NUMERIC = (
    "{name} has dtype {dtype}. Expected numbers (a regression target or prediction). Fix: convert it to float."
)
_NOT_FINITE = (
    "{name} has {count} missing or infinite value(s). Expected a finite number for every example. "
    "Fix: drop or fill those rows before the audit."
)
_ZERO_MAX = "the largest group {metric} is 0, so the ratio min / max is undefined"
# per-row columns summed per cell: |e|, e², ŷ, y, e, y - ȳ, (y - ȳ)², then the squared deviations of |e|, e², ŷ
# and e from their overall means (the studentized intervals' variances; (y - ȳ)² serves y)
_ABS, _SQ, _PRED, _TARGET, _ERR, _CT, _CT2, _DABS, _DSQ, _DPRED, _DERR = range(11)
GROUP_METRICS = tuple(REGRESSION_METRICS)  # mae, rmse, mean_prediction, mean_target, mean_error
# mean statistic: (column of the term, column of its squared deviation, log scale)
MEANS = {"mae": (_ABS, _DABS, True), "mse": (_SQ, _DSQ, True), "mean_prediction": (_PRED, _DPRED, False),
         "mean_target": (_TARGET, _CT2, False), "mean_error": (_ERR, _DERR, False)}
_STAT = list(MEANS)


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
        Bootstrap resamples (0: no intervals at all, every ``ci`` is null); the studentized
        intervals need a few hundred (1,000 is the default).
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
        group loss) with the group under ``worst_group``. Errors are ``y_pred - y_true``. An
        interval that is withheld is null with its reason under ``ci_reason``.

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
    enough = [sufficient(size, min_group_size=min_group_size) for size in sizes]
    point = {key: v[0] for key, v in _evaluate(cell_sums[None], cell_n, layout.groupings, enough).items()}
    point.update(_overall_point(yt, yp))
    ci = None
    approximate = bool(cell_n.any() and cell_n[cell_n > 0].min() >= NORMAL_MIN_ROWS)  # every cell large: normal cell sums
    if n_boot > 0:
        ci = _intervals(rows, cell_sums, cell_n, layout, enough, n_boot=int(n_boot), level=float(ci_level),
                        rng=np.random.default_rng(seed), approximate=approximate)
    by_feature = blocks(layout.groupings, lambda gi, g: _block(gi, g, point, ci, sizes[gi],
                                                                min_group_size=min_group_size))
    settings = {
        "task": "regression",
        "n": int(len(yt)),
        "min_group_size": int(min_group_size),
        "missing_group": MISSING_GROUP,
        "error": "y_pred - y_true",
        "ci": {"n_boot": int(n_boot), "level": float(ci_level), "stratified": True,
               "method": _BOOT_APPROX if approximate else "studentized bootstrap", "min_rows": MIN_ROWS,
               "min_rows_rmse": MIN_ROWS_RMSE, "min_rows_disparity": BAND_MIN_ROWS},
        "intervals": dict(INTERVALS),
    }
    return report(settings, overall=_overall(point, ci, n=len(yt)), by_feature=by_feature)


def _row_terms(yt: np.ndarray, yp: np.ndarray) -> np.ndarray:
    """(n, 11) per-row terms whose cell sums give every statistic and its studentized interval."""
    err = yp - yt
    centred = yt - yt.mean()
    abs_err, sq_err = np.abs(err), err * err
    dev = [(x - x.mean()) ** 2 for x in (abs_err, sq_err, yp, err)]
    return np.column_stack([abs_err, sq_err, yp, yt, err, centred, centred * centred, *dev])


def _centres(rows: np.ndarray) -> np.ndarray:
    """The overall mean of each term of :data:`MEANS` (the centre of its squared-deviation column)."""
    return np.array([rows[:, col].mean() for col, _, _ in MEANS.values()])


def _metrics(sums: np.ndarray, n: np.ndarray) -> dict[str, np.ndarray]:
    """Group metrics from per-group sums (..., G, 11) and sizes (G,)."""
    return {
        "mae": sums[..., _ABS] / n,
        "rmse": np.sqrt(sums[..., _SQ] / n),
        "mean_prediction": sums[..., _PRED] / n,
        "mean_target": sums[..., _TARGET] / n,
        "mean_error": sums[..., _ERR] / n,
    }


def _evaluate(cell_sums: np.ndarray, cell_n: np.ndarray, groupings: list[Grouping], sufficient: list) -> dict:
    """Overall RMSE and R², group metrics (..., G) and disparities (...,) from cell sums (b, C, 11)."""
    total = cell_sums.sum(axis=1)
    n = cell_n.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out: dict[tuple[str | int, str], np.ndarray] = {
            ("overall", "rmse"): np.sqrt(total[:, _SQ] / n),
            ("overall", "r2"): 1.0 - total[:, _SQ] / (total[:, _CT2] - total[:, _CT] ** 2 / n)}
        for gi, g in enumerate(groupings):
            m = _metrics(g.aggregate(cell_sums), g.aggregate(cell_n[:, None])[:, 0])
            out.update({(gi, name): v for name, v in m.items()})
            for name, d in REGRESSION_DISPARITIES.items():
                out[(gi, name)] = spread(m[d.metric], sufficient[gi])[d.index]
    return out


def _overall_point(yt: np.ndarray, yp: np.ndarray) -> dict:
    """Overall metrics straight from the rows, computed as scikit-learn computes them."""
    err = yp - yt
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - np.sum(err ** 2) / np.sum((yt - np.mean(yt)) ** 2)
    return {("overall", "mae"): np.mean(np.abs(err)), ("overall", "rmse"): np.sqrt(np.mean(err ** 2)),
            ("overall", "r2"): r2, ("overall", "mean_prediction"): np.mean(yp),
            ("overall", "mean_target"): np.mean(yt), ("overall", "mean_error"): np.mean(err)}


def _moments(sums: np.ndarray, n: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means and standard errors (..., G, 5) of the :data:`MEANS` terms from group sums (..., G, 11)."""
    cols = [c for c, _, _ in MEANS.values()]
    dev = [d for _, d, _ in MEANS.values()]
    return group_moments(sums[..., cols], sums[..., dev], n, centres)


def _abs_t(sums: np.ndarray, n: np.ndarray, centres: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """|T*| (b, G, 5) of resampled group sums (b, G, 11) around the sample means (G, 5)."""
    m_b, se_b = _moments(sums, n, centres)
    log = np.array([lg for _, _, lg in MEANS.values()])
    return np.where(log, studentized(m_b, se_b, mean, log=True), studentized(m_b, se_b, mean, log=False))


def _intervals(rows, cell_sums, cell_n, layout: Layout, sufficient: list, *, n_boot: int, level: float,
               rng: np.random.Generator, approximate: bool) -> dict:
    """Every interval of the report: ``("overall" | gi, statistic) -> (lo, hi, reason)``."""
    centres = _centres(rows)
    parts = [(lambda s: s.sum(axis=-2, keepdims=True), np.array([cell_n.sum()]))]
    parts += [(g.aggregate, g.aggregate(cell_n[:, None])[:, 0]) for g in layout.groupings]
    moments = [_moments(agg(cell_sums), n, centres) for agg, n in parts]
    t_parts: list[list[np.ndarray]] = [[] for _ in parts]
    r2 = []
    for sums in resampled_cell_sums(rows, layout.row_cell, layout.n_cells, n_boot=n_boot, rng=rng,
                                    approximate=approximate):
        for i, (agg, n) in enumerate(parts):
            t_parts[i].append(_abs_t(agg(sums), n, centres, moments[i][0]))
        r2.append(_evaluate(sums[..., :7], cell_n, [], [])[("overall", "r2")])
    out: dict[tuple, tuple] = {("overall", "r2"): (*percentile_interval(np.concatenate(r2), level), None)}
    for i, (_, n) in enumerate(parts):
        abs_t = np.concatenate(t_parts[i])
        out.update(_group_intervals("overall" if i == 0 else i - 1, abs_t, *moments[i], n, level))
        if i > 0:
            out.update(_band_intervals(i - 1, abs_t, *moments[i], n, sufficient[i - 1], level))
    return out


def _group_intervals(key, abs_t: np.ndarray, mean: np.ndarray, se: np.ndarray, n: np.ndarray, level: float) -> dict:
    """Each group's marginal interval of every statistic, or the reason it is withheld."""
    q = band_quantile(abs_t, level)
    out: dict[tuple, tuple] = {}
    for j, stat in enumerate(_STAT):
        lo, hi = map_interval(mean[:, j], se[:, j], q[:, j], log=MEANS[stat][2])
        floor = MIN_ROWS_RMSE if stat == "mse" else MIN_ROWS
        reasons = [_withheld(stat, int(n[g]), floor, se[g, j], lo[g]) for g in range(len(n))]
        name = "rmse" if stat == "mse" else stat
        lo, hi = (np.sqrt(lo), np.sqrt(hi)) if stat == "mse" else (lo, hi)
        out[(key, name)] = (np.where([r is None for r in reasons], lo, np.nan),
                            np.where([r is None for r in reasons], hi, np.nan), reasons)
    return out


def _withheld(stat: str, n: int, floor: int, se: float, lo: float) -> str | None:
    if n < floor:
        return _CI_FEW_ROWS.format(n=n, floor=floor, why=_WHY_FLOOR["mse" if floor == MIN_ROWS_RMSE else "other"])
    if not se > 0:
        return _CI_FLAT.format(term={"mae": "absolute error", "mse": "squared error", "mean_prediction": "prediction",
                                     "mean_target": "target", "mean_error": "error"}[stat])
    if not np.isfinite(lo):
        return _CI_BAND.format(reason="a resampled standard error of 0 leaves the studentized quantile unbounded")
    return None


def _band_intervals(gi: int, abs_t, mean, se, n, sufficient: np.ndarray, level: float) -> dict:
    """Every disparity's interval from the simultaneous band over the sufficient groups (max-|T|)."""
    out: dict[tuple, tuple | float] = {}
    if sufficient.sum() < 2:
        return out
    critical = band_quantile(abs_t[:, sufficient].max(axis=1), level)
    for name, d in REGRESSION_DISPARITIES.items():
        which, stat = d.index, d.band or d.metric
        j = _STAT.index(stat)
        lo, hi = map_interval(mean[:, j], se[:, j], np.full(len(n), critical[j]), log=MEANS[stat][2])
        bad = [g for g in np.flatnonzero(sufficient) if not (np.isfinite(lo[g]) and n[g] >= BAND_MIN_ROWS)]
        if bad:
            why = _withheld(stat, int(n[bad[0]]), BAND_MIN_ROWS, se[bad[0], j], lo[bad[0]]) or _CI_BAND.format(
                reason="a compared group has no band")
            out[(gi, name)] = (np.nan, np.nan, why.replace("interval withheld: ", "interval withheld: a compared group: "))
            continue
        raw_se = se[:, j]
        if stat == "mse":
            lo, hi = np.sqrt(lo), np.sqrt(hi)
            raw_se = raw_se / (2 * np.sqrt(mean[:, j]))  # delta method: se of the RMSE
        box = spread_box(lo, hi, sufficient)[which]
        out[(gi, name)] = (float(box[0]), float(box[1]), None)
        if which == 0:
            out[(gi, name, "detectable")] = _detectable(lo, hi, raw_se, sufficient)
    return out


def _detectable(lo: np.ndarray, hi: np.ndarray, se: np.ndarray, sufficient: np.ndarray) -> float:
    """Smallest true gap between two compared groups whose interval excludes 0 with 80% probability.

    The box's lower bound is above 0 when the higher group's band clears the lower group's:
    ``d̂ > h_a + h_b`` (the two half-widths), so ``d = h_a + h_b + z_0.8 · sqrt(se_a² + se_b²)``,
    for the two groups with the widest bands (the worst pair).
    """
    half = np.where(sufficient, (hi - lo) / 2, -np.inf)
    a, b = np.argsort(half)[-2:]
    return float(half[a] + half[b] + _Z80 * np.hypot(se[a], se[b]))


def _entry(value, ci: dict | None, key, *, index=None) -> dict:
    """``{"value", "ci"}`` (the interval widened to contain the estimate), with ``ci_reason`` when withheld."""
    if ci is None or key not in ci:
        return interval_entry(value)
    lo, hi, reason = ci[key]
    if index is not None:
        lo, hi, reason = lo[index], hi[index], (reason[index] if isinstance(reason, list) else reason)
    return interval_entry(value, (lo, hi), reason=reason)


def _overall(point: dict, ci: dict | None, *, n: int) -> dict:
    out: dict[str, dict | int] = {m: _entry(point[("overall", m)], ci, ("overall", m), index=None if m == "r2" else 0)
           for m in ("mae", "rmse", "r2", "mean_prediction", "mean_target", "mean_error")}
    out["n"] = int(n)
    return out


def _block(gi: int, g: Grouping, point: dict, ci: dict | None, sizes: np.ndarray, *, min_group_size: int) -> dict:
    """One grouping: its groups, disparities and the groups left out of them."""
    enough = sufficient(sizes, min_group_size=min_group_size)
    groups = [{"group": label, "values": dict(g.values[j]), "n": int(sizes[j]), "sufficient": bool(enough[j]),
               **{m: _entry(point[(gi, m)][j], ci, (gi, m), index=j) for m in GROUP_METRICS}}
              for j, label in enumerate(g.labels)]
    return block(g, groups, _disparities(gi, g, point, ci, enough, min_group_size=min_group_size),
                 excluded_groups=excluded_groups(groups, min_group_size=min_group_size))


def _disparities(gi: int, g: Grouping, point: dict, ci: dict | None, sufficient: np.ndarray, *,
                 min_group_size: int) -> dict:
    """Every disparity of one grouping: value, interval, the groups used and why it is null when it is."""
    used = used_groups(g.labels, sufficient)
    few = None
    if len(used) < 2:
        few = few_groups(len(used), len(g.labels), min_rows=min_group_size)
    out = {}
    for name, d in REGRESSION_DISPARITIES.items():
        metric = d.metric
        entry = _entry(point[(gi, name)], ci, (gi, name))
        reason = few
        if reason is None and entry["value"] is None:
            reason = _ZERO_MAX.format(metric=metric)
        entry.update(groups_used=used if few is None else [], reason=reason)
        if name.endswith("_difference"):
            detect = ci.get((gi, name, "detectable")) if ci is not None and entry["ci"] is not None else None
            entry["detectable_difference"] = json_float(detect)
        if name.startswith("worst_group_"):
            values = np.where(sufficient, point[(gi, metric)], -np.inf)
            entry["worst_group"] = g.labels[int(np.argmax(values))] if few is None else None
        out[name] = entry
    return out


def _numbers(values, name: str, *, problems: list[str]) -> np.ndarray | None:
    """Finite float64 values of one 1-d input; problems are appended (and None returned) otherwise."""
    arr = one_d_floats(values, name, not_1d=_NOT_1D, not_numeric=_NOT_NUMERIC, problems=problems)
    if arr is None:
        return None
    bad = ~np.isfinite(arr)
    if bad.any():
        problems.append(_NOT_FINITE.format(name=name, count=int(bad.sum())))
        return None
    return arr


def _prepare(*, y_true, y_pred, sensitive, intersections: bool) -> tuple[np.ndarray, np.ndarray, Layout]:
    """Check the data, raising one :class:`DataError` listing every problem; encode the groups."""
    n = check_rows(y_true, {"y_pred": y_pred, "sensitive": sensitive}, empty=_EMPTY, not_1d=_NOT_1D, skip_none=False)
    problems: list[str] = []
    yt = _numbers(y_true, "y_true", problems=problems)
    yp = _numbers(y_pred, "y_pred", problems=problems)
    layout = group_layout(sensitive, n=n, intersections=intersections, problems=problems)
    if problems or yt is None or yp is None or layout is None:
        raise DataError("\n".join(problems), problems=problems)
    return yt, yp, layout
