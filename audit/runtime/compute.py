"""Compute footprint: time per stage, FLOPs, memory, energy and CO2, honestly labelled.

Energy and CO2 come from codecarbon's ``OfflineEmissionsTracker`` (one task per
stage; no network, no files, no threads left behind): it *measures* the CPU
through RAPL and GPUs through NVML where it can, else *estimates* the CPU from
its TDP × load, and always estimates RAM from its size. CO2 is energy × the grid
intensity codecarbon knows for ``[compute] country_iso_code`` (and ``region``),
or the stated ``carbon_intensity_g_per_kwh``. Each figure says which.

Examples
--------
>>> timer = StageTimer(energy=False)
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
from typing import Any

import torch
from torch import nn

from audit.config import ComputeSection
from audit.runtime._energy import EnergyMeter

__all__ = [
    "StageTimer", "EnergyMeter", "flops_per_example", "training_flops_per_example", "dp_step_flops_per_example",
    "peak_memory_mb", "compute_section",
]


class StageTimer:
    """Wall time, CPU time and energy (codecarbon, one task per stage) per named stage.

    Parameters
    ----------
    settings : ComputeSection, optional
        The ``[compute]`` section (country, region, stated intensity and power); default: its defaults.
    energy : bool
        Track energy with codecarbon (``False``: time only, energy left unknown).
    """

    def __init__(self, settings: ComputeSection | None = None, *, energy: bool = True) -> None:
        self.stages: dict[str, dict[str, Any]] = {}
        self.energy = EnergyMeter(settings or ComputeSection()) if energy else None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the enclosed block under ``name`` (repeated names accumulate)."""
        task = self.energy.start(name) if self.energy is not None else None
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            used = self.energy.stop(task) if self.energy is not None else None
            entry = self.stages.setdefault(name, {"wall_s": 0.0, "cpu_s": 0.0, "energy_kwh": None, "co2_kg": None})
            entry["wall_s"] += wall
            entry["cpu_s"] += cpu
            if used is not None:
                entry["energy_kwh"] = (entry["energy_kwh"] or 0.0) + used["energy_kwh"]
                entry["co2_kg"] = (entry["co2_kg"] or 0.0) + used["co2_kg"]

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Per-stage timings as plain data."""
        return {k: dict(v) for k, v in self.stages.items()}


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
        "energy_label": stage.get("energy_label"),
    }


def compute_section(
    timer: StageTimer, models: dict[str, nn.Module], *, n_features: int, train_info: dict[str, Any], n_train: int,
) -> dict[str, Any]:
    """The audit record's compute section: every stage's time and energy, each model's footprint, totals.

    Examples
    --------
    >>> timer = StageTimer(energy=False)
    >>> with timer.stage("train_reference"):
    ...     pass
    >>> section = compute_section(timer, {"reference": nn.Linear(3, 1)}, n_features=3, train_info={}, n_train=10)
    >>> section["models"]["reference"]["n_parameters"]
    4
    """
    basis = timer.energy.basis() if timer.energy is not None else None
    labels = _labels(basis)
    stages = timer.to_dict()
    for entry in stages.values():
        entry.update(labels)
    per_model = {name: _model_footprint(model, n_features, train_info.get(name, {}), stages.get(f"train_{name}", {}), n_train)
                 for name, model in models.items()}
    energies = [s["energy_kwh"] for s in stages.values()]
    known = bool(energies) and all(e is not None for e in energies)
    total = {"energy_kwh": sum(energies) if known else None,
             "co2_kg": sum(s["co2_kg"] for s in stages.values()) if known else None, **labels}
    if timer.energy is not None:
        timer.energy.close()
    return {
        "stages": stages,
        "models": per_model,
        "total_wall_s": sum(s["wall_s"] for s in stages.values()),
        "peak_memory_mb": peak_memory_mb(),
        "total": total,
        "energy_tracking": basis,
        "assumptions": _assumptions(basis),
    }


def _labels(basis: dict[str, Any] | None) -> dict[str, Any]:
    """What each stage's and the total's energy and CO2 rest on, as the record's ``Energy`` fields."""
    if basis is None or basis.get("label") is None:
        why = "energy not tracked" if basis is None else f"energy not tracked: {basis.get('error')}"
        return {"energy_basis": why, "energy_measured": None, "energy_label": None, "co2_basis": why}
    return {"energy_basis": basis["energy_basis"], "energy_measured": basis["label"] == "measured",
            "energy_label": basis["label"], "co2_basis": basis["co2_basis"]}


def _assumptions(basis: dict[str, Any] | None) -> dict[str, Any]:
    if basis is None or basis.get("label") is None:
        return {"energy_source": "not tracked"}
    return {"energy_source": f"codecarbon {basis['codecarbon_version']} ({basis['label']})",
            "country_iso_code": basis["country_iso_code"], "region": basis["region"],
            "carbon_intensity_g_per_kwh": basis["carbon_intensity_g_per_kwh"], "tracking_mode": basis["tracking_mode"]}
