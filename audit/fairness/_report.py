"""``fairness_report``: a binary classifier's group metrics, disparities and intervals as plain JSON data.

The binary kind of the group-report engine (:mod:`audit.fairness._group_report`): its groups are laid out,
its blocks and report assembled there; its metrics are :data:`audit.fairness._specs.BINARY_METRICS`, its exact
inference ``_engine``/``_exact`` and its small-group policy ``_policy``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from audit.exceptions import ConfigError
from audit.fairness._bootstrap import draw_counts, percentile_interval
from audit.fairness._counts import Cells, Grouping, count_cells
from audit.fairness._engine import Engine
from audit.fairness._entries import json_float, value_ci
from audit.fairness._exact import DISPARITY_CI_METHOD, GROUP_CI_METHOD, SIMULTANEOUS_METHOD
from audit.fairness._group_report import block, blocks, group_cells, report
from audit.fairness._holm import MULTIPLE_TESTING
from audit.fairness._inputs import MISSING_GROUP, Inputs, check_params, prepare
from audit.fairness._metrics import (
    RATE_METRICS,
    UNDEFINED_MODES,
    UNDEFINED_REASONS,
    undefined_mask,
)
from audit.fairness._policy import (
    Plan,
    Policy,
    Tested,
    apply_multiple_testing,
    check_policy,
    gate_entry,
    plan_disparities,
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
from audit.fairness._sufficiency import DEFAULT_MIN_GROUP_POSITIVES, denominator_counts, insufficient_for

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
    min_group_positives: int = DEFAULT_MIN_GROUP_POSITIVES,
    disparity_groups: str = "sufficient",
) -> dict:
    """Group metrics, disparities, exact intervals and parity tests for a binary classifier.

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
        0: no intervals and no tests (point estimates only). Otherwise the exact intervals and parity
        tests of the rates, and this many bootstrap resamples for the ECE interval.
    ci_level : float
        Interval coverage, e.g. 0.95 (tests are at ``1 - ci_level``, Holm across the model).
    stratified : bool
        Keep every group's size fixed in the ECE resamples (the exact intervals condition on it anyway).
    min_group_size : int
        Groups smaller than this are flagged ``insufficient_data`` (and kept).
    intersections : bool
        Also report the intersection of all sensitive features.
    seed : int
        Seed of the ECE bootstrap (the rest of the report does not depend on it).
    undefined : {"zero", "none"}
        How a rate with an empty denominator is reported: ``"zero"`` as Fairlearn does.
    min_group_positives : int
        Least count of a metric's denominator in a group: actual positives for TPR/FNR, actual
        negatives for FPR/TNR, predicted positives for precision, both classes for balanced accuracy
        and ROC AUC (0: rows only). Groups below it (or below ``min_group_size`` rows) are listed as
        insufficient for that metric.
    disparity_groups : {"sufficient", "all"}
        Which groups the disparities under ``disparities`` (what gates read) are computed over:
        ``"sufficient"`` those with enough data for the metric(s) compared, ``"all"`` every group.
        Fairlearn's all-groups values are always under ``disparities_all_groups``. A disparity
        resting on fewer than two groups is null, with ``inconclusive_reason``.

    Returns
    -------
    dict
        JSON-serialisable: ``ci``, ``min_group_size``, ``min_group_positives``, ``disparity_groups``,
        ``pos_label``, ``n``, ``overall`` and ``by_feature`` (groups, disparities, disparities over
        all groups, four-fifths rule, calibration); see docs/fairness.md.

    Raises
    ------
    DataError
        For inputs that cannot be audited (every problem listed once).

    Examples
    --------
    >>> import pandas as pd
    >>> r = fairness_report(y_true=[0, 1, 1, 0], y_pred=[0, 1, 0, 1],
    ...                     sensitive=pd.DataFrame({"sex": ["F", "F", "M", "M"]}), n_boot=0)
    >>> d = r["by_feature"]["sex"]
    >>> d["disparities_all_groups"]["demographic_parity_difference"]["value"]  # Fairlearn's number
    0.0
    >>> d["disparities"]["demographic_parity_difference"]["inconclusive_reason"][:55]  # 2 rows per group
    'fewer than two groups have enough data for selection_ra'
    """
    check_params(n_boot=n_boot, ci_level=ci_level, min_group_size=min_group_size)
    check_policy(min_group_positives=min_group_positives, disparity_groups=disparity_groups)
    if undefined not in UNDEFINED_MODES:
        raise ConfigError(_BAD_UNDEFINED.format(value=undefined, modes=list(UNDEFINED_MODES)))
    inp = prepare(y_true=y_true, y_pred=y_pred, sensitive=sensitive, y_score=y_score, pos_label=pos_label)
    cells = count_cells(inp.y, inp.p, inp.features)
    layout = group_cells(cells, len(inp.features), intersections=intersections)
    policy = Policy(min_group_size=int(min_group_size), min_group_positives=int(min_group_positives),
                    mode=disparity_groups)
    est = _estimates(inp, cells, layout, policy=policy, undefined=undefined, n_boot=n_boot,
                     stratified=stratified, ci_level=ci_level, seed=seed)
    return _assemble(est, layout, policy=policy, n=int(len(inp.y)), pos_label=pos_label, n_boot=n_boot,
                     ci_level=ci_level, stratified=stratified, undefined=undefined)


def _assemble(est: _Estimates, layout: list[Grouping], *, policy: Policy, n: int, pos_label, n_boot: int, ci_level: float,
              stratified: bool, undefined: str) -> dict:
    """The report: settings, overall metrics and one block per grouping, with the model-wide multiple testing."""
    by_feature = blocks(layout, lambda gi, g: _feature_block(gi, g, est, n=n, policy=policy))
    ci = _ci_description(n_boot=n_boot, ci_level=ci_level, stratified=stratified, scores=bool(est.score_part))
    boot = est.boot
    if boot is not None:
        ci["multiple_testing"] = {**MULTIPLE_TESTING, **apply_multiple_testing(
            by_feature, _tested(est, boot, layout, by_feature), boot["tests"], level=ci_level,
            interval_at=lambda source, d, level: est.engine.disparity_interval(source, d, level, est.point))}
    settings = {
        "ci": ci,
        "min_group_size": policy.min_group_size,
        "min_group_positives": policy.min_group_positives,
        "disparity_groups": policy.mode,
        "pos_label": _pos_label_json(pos_label),
        "n": n,
        "missing_group": MISSING_GROUP,
        "undefined_rates": _UNDEFINED_TEXT[undefined],
    }
    return report(settings, overall={"count": n, "metrics": _overall_metrics(est.point, est.boot, est.score_part)},
                  by_feature=by_feature)


@dataclass
class _Estimates:
    """Everything computed before the report is assembled."""

    cells: Cells
    point: dict
    boot: dict | None
    engine: Engine
    score_part: dict | None
    plan: Plan
    dens: list[dict]


def _estimates(inp: Inputs, cells: Cells, groupings: list[Grouping], *, policy: Policy, undefined: str, n_boot: int,
               stratified: bool, ci_level: float, seed: int) -> _Estimates:
    """Point estimates, the disparity plan, exact inference (None when ``n_boot`` is 0) and the score metrics."""
    engine = Engine(cells, groupings, undefined=undefined)
    point = engine.evaluate(cells.counts[None])
    dens = [denominator_counts(g.aggregate(cells.counts)) for g in groupings]
    plan = plan_disparities(point, dens, policy)
    if plan.views:
        engine.views = plan.views
        point = engine.evaluate(cells.counts[None])
    for (_, name), source in plan.source.items():
        if source is not None:
            engine.gate_sources.setdefault(name, set()).add(source)
    # exact intervals need no resamples; n_boot = 0 still means "no intervals" (and no tests)
    boot = engine.inference(level=ci_level, point=point) if n_boot > 0 else None
    score_part = None
    if inp.score is not None:
        auc_masks = [policy.mask(dens[gi], ("roc_auc",)) for gi in range(len(groupings))]
        score_part = _score_metrics(inp.y, inp.score, cells, groupings, n_boot=int(n_boot), stratified=stratified,
                                    level=ci_level, seed=seed, auc_masks=auc_masks)
    return _Estimates(cells=cells, point=point, boot=boot, engine=engine, score_part=score_part, plan=plan,
                      dens=dens)


def _tested(est: _Estimates, boot: dict, groupings: list[Grouping], blocks: dict) -> list[Tested]:
    """Every conclusive gate-facing disparity with its elementary tests (rates; ROC AUC: one test each grouping).

    ``boot`` is ``est.boot``, the intervals and tests the report has when ``n_boot > 0``.
    """
    out = []
    for (gi, name), source in est.plan.source.items():
        keys = boot.get((source, "tests", name)) if source is not None else None
        if keys:
            out.append(Tested(block=groupings[gi].key, name=name, source=source, keys=tuple(keys),
                              detect=tuple(boot[(source, "detect", name)])))
    for gi, g in enumerate(groupings):
        for name in ("roc_auc_difference", "roc_auc_ratio"):
            entry = blocks[g.key]["disparities"].get(name)
            if entry is not None and entry.get("p_value") is not None:
                key = (gi, "roc_auc")
                boot["tests"][key] = [entry["p_value"]]
                out.append(Tested(block=g.key, name=name, source=None, keys=(key,)))
    return out


def _ci_description(*, n_boot: int, ci_level: float, stratified: bool, scores: bool) -> dict:
    """How the intervals were computed (the report's ``ci`` block)."""
    ci = {
        "method": GROUP_CI_METHOD,
        "disparity_method": DISPARITY_CI_METHOD,
        "stratified": bool(stratified),
        "n_boot": int(n_boot),
        "level": float(ci_level),
        "simultaneous_method": SIMULTANEOUS_METHOD,
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
        return value_ci(value)
    lo, hi = boot[key]
    if index is not None:
        lo, hi = lo[index], hi[index]
    return value_ci(value, lo, hi)


def ece_intervals(cal_counts: np.ndarray, cal_sums: np.ndarray, groupings: list[Grouping], *, n_boot: int,
                  stratified: bool, level: float, seed: int) -> tuple:
    """Bootstrap intervals of the ECE, overall and per grouping (``None`` without resamples)."""
    if n_boot <= 0:
        return None, [None] * len(groupings)
    with np.errstate(divide="ignore", invalid="ignore"):
        cal_means = np.where(cal_counts > 0, cal_sums / np.maximum(cal_counts, 1), 0.0)
    # a separate stream so adding scores never changes the confusion-count intervals
    rng = np.random.default_rng([seed, 1])
    samples_o: list[np.ndarray] = []
    samples_g: list[list[np.ndarray]] = [[] for _ in groupings]
    for draw in draw_counts(cal_counts, n_boot=n_boot, stratified=stratified, rng=rng):
        sums = draw * cal_means
        samples_o.append(ece(draw.sum(axis=-2), sums.sum(axis=-2)))
        for gi, g in enumerate(groupings):
            samples_g[gi].append(ece(g.aggregate(draw), g.aggregate(sums)))
    return percentile_interval(np.concatenate(samples_o), level), [percentile_interval(np.concatenate(s), level)
                                                                   for s in samples_g]


def auc_disparity_sources(aucs: np.ndarray, mask: np.ndarray, *, level: float, n_boot: int, seed: int, gi: int) -> tuple:
    """AUC disparities over all groups, and over the groups with enough positives and negatives (with the mask)."""
    every = auc_disparities(aucs, level=level, n_draws=n_boot, rng=np.random.default_rng([seed, 2, gi]))
    # the gate-facing AUC disparities: groups with too few positives or negatives left out
    mask = mask & ~np.isnan(aucs[:, 0])
    sufficient = every
    if not mask.all():
        sub = np.where(mask[:, None], aucs, np.nan)
        sufficient = auc_disparities(sub, level=level, n_draws=n_boot, rng=np.random.default_rng([seed, 3, gi]))
    return every, (sufficient, mask)


def score_group_entries(g: Grouping, cal_counts: np.ndarray, cal_sums: np.ndarray, ece_ci, auc_entries: list) -> list:
    """Per group of one grouping: its ROC AUC entry (given), ECE with interval, and reliability bins."""
    gc, gs = g.aggregate(cal_counts), g.aggregate(cal_sums)
    eces = ece(gc, gs)
    blo, bhi = ece_ci if ece_ci is not None else (None, None)
    return [{
        "roc_auc": auc_entries[k],
        "ece": {**value_ci(eces[k], None if blo is None else blo[k], None if bhi is None else bhi[k]),
                "ci_method": ECE_CI_METHOD},
        "calibration": {"ece": json_float(eces[k]), "bins": reliability_bins(gc[k], gs[k])},
    } for k in range(len(g.labels))]


def _score_metrics(y, score, cells: Cells, groupings: list[Grouping], *, n_boot: int, stratified: bool,
                   level: float, seed: int, auc_masks: list[np.ndarray]) -> dict:
    """roc_auc (DeLong CI) and ece (bootstrap CI) overall and per group, plus reliability bins."""
    cal_counts, cal_sums = calibration_cells(y, score, cells.row_cell, len(cells.counts))
    ece_overall, ece_groups = ece_intervals(cal_counts, cal_sums, groupings, n_boot=n_boot, stratified=stratified,
                                            level=level, seed=seed)
    auc, lo, hi = auc_delong(y, score, level=level)
    ece_o = ece(cal_counts.sum(axis=0), cal_sums.sum(axis=0))
    out: dict = {"overall": {"roc_auc": {**value_ci(auc, lo, hi), "ci_method": AUC_CI_METHOD},
                             "ece": {**value_ci(ece_o, *(ece_overall or (None, None))), "ci_method": ECE_CI_METHOD}},
                 "groups": [], "disparities": [], "sufficient_disparities": []}
    for gi, g in enumerate(groupings):
        aucs = auc_by_group(y, score, g.row_groups(cells.row_cell), len(g.labels), level=level)
        every, sufficient = auc_disparity_sources(aucs, auc_masks[gi], level=level, n_boot=n_boot, seed=seed, gi=gi)
        out["disparities"].append(every)
        out["sufficient_disparities"].append(sufficient)
        entries = [{**value_ci(*aucs[k][:3]), "ci_method": AUC_CI_METHOD} for k in range(len(g.labels))]
        out["groups"].append(score_group_entries(g, cal_counts, cal_sums, ece_groups[gi], entries))
    return out


def _group_entries(gi: int, g: Grouping, est: _Estimates, *, n: int, policy: Policy) -> tuple[list, list]:
    """Each group's metrics, flags and denominators, and the rates it leaves undefined."""
    point, boot, score_part = est.point, est.boot, est.score_part
    group_counts = g.aggregate(est.cells.counts)
    den = est.dens[gi]
    metric_names = list(RATE_METRICS) + (["roc_auc", "ece"] if score_part else [])
    lacking = insufficient_for(den, metric_names, min_group_size=policy.min_group_size,
                               min_group_positives=policy.min_group_positives)
    groups, undefined_list = [], []
    for k, label in enumerate(g.labels):
        rates = {m: _pick(point, boot, (gi, "group", m), index=k) for m in RATE_METRICS}
        if boot is not None:
            for m in RATE_METRICS:
                lo, hi = boot["group_band"][(gi, m)]
                if rates[m]["value"] is not None and np.isfinite(lo[k]) and np.isfinite(hi[k]):
                    rates[m]["simultaneous_ci"] = [float(np.clip(lo[k], 0, 1)), float(np.clip(hi[k], 0, 1))]
        count = int(den["rows"][k])
        metrics: dict[str, object] = {**rates, "count": count}
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
            "insufficient_data": count < policy.min_group_size,
            "insufficient_for": lacking[k],
            "denominators": {d: int(den[d][k]) for d in ("positives", "negatives", "predicted_positives")},
            "metrics": metrics,
        })
    return groups, undefined_list


