"""Small, dependency-free SVG charts for the self-contained HTML card.

Charts are inline ``<svg>`` markup (no scripts, no external fonts, no network),
so the card prints and archives as one file. Every piece of text that comes
from data is XML-escaped here; the functions return :class:`markupsafe.Markup`
so the autoescaping template inserts them as markup.

Examples
--------
>>> svg = bar_chart([{"label": "Female", "value": 0.1, "ci": [0.08, 0.12]}], title="Selection rate")
>>> svg.startswith("<svg")
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from markupsafe import Markup, escape

__all__ = ["PALETTE", "bar_chart", "line_chart", "nice_ticks"]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies and in greyscale print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
_MAX_POINTS = 400  # ROC curves can hold thousands of points; more than this adds bytes, not information
_LABEL_CHARS = 34
_FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"


def _finite(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def _fmt(x: float) -> str:
    if x == 0:
        return "0"
    a = abs(x)
    if a >= 1e4 or a < 1e-3:
        return f"{x:.2g}"
    return f"{x:.3g}"


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]``.

    Examples
    --------
    >>> nice_ticks(0, 1)
    [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    ticks = []
    t = start
    while t <= hi + step * 1e-6:
        if t >= lo - step * 1e-6:
            ticks.append(round(t, 12))
        t += step
    return ticks


def _short(label: str, limit: int = _LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _open(width: int, height: int, title: str) -> list[str]:
    t = escape(title)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{t}" style="{_FONT};max-width:100%;height:auto">',
        f"<title>{t}</title>",
        f'<text x="4" y="15" font-size="13" font-weight="600" fill="#222">{t}</text>',
    ]


def _opened(lo: float, hi: float, *, above: float, below: float = 0.0) -> tuple[float, float]:
    """A flat range (``lo == hi``) opened to ``[lo - below, hi + above]`` so that it has a scale."""
    if hi != lo:
        return lo, hi
    return (lo - below if below else lo), hi + above


def _ticked(lo: float, hi: float, *, widen: bool) -> tuple[float, float, list[float]]:
    """Round ticks over ``[lo, hi]``; with ``widen`` the range grows to the outer ticks."""
    ticks = nice_ticks(lo, hi)
    if widen:
        lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    return lo, hi, ticks


def _x_grid(ticks: Sequence[float], sx: Callable[[float], float], *, top: float, bottom: float, stroke: str) -> list[str]:
    """Vertical grid lines from ``top`` to ``bottom``, each labelled with its value below."""
    out = []
    for t in ticks:
        x = sx(t)
        out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{stroke}"/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 14}" font-size="11" text-anchor="middle" fill="#444">{_fmt(t)}</text>')
    return out


def _x_label(label: str, x: float, y: float) -> str:
    return f'<text x="{x:.1f}" y="{y}" font-size="11" text-anchor="middle" fill="#444">{escape(label)}</text>'


_HATCH = ('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
          '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#999" stroke-width="3"/></pattern></defs>')


def _bar_values(item: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    """(value, ci low, ci high) of one bar, each None unless a finite number."""
    v = _finite(item.get("value"))
    raw = item.get("ci")
    ci = raw if isinstance(raw, (list, tuple)) and len(raw) == 2 else None
    lo, hi = (_finite(ci[0]), _finite(ci[1])) if ci else (None, None)
    return v, lo, hi


def _bar_domain(values: list[tuple], reference: float | None, domain: tuple[float, float] | None,
                bounds: Sequence[float] = ()) -> tuple[float, float]:
    """The caller's domain, else one covering 0, every value, every CI end, the reference and every gate bound."""
    if domain is not None:
        return domain
    nums = [x for tup in values for x in tup if x is not None] + [0.0] + list(bounds)
    if reference is not None:
        nums.append(reference)
    return _opened(min(nums), max(nums), above=1.0)


