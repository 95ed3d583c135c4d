"""Error analysis: the test-set slices where each model errs most (``audit.slices``); pick one to make it a cohort
or to open a row of it in What-if. Scoped to the active cohort, the search is re-run on the cohort's rows."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import streamlit as st

from audit.exceptions import AuditError
from audit.result import AuditResult, ModelSlices, Slice, Slices
from audit.slices import find_slices
from dashboard import _charts as charts
from dashboard._cohort_ui import cohort_frame, cohort_scope
from dashboard._cohorts import cohort_label, cohort_mask, encode, from_slice
from dashboard._data import fmt, md_escape
from dashboard._state import Run, load_run, predictions, runs_root, set_cohort
from dashboard._tasks import whatif_note
from dashboard._ui import chart, error, model_picker, not_applicable, not_run, radio, require_run, selectbox

__all__ = ["WHATIF_SLICE_KEY", "render"]

WHATIF_SLICE_KEY = "whatif_slice"
_NO_ERROR_RATE = ("The slice search ranks conjunctions of feature conditions by their error rate (a wrong class), and a "
                  "regression model has no error rate, only errors of some size. The **Fairness** page shows the "
                  "error (MAE, RMSE, mean error) by group, with intervals.")
_TEXT_ROWS = ("The slice search runs over tabular feature values, and a text classifier's rows are free texts. The "
              "**Text** page shows where the model treats identity terms differently (counterfactual flips, subgroup "
              "AUCs).")
_RANKINGS = {"error rate": "by_error_rate", "gap to the rest of the test set": "by_gap"}


@st.cache_data(max_entries=32, show_spinner=False)
def _search_cohort(path: str, sha: str, model: str, cohort: str, depth: int, min_size: int) -> dict:
    """The slice search re-run on a cohort's rows (cached per run, model and cohort)."""
    run = load_run(runs_root(), Path(path).name)
    frame = cohort_frame(run)
    mask = cohort_mask(frame, json.loads(cohort))
    preds = predictions(run)
    part = preds[preds["model"] == model].reset_index(drop=True)[mask]
    found = find_slices(frame[mask].reset_index(drop=True), y_true=part["y_true"], y_pred=part["y_pred"],
                        max_depth=depth, min_size=min_size)
    found.pop("settings")
    return found


def _not_applicable(r: AuditResult) -> str | None:
    """Why the slice search does not apply to this run (None when it does)."""
    if r.slices is not None and r.slices.models:
        return None
    if not r.kind.slices:  # no label mismatches to count: a regression
        return _NO_ERROR_RATE
    return _TEXT_ROWS if r.is_text else None


def _scoped(run: Run, S: Slices, model: str, conds: list, mask) -> tuple[ModelSlices, str]:
    """The model's slices, or the search re-run on the active cohort's rows."""
    found: ModelSlices = S.models[model]
    if mask is None:
        return found, "whole test set"
    try:
        return ModelSlices.from_dict(_search_cohort(str(run.path), run.sha, model, encode(conds), int(S.max_depth or 2),
                                                    int(S.min_size or 30))), "cohort"
    except AuditError as exc:
        error(exc)
        return found, "whole test set"


def _headline(r: AuditResult, model: str, found: ModelSlices, scope: str) -> object:
    """The error rate, how many slices were examined and found worse, and the slice gate; returns the gate."""
    gate = next((g for g in r.gates if g.metric == "max_significant_slice_error_rate" and g.model == model), None)
    c = st.columns(4)
    c[0].metric(f"error rate ({scope})", fmt(found.overall_error_rate), help=f"{fmt(found.errors)} of {fmt(found.n)} rows wrong")
    family = (f" The correction counts {fmt(found.n_family)} slices: every slice the numeric cuts could form, since "
              "the cuts look at the errors." if found.n_family and found.n_family != found.n_examined else "")
    c[1].metric("slices examined", fmt(found.n_examined), help="By depth: " + ", ".join(
        f"{d}: {fmt(n)}" for d, n in found.examined_by_depth.items()) + "." + family)
    c[2].metric("significantly worse slices", fmt(found.n_significant))
    c[3].metric("max significant slice error rate", fmt(found.max_significant_error_rate),
                help="The gate metric max_significant_slice_error_rate: the overall error rate when no slice is significant.")
    if gate is not None:
        (st.success if gate.passed else st.error)(f"Gate **{md_escape(gate.name)}**: {md_escape(gate.message)}")
    return gate


