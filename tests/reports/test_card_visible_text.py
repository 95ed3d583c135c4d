"""Bidi overrides, zero-width and control characters from the data never reach a card or the dashboard raw: one
function (audit._visible.visible) shows each as ⟨U+XXXX⟩, from the character set review comments refuse."""

from __future__ import annotations

import pandas as pd
import pytest

from audit._visible import control_characters, visible
from dashboard._data import md_escape, visible_frame
from reports import render_html, render_markdown
from tests.reports._card_fixtures import make_result

# one of each kind the issue names: bidi override and isolate, zero-width space/joiner, BOM, word joiner, C0, C1
HIDDEN = "\u202e\u2066\u200b\u200d\ufeff\u2060\x1b\x9b"
GROUP = f"Fe{HIDDEN}male"
SHOWN = "Fe⟨U+202E⟩⟨U+2066⟩⟨U+200B⟩⟨U+200D⟩⟨U+FEFF⟩⟨U+2060⟩⟨U+001B⟩⟨U+009B⟩male"


def _raw(text: str) -> list[str]:
    return control_characters(text, allowed="\n\t")


@pytest.fixture(scope="module")
def hostile_result() -> dict:
    result = make_result(group_name=GROUP, column="ra\u202ece")
    result["run"]["card"]["model_name"] = "model\u2067 name\u200c"
    return result


@pytest.mark.parametrize("render", [render_markdown, render_html], ids=["markdown", "html"])
def test_cards_show_hidden_characters_as_code_points(render, hostile_result):
    card = render(hostile_result)
    assert _raw(card) == []  # before: every character of HIDDEN went raw into the card
    assert SHOWN in card and "ra⟨U+202E⟩ce" in card and "model⟨U+2067⟩ name⟨U+200C⟩" in card


def test_cards_of_plain_text_are_unchanged():
    result = make_result()
    assert visible(render_markdown(result)) == render_markdown(result)


def test_review_comments_refuse_the_same_set():
    from audit.records import review

    assert review._control_characters(HIDDEN + "\u2028", "") == control_characters(HIDDEN + "\u2028")
    assert len(control_characters(HIDDEN + "\u2028")) == len(HIDDEN) + 1


def test_newlines_and_tabs_are_kept_and_other_text_untouched():
    assert visible("a\nb\tc — é 中 ‍") == "a\nb\tc — é 中 ⟨U+200D⟩"
    assert visible("Asian-Pac-Islander & Other") == "Asian-Pac-Islander & Other"


def test_dashboard_markdown_and_tables_show_them():
    assert "⟨U\\+202E⟩" in md_escape(GROUP) and not _raw(md_escape(GROUP))  # "+" escaped: Markdown shows it
    frame = visible_frame(pd.DataFrame({"gro\u200bup": [GROUP, "plain"], "n": [1, 2]}))
    assert list(frame.columns) == ["gro⟨U+200B⟩up", "n"] and frame.iloc[0, 0] == SHOWN and frame.iloc[1, 0] == "plain"
    plain = pd.DataFrame({"group": ["a"]})
    assert visible_frame(plain) is plain  # nothing to show: no copy
