"""Model comparison: accuracy against a disparity, with intervals, for the reference and private models, each
mitigation and every ε point of the privacy–utility curve, on one chart, with the gates' bounds drawn."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audit.choices import FAIRNESS_DISPARITIES
from audit.result import AuditResult, ModelFairness
from audit.verdict.gates import gate_title
from dashboard import _charts as charts
from dashboard._compare_tasks import compare_task_models, compare_text_models
from dashboard._data import fmt, md_escape, metric_parts
from dashboard._ui import chart, not_run, require_run, selectbox, table
from reports._kinds import kind_view

__all__ = ["render"]

_METRICS = ["demographic_parity_difference", "equalized_odds_difference"]


def _points(r: AuditResult, fair: dict[str, ModelFairness], feature: str, metric: str) -> list[dict[str, Any]]:
    """Each audited model, each of its mitigations and each ε of the utility curve: accuracy and the disparity."""
    rows = []
    for name, F in fair.items():
        if F is None or feature not in F.by_feature:
            continue
        acc = F.overall.metrics.get("accuracy") if F.overall is not None else None
        a, alo, ahi = metric_parts(acc) if acc is not None else (r.models[name].test_accuracy if name in r.models else None, None, None)
        d, dlo, dhi = metric_parts(F.by_feature[feature].disparities.get(metric))
        rows.append({"point": name, "kind": "audited model", "accuracy": a, "acc lo": alo, "acc hi": ahi,
                     "disparity": d, "d lo": dlo, "d hi": dhi})
        mit = F.mitigation
        if mit is not None and mit.sensitive_feature == feature:
            for row in mit.rows:
                if row.method in ("none", "unmitigated"):  # the audited model itself, already plotted
                    continue
                a, alo, ahi = metric_parts(row.metrics.entries.get("accuracy"))
                d, dlo, dhi = metric_parts(row.metrics.entries.get(metric))
                rows.append({"point": f"{name} + {row.method}", "kind": "mitigation", "accuracy": a, "acc lo": alo,
                             "acc hi": ahi, "disparity": d, "d lo": dlo, "d hi": dhi})
    curve = r.privacy.utility_curve if r.privacy is not None else []
    for p in curve:
        d = getattr(p, metric).get(feature) if metric in _METRICS else None
        rows.append({"point": f"ε = {fmt(p.epsilon)}" if p.epsilon is not None else "ε = ∞ (curve)", "kind": "utility curve",
                     "accuracy": p.accuracy, "acc lo": None, "acc hi": None, "disparity": d, "d lo": None, "d hi": None})
    return rows


def _with_interval(values: pd.DataFrame) -> list[str]:
    return [f"{fmt(a, digits=4)} [{fmt(lo, digits=4)}, {fmt(hi, digits=4)}]" if lo is not None and pd.notna(lo)
            else fmt(a, digits=4) for a, lo, hi in values.itertuples(index=False)]


def _binary(r: AuditResult) -> None:
    """Accuracy against a binary disparity, per model, mitigation and ε point, with the gates' bounds."""
    fair = r.group_audits
    features = list(dict.fromkeys(f for m in fair.values() if m is not None for f, b in m.by_feature.items() if len(b.features) <= 1))
    if not features:
        not_run("Model comparison", "This run has no fairness section, so there is no disparity to compare.")
        return
    left, right = st.columns(2)
    gated = [g for g in r.gates if g.metric in FAIRNESS_DISPARITIES and g.feature in features]
    feature = selectbox("Sensitive feature", features, where=left, key="cmp_feature",
                        index=features.index(str(gated[0].feature)) if gated else 0)  # a gated feature is one of them
    metric = selectbox("Disparity", _METRICS, where=right, key="cmp_metric", format_func=gate_title,
                       index=_METRICS.index(gated[0].metric) if gated and gated[0].metric in _METRICS else 0)
    title = gate_title(metric)
    frame = pd.DataFrame(_points(r, fair, feature, metric)).dropna(subset=["accuracy", "disparity"])
    if frame.empty:
        not_run("Model comparison", f"No accuracy and {md_escape(title.lower())} pair was recorded for {md_escape(feature)}.")
        return
    x_bounds = [{"value": g.max, "label": f"gate {g.severity}: ≤ {fmt(g.max)} ({g.model})"} for g in r.gates
                if g.metric == metric and g.feature == feature and g.max is not None]
    y_bounds = [{"value": g.min, "label": f"gate {g.severity}: accuracy ≥ {fmt(g.min)} ({g.model})"} for g in r.gates
                if g.metric == "accuracy" and g.min is not None]
    chart(charts.scatter_with_ci, frame, x="disparity", y="accuracy", label="point", kind="kind", x_lo="d lo", x_hi="d hi",
          y_lo="acc lo", y_hi="acc hi", x_bounds=x_bounds, y_bounds=y_bounds,
          x_title=f"{title} ({feature})", y_title="test accuracy",
          labelled=["audited model", "mitigation"], path="utility curve",
          title=f"Accuracy against {title.lower()} ({feature}): up and left is better")
    st.caption("Hover a point for its name; the utility curve's ε points are joined in order of ε and listed in the table. "
               "Bars: the recorded intervals (bootstrap for the models and mitigations; the utility curve's points have none). "
               "Dashed red lines: the gates' bounds on these metrics."
               + ("" if x_bounds else f" No gate bounds the {md_escape(title.lower())} on {md_escape(feature)}."))
    show = frame.copy()
    show["accuracy"] = _with_interval(frame[["accuracy", "acc lo", "acc hi"]])
    show["disparity"] = _with_interval(frame[["disparity", "d lo", "d hi"]])
    table(show[["point", "kind", "accuracy", "disparity"]].rename(columns={"disparity": title}))


def render() -> None:
    """The Model comparison page: the kind's figures against a disparity, or a text run's audits side by side."""
    run = require_run()
    r = run.result
    st.title("Model comparison")
    view = kind_view(r)
    if view.own_figures:
        compare_task_models(r, view)
    elif r.is_text and not r.group_audits:
        compare_text_models(r)
    else:
        _binary(r)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
