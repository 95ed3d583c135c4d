"""Gate metrics of the robustness audit (``audit.robustness``): the largest flip rate or accuracy drop under the
perturbations, overall or in any group. Each is the largest of many cells, so a gate reads every cell's interval
simultaneous over the family.

Examples
--------
>>> from audit.metrics import GATE_METRICS
>>> spec = GATE_METRICS["robustness_group_flip_rate"]
>>> spec.family, spec.tasks, spec.needs_working_model
('robustness', ('binary', 'multiclass'), True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audit.metrics._registry import Needs, Resolved, Resolver, register_gate_metric, tasks_where

if TYPE_CHECKING:
    from audit.config import GateSpec
    from audit.result import AuditResult

__all__: list[str] = []

_NEEDS = Needs(lambda c: c.robustness.enabled, "the robustness audit", "set robustness.enabled = true")


def _cells(r: AuditResult, model: str, figure: str, by_group: bool) -> list[tuple[float, list[Any], str]]:
    """Every cell's (value, simultaneous interval, where) of ``figure`` for ``model``."""
    block = r.robustness.models.get(model) if r.robustness is not None else None
    out = []
    for result in block.results if block is not None else []:
        cells = result.groups if by_group else [result.overall] if result.overall is not None else []
        for cell in cells:
            value = getattr(cell, figure)
            if value is not None:
                where = result.label or result.perturbation
                if by_group:
                    where += f", {cell.feature} = {cell.group}"  # type: ignore[attr-defined]
                out.append((float(value), getattr(cell, f"{figure}_ci") or [None, None], f"{where} ({cell.n} rows)"))
    return out


def _largest(figure: str, by_group: bool) -> Resolver:
    """The largest cell, judged as the largest of many: it fails only when some cell's simultaneous interval lies
    wholly above the bound; a largest value above the bound whose interval still reaches it is inconclusive.

    ``use_ci_bound``: the largest simultaneous upper bound (the pessimistic reading).
    """
    def resolve(r: AuditResult, g: GateSpec) -> Resolved:
        cells = _cells(r, g.model, figure, by_group)
        if not cells:
            return Resolved(None)
        if g.use_ci_bound:
            value, ci, _ = max(cells, key=lambda c: c[1][1] if c[1][1] is not None else c[0])
            return Resolved(ci[1] if ci[1] is not None else value, ci)
        if g.max is not None:
            above = [c for c in cells if c[1][0] is not None and c[1][0] > g.max]
            if above:  # this cell is above the bound with the family's coverage: a failure the evidence supports
                value, ci, _ = max(above, key=lambda c: c[0])
                return Resolved(value, ci)
        value, ci, where = max(cells, key=lambda c: c[0])
        if g.max is not None and value > g.max:
            return Resolved(None, None, (
                f"the largest of {len(cells)} cells ({where}) is {value:.3f}, above {g.max:g}, but its interval "
                f"simultaneous over the family, [{ci[0]:.3f}, {ci[1]:.3f}], reaches the bound and no cell's interval "
                "lies above it: too few rows to tell (more test rows would decide)"))
        return Resolved(value, ci)

    return resolve


_CLASSIFIERS = tasks_where("classifier")
for _name, _figure, _by_group, _title, _description, _unit in (
    ("robustness_flip_rate", "flip_rate", False, "Largest flip rate under perturbation",
     "largest share of test decisions that change under one perturbation setting (noise, missing values, "
     "category remaps; typos and filler words for texts)", ""),
    ("robustness_accuracy_drop", "accuracy_drop", False, "Largest accuracy drop under perturbation",
     "largest accuracy lost under one perturbation setting (accuracy on the original rows minus on the perturbed)",
     ""),
    ("robustness_group_flip_rate", "flip_rate", True, "Largest group flip rate under perturbation",
     "largest share of one group's decisions that change under one perturbation setting, over every group of "
     "every sensitive feature", ""),
    ("robustness_group_accuracy_drop", "accuracy_drop", True, "Largest group accuracy drop under perturbation",
     "largest accuracy one group loses under one perturbation setting", ""),
):
    register_gate_metric(_name, description=_description, title=_title, family="robustness", unit=_unit,
                         tasks=_CLASSIFIERS, needs=_NEEDS, needs_working_model=True)(_largest(_figure, _by_group))
del _name, _figure, _by_group, _title, _description, _unit
