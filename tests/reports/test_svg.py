"""SVG chart helpers: escaped labels, missing values, CI bars, thinning."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reports._svg import bar_chart, line_chart, nice_ticks


def test_bar_chart_is_well_formed_and_escapes_labels():
    svg = bar_chart([{"label": "<script>x</script>", "value": 0.3, "ci": [0.2, 0.4]}, {"label": "b&c", "value": None}],
                    title="t <b>")
    root = ET.fromstring(str(svg))
    assert root.tag.endswith("svg")
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "n/a" in svg and svg.count("<rect") >= 2


def test_ci_error_bar_spans_interval():
    svg = bar_chart([{"label": "a", "value": 0.5, "ci": [0.25, 0.75]}], title="t", domain=(0.0, 1.0), width=615)
    # plot spans x = 215 .. 555 for width 615: 0.25 -> 300, 0.75 -> 470
    assert "M300.0," in svg and "H470.0" in svg


def test_line_chart_thins_long_series_and_keeps_the_end():
    xs = [i / 4999 for i in range(5000)]
    svg = line_chart([{"name": "roc", "x": xs, "y": xs}], title="roc", x_domain=(0, 1), y_domain=(0, 1))
    points = str(svg).split('points="')[1].split('"')[0].split()
    assert len(points) <= 402
    assert points[-1] == "484.0,26.0"  # (1, 1): right edge (56 + 428), top edge


def test_line_chart_without_data_says_so():
    assert "no data" in line_chart([{"name": "x", "x": [None], "y": [1]}], title="t")


def test_nice_ticks_cover_range():
    ticks = nice_ticks(0.013, 0.87)
    assert ticks == [0.2, 0.4, 0.6, 0.8]  # round values inside the range, evenly spaced
    assert nice_ticks(0, 1) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
