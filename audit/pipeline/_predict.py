"""The prediction stage, by task: scores, decisions, test metrics, degenerate-model checks, group fairness.

Every model's group audit goes to ``fairness`` (binary models: Fairlearn's binary metrics, with the
representation audit; multiclass and regression models: their own group metrics). Every model's
rows go to ``predictions.csv``: class labels for a multiclass model (``y_score`` is the
probability of the predicted class), target units for a regression (``y_score`` is the prediction).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audit.exceptions import ModelError
from audit.pipeline._context import AuditRun
from audit.result import ModelSummary

__all__ = ["predict_and_audit"]


def _degenerate(run: AuditRun, y_true: np.ndarray, scores: np.ndarray, pred: np.ndarray, threshold: float = 0.5) -> dict:
    p = run.prepared
    return p.task.degenerate_checks(y_true=y_true, scores=scores, pred=pred, truth=p.target_values("test"),
                                    sensitive=p.sensitive_test if len(p.sensitive_test.columns) else None,
                                    min_group_size=run.options.fairness.min_group_size, threshold=threshold)


def _group_fairness(run: AuditRun, name: str, scores: np.ndarray, pred: np.ndarray) -> None:
    """The group audit of one model (its task's group report), stored under its name in ``fairness``."""
    p, f, task = run.prepared, run.options.fairness, run.prepared.task
    if not len(p.sensitive_test.columns):
        return  # a text audit without group columns: the identity-term audits stand in
    common = {"sensitive": p.sensitive_test, "n_boot": f.n_boot, "ci_level": f.ci_level, "min_group_size": f.min_group_size,
              "intersections": run.options.intersections, "seed": run.options.seed}
    report = task.group_report(y_true=p.y_test, pred=pred, scores=scores, truth=p.target_values("test"), common=common,
                               fairness=f)
    run.fairness[name] = report


def _prediction_frame(run: AuditRun, name: str, scores: np.ndarray, pred: np.ndarray) -> pd.DataFrame:
    from audit.config import PREDICTION_COLUMNS  # the reserved names the config refuses for sensitive columns

    p = run.prepared
    values = p.task.prediction_values(p.y_test, pred, scores, p.target_values("test"))
    frame = pd.DataFrame(dict(zip(PREDICTION_COLUMNS, (name, *values), strict=True)))
    for col in p.sensitive_test.columns:
        frame[col] = p.sensitive_test[col].to_numpy()
    return frame


def _note(run: AuditRun, name: str, figures: dict[str, Any]) -> None:
    run.progress.note(f"{name}: {run.prepared.task.progress_text(figures)}")
    degenerate = run.summaries[name].degenerate
    for reason in degenerate.reasons if degenerate is not None else []:
        run.progress.note(f"{name}: DEGENERATE: {reason}")
    if degenerate is not None and degenerate.threshold_problem:
        run.progress.note(f"{name}: THRESHOLD PROBLEM: {degenerate.threshold_problem}")


def _summary(trained: ModelSummary | None, figures: dict[str, Any], degenerate: dict[str, Any]) -> ModelSummary:
    """A model's summary: its test figures, decision threshold and checks first, then how it was trained."""
    earlier = trained.to_dict() if trained is not None else {}
    threshold = earlier.pop("decision_threshold", None)
    return ModelSummary.from_dict({**figures, **({"decision_threshold": threshold} if threshold is not None else {}),
                                   "degenerate": degenerate, **earlier})


def predict_and_audit(run: AuditRun) -> None:
    """Scores, test metrics, degenerate checks, group fairness and prediction rows of every model."""
    from audit.models import count_parameters

    p, task = run.prepared, run.prepared.task
    for name, model in run.models.items():
        scores = task.scores(model, p.X_test)
        if not np.all(np.isfinite(scores)):
            raise ModelError(f"The {name} model produced non-finite scores on the test data; check its weights and inputs.")
        threshold = run.threshold(name)  # binary: chosen on the validation rows (audit.models.decisions)
        pred = task.decide(scores, threshold)
        run.scores[name] = scores
        figures = {**task.summary(p.y_test, scores, truth=p.target_values("test"), threshold=threshold),
                   "n_parameters": count_parameters(model), "architecture": repr(model)}
        run.summaries[name] = _summary(run.summaries.get(name), figures,
                                       _degenerate(run, p.y_test, scores, pred, threshold))
        _group_fairness(run, name, scores, pred)
        run.prediction_frames.append(_prediction_frame(run, name, scores, pred))
        _note(run, name, figures)
    if task.kind.has_positive_class and len(p.sensitive_test.columns):  # base rates by group need a positive class
        from audit.fairness import representation_report

        binned = list(p.sensitive_bins)  # numeric sensitive columns count by their groups, not by value
        run.fairness["representation"] = representation_report(
            train=p.raw_train.assign(**{c: p.sensitive_train[c].to_numpy() for c in binned}),
            test=p.raw_test.assign(**{c: p.sensitive_test[c].to_numpy() for c in binned}),
            target=p.summary["target"], positive_label=p.summary["positive_label"],
            sensitive_features=list(p.sensitive_test.columns),
        )
