"""What every card section reads: the typed record, its kind's presentation, and the readers they share.

A :class:`CardContext` is built once per card from the ``AuditResult``; each section builder takes it and
returns its plain-data section. The kind comes from the record (``AuditResult.kind``), its presentation
from :data:`reports._kinds.KIND_VIEWS`; the input axis from ``AuditResult.input_kind``.

Examples
--------
>>> from audit.result import AuditResult
>>> ctx = CardContext(AuditResult.from_dict({"schema_version": "1.2", "task": "regression", "run": {}, "data": {},
...                                          "models": {"private": {"test_mae": 4.0}}}))
>>> ctx.view.name, ctx.describes_task, ctx.audited
('regression', True, 'private')
"""

from __future__ import annotations

import math
from typing import Any

from audit.result import AuditResult, Metric, ModelFairness, Section
from audit.verdict.concerns import audited_model
from audit.verdict.gates import gate_bound_text, with_derived
from reports._kinds import KindView, kind_view
from reports._plain import text, value_ci

__all__ = ["CardContext", "given", "model_order", "plain", "reason", "tile"]


class CardContext:
    """The record a card describes, read once: its kind, its presentation, its models and group reports."""

    def __init__(self, result: AuditResult) -> None:
        self.result = result
        self.view: KindView = kind_view(result)
        self.kind = self.view.kind
        self.is_text = result.is_text
        #: Whether the card carries a ``task`` section: a kind with its own figures, or a text classifier.
        self.describes_task = self.view.own_figures or self.is_text
        self.audited = audited_model(result)
        #: Every model's group audit (:attr:`AuditResult.group_audits`, any record version), shown as the binary
        #: group tables (``fairness``) or, for a kind with its own figures, as its group errors (``task_models``).
        audits = result.group_audits
        self.fairness: dict[str, ModelFairness] = {} if self.view.own_figures else audits
        self.task_models: dict[str, ModelFairness] = audits if self.view.own_figures else {}

    @property
    def model_names(self) -> list[str]:
        """The record's models: reference first, private second, anything else after (the order every table uses)."""
        return model_order(self.result.models)

    @property
    def fairness_models(self) -> list[str]:
        """The models with a binary group report, in table order (models the record does not list come last)."""
        return [n for n in self.model_names if n in self.fairness] + [n for n in self.fairness if n not in self.result.models]

    def min_group_size(self) -> int | None:
        """The smallest group the kind's own group report counts (the first model that states it)."""
        return next((m.min_group_size for m in self.task_models.values() if m.min_group_size is not None), None)

    def representation_warnings(self) -> list[str]:
        """The data's representation warnings (group shares that differ between train and test)."""
        rep = self.result.fairness.representation if self.result.fairness is not None else None
        return [str(w) for w in rep.warnings] if rep is not None else []


def model_order(names: Any, first: str | None = None) -> list[str]:
    """Reference, private, others; ``first`` (the audited model, whose tables carry the detail) ahead of all."""
    return sorted(names, key=lambda n: (n != first, {"reference": 0, "private": 1}.get(n, 2), n))


def reason(entry: Any) -> str | None:
    """Why a disparity is null (fewer than two groups with enough data), when the record says."""
    return text(entry.inconclusive_reason) if isinstance(entry, Metric) and entry.value is None else None


def plain(x: Any) -> Any:
    """Deep copy into JSON-safe plain data (non-finite floats become None)."""
    if isinstance(x, Section):
        return plain(x.to_dict())
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if x is None or isinstance(x, (str, int, float, bool)):
        return x
    return str(x)


def given(section: Section | None) -> bool:
    """A section that is present and not empty (``{}`` reads as not given)."""
    return section is not None and bool(section.to_dict())


def tile(label: str, entry: Any, gate: Any = None, note: str | None = None) -> dict[str, Any]:
    """One headline figure: its value and interval, and the gate it is judged against (if any)."""
    m = value_ci(entry)
    return {"label": label, "value": m["value"], "ci": m["ci"], "note": note,
            "bound": gate_bound_text(gate) if gate is not None else None,
            "outcome": gate.effective_outcome if gate is not None else None,
            "ci_crosses_bound": gate is not None and with_derived(gate).ci_crosses_bound is True}
