"""Gates in words: a gate's title, its numbers in the metric's unit, its bound, one line per gate, the verdict's reasons.

The titles and units are the metrics' own (:data:`audit.metrics.GATE_METRICS`); a metric the registry does not
know (a record from a newer version) reads as its name in words.

Examples
--------
>>> gate_title("accuracy_drop", model="private"), gate_number_text("accuracy_drop", 0.0141)
('Accuracy lost to DP (reference − private), private model', '1.41 points')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audit.config import GateSpec
from audit.metrics import GATE_METRICS, readable_name
from audit.result import GateResult

__all__ = [
    "NOT_COMPUTED", "bounds_of", "crosses", "gate_bound_text", "gate_line", "gate_number_text", "gate_title", "typed_gates",
    "verdict_reasons", "with_derived",
]  # fmt: skip

#: Why a gate whose metric the record lacks fails.
NOT_COMPUTED = "not computed: the audit section is off or the value is missing from the record"


def _unit(metric: str | None) -> str:
    spec = GATE_METRICS.get(metric or "")
    return spec.unit if spec is not None else ""


def gate_title(metric: str | None, feature: str | None = None, model: str | None = None) -> str:
    """A gate's readable name: ``Demographic parity difference (sex), private model``.

    Examples
    --------
    >>> gate_title("roc_auc_difference", "race", "reference")
    'ROC AUC difference (race), reference model'
    """
    spec = GATE_METRICS.get(metric or "")
    name = spec.title if spec is not None else readable_name(metric)
    return name + (f" ({feature})" if feature else "") + (f", {model} model" if model else "")


def _num(x: float, unit: str, *, bound: bool = False) -> str:
    if unit == "points":
        return f"{100 * x:.3g} points" if bound else f"{100 * x:.2f} points"
    if unit == "count":
        return f"{round(x):,}"
    if unit == "s":
        return f"{x:.3g} s" if bound else f"{x:.1f} s"
    if bound:
        text = f"{x:.6g}"
        return text if "e" not in text and len(text.partition(".")[2]) >= 2 else f"{x:.2f}"
    return f"{x:.3f}" if x == 0 or abs(x) >= 1e-3 else f"{x:.2e}"


def bounds_of(g: GateSpec | GateResult) -> list[tuple[str, float]]:
    """A gate's bounds as ``(operator, bound)`` pairs, the minimum first.

    Examples
    --------
    >>> bounds_of(GateSpec(metric="accuracy", min=0.8, max=0.95))
    [('≥', 0.8), ('≤', 0.95)]
    """
    return [(op, b) for op, b in (("≥", g.min), ("≤", g.max)) if b is not None]


def gate_number_text(metric: str | None, x: float | None) -> str:
    """A number of ``metric`` as people read it (points for ``accuracy_drop``), or "n/a".

    Examples
    --------
    >>> gate_number_text("accuracy_drop", 0.0141), gate_number_text("accuracy", 0.0311)
    ('1.41 points', '0.031')
    """
    return "n/a" if x is None else _num(x, _unit(metric))


def gate_bound_text(g: GateSpec | GateResult) -> str:
    """The bound as people read it, in the metric's unit: ``≤ 0.20``, ``≤ 1.5 points``.

    Examples
    --------
    >>> gate_bound_text(GateSpec(metric="accuracy", min=0.8))
    '≥ 0.80'
    """
    unit = _unit(g.metric)
    return " and ".join(f"{op} {_num(b, unit, bound=True)}" for op, b in bounds_of(g))


def with_derived(g: GateResult) -> GateResult:
    """``g`` with ``ci_crosses_bound`` and ``margin`` filled in when a record written before them lacks them.

    Returns ``g`` itself when nothing is missing, else a copy (the record is left as read).

    Examples
    --------
    >>> old = GateResult.from_dict({"name": "g", "metric": "equalized_odds_difference", "severity": "warning",
    ...     "max": 0.2, "value": 0.177, "ci": [0.0, 0.436], "compared": 0.177, "passed": True, "message": ""})
    >>> with_derived(old).ci_crosses_bound, round(with_derived(old).margin, 3)
    (True, 0.023)
    """
    if g.ci_crosses_bound is not None and (g.margin is not None or g.compared is None):
        return g
    out = GateResult.from_dict(g.to_dict())
    limits = bounds_of(g)
    if out.ci_crosses_bound is None:
        out.ci_crosses_bound = crosses(g.ci, limits)
    if out.margin is None and g.compared is not None and limits:
        out.margin = min((b - g.compared if op == "≤" else g.compared - b) for op, b in limits)
    return out


def gate_line(g: GateResult, *, head: bool = True) -> str:
    """One line for people: ``value [CI] vs bound — outcome, margin`` (or the reason it is undecided).

    Examples
    --------
    >>> g = GateResult(name="dp", metric="demographic_parity_difference", model="private", feature="sex", severity="error",
    ...                max=0.2, value=0.169, ci=[0.159, 0.179], compared=0.169, passed=True, message="", outcome="pass",
    ...                margin=0.031, ci_crosses_bound=False)
    >>> gate_line(g)
    'dp: Demographic parity difference (sex), private model: 0.169 [0.159, 0.179] ≤ 0.20 — pass, margin 0.031'
    """
    g = with_derived(g)
    unit = _unit(g.metric)
    auto = f"{g.metric}{f'[{g.feature}]' if g.feature else ''}@{g.model}"
    name = ("" if not g.name or g.name == auto else f"{g.name}: ") + gate_title(g.metric, g.feature, g.model)
    lead = f"{name}: " if head else ""
    bound = gate_bound_text(g)
    outcome = g.effective_outcome
    if g.value is None:
        word = "not computed" if outcome == "fail" else "INCONCLUSIVE"
        return f"{lead}{word} ({g.reason or NOT_COMPUTED}); required {bound}{_tail(g)}"
    ci = g.ci if g.ci is not None and None not in g.ci else None
    shown = _num(g.value, unit)
    if ci:
        lo, hi = ci[0], ci[1]
        if lo is not None and hi is not None:
            shown += f" [{_num(lo, unit).split()[0]}, {_num(hi, unit)}]"
    if g.use_ci_bound and g.compared is not None and g.compared != g.value:
        bound += f" (gated on the pessimistic interval end, {_num(g.compared, unit)})"
    margin = f"margin {_num(g.margin, unit)}" if g.margin is not None else ""
    if outcome == "pass":
        verdict_text = ("pass on the estimate only: the interval crosses the bound" + (f" ({margin})" if margin else "")
                        if g.ci_crosses_bound else "pass" + (f", {margin}" if margin else "")) + _power_text(g, unit)
    elif outcome == "inconclusive":
        verdict_text = f"INCONCLUSIVE: {g.reason or 'the evidence cannot decide'}"
    else:
        short = f", {'over' if g.max is not None and (g.compared or 0) > g.max else 'short'} by {_num(abs(g.margin), unit)}" \
            if g.margin is not None else ""
        verdict_text = f"FAIL{short}" + (f" ({g.reason})" if g.reason else "")
    return f"{lead}{shown} {bound} — {verdict_text}{_tail(g)}"


def _power_text(g: GateResult, unit: str) -> str:
    """What the parity tests could have seen, where a disparity gate passes (a pass that could not fail is weak)."""
    if g.detectable is None:
        return ""
    ratio = "_ratio" in (g.metric or "") or g.metric == "four_fifths_ratio"
    text = f"; detectable with 80% power: {'≤' if ratio else '≥'} {_num(g.detectable, unit)}"
    unseen = (g.min is not None and g.detectable < g.min) if ratio else (g.max is not None and g.detectable > g.max)
    return text + (" (larger than the bound allows: weak evidence)" if unseen else "")


def _tail(g: GateResult) -> str:
    if g.severity == "warning" and g.effective_outcome != "pass":
        return " [warning gate: does not fail the verdict]"
    if g.effective_outcome == "inconclusive" and g.allow_inconclusive:
        return " [allow_inconclusive: does not fail the verdict]"
    return ""


def crosses(ci: list[float | None] | None, limits: list[tuple[str, float]]) -> bool | None:
    """Whether the interval has points on both sides of a bound (None without an interval).

    Examples
    --------
    >>> crosses([0.15, 0.25], [("≤", 0.2)]), crosses([0.1, 0.15], [("≤", 0.2)]), crosses(None, [("≤", 0.2)])
    (True, False, None)
    """
    if ci is None or None in ci:
        return None
    lo, hi = ci
    if lo is None or hi is None:
        return None
    return any((lo <= b < hi) if op == "≤" else (lo < b <= hi) for op, b in limits)


def typed_gates(gate_results: Sequence[GateResult | dict[str, Any]]) -> list[GateResult]:
    """The gate results as :class:`~audit.result.GateResult` (a plain dict, as ``audit.json`` holds it, is read).

    Examples
    --------
    >>> typed_gates([{"name": "g", "metric": "accuracy", "severity": "error", "passed": True, "message": ""}])[0].name
    'g'
    """
    return [g if isinstance(g, GateResult) else GateResult.from_dict(g) for g in gate_results]


def verdict_reasons(gate_results: Sequence[GateResult]) -> list[str]:
    """Why the verdict is what it is, one short line each: the gates that decided it.

    Examples
    --------
    >>> verdict_reasons([])
    ['no gates are configured: the verdict rests on nothing']
    """
    gates = typed_gates(gate_results)
    if not gates:
        return ["no gates are configured: the verdict rests on nothing"]
    deciding = [g for g in gates if g.fails_verdict]
    if deciding:
        return [f"inconclusive: {gate_title(g.metric, g.feature, g.model)}: {g.reason}" if g.effective_outcome == "inconclusive"
                else f"failed: {gate_line(g)}" for g in deciding]
    errors = [g for g in gates if g.severity == "error"]
    out = [f"all {len(errors)} error gate(s) pass" if errors else "no error gates are configured: nothing can fail the verdict"]
    allowed = [g for g in errors if g.effective_outcome == "inconclusive"]
    if allowed:
        out.append(f"{len(allowed)} of them inconclusive, allowed by allow_inconclusive: "
                   + "; ".join(g.name for g in allowed))
    crossing = [g for g in errors if g.effective_outcome == "pass" and g.ci_crosses_bound]
    if crossing:
        out.append(f"{len(crossing)} pass on the estimate only (the interval crosses the bound): "
                   + "; ".join(g.name for g in crossing))
    warned = [g for g in gates if g.severity != "error" and g.effective_outcome != "pass"]
    if warned:
        out.append(f"{len(warned)} warning gate(s) did not pass: " + "; ".join(g.name for g in warned))
    return out
