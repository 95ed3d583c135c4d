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
from dashboard._counterfactual import Feasibility, feasibility
from dashboard._data import md_escape
from dashboard._state import Run, active_cohort, predictions
from dashboard._tasks import whatif_note
from dashboard._ui import chart, error, not_applicable, not_run, radio, require_run, selectbox, table
from dashboard._whatif import (
    FACTORY_NOTE,
    Scorer,
    attributions_by_feature,
    explanation_baseline,
    load_preprocessor,
    scorer_for,
)
from dashboard._whatif_search import show_counterfactual, show_sensitive_flips

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
    factory = _trusted_factory(r)
    return pre, {m: scorer_for(r, run.path, m, pre=pre, factory=factory) for m in r.artifacts.weights}


def _trusted_factory(r) -> str | None:
    """The run's factory when whoever started the dashboard trusted it (``--trust-factory``), else None."""
    from dashboard._state import trusted_factories

    spec = (r.run.config or {}).get("model") or {}
    factory = str(spec.get("factory") or "") if spec.get("kind") == "factory" else ""
    return factory if factory and factory in trusted_factories() else None


@st.cache_resource(max_entries=8, show_spinner=False)
def _feasibility(path: str, sha: str) -> Feasibility:
    from pathlib import Path

    from dashboard._state import load_run, runs_root

    run = load_run(runs_root(), Path(path).name)
    pre, _ = _scorers(path, sha)
    frame = cohort_frame(run)
    return feasibility(frame, numeric=list(pre.numeric_), categories={c: list(v) for c, v in pre.categories_.items()})


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
    if r.input_kind != "table":
        not_applicable("What-if", whatif_note(r) or "What-if edits the feature values of a tabular row.")
        return None
    spec = (r.run.config or {}).get("model") or {}
    if spec.get("kind", "mlp") != "mlp" and _trusted_factory(r) is None:
        # shown in code spans, where Markdown escapes would print; a backtick could end the span, so none is kept
        st.info(FACTORY_NOTE.format(spec=str(spec.get("factory") or "module:function").replace("`", "'")))
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


def _edit(frame: pd.DataFrame, pre, original: pd.DataFrame, pick: int, feas: Feasibility) -> pd.DataFrame:
    """An input per feature, starting at the row's values, kept to the data's values; returns the edited row."""
    st.subheader("Edit the row")
    edited = original.copy()
    cols = st.columns(3)
    for j, col in enumerate(pre.columns_):
        where = cols[j % 3]
        value = original.at[0, col]
        if col in pre.numeric_:
            v = float(value) if pd.notna(value) else float(pre.numeric_[col]["median"])
            whole = bool(np.all(np.mod(frame[col].dropna().to_numpy(np.float64)[:5000], 1) == 0))
            lo, hi = feas.ranges.get(col, (min(v, 0.0), max(v, 0.0)))
            lo, hi = min(lo, v), max(hi, v)  # the rows' range: an edit cannot leave it
            edited.at[0, col] = where.number_input(
                widget_label(col), value=int(v) if whole else v, step=1 if whole else None, format=None if whole else "%g",
                min_value=int(lo) if whole else lo, max_value=int(hi) if whole else hi, key=f"wi_{pick}_{col}",
                help=f"Between {lo:g} and {hi:g}, the range of the {feas.n_rows:,} test rows.")
        else:
            options = list(pre.categories_[col])
            current = str(value) if pd.notna(value) else "<missing>"
            if current not in options:
                options.append(current)
            new = selectbox(widget_label(col), options, where=where, index=options.index(current), key=f"wi_{pick}_{col}")
            edited[col] = edited[col].astype(object)
            edited.at[0, col] = None if new == "<missing>" else new
    for problem in feas.problems(edited.iloc[0].to_dict()):
        st.warning(f"Impossible combination: {md_escape(problem)}. The scores below are for a row the data does not hold.")
    return edited


def _score_row(scorer: Scorer, out: np.ndarray) -> tuple[float, str]:
    """The figure shown for one row: P(positive), P(predicted class) or the prediction, and its decision."""
    decision = scorer.decisions(out[None] if scorer.kind.has_classes else out[:1])[0]
    return (float(np.max(out)) if scorer.kind.has_classes else float(out[0])), decision


