"""Review: integrity of the run (``rai-audit verify``), the review history, and a form that appends a
review through the same function as ``rai-audit review``."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audit.choices import REVIEW_DECISIONS
from audit.exceptions import AuditError
from audit.records.rundir import verify_run
from dashboard._data import fmt, md_escape
from dashboard._state import Run
from dashboard._ui import error, not_run, require_run, table

__all__ = ["render"]


def _reviews_module() -> tuple:
    """The review record's functions and limits (None functions when that part is not installed)."""
    try:
        from audit.records.review import (
            MAX_COMMENT_CHARS,
            MAX_REVIEWER_CHARS,
            add_review,
            read_reviews,
        )
    except ImportError:  # the review record ships with the cards part; say so rather than fail
        return None, None, 20_000, 200
    return add_review, read_reviews, MAX_COMMENT_CHARS, MAX_REVIEWER_CHARS


def _integrity(run: Run) -> dict | None:
    """``rai-audit verify`` on the run, in words; returns its report (None when it could not run)."""
    try:
        report = verify_run(run.path)
    except AuditError as exc:
        report = None
        error(exc)
    if report is not None:
        if report.get("ok"):
            chain = report.get("reviews") or {}
            st.success(f"**verify passed**: {fmt(report.get('files_checked'))} files match the manifest"
                       + ("; the review chain is intact." if chain else "."))
            unsigned = int(chain.get("entries") or 0) - int(chain.get("signed") or 0)
            if unsigned > 0:
                st.warning(f"\"verify passed\" covers {unsigned} unsigned review(s) as well: it proves they were not edited "
                           "after being written, not who wrote them. An unsigned \"ok\" is weak evidence.")
        else:
            lines = [f"{what}: {', '.join(md_escape(p) for p in report.get(what) or [])}"
                     for what in ("added", "removed", "changed") if report.get(what)]
            chain = report.get("reviews") or {}
            if chain and not chain.get("ok"):
                lines.append("review record: " + md_escape("; ".join(map(str, chain.get("problems") or ["the hash chain is broken"]))))
            st.error("**verify failed**: the run differs from what was sealed. " + " · ".join(lines)
                     + ". New reviews are refused until the run is restored or re-run.")
    return report


def _history(run: Run, report: dict | None, read_reviews) -> None:
    """Every review recorded, the latest deciding, and whether it is signed."""
    try:
        history = read_reviews(run.path)
    except AuditError as exc:
        history = []
        error(exc)
    if history:
        last = history[-1]
        signed = bool(last.get("signature"))
        decided = {"approve": "approved", "reject": "rejected"}.get(str(last.get("decision")), str(last.get("decision")))
        status = (f"**Current status: {md_escape(decided.upper())}** by {md_escape(last.get('reviewer'))} at "
                  f"{md_escape(last.get('created_at'))}, " + ("signed" if signed else "unsigned")
                  + f" (the latest of {len(history)} review{'s' if len(history) > 1 else ''} decides).")
        (st.success if last.get("decision") == "approve" else st.error)(status)
        if report is not None and not report.get("ok"):
            st.warning("The run no longer matches what was reviewed (verify failed above): the status applies to the sealed "
                       "run, not to the files now on disk.")
        if not signed:
            st.warning("This decision is **unsigned**: the hash chain shows the record was not edited, but not who wrote it; "
                       "anyone with write access to the run could have added it. Treat an unsigned decision as weak evidence "
                       "and ask for one signed with `rai-audit review ... --key KEY.pem`.")
        frame = pd.DataFrame([{"#": int(e.get("index")) + 1 if isinstance(e.get("index"), int) else None,
                               "time (UTC)": e.get("created_at"), "reviewer": e.get("reviewer"),
                               "decision": e.get("decision"), "comment": e.get("comment"),
                               "signed": bool(e.get("signature")), "reviewed manifest": str(e.get("manifest_sha256"))[:16],
                               "entry hash": str(e.get("entry_hash"))[:16]} for e in history])
        table(frame)
        head = (report or {}).get("reviews", {}).get("head") if report else None
        if head:
            st.caption(f"Head of the chain: `{md_escape(head)}`. Pin it in a ticket or CI log: a chain cannot show that its "
                       "last entries were cut off.")
    else:
        st.info("No review yet.")


def _form(run: Run, add_review, max_comment: int, max_reviewer: int) -> None:
    """A form that appends a review through the same function as ``rai-audit review``."""
    st.subheader("Add a review")
    with st.form("review_form", clear_on_submit=True):
        reviewer = st.text_input("Reviewer", max_chars=max_reviewer, placeholder="your name")
        decision = st.radio("Decision", list(REVIEW_DECISIONS), horizontal=True, index=None)  # no default: a choice
        comment = st.text_area("Comment", max_chars=max_comment, placeholder="what you checked and why you decided so")
        submitted = st.form_submit_button("Record review", type="primary")
    st.caption("Reviews recorded here are hash-chained but unsigned; sign one with "
               "`rai-audit review RUN_DIR --reviewer NAME --decision approve --key KEY.pem`.")
    if submitted:
        if not reviewer.strip():
            st.error("Enter the reviewer's name: a review without one cannot be attributed.")
        elif decision is None:
            st.error("Choose a decision, approve or reject: nothing was recorded.")
        else:
            try:
                entry = add_review(run.path, reviewer=reviewer.strip(), decision=decision, comment=comment)
            except AuditError as exc:
                error(exc)
            else:
                st.session_state["review_recorded"] = f"{entry.get('reviewer')} — {entry.get('decision')}"
                st.rerun()
    if st.session_state.get("review_recorded"):
        st.success(f"Review recorded: {md_escape(st.session_state.pop('review_recorded'))}")


def render() -> None:
    """The Review page: the run's integrity, its review history, and a form to add a review."""
    run = require_run()
    st.title("Review")
    st.caption(f"Run **{md_escape(run.name)}**, manifest sha256 `{run.sha}`")
    add_review, read_reviews, max_comment, max_reviewer = _reviews_module()
    st.subheader("Integrity")
    report = _integrity(run)
    st.subheader("Review history")
    if read_reviews is None:
        not_run("Review record", "audit.records.review is not installed in this environment.")
        return
    _history(run, report, read_reviews)
    _form(run, add_review, max_comment, max_reviewer)


if __name__ == "__main__":  # run as a page by st.navigation (dashboard/app.py)
    render()
