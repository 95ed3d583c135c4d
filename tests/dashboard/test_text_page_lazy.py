"""The Text page builds its token-by-token example (a chart and the whole text) only while its expander is open.

On every first render the closed expander's chart was built and sent anyway (an Altair chart costs tens of
milliseconds on the server and a Vega view in the browser); Streamlit's lazy expander (``on_change="rerun"``)
runs its body only when the reviewer opens it.
"""

from __future__ import annotations

from tests.dashboard.test_task_pages import task_root  # noqa: F401  (the session's real text run)


def _token_chart(at) -> bool:
    return any("25 strongest tokens" in str(c.spec) for c in at.get("vega_lite_chart"))


def test_token_example_is_built_only_when_its_expander_is_opened(app, task_root):  # noqa: F811
    at = app(task_root, run="text", page="text")
    assert not at.exception
    assert not _token_chart(at)  # before: built on every render of the page
    assert at.selectbox(key="tx_pair_cat") is not None  # the rest of the page is there
    at.session_state["tx_token_open"] = True
    at.run()
    assert not at.exception
    assert _token_chart(at)
    assert at.selectbox(key="tx_token_example") is not None
