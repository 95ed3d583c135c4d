"""Gate metrics of how well a model works: accuracy, ROC AUC, F1, balanced accuracy, errors, calibration, what DP
costs, slices.

Examples
--------
>>> from audit.metrics import GATE_METRICS
>>> GATE_METRICS["accuracy_drop"].unit, GATE_METRICS["mae"].tasks
('points', ('regression',))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.metrics._registry import (
    Needs,
    Resolved,
    register_gate_metric,
    register_model_field,
    tasks_where,
)

if TYPE_CHECKING:
    from audit.config import GateSpec
    from audit.result import AuditResult

__all__: list[str] = []

_CLASSIFICATION = tasks_where("classifier")
_SCORED = tasks_where("has_scores_auc")  # a positive score: ROC AUC, calibration
_CLASSES = tasks_where("has_classes")
_REGRESSION = tasks_where("classifier", False)
_COMPARED = Needs(lambda c: c.privacy.enabled, "a private model to compare with the reference", "set privacy.enabled = true")


for _name, _field, _description, _title, _headline, _tasks in (
    ("accuracy", "test_accuracy", "test accuracy of the model", "Test accuracy", "accuracy", _CLASSIFICATION),
    ("roc_auc", "test_roc_auc", "test ROC AUC of the model", "Test ROC AUC", "ROC AUC", _SCORED),
    ("macro_f1", "test_macro_f1", "test macro-averaged F1 of the model", "Test macro F1", "macro F1", _CLASSES),
    ("balanced_accuracy", "test_balanced_accuracy", "test balanced accuracy (macro recall) of the model",
     "Test balanced accuracy", "balanced accuracy", _CLASSES),
    ("mae", "test_mae", "test mean absolute error of the model (target units)", "Test MAE", "MAE", _REGRESSION),
    ("rmse", "test_rmse", "test root mean squared error of the model (target units)", "Test RMSE", "RMSE", _REGRESSION),
    ("r2", "test_r2", "test coefficient of determination (R²) of the model", "Test R²", "R²", _REGRESSION),
):
    register_model_field(_name, _field, description=_description, title=_title, tasks=_tasks, needs_working_model=True,
                         headline=_headline)
del _name, _field, _description, _title, _headline, _tasks


@register_gate_metric("accuracy_drop", description="reference accuracy minus private accuracy",
                      title="Accuracy lost to DP (reference − private)", unit="points", tasks=_CLASSIFICATION,
                      needs=_COMPARED)
def _accuracy_drop(r: AuditResult, g: GateSpec) -> Resolved:
    ref, priv = r.models.get("reference"), r.models.get("private")
    if ref is None or priv is None or ref.test_accuracy is None or priv.test_accuracy is None:
        return Resolved(None)
    return Resolved(ref.test_accuracy - priv.test_accuracy)


@register_gate_metric("mae_increase", description="private MAE minus reference MAE (target units)",
                      title="MAE added by DP (private − reference)", tasks=_REGRESSION, needs=_COMPARED)
def _mae_increase(r: AuditResult, g: GateSpec) -> Resolved:
    ref, priv = r.models.get("reference"), r.models.get("private")
    if ref is None or priv is None or ref.test_mae is None or priv.test_mae is None:
        return Resolved(None)
    return Resolved(priv.test_mae - ref.test_mae)


@register_gate_metric(
    "max_significant_slice_error_rate",
    description="highest error rate of a test-set slice that errs significantly more often than the model overall "
                "(Holm-corrected over every slice examined); the overall error rate when no slice does",
    title="Highest error rate of a significant slice", tasks=_CLASSIFICATION, tables_only=True)
def _slice_error_rate(r: AuditResult, g: GateSpec) -> Resolved:
    found = r.slices.models.get(g.model) if r.slices is not None else None
    if found is None or found.max_significant_error_rate is None:
        return Resolved(None)
    if found.max_significant_error_rate_ci is not None:  # the selected slice's simultaneous interval (issue 22)
        return Resolved(found.max_significant_error_rate, found.max_significant_error_rate_ci)
    worst = next((s for s in found.by_error_rate if s.significant and s.error_rate == found.max_significant_error_rate), None)
    return Resolved(found.max_significant_error_rate, worst.ci if worst is not None else None)


@register_gate_metric(
    "expected_calibration_error",
    description="expected calibration error of the positive score on the test rows: the row-weighted mean over 10 "
                "equal-width score bins of |mean score − share of positives| (binned, so biased upward on few rows), "
                "with the group report's bootstrap interval",
    title="Expected calibration error", tasks=_SCORED, needs_working_model=True,
    needs=Needs(lambda c: bool(c.data.sensitive_features), "a sensitive feature (the group report measures calibration)",
                "list a column in data.sensitive_features"))
def _calibration_error(r: AuditResult, g: GateSpec) -> Resolved:
    """The model's overall ECE as the fairness section records it (``overall.metrics.ece``), with its interval."""
    fair = r.fairness.models.get(g.model) if r.fairness is not None else None
    entry = fair.overall.metrics.get("ece") if fair is not None and fair.overall is not None else None
    value = getattr(entry, "value", None)  # a {value, ci} entry, not a bare count
    return Resolved(value, getattr(entry, "ci", None) if value is not None else None)