def _bar_row(item: dict[str, Any], values: tuple, sx: Callable[[float], float], *, y: float, row_h: int, left: int,
             zero: float) -> list[str]:
    """One labelled bar with its CI whisker and value, or "n/a" when it has no value."""
    v, lo, hi = values
    label = str(item.get("label", ""))
    out = [f'<text x="{left - 6}" y="{y + 15}" font-size="11" text-anchor="end" fill="#222">'
           f"<title>{escape(label)}</title>{escape(_short(label))}</text>"]
    if v is None:
        why = item.get("missing")  # e.g. "inconclusive", with the reason as its tooltip
        text = f"{escape(why)}<title>{escape(item.get('missing_reason') or why)}</title>" if why else "n/a"
        out.append(f'<text x="{zero + 4:.1f}" y="{y + 15}" font-size="11" fill="#777">{text}</text>')
        return out
    x0, x1 = sorted((zero, sx(v)))
    color = PALETTE[int(item.get("color", 0)) % len(PALETTE)]
    fill = "url(#hatch)" if item.get("flag") else color
    out.append(f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 0.8):.1f}" height="{row_h - 8}" fill="{fill}" '
               f'stroke="{color}"><title>{escape(label)}: {_fmt(v)}</title></rect>')
    if lo is not None and hi is not None:
        a, b, cy = sx(lo), sx(hi), y + row_h / 2
        out.append(f'<path d="M{a:.1f},{cy:.1f}H{b:.1f}M{a:.1f},{cy - 5:.1f}V{cy + 5:.1f}M{b:.1f},{cy - 5:.1f}V{cy + 5:.1f}" '
                   f'stroke="#222" stroke-width="1.3" fill="none"/>')
    tx = (sx(hi) if hi is not None else x1) + 4
    out.append(f'<text x="{tx:.1f}" y="{y + 15}" font-size="10" fill="#444">{_fmt(v)}</text>')
    return out + _bound_mark(item, sx, y=y, row_h=row_h)


_BOUND = "#A50026"  # dark red: distinct from both bar colours (blue, orange) and the vermilion reference line


def _bound_mark(item: dict[str, Any], sx: Callable[[float], float], *, y: float, row_h: int) -> list[str]:
    """The gate's bound on this bar's row: a thick vermilion tick the bar and its interval are read against."""
    bound = _finite(item.get("bound"))
    if bound is None:
        return []
    x = sx(bound)
    return [f'<line class="gate-bound" x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + row_h - 1}" stroke="{_BOUND}" '
            f'stroke-width="3"><title>gate bound ≤ {_fmt(bound)}</title></line>']


