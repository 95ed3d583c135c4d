"""The Fairness page of a multiclass or regression run: confusion by group, and error by group.

Reads each model's group audit (``AuditResult.group_audits``; ``audit/fairness/_multiclass.py``, ``_regression.py``).
Every figure is the run's recorded whole-test-set figure with its recorded interval (exact or studentized
bootstrap), the per-class selection rates and recalls included (``selection_rate_ci`` / ``recall_ci``; for a
record written before them, Wilson intervals computed here from each group's confusion counts).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.result import AuditResult, ConfidenceSettings, FairnessBlock, ModelFairness
from audit.verdict.gates import gate_title
from dashboard import _charts as charts
from dashboard._cohorts import widget_label
from dashboard._data import fmt, fmt_ci, md_escape
from dashboard._tasks import (
    by_class_frame,
    confusion_frame,
    disparity_frame,
    group_metric_frame,
    group_table,
    per_class_rates,
)
from dashboard._ui import chart, model_picker, not_run, radio, selectbox, table
from reports._definitions import COLUMN_LABELS
from reports._kinds import kind_view

__all__ = ["show_group_errors"]

_CONFUSION_MAX_CLASSES = 30
_REGRESSION_CI = "studentized bootstrap for MAE, RMSE and the means; simultaneous bands for the disparities"


def _gate_bounds(r: AuditResult, model: str, feature: str) -> dict[str, float]:
    bounds: dict[str, float] = {}
    for g in r.gates:
        bound = g.max if g.max is not None else g.min
        if g.feature == feature and g.model in (model, None) and bound is not None:
            bounds[g.metric] = bound
    return bounds


def _disparities(r: AuditResult, model: str, feature: str, block: FairnessBlock, *, units: str) -> None:
    """Every disparity with its interval (chart and table), the gates' bounds as red ticks."""
    st.subheader("Disparities")
    frame = disparity_frame(block)
    if frame.empty:
        not_run("Disparities", "None were computed for this feature.")
        return
    bounds = _gate_bounds(r, model, feature)
    frame["gate bound"] = frame["disparity"].map(bounds)
    shown = frame.dropna(subset=["value"])
    is_ratio = shown["disparity"].str.contains("ratio")
    shown = shown.assign(disparity=shown["disparity"].map(gate_title))  # readable names, as on the binary page
    left, right = st.columns(2)
    diffs, ratios = shown[~is_ratio], shown[is_ratio]
    regression = units != "proportions"
    if not diffs.empty:
        title = f"Differences{' and worst groups' if regression else ''} (0 = parity; {units})"
        chart(charts.points_with_ci, diffs, category="disparity", value="value", lo="lo", hi="hi",
              title=title, rule_at=0.0, bound="gate bound", where=left)
    if not ratios.empty:
        chart(charts.points_with_ci, ratios, category="disparity", value="value", lo="lo", hi="hi",
              title="Ratios (1 = parity)", rule_at=1.0, bound="gate bound", where=right)
    show = frame.assign(disparity=frame["disparity"].map(gate_title), **{"value [CI]": [fmt_ci({"value": v, "ci": [lo, hi]}, digits=4)
                                          for v, lo, hi in frame[["value", "lo", "hi"]].itertuples(index=False)]})
    cols = ["disparity", "value [CI]", "gate bound", "worst class", "worst group", "groups compared", "reason"]
    table(show[[c for c in cols if c in show and (c in ("disparity", "value [CI]") or show[c].astype(str).str.len().gt(0).any())]])
    if bounds:
        st.caption("Red ticks: the gates' bounds on these disparities ("
                   + ", ".join(f"{md_escape(gate_title(k))} {fmt(v)}" for k, v in bounds.items()) + ").")
    if block.excluded_groups:
        st.caption("Left out of the disparities: " + "; ".join(
            f"{md_escape(x.group)} ({md_escape(x.reason)})" if x.reason else md_escape(x.group)
            for x in block.excluded_groups))


def _confusion(block: FairnessBlock, classes: list[str], feature: str) -> None:
    st.subheader("Confusion by group")
    groups = [str(g.group) for g in block.groups if g.confusion]
    if not groups or not classes:
        not_run("Confusion matrices", "The record holds no confusion counts for this feature.")
        return
    group = selectbox(f"Group of {widget_label(feature)}", groups, key="tf_conf_group", format_func=str)  # labels are Markdown
    entry = next(g for g in block.groups if str(g.group) == group)
    frame = confusion_frame(entry, classes)
    st.caption(f"{fmt(entry.rows)} test rows of **{md_escape(group)}**; rows: true class, columns: predicted class. "
               "Colour: share of the true class's rows (its recall on the diagonal); numbers: row counts.")
    if len(classes) <= _CONFUSION_MAX_CLASSES:
        chart(charts.confusion_heatmap, frame, classes=[str(c) for c in classes],
              title=f"Confusion matrix: {feature} = {group}", width="content")
    with st.expander("Confusion counts as a table"):
        st.dataframe(frame.pivot(index="true", columns="predicted", values="count").reindex(
            index=[str(c) for c in classes], columns=[str(c) for c in classes]))


