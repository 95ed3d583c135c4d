"""The Compute and environmental impact section: time, FLOPs, memory, energy and CO2 per stage and model.

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {}}))
>>> compute(ctx)["status"]
'not run'
"""

from __future__ import annotations

from typing import Any

from audit.result import Energy
from audit.result._compute import EnergyTracking
from reports._plain import not_run as _not_run
from reports._plain import text as _text
from reports._sections.context import CardContext
from reports._sections.context import given as _given
from reports._sections.context import plain as _plain

__all__ = ["compute"]


def _tracking(t: EnergyTracking | None) -> dict[str, Any] | None:
    """How codecarbon obtained the figures: one line per component and the grid (None for older records)."""
    if t is None:
        return None
    if t.label is None:
        return {"label": "not tracked", "lines": [_text(t.error) or "energy was not tracked"]}
    grid = t.country_iso_code + (f", {t.region}" if t.region else "") if t.country_iso_code else "n/a"
    intensity = f"{t.carbon_intensity_g_per_kwh:.0f} gCO2e/kWh" if t.carbon_intensity_g_per_kwh is not None else "n/a"
    lines = [f"{name.upper()}: {_text(how)}" for name, how in t.components.items()]
    lines.append(f"grid: {grid}, {intensity}")
    return {"label": t.label, "tool": f"codecarbon {t.codecarbon_version} ({t.tracking_mode} mode)", "lines": lines}


def compute(ctx: CardContext) -> dict[str, Any]:
    """What the audit cost: each stage's and each model's time, FLOPs, energy and CO2 (measured or estimated)."""
    result = ctx.result
    c = result.compute
    if c is None or not _given(c):
        return {**_not_run("compute accounting not available"), "stages": [], "models": []}
    stages = [{"stage": str(k), "wall_s": v.wall_s, "cpu_s": v.cpu_s, "energy_kwh": v.energy_kwh,
               "co2_kg": v.co2_kg, "energy_measured": v.energy_measured is True}
              for k, v in c.stages.items()]  # fmt: skip
    models = []
    for name in [n for n in ctx.model_names if n in c.models] + [n for n in c.models if n not in result.models]:
        m = c.models[name]
        models.append({"model": name, **{k: getattr(m, k) for k in (
            "n_parameters", "flops_per_example", "training_flops_per_example", "training_flops_estimate",
            "train_wall_s", "train_cpu_s", "energy_kwh", "co2_kg")}, "energy_basis": _text(m.energy_basis),
            "training_flops_basis": _text(m.training_flops_basis)})  # fmt: skip
    by = {m["model"]: m for m in models}
    comparison = None
    if "reference" in by and "private" in by:
        def ratio(key: str) -> float | None:
            a, b = by["private"].get(key), by["reference"].get(key)
            return a / b if a is not None and b else None

        comparison = {k: ratio(k) for k in ("train_wall_s", "train_cpu_s", "training_flops_estimate", "energy_kwh", "co2_kg")}
    total = c.total or Energy()
    label = total.energy_label or (None if total.energy_measured is None else
                                   "measured" if total.energy_measured else "estimated")
    return {
        "status": "ok",
        "stages": stages,
        "models": models,
        "private_vs_reference": comparison,
        "total_wall_s": c.total_wall_s,
        "peak_memory_mb": c.peak_memory_mb,
        "total": {"energy_kwh": total.energy_kwh, "co2_kg": total.co2_kg,
                  "energy_measured": total.energy_measured is True, "energy_label": label or "not tracked",
                  "energy_basis": _text(total.energy_basis), "co2_basis": _text(total.co2_basis)},
        "tracking": _tracking(c.energy_tracking),
        "assumptions": _plain(c.assumptions),
    }
