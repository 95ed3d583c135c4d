"""Altair chart builders used by every page (one charting library, one look).

Each builder takes a tidy DataFrame and returns an ``alt.Chart``; pages pass it to
``st.altair_chart``. Tooltips carry the exact numbers, so hovering answers
"what is the value and its interval" without a table lookup.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = ["bars_with_ci", "deletion_curve", "heatmap", "lines", "points_with_ci", "roc_curves", "signed_bars"]

# Per-group charts size by a step per row (alt.Step): a fixed pixel height collapsed the rows in Streamlit.
_PASS, _FAIL = "#2e7d32", "#c62828"


def bars_with_ci(frame: pd.DataFrame, *, category: str, value: str, lo: str | None = None, hi: str | None = None,
                 color: str | None = None, title: str = "", value_title: str | None = None) -> alt.Chart:
    """Horizontal bars of ``value`` per ``category`` with optional ``[lo, hi]`` error bars.

    With ``color`` the bars are grouped (e.g. by model) via ``yOffset``.

    Examples
    --------
    >>> c = bars_with_ci(pd.DataFrame({"f": ["a", "b"], "v": [1.0, 2.0], "l": [0.8, 1.7], "h": [1.2, 2.3]}),
    ...                  category="f", value="v", lo="l", hi="h")
    >>> c.to_dict()["layer"][0]["mark"]["type"]
    'bar'
    """
    order = frame.groupby(category, sort=False)[value].max().sort_values(ascending=False).index.tolist()
    y = alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    tooltip = [alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=".4f")]
    if lo and hi:
        tooltip += [alt.Tooltip(f"{lo}:Q", format=".4f"), alt.Tooltip(f"{hi}:Q", format=".4f")]
    enc: dict = {"y": y, "tooltip": tooltip}
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color)
        enc["yOffset"] = alt.YOffset(f"{color}:N")
        tooltip.insert(1, alt.Tooltip(f"{color}:N"))
    base = alt.Chart(frame)
    bars = base.mark_bar().encode(x=alt.X(f"{value}:Q", title=value_title or value), **enc)
    layers = [bars]
    if lo and hi:
        err = base.transform_filter(f"isValid(datum['{lo}']) && isValid(datum['{hi}'])").mark_errorbar(ticks=True).encode(
            x=alt.X(f"{lo}:Q", title=value_title or value), x2=f"{hi}:Q", **{k: v for k, v in enc.items() if k != "color"},
        )
        layers.append(err)
    return alt.layer(*layers).properties(title=title, height=alt.Step(18 if color else 24))


def points_with_ci(frame: pd.DataFrame, *, category: str, value: str, lo: str, hi: str, color: str | None = None,
                   title: str = "", rule_at: float | None = None) -> alt.Chart:
    """A dot per ``category`` with its interval (disparities), optionally a reference line at ``rule_at``."""
    enc: dict = {"y": alt.Y(f"{category}:N", title=None, axis=alt.Axis(labelLimit=260))}
    tooltip = [alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=".4f"),
               alt.Tooltip(f"{lo}:Q", format=".4f"), alt.Tooltip(f"{hi}:Q", format=".4f")]
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color)
        enc["yOffset"] = alt.YOffset(f"{color}:N")
        tooltip.insert(1, alt.Tooltip(f"{color}:N"))
    base = alt.Chart(frame)
    layers = [
        base.transform_filter(f"isValid(datum['{lo}']) && isValid(datum['{hi}'])").mark_rule(strokeWidth=2).encode(
            x=alt.X(f"{lo}:Q", title=value), x2=f"{hi}:Q", tooltip=tooltip, **enc),
        base.mark_point(filled=True, size=70).encode(x=alt.X(f"{value}:Q", title=value), tooltip=tooltip, **enc),
    ]
    if rule_at is not None:
        layers.append(alt.Chart(pd.DataFrame({"x": [rule_at]})).mark_rule(strokeDash=[4, 4], color="gray").encode(x="x:Q"))
    return alt.layer(*layers).properties(title=title, height=alt.Step(18 if color else 24))


def heatmap(frame: pd.DataFrame, *, x: str, y: str, value: str, text: str | None = None, title: str = "",
            scheme: str = "blues", domain_mid: float | None = None) -> alt.Chart:
    """Cells coloured by ``value`` with the value written in; missing cells stay blank."""
    scale = alt.Scale(scheme=scheme, domainMid=domain_mid) if domain_mid is not None else alt.Scale(scheme=scheme)
    tooltip = [alt.Tooltip(f"{x}:N"), alt.Tooltip(f"{y}:N"), alt.Tooltip(f"{value}:Q", format=".4f")]
    if text and text != value:
        tooltip.append(alt.Tooltip(f"{text}:Q"))
    base = alt.Chart(frame).encode(x=alt.X(f"{x}:N", title=x), y=alt.Y(f"{y}:N", title=y))
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


def roc_curves(frame: pd.DataFrame, *, color: str = "curve", title: str = "ROC") -> alt.Chart:
    """ROC curves (columns ``fpr``, ``tpr``, ``color``) with the chance diagonal."""
    diag = alt.Chart(pd.DataFrame({"fpr": [0.0, 1.0], "tpr": [0.0, 1.0]})).mark_line(strokeDash=[4, 4], color="gray").encode(
        x="fpr:Q", y="tpr:Q")
    curves = alt.Chart(frame).mark_line().encode(
        x=alt.X("fpr:Q", title="false positive rate", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("tpr:Q", title="true positive rate", scale=alt.Scale(domain=[0, 1])),
        color=alt.Color(f"{color}:N", title=color),
        tooltip=[alt.Tooltip(f"{color}:N"), alt.Tooltip("fpr:Q", format=".4f"), alt.Tooltip("tpr:Q", format=".4f")],
    )
    return alt.layer(diag, curves).properties(title=title, height=320)


def signed_bars(frame: pd.DataFrame, *, category: str, value: str, title: str = "", detail: str | None = None) -> alt.Chart:
    """Bars of a signed quantity (e.g. one example's attributions), coloured by sign, sorted by magnitude."""
    data = frame.assign(_abs=frame[value].abs(), direction=frame[value].map(lambda v: "raises score" if v >= 0 else "lowers score"))
    tooltip = [alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=".4f")]
    if detail:
        tooltip.append(alt.Tooltip(f"{detail}:N"))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X(f"{value}:Q", title=value),
        y=alt.Y(f"{category}:N", sort=alt.EncodingSortField(field="_abs", order="descending"), title=None),
        color=alt.Color("direction:N", scale=alt.Scale(domain=["raises score", "lowers score"], range=[_PASS, _FAIL]),
                        title=None),
        tooltip=tooltip,
    ).properties(title=title, height=alt.Step(20))


def deletion_curve(frame: pd.DataFrame, *, title: str = "Deletion curve") -> alt.Chart:
    """Prediction change as the top-k features (vs random ones) are replaced by the baseline; columns k, change, order."""
    return lines(frame, x="k", y="change", color="order", title=title, x_title="features removed (k)",
                 y_title="mean |prediction change|")
