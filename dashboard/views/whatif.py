"""What-if: pick a test row (search, the active cohort, or a slice from Error analysis), edit its feature values and
see each model's score and the attributions recomputed. Models are rebuilt read-only from the run's weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from audit.exceptions import AuditError
from audit.result import AuditResult
from dashboard import _charts as charts
from dashboard._cohort_ui import cohort_frame
from dashboard._cohorts import cohort_label, cohort_mask, widget_label
from dashboard._data import md_escape
from dashboard._state import Run, active_cohort, predictions
from dashboard._tasks import whatif_note
from dashboard._ui import chart, error, not_applicable, not_run, radio, require_run, selectbox, table
from dashboard._whatif import (
    FACTORY_NOTE,
    attributions_by_feature,
    load_preprocessor,
    load_scorer,
)

__all__ = ["WHATIF_SLICE_KEY", "render"]

WHATIF_SLICE_KEY = "whatif_slice"
MAX_LISTED = 300


@st.cache_resource(max_entries=8, show_spinner=False)
def _scorers(path: str, sha: str) -> tuple:
    from pathlib import Path

    from dashboard._state import load_run, runs_root

    run = load_run(runs_root(), Path(path).name)
    r = run.result
    pre = load_preprocessor(run.path, r.artifacts.preprocessor)
    hidden = ((r.run.config or {}).get("model") or {}).get("hidden")
    scorers = {m: load_scorer(run.path, rel, n_features=len(pre.feature_names_), hidden=hidden)
               for m, rel in r.artifacts.weights.items()}
    return pre, scorers


def _candidates(run: Run, frame: pd.DataFrame) -> tuple[np.ndarray, str]:
    sources = ["all test rows"]
    slice_conds = st.session_state.get(WHATIF_SLICE_KEY)
    if slice_conds:
        sources.insert(0, f"slice: {cohort_label(slice_conds)}")
    if active_cohort():
        sources.insert(0 if not slice_conds else 1, f"cohort: {cohort_label(active_cohort())}")
    source = radio("Rows from", sources, key="wi_source", horizontal=True, format_func=md_escape)  # options render as Markdown
    conds = slice_conds if source.startswith("slice:") else active_cohort() if source.startswith("cohort:") else []
    mask = cohort_mask(frame, conds)
    query = st.text_input("Search rows", key="wi_search", placeholder="a value to look for, e.g. Sales or 45",
                          help="Rows whose values contain this text (any column).")
    if query.strip():
        text = frame.astype("string").fillna("")
        hit = np.zeros(len(frame), bool)
        for col in text.columns:
            hit |= text[col].str.contains(query.strip(), case=False, regex=False).to_numpy(bool)
        mask &= hit
    return np.nonzero(mask)[0], source


def _show(v: object) -> str:
    if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
        return str(int(v))
    return "missing" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)


def _open(run: Run) -> tuple | None:
    """The run's rows, preprocessor and rebuilt scorers, or None (and why) when they cannot be had."""
    r = run.result
    why = whatif_note(r)
    if why is not None:
        not_applicable("What-if", why)
        return None
    if ((r.run.config or {}).get("model") or {}).get("kind", "mlp") != "mlp":
        st.info(FACTORY_NOTE)
        return None
    if not r.artifacts.weights:
        not_run("What-if", "This run has no saved tabular model weights.")
        return None
    try:
        frame = cohort_frame(run)
        pre, scorers = _scorers(str(run.path), run.sha)
    except (AuditError, OSError, RuntimeError, ValueError) as exc:
        error(exc)
        return None
    missing = [c for c in pre.columns_ if c not in frame.columns]
    if missing:
        not_run("What-if", "This run does not store the raw test features (it was written before the error-analysis "
                f"stage; lacking {', '.join(md_escape(m) for m in missing[:5])}). Re-run the audit to edit rows.")
        return None
    return frame, pre, scorers


def _pick_row(run: Run, frame: pd.DataFrame, pre) -> tuple[pd.DataFrame, int] | None:
    """Choose a test row (search, cohort or slice); returns it with the model's input columns, and its index."""
    rows, source = _candidates(run, frame)
    if not len(rows):
        st.warning("No test row matches. Clear the search or pick another source.")
        return None
    st.caption(f"{len(rows):,} matching rows ({md_escape(source)}); the first {min(len(rows), MAX_LISTED)} are listed.")
    preds = predictions(run)
    first_model = preds["model"].iloc[0]
    y_true = preds.loc[preds["model"] == first_model, "y_true"].to_numpy()
    listed = rows[:MAX_LISTED]
    shown_cols = list(frame.columns)[:5]
    labels = {int(i): f"row {i} · true {y_true[i]} · " + ", ".join(f"{c}={_show(v)}" for c, v in zip(shown_cols, vals, strict=True))
              for i, vals in zip(listed, frame.iloc[listed][shown_cols].itertuples(index=False, name=None), strict=True)}
    pick = selectbox("Test row", listed, key="wi_row", format_func=lambda i: labels[int(i)])
    return frame.iloc[[int(pick)]][pre.columns_].reset_index(drop=True), int(pick)


