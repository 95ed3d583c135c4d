"""Privacy stages of ``run_audit`` that train again: the one-run canary audit and the privacy-utility curve.

Both train with the audit's one :class:`~audit.privacy.DPSettings` (the curve changes only ε).
"""

from __future__ import annotations

from audit.pipeline._context import AuditRun, Stage

__all__ = ["PRIVACY_STAGES"]


def _factory(run: AuditRun):
    from audit.training import model_factory

    cfg = run.config
    return model_factory(cfg.model, n_features=run.prepared.X_train.shape[1], base_dir=cfg.base_dir, **run.factory_kwargs())


def _canary_title(run: AuditRun) -> str:
    return f"canary audit ({run.config.privacy.canaries} {run.canary_kind} canaries, one training run)"


def _canary(run: AuditRun) -> None:
    from audit.privacy import canary_audit, gradient_canary_audit

    p, pcfg = run.prepared, run.config.privacy
    audit_fn = gradient_canary_audit if run.canary_kind == "gradient" else canary_audit
    ca = run.privacy["canary_audit"] = audit_fn(
        _factory(run), p.X_train, p.y_train, m=pcfg.canaries, seed=run.config.training.seed, **_dp_kwargs(run),
        loss_fn=p.task.loss_fn(),
    )
    run.progress.note(f"{ca['n_correct']}/{ca['n_guesses']} canary guesses correct: empirical ε lower bound "
                      f"{ca['epsilon_lower_bound']:.3f} (accountant ε {ca['epsilon_accountant']:.3f})")
    if ca.get("score_noise_ratio") is not None:
        run.progress.note(f"noise released on the canary coordinates: {ca['score_noise_ratio']:.3f}× the noise "
                          "the accountant assumed (1 expected)")


def _dp_kwargs(run: AuditRun) -> dict:
    # The settings the config chose; the canary audits fix the clipping mode themselves.
    kwargs = run.dp.as_kwargs()
    for key in ("poisson_sampling", "max_physical_batch_size", "grad_sample_mode", "optimizer"):
        kwargs.pop(key)
    return kwargs


def _curve(run: AuditRun) -> None:
    from audit.privacy import privacy_utility_curve

    p = run.prepared
    kwargs = _dp_kwargs(run)
    kwargs.pop("epsilon")
    # every point learns and decides as the audited models did: weighted loss, early stopping, threshold rule
    kwargs.update(loss_fn=run.training_loss(), validation=run.validation(), patience=run.config.training.patience)
    run.privacy["utility_curve"] = privacy_utility_curve(
        model_factory=_factory(run), X_train=p.X_train, y_train=p.y_train, X_test=p.X_test, y_test=p.y_test,
        sensitive_test=p.sensitive_test, epsilons=tuple(run.config.privacy.utility_curve), seed=run.config.training.seed,
        progress=run.progress.note, trained={run.dp.epsilon: run.models["private"]}, threshold=_threshold_rule(run),
        **kwargs,
    )


def _threshold_rule(run: AuditRun):
    """Each curve point's decision threshold, by the rule the audited models' were chosen with."""
    from audit.models.decisions import choose_threshold

    p, rule = run.prepared, run.config.training.threshold
    if p.validation is None:
        return float(rule) if not isinstance(rule, str) else 0.5
    X_val, y_val = p.validation
    base_rate = float(p.y_train.mean())
    return lambda model: choose_threshold(y_val, p.task.scores(model, X_val), rule=rule, base_rate=base_rate)["threshold"]


def _statement(run: AuditRun) -> None:
    """What the run directory as a whole promises (audit.privacy._statement), from what this run trained and writes."""
    from audit.privacy._statement import privacy_statement

    pcfg = run.config.privacy
    mia = run.privacy.get("membership_inference") or {}
    run.privacy["statement"] = privacy_statement(
        dp=run.privacy.get("dp"), models=list(run.models), preprocessor=run.prepared.preprocessor is not None,
        vocabulary=run.is_text,
        explanations=[name for name, section in run.explain.items() if section.get("artifacts")],
        reference_models=max((s.get("reference_models", {}).get("k", 0) for s in mia.values()), default=0),
        canary=run.privacy.get("canary_audit"), utility_curve=pcfg.utility_curve,
    )


PRIVACY_STAGES = (
    Stage(title=_canary_title, run=_canary, timer_key="audit_canary",
          applies=lambda run: run.config.privacy.enabled and run.config.privacy.canary_audit),
    Stage(title=lambda run: f"privacy-utility curve (ε in {run.config.privacy.utility_curve})", run=_curve,
          timer_key="audit_utility_curve", applies=lambda run: bool(run.config.privacy.utility_curve)),
    Stage(title=None, run=_statement),
)
