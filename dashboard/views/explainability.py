"""Explainability: global importance with CIs, per-example explanations, group reliance and proxies,
faithfulness figures, and saliency maps for image runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from audit.exceptions import AuditError
from audit.result import (
    AuditResult,
    Baseline,
    ConvergenceDelta,
    DeletionCurve,
    ModelExplanation,
    RandomizationTest,
)
from dashboard import _charts as charts
from dashboard._cohort_ui import cohort_scope
from dashboard._data import fmt, md_escape, run_array, run_bytes
from dashboard._explain_ui import example_label, show_per_class_importance
from dashboard._state import Run
from dashboard._ui import chart, error, model_picker, not_applicable, not_run, require_run, selectbox, table

__all__ = ["render"]


@st.cache_resource(max_entries=8, show_spinner=False)
def _attributions(path: str, sha: str, rel: str) -> np.ndarray:
    return run_array(Path(path), rel)


def _global(X: ModelExplanation) -> None:
    st.subheader("Global importance")
    imp = X.global_importance
    if not imp:
        not_run("Global importance")
        return
    frame = pd.DataFrame([{"feature": str(g.feature), "mean |attribution|": g.mean_abs,
                           "lo": (g.ci or [None, None])[0], "hi": (g.ci or [None, None])[1],
                           "mean signed": g.mean_signed} for g in imp])
    left, right = st.columns(2)
    chart(charts.bars_with_ci, frame, category="feature", value="mean |attribution|", lo="lo", hi="hi",
          title="Mean |attribution| with interval", where=left)
    chart(charts.signed_bars, frame.dropna(subset=["mean signed"]), category="feature", value="mean signed",
          title="Mean signed effect", where=right)


def _cohort(run: Run, X: ModelExplanation, cohort_mask) -> None:
    """Mean |attribution| on the active cohort's rows beside every test row's."""
    st.subheader("Global importance: cohort")
    rel = X.artifacts.get("attributions") if isinstance(X.artifacts, dict) else None
    try:
        att = _attributions(str(run.path), run.sha, rel) if rel else None
    except (AuditError, OSError, ValueError) as exc:
        att = None
        error(exc)
    feats = list(X.features)
    if att is None or X.test_rows != "all" or att.shape != (len(cohort_mask), len(feats)) or not cohort_mask.any():
        not_run("Cohort importance", "needs the attributions of every test row (explain max_rows unset) and a non-empty cohort.")
        return
    both = pd.concat([
        pd.DataFrame({"feature": feats, "mean |attribution|": np.abs(att[cohort_mask]).mean(axis=0), "rows": "cohort"}),
        pd.DataFrame({"feature": feats, "mean |attribution|": np.abs(att).mean(axis=0), "rows": "all test rows"}),
    ], ignore_index=True)
    chart(charts.bars_with_ci, both, category="feature", value="mean |attribution|", color="rows",
          title=f"Mean |attribution| on the cohort ({int(cohort_mask.sum()):,} rows) and on every test row")


def _examples(r: AuditResult, X: ModelExplanation) -> None:
    st.subheader("Per-example explanations")
    examples = X.examples
    if not examples:
        not_run("Per-example explanations")
        return
    labels = [example_label(e, kind=r.kind, explained_class=X.explained_class) for e in examples]
    pick = selectbox("Example", range(len(examples)), format_func=lambda i: labels[i], key="ex_example")
    contrib = pd.DataFrame([{"feature": str(c.feature), "value": str(c.value), "attribution": c.attribution}
                            for c in examples[pick].contributions])
    if contrib.empty:
        not_run("Contributions for this example")
        return
    left, right = st.columns([3, 2])
    chart(charts.signed_bars, contrib.dropna(subset=["attribution"]), category="feature", value="attribution",
          detail="value", title=f"Contribution to the {X.target if X.target is not None else 'score'}", where=left)
    with right:
        table(contrib, formats={"attribution": "%.4f"})


def _reliance(X: ModelExplanation) -> None:
    st.subheader("Group reliance and proxies")
    rel = X.group_reliance
    if not rel:
        not_run("Group reliance")
    for feat, info in rel.items():
        st.markdown(f"**{md_escape(feat)}**: share of attribution on the feature itself "
                    f"{md_escape(fmt(info.sensitive_feature_share))}")
        profiles = info.profiles
        if profiles:
            prow = [{"group": str(g), "feature": str(f), "mean |attribution|": v}
                    for g, p in profiles.items() for f, v in (p or {}).items()]
            chart(charts.heatmap, pd.DataFrame(prow), x="feature", y="group", value="mean |attribution|",
                  title=f"Attribution profile by {feat}")
        proxies = info.proxies
        if proxies:
            pframe = pd.DataFrame([{"feature": str(p.feature), "proxy AUC": p.proxy_auc,
                                    "mutual information": p.mutual_information, "importance": p.importance} for p in proxies])
            st.caption(f"Proxies: how well each feature predicts {md_escape(feat)} (AUC), beside how much the model relies on "
                       "it. A feature high on both carries the sensitive attribute into the decision.")
            table(pframe.sort_values("proxy AUC", ascending=False), formats={"proxy AUC": "%.3f", "mutual information": "%.4f",
                                                                              "importance": "%.4f"})


def _faithfulness(X: ModelExplanation) -> None:
    st.subheader("Faithfulness and sanity checks")
    fa = X.faithfulness
    if fa is None or not fa.to_dict():
        not_run("Faithfulness checks")
        return
    cd = fa.convergence_delta or ConvergenceDelta()
    rt = fa.randomization_test or RandomizationTest()
    c = st.columns(4)
    c[0].metric("IG convergence delta (max)", fmt(cd.max_abs), help=f"Tolerance {fmt(cd.tolerance)}")
    c[1].metric("infidelity", fmt(fa.infidelity))
    c[2].metric("sensitivity (max)", fmt(fa.sensitivity_max))
    c[3].metric("randomisation test ρ", fmt(rt.spearman), help=f"Flagged above {fmt(rt.threshold)}")
    if cd.warning:
        st.warning("Integrated Gradients did not converge within the tolerance: raise n_steps.")
    if rt.flagged:
        st.error("Sanity check failed: attributions barely change when the model's weights are randomised, so they "
                 "do not explain this model (Adebayo et al. 2018).")
    dc = fa.deletion_curve or DeletionCurve()
    k = dc.k
    if k and len(dc.top) == len(k):
        parts = [pd.DataFrame({"k": k, "change": dc.top, "order": "top features first"})]
        if len(dc.random) == len(k):
            parts.append(pd.DataFrame({"k": k, "change": dc.random, "order": "random order"}))
        chart(charts.deletion_curve, pd.concat(parts, ignore_index=True))


def _maps(run: Run, X: ModelExplanation) -> None:
    maps = X.image_maps
    if not maps:
        return
    st.subheader("Saliency maps")
    cols = st.columns(min(4, len(maps)))
    for i, m in enumerate(maps):
        try:
            png = run_bytes(run.path, m.path, limit="IMAGE")
        except AuditError as exc:
            error(exc)
            continue
        cols[i % len(cols)].image(png, caption=str(m.caption or f"{m.method}: label {m.label}, predicted {m.prediction}"))


def render() -> None:
    """The Explainability page of the picked model."""
    run = require_run()
    r = run.result
    st.title("Explainability")
    ex = r.explainability or {}
    models = list(ex)
    if not models and r.is_text:
        not_applicable("Feature explanations", "A text classifier has no tabular features to attribute to. Its token "
                       "attributions (the tokens that raise and lower the score, and a deletion check) are on the "
                       "**Text** page.")
        return
    if not models:
        not_run("Explanations", "This run has no explainability section (set [explain] in the config).")
        return
    model = model_picker(models, key="ex_model")
    _, cohort_mask = cohort_scope(run, key="ex")
    X = ex[model]
    base = X.baseline or Baseline()
    st.caption(f"Method **{md_escape(X.method or '?')}**, baseline {md_escape(base.kind or '?')} "
               f"({md_escape(base.description or '')}); {fmt(X.n_rows)} rows explained "
               f"({md_escape(X.test_rows or '')}).")
    if X.target:
        st.caption(f"Explained output: **{md_escape(X.target)}**"
                   + (f" — {md_escape(X.target_description)}" if X.target_description else "") + ".")
    for w in X.warnings:
        st.warning(md_escape(w))
    _global(X)
    if isinstance(X.per_class_importance, dict) and X.per_class_importance:  # several classes: every class's importance
        show_per_class_importance(X.per_class_importance, X.explained_class)
    if cohort_mask is not None:
        _cohort(run, X, cohort_mask)
    _examples(r, X)
    _reliance(X)
    _faithfulness(X)
    _maps(run, X)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