def _disparity_blocks(gi: int, g: Grouping, est: _Estimates, policy: Policy) -> tuple[dict, dict, list | None]:
    """Gate-facing disparities (policy groups), the all-groups ones (Fairlearn's) and the AUC-excluded groups."""
    point, boot, plan = est.point, est.boot, est.plan
    names = [k[2] for k in point if k[0] == gi and k[1] == "disparity"]
    all_groups = {d: _pick(point, boot, (gi, "disparity", d)) for d in names}
    gate = {}
    for d in names:
        source = plan.source[(gi, d)]
        base = _pick(point, boot, (source if source is not None else gi, "disparity", d))
        p = _local_p(boot, source, d)
        gate[d] = gate_entry(base, labels=g.labels, used=plan.used[(gi, d)], reason=plan.reason.get((gi, d)), p_value=p)
    auc_excluded = None
    if est.score_part:
        auc_all = est.score_part["disparities"][gi]
        auc_gate, mask = est.score_part["sufficient_disparities"][gi]
        for name in ("roc_auc_difference", "roc_auc_ratio"):
            all_groups[name] = _auc_entry(auc_all[name])
            reason = None if mask.sum() >= 2 else policy.reason(("roc_auc",), used=int(mask.sum()), total=len(mask))
            gate[name] = gate_entry(_auc_entry(auc_gate[name]), labels=g.labels, used=mask, reason=reason,
                                    p_value=auc_gate[name].get("p_value"))
        auc_excluded = [g.labels[k] for k in auc_all["excluded_groups"]]
    return gate, all_groups, auc_excluded


