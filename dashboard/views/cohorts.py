"""Cohorts: build a cohort from filters on the raw test features (saved in the session and the URL), and compare two
cohorts side by side, every proportion with its exact interval and cohorts under the run's min_group_size marked
insufficient (the fairness report's small-group policy), recomputed from predictions.csv."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from audit.exceptions import AuditError
from dashboard import _charts as charts
from dashboard._cohort_ui import cohort_frame
from dashboard._cohorts import (
    cohort_label,
    cohort_mask,
    small_cohorts,
    task_cohort_metrics,
    widget_label,
)
from dashboard._data import fmt, md_escape
from dashboard._state import Run, active_cohort, predictions, saved_cohorts, set_cohort
from dashboard._ui import chart, error, not_applicable, radio, require_run, selectbox, table
from reports._kinds import KindView, kind_view

__all__ = ["render"]

WHOLE = "whole test set"


def _builder(frame: pd.DataFrame) -> None:
    """Filters on the test rows' columns, and the buttons that make them the active cohort."""
    st.subheader("Build a cohort")
    features = st.multiselect("Filter on", list(frame.columns), key="co_features")
    conds = []
    for f in features:
        s = frame[f]
        if pd.api.types.is_numeric_dtype(s):
            x = s.dropna().to_numpy(np.float64)
            lo, hi = (float(x.min()), float(x.max())) if len(x) else (0.0, 0.0)
            if lo < hi:
                a, b = st.slider(widget_label(f), lo, hi, (lo, hi), key=f"co_num_{f}")  # labels render as Markdown
                conds.append({"feature": f, "lo": float(a), "hi": float(b)})
            else:
                st.caption(f"{md_escape(f)} has a single value ({fmt(lo)}).")
        else:
            values = sorted(s.dropna().astype(str).unique().tolist())
            chosen = st.multiselect(widget_label(f), values, key=f"co_cat_{f}")
            if chosen:
                conds.append({"feature": f, "values": chosen})
    mask = cohort_mask(frame, conds)
    st.write(f"**{md_escape(cohort_label(conds))}**: {int(mask.sum()):,} of {len(mask):,} test rows.")
    name = st.text_input("Name", key="co_name", placeholder=cohort_label(conds) if conds else "e.g. young women")
    save_col, clear_col = st.columns(2)
    if save_col.button("Save and use this cohort", key="co_use", type="primary", disabled=not conds):
        set_cohort(conds, name=name.strip() or cohort_label(conds))
        st.rerun()
    if clear_col.button("Use the whole test set", key="co_clear"):
        set_cohort([])
        st.rerun()


def _metrics(run: Run, frame: pd.DataFrame, picked: list[tuple[str, str]], options: dict) -> pd.DataFrame | None:
    """Each picked cohort's metrics per model, recomputed from predictions.csv (None when a cohort cannot apply)."""
    preds = predictions(run)
    parts = []
    for side, label in picked:
        try:
            m = cohort_mask(frame, options[label])
        except AuditError as exc:
            error(exc)
            return None
        idx = np.nonzero(m)[0]
        rows = pd.concat([part.iloc[idx] for _, part in preds.groupby("model", sort=False)], ignore_index=True)
        met = task_cohort_metrics(rows, kind=run.result.kind)
        met.insert(0, "cohort", f"{side}: {label}")
        parts.append(met)
    return pd.concat(parts, ignore_index=True)


def _compare(run: Run, frame: pd.DataFrame, view: KindView) -> None:
    """Two cohorts (or one against the whole test set) side by side, the kind's cohort metrics with intervals."""
    st.subheader("Compare two cohorts")
    options: dict[str, list[dict[str, Any]]] = {WHOLE: []}
    if active_cohort():
        options[f"active: {cohort_label(active_cohort())}"] = active_cohort()
    options |= saved_cohorts()
    names = list(options)
    left, right = st.columns(2)
    ca = selectbox("Cohort A", names, where=left, index=len(names) - 1, key="co_a")
    cb = selectbox("Cohort B", names, where=right, index=0, key="co_b")
    picked = [("A", ca), ("B", cb)] if ca != cb else [("A = B", ca)]  # the same cohort twice would stack its bars
    both = _metrics(run, frame, picked, options)
    if both is None:
        return
    if both.empty:
        st.info("Both cohorts are empty.")
        return
    floor = _min_group_size(run)
    both = small_cohorts(both, min_group_size=floor)
    for label in both.loc[both["insufficient"], "cohort"].unique():
        st.warning(f"**{md_escape(label)}** has fewer than {floor} test rows (the run's fairness min_group_size): its "
                   "figures are shown with their intervals but, as in the fairness report, are not to be relied on.")
    metrics = list(view.cohort_metrics)
    metric = radio("Metric", metrics, horizontal=True, key="co_metric")
    interval = view.cohort_interval.replace("Wilson", "exact")
    who = both["cohort"] + " · " + both["model"].astype(str) + np.where(both["insufficient"], " (insufficient)", "")
    chart(charts.bars_with_ci, both.assign(who=who), category="who", value=metric,
          lo=f"{metric} lo", hi=f"{metric} hi", title=f"{metric} by cohort and model ({interval})")
    show = both[["cohort", "model", "rows", "insufficient"]].copy()
    for k in metrics:
        show[k] = [f"{fmt(v)} [{fmt(lo)}, {fmt(hi)}]" for v, lo, hi in both[[k, f"{k} lo", f"{k} hi"]].itertuples(index=False)]
    table(show)
    note = view.cohort_note if not view.kind.classifier else (
        "Recomputed from predictions.csv on each cohort's rows, from each model's decisions; proportions carry exact "
        "(Clopper–Pearson) 95% intervals, as the run's fairness report's groups do.")
    st.caption(note + (f" Cohorts under {floor} rows are marked insufficient (the run's min_group_size)." if floor else ""))


def _min_group_size(run: Run) -> int | None:
    """The run's fairness small-group floor (the first model's; every model's report uses the config's one)."""
    for audit in run.result.group_audits.values():
        if audit.min_group_size:
            return int(audit.min_group_size)
    return None


def render() -> None:
    """The Cohorts page: build a cohort, and compare two."""
    run = require_run()
    st.title("Cohorts")
    if run.result.is_text:
        not_applicable("Cohorts", "A cohort filters the test rows on tabular feature values, and a text classifier's rows "
                       "are free texts, which the run does not store as features. The **Text** page shows the model on "
                       "the texts that mention each identity subgroup instead.")
        return
    view = kind_view(run.result)
    try:
        frame = cohort_frame(run)
    except AuditError as exc:
        error(exc)
        return
    if run.result.slices is None and not view.kind.slices:
        st.caption("A regression run stores only the sensitive columns (the error-analysis stage, which stores the raw "
                   "test features, runs for classifiers), so cohorts filter on those.")
    elif run.result.slices is None:
        st.caption("This run stores only the sensitive columns (it predates the error-analysis stage), so cohorts filter "
                   "on those.")
    st.caption(f"Active cohort: **{md_escape(cohort_label(active_cohort()))}**. Fairness, Explainability and Error "
               "analysis are scoped to it; it is kept in the URL, so a link reopens it.")
    _builder(frame)
    _compare(run, frame, view)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
