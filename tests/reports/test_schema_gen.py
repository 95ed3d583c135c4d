"""The schema file and the docs field reference are generated from the result dataclasses and current."""

from __future__ import annotations

import json

import pytest

from audit.choices import TASKS
from reports import SCHEMA_PATH
from reports._schema_gen import DOCS_PATH, FIELDS_END, json_schema, main, render_docs, schema_text


def test_the_committed_schema_is_the_generated_one():
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), "run: python -m reports._schema_gen"


def test_the_docs_field_reference_is_current():
    text = DOCS_PATH.read_text(encoding="utf-8")
    assert render_docs(text) == text, "run: python -m reports._schema_gen"


def test_check_mode_reports_nothing_stale(capsys):
    assert main(["--check"]) == 0
    assert capsys.readouterr().out == ""


def test_required_keys_come_from_fields_without_defaults_or_marked_required():
    schema = json_schema()
    assert schema["required"] == ["run", "data", "models", "gates", "verdict", "schema_version"]
    assert schema["$defs"]["Run"]["required"] == ["name", "created_at"]
    assert schema["$defs"]["Metric"]["required"] == ["value"]


def test_optional_allows_null_and_literal_gives_an_enum():
    schema = json_schema()
    assert schema["$defs"]["ModelSummary"]["properties"]["test_roc_auc"]["type"] == ["number", "null"]
    assert schema["$defs"]["GateResult"]["properties"]["severity"]["enum"] == ["error", "warning"]
    assert schema["properties"]["task"]["enum"] == list(TASKS)


def test_every_object_accepts_extra_keys_and_has_descriptions():
    schema = json_schema()
    for name, d in schema["$defs"].items():
        if d.get("type") == "object" and "properties" in d:
            assert d["additionalProperties"] is not False, name
            assert all(p.get("description") for p in d["properties"].values()), name


def test_fairness_models_sit_beside_representation():
    fairness = json_schema()["$defs"]["Fairness"]
    assert set(fairness["properties"]) == {"representation"}
    assert fairness["additionalProperties"]["oneOf"][1] == {"$ref": "#/$defs/ModelFairness"}


def test_a_docs_file_without_markers_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="python -m reports._schema_gen"):
        render_docs("# no markers")
    assert FIELDS_END in render_docs("<!-- fields:start -->\n" + FIELDS_END)


def test_the_schema_is_json():
    assert json.loads(schema_text())["$schema"].endswith("2020-12/schema")
