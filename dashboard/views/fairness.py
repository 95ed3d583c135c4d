"""Fairness: group table with CIs, disparities with error bars, intersectional heatmap, small groups,
a threshold slider over the run's predictions, and the mitigation before/after table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.exceptions import AuditError
from audit.fairness import rates_at_threshold
from audit.result import (
    AuditResult,
    ConfidenceSettings,
    FairnessBlock,
    FourFifthsRule,
    Metric,
    ModelFairness,
)
from audit.verdict.gates import gate_title
from dashboard import _charts as charts
from dashboard._cohort_ui import cohort_scope
from dashboard._cohorts import cohort_metrics
from dashboard._data import fmt, fmt_ci, gaps, md_escape, metric_parts, rates_table
from dashboard._group_errors import show_group_errors
from dashboard._state import Run, predictions, threshold_curves
from dashboard._ui import chart, error, model_picker, not_applicable, not_run, require_run, selectbox, table
from reports._kinds import kind_view

__all__ = ["render"]

_TABLE_METRICS = ["selection_rate", "accuracy", "tpr", "fpr", "precision", "balanced_accuracy", "roc_auc", "ece"]
_HEADLINE_DISPARITIES = {
    "demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference", "equalized_odds_ratio",
    "equal_opportunity_difference", "equal_opportunity_ratio", "predictive_parity_difference", "predictive_parity_ratio",
    "accuracy_difference", "roc_auc_difference", "roc_auc_ratio",
}
_HEAT_METRICS = ["selection_rate", "accuracy", "tpr", "fpr", "precision", "base_rate"]
#: A group figure's name in words (the record's keys are snake_case).
_READABLE = {"selection_rate": "selection rate", "accuracy": "accuracy", "tpr": "true positive rate",
             "fpr": "false positive rate", "precision": "precision", "balanced_accuracy": "balanced accuracy",
             "roc_auc": "ROC AUC", "ece": "calibration error (ECE)", "base_rate": "base rate"}


def _small_and_four_fifths(F: ModelFairness, block: FairnessBlock) -> None:
    small = [g for g in block.groups if g.insufficient_data]
    if small:
        st.warning("Small groups (too few rows for stable estimates; read their intervals, not their values): "
                   + ", ".join(f"**{md_escape(g.group)}** ({fmt(g.count)} rows)" for g in small))
    ff = block.four_fifths_rule or FourFifthsRule()
    c1, c2, c3 = st.columns(3)
    c1.metric("selection-rate ratio (four-fifths rule)", fmt(ff.selection_rate_ratio),
              help="Lowest group selection rate divided by the highest; the rule asks for at least 0.8.")
    c2.metric("four-fifths rule", "—" if ff.passed is None else "passed" if ff.passed else "failed")
    c3.metric("rows", fmt(F.n))


def _group_table(block: FairnessBlock) -> None:
    st.subheader("By group")
    rows = []
    for g in block.groups:
        row = {"group": str(g.group), "count": g.count, "share": g.share, "small group": bool(g.insufficient_data)}
        for m in _TABLE_METRICS:
            if m in g.metrics:
                row[_READABLE.get(m, m)] = fmt_ci(g.metrics[m])
        rows.append(row)
    if rows:
        table(pd.DataFrame(rows), formats={"share": "%.3f"})
        st.caption("Each cell: value [interval].")
    else:
        not_run("Group table", "The feature has no groups recorded.")


def _cohort_groups(run: Run, model: str, feature: str, cohort_mask) -> None:
    """The groups' rates recomputed on the active cohort's rows."""
    try:
        preds = predictions(run)
        part = preds[preds["model"] == model].reset_index(drop=True)
        if feature not in part.columns:
            not_run("Cohort view", f"predictions.csv has no column for {md_escape(feature)}.")
            return
        sub = part[cohort_mask]
        per = cohort_metrics(sub.assign(model=sub[feature].astype("string").fillna("<missing>")))
        st.subheader("By group: cohort")
        show = per.rename(columns={"model": "group"})[["group", "rows"]].copy()
        for k in ("selection rate", "accuracy", "tpr", "fpr"):
            show[k] = [f"{fmt(v)} [{fmt(lo)}, {fmt(hi)}]" for v, lo, hi in per[[k, f"{k} lo", f"{k} hi"]].itertuples(index=False)]
        table(show)
        g = gaps(per.rename(columns={"selection rate": "selection_rate"}))
        st.caption(f"Recomputed on the cohort's rows from the model's decisions in predictions.csv (at its decision "
                   f"threshold; Wilson intervals): demographic parity difference "
                   f"{fmt(g['demographic_parity_difference'])}, equalized odds difference {fmt(g['equalized_odds_difference'])}.")
    except AuditError as exc:
        error(exc)


def _disparities(r: AuditResult, model: str, feature: str, block: FairnessBlock, ci_info: ConfidenceSettings) -> None:
    st.subheader("Disparities")
    if ci_info.disparity_method:
        st.caption(f"Disparity intervals: {md_escape(ci_info.disparity_method)}.")
    show_all = st.toggle("Show every disparity the engine computed", key="fair_all_disp",
                         help="By default: the headline disparities of Fairlearn's definitions.")
    drows = []
    for name, entry in block.disparities.items():
        v, lo, hi = metric_parts(entry)
        if v is not None and (show_all or name in _HEADLINE_DISPARITIES):
            drows.append({"name": name, "disparity": gate_title(name), "value": v, "lo": lo, "hi": hi})
    gate_bounds = {g.metric: (g.max if g.max is not None else g.min) for g in r.gates
                   if g.model == model and g.feature == feature and (g.max is not None or g.min is not None)}
    if not drows:
        not_run("Disparities", "None were computed for this feature.")
        return
    dframe = pd.DataFrame(drows)
    dframe["gate bound"] = dframe["name"].map(gate_bounds)
    is_ratio = dframe["name"].str.contains("ratio")
    diffs, ratios = dframe[~is_ratio], dframe[is_ratio]
    left, right = st.columns(2)
    if not diffs.empty:
        chart(charts.points_with_ci, diffs, category="disparity", value="value", lo="lo", hi="hi",
              title="Differences (0 = parity; red tick: the gate's bound)", rule_at=0.0,
              bound="gate bound", where=left)
    if not ratios.empty:
        chart(charts.points_with_ci, ratios, category="disparity", value="value", lo="lo", hi="hi",
              title="Ratios (1 = parity; 0.8 = four-fifths)", rule_at=0.8,
              bound="gate bound", where=right)
    if gate_bounds:
        st.caption("Red ticks: the gates' bounds on these disparities ("
                   + ", ".join(f"{md_escape(gate_title(k))} {fmt(v)}" for k, v in gate_bounds.items()) + ").")


def _intersections(by_feature: dict[str, FairnessBlock]) -> None:
    inter = [k for k, b in by_feature.items() if len(b.features) == 2]
    st.subheader("Intersections")
    if not inter:
        not_run("Intersectional analysis", "Needs two sensitive features with intersections = true in the config.")
        return
    key = inter[0] if len(inter) == 1 else selectbox("Intersection", inter, key="fair_inter")
    ib = by_feature[key]
    fx, fy = ib.features
    metric = selectbox("Metric", _HEAT_METRICS, key="fair_heat_metric", format_func=lambda m: _READABLE.get(m, m))
    hrows = []
    for g in ib.groups:
        entry = g.metrics.get(metric)
        hrows.append({fx: str(g.values.get(fx)), fy: str(g.values.get(fy)),
                      metric: entry.value if isinstance(entry, Metric) else None,
                      "count": g.count, "small": bool(g.insufficient_data)})
    hframe = pd.DataFrame(hrows)
    if hframe.empty or hframe[metric].isna().all():
        not_run(f"{metric} by intersection")
        return
    label = _READABLE.get(metric, metric)
    chart(charts.heatmap, hframe.rename(columns={metric: label}), x=fx, y=fy, value=label, text="count",
          title=f"{label} by {fx} × {fy} (hover for counts)")
    if hframe["small"].any():
        st.caption("Cells with fewer rows than the minimum group size: "
                   + ", ".join(md_escape(f"{a} & {b}") for a, b in hframe.loc[hframe["small"], [fx, fy]].itertuples(index=False)))


def _calibration(block: FairnessBlock) -> None:
    cal = block.calibration
    if not cal:
        return
    with st.expander("Calibration by group"):
        crows = [{"group": str(grp), "mean score": b.mean_score, "fraction positive": b.fraction_positive, "count": b.count}
                 for grp, c in cal.items() for b in c.bins if b.count]
        if crows:
            chart(charts.reliability, pd.DataFrame(crows), x="mean score", y="fraction positive", color="group",
                  title="Reliability (dashed diagonal = calibrated)")
        table(pd.DataFrame([{"group": str(g), "ECE": c.ece} for g, c in cal.items()]), formats={"ECE": "%.4f"})


# --- threshold slider ------------------------------------------------------------------------------
@st.fragment
def threshold_explorer(run: Run, model: str, feature: str) -> None:
    """Rates per group at a chosen threshold; a fragment, so a slider move reruns only this block."""
    st.subheader("Decision threshold")
    try:
        curves = threshold_curves(run, model=model, feature=feature)
    except AuditError as exc:
        error(exc)
        return
    except KeyError:
        not_run("Threshold explorer", f"predictions.csv has no column for {md_escape(feature)}.")
        return
    summary = run.result.models.get(model)
    chosen = summary.decision_threshold if summary is not None else None
    own = float(chosen.value) if chosen is not None and chosen.value is not None else 0.5
    t = st.slider("Threshold (selected when score ≥ threshold)", 0.0, 1.0, round(own, 2), 0.01,
                  key=f"fair_threshold_{model}")
    st.caption(f"The {md_escape(model)} model decides at {own:.3f}"
               + (f" ({md_escape(chosen.rule)}: {md_escape(chosen.rule_text)})" if chosen is not None and chosen.rule else
                  " (0.5: the run records no threshold)") + "; the slider starts there.")
    rates = rates_at_threshold(curves, float(t))
    tab = rates_table(rates)
    g = gaps(tab)
    st.caption(f"At threshold {t:.2f}: selected when score ≥ {t:.2f}; rates from {fmt(sum(r['count'] for r in rates.values()))} "
               "test rows, exact at every threshold (one sort per group, cached).")
    a, b = st.columns(2)
    a.metric("demographic parity difference", fmt(g["demographic_parity_difference"], digits=4))
    b.metric("equalized odds difference", fmt(g["equalized_odds_difference"], digits=4))
    shown = tab.rename(columns=_READABLE)
    rate_cols = [_READABLE[k] for k in ("selection_rate", "tpr", "fpr")]
    long = shown.melt(id_vars=["group"], value_vars=rate_cols, var_name="rate", value_name="value")
    chart(charts.bars_with_ci, long.dropna(), category="group", value="value", color="rate",
          title=f"Rates at threshold {t:.2f}")
    table(shown, formats=dict.fromkeys(rate_cols, "%.4f"))


#: The mitigation table's columns, the trade-off first: accuracy beside the disparities a mitigation moves.
_MITIGATION_FIRST = ("accuracy", "demographic_parity_difference", "equalized_odds_difference",
                     "equal_opportunity_difference")


def mitigation_frame(F: ModelFairness) -> pd.DataFrame:
    """One row per mitigation: accuracy and the disparities first (readable names, value [interval]), the target
    disparity among them, then the other figures; the methods' descriptions are said under the table.

    Examples
    --------
    >>> from audit.result import ModelFairness
    >>> F = ModelFairness.from_dict({"mitigation": {"constraint": "demographic_parity", "rows": [{"method": "none",
    ...     "metrics": {"selection_rate": {"value": 0.2, "ci": None}, "accuracy": {"value": 0.85, "ci": [0.84, 0.86]}}}]}})
    >>> list(mitigation_frame(F).columns)
    ['method', 'Test accuracy', 'Selection rate']
    """
    mit = F.mitigation
    rows: list[dict[str, str]] = []
    names: list[str] = []
    for row in (mit.rows if mit is not None else []):
        figures = {n: e for n, e in row.metrics.entries.items() if isinstance(e, Metric)}
        names += [n for n in figures if n not in names]
        rows.append({"method": str(row.method), **{n: fmt_ci(e, digits=3) for n, e in figures.items()}})
    target = mit.target_disparity if mit is not None else None
    order = [n for n in _MITIGATION_FIRST if n in names] + [n for n in names if n not in _MITIGATION_FIRST]
    if target in order:  # the disparity the mitigation targets right after accuracy
        order.insert(1 if "accuracy" in order else 0, order.pop(order.index(target)))
    frame = pd.DataFrame(rows, columns=["method", *order])
    return frame.rename(columns={n: gate_title(n) for n in order})


def _mitigation(F: ModelFairness) -> None:
    st.subheader("Mitigation: before and after")
    mit = F.mitigation
    if mit is None or not mit.rows:
        not_run("Mitigation", "Set [fairness] mitigation in the config to compare mitigations.")
        return
    st.caption(f"Constraint {md_escape(mit.constraint)} on {md_escape(mit.sensitive_feature)}: accuracy beside the "
               "disparities, so what a mitigation gains on one and costs on another reads in one row. Each cell: value "
               "[interval].")
    table(mitigation_frame(F))
    st.caption("  \n".join(f"**{md_escape(row.method)}**: {md_escape(row.description)}" for row in mit.rows
                            if row.description))
    for note in mit.notes:
        st.caption(md_escape(note))


def _representation(r: AuditResult) -> None:
    rep = r.fairness.representation if r.fairness is not None else None
    if rep is None or not rep.features:
        return
    with st.expander("Representation: group sizes and base rates, train vs test"):
        rrows = []
        for feat, info in rep.features.items():
            for grp, splits in ((info or {}).get("groups") or {}).items():
                for split, s in (splits or {}).items():
                    s = s if isinstance(s, dict) else {}
                    rrows.append({"feature": feat, "group": str(grp), "split": split, "count": s.get("count"),
                                  "share": s.get("share"), "base rate": s.get("base_rate"),
                                  "missing share": s.get("missing_share")})
        table(pd.DataFrame(rrows), formats={"share": "%.3f", "base rate": "%.3f", "missing share": "%.3f"})
        for w in rep.warnings:
            st.warning(md_escape(w))


def _binary(run: Run, r: AuditResult, models: list[str]) -> None:
    """The binary group report of one model and sensitive feature, every part of it."""
    model = model_picker(models, key="fair_model")
    F = r.group_audits[model]
    by_feature = F.by_feature
    ci_info = F.ci or ConfidenceSettings()
    st.caption(f"Intervals: {md_escape(ci_info.method or 'none')}, level {fmt(ci_info.level)}, "
               f"{fmt(ci_info.n_boot)} resamples. Groups under {fmt(F.min_group_size)} rows are flagged.")
    if not by_feature:
        not_run("Group metrics", "No sensitive feature was audited.")
        return
    feature = selectbox("Sensitive feature", list(by_feature), key="fair_feature")
    _, cohort_mask = cohort_scope(run, key="fair")
    block = by_feature[feature]
    _small_and_four_fifths(F, block)
    _group_table(block)
    if cohort_mask is not None:
        _cohort_groups(run, model, feature, cohort_mask)
    _disparities(r, model, feature, block, ci_info)
    _intersections(by_feature)
    _calibration(block)
    threshold_explorer(run, model, feature)
    _mitigation(F)
    _representation(r)


def render() -> None:
    """The Fairness page: the kind's own group report (multiclass, regression), or the binary one."""
    run = require_run()
    r = run.result
    st.title("Fairness")
    if kind_view(r).own_figures:
        show_group_errors(r)  # confusion by group (multiclass), error by group (regression)
        return
    fair = r.group_audits
    if not fair and r.is_text:
        not_applicable("Group fairness", "This text run has no sensitive column, so there are no groups to compare. Its "
                       "identity-term audits (counterfactual swaps, subgroup AUCs) are on the **Text** page.")
        return
    models = [m for m in r.models if m in fair]
    if not models:
        not_run("Fairness audit", "This run has no fairness section.")
        return
    _binary(run, r, models)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
