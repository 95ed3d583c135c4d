"""The audit facade shared by the CLI and the Python API.

``run_audit`` follows the one data flow: config → data → checks → train
(reference and private) → predict → audits → :class:`~audit.result.AuditResult`
→ run directory. ``audit_model`` starts from a model trained elsewhere and runs
the same audit stages (:mod:`audit.pipeline`).

Examples
--------
>>> from audit.config import load_config
>>> outcome = run_audit(load_config("examples/adult/audit.toml"))  # doctest: +SKIP
>>> outcome.result.verdict  # doctest: +SKIP
'pass'
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from audit.config import (
    DEFAULT_SENSITIVE_QUANTILES,
    AuditConfig,
    ExplainSection,
    FairnessSection,
    GateSpec,
    RobustnessSection,
)
from audit.data import TabularPreprocessor, check_table, file_sha256, prepare_data, prepared_from_frames
from audit.data._text import TextFeatures
from audit.pipeline import (
    AUDIT_STAGES,
    RUN_STAGES,
    AuditOptions,
    AuditRun,
    checkpoint_folder,
    count_announced,
    run_stages,
)
from audit.pipeline._record import assemble, compute_record, config_run, external_run
from audit.pipeline._training import decision_threshold
from audit.pipeline.preflight import check_before_training, gate_problems, raise_problems
from audit.records.rundir import AUDIT_FILE, RunDirWriter
from audit.result import AuditResult, CardFiles, ModelSummary, to_jsonable
from audit.runtime.compute import StageTimer
from audit.runtime.progress import Progress
from audit.tasks import TaskSpec

__all__ = ["RunOutcome", "audit_model", "prepare_data", "run_audit", "write_run"]

@dataclass
class RunOutcome:
    """What :func:`run_audit` returns: the result and where it was written."""

    result: AuditResult
    run_dir: Path | None
    cards: dict[str, str]


def _options(config: AuditConfig) -> AuditOptions:
    p = config.privacy
    return AuditOptions(fairness=config.fairness, explain=config.explain, robustness=config.robustness,
                        intersections=config.data.intersections,
                        membership_inference=p.membership_inference, identifier_scan=p.identifier_scan,
                        seed=config.training.seed)


def _checkpoint_busy(directory: Path) -> bool:
    from audit.privacy._checkpoint import checkpoint_in_use

    return checkpoint_in_use(directory)


def _note_data(run: AuditRun) -> None:
    s, screening = run.prepared.summary, run.prepared.screening
    run.progress.note(f"{s['n_train']} training rows, {s['n_test']} test rows, {s['n_encoded_features']} encoded features")
    for note in [*(screening.notes if screening is not None else ()), *run.prepared.notes]:
        run.progress.note(note)
    dups = s.get("train_test_duplicates")
    if dups and dups["test_rows"]:
        from audit.data.screening import duplicates_note

        run.progress.note(duplicates_note(dups))


def _check(run: AuditRun, target: Path, write: bool) -> None:
    """The pre-training checks, and where private training may checkpoint."""
    checked = check_before_training(run.cfg, run.prepared)
    run.dp, run.canary_kind = checked.dp, checked.canary_kind
    for note in checked.notes:
        run.progress.note(note)
    if not (write and run.cfg.privacy.enabled):
        return
    # Private training checkpoints every epoch beside the runs; the same config re-run after a crash resumes
    # from them (never resetting the accountant), and they are removed once the run is published.
    folder = checkpoint_folder(target.parent, run.cfg.fingerprint())
    if _checkpoint_busy(folder):
        run.progress.note(f"another run of this config is training with {folder}; this run trains without "
                          "checkpoints (same result; no resume after a crash)")
        return
    run.checkpoint_dir = folder


def _remove_checkpoints(folder: Path | None) -> None:
    if folder is not None and folder.exists() and not _checkpoint_busy(folder):
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            folder.parent.rmdir()  # only when no other run's checkpoints remain


def run_audit(
    config: AuditConfig,
    *,
    out: str | Path | None = None,
    seed: int | None = None,
    write: bool = True,
    progress: Progress | None = None,
    runs_root: str | Path = "runs",
) -> RunOutcome:
    """Run the whole audit a config describes and write its run directory.

    Everything checkable is checked before the first training (:mod:`audit.pipeline.preflight`).

    Parameters
    ----------
    config : AuditConfig
        A validated config (see :func:`audit.config.load_config`).
    out : path, optional
        Run directory; default ``runs/<config-name>-<UTC timestamp>``.
    seed : int, optional
        Overrides the training and split seeds.
    write : bool
        False returns the result without writing anything.
    progress : Progress, optional
        Progress reporter; silent when omitted.

    Returns
    -------
    RunOutcome
    """
    if seed is not None:
        config = replace(config, training=replace(config.training, seed=seed), split=replace(config.split, seed=seed))
    raise_problems(gate_problems(config))
    progress = progress or Progress(total=0, enabled=False)
    created = _dt.datetime.now(_dt.timezone.utc)
    target = Path(out) if out is not None else Path(runs_root) / f"{config.name}-{created:%Y%m%dT%H%M%SZ}"
    # the data is read by the first counted step; the stages that apply are known from the config before it
    run = AuditRun(prepared=None, options=_options(config), timer=StageTimer(config.compute), progress=progress,  # type: ignore[arg-type]
                   config=config)
    progress.total = 2 + count_announced(RUN_STAGES, run) + write  # prepare, check, the stages, write
    with progress.stage("load and prepare data"), run.timer.stage("prepare_data"):
        run.prepared, data_hashes = prepare_data(config)
        _note_data(run)
    with progress.stage("check settings before training"):
        _check(run, target, write)
    run_stages(RUN_STAGES, run)
    compute = compute_record(run)
    result = assemble(run, run_info=config_run(config, created, data_hashes), compute=compute, gates=config.gates)
    if not write:
        return RunOutcome(result=result, run_dir=None, cards={})
    with progress.stage(f"write run directory {target}"):
        cards = write_run(result, target, models=run.models, preprocessor=run.prepared.preprocessor,
                          predictions=run.predictions, arrays=run.arrays)
    _remove_checkpoints(run.checkpoint_dir)
    return RunOutcome(result=result, run_dir=target, cards=cards)


def write_run(
    result: AuditResult,
    target: str | Path,
    *,
    models: dict[str, nn.Module],
    preprocessor: TabularPreprocessor | TextFeatures | None,
    predictions: pd.DataFrame,
    arrays: dict[str, np.ndarray] | None = None,
) -> dict[str, str]:
    """Write a complete run directory atomically; returns the rendered files' paths (final locations).

    The model cards are written by the installed renderers (:mod:`audit.records.renderers`: the
    ``reports`` package registers them), inside the run before it is sealed.
    """
    from audit.records.renderers import renderers

    found = renderers()
    target = Path(target)
    with RunDirWriter(target) as w:
        root = w.path
        assert root is not None  # set on entering the writer
        (root / "models").mkdir()
        weights = {}
        for name, model in models.items():
            rel = f"models/{name}.pt"
            # a transformer saves what training changed (adapters and head); its base weights stay in the checkpoint
            torch.save(getattr(model, "trained_state_dict", model.state_dict)(), root / rel)
            weights[name] = file_sha256(root / rel)
            result.artifacts.weights[name] = rel
        result.run.weights_sha256 = weights
        if isinstance(preprocessor, TextFeatures):
            preprocessor.save(root / "models/vocabulary.json")
            result.artifacts.vocabulary = "models/vocabulary.json"
        elif preprocessor is not None:
            preprocessor.save(root / "models/preprocessor.json")
            result.artifacts.preprocessor = "models/preprocessor.json"
        predictions.to_csv(root / "predictions.csv", index=False)
        result.artifacts.predictions = "predictions.csv"
        for rel, arr in (arrays or {}).items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            np.save(root / rel, np.asarray(arr), allow_pickle=False)
        files = {fmt: name for r in found for fmt, name in r.files.items()}
        result.artifacts.cards = CardFiles.from_dict(files)
        result_dict = result.to_dict()
        w.write_json(AUDIT_FILE, result_dict)
        for r in found:
            r.write(result_dict, root)
    return {fmt: str(target / name) for fmt, name in files.items()}


def audit_model(
    model: nn.Module,
    *,
    test: pd.DataFrame,
    target: str,
    positive_label: Any = None,
    sensitive_features: list[str],
    preprocessor: TabularPreprocessor,
    train: pd.DataFrame | None = None,
    task: str = "binary",
    classes: Sequence[Any] | None = None,
    sensitive_quantiles: int = DEFAULT_SENSITIVE_QUANTILES,
    sensitive_bins: dict[str, list[float]] | None = None,
    name: str = "external-model",
    fairness: FairnessSection | None = None,
    explain: ExplainSection | None = None, robustness: RobustnessSection | None = None,
    membership_inference: bool = True,
    gates: Sequence[GateSpec] = (),
    seed: int = 0,
    out: str | Path | None = None,
    progress: Progress | None = None,
    threshold: float = 0.5,
) -> AuditResult:
    """Audit a model trained outside rai-audit on a DataFrame, with the same audits as ``run_audit``.

    Parameters
    ----------
    model : nn.Module
        A model taking the preprocessor's encoded features: a binary classifier (one logit), a
        multiclass one (one logit per class) or a regression (its prediction in target units).
    test : DataFrame
        Held-out rows with the target and sensitive columns.
    positive_label : scalar
        The positive class of a binary ``task``.
    task : str
        ``"binary"`` (default), ``"multiclass"`` or ``"regression"``.
    classes : sequence, optional
        A multiclass model's class labels in the order of its outputs (default: the labels sorted).
    preprocessor : TabularPreprocessor
        Fitted on the training rows (or any object with ``transform``, ``feature_names_``,
        ``feature_groups_`` and ``columns_`` attributes).
    train : DataFrame, optional
        Training rows: enable membership inference, explanation baselines, proxy detection
        and mitigation fitting. Without them, the test rows stand in and the result says so.
    sensitive_quantiles, sensitive_bins : int, dict, optional
        How numeric sensitive columns become groups, as ``data.sensitive_quantiles`` and
        ``data.sensitive_bins`` of a run (fitted on ``train``, or on ``test`` without it).
    out : path, optional
        When given, a run directory is written there (same layout as ``rai-audit run``).
    threshold : float
        A binary model's decision threshold, as its owner uses it (recorded as a fixed threshold).
    robustness : RobustnessSection, optional
        The robustness audit's perturbations, as a config's ``[robustness]`` (default: its defaults).

    Examples
    --------
    >>> result = audit_model(model, test=test_df, target="income", positive_label=">50K",
    ...                      sensitive_features=["sex"], preprocessor=pre, train=train_df)  # doctest: +SKIP
    """
    spec = TaskSpec.external(task, test[target] if target in test.columns else pd.Series(dtype=object),
                             positive_label=positive_label, classes=classes)
    for label, frame in (("test", test), ("train", train)):
        if frame is not None:
            check_table(frame, target=target, positive_label=positive_label, sensitive_features=sensitive_features,
                        label=f"{label} data", task=task, sensitive_quantiles=sensitive_quantiles,
                        sensitive_bins=sensitive_bins)
    prepared = prepared_from_frames((train if train is not None else test).reset_index(drop=True), test.reset_index(drop=True),
                                    target=target, positive_label=positive_label, sensitive_features=list(sensitive_features),
                                    preprocessor=preprocessor, task=spec, sensitive_quantiles=sensitive_quantiles,
                                    sensitive_bins=sensitive_bins)
    prepared.summary = {
        "source": "DataFrame (audit_model)", "n_train": int(len(prepared.raw_train)) if train is not None else 0,
        "n_test": int(len(prepared.raw_test)), "target": target, "positive_label": to_jsonable(positive_label),
        **spec.data_summary(prepared.y_train, prepared.y_test, prepared.target_values("train")),
        "sensitive_features": list(sensitive_features), "features": list(preprocessor.columns_),
        "sensitive_bins": {c: b.to_dict() for c, b in prepared.sensitive_bins.items()},
        "n_encoded_features": len(preprocessor.feature_names_), "encoded_feature_names": list(preprocessor.feature_names_),
        "training_rows_given": train is not None,
    }
    options = AuditOptions(fairness=fairness or FairnessSection(), explain=explain or ExplainSection(), seed=seed,
                           robustness=robustness or RobustnessSection(),
                           membership_inference=membership_inference and train is not None, identifier_scan=train is not None)
    run = AuditRun(prepared=prepared, options=options, timer=StageTimer(), progress=progress or Progress(total=0, enabled=False))
    run.models["reference"] = model.eval()
    if spec.kind.has_threshold:
        from audit.models.decisions import choose_threshold

        chosen = choose_threshold(np.zeros(0), np.zeros(0), rule=threshold)  # given by the caller: fixed
        run.summaries["reference"] = ModelSummary.from_dict({})  # test figures and checks: the prediction stage
        run.summaries["reference"].decision_threshold = decision_threshold(chosen)
    run.progress.total = count_announced(AUDIT_STAGES, run)
    for note in prepared.notes:
        run.progress.note(note)
    run_stages(AUDIT_STAGES, run)
    compute = compute_record(run)  # energy on the [compute] defaults: audit_model has no config
    result = assemble(run, run_info=external_run(name, seed), compute=compute, gates=tuple(gates))
    if out is not None:
        write_run(result, out, models=run.models, predictions=run.predictions, arrays=run.arrays,
                  preprocessor=preprocessor if isinstance(preprocessor, TabularPreprocessor) else None)
    return result
