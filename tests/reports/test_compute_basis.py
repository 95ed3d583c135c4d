"""The card's compute section says how codecarbon obtained energy and CO2: per component, and the grid."""

from __future__ import annotations

from reports import build_card_data
from reports._render import render_html, render_markdown

_TRACKING = {"label": "partly measured", "codecarbon_version": "3.3.2", "tracking_mode": "process",
             "country_iso_code": "FRA", "region": None, "carbon_intensity_g_per_kwh": 56.0,
             "components": {"cpu": "measured (RAPL counters)", "ram": "estimated (codecarbon's RAM power model)"},
             "energy_basis": "partly measured by codecarbon 3.3.2, process mode (CPU measured, RAM estimated)",
             "co2_basis": "estimated: energy × 56 gCO2e/kWh grid intensity (codecarbon's figure for FRA)"}


def _result(synthetic_result: dict) -> dict:
    compute = synthetic_result["compute"]
    compute["energy_tracking"] = _TRACKING
    compute["total"].update(energy_label="partly measured", energy_measured=False,
                            energy_basis=_TRACKING["energy_basis"], co2_basis=_TRACKING["co2_basis"])
    return synthetic_result


def test_card_lists_each_components_basis_and_the_grid(synthetic_result):
    card = build_card_data(_result(synthetic_result))["compute"]
    assert card["total"]["energy_label"] == "partly measured"
    assert card["tracking"]["tool"] == "codecarbon 3.3.2 (process mode)"
    assert card["tracking"]["lines"] == ["CPU: measured (RAPL counters)", "RAM: estimated (codecarbon's RAM power model)",
                                         "grid: FRA, 56 gCO2e/kWh"]


def test_markdown_and_html_cards_show_the_label_and_the_basis(synthetic_result):
    result = _result(synthetic_result)
    md, html = render_markdown(result), render_html(result)
    assert "(**partly measured**:" in md and "Energy basis (codecarbon 3.3.2 (process mode)): CPU: measured" in md
    assert "energy (partly measured)" in html and "grid: FRA, 56 gCO2e/kWh" in html


def test_a_record_from_before_codecarbon_keeps_its_rapl_flag_label(synthetic_result):
    card = build_card_data(synthetic_result)["compute"]  # no energy_tracking, no energy_label
    assert card["tracking"] is None
    assert card["total"]["energy_label"] == ("measured" if synthetic_result["compute"]["total"].get("energy_measured")
                                             else "estimated")
