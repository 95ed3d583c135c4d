"""Privacy stages of ``run_audit`` that train again: the one-run canary audit and the privacy-utility curve.

Both train with the audit's one :class:`~audit.privacy.DPSettings` (the curve changes only ε).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from audit.pipeline._context import AuditRun, Stage
from audit.result import CanaryAudit, PrivacyStatement, UtilityPoint

__all__ = ["PRIVACY_STAGES"]


def _factory(run: AuditRun) -> Callable[[], nn.Module]:
    from audit.training import model_factory

    cfg = run.cfg
    return model_factory(cfg.model, n_features=run.prepared.X_train.shape[1], base_dir=cfg.base_dir, **run.factory_kwargs())


def _canary_title(run: AuditRun) -> str:
    return f"canary audit ({run.cfg.privacy.canaries} {run.canary_kind} canaries, one training run)"


def _canary(run: AuditRun) -> None:
    from audit.privacy import canary_audit, gradient_canary_audit

    p, pcfg = run.prepared, run.cfg.privacy
    audit_fn = gradient_canary_audit if run.canary_kind == "gradient" else canary_audit
    ca = run.privacy.canary_audit = CanaryAudit.from_dict(audit_fn(
        _factory(run), p.X_train, p.y_train, m=pcfg.canaries, seed=run.cfg.training.seed, **_dp_kwargs(run),
        loss_fn=p.task.loss_fn(),
    ))
    run.progress.note(f"{ca.n_correct}/{ca.n_guesses} canary guesses correct: empirical ε lower bound "
                      f"{ca.epsilon_lower_bound:.3f} (accountant ε {ca.epsilon_accountant:.3f})")
    if ca.score_noise_ratio is not None:
        run.progress.note(f"noise released on the canary coordinates: {ca.score_noise_ratio:.3f}× the noise "
                          "the accountant assumed (1 expected)")


def _dp_kwargs(run: AuditRun) -> dict[str, Any]:
    # The settings the config chose; the canary audits fix the clipping mode themselves.
    kwargs = run.dp_settings.as_kwargs()
    for key in ("poisson_sampling", "max_physical_batch_size", "grad_sample_mode", "optimizer"):
        kwargs.pop(key)
    return kwargs


def _curve(run: AuditRun) -> None:
    from audit.privacy import privacy_utility_curve

    p = run.prepared
    kwargs = _dp_kwargs(run)
    kwargs.pop("epsilon")
    # every point learns and decides as the audited models did: weighted loss, early stopping, threshold rule
    cfg = run.cfg
    kwargs.update(loss_fn=run.training_loss(), validation=run.validation(), patience=cfg.training.patience)
    points = privacy_utility_curve(
        model_factory=_factory(run), X_train=p.X_train, y_train=p.y_train, X_test=p.X_test, y_test=p.y_test,
        sensitive_test=p.sensitive_test, epsilons=tuple(cfg.privacy.utility_curve), seed=cfg.training.seed,
        progress=run.progress.note, trained={run.dp_settings.epsilon: run.models["private"]},
        threshold=_threshold_rule(run), **kwargs,
    )
    run.privacy.utility_curve = [UtilityPoint.from_dict(point) for point in points]


def _threshold_rule(run: AuditRun) -> float | Callable[[nn.Module], float]:
    """Each curve point's decision threshold, by the rule the audited models' were chosen with."""
    from audit.models.decisions import choose_threshold

    p, rule = run.prepared, run.cfg.training.threshold
    if p.validation is None:
        return float(rule) if not isinstance(rule, str) else 0.5
    X_val, y_val = p.validation
    base_rate = float(p.y_train.mean())
    return lambda model: choose_threshold(y_val, p.task.scores(model, X_val), rule=rule, base_rate=base_rate)["threshold"]


def _statement(run: AuditRun) -> None:
    """What the run directory as a whole promises (audit.privacy._statement), from what this run trained and writes."""
    from audit.privacy._statement import privacy_statement

    privacy = run.privacy
    mia = privacy.membership_inference.values()
    # the privacy audit's functions read plain data: each typed section written back as the record holds it
    privacy.statement = PrivacyStatement.from_dict(privacy_statement(
        dp=privacy.dp.to_dict() if privacy.dp is not None else None, models=list(run.models),
        preprocessor=run.prepared.preprocessor is not None, vocabulary=run.is_text,
        checkpoint=run.cfg.model.path if run.cfg.model.kind == "transformers" else None,
        explanations=[name for name, section in run.explain.items() if section.artifacts],
        reference_models=max(((s.reference_models.k or 0) if s.reference_models is not None else 0 for s in mia),
                             default=0),
        canary=privacy.canary_audit.to_dict() if privacy.canary_audit is not None else None,
        utility_curve=run.cfg.privacy.utility_curve,
    ))


PRIVACY_STAGES = (
    Stage(title=_canary_title, run=_canary, timer_key="audit_canary",
          applies=lambda run: run.cfg.privacy.enabled and run.cfg.privacy.canary_audit),
    Stage(title=lambda run: f"privacy-utility curve (ε in {run.cfg.privacy.utility_curve})", run=_curve,
          timer_key="audit_utility_curve", applies=lambda run: bool(run.cfg.privacy.utility_curve)),
    Stage(title=None, run=_statement),
)
