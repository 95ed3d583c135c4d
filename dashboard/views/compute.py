"""Compute: time, FLOPs, memory, energy and CO2, each labelled measured or estimated."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.result import Compute, Energy
from dashboard import _charts as charts
from dashboard._data import fmt, md_escape
from dashboard._ui import chart, not_run, require_run, table

__all__ = ["render"]

def _label(e: Energy) -> str:
    """measured / estimated / partly measured, as codecarbon tracked it (older records: from the RAPL flag)."""
    if e.energy_label:
        return e.energy_label
    return "not tracked" if e.energy_measured is None else ("measured" if e.energy_measured else "estimated")


def _totals(comp: Compute) -> None:
    total = comp.total or Energy()
    label = _label(total)
    c = st.columns(4)
    c[0].metric("total wall time (s)", fmt(comp.total_wall_s, digits=2))
    c[1].metric("peak memory (MiB)", fmt(comp.peak_memory_mb, digits=1))
    c[2].metric(f"energy (kWh, {label})", fmt(total.energy_kwh), help=total.energy_basis or None)
    c[3].metric("CO2 (kg, estimated)", fmt(total.co2_kg), help="always an estimate: energy × grid carbon intensity")
    st.caption(f"Energy is **{label}**: {md_escape(total.energy_basis or '')}. CO2 basis: {md_escape(total.co2_basis or '')}.")
    _tracking(comp)


def _tracking(comp: Compute) -> None:
    """Each component's basis and the grid, as codecarbon reported them."""
    t = comp.energy_tracking
    if t is None:
        return
    if t.label is None:
        st.caption(f"Energy was not tracked: {md_escape(t.error or 'no reason recorded')}.")
        return
    # each component reads "measured (how)" or "estimated (how)"
    rows = [{"part": name.upper(), "energy": how.split(" (", 1)[0], "how": how.split(" (", 1)[1][:-1] if " (" in how else ""}
            for name, how in t.components.items()]
    grid = (t.country_iso_code or "n/a") + (f", {t.region}" if t.region else "")
    intensity = f"{t.carbon_intensity_g_per_kwh:.0f} gCO2e/kWh" if t.carbon_intensity_g_per_kwh is not None else "n/a"
    rows.append({"part": "grid (CO2)", "energy": "", "how": f"{grid}: {intensity}"})
    st.markdown(f"**Energy basis**: codecarbon {md_escape(t.codecarbon_version or '')} ({md_escape(t.tracking_mode or '')} mode)")
    table(pd.DataFrame(rows))


def _stages(comp: Compute) -> None:
    st.subheader("Stages")
    stages = comp.stages
    if not stages:
        not_run("Per-stage timing")
        return
    frame = pd.DataFrame([{"stage": name, "wall (s)": s.wall_s, "CPU (s)": s.cpu_s, "energy (kWh)": s.energy_kwh,
                           "energy": _label(s),
                           "CO2 (kg)": s.co2_kg} for name, s in stages.items()])
    left, right = st.columns([2, 3])
    chart(charts.bars_with_ci, frame.dropna(subset=["wall (s)"]), category="stage", value="wall (s)",
          title="Wall time per stage", where=left)
    with right:
        table(frame, formats={"wall (s)": "%.2f", "CPU (s)": "%.2f", "energy (kWh)": "%.2e", "CO2 (kg)": "%.2e"})


def _models(comp: Compute) -> None:
    st.subheader("Models: private vs non-private cost")
    per_model = comp.models
    if not per_model:
        not_run("Per-model cost")
        return
    table(pd.DataFrame([{"model": m, "parameters": i.n_parameters, "FLOPs / example": i.flops_per_example,
                         "training FLOPs (estimate)": i.training_flops_estimate, "train wall (s)": i.train_wall_s,
                         "train CPU (s)": i.train_cpu_s, "energy (kWh)": i.energy_kwh, "CO2 (kg)": i.co2_kg,
                         "energy basis": i.energy_basis} for m, i in per_model.items()]),
          formats={"training FLOPs (estimate)": "%.3e", "train wall (s)": "%.2f", "train CPU (s)": "%.2f",
                   "energy (kWh)": "%.2e", "CO2 (kg)": "%.2e"})
    st.caption("Training FLOPs ≈ 3 × forward FLOPs × examples × epochs; DP's per-sample gradient work is not counted.")


def render() -> None:
    """The Compute page: time, memory, energy and CO2, per stage and per model."""
    run = require_run()
    r = run.result
    st.title("Compute and environmental impact")
    comp = r.compute
    if comp is None:
        not_run("Compute footprint", "This run recorded no compute section.")
        return
    _totals(comp)
    _stages(comp)
    _models(comp)
    if comp.assumptions:
        with st.expander("Assumptions"):
            table(pd.DataFrame({"assumption": list(comp.assumptions), "value": [fmt(v) for v in comp.assumptions.values()]}))


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