def _reference_line(x: float, *, top: int, bottom: int, label: str) -> list[str]:
    out = [f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="#D55E00" stroke-dasharray="4 3"/>']
    if label:
        out.append(f'<text x="{x + 3:.1f}" y="{top - 6}" font-size="10" fill="#D55E00">{escape(label)}</text>')
    return out


def bar_chart(
    items: Sequence[dict[str, Any]],
    *,
    title: str,
    value_label: str = "",
    reference: float | None = None,
    reference_label: str = "",
    domain: tuple[float, float] | None = None,
    width: int = 640,
) -> Markup:
    """Horizontal bar chart with optional confidence-interval error bars.

    Parameters
    ----------
    items : sequence of dict
        Each ``{"label": str, "value": float | None, "ci": [lo, hi] | None, "flag": bool, "bound": float | None}``.
        A missing value draws no bar and says "n/a"; ``flag`` hatches the bar (small groups); ``bound`` draws the
        gate's upper bound on the bar's row (the axis widens to show it).
    title, value_label : str
        Chart title and axis label.
    reference : float, optional
        A vertical reference line (e.g. the overall rate).
    domain : (float, float), optional
        Fixed axis range; by default it covers 0, every value and every CI end.

    Returns
    -------
    Markup
        An ``<svg>`` element.

    Examples
    --------
    >>> "n/a" in bar_chart([{"label": "x", "value": None}], title="t")
    True
    """
    items = list(items)
    left, right, top, row_h = 215, 60, 26, 22
    base = top + row_h * max(len(items), 1)
    bounds = [b for b in (_finite(it.get("bound")) for it in items) if b is not None]
    height, plot_w = base + (58 if bounds else 42), width - left - right
    values = [_bar_values(it) for it in items]
    ref = _finite(reference)  # a reference that is not a finite number draws no line
    d0, d1, ticks = _ticked(*_bar_domain(values, ref, domain, bounds), widen=True)
    span = (d1 - d0) or 1.0

    def sx(x: float) -> float:
        return left + (min(max(x, d0), d1) - d0) / span * plot_w

    out = _open(width, height, title) + _x_grid(ticks, sx, top=top, bottom=base, stroke="#ddd")
    if value_label:
        out.append(_x_label(value_label, left + plot_w / 2, base + 32))
    zero = sx(0.0) if d0 <= 0 <= d1 else sx(d0)
    for i, (it, vals) in enumerate(zip(items, values, strict=True)):
        out += _bar_row(it, vals, sx, y=top + i * row_h, row_h=row_h, left=left, zero=zero)
    if ref is not None:
        out += _reference_line(sx(ref), top=top, bottom=base, label=reference_label)
    if bounds:  # say what the tick is, below the axis label
        out.append(f'<text x="{left}" y="{base + 50}" font-size="10" fill="{_BOUND}">'
                   "▮ gate bound: the value must stay at or below it</text>")
    out.insert(3, _HATCH)
    out.append("</svg>")
    return Markup("".join(out))


def _thin(xs: list[float], ys: list[float]) -> tuple[list[float], list[float]]:
    if len(xs) <= _MAX_POINTS:
        return xs, ys
    step = math.ceil(len(xs) / _MAX_POINTS)
    idx = list(range(0, len(xs), step))
    if idx[-1] != len(xs) - 1:
        idx.append(len(xs) - 1)  # keep the end point: ROC curves must reach (1, 1)
    return [xs[i] for i in idx], [ys[i] for i in idx]


def _clean_series(series: Sequence[dict[str, Any]]) -> list[tuple[str, list[float], list[float]]]:
    """(name, xs, ys) of each series with at least one finite point, thinned; the others are dropped."""
    clean = []
    for s in series:
        pairs = [(_finite(x), _finite(y)) for x, y in zip(list(s.get("x") or []), list(s.get("y") or []), strict=False)]
        pts = [(x, y) for x, y in pairs if x is not None and y is not None]
        if pts:
            xs, ys = _thin([p[0] for p in pts], [p[1] for p in pts])
            clean.append((str(s.get("name", "")), xs, ys))
    return clean


def _y_grid(ticks: Sequence[float], sy: Callable[[float], float], *, left: int, right: float) -> list[str]:
    """Horizontal grid lines from ``left`` to ``right``, each labelled with its value on the left."""
    out = []
    for t in ticks:
        out.append(f'<line x1="{left}" y1="{sy(t):.1f}" x2="{right}" y2="{sy(t):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{left - 5}" y="{sy(t) + 4:.1f}" font-size="11" text-anchor="end" fill="#444">{_fmt(t)}</text>')
    return out


def _frame(*, left: int, top: int, plot_w: int, plot_h: int, x_label: str, y_label: str) -> list[str]:
    """The plot area's border and the axis labels (the y label turned to run along its axis)."""
    out = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#999"/>']
    if x_label:
        out.append(_x_label(x_label, left + plot_w / 2, top + plot_h + 32))
    if y_label:
        out.append(f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="11" text-anchor="middle" fill="#444" '
                   f'transform="rotate(-90 12 {top + plot_h / 2:.1f})">{escape(y_label)}</text>')
    return out


def _polylines(clean: list[tuple], sx: Callable[[float], float], sy: Callable[[float], float], *, markers: bool) -> list[str]:
    out = []
    for i, (name, xs, ys) in enumerate(clean):
        color = PALETTE[i % len(PALETTE)]
        dash = "" if i < len(PALETTE) else ' stroke-dasharray="6 3"'  # past the palette, colours repeat: dash them
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys, strict=True))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"{dash}><title>{escape(name)}</title></polyline>')
        if markers:
            out.extend(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="3" fill="{color}">'
                       f'<title>{escape(name)}: ({_fmt(x)}, {_fmt(y)})</title></circle>'
                       for x, y in zip(xs, ys, strict=True))
    return out


