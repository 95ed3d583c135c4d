"""Policy gates: read a metric from an audit result, compare it with a bound, decide.

Each gate names a metric registered in :data:`audit.metrics.GATE_METRICS` (its description, title, unit
and resolver) and has one of three outcomes:

* ``"pass"``: the value is within the bound;
* ``"fail"``: it is not, or the audit did not compute it (its section was switched off): a
  metric that was not computed is never treated as a pass;
* ``"inconclusive"``: the evidence cannot decide. A fairness gate (any disparity, the
  four-fifths ratio, reliance) or an accuracy/ROC AUC gate on a model flagged *degenerate*
  (constant predictions, accuracy not above the majority class, AUC at chance) would pass
  trivially; a disparity is null because fewer than two groups have enough data.

An inconclusive ``error`` gate fails the verdict unless the gate says
``allow_inconclusive = true``. Each result also says whether the metric's interval crosses
the bound (``ci_crosses_bound``: the estimate alone decides; a failure only with
``use_ci_bound``) and by how much the compared number clears it (``margin``).

This module evaluates; the words of a gate (its title, its numbers in the metric's unit, its line, the
verdict's reasons) come from ``audit.verdict._wording`` and are importable from here.

Examples
--------
>>> from audit.config import GateSpec
>>> result = AuditResult.from_dict({"schema_version": "1.1", "run": {"name": "r"}, "data": {},
...                                 "models": {"private": {"test_accuracy": 0.84}}})
>>> g = evaluate_gates([GateSpec(metric="accuracy", min=0.8)], result)[0]
>>> g.outcome, g.message
('pass', 'Test accuracy, private model: 0.840 ≥ 0.80 — pass, margin 0.040')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple, cast

from audit.config import GateSpec
from audit.metrics import FAIRNESS_GATE_METRICS, GATE_METRICS, GateMetric, Resolved
from audit.result import AuditResult, GateGroups, GateOutcome, GateResult, Metric, Severity, Verdict
from audit.verdict._wording import (
    NOT_COMPUTED,
    bounds_of,
    crosses,
    gate_bound_text,
    gate_line,
    gate_number_text,
    gate_title,
    typed_gates,
    verdict_reasons,
    with_derived,
)

__all__ = [
    "CONSTANT_SHARE",
    "FAIRNESS_GATE_METRICS",
    "GATE_METRICS",
    "GateMetric",
    "Resolved",
    "degenerate_reason",
    "evaluate_gates",
    "gate_bound_text",
    "gate_line",
    "gate_number_text",
    "gate_title",
    "verdict",
    "verdict_reasons",
    "with_derived",
]  # fmt: skip

#: Share of one predicted class at or above which a model counts as constant when the record has no
#: degenerate-model checks (the same threshold as ``audit.fairness.CONSTANT_SHARE``).
CONSTANT_SHARE = 0.99

_DEGENERATE = "the {model} model is degenerate ({why}): {consequence}"
_DEGENERATE_FAIL = "the {model} model is also degenerate ({why}); the failure stands"
_TRIVIAL_PARITY = ("a model whose output (nearly) never changes treats every group alike by construction, so its "
                   "fairness figures describe the data, not the model")
_NO_SIGNAL_PARITY = "its output carries no information about the target, so its fairness figures say nothing about a working model"
_TRIVIAL_ACCURACY = "its score says nothing about a working model"
_THRESHOLD = "the {model} model has a threshold problem: {why}; {consequence}"
_THRESHOLD_FAIL = "the {model} model also has a threshold problem: {why}; the failure stands"
_TRIVIAL_DECISIONS = "parity of its decisions holds trivially"
_EMPTY_DECISIONS = "parity of decisions that carry no information about the label says nothing about how it treats people"


class _Caveat(NamedTuple):
    """Why a gate's figure may say nothing about a working model: a degenerate model or a threshold problem."""

    kind: str  # "degenerate" or "threshold"
    why: str
    constant: bool  # the output (decisions) is (near-)constant


