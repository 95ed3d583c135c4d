"""Altair chart builders used by every page (one charting library, one look).

Each builder takes a tidy DataFrame and returns an ``alt.Chart``; pages pass it to
``dashboard._ui.chart`` (drawn unvalidated; the tests validate). Tooltips carry the exact numbers, so hovering answers
"what is the value and its interval" without a table lookup.
"""

from __future__ import annotations

from typing import Any, Literal

import altair as alt
import pandas as pd

__all__ = ["PALETTE", "bars_with_ci", "confusion_heatmap", "deletion_curve", "heatmap", "lines", "points_with_ci",
           "reliability", "roc_curves", "roc_panels", "scatter_with_ci", "signed_bars", "utility_curve"]

# Per-group charts size by a step per row (alt.Step): a fixed pixel height collapsed the rows in Streamlit.
_PASS, _FAIL = "#2e7d32", "#c62828"
#: A categorical palette of strong, distinct hues (Tableau 10's darker eight): curves told apart at a glance, so a
#: chart shows at most eight of them (more go to small multiples).
PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
#: The Vega colour schemes a heatmap may take (a subset of the names Altair types as a Literal; add one here to use it).
ColorScheme = Literal["blues", "greens", "greys", "oranges", "reds", "blueorange", "redblue", "viridis"]


def _x_domain(frame: pd.DataFrame, cols: list[str | None], extra: list[float], *, from_zero: bool = True) -> list[float]:
    """An x domain holding every value, interval end and bound (with a margin), so nothing is clipped at the edge;
    from zero unless ``from_zero`` is False (AUCs near 1 stay readable)."""
    vals = pd.concat([pd.to_numeric(frame[c], errors="coerce") for c in cols if c and c in frame] +
                     [pd.Series(extra, dtype=float)], ignore_index=True).dropna()
    if vals.empty:
        return [0.0, 1.0]
    lo, hi = float(vals.min()), float(vals.max())
    pad = 0.08 * (hi - lo) if hi > lo else 0.05 * max(abs(hi), 1.0)
    return [min(lo - pad, 0.0) if lo >= 0 and from_zero else lo - pad, hi + pad]


def _bound_rules(bounds: list[dict] | None, *, orient: str = "x", scale: alt.Scale | None = None) -> list[alt.Chart]:
    """Dashed rules at gate bounds (``{"value", "label"}``), labelled, in the fail colour."""
    if not bounds:
        return []
    data = pd.DataFrame([{"bound": float(b["value"]), "label": str(b.get("label") or f"bound {b['value']:g}")} for b in bounds])
    kw: dict[str, Any] = {"scale": scale} if scale is not None else {}
    enc = {orient: alt.X("bound:Q", **kw) if orient == "x" else alt.Y("bound:Q", **kw)}
    rule = alt.Chart(data).mark_rule(strokeDash=[6, 3], color=_FAIL, strokeWidth=2).encode(
        tooltip=[alt.Tooltip("label:N"), alt.Tooltip("bound:Q", format=".4f")], **enc)
    text = alt.Chart(data).mark_text(align="left", dx=4, dy=-6, color=_FAIL, fontSize=11).encode(text="label:N", **enc,
        **({"y": alt.value(0)} if orient == "x" else {"x": alt.value(0)}))
    return [rule, text]


