"""Every metric a policy gate can name, registered once: one :class:`GateMetric` per name.

A metric is declared in the module of its family (:mod:`~audit.metrics.performance`,
:mod:`~audit.metrics.privacy`, :mod:`~audit.metrics.fairness`, :mod:`~audit.metrics.resources`,
:mod:`~audit.metrics.text`) by decorating its resolver with :func:`register_gate_metric`: its
description, title, unit, the tasks and inputs whose audits compute it, the config section it needs
and how a degenerate model qualifies it. The config checks (``audit.config``), the preflight
(``audit.pipeline.preflight``), the gate evaluation and wording (``audit.verdict.gates``), the card
(``reports``) and the dashboard read :data:`GATE_METRICS`; adding a metric touches its family's module
(and ``docs/gate_metrics.md``, generated: ``python -m audit.metrics._reference``).

Importing this package costs the standard library and :mod:`audit.choices` only, so the config can
validate gates without the verdict, the result classes or torch.

Examples
--------
>>> GATE_METRICS["four_fifths_ratio"].needs_feature, GATE_METRICS["accuracy_drop"].title
(True, 'Accuracy lost to DP (reference − private)')
>>> "demographic_parity_difference" in FAIRNESS_GATE_METRICS
True
"""

from __future__ import annotations

from audit.metrics import fairness, performance, privacy, resources, robustness, text  # noqa: F401  (each registers its family)
from audit.metrics._registry import (
    FAMILIES,
    GATE_METRICS,
    UNITS,
    GateMetric,
    Needs,
    Resolved,
    Resolver,
    headline_metrics,
    readable_name,
    register_gate_metric,
    register_model_field,
    tasks_where,
)

__all__ = [
    "FAIRNESS_GATE_METRICS", "FAMILIES", "GATE_METRICS", "UNITS", "GateMetric", "Needs", "Resolved", "Resolver",
    "headline_metrics", "readable_name", "register_gate_metric", "register_model_field", "tasks_where",
]  # fmt: skip

#: Gates about fairness: inconclusive on a degenerate model, where parity holds trivially.
FAIRNESS_GATE_METRICS = frozenset(name for name, spec in GATE_METRICS.items() if spec.fairness)
