"""Explainability pieces for the tasks beyond binary tables: example labels per task, and a multiclass model's
importance for every class (``per_class_importance`` beside the explained class)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audit.choices import TaskKind
from dashboard import _charts as charts
from dashboard._data import fmt, md_escape
from dashboard._ui import chart, selectbox, table

__all__ = ["example_label", "per_class_frame", "show_per_class_importance"]


def example_label(e: Any, *, kind: TaskKind, explained_class: Any = None) -> str:
    """How a per-example explanation is listed: what the true value and the explained output mean for the kind.

    Examples
    --------
    >>> from audit.choices import TASK_KINDS
    >>> from audit.result import Example
    >>> example_label(Example(row=3, kind="sample", y_true=1, y_score=0.25), kind=TASK_KINDS["multiclass"],
    ...               explained_class="Sales")
    'row 3 · sample · true class is Sales: yes · P(Sales) 0.250'
    """
    head = f"row {e.row} · {e.kind}"
    if not kind.classifier:
        return f"{head} · target {fmt(e.y_true)} · prediction {fmt(e.y_score)} (standardised)"
    if kind.has_classes and explained_class is not None:
        is_class = {1: "yes", 0: "no"}.get(e.y_true, e.y_true)  # True and False are the keys 1 and 0
        return f"{head} · true class is {explained_class}: {is_class} · P({explained_class}) {fmt(e.y_score)}"
    return f"{head} · true {e.y_true} · score {fmt(e.y_score)}"


def per_class_frame(per_class: dict[str, Any]) -> pd.DataFrame:
    """Long frame: class, feature, mean |attribution|, mean signed (from FeatureImportance entries or plain dicts)."""
    rows = []
    for cls, entries in per_class.items():
        for g in entries or []:
            g = g.to_dict() if hasattr(g, "to_dict") else g  # FeatureImportance, or a plain dict
            if isinstance(g, dict):
                raw_ci = g.get("ci")
                ci = raw_ci if isinstance(raw_ci, list) and len(raw_ci) == 2 else [None, None]
                rows.append({"class": str(cls), "feature": str(g.get("feature")), "mean |attribution|": g.get("mean_abs"),
                             "lo": ci[0], "hi": ci[1], "mean signed": g.get("mean_signed")})
    return pd.DataFrame(rows, columns=["class", "feature", "mean |attribution|", "lo", "hi", "mean signed"])


def show_per_class_importance(per_class: dict[str, Any], explained_class: Any) -> None:
    """A multiclass model's global importance for every class: a class × feature heatmap and one class's bars."""
    frame = per_class_frame(per_class)
    if frame.empty:
        return
    st.subheader("Importance for every class")
    st.caption(f"The figures above, the examples and the checks explain **{md_escape(explained_class)}** (one class "
               "against the rest, in log-odds). Here each class's own log-odds are attributed the same way, so a feature "
               "that drives one occupation and not another shows up.")
    chart(charts.heatmap, frame, x="feature", y="class", value="mean |attribution|",
          title="Mean |attribution| per class and feature")
    classes = list(dict.fromkeys(frame["class"]))
    pick = selectbox("Class", classes, key="ex_class",
                     index=classes.index(str(explained_class)) if str(explained_class) in classes else 0)
    part = frame[frame["class"] == pick]
    left, right = st.columns(2)
    has_ci = part[["lo", "hi"]].notna().all(axis=None) and not part.empty
    chart(charts.bars_with_ci, part, category="feature", value="mean |attribution|",
          lo="lo" if has_ci else None, hi="hi" if has_ci else None,
          title=f"Mean |attribution| for {pick}" + (" with interval" if has_ci else ""), where=left)
    chart(charts.signed_bars, part.dropna(subset=["mean signed"]), category="feature", value="mean signed",
          title=f"Mean signed effect on the log-odds of {pick}", where=right)
    with st.expander("As a table"):
        table(frame.pivot(index="feature", columns="class", values="mean |attribution|").reset_index(),
              formats=dict.fromkeys(classes, "%.3f"))