def bars_with_ci(frame: pd.DataFrame, *, category: str, value: str, lo: str | None = None, hi: str | None = None,
                 color: str | None = None, title: str = "", value_title: str | None = None,
                 bounds: list[dict] | None = None) -> alt.Chart:
    """Horizontal bars of ``value`` per ``category`` with optional ``[lo, hi]`` error bars.

    With ``color`` the bars are grouped (e.g. by model) via ``yOffset``. ``bounds`` (``{"value", "label"}``)
    draws dashed reference lines (gate bounds, the overall rate); the axis always holds every bar, interval and bound.

    Examples
    --------
    >>> c = bars_with_ci(pd.DataFrame({"f": ["a", "b"], "v": [1.0, 2.0], "l": [0.8, 1.7], "h": [1.2, 2.3]}),
    ...                  category="f", value="v", lo="l", hi="h")
    >>> c.to_dict()["layer"][0]["mark"]["type"]
    'bar'
    """
    order = frame.groupby(category, sort=False)[value].max().sort_values(ascending=False).index.tolist()
    y = alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=420))
    tooltip = [alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=".4f")]
    if lo and hi:
        tooltip += [alt.Tooltip(f"{lo}:Q", format=".4f"), alt.Tooltip(f"{hi}:Q", format=".4f")]
    enc: dict = {"y": y, "tooltip": tooltip}
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color)
        enc["yOffset"] = alt.YOffset(f"{color}:N")
        tooltip.insert(1, alt.Tooltip(f"{color}:N"))
    base = alt.Chart(frame)
    scale = alt.Scale(domain=_x_domain(frame, [value, lo, hi], [b["value"] for b in bounds or []]), nice=False)
    bars = base.mark_bar().encode(x=alt.X(f"{value}:Q", title=value_title or value, scale=scale), **enc)
    layers = [bars]
    if lo and hi:
        err = base.transform_filter(f"isValid(datum['{lo}']) && isValid(datum['{hi}'])").mark_errorbar(ticks=True).encode(
            x=alt.X(f"{lo}:Q", title=value_title or value, scale=scale), x2=f"{hi}:Q", **{k: v for k, v in enc.items() if k != "color"},
        )
        layers.append(err)
    layers += _bound_rules(bounds, scale=scale)
    return alt.layer(*layers).properties(title=title, height=alt.Step(18 if color else 24))


