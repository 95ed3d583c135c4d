"""Runs: every run under the root with verdict, date, model, ε and worst disparities; compare two side by side."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.exceptions import AuditError
from dashboard._data import dig, fmt, md_escape
from dashboard._state import RUN_KEY, list_run_names, load_run, runs_root, summaries
from dashboard._ui import error, table

st.title("Runs")
root = runs_root()
names = list_run_names(root) if root.is_dir() else []
if not names:
    st.info(f"No complete run under **{md_escape(root)}** yet. A run appears here once `rai-audit run` has finished writing it.")
    st.stop()

frame, problems = summaries(root, names)
for p in problems:
    error(p)
if not frame.empty:
    st.caption("Newest first. Pick the run to review in the sidebar; every page shows that run. "
               "Disparities are the largest over the sensitive features, for the private model when there is one.")
    shown = frame.drop(columns=[c for c in frame.columns if c.endswith(" feature")])
    table(shown, formats={"accuracy reference": "%.4f", "accuracy private": "%.4f", "ε spent": "%.3f",
                          "ε target": "%.3f", "max DP difference": "%.4f", "max EO difference": "%.4f"})

st.subheader("Compare two runs")
st.caption("E.g. a private run against a non-private one, or a run before and after mitigation.")
if len(names) < 2:
    st.info("Only one run under the root: write a second run to compare.")
    st.stop()

left, right = st.columns(2)
default_a = st.session_state.get(RUN_KEY, names[0])
a = left.selectbox("Run A", names, index=names.index(default_a) if default_a in names else 0, key="compare_a")
b = right.selectbox("Run B", names, index=1 if names[0] == a else 0, key="compare_b")


def _rows(result: dict) -> dict[str, object]:
    """The figures compared side by side (None where the run lacks them)."""
    out: dict[str, object] = {"verdict": dig(result, "verdict"), "created": dig(result, "run", "created_at"),
                              "seed": dig(result, "run", "seed"), "test rows": dig(result, "data", "n_test")}
    for model, info in (dig(result, "models") or {}).items():
        out[f"{model}: accuracy"] = dig(info, "test_accuracy")
        out[f"{model}: ROC AUC"] = dig(info, "test_roc_auc")
        out[f"{model}: parameters"] = dig(info, "n_parameters")
        for feature, block in (dig(result, "fairness", model, "by_feature") or {}).items():
            for d in ("demographic_parity_difference", "equalized_odds_difference"):
                out[f"{model}: {d} ({feature})"] = dig(block, "disparities", d, "value")
        for attack, res in (dig(result, "privacy", "membership_inference", model, "attacks") or {}).items():
            out[f"{model}: membership-inference AUC ({attack})"] = dig(res, "auc")
    out["ε spent"] = dig(result, "privacy", "dp", "epsilon_spent")
    out["δ"] = dig(result, "privacy", "dp", "delta")
    out["canary ε lower bound"] = dig(result, "privacy", "canary_audit", "epsilon_lower_bound")
    out["total wall time (s)"] = dig(result, "compute", "total_wall_s")
    for g in dig(result, "gates") or []:
        if isinstance(g, dict):
            out[f"gate: {g.get('name') or g.get('metric')}"] = "pass" if g.get("passed") else "FAIL"
    return out


try:
    ra, rb = load_run(root, a).result, load_run(root, b).result
except AuditError as exc:
    error(exc)
    st.stop()
fa, fb = _rows(ra), _rows(rb)
keys = list(dict.fromkeys([*fa, *fb]))


def _delta(x: object, y: object) -> str:
    if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool) and not isinstance(y, bool):
        return fmt(y - x, digits=4)
    return ""


compare = pd.DataFrame({
    "figure": keys,
    "A": [fmt(fa.get(k), digits=4) if k in fa else "not in run" for k in keys],
    "B": [fmt(fb.get(k), digits=4) if k in fb else "not in run" for k in keys],
    "B − A": [_delta(fa.get(k), fb.get(k)) for k in keys],
})
st.caption(f"A = {md_escape(a)}, B = {md_escape(b)}")
table(compare, height=min(36 * (len(compare) + 1), 700))
