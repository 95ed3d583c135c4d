"""Render an evidence pack (:func:`audit.evidence.build_evidence`) to Markdown, HTML and JSON.

The templates (``templates/evidence.{md,html}.j2``) run in the same sandboxed environments as the model
card: HTML is autoescaped, every value printed into Markdown is made inert, and hidden characters from the
run are shown as ``⟨U+XXXX⟩``. The JSON is the document itself: each figure's ``pointer`` resolves in the
run's ``audit.json`` (or ``reviews.jsonl``) and each file is one of the run's manifest.

Examples
--------
>>> doc = {"framework": {"title": "Demo"}, "run": {}, "rows": [], "evidence": {}, "must_supply": [], "counts": {}}
>>> "Demo" in render_evidence(doc)["html"]
True
"""

from __future__ import annotations

import json
from typing import Any

from audit._visible import visible
from reports._format import fmt_g
from reports._render import _environment, _version

__all__ = ["render_evidence"]

HTML_TEMPLATE = "evidence.html.j2"
MD_TEMPLATE = "evidence.md.j2"


def figure_value(value: Any) -> str:
    """A figure's value as text: numbers to 4 significant digits, booleans as yes/no, lists joined.

    Examples
    --------
    >>> figure_value(0.123456), figure_value(True), figure_value(["age", "sex"]), figure_value([]), figure_value(16281)
    ('0.1235', 'yes', 'age, sex', 'none', '16281')
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return fmt_g(value, 4)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    return str(value)


def _bound(x: float) -> str:
    # a limit like 7.6e-31 is 0 at the precision shown; scientific notation there only distracts
    return "0" if abs(x) < 1e-6 else figure_value(x)


def _interval(ci: Any) -> str:
    """An interval as ``[lo, hi]``, its limits to 4 significant digits.

    Examples
    --------
    >>> _interval([7.6e-31, 0.54671]), _interval(None)
    ('[0, 0.5467]', '')
    """
    if not isinstance(ci, list) or len(ci) != 2:
        return ""
    return f"[{_bound(float(ci[0]))}, {_bound(float(ci[1]))}]"


def render_evidence(doc: dict[str, Any]) -> dict[str, str]:
    """The evidence document as ``{"markdown", "html", "json"}`` texts.

    Examples
    --------
    >>> doc = {"framework": {"title": "<b>x</b>"}, "run": {}, "rows": [], "evidence": {}, "must_supply": [], "counts": {}}
    >>> "<b>x</b>" in render_evidence(doc)["html"]
    False
    """
    out: dict[str, str] = {}
    for fmt, name in (("html", HTML_TEMPLATE), ("markdown", MD_TEMPLATE)):
        env = _environment("html" if fmt == "html" else "md")
        env.filters.update({"fvalue": figure_value, "interval": _interval})
        out[fmt] = visible(env.get_template(name).render(doc=doc, generator=f"rai-audit {_version()}"))
    out["json"] = json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    return out
