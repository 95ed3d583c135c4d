"""Plain-data readers shared by the card section builders (``reports._sections``).

A record read tolerantly may hold a typed metric, a ``{"value", "ci"}`` dict, a bare number or
nothing where a figure is expected; these turn each into the plain shape the templates take.

Examples
--------
>>> value_ci({"value": 0.5, "ci": [0.4, float("nan")]})
{'value': 0.5, 'ci': None}
>>> number(True), number(float("inf")), text("  a "), text("  ")
(None, None, 'a', None)
"""

from __future__ import annotations

import math
from typing import Any

from audit.result import Metric

__all__ = ["as_dict", "interval", "not_run", "number", "text", "value_ci"]


def as_dict(x: Any) -> dict:
    """``x`` when it is a dict, else an empty one."""
    return x if isinstance(x, dict) else {}


def number(x: Any) -> float | int | None:
    """A finite number, or None (bools and strings are not numbers here)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def interval(x: Any) -> list[float] | None:
    """A ``[low, high]`` pair of finite numbers, or None."""
    if isinstance(x, (list, tuple)) and len(x) == 2 and number(x[0]) is not None and number(x[1]) is not None:
        return [float(x[0]), float(x[1])]
    return None


def value_ci(entry: Any) -> dict[str, Any]:
    """A figure as ``{"value", "ci"}``, whether given as a Metric (a group figure or disparity), a value/CI dict or a
    number."""
    if isinstance(entry, Metric):
        return {"value": number(entry.value), "ci": interval(entry.ci)}
    if isinstance(entry, dict):
        return {"value": number(entry.get("value")), "ci": interval(entry.get("ci"))}
    return {"value": number(entry), "ci": None}


def text(x: Any) -> str | None:
    """Stripped text, or None when empty or missing."""
    s = None if x is None else str(x).strip()
    return s or None


def not_run(reason: str) -> dict[str, Any]:
    """The card's entry for a section that did not run, with the reason."""
    return {"status": "not run", "reason": reason}
