"""Card disparity charts and tables show the gate bound each disparity is held to (issue 25: they drew none)."""

from __future__ import annotations

import copy
import re

from reports import render_html, render_markdown
from reports._svg import bar_chart


def test_bar_chart_draws_a_bound_on_its_row_and_widens_the_axis_to_it():
    svg = str(bar_chart([{"label": "dp · sex", "value": 0.1, "ci": [0.05, 0.15], "bound": 0.9}], title="t"))
    assert svg.count('class="gate-bound"') == 1 and "gate bound ≤ 0.9" in svg
    assert "must stay at or below" in svg  # the legend says what the mark is
    x = float(re.search(r'class="gate-bound" x1="([0-9.]+)"', svg).group(1))
    assert ">0.8<" in svg and x <= 640 - 60  # the axis reaches the bound (not just the interval) and the mark is inside it


def test_bar_chart_without_bounds_draws_no_bound_mark():
    svg = str(bar_chart([{"label": "x", "value": 0.1}], title="t"))
    assert "gate-bound" not in svg and "must stay" not in svg


def _gated(result: dict) -> tuple[dict, str, str]:
    r = copy.deepcopy(result)
    model = "private" if "private" in r["fairness"] else next(iter(r["fairness"]))
    feature = next(iter(r["fairness"][model]["by_feature"]))
    r["gates"] = [{"name": "dp", "metric": "demographic_parity_difference", "model": model, "feature": feature,
                   "max": 0.123, "severity": "error", "value": 0.05, "passed": True, "outcome": "pass"}]
    return r, model, feature


def test_card_disparity_chart_and_tables_show_the_gate_bound(synthetic_result):
    r, _, _ = _gated(synthetic_result)
    html, md = render_html(r), render_markdown(r)
    assert 'class="gate-bound"' in html and "gate bound ≤ 0.123" in html
    assert "gate ≤ 0.123" in html and "gate ≤ 0.123" in md
