"""A card rendered after a review states the latest decision before the verdict and numbers reviews from 1."""

from __future__ import annotations

from reports import build_card_data, render_html, render_markdown
from tests.reports._card_fixtures import make_result

_REVIEWS = [
    {"index": 0, "reviewer": "Ann", "decision": "approve", "comment": "ok", "created_at": "2026-01-01T00:00:00+00:00",
     "signature": None, "entry_hash": "a" * 64},
    {"index": 1, "reviewer": "Rita", "decision": "reject", "comment": "DP gap", "created_at": "2026-01-02T00:00:00+00:00",
     "signature": None, "entry_hash": "b" * 64},
]


def test_reviews_are_numbered_from_one_and_the_latest_decides():
    g = build_card_data(make_result(), reviews=_REVIEWS)["governance"]
    assert [r["number"] for r in g["reviews"]] == [1, 2] and [r["index"] for r in g["reviews"]] == [0, 1]
    assert (g["latest_review"]["label"], g["latest_review"]["reviewer"], g["latest_review"]["of"]) == ("REJECTED", "Rita", 2)


def test_markdown_card_states_the_review_before_the_verdict():
    body = render_markdown(make_result(), reviews=_REVIEWS).split("\n# Model card", 1)[1]
    assert body.index("**Review: REJECTED** by Rita") < body.index("**Verdict:")
    assert "- #1 2026-01-01" in body and "- #2 2026-01-02" in body and "- #0 " not in body  # as the dashboard numbers


def test_html_card_states_the_review_before_the_verdict():
    html = render_html(make_result(), reviews=_REVIEWS)
    assert html.index("Review: REJECTED") < html.index("VERDICT:")
    assert '<td class="num">1</td>' in html and '<td class="num">0</td><td>2026' not in html


def test_a_card_without_reviews_says_none_was_recorded_when_rendered():
    body = render_markdown(make_result()).split("\n# Model card", 1)[1]
    assert body.index("Review: none recorded when this card was rendered") < body.index("**Verdict:")
    assert "Review: none recorded when this card was rendered" in render_html(make_result())
