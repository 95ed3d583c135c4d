"""Card data: one plain-data object built from an ``AuditResult``, section by section, rendered by every template.

The sections follow Mitchell et al. 2019, "Model Cards for Model Reporting"
(model details, intended use, factors, metrics, evaluation data, training
data, quantitative analyses, ethical considerations, caveats and
recommendations), then one section per concern: data privacy, bias,
explainability, compute and environmental impact, governance. A card whose
kind of target has figures of its own (multiclass, regression) or whose model
reads texts also has ``task``, and ``group_errors`` or ``text_audits``.

Each section has one builder in :mod:`reports._sections`, which takes the
record's :class:`~reports._sections.context.CardContext` (the typed record, its
kind and that kind's presentation, :mod:`reports._kinds`) and returns its part
of the card in one pass. Every builder runs defensively: the audit sections are
filled by several parts of the pipeline and may be missing (``None``), partial
or, in a future schema, shaped differently. A missing section gets
``"status": "not run"``; a section whose shape cannot be read gets
``"status": "error"`` and a message in the card instead of an exception, so one
bad section never hides the rest.

Examples
--------
>>> data = build_card_data({"schema_version": "1.0", "run": {"name": "demo"}, "models": {}})
>>> data["privacy"]["status"]
'not run'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from audit.result import SCHEMA_VERSION, AuditResult
from reports._definitions import METRIC_DEFINITIONS
from reports._headline import headline_summary
from reports._plain import text as _text
from reports._sections.analyses import quantitative_analyses
from reports._sections.bias import bias
from reports._sections.compute import compute
from reports._sections.context import CardContext, plain
from reports._sections.data import evaluation_data, factors, metrics, training_data
from reports._sections.details import intended_use, model_details
from reports._sections.explain import explainability
from reports._sections.governance import governance
from reports._sections.group_errors import group_errors
from reports._sections.notes import caveats, ethical_considerations
from reports._sections.privacy import privacy
from reports._sections.robustness import robustness
from reports._sections.text import text_audits

__all__ = ["CARD_DATA_VERSION", "METRIC_DEFINITIONS", "SECTION_ORDER", "SECTION_TITLES", "build_card_data", "build_summary"]

CARD_DATA_VERSION = "1.1"

SECTION_ORDER = [
    "model_details", "intended_use", "factors", "metrics", "evaluation_data", "training_data",
    "quantitative_analyses", "ethical_considerations", "caveats",
    "privacy", "bias", "explainability", "robustness", "compute", "governance",
]  # fmt: skip
SECTION_TITLES = {
    "model_details": "Model details",
    "intended_use": "Intended use",
    "factors": "Factors",
    "metrics": "Metrics",
    "evaluation_data": "Evaluation data",
    "training_data": "Training data",
    "quantitative_analyses": "Quantitative analyses",
    "ethical_considerations": "Ethical considerations",
    "caveats": "Caveats and recommendations",
    "privacy": "Data privacy",
    "bias": "Bias",
    "explainability": "Explainability",
    "robustness": "Robustness",
    "compute": "Compute and environmental impact",
    "governance": "Governance",
}
_SECTION_ERROR = "This section could not be read from audit.json ({error}); the rest of the card is unaffected."

#: One builder per section of every card, in the card's order (governance takes the reviews too).
_BUILDERS: dict[str, Callable[[CardContext], dict]] = {
    "model_details": model_details,
    "intended_use": intended_use,
    "factors": factors,
    "metrics": metrics,
    "evaluation_data": evaluation_data,
    "training_data": training_data,
    "quantitative_analyses": quantitative_analyses,
    "ethical_considerations": ethical_considerations,
    "caveats": caveats,
    "privacy": privacy,
    "bias": bias,
    "explainability": explainability,
    "robustness": robustness,
    "compute": compute,
}


def _read(result: Any) -> tuple[AuditResult, str | None]:
    """The typed result, and the schema version it states (None when it states none)."""
    if isinstance(result, AuditResult):
        return result, _text(result.schema_version)
    d = dict(result) if isinstance(result, dict) else {}
    version = _text(d.get("schema_version"))
    for key in ("run", "data", "models"):
        if not isinstance(d.get(key), dict):
            d[key] = {}
    # A card renders any record it is given: read it as the current 1.x and show the version it states.
    d["schema_version"] = SCHEMA_VERSION
    return AuditResult.from_dict(d), version


def _section(build: Callable[[CardContext], dict], ctx: CardContext) -> dict[str, Any]:
    try:
        return build(ctx)
    except Exception as exc:  # a shape this renderer does not know must not take the whole card down
        return {"status": "error", "error": _SECTION_ERROR.format(error=f"{type(exc).__name__}: {exc}")}


def _task(ctx: CardContext) -> dict[str, Any]:
    """Which task the card describes: the kind of target, whether the model reads texts, its classes."""
    result = ctx.result
    return {"kind": ctx.kind.name, "text": ctx.is_text, "record_task": _text(result.task),
            "classes": [str(c) for c in result.data.classes] if ctx.kind.has_classes else []}


def _sections(ctx: CardContext, reviews: list[dict[str, Any]] | None) -> dict[str, Any]:
    """Every section of the card, each built once by its builder (a failing one marked ``"error"``)."""
    builders = {**_BUILDERS, "governance": lambda c: governance(c, reviews), "summary": headline_summary}
    out = {key: _section(build, ctx) for key, build in builders.items()}
    if ctx.describes_task:
        out["task"] = _task(ctx)
    if ctx.view.own_figures:
        out["group_errors"] = _section(group_errors, ctx)
    if ctx.is_text:
        out["text_audits"] = _section(text_audits, ctx)
    return out


def build_card_data(result: AuditResult | dict[str, Any], *, reviews: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Build the model-card data object from an ``AuditResult``.

    Parameters
    ----------
    result : AuditResult or dict
        The audit result, or ``audit.json`` as a dict (read tolerantly with
        :meth:`AuditResult.from_dict`; missing sections are allowed).
    reviews : list of dict, optional
        Review entries (:func:`audit.records.review.read_reviews`) to show under Governance.

    Returns
    -------
    dict
        Plain JSON data: ``card_data_version``, ``title``, ``verdict``, ``section_order``,
        ``section_titles`` and one dict per section, each with a ``status`` of
        ``"ok"``, ``"not run"`` or ``"error"``.

    Examples
    --------
    >>> card = build_card_data({"run": {"card": {"model_name": "m"}}, "models": {}, "gates": [], "verdict": "pass"})
    >>> card["title"], card["governance"]["verdict"]
    ('m', 'pass')
    """
    typed, version = _read(result)
    out = _sections(CardContext(typed), reviews)
    if out["model_details"]["status"] == "ok":
        out["model_details"]["provenance"]["schema_version"] = version
    return plain({
        "card_data_version": CARD_DATA_VERSION,
        "schema_version": version,
        "title": out["model_details"].get("name") or "Unnamed model",
        "verdict": out["governance"].get("verdict"),
        "summary": out.pop("summary"),
        "section_order": SECTION_ORDER,
        "section_titles": SECTION_TITLES,
        **out,
    })


def build_summary(result: AuditResult | dict[str, Any]) -> dict[str, Any]:
    """What a reader sees first: the verdict's reasons, the concerns, the headline figures chosen by what threatens
    the verdict, and the counts of gates and concerns as every reader prints them (:mod:`reports._headline`).

    The card shows it under the verdict; the dashboard's Overview and the CLI's summary show the same.

    Examples
    --------
    >>> s = build_summary({"models": {"private": {"test_accuracy": 0.84}}, "gates": [], "verdict": "pass"})
    >>> s["audited_model"], s["tiles"][0]["label"], s["verdict_reasons"]
    ('private', 'accuracy', ['no gates are configured: the verdict rests on nothing'])
    """
    return plain(headline_summary(CardContext(_read(result)[0])))
