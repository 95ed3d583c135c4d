"""Model comparison for the tasks beyond binary tables.

Multiclass and regression: the headline figure (accuracy, macro F1 / MAE, RMSE, R²) of each model against one of its
group disparities from its group audit (``AuditResult.group_audits``), with intervals. Text: each model's accuracy
beside its text audits (worst counterfactual flip rate, subgroup AUCs). The binary-only parts (mitigations, the
privacy–utility curve's DP and EO differences) do not exist for these tasks, and the page says so.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audit.result import AuditResult
from audit.verdict.gates import gate_title
from dashboard import _charts as charts
from dashboard._data import fmt, fmt_ci, md_escape, metric_parts
from dashboard._ui import chart, not_applicable, not_run, selectbox, table
from reports._kinds import KindView

__all__ = ["compare_task_models", "compare_text_models"]

_BINARY_ONLY = ("The mitigations and the privacy–utility curve's demographic-parity and equalized-odds points are "
                "computed for binary classifiers only, so this comparison shows the audited models.")


def _pair_rows(r: AuditResult, *, y_key: str, metric: str, feature: str) -> list[dict[str, Any]]:
    rows = []
    for name, M in r.group_audits.items():
        block = M.by_feature.get(feature)
        d = block.disparities.get(metric) if block is not None else None
        if d is None:
            continue
        y, ylo, yhi = metric_parts(M.overall.figure(y_key) if M.overall is not None else None)
        lo, hi = (d.ci[0], d.ci[1]) if d.ci and len(d.ci) == 2 else (None, None)
        rows.append({"model": name, "kind": "audited model", "figure": y, "y lo": ylo, "y hi": yhi,
                     "disparity": d.value, "d lo": lo, "d hi": hi})
    return rows


def compare_task_models(r: AuditResult, view: KindView) -> None:
    """A performance figure of the kind (``view.performance``) against a group disparity, per model, for a kind with
    its own figures (multiclass, regression)."""
    audits = r.group_audits
    features = list(dict.fromkeys(f for M in audits.values() for f in M.by_feature))
    if not features:
        not_run("Model comparison", "This run has no group audit (no sensitive feature), so there is no disparity to compare.")
        return
    st.caption(_BINARY_ONLY)
    metrics = list(dict.fromkeys(m for M in audits.values() for b in M.by_feature.values() for m in b.disparities))
    gated = [g for g in r.gates if g.metric in metrics and g.feature in features]
    a, b, c = st.columns(3)
    feature = selectbox("Sensitive feature", features, where=a, key="cmp_feature",
                        index=features.index(str(gated[0].feature)) if gated else 0)  # a gated feature is one of them
    metric = selectbox("Disparity", metrics, where=b, key="cmp_metric", format_func=gate_title,
                       index=metrics.index(gated[0].metric) if gated else 0)
    title = gate_title(metric)
    figures = {col.name: col for col in view.performance}
    y_label = selectbox("Figure", list(figures), where=c, key="cmp_y")
    column = figures[y_label]
    frame = pd.DataFrame(_pair_rows(r, y_key=column.key, metric=metric, feature=feature),
                         columns=["model", "kind", "figure", "y lo", "y hi", "disparity", "d lo", "d hi"])
    frame = frame.dropna(subset=["figure", "disparity"])
    if frame.empty:
        not_run("Model comparison", f"No {md_escape(y_label)} and {md_escape(title.lower())} pair was recorded for "
                f"{md_escape(feature)}.")
        return
    x_bounds = [{"value": g.max, "label": f"gate {g.severity}: ≤ {fmt(g.max)} ({g.model})"} for g in r.gates
                if g.metric == metric and g.feature == feature and g.max is not None]
    y_bounds = [{"value": g.min if g.min is not None else g.max,
                 "label": f"gate {g.severity}: {'≥' if g.min is not None else '≤'} "
                          f"{fmt(g.min if g.min is not None else g.max)} ({g.model})"}
                for g in r.gates if g.metric == column.key and g.feature is None
                and (g.min is not None or g.max is not None)]
    better = "down" if column.lower_is_better else "up"
    chart(charts.scatter_with_ci, frame, x="disparity", y="figure", label="model", kind="kind", x_lo="d lo", x_hi="d hi",
          y_lo="y lo", y_hi="y hi", x_bounds=x_bounds, y_bounds=y_bounds,
          x_title=f"{title} ({feature})", y_title=f"test {y_label}",
          title=f"{y_label} against {title.lower()} ({feature}): {better} and left is better")
    show = frame.assign(**{y_label: [fmt_ci({"value": v, "ci": [lo, hi]}, digits=4) for v, lo, hi in
                                     frame[["figure", "y lo", "y hi"]].itertuples(index=False)],
                           title: [fmt_ci({"value": v, "ci": [lo, hi]}, digits=4) for v, lo, hi in
                                   frame[["disparity", "d lo", "d hi"]].itertuples(index=False)]})
    table(show[["model", y_label, title]])
    st.caption("Bars: the recorded intervals. Dashed red lines: the gates' bounds on these figures.")


def compare_text_models(r: AuditResult) -> None:
    """Each model's accuracy beside its text audits (a text run has no groups of a sensitive column)."""
    not_applicable("Accuracy against a group disparity",
                   "This text run has no sensitive column, so there are no group disparities to plot. Its models are "
                   "compared on the identity-term audits instead (details on the **Text** page).")
    rows = []
    for name, summary in r.models.items():
        audit = r.text.models.get(name) if r.text is not None else None
        cf = (audit.counterfactual if audit is not None else None) or {}
        auc = (audit.identity_auc if audit is not None else None) or {}
        rows.append({"model": name, "private": summary.private, "accuracy": fmt(summary.test_accuracy, digits=4),
                     "ROC AUC": fmt(summary.test_roc_auc, digits=4),
                     "worst flip rate [CI]": fmt_ci(cf.get("max_flip_rate"), digits=4),
                     "worst mean |Δscore| [CI]": fmt_ci(cf.get("max_mean_abs_score_change"), digits=4),
                     "BPSN AUC (power mean) [CI]": fmt_ci(auc.get("power_mean_bpsn_auc")),
                     "BNSP AUC (power mean) [CI]": fmt_ci(auc.get("power_mean_bnsp_auc")),
                     "final score [CI]": fmt_ci(auc.get("final_score"))})
    if rows:
        table(pd.DataFrame(rows))
