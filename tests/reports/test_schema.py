"""The published JSON Schema of audit.json: a real run validates, broken records do not."""

from __future__ import annotations

import json

import jsonschema
import pytest

from audit.exceptions import RunDirError
from reports import SCHEMA_PATH, load_schema, schema_problems, validate_result


def test_schema_file_is_a_valid_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text()))


def test_synthetic_full_result_validates(synthetic_result):
    assert schema_problems(synthetic_result) == []
    validate_result(synthetic_result)


def test_sections_may_be_null(synthetic_result):
    for key in ("fairness", "privacy", "explainability", "compute"):
        synthetic_result[key] = None
    assert schema_problems(synthetic_result) == []


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda r: r.pop("verdict"), "(root): 'verdict' is a required property"),
        (lambda r: r.update(verdict="maybe"), "verdict:"),
        (lambda r: r["models"]["reference"].update(test_accuracy=1.7), "models.reference.test_accuracy"),
        (lambda r: r["models"]["reference"].update(test_accuracy=float("nan")), "undefined numbers must be null"),
        (lambda r: r["gates"][0].pop("passed"), "gates[0]: 'passed' is a required property"),
        (lambda r: r["run"].update(config_sha256="not-a-hash"), "run.config_sha256"),
        (lambda r: r["artifacts"].update(predictions="../../etc/passwd"), "artifacts.predictions"),
        (lambda r: r["fairness"]["reference"]["by_feature"]["sex"]["groups"][0]["metrics"].update(tpr={"value": "high"}),
         "fairness.reference.by_feature.sex.groups[0].metrics.tpr.value"),
        (lambda r: r["privacy"]["dp"].update(delta=2.0), "privacy.dp.delta"),
    ],
)
def test_broken_records_are_rejected_with_the_key_named(synthetic_result, mutate, where):
    mutate(synthetic_result)
    problems = schema_problems(synthetic_result)
    assert any(where in p for p in problems), problems
    with pytest.raises(RunDirError, match="does not match the published schema"):
        validate_result(synthetic_result)


def test_every_problem_is_reported_at_once(synthetic_result):
    synthetic_result["verdict"] = "maybe"
    synthetic_result.pop("gates")
    with pytest.raises(RunDirError) as info:
        validate_result(synthetic_result)
    assert len(info.value.problems) == 2


def test_load_schema_is_the_shipped_file():
    assert load_schema()["title"].startswith("rai-audit AuditResult")
