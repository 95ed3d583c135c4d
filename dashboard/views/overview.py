"""Overview: the verdict, every gate with value, bound and result, run metadata and provenance."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.result import Data, Environment
from dashboard._data import fmt, fmt_ci, md_escape
from dashboard._ui import not_run, require_run, table

run = require_run()
r = run.result
st.title("Overview")
st.caption(f"Run **{md_escape(run.name)}** · created {md_escape(r.run.created_at or 'unknown')} · "
           f"task {md_escape((r.task if r.has('task') else None) or 'unknown')}")

verdict = r.verdict if r.has("verdict") else None
gates = r.gates


def _severity(g) -> str | None:
    return g.severity if g.has("severity") else "error"


failed_errors = [g for g in gates if g.passed is False and _severity(g) == "error"]
warnings = [g for g in gates if g.passed is False and g.severity == "warning"]
if verdict == "pass":
    st.success(f"**Verdict: PASS** — {len(gates)} gate(s) checked, {len(warnings)} warning(s).")
elif verdict == "fail":
    st.error(f"**Verdict: FAIL** — {len(failed_errors)} gate(s) failed, {len(warnings)} warning(s).")
else:
    st.warning(f"**Verdict: {md_escape(verdict or 'not recorded')}**")

cols = st.columns(4)
models = r.models
dp = r.privacy.dp if r.privacy is not None else None
for i, (name, info) in enumerate(list(models.items())[:2]):
    cols[i].metric(f"{md_escape(name)} accuracy", fmt(info.test_accuracy, digits=4))
cols[2].metric("ε spent", fmt(dp.epsilon_spent if dp is not None else None))
cols[3].metric("test rows", fmt(r.data.n_test))

st.subheader("Gates")
if not gates:
    not_run("Gates", "The config defines no [[gates]]; the verdict then rests on nothing.")
else:
    rows = []
    for g in gates:
        bound = " and ".join(s for s in (f"≥ {fmt(g.min, digits=4)}" if g.min is not None else "",
                                         f"≤ {fmt(g.max, digits=4)}" if g.max is not None else "") if s)
        result = "pass" if g.passed else ("FAIL" if _severity(g) == "error" else "warning")
        rows.append({
            "result": result, "gate": g.name or g.metric, "metric": g.metric,
            "model": g.model, "feature": g.feature, "severity": g.severity,
            "value": fmt_ci({"value": g.value, "ci": g.ci}, digits=4),
            "compared": fmt(g.compared, digits=4), "bound": bound, "message": g.message,
        })
    table(pd.DataFrame(rows))
    st.caption("'compared' is the figure checked against the bound: the CI bound when the gate uses it, else the value. "
               "A metric that could not be computed never counts as a pass.")

st.subheader("Models")
if models:
    model_rows = [{"model": n, "private": i.private, "accuracy": i.test_accuracy,
                   "ROC AUC": i.test_roc_auc, "parameters": i.n_parameters,
                   "architecture": str(i.architecture or ""), "epochs": i.epochs,
                   "batch size": i.batch_size, "learning rate": i.learning_rate,
                   "optimizer": i.optimizer, "train time (s)": i.train_wall_s}
                  for n, i in models.items()]
    table(pd.DataFrame(model_rows), formats={"accuracy": "%.4f", "ROC AUC": "%.4f", "train time (s)": "%.2f"})
else:
    not_run("Models")

left, right = st.columns(2)
with left:
    st.subheader("Data")
    data: Data = r.data
    if not data.to_dict():
        not_run("Data summary")
    else:
        facts = {k: getattr(data, k) for k in ("source", "test_source", "n_train", "n_test", "target", "positive_label",
                                               "base_rate_train", "base_rate_test", "sensitive_used_as_features",
                                               "n_encoded_features")}
        facts["sensitive features"] = ", ".join(map(str, data.sensitive_features))
        facts["features"] = ", ".join(map(str, data.features))
        facts["dropped columns"] = ", ".join(map(str, data.dropped_columns))
        table(pd.DataFrame({"field": list(facts), "value": [fmt(v, digits=4) if v is not None else "—" for v in facts.values()]}))
        if data.attribution:
            st.caption(md_escape(data.attribution))
with right:
    st.subheader("Provenance")
    meta = r.run
    prov = {"run name": meta.name, "created (UTC)": meta.created_at, "seed": meta.seed,
            "config sha256": meta.config_sha256, "config file sha256": meta.config_file_sha256,
            "manifest sha256": run.sha}
    for f, h in meta.data_sha256.items():
        prov[f"data {f}"] = h
    for m, h in meta.weights_sha256.items():
        prov[f"weights {m}"] = h
    env = meta.environment or Environment()
    for k in ("python", "platform", "machine", "torch_threads", "git_commit"):
        prov[k] = getattr(env, k)
    for lib, version in env.libraries.items():
        prov[lib] = version
    table(pd.DataFrame({"field": list(prov), "value": [fmt(v) if v is not None else "—" for v in prov.values()]}))
    st.caption("Check these hashes against the files with `rai-audit verify RUN_DIR` (the Review page runs it too).")

config = r.run.config
if config:
    with st.expander("Normalised config"):
        st.json(config, expanded=False)
