"""``docs/gate_metrics.md``: every gate metric of the registry, family by family, written from the registry.

Run ``python -m audit.metrics._reference`` after registering a metric; a test holds the committed file equal
to :func:`reference_markdown`.

Examples
--------
>>> reference_markdown().splitlines()[0]
'# Gate metrics'
"""

from __future__ import annotations

import sys
from pathlib import Path

from audit.choices import TASK_KINDS
from audit.metrics._registry import FAMILIES, GATE_METRICS, GateMetric

__all__ = ["DOC_PATH", "reference_markdown"]

#: Where the reference is written, relative to the repository root.
DOC_PATH = Path("docs") / "gate_metrics.md"

_HEAD = """# Gate metrics

<!-- Generated from audit/metrics (python -m audit.metrics._reference); edit the registrations, not this file. -->

Every metric a `[[gates]]` entry can name, registered once in `audit/metrics/` (one module per family
below). The config refuses a gate on a metric its task or input never computes, or without the
`feature` a fairness figure needs; the preflight refuses one whose section the config switches off
(the *needs* column) before any model trains. *Inconclusive when degenerate*: on a model flagged
degenerate a pass would say nothing, so the gate is inconclusive (a failure stands); fairness figures of
decisions are also inconclusive on a threshold problem. Units: *points* are percentage points.
Outcomes, intervals and the verdict: docs/verdicts.md.
"""
_TITLES = {"performance": "Performance", "privacy": "Privacy", "fairness": "Fairness", "resources": "Resources",
           "text": "Text audits"}
_COLUMNS = ("metric", "title", "what it is", "tasks", "input", "feature", "unit", "needs", "inconclusive when degenerate")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _row(spec: GateMetric) -> str:
    texts = any(TASK_KINDS[t].texts for t in spec.tasks)  # a text classifier may have one of its tasks
    inputs = "texts" if spec.needs_text else "tables" if spec.tables_only or not texts else "tables, texts"
    threshold = spec.on_decisions and any(TASK_KINDS[t].has_threshold for t in spec.tasks)  # decisions of a threshold
    caveat = ("yes; also on a threshold problem" if threshold else "yes") if spec.needs_working_model else ""
    cells = (f"`{spec.name}`", spec.title, spec.description, ", ".join(spec.tasks), inputs,
             "required" if spec.needs_feature else "", spec.unit, spec.needs.what if spec.needs is not None else "", caveat)
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def reference_markdown() -> str:
    """The Markdown reference of every registered gate metric, grouped by family in :data:`FAMILIES` order.

    Examples
    --------
    >>> "| `accuracy` | Test accuracy |" in reference_markdown()
    True
    """
    parts = [_HEAD]
    for family in FAMILIES:
        specs = [s for s in GATE_METRICS.values() if s.family == family]
        if not specs:
            continue
        parts.append(f"## {_TITLES.get(family, family.capitalize())} (`audit/metrics/{family}.py`)\n")
        parts.append("| " + " | ".join(_COLUMNS) + " |\n|" + "---|" * len(_COLUMNS) + "\n"
                     + "\n".join(_row(s) for s in specs) + "\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Write the reference to ``docs/gate_metrics.md`` under the given root (default: the current directory)."""
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path(".")
    (root / DOC_PATH).write_text(reference_markdown(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