def points_with_ci(frame: pd.DataFrame, *, category: str, value: str, lo: str, hi: str, color: str | None = None,
                   title: str = "", rule_at: float | None = None, bounds: list[dict] | None = None,
                   bound: str | None = None, from_zero: bool = True) -> alt.Chart:
    """A dot per ``category`` with its interval (disparities), a grey reference line at ``rule_at`` (parity) and dashed
    red lines at ``bounds`` (the gates' bounds, ``{"value", "label"}``). ``bound`` names a column holding a per-row
    bound (a gate on that disparity): drawn as a red tick on the row.

    The x axis is set to hold every value, interval end, reference and bound, so no dot or interval is clipped at
    the axis edge (Vega-Lite's default domain follows the first layer only).

    Examples
    --------
    >>> f = pd.DataFrame({"d": ["a"], "v": [0.3], "l": [0.25], "h": [0.35]})
    >>> c = points_with_ci(f, category="d", value="v", lo="l", hi="h", rule_at=0.0, bounds=[{"value": 0.5, "label": "gate"}])
    >>> c.to_dict()["layer"][0]["encoding"]["x"]["scale"]["domain"][1] > 0.5
    True
    """
    extra = [b["value"] for b in bounds or []] + ([rule_at] if rule_at is not None else [])
    scale = alt.Scale(domain=_x_domain(frame, [value, lo, hi, bound], extra, from_zero=from_zero), nice=False)
    enc: dict = {"y": alt.Y(f"{category}:N", title=None, axis=alt.Axis(labelLimit=320))}
    tooltip = [alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=".4f"),
               alt.Tooltip(f"{lo}:Q", format=".4f"), alt.Tooltip(f"{hi}:Q", format=".4f")]
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color)
        enc["yOffset"] = alt.YOffset(f"{color}:N")
        tooltip.insert(1, alt.Tooltip(f"{color}:N"))
    base = alt.Chart(frame)
    layers = [
        base.transform_filter(f"isValid(datum['{lo}']) && isValid(datum['{hi}'])").mark_rule(strokeWidth=2).encode(
            x=alt.X(f"{lo}:Q", title=value, scale=scale), x2=f"{hi}:Q", tooltip=tooltip, **enc),
        base.mark_point(filled=True, size=70).encode(x=alt.X(f"{value}:Q", title=value, scale=scale), tooltip=tooltip, **enc),
    ]
    if rule_at is not None:
        layers.append(alt.Chart(pd.DataFrame({"x": [rule_at]})).mark_rule(strokeDash=[4, 4], color="gray").encode(
            x=alt.X("x:Q", scale=scale)))
    if bound and bound in frame and frame[bound].notna().any():
        layers.append(base.transform_filter(f"isValid(datum['{bound}'])").mark_tick(color=_FAIL, thickness=3, size=18).encode(
            x=alt.X(f"{bound}:Q", scale=scale), y=enc["y"],
            tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{bound}:Q", title="gate bound", format=".4f")]))
    layers += _bound_rules(bounds, scale=scale)
    return alt.layer(*layers).properties(title=title, height=alt.Step(18 if color else 24))


def heatmap(frame: pd.DataFrame, *, x: str, y: str, value: str, text: str | None = None, title: str = "",
            scheme: ColorScheme = "blues", domain_mid: float | None = None) -> alt.Chart:
    """Cells coloured by ``value`` with the value written in; missing cells stay blank."""
    scale = alt.Scale(scheme=scheme, domainMid=domain_mid) if domain_mid is not None else alt.Scale(scheme=scheme)
    tooltip = [alt.Tooltip(f"{x}:N"), alt.Tooltip(f"{y}:N"), alt.Tooltip(f"{value}:Q", format=".4f")]
    if text and text != value:
        tooltip.append(alt.Tooltip(f"{text}:Q"))
    # Category labels are not truncated (Vega's default limit is 180 px): x labels angled, y labels given room.
    base = alt.Chart(frame).encode(x=alt.X(f"{x}:N", title=x, axis=alt.Axis(labelAngle=-35, labelLimit=0, labelOverlap=False)),
                                   y=alt.Y(f"{y}:N", title=y, axis=alt.Axis(labelLimit=0)))
    cells = base.mark_rect().encode(color=alt.Color(f"{value}:Q", scale=scale, title=value), tooltip=tooltip)
    labels = base.mark_text(fontSize=11).encode(text=alt.Text(f"{value}:Q", format=".2f"))
    return alt.layer(cells, labels).properties(title=title, height=alt.Step(28))


def lines(frame: pd.DataFrame, *, x: str, y: str, color: str | None = None, title: str = "", x_title: str | None = None,
          y_title: str | None = None, points: bool = True) -> alt.Chart:
    """Lines of ``y`` against ``x`` (one per ``color``), with points and tooltips."""
    enc: dict = {
        "x": alt.X(f"{x}:Q", title=x_title or x),
        "y": alt.Y(f"{y}:Q", title=y_title or y, scale=alt.Scale(zero=False)),
        "tooltip": [alt.Tooltip(f"{x}:Q", format=".4g"), alt.Tooltip(f"{y}:Q", format=".4f")],
    }
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color)
        enc["tooltip"].insert(0, alt.Tooltip(f"{color}:N"))
    return alt.Chart(frame).mark_line(point=points).encode(**enc).properties(title=title, height=260)


def _categorical(frame: pd.DataFrame, column: str) -> alt.Scale:
    """The strong palette over a column's values in frame order (at most eight are told apart)."""
    domain = list(dict.fromkeys(frame[column].astype(str)))
    return alt.Scale(domain=domain, range=PALETTE[:max(1, min(len(domain), len(PALETTE)))])


def roc_curves(frame: pd.DataFrame, *, color: str = "curve", title: str = "ROC") -> alt.Chart:
    """ROC curves (columns ``fpr``, ``tpr``, ``color``) in the strong palette, with the chance diagonal.

    Examples
    --------
    >>> f = pd.DataFrame({"fpr": [0, 1, 0, 1], "tpr": [0, 1, 0, 1], "curve": ["a", "a", "b", "b"]})
    >>> roc_curves(f).to_dict()["layer"][1]["encoding"]["color"]["scale"]["range"]
    ['#1f77b4', '#d62728']
    """
    diag = alt.Chart(pd.DataFrame({"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]})).mark_line(strokeDash=[4, 4], color="gray").encode(
        x="fpr:Q", y="tpr:Q")
    curves = alt.Chart(frame).mark_line(strokeWidth=2).encode(
        x=alt.X("fpr:Q", title="false positive rate", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("tpr:Q", title="true positive rate", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color(f"{color}:N", title=color, scale=_categorical(frame, color)),
        tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip("fpr:Q", format=".4f"), alt.Tooltip("tpr:Q", format=".4f")],
    )
    return alt.layer(diag, curves).properties(title=title, height=320)


def roc_panels(frame: pd.DataFrame, *, panel: str, color: str, title: str = "") -> alt.HConcatChart:
    """Log-log ROC curves as small multiples: one panel per ``panel`` value (a model), one strong colour per ``color``
    value (an attack, the same colour in every panel), each with its TPR band (``lower``, ``upper``) and the guessing
    diagonal. Columns: ``fpr``, ``tpr``, ``lower``, ``upper``, ``panel``, ``color``.

    Examples
    --------
    >>> f = pd.DataFrame({"fpr": [0.01, 1.0] * 2, "tpr": [0.02, 1.0] * 2, "lower": [0.01, 0.9] * 2,
    ...                   "upper": [0.03, 1.0] * 2, "model": ["a", "a", "b", "b"], "attack": ["x", "x", "y", "y"]})
    >>> len(roc_panels(f, panel="model", color="attack").to_dict()["hconcat"])
    2
    """
    data = frame[(frame["fpr"] > 0) & (frame["tpr"] > 0)]
    floor = max(1e-5, float(data["fpr"].min()) / 2) if not data.empty else 1e-5
    data = data.assign(lower=data["lower"].clip(lower=floor))
    scale = alt.Scale(type="log", domain=[floor, 1], clamp=True)
    palette = _categorical(data, color)
    # one legend for band and line, drawn as full-strength strokes (the band's opacity made it pastel)
    colors = alt.Color(f"{color}:N", title=color, scale=palette,
                       legend=alt.Legend(symbolType="stroke", symbolOpacity=1, symbolStrokeWidth=3))
    panels = []
    for name, part in data.groupby(panel, sort=False):
        base = alt.Chart(part)
        band = base.mark_area(opacity=0.12).encode(x=alt.X("fpr:Q", scale=scale, title="false positive rate (log)"),
                                                   y=alt.Y("lower:Q", scale=scale, title="true positive rate (log)"),
                                                   y2="upper:Q", color=colors)
        line = base.mark_line(strokeWidth=2).encode(
            x=alt.X("fpr:Q", scale=scale), y=alt.Y("tpr:Q", scale=scale), color=colors,
            tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip("fpr:Q", format=".4g"), alt.Tooltip("tpr:Q", format=".4g"),
                     alt.Tooltip("lower:Q", format=".4g"), alt.Tooltip("upper:Q", format=".4g")])
        diag = alt.Chart(pd.DataFrame({"fpr": [floor, 1.0], "tpr": [floor, 1.0]})).mark_line(
            strokeDash=[4, 4], color="gray").encode(x=alt.X("fpr:Q", scale=scale), y=alt.Y("tpr:Q", scale=scale))
        panels.append(alt.layer(band, line, diag).properties(title=f"{panel} {name}", width=260, height=260))
    return alt.hconcat(*panels).properties(title=title)


def reliability(frame: pd.DataFrame, *, x: str, y: str, color: str, title: str = "") -> alt.Chart:
    """A reliability diagram: ``y`` (fraction positive) against ``x`` (mean score) per ``color`` on [0, 1] axes, with
    the diagonal a calibrated model lies on drawn.

    Examples
    --------
    >>> f = pd.DataFrame({"s": [0.2, 0.8], "p": [0.1, 0.9], "g": ["a", "a"]})
    >>> spec = reliability(f, x="s", y="p", color="g").to_dict()  # the first layer: the diagonal, dashed
    >>> spec["layer"][0]["mark"]["strokeDash"], [{"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 1.0}] in spec["datasets"].values()
    ([4, 4], True)
    """
    diag = alt.Chart(pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0]})).mark_line(strokeDash=[4, 4], color="gray").encode(
        x=alt.X("x:Q", scale=alt.Scale(domain=[0, 1])), y=alt.Y("y:Q", scale=alt.Scale(domain=[0, 1])))
    curves = alt.Chart(frame).mark_line(point=True, strokeWidth=2).encode(
        x=alt.X(f"{x}:Q", title=x, scale=alt.Scale(domain=[0, 1])), y=alt.Y(f"{y}:Q", title=y, scale=alt.Scale(domain=[0, 1])),
        color=alt.Color(f"{color}:N", title=color, scale=_categorical(frame, color)),
        tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip(f"{x}:Q", format=".3f"), alt.Tooltip(f"{y}:Q", format=".3f")])
    return alt.layer(diag, curves).properties(title=title, height=320)


