"""Small types shared by several sections: a metric with its interval, hashes, relative paths.

Examples
--------
>>> Metric.from_dict({"value": 0.8, "ci": [0.7, 0.9]}).ci
[0.7, 0.9]
>>> as_metric(3).value
3
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from audit.result._base import Schema, Section, doc

__all__ = ["CI", "Count", "Metric", "MetricOrCount", "Probability", "RelPath", "Sha256", "ValueCI", "as_metric"]

#: A confidence interval ``[lo, hi]`` (ends may be null when undefined).
CI = Annotated[list[float | None], Schema("ci", minItems=2, maxItems=2)]
#: A non-negative whole number.
Count = Annotated[int, Schema(minimum=0)]
#: A number in [0, 1].
Probability = Annotated[float, Schema(minimum=0, maximum=1)]
#: A lowercase hex SHA-256 digest.
Sha256 = Annotated[str, Schema("sha256", pattern="^[0-9a-f]{64}$")]
#: A path relative to the run directory (never absolute, never climbing out with "..").
RelPath = Annotated[str, Schema("relpath", not_={"anyOf": [{"pattern": "^/"}, {"pattern": "(^|/)\\.\\.(/|$)"},
                                                           {"pattern": "^[A-Za-z]:"}]})]


@dataclass(kw_only=True)
class Metric(Section):
    """A metric with its uncertainty: ``{"value", "ci"}``."""

    value: float | None = field(metadata=doc("the estimate; null when undefined"))
    ci: CI | None = field(default=None, metadata=doc("confidence interval [lo, hi]; null when not computed"))
    ci_method: str | None = field(default=None, metadata=doc(
        "how the interval was computed when it differs from the section's (e.g. DeLong)"))
    simultaneous_ci: CI | None = field(default=None, metadata=doc(
        "simultaneous interval: covers this estimate's truth together with the others of its family"))
    groups_used: list[str] | None = field(default=None, metadata=doc(
        "disparities: the groups with enough data for the metric, which the value compares"))
    inconclusive_reason: str | None = field(default=None, metadata=doc(
        "disparities: why the value is null (fewer than two groups with enough data)"))
    p_value: Probability | None = field(default=None, metadata=doc(
        "disparities: p-value of parity (its exact elementary tests, Bonferroni-combined)"))
    p_adjusted: Probability | None = field(default=None, metadata=doc(
        "disparities: p-value adjusted for every parity test of the model (Holm)"))
    significant: bool | None = field(default=None, metadata=doc("disparities: p_adjusted below 1 - level"))
    detectable: float | None = field(default=None, metadata=doc(
        "disparities: the smallest disparity of this kind the model's parity tests detect with 80% power at the "
        "family-wise level, for a difference at the smallest group compared (a ratio: the largest detected ratio)"))


#: The shared ``{"value", "ci"}`` type under the name the issue uses.
ValueCI = Metric
#: A metrics mapping also carries the group's row count as a bare integer.
MetricOrCount = Metric | Count


def as_metric(entry: Metric | float | None) -> Metric:
    """A :class:`Metric` from a metric entry that may be a bare number (e.g. a count) or missing.

    Examples
    --------
    >>> as_metric(None).value is None
    True
    """
    if isinstance(entry, Metric):
        return entry
    return Metric(value=entry if isinstance(entry, (int, float)) and not isinstance(entry, bool) else None)