def _legend(names: list[str], *, left: int, plot_w: int, top: int) -> list[str]:
    """Two legend entries per row, from ``top`` down."""
    out = []
    for i, name in enumerate(names):
        lx = left + (i % 2) * (plot_w / 2)
        ly = top + 16 * (i // 2) + 2
        out.append(f'<rect x="{lx:.1f}" y="{ly}" width="14" height="4" fill="{PALETTE[i % len(PALETTE)]}"/>'
                   f'<text x="{lx + 18:.1f}" y="{ly + 6}" font-size="11" fill="#222"><title>{escape(name)}</title>'
                   f'{escape(_short(name, int(plot_w / 2 / 6.5) - 3))}</text>')
    return out


def line_chart(
    series: Sequence[dict[str, Any]],
    *,
    title: str,
    x_label: str = "",
    y_label: str = "",
    diagonal: bool = False,
    x_domain: tuple[float, float] | None = None,
    y_domain: tuple[float, float] | None = None,
    markers: bool = False,
    width: int = 500,
    height: int = 300,
) -> Markup:
    """Line chart of one or more series, with a legend.

    Parameters
    ----------
    series : sequence of dict
        Each ``{"name": str, "x": [...], "y": [...]}``; points with a missing
        coordinate are skipped. Long series are thinned to 400 points.
    diagonal : bool
        Draw the y = x chance line (ROC curves).
    markers : bool
        Draw a dot at each point (short series such as ε per epoch).

    Returns
    -------
    Markup
        An ``<svg>`` element.

    Examples
    --------
    >>> svg = line_chart([{"name": "ε", "x": [1, 2], "y": [0.5, 0.8]}], title="ε per epoch")
    >>> "polyline" in svg
    True
    """
    left, right, top, bottom = 56, 16, 26, 46
    clean = _clean_series(series)
    legend_h = 16 * math.ceil(len(clean) / 2) if len(clean) > 1 else 0
    height = height + legend_h
    out = _open(width, height, title)
    plot_w, plot_h = width - left - right, height - top - bottom - legend_h
    if not clean:
        out.append(f'<text x="{width / 2}" y="{height / 2}" font-size="12" text-anchor="middle" fill="#777">no data</text></svg>')
        return Markup("".join(out))
    all_x = [x for _, xs, _ in clean for x in xs]
    all_y = [y for _, _, ys in clean for y in ys]
    # A caller's domain is kept as given; one taken from the data grows to whole ticks.
    x0, x1, xt = _ticked(*_opened(*(x_domain or (min(all_x), max(all_x))), above=1.0), widen=not x_domain)
    y0, y1, yt = _ticked(*_opened(*(y_domain or (min(all_y), max(all_y))), below=0.5, above=0.5), widen=not y_domain)

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * plot_w

    def sy(y: float) -> float:
        return top + plot_h - (y - y0) / (y1 - y0) * plot_h

    out += _x_grid([t for t in xt if x0 - 1e-12 <= t <= x1 + 1e-12], sx, top=top, bottom=top + plot_h, stroke="#eee")
    out += _y_grid([t for t in yt if y0 - 1e-12 <= t <= y1 + 1e-12], sy, left=left, right=left + plot_w)
    out += _frame(left=left, top=top, plot_w=plot_w, plot_h=plot_h, x_label=x_label, y_label=y_label)
    if diagonal:
        lo, hi = max(x0, y0), min(x1, y1)
        out.append(f'<line x1="{sx(lo):.1f}" y1="{sy(lo):.1f}" x2="{sx(hi):.1f}" y2="{sy(hi):.1f}" stroke="#999" stroke-dasharray="4 3"/>')
    out += _polylines(clean, sx, sy, markers=markers)
    if len(clean) > 1:
        out += _legend([name for name, _, _ in clean], left=left, plot_w=plot_w, top=height - legend_h)
    out.append("</svg>")
    return Markup("".join(out))
