"""The Overview counts gates and concerns as the CLI and the card do, and leads its figures with the threats.

issue 25: the banner said "0 warning(s)" (warning-severity gates) above five WARNING concerns, and counted serious
concerns where the block listed every one; the Overview's tiles were the kind's own, not the card's.
"""

from __future__ import annotations

import json

from audit.cli import run as cli_run
from audit.result import AuditResult
from dashboard._data import md_escape
from reports import build_summary, render_markdown
from reports._headline import count_text, verdict_counts
from tests.dashboard.conftest import texts


def test_overview_cli_and_card_give_the_same_counts_for_a_run_with_an_info_concern(app, synthetic_root, capsys):
    record = json.loads((synthetic_root / "full" / "audit.json").read_text())
    counts = verdict_counts(AuditResult.from_dict(record))
    assert counts["info_concerns"] >= 1 and counts["gates_warning_not_passed"] == 1
    words = count_text(counts)
    at = app(synthetic_root, run="full", page="overview")
    banner = at.success[0].value
    assert md_escape(words["gates"]) in banner and f"{md_escape(words['concerns'])} below" in banner  # Markdown-escaped
    assert "warning(s)" not in banner
    cli_run._print_summary(record, None, {})
    assert f"{words['gates']} · {words['concerns']} below" in capsys.readouterr().out
    assert f"{words['gates']} · **{words['concerns']} below**" in render_markdown(record)


def test_overview_tiles_are_the_cards_with_the_threats_first(app, synthetic_root):
    record = json.loads((synthetic_root / "full" / "audit.json").read_text())
    tiles = build_summary(record)["tiles"]
    assert tiles[0]["threat"]  # the synthetic run's warning gate that did not pass
    at = app(synthetic_root, run="full", page="overview")
    labels = [m.label for m in at.metric]
    assert labels[: len(tiles)] == [md_escape(t["label"]) for t in tiles]
    assert md_escape(tiles[0]["threat"]) in texts(at)
