"""Small UI pieces shared by the pages: the run guard, "not run" notices, pickers, tables.

Data from a run is never passed to Markdown unescaped (see :func:`dashboard._data.md_escape`)
and never with ``unsafe_allow_html``; tables and charts render values as text.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import dataframe_util

from audit._visible import visible
from audit.exceptions import AuditError
from dashboard._data import md_escape, visible_frame
from dashboard._state import Run, current_run

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

__all__ = ["chart", "error", "model_picker", "not_applicable", "not_run", "radio", "require_run", "selectbox", "table", "vega_lite_spec"]

T = TypeVar("T")

VALIDATE_CHARTS_ENV = "RAI_AUDIT_VALIDATE_CHARTS"
_ALTAIR_SETTINGS = threading.Lock()
NOT_RUN = "**{what}: not run.** {why}"
NOT_APPLICABLE = "**{what}: does not apply to this run.** {why}"
_NO_RUN = "No run selected. Pick one in the sidebar (runs are read from **{root}**)."


def chart(build: Callable[..., Any], *args: Any, where: Any = None, width: str = "stretch", **kwargs: Any) -> None:
    """Draw ``build(*args, **kwargs)``, a chart builder of :mod:`dashboard._charts` (one place, so every page charts
    the same way).

    The chart's spec is cached by the builder and the *contents* of its arguments (``st.cache_data`` hashes data
    frames by value), so a page drawn again (another session, a return to the page) skips building and converting
    the chart, 30-80 ms each and the main server-side cost of a page; a change in any argument draws afresh.
    Charts size themselves (``alt.Step`` per row on band axes); ``width="content"`` keeps a chart's own width.

    Examples
    --------
    >>> chart(charts.lines, frame, x="epoch", y="ε spent", title="ε spent after each epoch")  # doctest: +SKIP
    """
    spec = _cached_spec(build, f"{build.__module__}.{build.__qualname__}", args, kwargs)
    (where or st).vega_lite_chart(spec, width=width)


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_spec(_build: Callable[..., Any], name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    # ``_build`` is not hashed (leading underscore); ``name`` stands for it in the key. The data sets are kept as the
    # Arrow bytes Streamlit would make of them on every draw (it passes bytes through as they are).
    spec = vega_lite_spec(_build(*_shown(args), **_shown(kwargs)))
    for name_, values in (spec.get("datasets") or {}).items():
        spec["datasets"][name_] = dataframe_util.convert_anything_to_arrow_bytes(values)
    return spec


def _shown(value: Any) -> Any:
    """A chart's arguments with hidden characters made visible, as tables show them (a group name's bidi override
    would reorder an axis label): frames through :func:`visible_frame`, texts (titles, column names) alike."""
    if isinstance(value, pd.DataFrame):
        return visible_frame(value)
    if isinstance(value, str):
        return visible(value, keep="")
    if isinstance(value, (list, tuple)):
        return type(value)(_shown(v) for v in value)
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    return value


def vega_lite_spec(c: Any) -> dict[str, Any]:
    """The chart's Vega-Lite spec as Streamlit draws it: no Altair theme, data inline, not validated.

    Altair's schema validation costs 25-45 ms a chart; the tests validate every chart instead
    (``RAI_AUDIT_VALIDATE_CHARTS=1``, set by ``tests/dashboard/conftest.py``, validates here). Altair's theme and
    data transformer are process-wide settings, hence the lock (sessions render in threads); Streamlit sends the
    inline datasets to the browser as Arrow.
    """
    with _ALTAIR_SETTINGS, alt.theme.enable("none"), alt.data_transformers.enable("default", max_rows=None):
        spec: dict[str, Any] = c.to_dict(validate=os.environ.get(VALIDATE_CHARTS_ENV) == "1")
    return spec


def error(exc: BaseException | str) -> None:
    """Show an error message, its text escaped (it may quote names from the run)."""
    st.error(md_escape(exc))


def not_run(what: str, why: str = "") -> None:
    """Say plainly that a part of the audit is absent from this run."""
    st.info(NOT_RUN.format(what=what, why=why))


def not_applicable(what: str, why: str) -> None:
    """Say plainly that a page or part of one cannot apply to this run's task (a text, multiclass or regression
    model), and why, with where to look instead."""
    st.info(NOT_APPLICABLE.format(what=what, why=why))


def require_run() -> Run:
    """The selected run, or a notice and ``st.stop()`` when none is selected or it cannot be read."""
    from dashboard._state import runs_root

    try:
        run = current_run()
    except AuditError as exc:
        error(exc)
        st.stop()
    if run is None:
        st.info(_NO_RUN.format(root=md_escape(runs_root())))
        st.stop()
    return run


def selectbox(label: str, options: Iterable[T], *, where: DeltaGenerator | None = None, **kwargs: Any) -> T:
    """``st.selectbox`` (or ``where.selectbox``, a column's or the sidebar's) over non-empty ``options``: the chosen one.

    Typed for mypy only: with the project's ``python_version = "3.10"`` Streamlit's ``typing.Never`` (3.11+) reads
    as ``Any``, so its overload for empty options (``-> None``) matches every call. Options given here are never
    empty and the index never None, so Streamlit returns one of them; the call and its arguments are unchanged.
    """
    widget = where.selectbox if where is not None else st.selectbox
    return cast(T, widget(label, options, **kwargs))


def radio(label: str, options: Iterable[T], *, where: DeltaGenerator | None = None, **kwargs: Any) -> T:
    """``st.radio`` over non-empty ``options``: the chosen one (typed as :func:`selectbox` says why)."""
    widget = where.radio if where is not None else st.radio
    return cast(T, widget(label, options, **kwargs))


def model_picker(models: list[str], *, key: str, label: str = "Model") -> str:
    """Pick one of the run's models (reference / private), private first as it is the one that ships."""
    ordered = sorted(models, key=lambda m: (m != "private", m))
    if len(ordered) == 1:
        return ordered[0]
    return radio(label, ordered, key=key, horizontal=True)


def table(frame: pd.DataFrame, *, formats: dict[str, str] | None = None, height: int | None = None) -> None:
    """A read-only table (values render as text, never as HTML); ``formats`` maps columns to printf formats."""
    config = {col: st.column_config.NumberColumn(format=f) for col, f in (formats or {}).items() if col in frame}
    kwargs: dict[str, Any] = {"hide_index": True, "column_config": config}
    if height is not None:
        kwargs["height"] = height
    st.dataframe(visible_frame(frame), **kwargs)  # bidi, zero-width and control characters shown as ⟨U+XXXX⟩
