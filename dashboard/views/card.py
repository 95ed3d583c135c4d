"""Model card: the run's rendered card, with downloads of the Markdown, HTML and JSON files.

The card is shown from its Markdown file. Streamlit renders no raw HTML there (no
``unsafe_allow_html``), and images are replaced by their alt text, so a card that was
tampered with can neither run script nor make the browser fetch anything. The HTML card,
with its charts, is offered as a download rather than rendered inside the app: an
embedded document would share the app's origin.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

import streamlit as st

from audit.exceptions import AuditError
from dashboard._data import md_escape, run_bytes, run_file, visible
from dashboard._review_status import review_banner, review_status
from dashboard._state import Run
from dashboard._ui import error, not_run, require_run

__all__ = ["render"]

_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_MIME = {"markdown": ("text/markdown", "md"), "html": ("text/html", "html"), "json": ("application/json", "json")}


def _readable(markdown: str) -> str:
    """The card body for display: front matter dropped (shown separately), images as their alt text,
    and any raw HTML tag shown as text (the card renderer escapes data; a card edited by hand may not)."""
    body = _IMAGE.sub(lambda m: f"[image: {md_escape(m.group(1))}]", _FRONT_MATTER.sub("", markdown, count=1))
    return _TAG_START.sub(r"\\<", visible(body))  # a card edited by hand may hold bidi or zero-width characters


def _read(run_dir: Path, rel: str) -> bytes:
    """A card file's bytes when its download button is clicked (confined to the run again)."""
    return run_bytes(run_dir, rel, limit="CARD")


def _files(run: Run) -> dict:
    """The card files the run lists, each confined to the run, with a download button per format."""
    listed = run.result.artifacts.cards
    files = {}
    for fmt_name in ("markdown", "html", "json"):
        rel = getattr(listed, fmt_name) if listed is not None else None
        if rel is None:
            continue
        try:
            files[fmt_name] = run_file(run.path, rel)
        except AuditError as exc:
            error(exc)
    cols = st.columns(3)
    for i, fmt_name in enumerate(("markdown", "html", "json")):
        mime, ext = _MIME[fmt_name]
        if fmt_name in files:
            # Read on click, not on every page load (the HTML and JSON cards are ~100-200 KB each); the path is
            # confined again then, in case the run changed since the page was drawn.
            cols[i].download_button(f"Download {fmt_name.upper() if fmt_name != 'markdown' else 'Markdown'}",
                                    data=partial(_read, run.path, files[fmt_name].relative_to(run.path).as_posix()),
                                    file_name=f"model_card.{ext}", mime=mime, key=f"dl_{fmt_name}")
        else:
            cols[i].caption(f"No {fmt_name} card in this run.")
    return files


def _render_now(run: Run) -> None:
    """No Markdown card in the run: offer to render one from audit.json."""
    not_run("Model card", "The run has no Markdown card; re-render it with `rai-audit card RUN_DIR`.")
    to_markdown: Callable[..., str] | None
    try:
        from reports import render_markdown as to_markdown
    except ImportError:
        to_markdown = None
    if to_markdown is not None and st.button("Render a card from audit.json now", key="card_render"):
        try:
            st.markdown(_readable(to_markdown(run.result.to_dict())))
        except Exception as exc:  # the card renderer is another part; its failure must not break the page
            error(f"The card could not be rendered: {exc}")


def _sealed_before_review(run: Run) -> None:
    """A reviewed run's current decision above its card, which was sealed with the run before any review."""
    status = review_status(run.path)
    if status.decision is None and status.problem is None:
        return
    review_banner(run.path)
    st.caption("The card below was rendered when the run was written, before this review, so it states none; "
               f"`rai-audit card {md_escape(run.path.name)}` renders one that states it (beside the run, never inside).")


def render() -> None:
    """The Model card page: the run's card (from its Markdown file) and its downloads."""
    run = require_run()
    st.title("Model card")
    _sealed_before_review(run)
    files = _files(run)
    if "markdown" not in files:
        _render_now(run)
        return
    try:
        text = run_bytes(run.path, getattr(run.result.artifacts.cards, "markdown", None), limit="CARD").decode("utf-8", errors="replace")
    except AuditError as exc:
        error(exc)
        return
    meta = _FRONT_MATTER.match(text)
    if meta:
        with st.expander("Hugging Face metadata (YAML front matter)"):
            st.code(meta.group(0).strip("-\n "), language="yaml")
    with st.container(border=True):
        st.markdown(_readable(text))


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
