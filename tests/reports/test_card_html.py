"""HTML card: one self-contained file, charts inline, no network, user text escaped, custom templates."""

from __future__ import annotations

import base64
import re

import pytest

from audit.exceptions import ConfigError
from reports import render_html, write_cards
from tests.reports._card_fixtures import make_result

_PNG_1PX = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def _urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href|action|poster|data)\s*=\s*["']?([^"'\s>]+)""", html, flags=re.I)


def test_self_contained_no_network_requests(synthetic_result):
    html = render_html(synthetic_result)
    assert not [u for u in _urls(html) if re.match(r"(?i)(https?:)?//", u)]
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "@import" not in html and "url(http" not in html
    assert html.count("<svg") >= 8  # group bars, disparities, ε, ROC, utility, importance, deletion, stages


def test_every_section_heading_is_rendered(synthetic_result):
    html = render_html(synthetic_result)
    for title in ["Model details", "Intended use", "Factors", "Metrics", "Evaluation data", "Training data",
                  "Quantitative analyses", "Ethical considerations", "Caveats and recommendations", "Data privacy",
                  "Bias", "Explainability", "Compute and environmental impact", "Governance"]:
        assert f". {title}</h2>" in html


def test_script_in_column_group_and_intended_use_is_escaped(tmp_path):
    result = make_result(group_name="<script>alert('group')</script>", column="<script>col</script>")
    result["run"]["card"]["intended_use"] = "<script>alert('use')</script>"
    result["run"]["card"]["model_name"] = "<img src=x onerror=alert(1)>"
    html = write_cards(result, tmp_path)["html"].read_text()
    assert "<script" not in html.lower()
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;use&#39;)&lt;/script&gt;" in html
    assert "&lt;script&gt;col&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#39;group&#39;)&lt;/script&gt;" in html


def test_missing_sections_render_not_run():
    html = render_html({"schema_version": "1.0", "run": {"name": "bare"}, "models": {}, "fairness": None,
                        "privacy": None, "explainability": None, "compute": None})
    assert html.count("Not run:") >= 4
    assert "Traceback" not in html


def test_print_css_present(synthetic_result):
    assert "@media print" in render_html(synthetic_result)


def test_image_maps_are_embedded_from_the_directory(synthetic_result, tmp_path):
    (tmp_path / "explanations").mkdir()
    (tmp_path / "explanations" / "map0.png").write_bytes(_PNG_1PX)
    synthetic_result["explainability"]["reference"]["image_maps"] = [
        {"path": "explanations/map0.png", "method": "saliency", "label": 3, "prediction": 3, "caption": "digit 3"},
        {"path": "../outside.png", "method": "saliency", "label": 1, "prediction": 1, "caption": "escapes"},
    ]
    (tmp_path.parent / "outside.png").write_bytes(_PNG_1PX)
    html = write_cards(synthetic_result, tmp_path)["html"].read_text()
    assert 'src="data:image/png;base64,' in html
    assert html.count("data:image/png;base64,") == 1  # the path outside the run is not read
    assert "image not available: ../outside.png" in html


def test_custom_template_extends_default(synthetic_result, tmp_path):
    tpl = tmp_path / "mine.html.j2"
    tpl.write_text('{% extends "model_card.html.j2" %}{% block footer %}<footer>ACME {{ card.title }}</footer>{% endblock %}')
    html = render_html(synthetic_result, template=tpl)
    assert "<footer>ACME Synthetic MLP</footer>" in html and "Quantitative analyses" in html


def test_custom_template_is_autoescaped_and_sandboxed(synthetic_result, tmp_path):
    synthetic_result["run"]["card"]["model_name"] = "<b>x</b>"
    tpl = tmp_path / "t.html"
    tpl.write_text("{{ card.title }}|{{ ''.__class__.__mro__ }}|{{ cycler.__init__.__globals__ }}")
    # The sandbox refuses dunder access: it renders as undefined (empty), never as Python internals.
    assert render_html(synthetic_result, template=tpl) == "&lt;b&gt;x&lt;/b&gt;||"


def test_missing_or_broken_template_is_a_config_error(synthetic_result, tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        render_html(synthetic_result, template=tmp_path / "nope.html")
    bad = tmp_path / "bad.html"
    bad.write_text("{% for x in %}")
    with pytest.raises(ConfigError, match="line 1"):
        render_html(synthetic_result, template=bad)
