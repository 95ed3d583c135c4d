"""Cards say why a setting is absent instead of printing a placeholder; the model-index leads with the audited model.

Each case failed before issue 25: "Authors n/a · Config sha256 n/a" and "Not run: ." on an audit_model() run and a
text run, headers broken mid-word in the HTML tables, the reference model first in model-index.
"""

from __future__ import annotations

import copy

import yaml

from reports import render_html, render_markdown


def _external(result: dict) -> dict:
    """The record an audit_model() run writes: no config, no [card] table, a model trained outside rai-audit."""
    r = copy.deepcopy(result)
    r["run"].pop("config", None)
    r["run"].pop("config_sha256", None)
    r["run"].pop("config_file_sha256", None)
    r["run"]["card"] = {}
    for m in r["models"].values():
        for key in ("epochs", "batch_size", "learning_rate", "optimizer"):
            m.pop(key, None)
    return r


def test_external_model_card_says_why_settings_are_absent(synthetic_result):
    r = _external(synthetic_result)
    md, html = render_markdown(r), render_html(r)
    for out in (md, html):
        assert "audited with audit_model()" in out and "without a config file" in out
        assert "trained outside rai-audit" in out and "not recorded" in out
    assert "**Authors:** n/a" not in md and "Config sha256 `n/a`" not in md
    assert "<b>Authors:</b> n/a" not in html


def test_factors_not_run_states_its_reason(synthetic_result):
    r = copy.deepcopy(synthetic_result)
    r["data"]["sensitive_features"] = []
    md, html = render_markdown(r), render_html(r)
    assert "**Not run**: ." not in md and "Not run: .<" not in html
    assert "no sensitive feature was named (data.sensitive_features)" in md


def test_html_table_headers_wrap_at_spaces_not_inside_words(synthetic_result):
    html = render_html(synthetic_result)
    css = html[html.index("<style"):html.index("</style>")]
    th_rule = next(line for line in css.splitlines() if line.startswith("th {"))
    assert "anywhere" not in th_rule and "break-all" not in th_rule
    code_rule = next(line for line in css.splitlines() if line.startswith("code, .hash {"))
    assert "break-all" not in code_rule  # metric names in code cells break only when they overflow


def test_model_index_lists_the_audited_model_first_each_metric_once(synthetic_result):
    meta = yaml.safe_load(render_markdown(synthetic_result).split("---")[1])
    results = meta["model-index"][0]["results"]
    assert "private model" in results[0]["task"]["name"]  # the audited (private) model, not the reference
    for res in results:
        keys = [(m["type"], m["name"]) for m in res["metrics"]]
        assert len(keys) == len(set(keys))


def test_model_details_table_has_one_row_per_model(synthetic_result):
    md = render_markdown(synthetic_result)
    rows = [line for line in md.splitlines() if line.startswith(("| reference | no |", "| private | yes |"))]
    assert len(rows) == 2 and all(line.count("|") == 8 for line in rows)
