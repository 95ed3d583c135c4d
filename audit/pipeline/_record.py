"""The audit record from what the stages found: each typed section placed once, then the gates decided.

``run_audit`` and ``audit_model`` both end here. The stages left their typed sections in the
:class:`~audit.pipeline.AuditRun` (:mod:`audit.result`); :func:`assemble` places them in one
:class:`~audit.result.AuditResult`, evaluates its gates, states the verdict and finds the concerns.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

from audit.config import AuditConfig, GateSpec
from audit.data import file_sha256
from audit.pipeline._context import AuditRun
from audit.result import AuditResult, Compute, Data, Fairness, ModelSummary, Run
from audit.runtime.compute import compute_section
from audit.runtime.provenance import environment
from audit.tasks import result_task
from audit.verdict.concerns import find_concerns
from audit.verdict.gates import evaluate_gates, verdict, verdict_reasons

__all__ = ["assemble", "compute_record", "config_run", "external_run"]


def config_run(config: AuditConfig, created: _dt.datetime, data_hashes: dict[str, str]) -> Run:
    """The provenance of a ``run_audit`` run: its config, their hashes, the data's and the environment."""
    return Run.from_dict({
        "name": config.name,
        "created_at": created.isoformat(timespec="seconds"),
        "seed": config.training.seed,
        "config": config.to_dict(),
        "config_sha256": config.fingerprint(),
        "config_file_sha256": file_sha256(config.source_path) if config.source_path else None,
        "data_sha256": data_hashes,
        "environment": environment(),
        "card": config.to_dict()["card"],
    })


def external_run(name: str, seed: int) -> Run:
    """The provenance of an ``audit_model`` run: no config, the model trained elsewhere."""
    return Run.from_dict({"name": name, "created_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                          "seed": seed, "config": None, "environment": environment(), "card": {}})


def compute_record(run: AuditRun) -> Compute:
    """The compute section: every stage's time and energy, each model's footprint (its training read from its summary)."""
    p = run.prepared
    trained: dict[str, Any] = {name: summary.to_dict() for name, summary in run.summaries.items()}
    return Compute.from_dict(compute_section(
        run.timer, run.models, n_features=p.X_train.shape[1], train_info=trained, n_train=len(p.X_train)))


def _models(run: AuditRun) -> dict[str, ModelSummary]:
    """Each model's summary, its training time the training stage's (audit_model trains nothing)."""
    for name, summary in run.summaries.items():
        stage = run.timer.stages.get(f"train_{name}")
        if stage is not None:
            summary.train_wall_s = stage["wall_s"]
    return run.summaries


def _data(run: AuditRun) -> Data:
    """The data section: the prepared data's summary and the identifier scan (its one place in the record)."""
    data = Data.from_dict(run.prepared.summary)
    if run.identifier_scan is not None:
        data.identifier_scan = run.identifier_scan
    return data


def assemble(run: AuditRun, *, run_info: Run, compute: Compute, gates: Sequence[GateSpec]) -> AuditResult:
    """The audit record from what the stages found, with its gates evaluated."""
    task = run.prepared.task
    fairness = Fairness.from_dict(run.fairness) if run.fairness else None  # as AuditResult would convert the dict
    result = AuditResult(run=run_info, data=_data(run), models=_models(run), fairness=fairness,
                         privacy=run.privacy, explainability=run.explain or None, compute=compute, slices=run.slices,
                         text=run.text, robustness=run.robustness, task=result_task(task.task, text=run.is_text),
                         input="text" if run.is_text else "table")
    result.gates = evaluate_gates(list(gates), result)
    result.verdict = verdict(result.gates)
    result.verdict_reasons = verdict_reasons(result.gates)
    result.concerns = find_concerns(result)
    return result
