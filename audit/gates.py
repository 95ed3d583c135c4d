"""Policy gates: read a metric from an audit result, compare it with a bound, decide.

Each gate names a metric from :data:`GATE_METRICS`. A metric that the audit did
not compute (its section was switched off, or it is undefined for a group) is
never treated as a pass: the gate result says ``"not computed"`` and, for an
``error`` gate, fails the verdict.

Examples
--------
>>> from audit.config import GateSpec
>>> result = {"models": {"private": {"test_accuracy": 0.84}}}
>>> evaluate_gates([GateSpec(metric="accuracy", min=0.8)], result)[0]["passed"]
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from audit.config import GateSpec

__all__ = ["GATE_METRICS", "GateMetric", "evaluate_gates", "verdict"]

# A resolver returns (value, ci) where ci is [lo, hi] or None.
Resolved = tuple[float | None, list[float] | None]


@dataclass(frozen=True)
class GateMetric:
    """How to find one metric in an audit result."""

    description: str
    resolve: Callable[[dict[str, Any], GateSpec], Resolved]
    needs_feature: bool = False


def _get(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _value_ci(entry: Any) -> Resolved:
    if isinstance(entry, dict):
        return entry.get("value"), entry.get("ci")
    return (entry if isinstance(entry, (int, float)) else None), None


def _model_field(key: str) -> Callable[[dict[str, Any], GateSpec], Resolved]:
    return lambda r, g: (_get(r, "models", g.model, key), None)


def _disparity(name: str) -> Callable[[dict[str, Any], GateSpec], Resolved]:
    return lambda r, g: _value_ci(_get(r, "fairness", g.model, "by_feature", g.feature or "", "disparities", name))


def _four_fifths(r: dict[str, Any], g: GateSpec) -> Resolved:
    return _get(r, "fairness", g.model, "by_feature", g.feature or "", "four_fifths_rule", "selection_rate_ratio"), None


def _mia_auc(r: dict[str, Any], g: GateSpec) -> Resolved:
    attacks = _get(r, "privacy", "membership_inference", g.model, "attacks") or {}
    aucs = [a.get("auc") for a in attacks.values() if isinstance(a, dict) and a.get("auc") is not None]
    return (max(aucs) if aucs else None), None


def _accuracy_drop(r: dict[str, Any], g: GateSpec) -> Resolved:
    ref = _get(r, "models", "reference", "test_accuracy")
    priv = _get(r, "models", "private", "test_accuracy")
    return (ref - priv if ref is not None and priv is not None else None), None


def _reliance(r: dict[str, Any], g: GateSpec) -> Resolved:
    return _get(r, "explainability", g.model, "group_reliance", g.feature or "", "sensitive_feature_share"), None


_DISPARITIES = [
    "demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference",
    "equalized_odds_ratio", "equalized_odds_difference_mean", "equal_opportunity_difference",
    "equal_opportunity_ratio", "predictive_parity_difference", "predictive_parity_ratio", "accuracy_difference",
    "roc_auc_difference", "roc_auc_ratio",
]  # fmt: skip

GATE_METRICS: dict[str, GateMetric] = {
    "accuracy": GateMetric("test accuracy of the model", _model_field("test_accuracy")),
    "roc_auc": GateMetric("test ROC AUC of the model", _model_field("test_roc_auc")),
    "accuracy_drop": GateMetric("reference accuracy minus private accuracy", _accuracy_drop),
    "epsilon_spent": GateMetric("ε spent by DP training (accountant)", lambda r, g: (_get(r, "privacy", "dp", "epsilon_spent"), None)),
    "membership_inference_auc": GateMetric("highest membership-inference attack AUC", _mia_auc),
    "canary_epsilon_lower_bound": GateMetric(
        "empirical ε lower bound from the one-run canary audit",
        lambda r, g: (_get(r, "privacy", "canary_audit", "epsilon_lower_bound"), None),
    ),
    "canary_noise_ratio": GateMetric(
        "noise released on the gradient canaries over the noise the accountant assumed (about 1 when correct)",
        lambda r, g: (_get(r, "privacy", "canary_audit", "score_noise_ratio"), None),
    ),
    "four_fifths_ratio": GateMetric("selection-rate ratio (four-fifths rule)", _four_fifths, needs_feature=True),
    "sensitive_feature_share": GateMetric("share of attribution on the sensitive feature", _reliance, needs_feature=True),
    "n_parameters": GateMetric("trainable parameters", _model_field("n_parameters")),
    "training_time_s": GateMetric("training wall time in seconds", _model_field("train_wall_s")),
    **{name: GateMetric(f"fairness disparity ({name})", _disparity(name), needs_feature=True) for name in _DISPARITIES},
}


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4g}"


def evaluate_gates(gates: list[GateSpec] | tuple[GateSpec, ...], result: dict[str, Any]) -> list[dict[str, Any]]:
    """Evaluate each gate against an audit result (as a dict).

    Returns
    -------
    list of dict
        One entry per gate: name, metric, model, feature, severity, bound (op and value),
        value, ci, compared (the number compared), passed (bool) and a message.
    """
    out = []
    for gate in gates:
        value, ci = GATE_METRICS[gate.metric].resolve(result, gate)
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
        out.append({
            "name": gate.label, "metric": gate.metric, "model": gate.model, "feature": gate.feature,
            "severity": gate.severity, "max": gate.max, "min": gate.min, "use_ci_bound": gate.use_ci_bound,
            "value": value, "ci": ci, "compared": compared, "passed": bool(passed), "message": message,
        })  # fmt: skip
    return out


def verdict(gate_results: list[dict[str, Any]]) -> str:
    """``"pass"`` unless an ``error``-severity gate failed; warnings never fail the verdict."""
    return "fail" if any(not g["passed"] and g["severity"] == "error" for g in gate_results) else "pass"
