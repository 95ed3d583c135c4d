"""rai-audit review dashboard: the Streamlit entry point (``st.navigation`` multipage).

Start it with ``rai-audit dashboard RUNS_ROOT``; it runs
``streamlit run dashboard/app.py -- --runs-root RUNS_ROOT``. It reads run
directories under RUNS_ROOT only and never trains or imports training code.

Each page is a module under ``dashboard/views/`` with a ``render()`` function; ``st.navigation`` runs the
page's file, which calls its ``render()`` (importing a page module runs nothing, so pages can be imported
and tested on their own).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from audit.exceptions import AuditError
from dashboard._data import md_escape
from dashboard._review_status import review_status
from dashboard._state import RUN_KEY, list_run_names, load_run, run_picker, runs_root, select_run

_PAGES = Path(__file__).resolve().parent / "views"  # not "pages/": see views/__init__.py

# No page_icon: an icon favicon is fetched from a Google CDN, and the app must make no external request.
st.set_page_config(page_title="rai-audit review", layout="wide")

root = runs_root()
names = list_run_names(root) if root.is_dir() else []

with st.sidebar:
    st.markdown("### rai-audit review")
    if not root.is_dir():
        st.error(f"The runs root **{md_escape(root)}** is not a directory. Start the dashboard with "
                 "`rai-audit dashboard PATH` naming the folder that holds your run directories.")
    elif not names:
        st.warning(f"No complete run under **{md_escape(root)}**. Create one with `rai-audit run CONFIG --out "
                   f"{md_escape(root)}/NAME`.")
    else:
        # ?run=NAME picks the run (one of the listed runs, no paths) and is kept in every page's URL.
        chosen, unknown = select_run(names)
        run_picker(names, chosen)
        if unknown is not None:
            st.error(f"The run **{md_escape(unknown)}** from the link is not a run under the runs root; showing "
                     f"**{md_escape(chosen)}** instead.")
    st.caption(f"Runs root: {md_escape(root)}")


def _has_text(name: str | None) -> bool:
    """Whether the selected run audited a text classifier (the Text page is listed only then)."""
    if not name or name not in names:
        return False
    try:
        return load_run(root, name).result.text is not None
    except AuditError:
        return False  # the pages say what is wrong with the run


# No page icons: Streamlit sets each as the favicon, fetched from a Google CDN; the app makes no external request.
pages = [
    st.Page(_PAGES / "runs.py", title="Runs", default=True),
    st.Page(_PAGES / "overview.py", title="Overview"),
    st.Page(_PAGES / "fairness.py", title="Fairness"),
    st.Page(_PAGES / "error_analysis.py", title="Error analysis"),
    st.Page(_PAGES / "cohorts.py", title="Cohorts"),
    st.Page(_PAGES / "whatif.py", title="What-if"),
    st.Page(_PAGES / "compare.py", title="Model comparison"),
    st.Page(_PAGES / "releases.py", title="Releases"),
    st.Page(_PAGES / "privacy.py", title="Privacy"),
    st.Page(_PAGES / "explainability.py", title="Explainability"),
    *([st.Page(_PAGES / "text.py", title="Text")] if _has_text(st.session_state.get(RUN_KEY)) else []),
    st.Page(_PAGES / "robustness.py", title="Robustness"),
    st.Page(_PAGES / "compute.py", title="Compute"),
    st.Page(_PAGES / "card.py", title="Model card"),
    st.Page(_PAGES / "evidence.py", title="Evidence"),
    st.Page(_PAGES / "review.py", title="Review"),
]


def _run_caption(name: str | None) -> None:
    """Which run the page shows, when it was created and its review status (Runs, Overview and Review say it themselves)."""
    if not name or name not in names:
        return
    try:
        created = load_run(root, name).result.run.created_at
    except AuditError:
        created = None  # the page says what is wrong with the run
    st.caption(f"Run **{md_escape(name)}** · created {md_escape(created or 'unknown')} · review: "
               f"**{md_escape(review_status(root / name).text)}**")


page = st.navigation(pages, expanded=True)  # every page listed (a text run has 16)
if page.title not in ("Runs", "Overview", "Review"):
    _run_caption(st.session_state.get(RUN_KEY))
page.run()