def _slice_table(slices: list[Slice], found: ModelSlices, gate, scope: str, ranking: str, key: str):
    """The top slices as a chart and a selectable table; returns the table's selection event."""
    rows = pd.DataFrame([{"slice": s.label, "rows": s.size, "errors": s.errors, "error rate": s.error_rate,
                          "lo": (s.ci or [None, None])[0], "hi": (s.ci or [None, None])[1], "gap": s.gap,
                          "p (Holm)": s.p_adjusted, "significant": bool(s.significant)} for s in slices])
    bounds = [{"value": found.overall_error_rate, "label": f"{scope} {fmt(found.overall_error_rate)}"}]
    if gate is not None and gate.max is not None:
        bounds.append({"value": gate.max, "label": f"gate ≤ {fmt(gate.max)}"})
    top = rows.head(12)
    chart(charts.bars_with_ci, top.assign(slice=[f"{i + 1}. {t}" for i, t in enumerate(top["slice"])]), category="slice",
          value="error rate", lo="lo", hi="hi", title=f"Top slices by {ranking} ({scope}), with intervals",
          bounds=bounds)
    st.caption("Click a row to pick the slice (or choose it below), then make it a cohort or open one of its rows in What-if.")
    return st.dataframe(rows, hide_index=True, on_select="rerun", selection_mode="single-row", key=key,
                        column_config={c: st.column_config.NumberColumn(format="%.4f") for c in ("error rate", "lo", "hi", "gap")}
                        | {"p (Holm)": st.column_config.NumberColumn(format="%.2e")})


def _pick(event, slices: list[Slice], slice_key: str) -> Slice:
    picked = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    if picked and st.session_state.get("_ea_last_pick") != (slice_key, picked[0]):
        st.session_state["_ea_last_pick"] = (slice_key, picked[0])
        st.session_state[slice_key] = picked[0]
    if st.session_state.get(slice_key, 0) >= len(slices):
        st.session_state[slice_key] = 0
    i = selectbox("Slice", range(len(slices)), format_func=lambda k: f"{k + 1}. {slices[k].label}", key=slice_key)
    return slices[i]


def _chosen(r: AuditResult, chosen: Slice, conds: list, mask) -> None:
    """The picked slice in words, and what to do with it: a cohort, or a row in What-if (binary tables)."""
    kind = r.kind
    st.markdown(f"**{md_escape(chosen.label)}**: {fmt(chosen.size)} rows, error rate {fmt(chosen.error_rate)} "
                f"[{fmt((chosen.ci or [None])[0])}, {fmt((chosen.ci or [None, None])[1])}], rest {fmt(chosen.rest_error_rate)}, "
                + (f"{fmt(chosen.false_positives)} false positives and {fmt(chosen.false_negatives)} false negatives; "
                   if kind.has_positive_class else "errors = a wrong class; ")
                + ("significant after the correction." if chosen.significant else "**not** significant after the correction."))
    a, b = st.columns(2)
    if a.button("Use as cohort", key="ea_to_cohort", type="primary"):
        new = from_slice(chosen.conditions)
        combined = conds + [c for c in new if c not in conds] if mask is not None else new
        set_cohort(combined, name=chosen.label)
        st.session_state["ea_notice"] = encode(combined)  # shown while this cohort is the active one
        st.rerun()
    if whatif_note(r) is not None:
        b.caption("What-if rescores rows of binary tabular models only.")
    elif b.button("Open a row in What-if", key="ea_to_whatif"):
        new = from_slice(chosen.conditions)
        st.session_state[WHATIF_SLICE_KEY] = conds + [c for c in new if c not in conds] if mask is not None else new
        st.switch_page("views/whatif.py", query_params=st.query_params.to_dict())  # the run and cohort stay in the link


def render() -> None:
    """The Error analysis page: the slices where the picked model errs most, as cohorts or What-if rows."""
    run = require_run()
    r = run.result
    st.title("Error analysis")
    S = r.slices
    why = _not_applicable(r)
    if why is not None:
        not_applicable("Error analysis", why)
        return
    if S is None or not S.models:
        not_run("Error analysis", "This run has no slices section: it was written before the error-analysis stage. "
                "Re-run the audit with this rai-audit to find where the models fail.")
        return
    st.caption(f"Slices: {md_escape(S.method or '')}. Test: {md_escape(S.test or '')}; **{md_escape(S.correction or '?')}** "
               f"correction over every slice examined, or with adaptive numeric cuts every slice they could form "
               f"(family-wise error rate {fmt(S.alpha)}); intervals: "
               f"{md_escape(S.interval or '')} at level {fmt(S.level)}.")
    model = model_picker(list(S.models), key="ea_model")
    conds, mask = cohort_scope(run, key="ea")
    found, scope = _scoped(run, S, model, conds, mask)
    if mask is not None and st.session_state.get("ea_notice") == encode(conds):
        st.success(f"Cohort set: **{md_escape(cohort_label(conds))}**. Fairness, Explainability, Error analysis "
                   "and Cohorts are now scoped to it.")
    gate = _headline(r, model, found, scope)
    ranking = radio("Rank by", list(_RANKINGS), horizontal=True, key="ea_rank",
                    help="Error rate: where the model is most often wrong. Gap: slice error rate minus the rest's, "
                         "the disparity between the slice and everyone else.")
    slices = getattr(found, _RANKINGS[ranking])
    if not slices:
        not_run("Slices", f"No slice of at least {fmt(S.min_size)} rows (and fewer than all) in the {scope} of "
                f"{fmt(found.n)} rows." + (" Clear the cohort or widen it to search within it." if mask is not None else ""))
        return
    event = _slice_table(slices, found, gate, scope, ranking, key=f"ea_table_{ranking}")
    slice_key = f"ea_slice_{model}_{ranking}_{encode(conds) if mask is not None else ''}"  # the list differs per scope
    _chosen(r, _pick(event, slices, slice_key), conds, mask)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