# ---------------------------------------------------------------- degenerate models
def degenerate_reason(result: AuditResult, model: str | None) -> str | None:
    """Why ``model`` is degenerate, or None when it is not (or nothing says so).

    Reads the degenerate-model checks stored at ``models[model].degenerate``; a record without
    them falls back on the fairness audit's overall selection rate (one class for at least
    :data:`CONSTANT_SHARE` of the test rows).

    Examples
    --------
    >>> r = AuditResult.from_dict({"schema_version": "1.1", "run": {}, "data": {}, "models": {"private": {
    ...     "test_accuracy": 0.76, "degenerate": {"degenerate": True, "reasons": ["the model predicts 0 for 100.0% of the rows"]}}}})
    >>> degenerate_reason(r, "private")
    'the model predicts 0 for 100.0% of the rows'
    """
    summary = result.models.get(model or "")
    checks = summary.degenerate if summary is not None else None
    if checks is not None and checks.degenerate is not None:
        if not checks.degenerate:
            return None
        more = len(checks.reasons) - 1
        return (checks.reasons[0] if checks.reasons else "flagged by the degenerate-model checks") + (
            f" (and {more} more finding{'s' if more > 1 else ''} of the degenerate-model checks)" if more > 0 else "")
    fair = result.fairness.models.get(model or "") if result.fairness is not None else None
    overall = fair.overall if fair is not None else None
    entry = overall.metrics.get("selection_rate") if overall is not None else None
    rate = entry.value if isinstance(entry, Metric) else None
    if rate is None or 1 - CONSTANT_SHARE < rate < CONSTANT_SHARE:
        return None
    share, cls = (rate, "the positive class") if rate >= 0.5 else (1 - rate, "the negative class")
    return f"the model predicts {cls} for {share:.1%} of the test rows"


# ---------------------------------------------------------------- evaluation
def _as_result(result: AuditResult | dict[str, Any]) -> AuditResult:
    if isinstance(result, AuditResult):
        return result
    # Transitional: a plain dict (audit.json as read, or a partial record) is read as schema 1.x.
    return AuditResult.from_dict({"schema_version": "1.0", "run": {}, "data": {}, "models": {}, **result})


def _caveat(result: AuditResult, gate: GateSpec, spec: GateMetric) -> _Caveat | None:
    """A degenerate model (gates that need a working model), or a threshold problem (fairness gates on decisions)."""
    if not spec.needs_working_model:
        return None
    summary = result.models.get(gate.model or "")
    checks = summary.degenerate if summary is not None else None
    found = checks.checks if checks is not None else {}
    constant = any(isinstance(found.get(k), dict) and found[k].get("flagged") is True
                   for k in ("constant_predictions", "constant_scores"))
    why = degenerate_reason(result, gate.model)
    if why is not None:
        return _Caveat("degenerate", why, constant or checks is None or checks.degenerate is None)
    if checks is not None and checks.threshold_problem and spec.on_decisions:
        return _Caveat("threshold", checks.threshold_problem, constant)
    return None


def _caveat_text(gate: GateSpec, spec: GateMetric, caveat: _Caveat, *, failed: bool) -> str:
    """The caveat in words: why the figure says nothing (an inconclusive gate), or context for a failure that stands."""
    if caveat.kind == "threshold":
        consequence = _TRIVIAL_DECISIONS if caveat.constant else _EMPTY_DECISIONS
        return (_THRESHOLD_FAIL if failed else _THRESHOLD).format(model=gate.model, why=caveat.why, consequence=consequence)
    why = re.sub(r" \((threshold [^)]*|and \d+ more [^)]*)\)", "", caveat.why)
    why = "it " + why.removeprefix("the model ") if why.startswith("the model ") else why
    why = "its " + why.removeprefix("the model's ") if why.startswith("the model's ") else why
    if failed:
        return _DEGENERATE_FAIL.format(model=gate.model, why=why)
    consequence = (_TRIVIAL_ACCURACY if not spec.fairness
                   else _TRIVIAL_PARITY if caveat.constant else _NO_SIGNAL_PARITY)
    return _DEGENERATE.format(model=gate.model, why=why, consequence=consequence)


