"""Audit stages shared by ``run_audit`` and ``audit_model``: predictions and fairness, mitigation,
the identifier scan, membership inference and explanations."""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import nn

from audit.pipeline._context import AuditRun, Stage
from audit.pipeline._predict import predict_and_audit
from audit.pipeline._robustness import ROBUSTNESS_STAGE
from audit.pipeline._text import TEXT_STAGES
from audit.result import IdentifierFinding, MembershipInference, ModelExplanation, Slices

__all__ = ["AUDIT_STAGES", "MITIGATION_FIT_ROWS", "MIA_MAX_ROWS", "SLICE_MAX_DEPTH", "SLICE_MIN_SIZE"]

MITIGATION_FIT_ROWS = 5000
MIA_MAX_ROWS = 5000
SLICE_MAX_DEPTH = 2
SLICE_MIN_SIZE = 30
SLICE_FEATURES_FILE = "slices/test_features.npy"


def _slices(run: AuditRun) -> None:
    """Error analysis: where each model errs most (audit.slices), and the raw test features for cohorts and what-if."""
    from audit.slices import CORRECTION, find_slices, pack_features

    p = run.prepared
    features = [c for c in p.summary.get("features") or p.preprocessor.columns_ if c in p.raw_test.columns]
    raw = p.raw_test[features].reset_index(drop=True)
    for col in p.sensitive_test.columns:  # sensitive columns not used as features still define cohorts
        if col not in raw.columns:
            raw[col] = p.sensitive_test[col].to_numpy()
    packed, columns = pack_features(raw)
    run.arrays[SLICE_FEATURES_FILE] = packed
    if not run.kind.slices:  # no label mismatches to search (a regression); cohorts and What-if still read the rows
        run.slices = Slices.from_dict({"features": columns, "test_features": SLICE_FEATURES_FILE})
        return
    models, settings = {}, {}
    for name in run.models:
        found = find_slices(raw, y_true=p.y_test, y_pred=p.task.decide(run.scores[name], run.threshold(name)),
                            max_depth=SLICE_MAX_DEPTH, min_size=SLICE_MIN_SIZE)
        settings = found.pop("settings")
        models[name] = found
        run.progress.note(f"{name}: {found['n_significant']} of {found['n_examined']} slices err significantly more often")
    run.slices = Slices.from_dict({
        "method": f"every conjunction of up to {settings['max_depth']} raw-feature conditions (numeric features cut "
                  f"into at most {settings['n_bins']} ranges that best separate the error rate; the correction counts "
                  f"every slice such cuts could form) with at least {settings['min_size']} test rows, counted exhaustively",
        "correction": CORRECTION, **settings, "models": models, "features": columns,  # settings: test, interval
        "test_features": SLICE_FEATURES_FILE,
    })


def _mitigation(run: AuditRun) -> None:
    from audit.fairness import mitigation_report
    from audit.models import predict_proba

    p, f, seed = run.prepared, run.options.fairness, run.options.seed
    first = list(p.sensitive_test.columns)[0]
    # Mitigations are fitted on a seeded sample of training rows: ExponentiatedGradient refits its
    # stand-in model dozens of times, and its row does not depend on the audited model, so it is
    # run once, for the model that would ship (private when there is one).
    fit_rows = np.sort(np.random.default_rng(seed).choice(len(p.X_train), size=min(len(p.X_train), MITIGATION_FIT_ROWS),
                                                          replace=False))
    shipping = "private" if "private" in run.models else next(iter(run.models))
    for name, model in run.models.items():
        with_X = {"X_fit": p.X_train[fit_rows], "X_test": p.X_test} if name == shipping else {}
        section = mitigation_report(
            y_fit=p.y_train[fit_rows], scores_fit=predict_proba(model, p.X_train[fit_rows]),
            sensitive_fit=p.sensitive_train[first].iloc[fit_rows].reset_index(drop=True),
            y_test=p.y_test, scores_test=run.scores[name], sensitive_test=p.sensitive_test[first],
            constraint=f.mitigation, n_boot=min(f.n_boot, 200), seed=seed, threshold=run.threshold(name), **with_X,
        )
        section["fit_rows"] = int(len(fit_rows))
        run.fairness[name]["mitigation"] = section