def utility_curve(frame: pd.DataFrame, *, baseline: float | None, baseline_label: str, lines_at: list[dict] | None = None,
                  title: str = "") -> alt.Chart:
    """Test accuracy against ε (columns ``ε``, ``accuracy``, ``lo``, ``hi``) with each point's interval, on a y axis
    from a meaningful ``baseline`` (always predicting the majority class; drawn and labelled) so a 0.001 step does
    not read as a trend; ``lines_at`` adds labelled reference lines (``{"value", "label"}``: the non-private model).

    Examples
    --------
    >>> f = pd.DataFrame({"ε": [1.0, 2.0], "accuracy": [0.855, 0.856], "lo": [0.85, 0.851], "hi": [0.86, 0.861]})
    >>> utility_curve(f, baseline=0.76, baseline_label="majority").to_dict()["layer"][0]["encoding"]["y"]["scale"]["domain"][0] < 0.76
    True
    """
    refs = [(float(baseline), baseline_label, -6)] if baseline is not None else []  # label above the baseline
    refs += [(float(r["value"]), str(r["label"]), 12) for r in lines_at or []]  # below a line near the points
    ys = alt.Scale(domain=_tight(frame, ["accuracy", "lo", "hi"], [v for v, _, _ in refs]), nice=False)
    base = alt.Chart(frame)
    tooltip = [alt.Tooltip("ε:Q", format=".3g"), alt.Tooltip("accuracy:Q", format=".4f"), alt.Tooltip("lo:Q", format=".4f"),
               alt.Tooltip("hi:Q", format=".4f")]
    layers = [
        base.mark_line(point=True).encode(x=alt.X("ε:Q", title="ε"), y=alt.Y("accuracy:Q", title="test accuracy", scale=ys),
                                          tooltip=tooltip),
        base.mark_errorbar(ticks=True).encode(x="ε:Q", y=alt.Y("lo:Q", scale=ys, title="test accuracy"), y2="hi:Q"),
    ]
    for value, label, dy in refs:
        data = pd.DataFrame({"y": [value], "label": [label]})
        rule = alt.Chart(data).mark_rule(strokeDash=[4, 4], color="gray").encode(y=alt.Y("y:Q", scale=ys))
        text = alt.Chart(data).mark_text(align="right", dx=-4, dy=dy, color="gray", fontSize=11).encode(
            y=alt.Y("y:Q", scale=ys), x=alt.value("width"), text="label:N")
        layers += [rule, text]
    return alt.layer(*layers).properties(title=title, height=300)


