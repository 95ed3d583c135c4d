"""The ``{"value", "ci"}`` entries every fairness report writes, as JSON-safe floats.

Examples
--------
>>> value_ci(0.5, 0.4, float("nan")), json_float(float("inf"))
({'value': 0.5, 'ci': None}, None)
"""

from __future__ import annotations

import math

__all__ = ["json_float", "value_ci"]


def json_float(x) -> float | None:
    """A JSON-safe float: None for None, NaN and inf."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def value_ci(value, lo=None, hi=None) -> dict:
    """A ``{"value", "ci"}`` entry; ``ci`` is null without bounds or when either bound is undefined."""
    v = json_float(value)
    lo_, hi_ = json_float(lo), json_float(hi)
    return {"value": v, "ci": [lo_, hi_] if v is not None and lo_ is not None and hi_ is not None else None}
