"""Number and text formatting shared by the Markdown and HTML templates.

Every formatter takes whatever the card data holds (a number, None, a
``{"value", "ci"}`` pair) and returns text; an undefined value reads "n/a",
never "nan" or an exception.

Examples
--------
>>> fmt_vci({"value": 0.8123, "ci": [0.8, 0.83]})
'0.812 [0.800, 0.830]'
>>> fmt_num(None)
'n/a'
"""

from __future__ import annotations

import math
import re
from typing import Any

from markupsafe import Markup

__all__ = ["FILTERS", "fmt_bytes", "fmt_ci", "fmt_energy", "fmt_g", "fmt_int", "fmt_mass", "fmt_num", "fmt_pct", "fmt_sci",
           "fmt_vci", "label", "md_cell", "md_escape", "md_inert", "short_hash"]

NA = "n/a"


def _finite(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def fmt_num(x: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals (small ones in scientific notation), or "n/a"."""
    f = _finite(x)
    if f is None:
        return NA
    if isinstance(x, int):
        return f"{x:,}"
    if f != 0 and abs(f) < 10 ** (-digits):
        return f"{f:.2e}"
    return f"{f:.{digits}f}"


def fmt_g(x: Any, digits: int = 3) -> str:
    """Shortest readable form with ``digits`` significant digits (δ = 1e-05), or "n/a"."""
    f = _finite(x)
    return NA if f is None else f"{f:.{digits}g}"


def fmt_int(x: Any) -> str:
    """An integer with thousands separators, or "n/a"."""
    f = _finite(x)
    return NA if f is None else f"{int(round(f)):,}"


def fmt_pct(x: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage, or "n/a"."""
    f = _finite(x)
    return NA if f is None else f"{100 * f:.{digits}f}%"


def fmt_sci(x: Any) -> str:
    """Large counts (FLOPs) in engineering notation: 1.2 M, 3.4 G, or "n/a"."""
    f = _finite(x)
    if f is None:
        return NA
    for unit, scale in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(f) >= scale:
            return f"{f / scale:.3g} {unit}"
    return f"{f:.3g}"


def fmt_bytes(x: Any) -> str:
    """MiB as text, or "n/a"."""
    f = _finite(x)
    return NA if f is None else (f"{f / 1024:.2f} GiB" if f >= 1024 else f"{f:.0f} MiB")


def fmt_ci(ci: Any, digits: int = 3) -> str:
    """``[lo, hi]`` as text, or empty when there is no interval."""
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and _finite(ci[0]) is not None and _finite(ci[1]) is not None:
        return f"[{ci[0]:.{digits}f}, {ci[1]:.{digits}f}]"
    return ""


def fmt_vci(entry: Any, digits: int = 3) -> str:
    """A ``{"value", "ci"}`` metric as "value [lo, hi]", or "n/a"."""
    if not isinstance(entry, dict):
        return fmt_num(entry, digits)
    v = fmt_num(entry.get("value"), digits)
    ci = fmt_ci(entry.get("ci"), digits) if v != NA else ""
    return f"{v} {ci}" if ci else v


def fmt_energy(kwh: Any) -> str:
    """Energy in the unit that keeps it readable (Wh below 1 kWh)."""
    f = _finite(kwh)
    if f is None:
        return NA
    if f < 1e-3:
        return f"{f * 3.6e6:.3g} J"
    return f"{f * 1000:.3g} Wh" if f < 1 else f"{f:.3g} kWh"


def fmt_mass(kg: Any) -> str:
    """CO2 mass in g below 1 kg."""
    f = _finite(kg)
    if f is None:
        return NA
    if f < 1e-3:
        return f"{f * 1e6:.3g} mg"
    return f"{f * 1000:.3g} g" if f < 1 else f"{f:.3g} kg"


# CommonMark (the Hugging Face Hub, GitHub, Streamlit) lets any ASCII punctuation be backslash-escaped, so markup
# is made literal without HTML entities (which a reader of the raw file, or a code span, shows as "&amp;").
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\|[]`<>"})
# '&' starts markup only as a character reference ("&amp;", "&#60;"): only then is it escaped.
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def md_escape(x: Any) -> str:
    """Text made inert in Markdown: no raw HTML, no links, no table breaks; shown as written, without HTML entities.

    Examples
    --------
    >>> print(md_escape("<script>alert(1)</script> sex & race"))
    \\<script\\>alert(1)\\</script\\> sex & race
    """
    return "" if x is None else _MD_ENTITY.sub(r"\\&", str(x).translate(_MD_SPECIAL))


def md_cell(x: Any) -> Markup:
    """Like :func:`md_escape`, on one line (table cells); marked as already escaped so it is not escaped twice."""
    return Markup(" ".join(md_escape(x).split()))


_MD_EMPHASIS = str.maketrans({c: "\\" + c for c in "*_~#!"})


def md_inert(x: Any) -> Markup:
    """A quoted text (an example the model scored) on one line with every Markdown mark escaped, emphasis included.

    Examples
    --------
    >>> print(md_inert("| a | **b** <i>"))
    \\| a \\| \\*\\*b\\*\\* \\<i\\>
    """
    return Markup(" ".join(md_escape(x).translate(_MD_EMPHASIS).split()))


def label(x: Any) -> str:
    """A metric key as a column heading: ``equal_opportunity_difference`` → ``equal opportunity difference``; TPR etc. upper-cased."""
    words = str(x).split("_")
    return " ".join(w.upper() if w in ("tpr", "fpr", "tnr", "fnr", "roc", "auc", "ece") else w for w in words)


def short_hash(x: Any, n: int = 12) -> str:
    """The first ``n`` hex digits of a hash, or "n/a"."""
    return NA if not x else str(x)[:n]


FILTERS = {
    "num": fmt_num,
    "count": fmt_int,
    "g": fmt_g,
    "pct": fmt_pct,
    "sci": fmt_sci,
    "mib": fmt_bytes,
    "ci": fmt_ci,
    "vci": fmt_vci,
    "energy": fmt_energy,
    "mass": fmt_mass,
    "short_hash": short_hash,
    "cell": md_cell,
    "inert": md_inert,
    "label": label,
}