def signed_bars(frame: pd.DataFrame, *, category: str, value: str, title: str = "", detail: str | None = None) -> alt.Chart:
    """Bars of a signed quantity (e.g. one example's attributions), coloured by sign, sorted by magnitude."""
    data = frame.assign(_abs=frame[value].abs(), direction=frame[value].map(lambda v: "raises score" if v >= 0 else "lowers score"))
    tooltip = [alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=".4f")]
    if detail:
        tooltip.append(alt.Tooltip(f"{detail}:N"))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X(f"{value}:Q", title=value),
        y=alt.Y(f"{category}:N", sort=alt.EncodingSortField(field="_abs", order="descending"), title=None,
                axis=alt.Axis(labelLimit=320)),
        color=alt.Color("direction:N", scale=alt.Scale(domain=["raises score", "lowers score"], range=[_PASS, _FAIL]),
                        title=None),
        tooltip=tooltip,
    ).properties(title=title, height=alt.Step(20))


def deletion_curve(frame: pd.DataFrame, *, title: str = "Deletion curve") -> alt.Chart:
    """Prediction change as the top-k features (vs random ones) are replaced by the baseline; columns k, change, order."""
    return lines(frame, x="k", y="change", color="order", title=title, x_title="features removed (k)",
                 y_title="mean |prediction change|")


