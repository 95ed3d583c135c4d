"""How each kind of target is presented (reports._kinds), checked once for every kind, and the readers hold to it:
no card section, template or dashboard page compares a task name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audit.choices import TASK_KINDS
from audit.result import AuditResult, ModelSummary
from reports._kinds import BASE_COLUMNS, KIND_VIEWS, card_view, kind_view, pipeline_tag

ROOT = Path(__file__).resolve().parents[2]
#: A comparison with a task's name (``kind == "regression"``, ``r.task == "binary-classification"``...).
_TASK_NAME = re.compile(r"""(==|!=)\s*["'](binary|multiclass|regression|\w+-classification)["']"""
                        r"""|\bin\s*[(\[{]\s*["'](binary|multiclass|regression)["']|["'](binary|multiclass)-classification["']""")


def test_every_kind_has_one_view():
    assert set(KIND_VIEWS) == set(TASK_KINDS)
    assert all(KIND_VIEWS[name].kind is TASK_KINDS[name] for name in TASK_KINDS)


@pytest.mark.parametrize("name", sorted(TASK_KINDS))
def test_a_view_is_consistent(name):
    view = KIND_VIEWS[name]
    fields = set(ModelSummary.__dataclass_fields__)
    for c in view.columns:
        assert c.attr in fields, f"{name}: {c.attr} is not a ModelSummary field"
        assert c.digits in (2, 3) and (c.target_units or not c.lower_is_better)  # errors in target units: lower is better
    assert 0 < view.n_tiles <= len(view.columns)
    assert set(view.headline_disparities) <= set(view.disparities)
    assert view.tile_disparity in view.headline_disparities
    assert set(view.model_index_disparities) <= set(view.headline_disparities)
    defined = set(view.definitions)
    assert {c.key for c in view.columns} | set(view.group_metrics) | set(view.extra_definitions) <= defined | {"roc_auc"}
    assert set(view.disparities) <= defined
    assert view.cohort_metrics and view.cohort_note
    assert (view.decision_rule is None) == view.kind.has_threshold
    assert (view.whatif_note is None) == view.kind.has_positive_class


def test_views_are_read_from_the_record_and_the_card():
    regression = AuditResult.from_dict({"schema_version": "1.2", "task": "regression", "run": {}, "data": {}, "models": {}})
    assert kind_view(regression).name == "regression" and kind_view(TASK_KINDS["multiclass"]).name == "multiclass"
    assert card_view({"task": {"kind": "multiclass"}}).name == "multiclass" and card_view({}).name == "binary"
    assert KIND_VIEWS["binary"].columns == BASE_COLUMNS and not KIND_VIEWS["binary"].own_figures
    assert pipeline_tag(TASK_KINDS["binary"], "image") == "image-classification"


def test_no_reader_compares_a_task_name():
    files = [p for folder in ("reports", "dashboard") for p in (ROOT / folder).rglob("*")
             if p.suffix in (".py", ".j2") and "__pycache__" not in p.parts]
    found = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}" for p in files
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if _TASK_NAME.search(line)]
    assert not found, "compare the record's kind (AuditResult.kind, reports._kinds) instead:\n" + "\n".join(found)
