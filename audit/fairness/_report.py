"""``fairness_report``: group metrics, disparities and intervals as plain JSON data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from audit.fairness._bootstrap import CI_METHOD, VANISHED_POLICY, draw_counts, percentile_interval
from audit.fairness._disparity_ci import DISPARITY_CI_METHOD, disparity_intervals
from audit.fairness._counts import Cells, Grouping, count_cells, grouping
from audit.fairness._inputs import MISSING_GROUP, Inputs, check_params, prepare
from audit.fairness._metrics import (
    RATE_METRICS,
    UNDEFINED_MODES,
    UNDEFINED_REASONS,
    disparities,
    rates,
    undefined_mask,
)
from audit.fairness._scores import (
    AUC_CI_METHOD,
    AUC_DISPARITY_CI_METHOD,
    ECE_CI_METHOD,
    auc_by_group,
    auc_delong,
    auc_disparities,
    calibration_cells,
    ece,
    reliability_bins,
)
from audit.exceptions import ConfigError

FOUR_FIFTHS = 0.8
_UNDEFINED_TEXT = {
    "zero": (
        "A rate whose denominator is empty in a group (e.g. TPR with no actual positives) is "
        "reported as 0.0, as Fairlearn and scikit-learn do, and listed under 'undefined_rates'."
    ),
    "none": (
        "A rate whose denominator is empty in a group is reported as null and that group is left "
        "out of the disparities built on it."
    ),
}
_BAD_UNDEFINED = "undefined = {value!r} is invalid. Expected one of {modes}. Fix: use 'zero' (Fairlearn's convention)."


def _num(x) -> float | None:
    """A JSON-safe float: None for None, NaN and inf."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _entry(value, lo=None, hi=None) -> dict:
    v = _num(value)
    ci = None
    if lo is not None and v is not None:
        lo_, hi_ = _num(lo), _num(hi)
        ci = [lo_, hi_] if lo_ is not None and hi_ is not None else None
    return {"value": v, "ci": ci}


def _pos_label_json(pos_label):
    return pos_label.item() if isinstance(pos_label, np.generic) else pos_label


def fairness_report(
    *,
    y_true,
    y_pred,
    sensitive: pd.DataFrame,
    y_score=None,
    pos_label=1,
    n_boot: int = 1000,
    ci_level: float = 0.95,
    stratified: bool = True,
    min_group_size: int = 30,
    intersections: bool = True,
    seed: int = 0,
    undefined: str = "zero",
) -> dict:
    """Group metrics, disparities and bootstrap intervals for a binary classifier.

    Parameters
    ----------
    y_true, y_pred : array-like
        True and predicted labels (two distinct values; ``pos_label`` is the favourable one).
    sensitive : DataFrame
        One column per sensitive feature, any dtype. Missing values form their own group
        ``"<missing>"``. With several columns each is reported alone and, when
        ``intersections``, all of them together (key ``"f1 & f2"``).
    y_score : array-like, optional
        Probability of the positive class; adds ``roc_auc``, ``ece`` and calibration bins.
    pos_label : scalar
        The label meaning "positive"/"selected"; must occur in ``y_true``.
    n_boot : int
        Bootstrap resamples for the intervals (0: no intervals).
    ci_level : float
        Interval coverage, e.g. 0.95.
    stratified : bool
        Keep every group's size fixed in resamples (no group can vanish).
    min_group_size : int
        Groups smaller than this are flagged ``insufficient_data`` (and kept).
    intersections : bool
        Also report the intersection of all sensitive features.
    seed : int
        Seed of the bootstrap.
    undefined : {"zero", "none"}
        How a rate with an empty denominator is reported: ``"zero"`` as Fairlearn does.

    Returns
    -------
    dict
        JSON-serialisable: ``ci``, ``min_group_size``, ``pos_label``, ``n``, ``overall`` and
        ``by_feature`` (groups, disparities, four-fifths rule, calibration); see docs/fairness.md.

    Raises
    ------
    DataError
        For inputs that cannot be audited (every problem listed once).

    Examples
    --------
    >>> import pandas as pd
    >>> r = fairness_report(y_true=[0, 1, 1, 0], y_pred=[0, 1, 0, 1],
    ...                     sensitive=pd.DataFrame({"sex": ["F", "F", "M", "M"]}), n_boot=0)
    >>> r["by_feature"]["sex"]["disparities"]["demographic_parity_difference"]["value"]
    0.0
    """
    check_params(n_boot=n_boot, ci_level=ci_level, min_group_size=min_group_size)
    if undefined not in UNDEFINED_MODES:
        raise ConfigError(_BAD_UNDEFINED.format(value=undefined, modes=list(UNDEFINED_MODES)))
    inp = prepare(y_true=y_true, y_pred=y_pred, sensitive=sensitive, y_score=y_score, pos_label=pos_label)
    cells = count_cells(inp.y, inp.p, inp.features)
    groupings = _groupings(cells, len(inp.features), intersections=intersections)
    point, boot, score_part = _estimates(inp, cells, groupings, undefined=undefined, n_boot=n_boot,
                                         stratified=stratified, ci_level=ci_level, seed=seed)
    n = int(len(inp.y))
    return {
        "ci": _ci_description(n_boot=n_boot, ci_level=ci_level, stratified=stratified, scores=bool(score_part)),
        "min_group_size": int(min_group_size),
        "pos_label": _pos_label_json(pos_label),
        "n": n,
        "missing_group": MISSING_GROUP,
        "undefined_rates": _UNDEFINED_TEXT[undefined],
        "overall": {"count": n, "metrics": _overall_metrics(point, boot, score_part)},
        "by_feature": {g.key: _feature_block(gi, g, cells, point, boot, score_part, n=n, min_group_size=min_group_size)
                       for gi, g in enumerate(groupings)},
    }


