"""Training stages of ``run_audit``: the non-private reference model and the private model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from torch import nn

from audit.data import file_sha256
from audit.pipeline._context import AuditRun, Stage
from audit.result import DecisionThreshold, DPTraining, ModelSummary

__all__ = ["TRAINING_STAGES"]


#: What a private model's summary repeats of its DP training record (privacy.dp), in this order.
_PRIVATE_TRAINING = ("epochs", "batch_size", "grad_sample_mode", "learning_rate", "optimizer", "loss_history", "epochs_run",
                     "best_epoch", "stopped_early", "validation_history")


def _build(run: AuditRun) -> nn.Module:
    from audit.training import build_model

    cfg = run.cfg
    return build_model(cfg.model, n_features=run.prepared.X_train.shape[1], seed=cfg.training.seed, base_dir=cfg.base_dir,
                       **run.model_kwargs())


def _trained(private: bool, info: dict[str, Any]) -> ModelSummary:
    """A model's summary as training leaves it: how it was trained (its test figures come first, from predict)."""
    return ModelSummary.from_dict({"private": private, **info})


def _reference_title(run: AuditRun) -> str:
    weights = run.cfg.model.weights
    return f"load reference model weights {weights}" if weights else "train reference model (non-private)"


def _reference(run: AuditRun) -> None:
    cfg, p = run.cfg, run.prepared
    if cfg.model.weights:
        from audit.models import load_weights

        weights_path = cfg.resolve(cfg.model.weights)
        run.models["reference"] = load_weights(_build(run), weights_path).eval()
        run.summaries["reference"] = _trained(False, {
            "trained_by": "user (weights loaded)", "weights_file": str(cfg.model.weights),
            "weights_file_sha256": file_sha256(weights_path)})
        return
    from audit.training import train_reference

    t = cfg.training
    run.models["reference"], info = train_reference(
        _build(run), p.X_train, p.y_train, epochs=run.reference_epochs(), batch_size=t.batch_size,
        learning_rate=t.learning_rate, seed=t.seed, progress=run.progress.epochs("reference"),
        loss_fn=run.training_loss(), validation=run.validation(), patience=t.patience,
    )
    run.summaries["reference"] = _trained(False, info)
    _note_stopping(run, "reference")


def _private_title(run: AuditRun) -> str:
    return f"train private model (DP-SGD, target ε={run.cfg.privacy.target_epsilon:g})"


def _private(run: AuditRun) -> None:
    from audit.privacy import train_with_settings

    cfg, p = run.cfg, run.prepared
    outcome = train_with_settings(
        _build(run), p.X_train, p.y_train, settings=run.dp_settings, seed=cfg.training.seed, loss_fn=run.training_loss(),
        checkpoint_dir=run.checkpoint_dir, config_fingerprint=cfg.fingerprint(), progress=run.progress.epochs("private"),
        validation=run.validation(), patience=cfg.training.patience,
    )
    run.models["private"] = outcome.model.eval()
    record = outcome.to_dict()
    dp = run.privacy.dp = DPTraining.from_dict(record)
    run.summaries["private"] = _trained(True, {key: record[key] for key in _PRIVATE_TRAINING if key in record})
    _note_stopping(run, "private")
    if dp.resumed_from_epoch:
        run.progress.note(f"resumed from the checkpoint after epoch {dp.resumed_from_epoch}")
    run.progress.note(f"ε spent {dp.epsilon_spent:.3f} of {cfg.privacy.target_epsilon:g} (δ={dp.delta:.2e})")


def _note_stopping(run: AuditRun, name: str) -> None:
    summary = run.summaries[name]
    weights = run.class_weights()
    if weights is not None:
        summary.class_weights = [float(w) for w in weights]
    if summary.stopped_early:
        run.progress.note(f"{name}: early stopping after epoch {summary.epochs_run}, keeping epoch {summary.best_epoch} "
                          "(best on the validation rows)")


def _choose_thresholds(run: AuditRun) -> None:
    """Each binary model's decision threshold, by ``training.threshold``'s rule on the validation rows."""
    from audit.models.decisions import choose_threshold, rule_name

    p, rule = run.prepared, run.cfg.training.threshold
    validation = p.validation
    for name, model in run.models.items():
        if validation is None:  # preflight allows this only with a fixed threshold
            chosen = choose_threshold(np.zeros(0), np.zeros(0), rule=rule)
        else:
            scores = p.task.scores(model, validation[0])
            chosen = choose_threshold(validation[1], scores, rule=rule, base_rate=float(np.mean(p.y_train)))
            if rule_name(rule) != "fixed":
                run.progress.note(f"{name}: decision threshold {chosen['threshold']:.3f} ({chosen['rule']} on "
                                  f"{len(validation[1]):,} validation rows)")
        run.summaries[name].decision_threshold = decision_threshold(chosen)


def decision_threshold(chosen: dict[str, Any]) -> DecisionThreshold:
    """The record's decision threshold from :func:`audit.models.decisions.choose_threshold`'s answer."""
    return DecisionThreshold.from_dict({"value": chosen["threshold"],
                                        **{k: chosen[k] for k in ("rule", "rule_text", "validation", "at_0_5")}})


TRAINING_STAGES = (
    Stage(title=_reference_title, run=_reference, timer_key="train_reference"),
    Stage(title=_private_title, run=_private, timer_key="train_private", applies=lambda run: run.cfg.privacy.enabled),
    Stage(title=None, run=_choose_thresholds, applies=lambda run: run.kind.has_threshold),
)


def checkpoint_folder(runs_parent: Path, fingerprint: str) -> Path:
    """Where a config's private training checkpoints live, beside the runs (one folder per config)."""
    return runs_parent / ".checkpoints" / fingerprint[:16]
