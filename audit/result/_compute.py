"""The compute section: time, FLOPs, memory and energy per stage and per model.

Examples
--------
>>> c = Compute.from_dict({"stages": {"train": {"wall_s": 1.5}}, "total": {"energy_measured": False}})
>>> c.stages["train"].wall_s, c.total.energy_measured
(1.5, False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from audit.result._base import Schema, Section, doc

__all__ = ["Compute", "Energy", "EnergyTracking", "ModelCompute", "Stage"]

_NonNegative = Annotated[float, Schema(minimum=0)]
_Count = Annotated[int, Schema(minimum=0)]


@dataclass(kw_only=True)
class Energy(Section):
    """Energy and CO2 (measured or estimated)."""

    energy_kwh: _NonNegative | None = field(default=None, metadata=doc("energy, kWh"))
    energy_basis: str | None = field(default=None, metadata=doc("how energy was obtained"))
    energy_measured: bool | None = field(default=None, metadata=doc("every component measured, none estimated"))
    energy_label: str | None = field(default=None, metadata=doc(
        "as codecarbon tracked it: measured, estimated or partly measured (e.g. CPU by RAPL, RAM estimated)"))
    co2_kg: _NonNegative | None = field(default=None, metadata=doc("CO2e, kg"))
    co2_basis: str | None = field(default=None, metadata=doc("how CO2 was obtained"))


@dataclass(kw_only=True)
class Stage(Energy):
    """One pipeline stage."""

    wall_s: _NonNegative = field(metadata=doc("wall time, seconds"))
    cpu_s: _NonNegative | None = field(default=None, metadata=doc("CPU time, seconds"))
    energy_j_measured: _NonNegative | None = field(default=None, metadata=doc("measured energy, joules (records "
                                                                              "before codecarbon: RAPL counters)"))


@dataclass(kw_only=True)
class ModelCompute(Section):
    """Cost of one model."""

    n_parameters: _Count | None = field(default=None, metadata=doc("trainable parameters"))
    flops_per_example: _Count | None = field(default=None, metadata=doc("forward FLOPs per example"))
    training_flops_per_example: int | None = field(default=None, metadata=doc("training-step FLOPs per example"))
    training_flops_basis: str | None = field(default=None, metadata=doc("how training FLOPs were counted"))
    training_flops_estimate: _Count | None = field(default=None, metadata=doc("total training FLOPs"))
    train_wall_s: _NonNegative | None = field(default=None, metadata=doc("training wall time, seconds"))
    train_cpu_s: _NonNegative | None = field(default=None, metadata=doc("training CPU time, seconds"))
    energy_kwh: float | None = field(default=None, metadata=doc("training energy, kWh"))
    co2_kg: float | None = field(default=None, metadata=doc("training CO2e, kg"))
    energy_basis: str | None = field(default=None, metadata=doc("how energy was obtained"))
    energy_label: str | None = field(default=None, metadata=doc("measured, estimated or partly measured"))


@dataclass(kw_only=True)
class EnergyTracking(Section):
    """How codecarbon obtained the run's energy and CO2."""

    label: str | None = field(default=None, metadata=doc("measured, estimated or partly measured; null: not tracked"))
    error: str | None = field(default=None, metadata=doc("why energy was not tracked"))
    codecarbon_version: str | None = field(default=None, metadata=doc("codecarbon's version"))
    tracking_mode: str | None = field(default=None, metadata=doc("codecarbon's tracking mode (process or machine)"))
    country_iso_code: str | None = field(default=None, metadata=doc("the grid's country (compute.country_iso_code)"))
    region: str | None = field(default=None, metadata=doc("the grid's region (compute.region)"))
    carbon_intensity_g_per_kwh: _NonNegative | None = field(default=None, metadata=doc("grid intensity used, gCO2e/kWh"))
    components: dict[str, str] = field(default_factory=dict, metadata=doc("cpu/gpu/ram → measured or estimated, and how"))
    energy_basis: str | None = field(default=None, metadata=doc("how energy was obtained"))
    co2_basis: str | None = field(default=None, metadata=doc("how CO2 was obtained"))


@dataclass(kw_only=True)
class Compute(Section):
    """Compute and environmental cost."""

    stages: dict[str, Stage] = field(default_factory=dict, metadata=doc("stage → time and energy", required=True))
    models: dict[str, ModelCompute] = field(default_factory=dict, metadata=doc("model → cost"))
    total_wall_s: _NonNegative | None = field(default=None, metadata=doc("whole run wall time, seconds"))
    peak_memory_mb: _NonNegative | None = field(default=None, metadata=doc("peak resident memory, MB"))
    total: Energy | None = field(default=None, metadata=doc("energy and CO2 over all stages"))
    energy_tracking: EnergyTracking | None = field(default=None, metadata=doc("codecarbon's tracking: mode, grid, "
                                                                               "each component's basis"))
    assumptions: dict[str, Any] = field(default_factory=dict, metadata=doc("power draw, carbon intensity, energy source"))
