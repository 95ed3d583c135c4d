"""One evaluated policy gate, and one concern a reviewer must see first.

Examples
--------
>>> GateResult.from_dict({"name": "g", "metric": "accuracy", "severity": "error", "value": 0.9,
...                       "passed": True, "message": "ok"}).effective_outcome
'pass'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from audit.result._base import Section, doc
from audit.result._common import CI

__all__ = ["Concern", "ConcernSeverity", "GateGroups", "GateOutcome", "GateResult", "Severity"]

# audit.choices' GATE_SEVERITIES, GATE_OUTCOMES, CONCERN_SEVERITIES and GATE_GROUPS, spelled out so that a type
# checker reads them (a Literal of a tuple constant is not static); tests/audit/result/test_result.py holds them equal.
Severity = Literal["error", "warning"]
GateOutcome = Literal["pass", "fail", "inconclusive"]
ConcernSeverity = Literal["critical", "warning", "info"]
GateGroups = Literal["sufficient", "all"]


@dataclass(kw_only=True)
class GateResult(Section):
    """A gate: which metric, its bound, the value found and what that decides."""

    _omit_none: ClassVar[bool] = False  # every key is written, null included

    name: str = field(metadata=doc("gate label (name, or metric@model[feature])"))
    metric: str = field(metadata=doc("gate metric name (audit.verdict.gates.GATE_METRICS)"))
    model: str | None = field(default=None, metadata=doc("model the metric is read from"))
    feature: str | None = field(default=None, metadata=doc("sensitive feature, for per-feature metrics"))
    severity: Severity = field(metadata=doc("error fails the verdict; warning does not"))
    max: float | None = field(default=None, metadata=doc("upper bound"))
    min: float | None = field(default=None, metadata=doc("lower bound"))
    use_ci_bound: bool = field(default=False, metadata=doc("compare the pessimistic CI end instead of the value"))
    value: float | None = field(metadata=doc("the metric's value; null when not computed"))
    ci: CI | None = field(default=None, metadata=doc("the metric's interval, when it has one"))
    compared: float | None = field(default=None, metadata=doc("the number compared with the bound"))
    passed: bool = field(metadata=doc(
        "whether the gate counts as passed: outcome pass, or inconclusive with allow_inconclusive (1.x readers)"))
    message: str = field(metadata=doc("one line for people: value [CI] vs bound, outcome, margin or reason"))
    outcome: GateOutcome | None = field(default=None, metadata=doc(
        "pass, fail or inconclusive (the evidence cannot decide: a degenerate model, too few groups with enough "
        "data); null in records written before outcomes"))
    reason: str | None = field(default=None, metadata=doc("why the gate is inconclusive or not computed"))
    ci_crosses_bound: bool | None = field(default=None, metadata=doc(
        "the interval lies on both sides of the bound: the estimate alone decides (a failure only with use_ci_bound)"))
    margin: float | None = field(default=None, metadata=doc(
        "distance from the compared number to the bound, positive when within it"))
    allow_inconclusive: bool = field(default=False, metadata=doc("an inconclusive outcome does not fail the verdict"))
    groups: GateGroups | None = field(default=None, metadata=doc(
        "disparity gates: the groups compared (sufficient: those with enough data; all: every group)"))
    detectable: float | None = field(default=None, metadata=doc(
        "disparity gates: the smallest disparity of this kind the audit's parity tests detect with 80% power "
        "(a ratio: the largest ratio detected); a pass says little about disparities below it"))

    @property
    def effective_outcome(self) -> str:
        """``outcome``, or pass/fail from ``passed`` for a record written before outcomes."""
        return self.outcome or ("pass" if self.passed else "fail")

    @property
    def fails_verdict(self) -> bool:
        """An error gate that failed, or is inconclusive without ``allow_inconclusive``."""
        if self.severity != "error":
            return False
        if self.outcome is None:
            return not self.passed
        return self.outcome == "fail" or (self.outcome == "inconclusive" and not self.allow_inconclusive)


@dataclass(kw_only=True)
class Concern(Section):
    """Something a reviewer must see before the numbers (audit.verdict.concerns.find_concerns)."""

    kind: str = field(metadata=doc("machine-readable kind, e.g. degenerate_model, gate_inconclusive, ci_crosses_bound"))
    severity: ConcernSeverity = field(metadata=doc("critical undermines the verdict, warning qualifies it, info explains it"))
    title: str = field(metadata=doc("one line for people"))
    detail: str | None = field(default=None, metadata=doc("the numbers behind it and what to do"))
    where: str | None = field(default=None, metadata=doc("where to look: card section, dashboard page, audit.json key"))
    model: str | None = field(default=None, metadata=doc("the model it is about, when one"))
    feature: str | None = field(default=None, metadata=doc("the sensitive feature it is about, when one"))
    gate: str | None = field(default=None, metadata=doc("the gate it is about, when one"))