def _identifier_scan(run: AuditRun) -> None:
    """The identifier scan of the training rows: the record's ``data.identifier_scan``, for either entry point."""
    screening = run.prepared.screening
    if screening is not None:  # scanned before encoding, each finding saying what became of the column
        findings = screening.scan
    else:
        from audit.data import identifier_scan

        findings = identifier_scan(run.prepared.raw_train)
    run.identifier_scan = [IdentifierFinding.from_dict(f) for f in findings]


def _membership(run: AuditRun) -> None:
    """Threshold attacks on every model; RMIA and LiRA where the audited model's trainer is known.

    ``run_audit`` knows both trainers: the private model's (DP-SGD at the audit's ``DPSettings``)
    and the non-private model's (the config's ``[training]``; not for weights loaded from a file).
    ``audit_model`` has neither (a model trained elsewhere, no DP settings): threshold attacks
    only, and the record says why.
    """
    from audit.privacy._membership_audit import membership_audit

    p, cfg = run.prepared, run.config
    pcfg = cfg.privacy if cfg is not None else None
    k = pcfg.reference_models if pcfg is not None else 2  # audit_model: no trainer, so none are trained (reason recorded)
    found = membership_audit(
        run.models, X_train=p.X_train, y_train=p.y_train, X_heldout=p.X_test, y_heldout=p.y_test,
        trainers=_reference_trainers(run) if k and cfg is not None else {}, reference_models=k, max_rows=MIA_MAX_ROWS,
        min_false_positives=pcfg.min_false_positives if pcfg is not None else 20, seed=run.options.seed,
        no_trainer_reason=("a model audited with audit_model was trained elsewhere: no trainer or DP settings are "
                           "known, so no reference models can be trained as it was" if cfg is None else
                           "the model's weights were loaded from a file: its trainer is not known"),
        progress=run.progress.note, loss_fn=p.task.loss_fn(), regression=not p.task.kind.classifier,
    )
    run.privacy.membership_inference = {name: MembershipInference.from_dict(block) for name, block in found.items()}


def _reference_trainers(run: AuditRun) -> dict[str, tuple[Any, str]]:
    """Name → (train_fn, description): how each audited model was trained, for its reference models."""
    from audit.training import build_model, train_reference

    cfg, n_features = run.cfg, run.prepared.X_train.shape[1]
    trainers: dict[str, tuple[Any, str]] = {}
    t, loss_fn = cfg.training, run.training_loss()
    if "reference" in run.models and not cfg.model.weights:
        # as long as the audited model trained: the epoch early stopping kept, else every epoch
        epochs = int(run.summaries["reference"].best_epoch or run.reference_epochs())

        def plain(X, y, seed):
            model = build_model(cfg.model, n_features=n_features, seed=seed, base_dir=cfg.base_dir, **run.model_kwargs())
            return train_reference(model, X, y, epochs=epochs, batch_size=t.batch_size, learning_rate=t.learning_rate,
                                   seed=seed, loss_fn=loss_fn)[0]

        trainers["reference"] = (plain, f"the reference model's trainer ([training]: {epochs} epochs, batch "
                                        f"{t.batch_size}, Adam at {t.learning_rate:g})")
    if "private" in run.models and run.dp is not None:
        from audit.privacy._reference_models import private_trainer
        from audit.training import model_factory  # unseeded: private_trainer seeds each reference model

        dp = run.dp
        factory = model_factory(cfg.model, n_features=n_features, base_dir=cfg.base_dir, **run.factory_kwargs())
        trainers["private"] = (private_trainer(factory, dp, n_target=len(run.prepared.X_train), loss_fn=loss_fn),
                               f"DP-SGD with the audit's settings (ε={dp.epsilon:g}, {dp.epochs} epochs, "
                               f"{dp.accountant} accountant), batch scaled to the split so q = 1/ceil(n/B) and "
                               "the noise multiplier match")
    return trainers


def _explained(run: AuditRun, name: str, model: nn.Module, rows: np.ndarray) -> tuple[Any, ...]:
    """The model to explain, its labels, the output kind and the explained class (the task's choice)."""
    p = run.prepared
    return p.task.explained(model, scores=run.scores[name][rows], y_true=p.y_test[rows],
                            truth=p.target_values("test")[rows])


