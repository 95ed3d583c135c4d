"""Charts reach the page as Vega-Lite specs drawn the way Streamlit draws Altair charts, validated under test."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from dashboard._ui import VALIDATE_CHARTS_ENV, vega_lite_spec


def _broken_chart() -> alt.Chart:
    chart = alt.Chart(pd.DataFrame({"a": [1, 2]})).mark_bar().encode(x="a:Q")
    chart["mark"] = {"type": "nonsense"}  # item assignment skips Altair's eager checks
    return chart


def test_pages_skip_schema_validation_but_tests_do_not(monkeypatch):
    monkeypatch.setenv(VALIDATE_CHARTS_ENV, "1")
    with pytest.raises(alt.utils.schemapi.SchemaValidationError):
        vega_lite_spec(_broken_chart())
    monkeypatch.delenv(VALIDATE_CHARTS_ENV)
    assert vega_lite_spec(_broken_chart())["mark"] == {"type": "nonsense"}


def test_the_spec_has_no_altair_theme_and_keeps_every_row():
    rows = pd.DataFrame({"x": range(6000), "y": range(6000)})  # over Altair's default 5,000-row limit
    spec = vega_lite_spec(alt.Chart(rows).mark_line().encode(x="x:Q", y="y:Q"))
    assert "config" not in spec  # Altair's default theme would fix a 300 x 400 view; Streamlit sizes charts
    (values,) = spec["datasets"].values()
    assert len(values) == 6000
    assert alt.theme.active == "default" and alt.data_transformers.active == "default"  # nothing left changed


_BUILT: list[str] = []


def _counted_bars(frame: pd.DataFrame, *, title: str) -> alt.Chart:
    _BUILT.append(title)
    return alt.Chart(frame).mark_bar().encode(x="a:Q").properties(title=title)


def test_a_chart_is_built_once_per_content_and_afresh_when_any_argument_changes():
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd

        from dashboard._ui import chart
        from tests.dashboard.test_chart_specs import _counted_bars

        chart(_counted_bars, pd.DataFrame({"a": [1, 2]}), title="t")
        chart(_counted_bars, pd.DataFrame({"a": [1, 2]}), title="t")  # same contents: from the cache
        chart(_counted_bars, pd.DataFrame({"a": [1, 3]}), title="t")  # other data
        chart(_counted_bars, pd.DataFrame({"a": [1, 2]}), title="u")  # other title

    _BUILT.clear()
    at = AppTest.from_function(page)
    at.run()
    at.run()  # a second draw of the page builds nothing
    assert not at.exception
    assert _BUILT == ["t", "t", "u"]
    assert len(at.get("vega_lite_chart")) == 4


def _group_bars(frame: pd.DataFrame, *, category: str, title: str) -> alt.Chart:
    return alt.Chart(frame).mark_bar().encode(x=f"{category}:N", y="v:Q").properties(title=title)


def test_chart_labels_show_hidden_characters_as_tables_do():
    """A group named with a bidi override or a zero-width space would reorder or hide itself on an axis."""
    from streamlit.testing.v1 import AppTest

    def page():
        import pandas as pd

        from dashboard._ui import chart
        from tests.dashboard.test_chart_specs import _group_bars

        frame = pd.DataFrame({"sex\u200b": ["Fe\u202emale", "Male"], "v": [0.1, 0.2]})
        chart(_group_bars, frame, category="sex\u200b", title="Rate by sex\u200b")

    at = AppTest.from_function(page)
    at.run()
    assert not at.exception
    import json

    import pyarrow as pa

    proto = at.get("vega_lite_chart")[0].proto
    spec = json.loads(proto.spec)
    rows = [r for d in proto.datasets for r in pa.ipc.open_stream(d.data.data).read_all().to_pylist()]
    text = json.dumps([spec, rows], ensure_ascii=False)
    assert "\u202e" not in text and "\u200b" not in text
    assert spec["encoding"]["x"]["field"] == "sex⟨U+200B⟩" and spec["title"] == "Rate by sex⟨U+200B⟩"
    assert {"sex⟨U+200B⟩": "Fe⟨U+202E⟩male", "v": 0.1} in rows
