"""A run's review status (the latest decision of its ``reviews.jsonl``) as every page shows it.

The record is read through :func:`audit.records.review.read_reviews` (the tool's one bounded reader). It lives
outside the sealed files and changes without the manifest changing, so it is cached by its size and modification
time, not by the manifest's hash. Reviews are numbered from 1, as on the Review page and in the cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from audit.choices import REVIEW_DECISION_LABELS
from audit.exceptions import AuditError
from audit.records.rundir import REVIEWS_FILE
from dashboard._data import md_escape

__all__ = ["ReviewStatus", "review_banner", "review_status"]


@dataclass(frozen=True)
class ReviewStatus:
    """The latest review of a run (``decision`` None: not reviewed; ``problem``: the record could not be read)."""

    decision: str | None = None
    reviewer: str | None = None
    created_at: str | None = None
    signed: bool = False
    number: int = 0
    problem: str | None = None

    @property
    def label(self) -> str:
        """``"REJECTED"``, ``"APPROVED"``, ``"not reviewed"`` or ``"record unreadable"``."""
        if self.problem is not None:
            return "record unreadable"
        if self.decision is None:
            return "not reviewed"
        return REVIEW_DECISION_LABELS.get(self.decision, self.decision.upper())

    @property
    def text(self) -> str:
        """One line for a table cell: ``"REJECTED by Rita (unsigned, #2)"`` (reviews numbered from 1).

        Examples
        --------
        >>> ReviewStatus(decision="reject", reviewer="Rita", number=2).text
        'REJECTED by Rita (unsigned, #2)'
        >>> ReviewStatus().text
        'not reviewed'
        """
        if self.decision is None or self.problem is not None:
            return self.label
        return f"{self.label} by {self.reviewer or 'unknown'} ({'signed' if self.signed else 'unsigned'}, #{self.number})"


@st.cache_data(max_entries=256, show_spinner=False)
def _status(path: str, stamp: tuple[int, int]) -> ReviewStatus:
    from audit.records.review import read_reviews

    try:
        history = read_reviews(path)
    except AuditError as exc:
        return ReviewStatus(problem=str(exc))
    if not history:
        return ReviewStatus()
    last = history[-1]
    index = last.get("index")
    return ReviewStatus(decision=str(last.get("decision")), reviewer=str(last.get("reviewer") or "") or None,
                        created_at=str(last.get("created_at") or "") or None, signed=isinstance(last.get("signature"), dict),
                        number=index + 1 if isinstance(index, int) else len(history))


def review_status(run_dir: str | Path) -> ReviewStatus:
    """The latest review recorded for ``run_dir`` (not reviewed when it has no ``reviews.jsonl``).

    Examples
    --------
    >>> import tempfile
    >>> review_status(tempfile.mkdtemp()).label
    'not reviewed'
    """
    path = Path(run_dir) / REVIEWS_FILE
    try:
        st_ = path.lstat()
    except OSError:
        return ReviewStatus()
    return _status(str(run_dir), (st_.st_size, st_.st_mtime_ns))


def review_banner(run_dir: str | Path) -> None:
    """The review status as a banner (red: rejected, green: approved, grey: not reviewed), shown before the verdict."""
    s = review_status(run_dir)
    if s.problem is not None:
        st.error(f"**Review: the record cannot be read.** {md_escape(s.problem)}")
        return
    if s.decision is None:
        st.info("**Review: not reviewed.** No decision is recorded for this run; record one on the Review page.")
        return
    when = f" at {md_escape(s.created_at)}" if s.created_at else ""
    text = (f"**Review: {md_escape(s.label)}** by {md_escape(s.reviewer or 'unknown')}{when}, "
            f"{'signed' if s.signed else 'unsigned'} (review #{s.number}, the latest decides; see the Review page).")
    (st.success if s.decision == "approve" else st.error)(text)
