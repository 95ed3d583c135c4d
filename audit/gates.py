"""Policy gates: read a metric from an audit result, compare it with a bound, decide.

Each gate names a metric from :data:`GATE_METRICS` (the names and descriptions
live in :data:`audit.choices.GATE_METRICS`). A metric that the audit did not
compute (its section was switched off, or it is undefined for a group) is never
treated as a pass: the gate result says ``"not computed"`` and, for an
``error`` gate, fails the verdict.

Examples
--------
>>> from audit.config import GateSpec
>>> result = AuditResult.from_dict({"schema_version": "1.1", "run": {"name": "r"}, "data": {},
...                                 "models": {"private": {"test_accuracy": 0.84}}})
>>> evaluate_gates([GateSpec(metric="accuracy", min=0.8)], result)[0].passed
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from audit.choices import FAIRNESS_DISPARITIES
from audit.choices import GATE_METRICS as _GATE_METRIC_INFO
from audit.config import GateSpec
from audit.result import AuditResult, FairnessBlock, GateResult, Metric

__all__ = ["GATE_METRICS", "GateMetric", "evaluate_gates", "verdict"]

# A resolver returns (value, ci) where ci is [lo, hi] or None.
Resolved = tuple[float | None, list[float | None] | None]


@dataclass(frozen=True)
class GateMetric:
    """How to find one metric in an audit result."""

    description: str
    resolve: Callable[[AuditResult, GateSpec], Resolved]
    needs_feature: bool = False


def _model_field(key: str) -> Callable[[AuditResult, GateSpec], Resolved]:
    def resolve(r: AuditResult, g: GateSpec) -> Resolved:
        model = r.models.get(g.model)
        return (getattr(model, key) if model is not None else None), None

    return resolve


def _block(r: AuditResult, g: GateSpec) -> FairnessBlock | None:
    model = r.fairness.models.get(g.model) if r.fairness is not None else None
    return model.by_feature.get(g.feature or "") if model is not None else None


def _disparity(name: str) -> Callable[[AuditResult, GateSpec], Resolved]:
    def resolve(r: AuditResult, g: GateSpec) -> Resolved:
        entry = block.disparities.get(name) if (block := _block(r, g)) is not None else None
        return (entry.value, entry.ci) if isinstance(entry, Metric) else (None, None)

    return resolve


def _four_fifths(r: AuditResult, g: GateSpec) -> Resolved:
    block = _block(r, g)
    rule = block.four_fifths_rule if block is not None else None
    return (rule.selection_rate_ratio if rule is not None else None), None


def _dp_spent(r: AuditResult, g: GateSpec) -> Resolved:
    dp = r.privacy.dp if r.privacy is not None else None
    return (dp.epsilon_spent if dp is not None else None), None


def _canary(key: str) -> Callable[[AuditResult, GateSpec], Resolved]:
    def resolve(r: AuditResult, g: GateSpec) -> Resolved:
        canary = r.privacy.canary_audit if r.privacy is not None else None
        return (getattr(canary, key) if canary is not None else None), None

    return resolve


def _mia_auc(r: AuditResult, g: GateSpec) -> Resolved:
    mia = r.privacy.membership_inference.get(g.model) if r.privacy is not None else None
    aucs = [a.auc for a in mia.attacks.values() if a.auc is not None] if mia is not None else []
    return (max(aucs) if aucs else None), None


def _accuracy_drop(r: AuditResult, g: GateSpec) -> Resolved:
    ref, priv = r.models.get("reference"), r.models.get("private")
    if ref is None or priv is None or ref.test_accuracy is None or priv.test_accuracy is None:
        return None, None
    return ref.test_accuracy - priv.test_accuracy, None


def _reliance(r: AuditResult, g: GateSpec) -> Resolved:
    x = (r.explainability or {}).get(g.model)
    reliance = x.group_reliance.get(g.feature or "") if x is not None else None
    return (reliance.sensitive_feature_share if reliance is not None else None), None


def _slice_error_rate(r: AuditResult, g: GateSpec) -> Resolved:
    found = r.slices.models.get(g.model) if r.slices is not None else None
    if found is None or found.max_significant_error_rate is None:
        return None, None
    worst = next((s for s in found.by_error_rate if s.significant and s.error_rate == found.max_significant_error_rate), None)
    return found.max_significant_error_rate, (worst.ci if worst is not None else None)


_RESOLVERS: dict[str, Callable[[AuditResult, GateSpec], Resolved]] = {
    "accuracy": _model_field("test_accuracy"),
    "roc_auc": _model_field("test_roc_auc"),
    "accuracy_drop": _accuracy_drop,
    "epsilon_spent": _dp_spent,
    "membership_inference_auc": _mia_auc,
    "canary_epsilon_lower_bound": _canary("epsilon_lower_bound"),
    "canary_noise_ratio": _canary("score_noise_ratio"),
    "four_fifths_ratio": _four_fifths,
    "sensitive_feature_share": _reliance,
    "n_parameters": _model_field("n_parameters"),
    "training_time_s": _model_field("train_wall_s"),
    "max_significant_slice_error_rate": _slice_error_rate,
    **{name: _disparity(name) for name in FAIRNESS_DISPARITIES},
}

GATE_METRICS: dict[str, GateMetric] = {
    name: GateMetric(info.description, _RESOLVERS[name], needs_feature=info.needs_feature)
    for name, info in _GATE_METRIC_INFO.items()
}


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4g}"


def _as_result(result: AuditResult | dict[str, Any]) -> AuditResult:
    if isinstance(result, AuditResult):
        return result
    # Transitional: a plain dict (audit.json as read, or a partial record) is read as schema 1.x.
    return AuditResult.from_dict({"schema_version": "1.0", "run": {}, "data": {}, "models": {}, **result})


def evaluate_gates(gates: Sequence[GateSpec], result: AuditResult | dict[str, Any]) -> list[GateResult]:
    """Evaluate each gate against an audit result.

    Parameters
    ----------
    gates : sequence of GateSpec
        The gates of the config (``[[gates]]``).
    result : AuditResult
        The audit result (a plain ``audit.json`` dict is accepted during the transition and read
        with :meth:`AuditResult.from_dict`).

    Returns
    -------
    list of GateResult
        One entry per gate: name, metric, model, feature, severity, bounds, value, ci,
        compared (the number compared), passed (bool) and a message.

    Examples
    --------
    >>> evaluate_gates([GateSpec(metric="epsilon_spent", max=1.0)], {})[0].message
    'epsilon_spent@private: not computed (the audit section is off or the value is undefined)'
    """
    typed = _as_result(result)
    out = []
    for gate in gates:
        value, ci = GATE_METRICS[gate.metric].resolve(typed, gate)
        compared = value
        if gate.use_ci_bound and ci is not None and None not in ci:
            # Pessimistic bound: the CI end that is worse for the gate.
            compared = ci[1] if gate.max is not None else ci[0]
        bounds = []
        if gate.max is not None:
            bounds.append(("<=", gate.max))
        if gate.min is not None:
            bounds.append((">=", gate.min))
        if compared is None:
            passed = False
            message = f"{gate.label}: not computed (the audit section is off or the value is undefined)"
        else:
            passed = all(compared <= b if op == "<=" else compared >= b for op, b in bounds)
            bound_txt = " and ".join(f"{op} {b:g}" for op, b in bounds)
            basis = " (CI bound)" if compared is not value else ""
            message = f"{gate.label} = {_fmt(compared)}{basis}; required {bound_txt}: {'pass' if passed else 'FAIL'}"
        out.append(GateResult(
            name=gate.label, metric=gate.metric, model=gate.model, feature=gate.feature, severity=gate.severity,
            max=gate.max, min=gate.min, use_ci_bound=gate.use_ci_bound, value=value, ci=ci, compared=compared,
            passed=bool(passed), message=message,
        ))  # fmt: skip
    return out


def verdict(gate_results: Sequence[GateResult]) -> str:
    """``"pass"`` unless an ``error``-severity gate failed; warnings never fail the verdict.

    Examples
    --------
    >>> verdict([])
    'pass'
    """
    results = [g if isinstance(g, GateResult) else GateResult.from_dict(g) for g in gate_results]
    return "fail" if any(not g.passed and g.severity == "error" for g in results) else "pass"
