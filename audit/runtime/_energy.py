"""Energy and CO2 of named blocks through codecarbon's ``OfflineEmissionsTracker``.

codecarbon measures what it can (CPU through Intel RAPL, NVIDIA GPUs through
NVML) and estimates the rest (the CPU from its TDP × this process's load when
RAPL is unreadable; RAM from its size); CO2 is energy × the intensity it knows
for the country (and region), or a stated one. The tracker is offline (the
country comes from the config, so it never looks the location up), writes no
file (``output_methods=[]``: no CSV, API, logger or Prometheus output), logs errors only, and is used through tasks
only, so no periodic measurement runs between stages and no thread outlives a
stage. A tracker that fails leaves energy unknown, with the reason, rather than
stopping the audit.
"""

from __future__ import annotations

import logging
from typing import Any

from audit.config import ComputeSection

__all__ = ["EnergyMeter", "COMPONENT_BASIS"]

#: codecarbon's CPU modes that read energy counters (the rest estimate from TDP × load or a constant).
_MEASURED_CPU_MODES = {"intel_rapl": "RAPL counters", "intel_power_gadget": "Intel Power Gadget",
                       "windows_emi": "Windows energy meter"}
#: How codecarbon obtains each component's energy, by its hardware class (CPU: by its mode).
COMPONENT_BASIS = {
    "GPU": ("measured", "NVML/ROCm energy counters"),
    "AppleSiliconChip": ("measured", "powermetrics"),
    "RAM": ("estimated", "codecarbon's RAM power model (memory size)"),
    "Raspberry": ("estimated", "codecarbon's Raspberry Pi power model"),
}


def _quiet() -> None:
    # codecarbon logs its set-up at INFO on its own logger before log_level applies
    logging.getLogger("codecarbon").setLevel(logging.ERROR)


def _component(hardware: Any) -> tuple[str, str, str]:
    """(component, "measured"/"estimated", how) for one of codecarbon's hardware objects."""
    kind = type(hardware).__name__
    if kind == "CPU":
        mode = str(getattr(hardware, "_mode", "unknown"))
        if mode in _MEASURED_CPU_MODES:
            return "cpu", "measured", _MEASURED_CPU_MODES[mode]
        how = "TDP × this process's CPU load" if mode == "cpu_load" else f"constant power ({mode})"
        return "cpu", "estimated", how
    label, how = COMPONENT_BASIS.get(kind, ("estimated", kind))
    return kind.lower(), label, how


class EnergyMeter:
    """One codecarbon tracker, one task per timed block.

    Parameters
    ----------
    settings : ComputeSection
        ``country_iso_code``, ``region``, ``carbon_intensity_g_per_kwh`` (None: codecarbon's figure for the
        country/region) and ``power_watts`` (None: codecarbon's TDP estimate; used only where RAPL is unreadable).

    Examples
    --------
    >>> meter = EnergyMeter(ComputeSection(country_iso_code="FRA"))
    >>> task = meter.start("work")
    >>> used = meter.stop(task)
    >>> sorted(used) if used else None
    ['co2_kg', 'energy_kwh']
    """

    def __init__(self, settings: ComputeSection) -> None:
        self.settings = settings
        self.error: str | None = None
        self._tracker: Any = None
        self._count = 0
        self._last: Any = None
        self._stated_power: float | None = None

    def _ensure(self) -> Any:
        if self._tracker is None and self.error is None:
            try:
                self._tracker = self._make()
            except Exception as exc:  # an estimate that cannot be made must not stop the audit
                self.error = f"codecarbon could not start ({type(exc).__name__}: {exc})"
        return self._tracker

    def _make(self) -> Any:
        _quiet()
        from codecarbon import OfflineEmissionsTracker
        from codecarbon.core.cpu import is_rapl_available

        s = self.settings
        _quiet()
        extra: dict[str, Any] = {}
        if s.carbon_intensity_g_per_kwh is not None:
            extra["force_carbon_intensity_g_co2e_kwh"] = float(s.carbon_intensity_g_per_kwh)
        if s.power_watts is not None and not is_rapl_available():  # a stated power must not replace a measurement
            extra["force_cpu_power"] = self._stated_power = float(s.power_watts)
        return OfflineEmissionsTracker(
            country_iso_code=s.country_iso_code, region=s.region, output_methods=[], log_level="error",
            tracking_mode="process", allow_multiple_runs=True, project_name="rai-audit", **extra)

    def start(self, name: str) -> str | None:
        """Start a task for ``name``; its id, or None when energy cannot be tracked."""
        tracker = self._ensure()
        if tracker is None:
            return None
        self._count += 1
        task = f"{name}#{self._count}"  # codecarbon keys tasks by name: a repeated stage needs its own
        try:
            tracker.start_task(task)
        except Exception as exc:
            self.error = f"codecarbon failed ({type(exc).__name__}: {exc})"
            self._tracker = None
            return None
        return task

    def stop(self, task: str | None) -> dict[str, float] | None:
        """Energy (kWh) and CO2 (kg) of the task ``start`` returned; None when not tracked."""
        if task is None or self._tracker is None:
            return None
        try:
            data = self._tracker.stop_task(task)
        except Exception as exc:
            self.error = f"codecarbon failed ({type(exc).__name__}: {exc})"
            self._tracker = None
            return None
        self._last = data
        return {"energy_kwh": float(data.energy_consumed), "co2_kg": float(data.emissions)}

    def basis(self) -> dict[str, Any]:
        """What the figures rest on: codecarbon's version, tracking mode, grid, and each component's basis.

        ``label`` is "measured" when every component was measured, "estimated" when none was,
        "partly measured" otherwise (typically: the CPU by RAPL, RAM estimated); None when nothing was tracked.
        """
        s = self.settings
        if self._tracker is None or self._last is None:
            return {"label": None, "error": self.error or "no stage was timed"}
        from codecarbon import __version__

        parts = [_component(h) for h in getattr(self._tracker, "_hardware", [])]
        labels = {label for _, label, _ in parts}
        label = labels.pop() if len(labels) == 1 else "partly measured"
        d = self._last
        intensity = (float(s.carbon_intensity_g_per_kwh) if s.carbon_intensity_g_per_kwh is not None
                     else (float(d.emissions) / float(d.energy_consumed) * 1e6 if d.energy_consumed else None))
        where = s.country_iso_code + (f", {s.region}" if s.region else "")
        grid = ("stated in [compute] carbon_intensity_g_per_kwh" if s.carbon_intensity_g_per_kwh is not None
                else f"codecarbon's figure for {where}")
        if self._stated_power is not None:
            parts = [(n, lab, f"stated {self._stated_power:g} W × this process's CPU load" if n == "cpu" and lab == "estimated"
                      else how) for n, lab, how in parts]
        components = {name: f"{lab} ({how})" for name, lab, how in parts}
        shown = ", ".join(f"{name.upper()} {lab}" for name, lab, _ in parts)
        return {
            "label": label, "codecarbon_version": str(__version__), "tracking_mode": str(d.tracking_mode),
            "country_iso_code": s.country_iso_code, "region": s.region,
            "carbon_intensity_g_per_kwh": intensity, "components": components,
            "energy_basis": f"{label} by codecarbon {__version__}, {d.tracking_mode} mode ({shown})",
            "co2_basis": "estimated: energy × " + (f"{intensity:.0f} gCO2e/kWh " if intensity is not None else "")
                         + f"grid intensity ({grid})",
        }

    def close(self) -> None:
        """Let the tracker go (it was used through tasks only, so nothing runs in the background)."""
        self._tracker = None
