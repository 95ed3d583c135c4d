"""Card data: every section built from an AuditResult, defensively, as plain JSON."""

from __future__ import annotations

import json

import pytest

from reports import SECTION_ORDER, build_card_data


def test_every_section_is_present_and_ok_for_a_full_result(synthetic_result):
    card = build_card_data(synthetic_result)
    assert card["section_order"] == SECTION_ORDER
    assert {card[k]["status"] for k in SECTION_ORDER} == {"ok"}
    assert card["title"] == "Synthetic MLP"


def test_card_data_is_strict_json(synthetic_result):
    synthetic_result["models"]["reference"]["test_accuracy"] = float("nan")
    card = build_card_data(synthetic_result)
    json.dumps(card, allow_nan=False)  # raises on NaN/inf
    assert card["quantitative_analyses"]["performance"][0]["accuracy"] is None


@pytest.mark.parametrize("section", ["fairness", "privacy", "explainability", "compute"])
def test_missing_section_is_not_run(synthetic_result, section):
    synthetic_result[section] = None
    card = build_card_data(synthetic_result)
    target = {"fairness": "bias", "privacy": "privacy", "explainability": "explainability", "compute": "compute"}[section]
    assert card[target]["status"] == "not run"


def test_empty_result_builds_without_error():
    card = build_card_data({})
    assert card["title"] == "Unnamed model"
    assert all(card[k]["status"] in ("ok", "not run") for k in SECTION_ORDER)


def test_unreadable_section_shape_is_reported_not_raised(synthetic_result):
    synthetic_result["explainability"]["reference"]["global_importance"] = 42  # not a list
    synthetic_result["fairness"]["reference"]["by_feature"]["sex"]["groups"] = "broken"
    card = build_card_data(synthetic_result)
    assert card["explainability"]["status"] == "ok"
    assert card["explainability"]["models"][0]["global_importance"] == []
    assert card["governance"]["status"] == "ok"


def test_builder_failure_is_contained(synthetic_result, monkeypatch):
    import reports._card_data as cd

    def boom(result):
        raise KeyError("surprise")

    monkeypatch.setitem(cd._BUILDERS, "compute", boom)
    card = build_card_data(synthetic_result)
    assert card["compute"]["status"] == "error" and "surprise" in card["compute"]["error"]
    assert card["bias"]["status"] == "ok"


def test_small_groups_are_listed_and_kept(synthetic_result):
    card = build_card_data(synthetic_result)
    small = {(s["feature"], s["group"]) for s in card["bias"]["small_groups"]}
    assert ("race", "Other") in small
    race = next(a for a in card["quantitative_analyses"]["unitary"] if a["feature"] == "race" and a["model"] == "reference")
    other = next(g for g in race["groups"] if g["group"] == "Other")
    assert other["insufficient_data"] and other["metrics"]["selection_rate"]["value"] is not None


def test_quantitative_values_are_the_audit_values(synthetic_result):
    card = build_card_data(synthetic_result)
    src = synthetic_result["fairness"]["private"]["by_feature"]["sex"]
    got = next(a for a in card["quantitative_analyses"]["unitary"] if a["feature"] == "sex" and a["model"] == "private")
    for g_src, g_card in zip(src["groups"], got["groups"], strict=True):
        assert g_card["metrics"]["tpr"] == {"value": g_src["metrics"]["tpr"]["value"], "ci": g_src["metrics"]["tpr"]["ci"]}
    dpd = next(d for d in got["disparities"] if d["name"] == "demographic_parity_difference")
    assert dpd["value"] == src["disparities"]["demographic_parity_difference"]["value"]
    assert got["intersectional"] is False
    assert any(a["intersectional"] for a in card["quantitative_analyses"]["intersectional"])


def test_compute_side_by_side_ratio(synthetic_result):
    card = build_card_data(synthetic_result)
    assert card["compute"]["private_vs_reference"]["train_wall_s"] == pytest.approx(3.0)


def test_reviews_appear_under_governance(synthetic_result):
    reviews = [{"index": 0, "reviewer": "Ada", "decision": "approve", "comment": "ok", "created_at": "2025-01-01T00:00:00+00:00",
                "signature": {"algorithm": "ed25519"}, "entry_hash": "f" * 64}]
    gov = build_card_data(synthetic_result, reviews=reviews)["governance"]
    assert gov["reviews"][0]["reviewer"] == "Ada" and gov["reviews"][0]["signed"] is True
    assert gov["n_failed_warnings"] == 1 and gov["n_failed_errors"] == 0


def test_a_typed_result_and_its_dict_give_the_same_card(synthetic_result):
    from audit.result import AuditResult

    assert build_card_data(AuditResult.from_dict(synthetic_result)) == build_card_data(synthetic_result)


def test_the_card_shows_the_schema_version_the_record_states(synthetic_result):
    assert build_card_data({})["schema_version"] is None
    synthetic_result["schema_version"] = "1.4"
    card = build_card_data(synthetic_result)
    assert card["schema_version"] == card["model_details"]["provenance"]["schema_version"] == "1.4"


def test_every_card_section_number_a_concern_cites_names_that_section():
    """Concerns point readers at "card §N"; a section added to the card renumbers the ones after it."""
    import re
    from pathlib import Path

    from reports import SECTION_TITLES

    source = (Path(__file__).resolve().parents[2] / "audit" / "verdict" / "concerns.py").read_text(encoding="utf-8")
    cited = re.findall(r"([A-Z][A-Za-z ]+?) \(card §(\d+)", source)
    assert cited
    for title, number in cited:
        assert SECTION_TITLES[SECTION_ORDER[int(number) - 1]].startswith(title.split(" and ")[0]), (title, number)