def scatter_with_ci(frame: pd.DataFrame, *, x: str, y: str, label: str, kind: str, x_lo: str | None = None,
                    x_hi: str | None = None, y_lo: str | None = None, y_hi: str | None = None, title: str = "",
                    x_bounds: list[dict] | None = None, y_bounds: list[dict] | None = None,
                    x_title: str | None = None, y_title: str | None = None, labelled: list[str] | None = None,
                    path: str | None = None) -> alt.Chart:
    """Points (one per ``label``, coloured by ``kind``) with horizontal and vertical interval bars, and dashed gate bounds.

    Used for accuracy against disparity across models, mitigations and ε points. Only rows whose ``kind`` is in
    ``labelled`` (all when None) get a text label (near-identical points would overprint each other); the rows of
    kind ``path`` are joined by a line in frame order (a curve). Every point's name is in its tooltip.

    Examples
    --------
    >>> f = pd.DataFrame({"m": ["a"], "k": ["model"], "dp": [0.1], "acc": [0.8]})
    >>> scatter_with_ci(f, x="dp", y="acc", label="m", kind="k", x_bounds=[{"value": 0.2}]).to_dict()["layer"][0]["mark"]["type"]
    'point'
    """
    xs = alt.Scale(domain=_x_domain(frame, [x, x_lo, x_hi], [b["value"] for b in x_bounds or []]), nice=False)
    ys = alt.Scale(domain=_tight(frame, [y, y_lo, y_hi], [b["value"] for b in y_bounds or []]), nice=False)
    tooltip = [alt.Tooltip(f"{label}:N"), alt.Tooltip(f"{kind}:N"), alt.Tooltip(f"{x}:Q", format=".4f"),
               alt.Tooltip(f"{y}:Q", format=".4f")]
    base = alt.Chart(frame)
    color = alt.Color(f"{kind}:N", title=None, legend=alt.Legend(orient="bottom"))
    layers = [base.mark_point(filled=True, size=90).encode(x=alt.X(f"{x}:Q", scale=xs, title=x_title or x),
                                                           y=alt.Y(f"{y}:Q", scale=ys, title=y_title or y),
                                                           color=color, shape=alt.Shape(f"{kind}:N", title=None,
                                                                                        legend=alt.Legend(orient="bottom")),
                                                           tooltip=tooltip)]
    if x_lo and x_hi:
        layers.append(base.transform_filter(f"isValid(datum['{x_lo}']) && isValid(datum['{x_hi}'])").mark_rule().encode(
            x=alt.X(f"{x_lo}:Q", scale=xs), x2=f"{x_hi}:Q", y=alt.Y(f"{y}:Q", scale=ys), color=color))
    if y_lo and y_hi:
        layers.append(base.transform_filter(f"isValid(datum['{y_lo}']) && isValid(datum['{y_hi}'])").mark_rule().encode(
            y=alt.Y(f"{y_lo}:Q", scale=ys), y2=f"{y_hi}:Q", x=alt.X(f"{x}:Q", scale=xs), color=color))
    if path is not None:
        layers.insert(0, alt.Chart(frame.assign(_order=range(len(frame)))).transform_filter(
            alt.datum[kind] == path).mark_line(strokeDash=[2, 2], opacity=0.6).encode(
            x=alt.X(f"{x}:Q", scale=xs), y=alt.Y(f"{y}:Q", scale=ys), order="_order:Q", color=color))
    text_rows = (frame if labelled is None else frame[frame[kind].isin(labelled)]).sort_values(y)
    for part, dy in ((text_rows.iloc[0::2], 11), (text_rows.iloc[1::2], -7)):  # neighbours alternate below / above
        if len(part):
            layers.append(alt.Chart(part).mark_text(align="left", dx=7, dy=dy, fontSize=10).encode(
                x=alt.X(f"{x}:Q", scale=xs), y=alt.Y(f"{y}:Q", scale=ys), text=f"{label}:N"))
    layers += _bound_rules(x_bounds, scale=xs) + _bound_rules(y_bounds, orient="y", scale=ys)
    return alt.layer(*layers).properties(title=title, height=420)


