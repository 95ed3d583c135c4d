"""Explainability: global importance with CIs, per-example explanations, group reliance and proxies,
faithfulness figures, and saliency maps for image runs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.exceptions import AuditError
from dashboard import _charts as charts
from dashboard._data import dig, fmt, md_escape, run_file
from dashboard._ui import chart, error, model_picker, not_run, require_run, table

run = require_run()
r = run.result
st.title("Explainability")
ex = dig(r, "explainability")
models = [m for m in (ex or {}) if isinstance(ex.get(m), dict)] if isinstance(ex, dict) else []
if not models:
    not_run("Explanations", "This run has no explainability section (set [explain] in the config).")
    st.stop()

model = model_picker(models, key="ex_model")
X = ex[model]
base = X.get("baseline") or {}
st.caption(f"Method **{md_escape(X.get('method') or '?')}**, baseline {md_escape(base.get('kind') or '?')} "
           f"({md_escape(base.get('description') or '')}); {fmt(X.get('n_rows'))} rows explained "
           f"({md_escape(X.get('test_rows') or '')}).")
for w in X.get("warnings") or []:
    st.warning(md_escape(w))

# --- global importance -----------------------------------------------------------------------------
st.subheader("Global importance")
imp = [g for g in (X.get("global_importance") or []) if isinstance(g, dict)]
if not imp:
    not_run("Global importance")
else:
    frame = pd.DataFrame([{"feature": str(g.get("feature")), "mean |attribution|": g.get("mean_abs"),
                           "lo": (g.get("ci") or [None, None])[0], "hi": (g.get("ci") or [None, None])[1],
                           "mean signed": g.get("mean_signed")} for g in imp])
    left, right = st.columns(2)
    chart(where=left, c=charts.bars_with_ci(frame, category="feature", value="mean |attribution|", lo="lo", hi="hi",
                                          title="Mean |attribution| with interval"))
    chart(where=right, c=charts.signed_bars(frame.dropna(subset=["mean signed"]), category="feature", value="mean signed",
                                          title="Mean signed effect"))

# --- per-example ---------------------------------------------------------------------------------
st.subheader("Per-example explanations")
examples = [e for e in (X.get("examples") or []) if isinstance(e, dict)]
if not examples:
    not_run("Per-example explanations")
else:
    labels = [f"row {e.get('row')} · {e.get('kind')} · true {e.get('y_true')} · score {fmt(e.get('y_score'))}" for e in examples]
    pick = st.selectbox("Example", range(len(examples)), format_func=lambda i: labels[i], key="ex_example")
    contrib = pd.DataFrame([{"feature": str(c.get("feature")), "value": str(c.get("value")), "attribution": c.get("attribution")}
                            for c in examples[pick].get("contributions") or [] if isinstance(c, dict)])
    if contrib.empty:
        not_run("Contributions for this example")
    else:
        left, right = st.columns([3, 2])
        chart(where=left, c=charts.signed_bars(contrib.dropna(subset=["attribution"]), category="feature", value="attribution",
                                             detail="value", title="Contribution to the score"))
        with right:
            table(contrib, formats={"attribution": "%.4f"})

# --- group reliance --------------------------------------------------------------------------------
st.subheader("Group reliance and proxies")
rel = X.get("group_reliance") or {}
if not rel:
    not_run("Group reliance")
for feat, info in rel.items():
    info = info or {}
    st.markdown(f"**{md_escape(feat)}**: share of attribution on the feature itself "
                f"{md_escape(fmt(info.get('sensitive_feature_share')))}")
    profiles = info.get("profiles") or {}
    if profiles:
        prow = [{"group": str(g), "feature": str(f), "mean |attribution|": v} for g, p in profiles.items() for f, v in (p or {}).items()]
        chart(charts.heatmap(pd.DataFrame(prow), x="feature", y="group", value="mean |attribution|",
                                       title=f"Attribution profile by {feat}"))
    proxies = [p for p in info.get("proxies") or [] if isinstance(p, dict)]
    if proxies:
        pframe = pd.DataFrame([{"feature": str(p.get("feature")), "proxy AUC": p.get("proxy_auc"),
                                "mutual information": p.get("mutual_information"), "importance": p.get("importance")} for p in proxies])
        st.caption(f"Proxies: how well each feature predicts {md_escape(feat)} (AUC), beside how much the model relies on it. "
                   "A feature high on both carries the sensitive attribute into the decision.")
        table(pframe.sort_values("proxy AUC", ascending=False), formats={"proxy AUC": "%.3f", "mutual information": "%.4f",
                                                                          "importance": "%.4f"})

# --- faithfulness ----------------------------------------------------------------------------------
st.subheader("Faithfulness and sanity checks")
fa = X.get("faithfulness") or {}
if not fa:
    not_run("Faithfulness checks")
else:
    cd = fa.get("convergence_delta") or {}
    rt = fa.get("randomization_test") or {}
    c = st.columns(4)
    c[0].metric("IG convergence delta (max)", fmt(cd.get("max_abs")), help=f"Tolerance {fmt(cd.get('tolerance'))}")
    c[1].metric("infidelity", fmt(fa.get("infidelity")))
    c[2].metric("sensitivity (max)", fmt(fa.get("sensitivity_max")))
    c[3].metric("randomisation test ρ", fmt(rt.get("spearman")), help=f"Flagged above {fmt(rt.get('threshold'))}")
    if cd.get("warning"):
        st.warning("Integrated Gradients did not converge within the tolerance: raise n_steps.")
    if rt.get("flagged"):
        st.error("Sanity check failed: attributions barely change when the model's weights are randomised, so they "
                 "do not explain this model (Adebayo et al. 2018).")
    dc = fa.get("deletion_curve") or {}
    k = dc.get("k") or []
    if k and len(dc.get("top") or []) == len(k):
        parts = [pd.DataFrame({"k": k, "change": dc["top"], "order": "top features first"})]
        if len(dc.get("random") or []) == len(k):
            parts.append(pd.DataFrame({"k": k, "change": dc["random"], "order": "random order"}))
        chart(charts.deletion_curve(pd.concat(parts, ignore_index=True)))

# --- image maps ------------------------------------------------------------------------------------
maps = [m for m in (X.get("image_maps") or []) if isinstance(m, dict)]
if maps:
    st.subheader("Saliency maps")
    cols = st.columns(min(4, len(maps)))
    for i, m in enumerate(maps):
        try:
            path = run_file(run.path, m.get("path"))
        except AuditError as exc:
            error(exc)
            continue
        cols[i % len(cols)].image(str(path), caption=str(m.get("caption") or f"{m.get('method')}: label {m.get('label')}, "
                                                                         f"predicted {m.get('prediction')}"))