def _edit(frame: pd.DataFrame, pre, original: pd.DataFrame, pick: int) -> pd.DataFrame:
    """An input per feature, starting at the row's values; returns the edited row."""
    st.subheader("Edit the row")
    edited = original.copy()
    cols = st.columns(3)
    for j, col in enumerate(pre.columns_):
        where = cols[j % 3]
        value = original.at[0, col]
        if col in pre.numeric_:
            v = float(value) if pd.notna(value) else float(pre.numeric_[col]["median"])
            whole = bool(np.all(np.mod(frame[col].dropna().to_numpy(np.float64)[:5000], 1) == 0))
            edited.at[0, col] = where.number_input(widget_label(col), value=int(v) if whole else v, step=1 if whole else None,
                                                   format=None if whole else "%g", key=f"wi_{pick}_{col}")
        else:
            options = list(pre.categories_[col])
            current = str(value) if pd.notna(value) else "<missing>"
            if current not in options:
                options.append(current)
            new = selectbox(widget_label(col), options, where=where, index=options.index(current), key=f"wi_{pick}_{col}")
            edited[col] = edited[col].astype(object)
            edited.at[0, col] = None if new == "<missing>" else new
    return edited


def _scores(r: AuditResult, pre, scorers: dict, original: pd.DataFrame, edited: pd.DataFrame) -> np.ndarray:
    """Each model's score of the original and the edited row, and its decisions; returns the edited row encoded."""
    changed = [c for c in pre.columns_ if str(original.at[0, c]) != str(edited.at[0, c])]
    st.subheader("Each model's score")
    X0, X1 = pre.transform(original), pre.transform(edited)
    out = []
    for m, scorer in scorers.items():
        s0, s1 = float(scorer.score(X0)[0]), float(scorer.score(X1)[0])
        chosen = r.models[m].decision_threshold if m in r.models else None
        cut = float(chosen.value) if chosen is not None and chosen.value is not None else 0.5
        out.append({"model": m, "original score": s0, "edited score": s1, "change": s1 - s0, "threshold": cut,
                    "decision": f"{'positive' if s0 >= cut else 'negative'} → {'positive' if s1 >= cut else 'negative'}"})
    table(pd.DataFrame(out), formats={"original score": "%.4f", "edited score": "%.4f", "change": "%+.4f", "threshold": "%.3f"})
    st.caption(("Edited: " + ", ".join(md_escape(c) for c in changed)) if changed else "No value edited yet: both columns "
               "score the original row (recomputed from the weights).")
    return X1


def _attributions(r: AuditResult, pre, scorers: dict, edited: pd.DataFrame, X1: np.ndarray) -> None:
    st.subheader("Attributions of the edited row")
    ordered = sorted(scorers, key=lambda m: (m != "private", m))  # private first: it is the one that ships
    model = radio("Model", ordered, horizontal=True, key="wi_model") if len(ordered) > 1 else ordered[0]
    att = attributions_by_feature(pre, scorers[model].integrated_gradients(X1[0]))
    att["value"] = [_show(edited.at[0, f]) for f in att["feature"]]
    left, right = st.columns([3, 2])
    chart(where=left, c=charts.signed_bars(att, category="feature", value="attribution", detail="value",
                                           title=f"Integrated Gradients, {model} model (edited row)"))
    with right:
        table(att.sort_values("attribution", key=abs, ascending=False), formats={"attribution": "%.4f"})
    st.caption("Integrated Gradients of the positive logit, 64 steps, from a baseline with numeric features at their training "
               "mean and every one-hot column at zero (the training category shares are not stored), summed per feature. "
               f"Model rebuilt from {md_escape(r.artifacts.weights.get(model))} with weights_only loading; the run is not modified.")


def render() -> None:
    """The What-if page: edit a test row of a binary table model and see each model's score and attributions."""
    run = require_run()
    st.title("What-if")
    opened = _open(run)
    if opened is None:
        return
    frame, pre, scorers = opened
    picked = _pick_row(run, frame, pre)
    if picked is None:
        return
    original, pick = picked
    edited = _edit(frame, pre, original, pick)
    X1 = _scores(run.result, pre, scorers, original, edited)
    _attributions(run.result, pre, scorers, edited, X1)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