def _scores(pre, scorers: dict[str, Scorer], original: pd.DataFrame, edited: pd.DataFrame) -> np.ndarray:
    """Each model's output for the original and the edited row, and its decisions; returns the edited row encoded."""
    changed = [c for c in pre.columns_ if str(original.at[0, c]) != str(edited.at[0, c])]
    st.subheader("Each model's output")
    X0, X1 = pre.transform(original), pre.transform(edited)
    out = []
    for m, scorer in scorers.items():
        (s0, d0), (s1, d1) = (_score_row(scorer, scorer.outputs(X)[0 if scorer.kind.has_classes else slice(0, 1)])
                              for X in (X0, X1))
        row = {"model": m, "original": s0, "edited": s1, "change": s1 - s0, "decision": f"{d0} → {d1}"}
        if scorer.kind.has_threshold:
            row["threshold"] = scorer.threshold
        out.append(row)
    kind = next(iter(scorers.values())).kind
    what = ("P(predicted class)" if kind.has_classes else "P(positive)" if kind.classifier
            else "prediction (target units)")
    table(pd.DataFrame(out).rename(columns={"original": f"original {what}", "edited": f"edited {what}"}),
          formats={f"original {what}": "%.4f", f"edited {what}": "%.4f", "change": "%+.4f", "threshold": "%.3f"})
    if kind.has_classes:
        _class_probabilities(scorers, X0, X1)
    st.caption(("Edited: " + ", ".join(md_escape(c) for c in changed)) if changed else "No value edited yet: both columns "
               "score the original row (recomputed from the weights).")
    return X1


def _class_probabilities(scorers: dict[str, Scorer], X0: np.ndarray, X1: np.ndarray) -> None:
    """A multiclass model's probability of every class, original and edited (the most probable first)."""
    frames = []
    for m, scorer in scorers.items():
        p0, p1 = scorer.outputs(X0)[0], scorer.outputs(X1)[0]
        frames.append(pd.DataFrame({"model": m, "class": scorer.classes, "original": p0, "edited": p1}))
    probs = pd.concat(frames, ignore_index=True).sort_values(["model", "edited"], ascending=[True, False])
    with st.expander("Every class's probability"):
        table(probs, formats={"original": "%.4f", "edited": "%.4f"})


def _explained_class(r: AuditResult, model: str, scorer: Scorer) -> int | None:
    X = (r.explainability or {}).get(model)
    cls = X.explained_class if X is not None else None
    return scorer.classes.index(str(cls)) if scorer.kind.has_classes and str(cls) in scorer.classes else None


def _attributions(run: Run, frame: pd.DataFrame, pre, scorers: dict[str, Scorer], edited: pd.DataFrame,
                  X1: np.ndarray) -> None:
    r = run.result
    st.subheader("Attributions of the edited row")
    ordered = sorted(scorers, key=lambda m: (m != "private", m))  # private first: it is the one that ships
    model = radio("Model", ordered, horizontal=True, key="wi_model") if len(ordered) > 1 else ordered[0]
    X = (r.explainability or {}).get(model)
    baseline, note = explanation_baseline(r, run.path, model, pre=pre, rows=frame[pre.columns_])
    method = (X.method if X is not None else None) or "integrated_gradients"
    k = _explained_class(r, model, scorers[model])
    seed = int(r.run.seed or 0)  # the audit's seed: a sampling method draws what the audit drew
    att = attributions_by_feature(pre, scorers[model].attribute(X1, baseline=baseline, method=method, k=k, seed=seed))
    att["value"] = [_show(edited.at[0, f]) for f in att["feature"]]
    target = X.target if X is not None and X.target else "the model's output"
    left, right = st.columns([3, 2])
    chart(charts.signed_bars, att, category="feature", value="attribution", detail="value",
          title=f"{method.replace('_', ' ').capitalize()}, {model} model (edited row)", where=left)
    with right:
        table(att.sort_values("attribution", key=abs, ascending=False), formats={"attribution": "%.4f"})
    base = X.baseline if X is not None and X.baseline is not None else None
    st.caption(f"Attributions of {md_escape(target)} with the run's explanation settings ({md_escape(method)}, baseline "
               f"{md_escape(base.kind if base else 'training_mean')}: {md_escape(base.description if base else '')}), "
               "summed per feature: an unedited row gets the attributions the Explainability page shows for it. "
               f"Model rebuilt from {md_escape(r.artifacts.weights.get(model))} with weights_only loading; the run is "
               "not modified.")
    if note:
        st.info(note)


def render() -> None:
    """The What-if page: edit a test row of a built-in table model (any task) and see each model's output, the nearest
    change that flips its decision, the sensitive-value flips and the attributions."""
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
    feas = _feasibility(str(run.path), run.sha)
    edited = _edit(frame, pre, original, pick, feas)
    X1 = _scores(pre, scorers, original, edited)
    show_counterfactual(run.result, pre, scorers, edited, feas)
    show_sensitive_flips(run.result, pre, scorers, edited, feas)
    _attributions(run, frame, pre, scorers, edited, X1)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
