"""The gate-metric registry: one :class:`GateMetric` per name, registered once by :func:`register_gate_metric`.

Everything a reader of gates needs about a metric lives in its specification: what it means, its
title and unit, how to find it in an :class:`~audit.result.AuditResult` (the resolver), whether a
gate on it names a sensitive feature, the tasks and inputs whose audits compute it, the config
section it needs, how a degenerate model or a threshold problem qualifies it, and where the card
and the dashboard show it among the headline figures. The config checks, the preflight, the gate
evaluation and wording, the card and the dashboard all read :data:`GATE_METRICS`.

This module imports only the standard library and :mod:`audit.choices` at run time (the result and
config types are for the type checker only), so the config can validate gates without importing
the verdict, the result classes or anything heavy.

Examples
--------
>>> @register_gate_metric("answer", description="an example", title="The answer", registry={})
... def _answer(result, gate):
...     return Resolved(42.0)
>>> _answer(None, None).value
42.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from audit.choices import CONFIG_TASKS, TASK_KINDS, one_of

if TYPE_CHECKING:
    from audit.config import AuditConfig, GateSpec
    from audit.result import AuditResult

__all__ = [
    "FAMILIES", "GATE_METRICS", "UNITS", "GateMetric", "Needs", "Resolved", "Resolver", "headline_metrics",
    "model_field_resolver", "readable_name", "register_gate_metric", "register_model_field", "tasks_where",
]  # fmt: skip

#: How a metric's numbers are shown: "" (the number as is), "points" (percentage points), "count", "s" (seconds).
UNITS = ("", "points", "count", "s")
#: The families the metrics are grouped in, one module of :mod:`audit.metrics` each, in the order they register.
FAMILIES = ("performance", "privacy", "fairness", "resources", "text", "robustness")
#: Why a metric's value is null when its entry says nothing more.
UNDEFINED = "the value is undefined (null in the record): fewer than two groups have data for it"

_DUPLICATE = "gate metric {name!r} is registered twice (by {first} and {second}). Fix: give the new metric another name."
_BAD_FIELD = "gate metric {name!r}: {key} = {found!r}; expected {expected}."


class Resolved(NamedTuple):
    """A metric found in a result: value, interval, and why it is undefined when the evidence cannot decide.

    ``detectable`` is the smallest disparity the parity tests detect with 80% power (disparity gates).
    """

    value: float | None
    ci: list[float | None] | None = None
    inconclusive: str | None = None
    detectable: float | None = None


#: Reads one metric from a result for one gate; only attributes of the result and the gate are read.
Resolver = Callable[["AuditResult", "GateSpec"], Resolved]


class Needs(NamedTuple):
    """A config section a metric needs besides its model: the preflight refuses the gate before training when
    ``enabled(config)`` is false, saying it needs ``what`` and how to ``fix`` it."""

    enabled: Callable[[AuditConfig], bool]
    what: str
    fix: str


@dataclass(frozen=True)
class GateMetric:
    """One metric a gate can name: what it means, how it reads, how to find it, and where it exists.

    Attributes
    ----------
    name, description, title : str
        The config name, its meaning (the config's error messages and the docs) and its readable name (cards).
    resolve : Resolver
        Finds the metric in an :class:`~audit.result.AuditResult` for a gate.
    family : str
        One of :data:`FAMILIES`: the module of :mod:`audit.metrics` that registers it.
    unit : str
        One of :data:`UNITS`.
    needs_feature : bool
        A gate on it names a sensitive ``feature``.
    tasks : tuple of str
        The config tasks whose audits compute it.
    needs_text, tables_only : bool
        A figure of the text audits (``data.text_column`` needed); computed on table features only.
    needs : Needs or None
        The config section it needs besides its model (checked before training).
    fairness : bool
        A fairness figure: on a degenerate model parity holds trivially, so the gate is inconclusive.
    needs_working_model : bool
        Says that a model works: inconclusive (not passed) on a degenerate model (every fairness figure is).
    on_decisions : bool
        A fairness figure of decisions: inconclusive on a threshold problem (scores that rank, decisions that do not).
    groups_apply : bool
        A gate's ``groups`` setting applies (``groups = "all"`` reads Fairlearn's all-groups numbers).
    headline : str or None
        A short label: the metric is one of its tasks' headline performance figures (the card's performance
        table, the dashboard's tiles and comparison), in registration order.
    model_field : str or None
        The :class:`~audit.result.ModelSummary` attribute it is read from, when it is one.
    """

    name: str
    description: str
    title: str
    resolve: Resolver
    family: str = ""
    unit: str = ""
    needs_feature: bool = False
    tasks: tuple[str, ...] = CONFIG_TASKS
    needs_text: bool = False
    tables_only: bool = False
    needs: Needs | None = None
    fairness: bool = False
    needs_working_model: bool = False
    on_decisions: bool = False
    groups_apply: bool = False
    headline: str | None = None
    model_field: str | None = None


#: Every metric a gate can name, in registration order (family by family, each module in its own order).
GATE_METRICS: dict[str, GateMetric] = {}


def readable_name(name: str | None) -> str:
    """The default title of a metric: its name in words (``Roc auc`` written ``ROC AUC``).

    Examples
    --------
    >>> readable_name("roc_auc_difference")
    'ROC AUC difference'
    """
    return (name or "gate").replace("_", " ").capitalize().replace("Roc auc", "ROC AUC")


def tasks_where(flag: str, value: bool = True) -> tuple[str, ...]:
    """The config tasks whose :class:`~audit.choices.TaskKind` has ``flag`` (``"classifier"``, ``"has_scores_auc"``)
    set to ``value``.

    Examples
    --------
    >>> tasks_where("classifier"), tasks_where("classifier", False), tasks_where("has_classes")
    (('binary', 'multiclass'), ('regression',), ('multiclass',))
    """
    return tuple(name for name, kind in TASK_KINDS.items() if bool(getattr(kind, flag)) is value)


def model_field_resolver(key: str) -> Resolver:
    """A resolver reading attribute ``key`` of the gated model's :class:`~audit.result.ModelSummary` (no interval).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> model_field_resolver("test_accuracy")(NS(models={"private": NS(test_accuracy=0.8)}), NS(model="private"))
    Resolved(value=0.8, ci=None, inconclusive=None, detectable=None)
    """
    def resolve(r: AuditResult, g: GateSpec) -> Resolved:
        model = r.models.get(g.model)
        return Resolved(getattr(model, key) if model is not None else None)

    return resolve


def _check(spec: GateMetric) -> None:
    problems = [
        (key, found, expected) for key, found, expected, ok in (
            ("unit", spec.unit, one_of(UNITS), spec.unit in UNITS),
            ("family", spec.family, one_of(FAMILIES), spec.family in FAMILIES),
            ("tasks", spec.tasks, f"a non-empty tuple of {one_of(CONFIG_TASKS)}",
             bool(spec.tasks) and set(spec.tasks) <= set(CONFIG_TASKS)),
            ("tables_only", spec.tables_only, "false for a figure of the text audits", not (spec.tables_only and spec.needs_text)),
        ) if not ok
    ]  # fmt: skip
    if problems:
        raise ValueError(" ".join(_BAD_FIELD.format(name=spec.name, key=k, found=f, expected=e) for k, f, e in problems))


def register_gate_metric(name: str, *, description: str, title: str | None = None, family: str = "performance",
                         unit: str = "", needs_feature: bool = False, tasks: tuple[str, ...] = CONFIG_TASKS,
                         needs_text: bool = False, tables_only: bool = False, needs: Needs | None = None,
                         fairness: bool = False, needs_working_model: bool = False, on_decisions: bool = False,
                         groups_apply: bool = False, headline: str | None = None, model_field: str | None = None,
                         registry: dict[str, GateMetric] | None = None) -> Callable[[Resolver], Resolver]:
    """Decorator: register the decorated resolver as gate metric ``name`` (see :class:`GateMetric` for the fields).

    ``title`` defaults to :func:`readable_name`; a fairness figure always needs a working model. Raises
    ``ValueError`` for a name registered twice or a field outside its choices. ``registry`` (tests) registers
    elsewhere than :data:`GATE_METRICS`.

    Examples
    --------
    >>> @register_gate_metric("n_layers", description="layers of the model", family="resources", unit="count",
    ...                       registry={})
    ... def _n_layers(result, gate):
    ...     return Resolved(None)
    """
    target = GATE_METRICS if registry is None else registry

    def decorator(resolve: Resolver) -> Resolver:
        if name in target:
            raise ValueError(_DUPLICATE.format(name=name, first=getattr(target[name].resolve, "__module__", "?"),
                                               second=getattr(resolve, "__module__", "?")))
        spec = GateMetric(name=name, description=description, title=title or readable_name(name), resolve=resolve,
                          family=family, unit=unit, needs_feature=needs_feature, tasks=tuple(tasks), needs_text=needs_text,
                          tables_only=tables_only, needs=needs, fairness=fairness,
                          needs_working_model=needs_working_model or fairness, on_decisions=on_decisions,
                          groups_apply=groups_apply, headline=headline, model_field=model_field)
        _check(spec)
        target[name] = spec
        return resolve

    return decorator


def register_model_field(name: str, model_field: str, **spec: Any) -> None:
    """Register gate metric ``name`` read from the gated model's ``model_field`` (the other fields as for
    :func:`register_gate_metric`).

    Examples
    --------
    >>> register_model_field("epochs", "epochs_run", description="epochs trained", registry={})
    """
    register_gate_metric(name, model_field=model_field, **spec)(model_field_resolver(model_field))


def headline_metrics(task: str) -> list[GateMetric]:
    """The headline performance metrics of config task ``task``, in registration order.

    Examples
    --------
    >>> [(m.name, m.headline) for m in headline_metrics("regression")]
    [('mae', 'MAE'), ('rmse', 'RMSE'), ('r2', 'R²')]
    """
    return [m for m in GATE_METRICS.values() if m.headline is not None and task in m.tasks]
