"""Markdown card: Hugging Face front matter that huggingface_hub parses offline, inert user text."""

from __future__ import annotations

import re

import pytest
from huggingface_hub import ModelCard

from reports import render_markdown, write_cards


def test_huggingface_parses_model_index(synthetic_result):
    card = ModelCard(render_markdown(synthetic_result))
    assert card.data.model_name == "Synthetic MLP"
    assert card.data.license == "apache-2.0"
    results = {(r.metric_type, r.metric_name): r.metric_value for r in card.data.eval_results}
    assert results[("accuracy", "Test accuracy (reference model)")] == pytest.approx(0.85)
    assert results[("accuracy", "Test accuracy (private model)")] == pytest.approx(0.84)
    assert results[("epsilon", "DP ε spent (δ=1e-05)")] == pytest.approx(1.98)
    assert {r.task_type for r in card.data.eval_results} == {"tabular-classification"}
    assert {r.dataset_split for r in card.data.eval_results} == {"test"}


def test_saved_card_loads_back(synthetic_result, tmp_path):
    paths = write_cards(synthetic_result, tmp_path)
    card = ModelCard.load(paths["markdown"])
    assert len(card.data.eval_results) >= 4
    assert "## 15. Governance" in card.text


def test_card_without_metrics_has_no_model_index():
    text = render_markdown({"run": {"card": {"model_name": "m"}}, "models": {}})
    card = ModelCard(text)
    assert card.data.eval_results is None
    assert "**Not run**" in text


def test_script_in_user_text_and_names_is_inert(synthetic_result):
    synthetic_result["run"]["card"]["intended_use"] = "<script>alert('use')</script>"
    synthetic_result["data"]["features"].append("<script>col</script>")
    text = render_markdown(synthetic_result)
    body = text.split("---", 2)[2]
    # Inert by CommonMark backslash escapes, not HTML entities (which a raw reader sees as "&lt;"): no '<' unescaped.
    assert "<script>" not in body and not re.search(r"(?<!\\)<", body)
    assert "\\<script\\>alert('use')\\</script\\>" in body
    assert "\\<script\\>col\\</script\\>" in body
    assert "&lt;" not in body


def test_markdown_escaping_keeps_ampersands_and_angle_brackets_readable(synthetic_result):
    # A grouping "sex & race" and a category "<missing>" read as written: no "&amp;" or "&lt;missing&gt;" in the file.
    synthetic_result["run"]["card"]["intended_use"] = "Screening & triage of <missing> rows; not &amp; literal"
    body = render_markdown(synthetic_result).split("---", 2)[2]
    assert "Screening & triage of \\<missing\\> rows; not \\&amp; literal" in body
    assert "&lt;missing&gt;" not in body


def test_pipes_and_links_cannot_break_tables(synthetic_result):
    synthetic_result["data"]["missing_values_train"] = {"a|b": 1}
    synthetic_result["run"]["card"]["out_of_scope_uses"] = ["[click](javascript:alert(1))"]
    text = render_markdown(synthetic_result)
    assert "a\\|b" in text
    assert "\\[click\\](javascript:alert(1))" in text