def _estimates(inp: Inputs, cells: Cells, groupings: list[Grouping], *, undefined: str, n_boot: int, stratified: bool,
               ci_level: float, seed: int) -> tuple[dict, dict | None, dict | None]:
    """Point estimates, their bootstrap intervals (None when ``n_boot`` is 0) and the score metrics (None without scores)."""
    engine = _Engine(cells, groupings, undefined=undefined)
    point = engine.evaluate(cells.counts[None])
    boot = None
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        boot = engine.bootstrap(n_boot=int(n_boot), stratified=stratified, rng=rng, level=ci_level, point=point)
    score_part = None
    if inp.score is not None:
        score_part = _score_metrics(inp.y, inp.score, cells, groupings, n_boot=int(n_boot), stratified=stratified,
                                    level=ci_level, seed=seed)
    return point, boot, score_part


def _groupings(cells: Cells, n_features: int, *, intersections: bool) -> list[Grouping]:
    """One grouping per sensitive feature, then (with ``intersections`` and 2+ features) all of them together."""
    groupings = [grouping(cells, [j]) for j in range(n_features)]
    if intersections and n_features > 1:
        groupings.append(grouping(cells, list(range(n_features))))
    return groupings


def _ci_description(*, n_boot: int, ci_level: float, stratified: bool, scores: bool) -> dict:
    """How the intervals were computed (the report's ``ci`` block)."""
    ci = {
        "method": CI_METHOD,
        "disparity_method": DISPARITY_CI_METHOD,
        "stratified": bool(stratified),
        "n_boot": int(n_boot),
        "level": float(ci_level),
        "vanished_groups": VANISHED_POLICY,
    }
    if scores:
        ci["score_metrics"] = {"roc_auc": AUC_CI_METHOD, "ece": ECE_CI_METHOD}
    return ci


def _overall_metrics(point: dict, boot: dict | None, score_part: dict | None) -> dict:
    """Every rate metric over all rows, then the score metrics (roc_auc, ece) when scores were given."""
    metrics = {m: _pick(point, boot, ("overall", m)) for m in RATE_METRICS}
    if score_part:
        metrics.update(score_part["overall"])
    return metrics


