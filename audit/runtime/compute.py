"""Compute footprint: time per stage, FLOPs, memory, energy and CO2, honestly labelled.

Energy is *measured* only when Intel RAPL counters are readable
(``/sys/class/powercap/intel-rapl:*/energy_uj``); otherwise it is *estimated*
as stated power × wall time and labelled so. CO2 is energy × a configurable
grid carbon intensity and is always an estimate.

Examples
--------
>>> timer = StageTimer()
>>> with timer.stage("work"):
...     _ = sum(range(1000))
>>> "work" in timer.to_dict()
True
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = [
    "StageTimer", "RaplReader", "flops_per_example", "training_flops_per_example", "dp_step_flops_per_example",
    "peak_memory_mb", "energy_and_co2", "compute_section",
]

_RAPL_ROOT = Path("/sys/class/powercap")


class RaplReader:
    """Reads package energy counters when the kernel exposes them and they are readable."""

    def __init__(self, root: Path = _RAPL_ROOT) -> None:
        self.files = sorted(p / "energy_uj" for p in root.glob("intel-rapl:[0-9]*") if (p / "energy_uj").is_file()) if root.is_dir() else []
        self.available = bool(self.files) and self.read() is not None

    def read(self) -> float | None:
        """Total energy in joules across packages, or None when unreadable."""
        try:
            return sum(int(f.read_text().strip()) for f in self.files) / 1e6
        except (OSError, ValueError):
            return None


class StageTimer:
    """Wall time, CPU time and (where readable) RAPL energy per named stage."""

    def __init__(self) -> None:
        self.stages: dict[str, dict[str, Any]] = {}
        self._rapl = RaplReader()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the enclosed block under ``name`` (repeated names accumulate)."""
        w0, c0 = time.perf_counter(), time.process_time()
        e0 = self._rapl.read() if self._rapl.available else None
        try:
            yield
        finally:
            e1 = self._rapl.read() if e0 is not None else None
            entry = self.stages.setdefault(name, {"wall_s": 0.0, "cpu_s": 0.0, "energy_j_measured": None})
            entry["wall_s"] += time.perf_counter() - w0
            entry["cpu_s"] += time.process_time() - c0
            if e0 is not None and e1 is not None and e1 >= e0:  # counters wrap; a wrap leaves it unmeasured
                entry["energy_j_measured"] = (entry["energy_j_measured"] or 0.0) + (e1 - e0)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Per-stage timings as plain data."""
        return {k: dict(v) for k, v in self.stages.items()}

    @property
    def rapl_available(self) -> bool:
        """Whether energy is measured rather than estimated."""
        return self._rapl.available


def flops_per_example(model: nn.Module, n_features: int) -> int | None:
    """Forward FLOPs for one example, counted by ``torch.utils.flop_counter``.

    Returns None when the model cannot be traced by the counter.
    """
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    model.eval()
    try:
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            model(torch.zeros(1, n_features))
        return int(counter.get_total_flops())
    except Exception:  # exotic ops: report unknown rather than a wrong number
        return None
    finally:
        model.train(was_training)


def training_flops_per_example(model: nn.Module, n_features: int, *, batch_size: int = 32) -> int | None:
    """Forward + backward FLOPs per example for one training step, counted by ``torch.utils.flop_counter``.

    Measured on a copy of the model (the model itself is untouched). For a model trained
    with book-keeping DP-SGD, :func:`dp_step_flops_per_example` counts the DP step itself.
    Returns None when the counter cannot trace the model.

    Examples
    --------
    >>> from audit.models import MLP
    >>> m = MLP(10, hidden=(8,))
    >>> training_flops_per_example(m, 10) > flops_per_example(m, 10)
    True
    """
    return _step_flops(model, n_features, batch_size, bookkeeping=False)


def dp_step_flops_per_example(model: nn.Module, n_features: int, *, batch_size: int = 32) -> int | None:
    """FLOPs per example of one book-keeping DP-SGD step: forward, backward and the clipped sums.

    Counted by ``torch.utils.flop_counter`` on a copy of the model with
    :class:`~audit.privacy._bookkeeping.BookkeepingClipper`, the trainer ``train_private``
    uses for Linear/Conv models. The counter counts matrix products; the element-wise
    work (per-example norms, clip factors, noise: O(in + out) per example and layer)
    is not counted. For an MLP the count equals the non-private step's: the clipped
    sums replace the weight gradients. Returns None when the model does not qualify
    for book-keeping or cannot be traced.

    Examples
    --------
    >>> from audit.models import MLP
    >>> m = MLP(10, hidden=(8,))
    >>> dp_step_flops_per_example(m, 10) >= training_flops_per_example(m, 10)
    True
    """
    return _step_flops(model, n_features, batch_size, bookkeeping=True)


def _step_flops(model: nn.Module, n_features: int, batch_size: int, *, bookkeeping: bool) -> int | None:
    """Counted FLOPs per example of one step on a copy of ``model``: plain, or book-keeping DP-SGD."""
    import contextlib
    import copy

    from torch.utils.flop_counter import FlopCounterMode

    work = copy.deepcopy(model).train()
    x = torch.zeros(batch_size, n_features)
    clipper = None
    if bookkeeping:
        from audit.privacy._bookkeeping import BookkeepingClipper, bookkeeping_problems

        if bookkeeping_problems(work, x[:2]):
            return None
        clipper = BookkeepingClipper(work, max_grad_norm=1.0)
    try:
        counter = FlopCounterMode(display=False)
        with counter:
            with clipper.capture() if clipper else contextlib.nullcontext():
                out = work(x)
                per_example = torch.nn.functional.binary_cross_entropy_with_logits(
                    out.reshape(batch_size, -1)[:, -1], torch.zeros(batch_size), reduction="none")
                per_example.sum().backward()  # a sum, as DP-SGD needs; the same products as a mean
            if clipper:
                clipper.accumulate()
                clipper.write_grads()
        return int(counter.get_total_flops()) // batch_size
    except Exception:  # exotic ops or a non-binary head: report unknown rather than a wrong number
        return None
    finally:
        if clipper:
            clipper.close()


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MiB (ru_maxrss)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def energy_and_co2(*, wall_s: float, measured_j: float | None, power_watts: float, carbon_intensity_g_per_kwh: float) -> dict[str, Any]:
    """Energy (kWh) and CO2 (kg) for a stage, with the basis stated.

    Examples
    --------
    >>> energy_and_co2(wall_s=3600, measured_j=None, power_watts=100, carbon_intensity_g_per_kwh=500)["co2_kg"]
    0.05
    """
    if measured_j is not None:
        kwh, basis = measured_j / 3.6e6, "measured (RAPL package counters)"
    else:
        kwh, basis = power_watts * wall_s / 3.6e6, f"estimated ({power_watts:g} W × wall time)"
    return {
        "energy_kwh": kwh,
        "energy_basis": basis,
        "energy_measured": measured_j is not None,
        "co2_kg": kwh * carbon_intensity_g_per_kwh / 1000.0,
        "co2_basis": f"estimated ({carbon_intensity_g_per_kwh:g} gCO2e/kWh grid intensity)",
    }


_DP_FLOPS_BASIS = ("counted on one book-keeping DP-SGD step: its matrix products (forward, backward, clipped sums); "
                   "the element-wise work (per-example norms, clip factors, noise) is small and not counted")
_OPACUS_FLOPS_BASIS = ("counted on one non-private step (forward + backward); DP training with Opacus's {mode!r} mode "
                       "does more (per-example gradients or a second backward pass), which the wall and CPU times show")
_PLAIN_FLOPS_BASIS = "counted on one training step (forward + backward)"


def _training_flops(model: nn.Module, n_features: int, grad_sample_mode: str | None) -> tuple[int | None, str]:
    """Counted training FLOPs per example of one step, and what the count covers."""
    if grad_sample_mode == "bookkeeping":
        counted = dp_step_flops_per_example(model, n_features)
        if counted is not None:
            return counted, _DP_FLOPS_BASIS
    basis = _OPACUS_FLOPS_BASIS.format(mode=grad_sample_mode) if grad_sample_mode else _PLAIN_FLOPS_BASIS
    return training_flops_per_example(model, n_features), basis


def _model_footprint(model: nn.Module, n_features: int, info: dict[str, Any], stage: dict[str, Any], n_train: int) -> dict[str, Any]:
    from audit.models import count_parameters

    tfpe, basis = _training_flops(model, n_features, info.get("grad_sample_mode"))
    epochs = info.get("epochs")
    return {
        "n_parameters": count_parameters(model),
        "flops_per_example": flops_per_example(model, n_features),
        # Counted FLOPs per example of one step × examples seen (see training_flops_basis).
        "training_flops_per_example": tfpe,
        "training_flops_basis": basis,
        "training_flops_estimate": (tfpe * n_train * epochs) if (tfpe is not None and epochs) else None,
        "train_wall_s": stage.get("wall_s"),
        "train_cpu_s": stage.get("cpu_s"),
        "energy_kwh": stage.get("energy_kwh"),
        "co2_kg": stage.get("co2_kg"),
        "energy_basis": stage.get("energy_basis"),
    }


def compute_section(
    timer: StageTimer, models: dict[str, nn.Module], *, n_features: int, train_info: dict[str, Any], n_train: int,
    power_watts: float, carbon_intensity_g_per_kwh: float,
) -> dict[str, Any]:
    """The audit record's compute section: every stage's time and energy, each model's footprint, totals.

    Examples
    --------
    >>> timer = StageTimer()
    >>> with timer.stage("train_reference"):
    ...     pass
    >>> section = compute_section(timer, {"reference": nn.Linear(3, 1)}, n_features=3, train_info={}, n_train=10,
    ...                           power_watts=65.0, carbon_intensity_g_per_kwh=475.0)
    >>> section["models"]["reference"]["n_parameters"]
    4
    """
    carbon = carbon_intensity_g_per_kwh
    stages = timer.to_dict()
    for entry in stages.values():
        entry.update(energy_and_co2(wall_s=entry["wall_s"], measured_j=entry["energy_j_measured"],
                                    power_watts=power_watts, carbon_intensity_g_per_kwh=carbon))
    per_model = {name: _model_footprint(model, n_features, train_info.get(name, {}), stages.get(f"train_{name}", {}), n_train)
                 for name, model in models.items()}
    total_wall = sum(s["wall_s"] for s in stages.values())
    measured = sum(s["energy_j_measured"] or 0.0 for s in stages.values()) if timer.rapl_available else None
    total = energy_and_co2(wall_s=total_wall, measured_j=measured, power_watts=power_watts, carbon_intensity_g_per_kwh=carbon)
    return {
        "stages": stages,
        "models": per_model,
        "total_wall_s": total_wall,
        "peak_memory_mb": peak_memory_mb(),
        "total": total,
        "assumptions": {"power_watts": power_watts, "carbon_intensity_g_per_kwh": carbon,
                        "energy_source": "RAPL counters" if timer.rapl_available else "estimate (RAPL not readable)"},
    }