def _decide(gate: GateSpec, spec: GateMetric, got: Resolved, compared: float | None, within: bool,
            caveat: _Caveat | None) -> tuple[GateOutcome, str | None]:
    """The outcome and its reason: a figure that would pass on a model without signal is inconclusive; one that
    fails stays a failure, with the caveat as context (the words never call a failure trivially satisfied)."""
    if compared is None:
        if got.inconclusive is not None or caveat is not None:
            return "inconclusive", _caveat_text(gate, spec, caveat, failed=False) if caveat else got.inconclusive
        return "fail", NOT_COMPUTED
    if not within:
        return "fail", _caveat_text(gate, spec, caveat, failed=True) if caveat else None
    return ("inconclusive", _caveat_text(gate, spec, caveat, failed=False)) if caveat is not None else ("pass", None)


def _evaluate(gate: GateSpec, typed: AuditResult) -> GateResult:
    spec = GATE_METRICS[gate.metric]
    got = spec.resolve(typed, gate)
    value, ci = got.value, got.ci
    compared = value
    if gate.use_ci_bound and ci is not None and None not in ci:
        # Pessimistic bound: the CI end that is worse for the gate.
        compared = ci[1] if gate.max is not None else ci[0]
    bounds = bounds_of(gate)
    within = compared is not None and all(compared <= b if op == "≤" else compared >= b for op, b in bounds)
    margin = min((b - compared if op == "≤" else compared - b) for op, b in bounds) if compared is not None else None
    outcome, reason = _decide(gate, spec, got, compared, within, _caveat(typed, gate, spec))
    passed = outcome == "pass" or (outcome == "inconclusive" and gate.allow_inconclusive)
    # GateSpec holds its severity and groups as plain strings that its config checks allow only from
    # GATE_SEVERITIES and GATE_GROUPS, the record's Literals
    severity, groups = cast(Severity, gate.severity), cast(GateGroups, gate.groups)
    out = GateResult(
        name=gate.label, metric=gate.metric, model=gate.model, feature=gate.feature, severity=severity,
        max=gate.max, min=gate.min, use_ci_bound=gate.use_ci_bound, value=value, ci=ci, compared=compared,
        passed=bool(passed), message="", outcome=outcome, reason=reason, ci_crosses_bound=crosses(ci, bounds),
        margin=margin, allow_inconclusive=gate.allow_inconclusive, groups=groups if spec.groups_apply else None,
        detectable=got.detectable,
    )  # fmt: skip
    out.message = gate_line(out)
    return out


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
        One entry per gate: name, metric, model, feature, severity, bounds, value, ci, compared
        (the number compared), outcome (pass, fail or inconclusive) and its reason, whether the
        interval crosses the bound, the margin, passed (bool, for 1.x readers) and a message.

    Examples
    --------
    >>> evaluate_gates([GateSpec(metric="epsilon_spent", max=1.0)], {})[0].message
    'ε spent, private model: not computed (not computed: the audit section is off or the value is missing from the record); required ≤ 1.00'
    """
    typed = _as_result(result)
    return [_evaluate(gate, typed) for gate in gates]


def verdict(gate_results: Sequence[GateResult]) -> Verdict:
    """``"pass"`` unless an ``error`` gate failed or is inconclusive without ``allow_inconclusive``.

    Warning gates never fail the verdict.

    Examples
    --------
    >>> verdict([])
    'pass'
    """
    return "fail" if any(g.fails_verdict for g in typed_gates(gate_results)) else "pass"


