"""A multiclass or regression record of schema 1.x reads through the one accessor with the figures of a 2.0 record.

``tests/old_records/task_audit_1_3_{multiclass,regression}.json.gz`` are the ``audit.json`` of one small run each
(the synthetic tables of ``tests/audit/_task_tables``, 300 rows, both models), written by the last code of schema 1.3
(commit 22a2589), which kept these group audits in ``task_fairness``; ``task_audit_2_0_*.json.gz`` are the same runs
(same config and seeds) written by schema 2.0, which keeps them in ``fairness``. Both are read losslessly, and every
reader (gates, concerns, cards, dashboard helpers) gets the same figures from either through
``AuditResult.group_audits``.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from audit.config import GateSpec
from audit.result import SCHEMA_VERSION, AuditResult, ModelFairness
from audit.verdict.concerns import find_concerns
from audit.verdict.gates import evaluate_gates
from dashboard._tasks import disparity_frame, group_table
from reports import build_card_data, build_summary, render_html, render_markdown
from reports._kinds import kind_view

FOLDER = Path(__file__).parent / "old_records"
KINDS = ("multiclass", "regression")
GATES = {
    "multiclass": [GateSpec(metric=m, feature=f, model="reference", max=0.5)
                   for m in ("accuracy_difference", "macro_f1_difference", "selection_rate_difference_ovr",
                             "recall_difference_ovr") for f in ("region", "site", "region & site")],
    "regression": [GateSpec(metric=m, feature="area", model=model, max=500.0)
                   for m in ("mae_difference", "rmse_ratio", "worst_group_mae") for model in ("reference", "private")],
}


def _load(name: str) -> dict:
    return json.loads(gzip.decompress((FOLDER / name).read_bytes()).decode("utf-8"))


@pytest.fixture(scope="module", params=KINDS)
def pair(request) -> tuple[str, dict, dict]:
    kind = request.param
    return kind, _load(f"task_audit_1_3_{kind}.json.gz"), _load(f"task_audit_2_0_{kind}.json.gz")


def test_both_versions_are_stored_and_keep_their_sections(pair):
    kind, old, new = pair
    assert old["schema_version"] == "1.3" and new["schema_version"] == SCHEMA_VERSION == "2.0"
    assert old["fairness"] is None and set(old["task_fairness"]["models"]) == {"reference", "private"}
    assert "task_fairness" not in new and set(new["fairness"]) == {"reference", "private"}
    assert old["task_fairness"]["task"] == old["data"]["task"] == new["data"]["task"] == kind


def test_each_reads_losslessly(pair):
    _, old, new = pair
    for data in (old, new):
        result = AuditResult.from_dict(data)
        assert result.to_dict() == data
        assert AuditResult.from_json(result.to_json()).to_dict() == data


def test_the_accessor_gives_the_same_group_audits(pair):
    kind, old, new = pair
    a, b = AuditResult.from_dict(old).group_audits, AuditResult.from_dict(new).group_audits
    assert set(a) == set(b) == {"reference", "private"}
    for model in a:
        assert isinstance(a[model], ModelFairness) and a[model].task == kind
        assert a[model].to_dict() == b[model].to_dict() == new["fairness"][model] == old["task_fairness"]["models"][model]
    audit = b["reference"]
    feature = next(iter(audit.by_feature))
    group = audit.by_feature[feature].groups[0]
    assert group.rows == group.n and group.figure(kind_view(AuditResult.from_dict(new)).group_metrics[0]) is not None
    assert audit.overall is not None and audit.overall.n == audit.n and audit.overall.figures


def test_both_are_the_same_kind(pair):
    kind, old, new = pair
    assert AuditResult.from_dict(old).kind.name == AuditResult.from_dict(new).kind.name == kind
    # without data.task and task, the group audits still tell the kind
    for data in (old, new):
        bare = {**data, "task": None, "data": {**data["data"], "task": None}}
        assert AuditResult.from_dict(bare).kind.name == kind


def test_gates_and_concerns_read_the_same_figures(pair):
    kind, old, new = pair
    a, b = AuditResult.from_dict(old), AuditResult.from_dict(new)
    gates_a, gates_b = evaluate_gates(GATES[kind], a), evaluate_gates(GATES[kind], b)
    assert [g.to_dict() for g in gates_a] == [g.to_dict() for g in gates_b]
    assert any(g.value is not None for g in gates_b)  # the gates found their figures
    assert [c.to_dict() for c in find_concerns(a)] == [c.to_dict() for c in find_concerns(b)]
    # the record's own gates, re-evaluated, keep their outcomes
    specs = [GateSpec(**{k: v for k, v in g.items() if k in ("metric", "feature", "model", "max", "min", "severity")})
             for g in new["run"]["config"]["gates"]]
    assert [g.outcome for g in evaluate_gates(specs, a)] == [g["outcome"] for g in old["gates"]]


def _as_2_0(old: dict, new: dict) -> dict:
    """The 1.3 record as 2.0 writes it: its group audits moved to fairness (the 2.0 run's, the same figures)."""
    out = {k: v for k, v in old.items() if k != "task_fairness"}
    return {**out, "fairness": new["fairness"], "schema_version": new["schema_version"]}


def _versionless(text: str) -> str:
    return text.replace("schema 1.3", "schema 2.0").replace("schema_version: '1.3'", "schema_version: '2.0'")


def test_cards_are_the_same_but_for_the_schema_version(pair):
    _, old, new = pair
    moved = _as_2_0(old, new)
    card_old, card_new = build_card_data(old), build_card_data(moved)
    assert card_old["group_errors"]["status"] == "ok" and card_old["bias"]["headline"]
    assert card_new["schema_version"] == "2.0"
    assert {**card_old, "schema_version": None, "model_details": None} == \
        {**card_new, "schema_version": None, "model_details": None}
    assert _versionless(render_markdown(old)) == render_markdown(moved)
    assert _versionless(render_html(old)) == render_html(moved)


def test_dashboard_helpers_read_the_same_figures(pair):
    _, old, new = pair
    a, b = AuditResult.from_dict(old), AuditResult.from_dict(new)
    # the Overview's tiles are the card's summary tiles (reports._headline; dashboard._tasks.headline_tiles is gone)
    assert build_summary(old)["tiles"] == build_summary(new)["tiles"]
    assert any(t["ci"] is not None for t in build_summary(new)["tiles"])  # the figures with their intervals
    metrics = kind_view(b).group_metrics
    for model in ("reference", "private"):
        for feature in b.group_audits[model].by_feature:
            block_a, block_b = a.group_audits[model].by_feature[feature], b.group_audits[model].by_feature[feature]
            assert group_table(block_a, metrics).equals(group_table(block_b, metrics))
            assert disparity_frame(block_a).equals(disparity_frame(block_b))