def _tight(frame: pd.DataFrame, cols: list[str | None], extra: list[float]) -> list[float]:
    """A domain around the data (not from zero): accuracies near 0.85 stay readable."""
    vals = pd.concat([pd.to_numeric(frame[c], errors="coerce") for c in cols if c and c in frame] +
                     [pd.Series(extra, dtype=float)], ignore_index=True).dropna()
    if vals.empty:
        return [0.0, 1.0]
    lo, hi = float(vals.min()), float(vals.max())
    pad = 0.08 * (hi - lo) if hi > lo else 0.01
    return [lo - pad, hi + pad]


def confusion_heatmap(frame: pd.DataFrame, *, classes: list[str], title: str = "") -> alt.Chart:
    """A confusion matrix (columns ``true``, ``predicted``, ``count``, ``share of true class``): cells coloured by the
    share of the true class's rows, the count written in; classes in their record order on both axes.

    Examples
    --------
    >>> f = pd.DataFrame({"true": ["a", "a"], "predicted": ["a", "b"], "count": [3, 1], "share of true class": [0.75, 0.25]})
    >>> confusion_heatmap(f, classes=["a", "b"]).to_dict()["layer"][1]["mark"]["type"]
    'text'
    """
    share = "share of true class"
    tooltip = [alt.Tooltip("true:N"), alt.Tooltip("predicted:N"), alt.Tooltip("count:Q", format=","),
               alt.Tooltip(f"{share}:Q", format=".3f")]
    base = alt.Chart(frame).encode(
        x=alt.X("predicted:N", sort=classes, title="predicted class",
                axis=alt.Axis(labelAngle=-40, labelLimit=0, labelOverlap=False, orient="top")),
        y=alt.Y("true:N", sort=classes, title="true class", axis=alt.Axis(labelLimit=0)))
    cells = base.mark_rect().encode(color=alt.Color(f"{share}:Q", scale=alt.Scale(scheme="blues", domain=[0, 1]),
                                                    title=share), tooltip=tooltip)
    labels = base.mark_text(fontSize=10).encode(
        text=alt.Text("count:Q", format=","),
        color=alt.condition(f"datum['{share}'] > 0.6", alt.value("white"), alt.value("black")))
    return alt.layer(cells, labels).properties(title=title, height=alt.Step(26), width=alt.Step(34))
