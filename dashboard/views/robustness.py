"""Robustness: how each model's decisions change when its test rows are perturbed, overall and by group."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.result import WORST_CELLS, AuditResult, ModelRobustness, PerturbationResult
from dashboard import _charts as charts
from dashboard._data import fmt, fmt_interval, md_escape
from dashboard._ui import chart, model_picker, not_run, require_run, selectbox, table

__all__ = ["render"]

_NOT_RUN = ("This run has no robustness section: it was switched off (robustness.enabled = false), the model is a "
            "regression (no decision to flip), or the run was written before the robustness audit existed.")


def _ci(ci: list[float | None] | None) -> str:
    return fmt_interval(ci, number="{:.3f}".format)  # fixed decimals: fmt writes small ends in e-notation


def _gates(r: AuditResult, model: str) -> list[dict]:
    """The run's gates on robustness figures of this model, outcome first, as the verdict reads them; the bounds of
    its group gates (drawn on the by-group chart)."""
    gates = [g for g in r.gates if g.metric.startswith("robustness_") and g.model == model]
    for g in gates:
        outcome = (g.outcome or ("pass" if g.passed else "fail")).upper()
        box = st.success if outcome == "PASS" else st.warning if outcome == "INCONCLUSIVE" or g.severity == "warning" else st.error
        box(f"**{outcome}** ({md_escape(g.severity)}) — {md_escape(g.message)}")
    return [{"value": g.max, "label": f"gate ≤ {g.max:g}"} for g in gates
            if g.max is not None and g.metric == "robustness_group_flip_rate"]


def _worst(block: ModelRobustness) -> None:
    cols = st.columns(len(WORST_CELLS))
    for col, (key, label) in zip(cols, WORST_CELLS.items(), strict=True):
        w = block.worst.get(key)
        if w is None or w.value is None:
            col.metric(label, "—", help=(w.reason if w is not None else None) or "no cell has rows")
            continue
        where = ", ".join(x for x in (w.perturbation, f"{w.feature} = {w.group}" if w.group else None) if x)
        col.metric(label, fmt(w.value), help=f"{where} ({w.n} rows); interval simultaneous over {w.n_family} cells")
        col.caption(f"{_ci(w.ci)} · {md_escape(where)}")


def _settings(block: ModelRobustness) -> None:
    rows = []
    for res in block.results:
        o = res.overall
        if o is None:
            continue
        rows.append({"perturbation": res.label or res.perturbation, "flip rate": o.flip_rate,
                     "flip rate interval": _ci(o.flip_rate_ci), "accuracy before": o.accuracy,
                     "accuracy after": o.accuracy_perturbed, "accuracy drop": o.accuracy_drop,
                     "drop interval": _ci(o.accuracy_drop_ci), "rows": o.n})
    table(pd.DataFrame(rows), formats={"flip rate": "%.4f", "accuracy before": "%.4f", "accuracy after": "%.4f",
                                       "accuracy drop": "%.4f"})


def _groups(result: PerturbationResult, bounds: list[dict]) -> None:
    frame = pd.DataFrame([{"group": f"{g.feature} = {g.group} (n={g.n})", "flip rate": g.flip_rate,
                           "lo": (g.flip_rate_ci or [None, None])[0], "hi": (g.flip_rate_ci or [None, None])[1],
                           "accuracy drop": g.accuracy_drop, "drop interval": _ci(g.accuracy_drop_ci)}
                          for g in result.groups if g.flip_rate is not None])
    if frame.empty:
        not_run("Groups", "the run has no sensitive feature")
        return
    overall = result.overall.flip_rate if result.overall is not None else None
    marks = bounds + ([{"value": overall, "label": "overall"}] if overall is not None else [])
    chart(charts.points_with_ci, frame, category="group", value="flip rate", lo="lo", hi="hi",
          title=f"Flip rate by group: {result.label}", bounds=marks)
    table(frame.drop(columns=["lo", "hi"]), formats={"flip rate": "%.4f", "accuracy drop": "%.4f"})


def render() -> None:
    """The Robustness page: gates first, the worst cells, every setting, then one setting by group."""
    run = require_run()
    r = run.result
    st.title("Robustness")
    rb = r.robustness
    if rb is None or not rb.models:
        not_run("The robustness audit", _NOT_RUN)
        return
    level = f"{rb.level:.0%}" if rb.level is not None else "n/a"
    st.caption(f"Decisions on {rb.rows or 0:,} test rows ({md_escape(rb.sample or 'all')}) perturbed; sensitive columns "
               f"never changed ({md_escape(', '.join(rb.excluded_columns) or 'none')}). Intervals are simultaneous over "
               f"{rb.n_family} cells at {level}, so the worst cell keeps its coverage.")
    model = model_picker(list(rb.models), key="robustness_model")
    block = rb.models[model]
    bounds = _gates(r, model)
    _worst(block)
    st.subheader("Every setting, all rows")
    _settings(block)
    st.subheader("By group")
    labels = [res.label or res.perturbation for res in block.results]
    if labels:
        worst = max(range(len(labels)), key=lambda i: max((g.flip_rate or 0.0 for g in block.results[i].groups),
                                                           default=0.0))
        chosen = selectbox("Perturbation (the one with the largest group flip rate first)", labels, index=worst,
                           key="robustness_setting")
        _groups(block.results[labels.index(chosen)], [b for b in bounds if b])
    with st.expander("How the rows were perturbed"):
        for res in block.results:
            st.markdown(f"- **{md_escape(res.label or res.perturbation)}**: {md_escape(res.description or '')}")
        st.caption(md_escape(rb.interval or ""))


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