def _pick(point: dict, boot: dict | None, key: tuple, index=None) -> dict:
    value = point[key][0] if index is None else point[key][0][index]
    if boot is None:
        return _entry(value)
    lo, hi = boot[key]
    if index is not None:
        lo, hi = lo[index], hi[index]
    return _entry(value, lo, hi)


class _Engine:
    """Evaluates every grouping's rates and disparities on (b, C, 4) cell counts."""

    def __init__(self, cells: Cells, groupings: list[Grouping], *, undefined: str) -> None:
        self.cells = cells
        self.groupings = groupings
        self.undefined = undefined

    def evaluate(self, cell_counts: np.ndarray) -> dict:
        out: dict = {}
        overall = rates(cell_counts.sum(axis=-2), undefined=self.undefined)
        for m, v in overall.items():
            out[("overall", m)] = v
        for gi, g in enumerate(self.groupings):
            by_group = rates(g.aggregate(cell_counts), undefined=self.undefined)
            for m, v in by_group.items():
                out[(gi, "group", m)] = v
            for d, v in disparities(by_group, overall).items():
                out[(gi, "disparity", d)] = v
        return out

    def bootstrap(self, *, n_boot: int, stratified: bool, rng: np.random.Generator, level: float, point: dict) -> dict:
        chunks: dict = {}
        vanished = np.zeros(len(self.groupings), dtype=np.int64)
        for draw in draw_counts(self.cells.counts, n_boot=n_boot, stratified=stratified, rng=rng):
            res = self.evaluate(draw)
            for k, v in res.items():
                chunks.setdefault(k, []).append(v)
            if not stratified:
                for gi, g in enumerate(self.groupings):
                    vanished[gi] += int((g.aggregate(draw).sum(axis=-1) == 0).any(axis=-1).sum())
        reps = {k: np.concatenate(v) for k, v in chunks.items()}
        out = {k: percentile_interval(v, level) for k, v in reps.items() if k[1] != "disparity"}
        for gi in range(len(self.groupings)):
            names = [k[2] for k in reps if k[0] == gi and k[1] == "disparity"]
            ci = disparity_intervals(
                {d: reps[(gi, "disparity", d)] for d in names},
                {d: point[(gi, "disparity", d)][0] for d in names},
                group_samples={m: reps[(gi, "group", m)] for m in RATE_METRICS},
                group_estimates={m: point[(gi, "group", m)][0] for m in RATE_METRICS},
                overall_samples={m: reps[("overall", m)] for m in RATE_METRICS},
                overall_estimates={m: point[("overall", m)][0] for m in RATE_METRICS},
                level=level,
            )
            out.update({(gi, "disparity", d): bounds for d, bounds in ci.items()})
        out["vanished"] = vanished
        return out


def _score_metrics(y, score, cells: Cells, groupings: list[Grouping], *, n_boot: int, stratified: bool,
                   level: float, seed: int) -> dict:
    """roc_auc (DeLong CI) and ece (bootstrap CI) overall and per group, plus reliability bins."""
    n_cells = len(cells.counts)
    cal_counts, cal_sums = calibration_cells(y, score, cells.row_cell, n_cells)
    with np.errstate(divide="ignore", invalid="ignore"):
        cal_means = np.where(cal_counts > 0, cal_sums / np.maximum(cal_counts, 1), 0.0)
    auc, lo, hi = auc_delong(y, score, level=level)
    out: dict = {"overall": {}, "groups": []}
    ece_boot_overall, ece_boot_groups = None, [None] * len(groupings)
    if n_boot > 0:
        # a separate stream so adding scores never changes the confusion-count intervals
        rng = np.random.default_rng([seed, 1])
        samples_o, samples_g = [], [[] for _ in groupings]
        for draw in draw_counts(cal_counts, n_boot=n_boot, stratified=stratified, rng=rng):
            sums = draw * cal_means
            samples_o.append(ece(draw.sum(axis=-2), sums.sum(axis=-2)))
            for gi, g in enumerate(groupings):
                samples_g[gi].append(ece(g.aggregate(draw), g.aggregate(sums)))
        ece_boot_overall = percentile_interval(np.concatenate(samples_o), level)
        ece_boot_groups = [percentile_interval(np.concatenate(s), level) for s in samples_g]
    ece_o = ece(cal_counts.sum(axis=0), cal_sums.sum(axis=0))
    out["overall"]["roc_auc"] = {**_entry(auc, lo, hi), "ci_method": AUC_CI_METHOD}
    out["overall"]["ece"] = {**_entry(ece_o, *(ece_boot_overall or (None, None))), "ci_method": ECE_CI_METHOD}
    for gi, g in enumerate(groupings):
        rg = g.row_groups(cells.row_cell)
        aucs = auc_by_group(y, score, rg, len(g.labels), level=level)
        out.setdefault("disparities", []).append(
            auc_disparities(aucs, level=level, n_draws=n_boot, rng=np.random.default_rng([seed, 2, gi])))
        gc, gs = g.aggregate(cal_counts), g.aggregate(cal_sums)
        eces = ece(gc, gs)
        blo, bhi = ece_boot_groups[gi] if ece_boot_groups[gi] is not None else (None, None)
        per_group = []
        for k, label in enumerate(g.labels):
            per_group.append({
                "roc_auc": {**_entry(*aucs[k][:3]), "ci_method": AUC_CI_METHOD},
                "ece": {**_entry(eces[k], None if blo is None else blo[k], None if bhi is None else bhi[k]),
                        "ci_method": ECE_CI_METHOD},
                "calibration": {"ece": _num(eces[k]), "bins": reliability_bins(gc[k], gs[k])},
            })
        out["groups"].append(per_group)
    return out


