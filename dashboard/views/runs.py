"""Runs: every run under the root with verdict, date, model, ε and worst disparities; compare two side by side."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from audit.exceptions import AuditError
from audit.result import AuditResult
from dashboard._data import fmt, md_escape
from dashboard._review_status import review_status
from dashboard._state import RUN_KEY, list_run_names, load_run, runs_root, summaries
from dashboard._ui import error, selectbox, table
from reports._kinds import kind_view

__all__ = ["render"]


# What a reviewer decides from, first (visible at 1,400 px without scrolling); the figures follow.
_FIRST = ["run", "verdict", "review", "gates failing the verdict",
          "warning gates not passed", "gates inconclusive", "serious concerns", "task", "created"]


def _short_time(text: object) -> object:
    """``2025-06-01T00:00:00+00:00`` as ``2025-06-01 00:00`` (the clock time as recorded), so the column fits at 1,400 px."""
    if not isinstance(text, str) or len(text) < 16 or text[10] != "T":
        return text
    return f"{text[:10]} {text[11:16]}"


def _runs_table(root: Path, names: list[str]) -> None:
    """Every run under the root, newest first, with its task figures beside accuracy."""
    frame, problems = summaries(root, names)
    for p in problems:
        error(p)
    if frame.empty:
        return
    st.caption("Newest first (by creation time; recording a review does not reorder). Pick the run to review in the "
               "sidebar; every page shows that run. Review: the latest decision recorded. Disparities are the largest "
               "over the sensitive features, for the private model when there is one.")
    frame = frame.rename(columns={"concerns": "serious concerns"})
    frame.insert(2, "review", [review_status(root / n).text for n in frame["run"]])
    if "created" in frame:
        frame["created"] = [_short_time(t) for t in frame["created"]]
    first = [c for c in _FIRST if c in frame.columns]
    frame = frame[first + [c for c in frame.columns if c not in first]]
    shown = frame.drop(columns=[c for c in frame.columns if c.endswith(" feature")])
    if "task figures" in shown and shown["task figures"].notna().any():  # beside accuracy, where a reader looks
        cols = [c for c in shown.columns if c != "task figures"]
        at = cols.index("accuracy private") + 1 if "accuracy private" in cols else len(cols)
        shown = shown[cols[:at] + ["task figures"] + cols[at:]]
    else:
        shown = shown.drop(columns=["task figures"], errors="ignore")
    table(shown, formats={"accuracy reference": "%.4f", "accuracy private": "%.4f", "ε spent": "%.3f",
                          "ε target": "%.3f", "max DP difference": "%.4f", "max EO difference": "%.4f"})


def _rows(result: AuditResult) -> dict[str, object]:
    """The figures compared side by side (None where the run lacks them)."""
    out: dict[str, object] = {"verdict": result.verdict if result.has("verdict") else None, "created": result.run.created_at,
                              "seed": result.run.seed, "test rows": result.data.n_test}
    fairness = result.group_audits
    compared = [d for d in ("demographic_parity_difference", "equalized_odds_difference") if d in kind_view(result).disparities]
    privacy = result.privacy
    dp = privacy.dp if privacy is not None else None
    canary = privacy.canary_audit if privacy is not None else None
    for model, info in result.models.items():
        out[f"{model}: accuracy"] = info.test_accuracy
        out[f"{model}: ROC AUC"] = info.test_roc_auc
        for label, value in (("macro F1", info.test_macro_f1), ("balanced accuracy", info.test_balanced_accuracy),
                             ("MAE", info.test_mae), ("RMSE", info.test_rmse), ("R²", info.test_r2)):
            if value is not None:
                out[f"{model}: {label}"] = value
        out[f"{model}: parameters"] = info.n_parameters
        F = fairness.get(model)
        for feature, block in (F.by_feature if F is not None else {}).items():
            for d in compared:
                entry = block.disparities.get(d)
                out[f"{model}: {d} ({feature})"] = entry.value if entry is not None else None
        found = result.slices.models.get(model) if result.slices is not None else None
        if found is not None:
            out[f"{model}: significantly worse slices"] = found.n_significant
            out[f"{model}: max significant slice error rate"] = found.max_significant_error_rate
        mia = privacy.membership_inference.get(model) if privacy is not None else None
        for attack, res in (mia.attacks if mia is not None else {}).items():
            out[f"{model}: membership-inference AUC ({attack})"] = res.auc
    out["ε spent"] = dp.epsilon_spent if dp is not None else None
    out["δ"] = dp.delta if dp is not None else None
    out["canary ε lower bound"] = canary.epsilon_lower_bound if canary is not None else None
    out["total wall time (s)"] = result.compute.total_wall_s if result.compute is not None else None
    for g in result.gates:
        out[f"gate: {g.name or g.metric}"] = "pass" if g.passed else "FAIL"
    return out


def _delta(x: object, y: object) -> str:
    if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool) and not isinstance(y, bool):
        return fmt(y - x, digits=4)
    return ""


def _compare(root: Path, names: list[str]) -> None:
    """Two runs side by side: every figure of either, and B − A."""
    st.subheader("Compare two runs")
    st.caption("E.g. a private run against a non-private one, or a run before and after mitigation.")
    if len(names) < 2:
        st.info("Only one run under the root: write a second run to compare.")
        return
    left, right = st.columns(2)
    default_a = st.session_state.get(RUN_KEY, names[0])
    a = selectbox("Run A", names, where=left, index=names.index(default_a) if default_a in names else 0, key="compare_a")
    b = selectbox("Run B", names, where=right, index=1 if names[0] == a else 0, key="compare_b")
    try:
        ra, rb = load_run(root, a).result, load_run(root, b).result
    except AuditError as exc:
        error(exc)
        return
    fa, fb = _rows(ra), _rows(rb)
    keys = list(dict.fromkeys([*fa, *fb]))
    compare = pd.DataFrame({
        "figure": keys,
        "A": [fmt(fa.get(k), digits=4) if k in fa else "not in run" for k in keys],
        "B": [fmt(fb.get(k), digits=4) if k in fb else "not in run" for k in keys],
        "B − A": [_delta(fa.get(k), fb.get(k)) for k in keys],
    })
    st.caption(f"A = {md_escape(a)}, B = {md_escape(b)}")
    table(compare, height=min(36 * (len(compare) + 1), 700))


def render() -> None:
    """The Runs page: every run under the root, and two of them compared."""
    st.title("Runs")
    root = runs_root()
    names = list_run_names(root) if root.is_dir() else []
    if st.session_state.get(RUN_KEY) in names:
        st.caption(f"Selected run: **{md_escape(st.session_state[RUN_KEY])}** (every other page shows it).")
    if not names:
        st.info(f"No complete run under **{md_escape(root)}** yet. A run appears here once `rai-audit run` has finished "
                "writing it.")
        return
    _runs_table(root, names)
    _compare(root, names)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