def _per_class(run: AuditRun, model: nn.Module, rows: np.ndarray, section: dict[str, Any]) -> None:
    """Every class's global importance (a multiclass model), on the same rows and baseline."""
    from audit.explain._classes import per_class_importance
    from audit.explain._tabular import _baselines

    p, e = run.prepared, run.options.explain
    baselines, _ = _baselines(e.baseline, np.asarray(p.X_train, dtype=np.float32), run.options.seed)
    section["per_class_importance"] = per_class_importance(
        model, np.asarray(p.X_test[rows], dtype=np.float32), baselines=baselines, classes=p.task.classes,
        feature_groups=p.preprocessor.feature_groups_, method=e.method, seed=run.options.seed)


def _explain(run: AuditRun) -> None:
    from audit.explain import explain_tabular

    p, e = run.prepared, run.options.explain
    rows = run.explain_rows()
    features = p.summary["features"]
    for name, model in run.models.items():
        explained, y, output, k = _explained(run, name, model, rows)
        section, arrays = explain_tabular(
            explained, X_explain=p.X_test[rows], X_train=p.X_train, feature_names=p.preprocessor.feature_names_,
            feature_groups=p.preprocessor.feature_groups_, raw_explain=p.raw_test.iloc[rows][features],
            y_explain=y, sensitive_explain=p.sensitive_test.iloc[rows],
            raw_train=p.raw_train[features], sensitive_train=p.sensitive_train,
            method=e.method, baseline=e.baseline, n_examples=e.n_examples, checks=e.checks,
            # The tolerance is in log-odds; a regression's completeness gap is in target units, so it scales with them.
            delta_tolerance=e.delta_tolerance * (p.task.target_scale if output == "value" else 1.0),
            randomization_threshold=e.randomization_threshold, seed=run.options.seed, output=output,
            decision_threshold=run.threshold(name),
        )
        if k is not None:
            section["target"] = f"log_odds[{p.task.classes[k]}]"
            section["target_description"] = (
                f"log-odds of class {p.task.classes[k]!r} (the class predicted most often) against all others; "
                "attributions in logit units. Examples and checks explain that class; per_class_importance ranks "
                "the features for every class")
            section["explained_class"] = p.task.classes[k]
            _per_class(run, model, rows, section)
        section["test_rows"] = "all" if len(rows) == len(p.X_test) else f"random sample of {len(rows)}"
        for example in section.get("examples") or []:  # positions among the explained rows -> test-row indices
            example["row"] = int(rows[example["row"]])
        section.setdefault("artifacts", {})
        for key, value in arrays.items():
            rel = f"explanations/{name}_{key}.npy"
            run.arrays[rel] = value
            section["artifacts"][key] = rel
        explained_model = run.explain[name] = ModelExplanation.from_dict(section)
        run.progress.note(f"{name}: top features {[g.feature for g in explained_model.global_importance[:3]]}")


AUDIT_STAGES = (
    Stage(title=lambda run: "predict and audit fairness", run=predict_and_audit, timer_key="audit_fairness"),
    Stage(title=lambda run: f"fairness mitigation ({run.options.fairness.mitigation})", run=_mitigation,
          timer_key="audit_mitigation", applies=lambda run: run.options.fairness.mitigation != "none"
          and run.kind.mitigation and run.has_groups),
    Stage(title=lambda run: "error analysis (slices)" if run.kind.slices else "raw test features (cohorts, What-if)",
          run=_slices, timer_key="audit_slices", applies=lambda run: not run.is_text),
    ROBUSTNESS_STAGE,
    Stage(title=None, run=_identifier_scan, applies=lambda run: run.options.identifier_scan),
    Stage(title=lambda run: "membership-inference attack", run=_membership, timer_key="audit_membership_inference",
          applies=lambda run: run.options.membership_inference),
    Stage(title=lambda run: f"explain ({run.options.explain.method})", run=_explain, timer_key="audit_explain",
          applies=lambda run: run.options.explain.enabled and not run.is_text),
    *TEXT_STAGES,
)