def _per_class(block: FairnessBlock, classes: list[str]) -> None:
    st.subheader("Per-class selection rate and recall by group")
    rates = per_class_rates(block, classes)
    if rates.empty:
        not_run("Per-class rates", "The record holds no confusion counts for this feature.")
        return
    rate = radio("Rate", ["selection rate", "recall"], horizontal=True, key="tf_rate",
                 help="Selection rate: share of the group predicted as the class. Recall: share of the group's "
                      "rows of that class predicted as it.")
    part = rates[rates["rate"] == rate]
    chart(charts.bars_with_ci, part, category="class", value="value", lo="lo", hi="hi", color="group",
          value_title=rate, title=f"{rate} per class and group (95% intervals)")
    wide = part.assign(cell=[f"{v:.3f} [{lo:.3f}, {hi:.3f}] (n={d:,})" for v, lo, hi, d in
                             part[["value", "lo", "hi", "n"]].itertuples(index=False)])
    table(wide.pivot(index="class", columns="group", values="cell").reindex([str(c) for c in classes]).dropna(how="all")
          .reset_index())
    st.caption("Intervals: the recorded exact (Clopper-Pearson) intervals (records before issue 22: Wilson score "
               "intervals from each group's confusion counts; n = the denominator). A class with no true rows in a "
               "group has no recall there.")


def _by_class(block: FairnessBlock) -> None:
    frame = by_class_frame(block)
    if len(frame.columns) <= 1:
        return
    st.markdown("**One-vs-rest disparities by class**")
    names = [c for c in frame.columns if c != "class"]
    name = selectbox("Disparity", names, key="tf_by_class")
    part = frame[["class", name]].dropna().rename(columns={name: "value"})
    if not part.empty:
        chart(charts.bars_with_ci, part, category="class", value="value", value_title=name,
              title=f"{name}, one class against the rest (a class with no value is undefined there)")
    table(frame, formats=dict.fromkeys(names, "%.4f"))


def _multiclass(r: AuditResult, model: str, feature: str, block: FairnessBlock, classes: list[str]) -> None:
    st.subheader("By group")
    metrics = kind_view(r).group_metrics
    table(group_table(block, metrics))
    long = group_metric_frame(block, metrics)
    if not long.empty:
        chart(charts.bars_with_ci, long, category="figure", value="value", lo="lo", hi="hi", color="group",
              title="Accuracy, macro recall and macro F1 by group (95% intervals)")
    _confusion(block, classes, feature)
    _per_class(block, classes)
    _disparities(r, model, feature, block, units="proportions")
    _by_class(block)


def _regression(r: AuditResult, model: str, feature: str, block: FairnessBlock) -> None:
    st.subheader("Error by group")
    metrics = kind_view(r).group_metrics
    table(group_table(block, metrics))
    long = group_metric_frame(block, metrics)
    units = (r.data.target_summary or {}).get("units") or "target units"
    if not long.empty:
        left, right = st.columns(2)
        chart(charts.bars_with_ci, long[long["metric"].isin(["mae", "rmse"])], category="group",
              value="value", lo="lo", hi="hi", color="figure", value_title="error",
              title="MAE and RMSE by group (lower is better)", where=left)
        means = long[long["metric"].isin(["mean_prediction", "mean_target"])]
        chart(charts.points_with_ci, means, category="group", value="value", lo="lo", hi="hi",
              color="figure", title="Mean prediction beside mean target",
              from_zero=False, where=right)
        err = long[long["metric"] == "mean_error"]
        if not err.empty:
            chart(charts.points_with_ci, err, category="group", value="value", lo="lo", hi="hi", rule_at=0.0,
                  title="Mean error (prediction − target): above 0 over-predicts the group")
    st.caption(f"Values in {md_escape(units)}. Intervals: studentized bootstrap (the record's `intervals` block); "
               "an interval withheld in a small group says why in the record (`ci_reason`).")
    _disparities(r, model, feature, block, units=str(units))


def show_group_errors(r: AuditResult) -> None:
    """The Fairness page body of a multiclass or regression run."""
    audits = r.group_audits
    models = [m for m in r.models if m in audits] or list(audits)
    if not models:
        not_run("Fairness audit", "This run has no group audit (no sensitive feature).")
        return
    model = model_picker(models, key="fair_model")
    M: ModelFairness = audits[model]
    kind = r.kind
    ci = M.ci or ConfidenceSettings()
    st.caption(f"{kind.name.capitalize()} model, {fmt(M.n)} test rows. Intervals: "
               f"{md_escape(ci.method or (_REGRESSION_CI if not kind.classifier else 'see the record'))}, level "
               f"{fmt(ci.level)}. Groups under {fmt(M.min_group_size)} rows are flagged and left out of the disparities.")
    figures = M.overall.figures if M.overall is not None else {}
    overall = pd.DataFrame([{"figure": COLUMN_LABELS.get(k, k), "value [CI]": fmt_ci(v, digits=4)} for k, v in figures.items()])
    if not overall.empty:
        with st.expander("Overall (every test row)"):
            table(overall)
    if not M.by_feature:
        not_run("Group metrics", "No sensitive feature was audited.")
        return
    feature = selectbox("Sensitive feature", list(M.by_feature), key="fair_feature")
    block = M.by_feature[feature]
    small = [g for g in block.groups if g.too_small]
    if small:
        st.warning("Small groups (too few rows for stable estimates; read their intervals, not their values): "
                   + ", ".join(f"**{md_escape(g.group)}** ({fmt(g.rows)} rows)" for g in small))
    if kind.has_classes:
        _multiclass(r, model, feature, block, [str(c) for c in (M.classes or r.data.classes)])
    else:
        _regression(r, model, feature, block)