def _feature_block(gi: int, g: Grouping, cells: Cells, point: dict, boot: dict | None, score_part: dict | None,
                   *, n: int, min_group_size: int) -> dict:
    group_counts = g.aggregate(cells.counts)
    sizes = group_counts.sum(axis=-1)
    groups, undefined_list = [], []
    for k, label in enumerate(g.labels):
        metrics = {m: _pick(point, boot, (gi, "group", m), index=k) for m in RATE_METRICS}
        count = int(sizes[k])
        metrics["count"] = count
        for m, reason in UNDEFINED_REASONS.items():
            if undefined_mask(group_counts[k], m):
                undefined_list.append({"group": label, "metric": m, "reason": reason})
        if score_part:
            metrics["roc_auc"] = score_part["groups"][gi][k]["roc_auc"]
            metrics["ece"] = score_part["groups"][gi][k]["ece"]
        groups.append({
            "group": label,
            "values": dict(g.values[k]),
            "count": count,
            "share": count / n,
            "insufficient_data": count < min_group_size,
            "metrics": metrics,
        })
    disp_names = [k[2] for k in point if k[0] == gi and k[1] == "disparity"]
    disp = {d: _pick(point, boot, (gi, "disparity", d)) for d in disp_names}
    auc_excluded = None
    if score_part:
        auc_disp = score_part["disparities"][gi]
        for name in ("roc_auc_difference", "roc_auc_ratio"):
            disp[name] = {**_entry(auc_disp[name]["value"], *(auc_disp[name]["ci"] or (None, None))),
                          "ci_method": AUC_DISPARITY_CI_METHOD}
        auc_excluded = [g.labels[k] for k in auc_disp["excluded_groups"]]
    sr_ratio = disp["demographic_parity_ratio"]["value"]
    block = {
        "features": list(g.features),
        "groups": groups,
        "disparities": disp,
        "four_fifths_rule": {
            "selection_rate_ratio": sr_ratio,
            "passed": None if sr_ratio is None else bool(sr_ratio >= FOUR_FIFTHS),
            "threshold": FOUR_FIFTHS,
        },
        "insufficient_groups": [x["group"] for x in groups if x["insufficient_data"]],
        "undefined_rates": undefined_list,
    }
    if boot is not None:
        block["vanished_resamples"] = int(boot["vanished"][gi])
    if score_part:
        block["calibration"] = {label: score_part["groups"][gi][k]["calibration"] for k, label in enumerate(g.labels)}
        block["roc_auc_excluded_groups"] = auc_excluded  # one class only: AUC undefined (Fairlearn raises)
    return block
