"""The Robustness section: how each model's decisions change when its test rows are perturbed.

Per model and perturbation setting: the flip rate and the accuracy drop with their intervals (simultaneous over
the family of cells, so the worst one read off the table keeps its coverage), accuracy before and after, and
the group whose decisions flip most; then the worst cells the gates read.

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "2.0", "run": {}, "data": {}, "models": {}}))
>>> robustness(ctx)["status"]
'not run'
"""

from __future__ import annotations

from typing import Any

from audit.result import WORST_CELLS, ModelRobustness, PerturbationResult, RobustnessCell
from reports._plain import interval as _interval
from reports._plain import not_run as _not_run
from reports._plain import number as _num
from reports._plain import text as _text
from reports._sections.context import CardContext

__all__ = ["robustness"]

_NOT_RUN = ("the robustness audit did not run (robustness.enabled = false, a regression model, or a record written "
            "before the robustness audit existed)")


def _cell(cell: RobustnessCell | None) -> dict[str, Any]:
    if cell is None:
        return {"n": None, "flip_rate": {"value": None, "ci": None}, "accuracy_drop": {"value": None, "ci": None}}
    return {"n": _num(cell.n), "flips": _num(cell.flips),
            "flip_rate": {"value": _num(cell.flip_rate), "ci": _interval(cell.flip_rate_ci)},
            "accuracy": _num(cell.accuracy), "accuracy_perturbed": _num(cell.accuracy_perturbed),
            "accuracy_drop": {"value": _num(cell.accuracy_drop), "ci": _interval(cell.accuracy_drop_ci)}}


def _row(result: PerturbationResult) -> dict[str, Any]:
    groups = [g for g in result.groups if g.flip_rate is not None]
    most = max(groups, key=lambda g: (g.flip_rate or 0.0, g.n), default=None)
    return {"label": _text(result.label) or result.perturbation, "description": _text(result.description),
            **_cell(result.overall),
            "most_flips": None if most is None else {"feature": str(most.feature), "group": str(most.group),
                                                     "n": _num(most.n), **_cell(most)["flip_rate"]}}


def _model(name: str, block: ModelRobustness) -> dict[str, Any]:
    worst = []
    for key, label in WORST_CELLS.items():
        w = block.worst.get(key)
        if w is not None and w.value is not None:
            where = ", ".join(x for x in (w.perturbation, f"{w.feature} = {w.group}" if w.group else None) if x)
            worst.append({"key": key, "label": label.capitalize(), "value": _num(w.value), "ci": _interval(w.ci), "where": where,
                          "n": _num(w.n)})
    return {"model": name, "rows": [_row(r) for r in block.results], "worst": worst}


def robustness(ctx: CardContext) -> dict[str, Any]:
    """Flip rates and accuracy drops of every model under every perturbation setting."""
    r = ctx.result.robustness
    if r is None or not r.models:
        return {**_not_run(_NOT_RUN), "models": []}
    names = [n for n in ctx.model_names if n in r.models] + [n for n in r.models if n not in ctx.model_names]
    return {"status": "ok", "method": _text(r.method), "interval": _text(r.interval), "level": _num(r.level),
            "n_family": _num(r.n_family), "rows": _num(r.rows), "sample": _text(r.sample),
            "perturbed_columns": [str(c) for c in r.perturbed_columns],
            "excluded_columns": [str(c) for c in r.excluded_columns],
            "models": [_model(n, r.models[n]) for n in names]}
