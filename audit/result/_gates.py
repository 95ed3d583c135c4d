"""One evaluated policy gate.

Examples
--------
>>> GateResult.from_dict({"name": "g", "metric": "accuracy", "severity": "error", "value": 0.9,
...                       "passed": True, "message": "ok"}).passed
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

from audit.choices import GATE_SEVERITIES
from audit.result._base import Section, doc
from audit.result._common import CI

__all__ = ["GateResult", "Severity"]

Severity = Literal[GATE_SEVERITIES]


@dataclass(kw_only=True)
class GateResult(Section):
    """A gate: which metric, its bound, the value found and whether it passed."""

    _omit_none: ClassVar[bool] = False  # every key is written, null included

    name: str = field(metadata=doc("gate label (name, or metric@model[feature])"))
    metric: str = field(metadata=doc("gate metric name (audit.gates.GATE_METRICS)"))
    model: str | None = field(default=None, metadata=doc("model the metric is read from"))
    feature: str | None = field(default=None, metadata=doc("sensitive feature, for per-feature metrics"))
    severity: Severity = field(metadata=doc("error fails the verdict; warning does not"))
    max: float | None = field(default=None, metadata=doc("upper bound"))
    min: float | None = field(default=None, metadata=doc("lower bound"))
    use_ci_bound: bool = field(default=False, metadata=doc("compare the pessimistic CI end instead of the value"))
    value: float | None = field(metadata=doc("the metric's value; null when not computed"))
    ci: CI | None = field(default=None, metadata=doc("the metric's interval, when it has one"))
    compared: float | None = field(default=None, metadata=doc("the number compared with the bound"))
    passed: bool = field(metadata=doc("whether the bound holds (false when not computed)"))
    message: str = field(metadata=doc("one line for people"))
