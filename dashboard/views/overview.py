"""Overview: the verdict, every gate with value, bound and result, run metadata and provenance."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard._data import dig, fmt, fmt_ci, md_escape
from dashboard._ui import not_run, require_run, table

run = require_run()
r = run.result
st.title("Overview")
st.caption(f"Run **{md_escape(run.name)}** · created {md_escape(dig(r, 'run', 'created_at') or 'unknown')} · "
           f"task {md_escape(dig(r, 'task') or 'unknown')}")

verdict = dig(r, "verdict")
gates = [g for g in (dig(r, "gates") or []) if isinstance(g, dict)]
failed_errors = [g for g in gates if g.get("passed") is False and g.get("severity", "error") == "error"]
warnings = [g for g in gates if g.get("passed") is False and g.get("severity") == "warning"]
if verdict == "pass":
    st.success(f"**Verdict: PASS** — {len(gates)} gate(s) checked, {len(warnings)} warning(s).")
elif verdict == "fail":
    st.error(f"**Verdict: FAIL** — {len(failed_errors)} gate(s) failed, {len(warnings)} warning(s).")
else:
    st.warning(f"**Verdict: {md_escape(verdict or 'not recorded')}**")

cols = st.columns(4)
models = dig(r, "models") or {}
for i, (name, info) in enumerate(list(models.items())[:2]):
    cols[i].metric(f"{md_escape(name)} accuracy", fmt(dig(info, "test_accuracy"), digits=4))
cols[2].metric("ε spent", fmt(dig(r, "privacy", "dp", "epsilon_spent")))
cols[3].metric("test rows", fmt(dig(r, "data", "n_test")))

st.subheader("Gates")
if not gates:
    not_run("Gates", "The config defines no [[gates]]; the verdict then rests on nothing.")
else:
    rows = []
    for g in gates:
        bound = " and ".join(s for s in (f"≥ {fmt(g.get('min'), digits=4)}" if g.get("min") is not None else "",
                                         f"≤ {fmt(g.get('max'), digits=4)}" if g.get("max") is not None else "") if s)
        result = "pass" if g.get("passed") else ("FAIL" if g.get("severity", "error") == "error" else "warning")
        rows.append({
            "result": result, "gate": g.get("name") or g.get("metric"), "metric": g.get("metric"),
            "model": g.get("model"), "feature": g.get("feature"), "severity": g.get("severity"),
            "value": fmt_ci({"value": g.get("value"), "ci": g.get("ci")}, digits=4),
            "compared": fmt(g.get("compared"), digits=4), "bound": bound, "message": g.get("message"),
        })
    table(pd.DataFrame(rows))
    st.caption("'compared' is the figure checked against the bound: the CI bound when the gate uses it, else the value. "
               "A metric that could not be computed never counts as a pass.")

st.subheader("Models")
if models:
    model_rows = [{"model": n, "private": dig(i, "private"), "accuracy": dig(i, "test_accuracy"),
                   "ROC AUC": dig(i, "test_roc_auc"), "parameters": dig(i, "n_parameters"),
                   "architecture": str(dig(i, "architecture") or ""), "epochs": dig(i, "epochs"),
                   "batch size": dig(i, "batch_size"), "learning rate": dig(i, "learning_rate"),
                   "optimizer": dig(i, "optimizer"), "train time (s)": dig(i, "train_wall_s")}
                  for n, i in models.items()]
    table(pd.DataFrame(model_rows), formats={"accuracy": "%.4f", "ROC AUC": "%.4f", "train time (s)": "%.2f"})
else:
    not_run("Models")

left, right = st.columns(2)
with left:
    st.subheader("Data")
    data = dig(r, "data")
    if not data:
        not_run("Data summary")
    else:
        facts = {k: data.get(k) for k in ("source", "test_source", "n_train", "n_test", "target", "positive_label",
                                          "base_rate_train", "base_rate_test", "sensitive_used_as_features",
                                          "n_encoded_features")}
        facts["sensitive features"] = ", ".join(map(str, data.get("sensitive_features") or []))
        facts["features"] = ", ".join(map(str, data.get("features") or []))
        facts["dropped columns"] = ", ".join(map(str, data.get("dropped_columns") or []))
        table(pd.DataFrame({"field": list(facts), "value": [fmt(v, digits=4) if v is not None else "—" for v in facts.values()]}))
        if data.get("attribution"):
            st.caption(md_escape(data["attribution"]))
with right:
    st.subheader("Provenance")
    meta = dig(r, "run") or {}
    prov = {"run name": meta.get("name"), "created (UTC)": meta.get("created_at"), "seed": meta.get("seed"),
            "config sha256": meta.get("config_sha256"), "config file sha256": meta.get("config_file_sha256"),
            "manifest sha256": run.sha}
    for f, h in (meta.get("data_sha256") or {}).items():
        prov[f"data {f}"] = h
    for m, h in (meta.get("weights_sha256") or {}).items():
        prov[f"weights {m}"] = h
    env = meta.get("environment") or {}
    for k in ("python", "platform", "machine", "torch_threads", "git_commit"):
        prov[k] = env.get(k)
    for lib, version in (env.get("libraries") or {}).items():
        prov[lib] = version
    table(pd.DataFrame({"field": list(prov), "value": [fmt(v) if v is not None else "—" for v in prov.values()]}))
    st.caption("Check these hashes against the files with `rai-audit verify RUN_DIR` (the Review page runs it too).")

config = dig(r, "run", "config")
if config:
    with st.expander("Normalised config"):
        st.json(config, expanded=False)