def _local_p(boot: dict | None, source, d: str) -> float | None:
    """A disparity's own p-value of parity: its elementary tests combined by Bonferroni."""
    if boot is None or source is None:
        return None
    keys = boot.get((source, "tests", d))
    if not keys:
        return None
    p = np.concatenate([np.atleast_1d(boot["tests"][k]) for k in keys])
    return float(min(1.0, p.min() * len(p)))


def _auc_entry(entry: dict) -> dict:
    return {**value_ci(entry["value"], *(entry["ci"] or (None, None))), "ci_method": AUC_DISPARITY_CI_METHOD}


def _feature_block(gi: int, g: Grouping, est: _Estimates, *, n: int, policy: Policy) -> dict:
    groups, undefined_list = _group_entries(gi, g, est, n=n, policy=policy)
    disp, disp_all, auc_excluded = _disparity_blocks(gi, g, est, policy)
    by_metric: dict[str, list[str]] = {}
    for x in groups:
        for m in x["insufficient_for"]:
            by_metric.setdefault(m, []).append(x["group"])
    sr_ratio = disp["demographic_parity_ratio"]["value"]
    four_fifths = {"selection_rate_ratio": sr_ratio, "passed": None if sr_ratio is None else bool(sr_ratio >= FOUR_FIFTHS),
                   "threshold": FOUR_FIFTHS}
    out = block(g, groups, disp, disparities_all_groups=disp_all, four_fifths_rule=four_fifths,
                insufficient_groups=[x["group"] for x in groups if x["insufficient_data"]],
                insufficient_by_metric=by_metric, undefined_rates=undefined_list)
    if est.score_part:
        out["calibration"] = {label: est.score_part["groups"][gi][k]["calibration"] for k, label in enumerate(g.labels)}
        out["roc_auc_excluded_groups"] = auc_excluded  # one class only: AUC undefined (Fairlearn raises)
    return out
