"""The Review page appends through audit.records.review.add_review, shows the history, and refuses a changed run."""

from __future__ import annotations

import json

import pytest

review = pytest.importorskip("audit.records.review")


def _submit(at, *, reviewer, decision="approve", comment="checked gates and groups"):
    at.text_input[0].input(reviewer)
    at.radio[0].set_value(decision)
    at.text_area[0].input(comment)
    at.button[0].click().run()
    return at


def test_review_form_writes_an_entry(app, runs_root):
    at = app(runs_root, run="full", page="review")
    assert "verify passed" in at.success[0].value
    _submit(at, reviewer="Ada <b>L</b>", decision="reject", comment="DP gap too large")
    assert not at.exception, [e.message for e in at.exception]
    entries = review.read_reviews(runs_root / "full")
    assert [(e["reviewer"], e["decision"], e["comment"]) for e in entries] == [("Ada <b>L</b>", "reject", "DP gap too large")]
    assert review.verify_reviews(runs_root / "full")["ok"]
    history = at.dataframe[0].value
    assert list(history["reviewer"]) == ["Ada <b>L</b>"]
    assert any("Review recorded" in s.value for s in at.success)
    _submit(at, reviewer="Grace", decision="approve")
    assert [e["index"] for e in review.read_reviews(runs_root / "full")] == [0, 1]


def test_review_without_reviewer_is_refused(app, runs_root):
    at = app(runs_root, run="full", page="review")
    _submit(at, reviewer="   ")
    assert "reviewer's name" in at.error[0].value
    assert not (runs_root / "full" / "reviews.jsonl").exists()


def test_changed_run_fails_verify_and_refuses_reviews(app, runs_root):
    audit = runs_root / "full" / "audit.json"
    data = json.loads(audit.read_text())
    data["verdict"] = "pass "  # one byte changed
    audit.write_text(json.dumps(data))
    at = app(runs_root, run="full", page="review")
    assert "verify failed" in at.error[0].value and "audit\\.json" in at.error[0].value
    _submit(at, reviewer="Ada")
    assert any("Refusing to review" in e.value for e in at.error)
    assert not (runs_root / "full" / "reviews.jsonl").exists()


def test_edited_history_is_reported(app, runs_root):
    review.add_review(runs_root / "full", reviewer="Ada", decision="approve", comment="ok")
    path = runs_root / "full" / "reviews.jsonl"
    path.write_text(path.read_text().replace('"approve"', '"reject"'))
    at = app(runs_root, run="full", page="review")
    assert "verify failed" in at.error[0].value and "review record" in at.error[0].value
