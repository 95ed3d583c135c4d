"""Training stages of ``run_audit``: the non-private reference model and the private model."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audit.data import file_sha256
from audit.pipeline._context import AuditRun, Stage

__all__ = ["TRAINING_STAGES"]


def _build(run: AuditRun):
    from audit.training import build_model

    cfg = run.config
    return build_model(cfg.model, n_features=run.prepared.X_train.shape[1], seed=cfg.training.seed, base_dir=cfg.base_dir,
                       **run.model_kwargs())


def _reference_title(run: AuditRun) -> str:
    weights = run.config.model.weights
    return f"load reference model weights {weights}" if weights else "train reference model (non-private)"


def _reference(run: AuditRun) -> None:
    cfg, p = run.config, run.prepared
    if cfg.model.weights:
        from audit.models import load_weights

        weights_path = cfg.resolve(cfg.model.weights)
        run.models["reference"] = load_weights(_build(run), weights_path).eval()
        run.train_info["reference"] = {"trained_by": "user (weights loaded)", "weights_file": str(cfg.model.weights),
                                       "weights_file_sha256": file_sha256(weights_path)}
        return
    from audit.training import train_reference

    t = cfg.training
    run.models["reference"], run.train_info["reference"] = train_reference(
        _build(run), p.X_train, p.y_train, epochs=run.reference_epochs(), batch_size=t.batch_size,
        learning_rate=t.learning_rate, seed=t.seed, progress=run.progress.epochs("reference"),
        loss_fn=run.training_loss(), validation=run.validation(), patience=t.patience,
    )
    _note_stopping(run, "reference")


def _private_title(run: AuditRun) -> str:
    return f"train private model (DP-SGD, target ε={run.config.privacy.target_epsilon:g})"


def _private(run: AuditRun) -> None:
    from audit.privacy import train_with_settings

    cfg, p = run.config, run.prepared
    outcome = train_with_settings(
        _build(run), p.X_train, p.y_train, settings=run.dp, seed=cfg.training.seed, loss_fn=run.training_loss(),
        checkpoint_dir=run.checkpoint_dir, config_fingerprint=cfg.fingerprint(), progress=run.progress.epochs("private"),
        validation=run.validation(), patience=cfg.training.patience,
    )
    run.models["private"] = outcome.model.eval()
    dp = run.privacy["dp"] = outcome.to_dict()
    run.train_info["private"] = {key: dp.get(key) for key in (
        "epochs", "batch_size", "grad_sample_mode", "learning_rate", "optimizer", "loss_history", "epochs_run",
        "best_epoch", "stopped_early", "validation_history") if key in dp}
    _note_stopping(run, "private")
    if dp.get("resumed_from_epoch"):
        run.progress.note(f"resumed from the checkpoint after epoch {dp['resumed_from_epoch']}")
    run.progress.note(f"ε spent {dp['epsilon_spent']:.3f} of {cfg.privacy.target_epsilon:g} (δ={dp['delta']:.2e})")


def _note_stopping(run: AuditRun, name: str) -> None:
    info = run.train_info[name]
    weights = run.class_weights()
    if weights is not None:
        info["class_weights"] = [float(w) for w in weights]
    if info.get("stopped_early"):
        run.progress.note(f"{name}: early stopping after epoch {info['epochs_run']}, keeping epoch {info['best_epoch']} "
                          "(best on the validation rows)")


def _choose_thresholds(run: AuditRun) -> None:
    """Each binary model's decision threshold, by ``training.threshold``'s rule on the validation rows."""
    from audit.models.decisions import choose_threshold, rule_name

    p, rule = run.prepared, run.config.training.threshold
    validation = p.validation
    for name, model in run.models.items():
        if validation is None:  # preflight allows this only with a fixed threshold
            run.thresholds[name] = choose_threshold(np.zeros(0), np.zeros(0), rule=rule)
            continue
        scores = p.task.scores(model, validation[0])
        run.thresholds[name] = choose_threshold(validation[1], scores, rule=rule, base_rate=float(np.mean(p.y_train)))
        chosen = run.thresholds[name]
        if rule_name(rule) != "fixed":
            run.progress.note(f"{name}: decision threshold {chosen['threshold']:.3f} ({chosen['rule']} on "
                              f"{len(validation[1]):,} validation rows)")


TRAINING_STAGES = (
    Stage(title=_reference_title, run=_reference, timer_key="train_reference"),
    Stage(title=_private_title, run=_private, timer_key="train_private", applies=lambda run: run.config.privacy.enabled),
    Stage(title=None, run=_choose_thresholds, applies=lambda run: run.kind.has_threshold),
)


def checkpoint_folder(runs_parent: Path, fingerprint: str) -> Path:
    """Where a config's private training checkpoints live, beside the runs (one folder per config)."""
    return runs_parent / ".checkpoints" / fingerprint[:16]
