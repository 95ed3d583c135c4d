"""The pipeline's stages store typed sections, each fact once; the identifier scan has one place in the record.

An ``audit_model`` run on a small table with identifier-like columns stands in for both entry points (the record's
assembly, :mod:`audit.pipeline._record`, is theirs alike); records written before the scan moved keep it in
``privacy.identifier_scan``, and every reader still finds it there.
"""

from __future__ import annotations

import json

import pytest
import torch

from audit.config import ExplainSection, FairnessSection
from audit.data import TabularPreprocessor
from audit.result import (
    AuditResult,
    IdentifierFinding,
    MembershipInference,
    ModelExplanation,
    ModelSummary,
    Privacy,
    Slices,
)  # fmt: skip
from audit.verdict.concerns import find_concerns
from tests._real_like import mortgage_table

_SCAN = [{"column": "email", "kind": "email", "reason": "e-mail addresses", "recommendation": "drop it",
          "status": "feature"}]


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """An audit_model run whose training rows carry an e-mail column, and the AuditRun its stages filled."""
    import audit.pipeline.runner as runner
    from audit.pipeline import _record

    frame = mortgage_table()
    frame["email"] = [f"person{i}@example.org" for i in range(len(frame))]
    train, test = frame.iloc[:1400], frame.iloc[1400:]
    pre = TabularPreprocessor().fit(train[["income_band", "credit_history"]])
    torch.manual_seed(0)
    model = torch.nn.Linear(len(pre.feature_names_), 1)
    runs = []

    def assemble(run, **kwargs):
        runs.append(run)
        return _record.assemble(run, **kwargs)

    patch = pytest.MonkeyPatch()
    patch.setattr(runner, "assemble", assemble)
    try:
        out = tmp_path_factory.mktemp("stage_outputs") / "run"
        result = runner.audit_model(model, test=test, train=train, target="approved", positive_label="yes",
                                    sensitive_features=["sex"], preprocessor=pre, threshold=0.4,
                                    fairness=FairnessSection(n_boot=0, mitigation="none"),
                                    explain=ExplainSection(max_rows=50, checks=False), out=out)
    finally:
        patch.undo()
    return result, runs[0], json.loads((out / "audit.json").read_text())


def test_each_stage_stores_its_typed_section(audited):
    _, run, _ = audited
    assert isinstance(run.privacy, Privacy) and isinstance(run.slices, Slices)
    assert all(isinstance(m, MembershipInference) for m in run.privacy.membership_inference.values())
    assert run.explain and all(isinstance(e, ModelExplanation) for e in run.explain.values())
    assert all(isinstance(f, IdentifierFinding) for f in run.identifier_scan)
    assert set(run.summaries) == set(run.models) and all(isinstance(s, ModelSummary) for s in run.summaries.values())


def test_the_decision_threshold_is_stored_once_in_the_model_summary(audited):
    result, run, _ = audited
    assert run.threshold("reference") == 0.4 == run.summaries["reference"].decision_threshold.value
    assert not hasattr(run, "thresholds") and not hasattr(run, "train_info") and not hasattr(run, "model_info")
    assert result.models["reference"] is run.summaries["reference"]


def test_a_model_summary_lists_its_test_figures_then_its_threshold_and_checks(audited):
    _, _, saved = audited
    keys = list(saved["models"]["reference"])
    assert keys[0] == "test_accuracy" and keys[-2:] == ["decision_threshold", "degenerate"]


def test_the_identifier_scan_is_written_once_in_the_data_section(audited):
    result, _, saved = audited
    assert [f["column"] for f in saved["data"]["identifier_scan"]] == ["email"]
    assert "identifier_scan" not in saved["privacy"]
    assert [f.column for f in result.identifier_findings] == ["email"]
    assert AuditResult.from_dict(saved).to_dict() == saved


def test_a_record_with_the_scan_in_the_privacy_section_reads_as_before():
    old = {"schema_version": "1.2", "run": {"name": "r"}, "data": {}, "models": {"reference": {"test_accuracy": 0.8}},
           "privacy": {"dp": None, "identifier_scan": _SCAN}}
    result = AuditResult.from_dict(old)
    assert [f.column for f in result.identifier_findings] == ["email"]
    assert result.to_dict() == old  # the legacy field is kept as read
    assert "identifier_as_feature" in {c.kind for c in find_concerns(result)}

    from reports._sections.context import CardContext
    from reports._sections.notes import identifier_scan
    from reports._sections.privacy import privacy

    card = privacy(CardContext(result))
    assert [s["column"] for s in card["identifier_scan"]] == ["email"] and card["identifier_scan_run"] is True
    assert [f.column for f in identifier_scan(CardContext(result))] == ["email"]


@pytest.mark.parametrize(("data", "privacy", "expected"), [
    ({}, {"dp": None}, None),  # not run
    ({"identifier_scan": []}, {"dp": None}, []),  # run, nothing found
    ({"identifier_scan": []}, {"identifier_scan": _SCAN}, []),  # the data section's scan is the record's
    ({}, None, None),
])
def test_the_accessor_reads_the_data_section_then_the_legacy_field(data, privacy, expected):
    result = AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": data, "models": {}, "privacy": privacy})
    found = result.identifier_findings
    assert (None if found is None else [f.column for f in found]) == expected


def test_the_card_says_whether_the_scan_ran():
    from reports._sections.context import CardContext
    from reports._sections.privacy import privacy

    ran = AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {"identifier_scan": []}, "models": {},
                                 "privacy": {"dp": None}})
    not_run = AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {}, "privacy": {"dp": None}})
    assert privacy(CardContext(ran))["identifier_scan_run"] is True
    assert privacy(CardContext(not_run))["identifier_scan_run"] is False


def test_explained_examples_name_their_test_row_when_the_rows_are_a_sample(audited):
    """With ``explain.max_rows`` below the test size, an example's ``row`` is the test-row index (the record's
    definition, and the row What-if lists), not its position among the sampled rows."""
    result, run, _ = audited
    explained = run.explain_rows()
    assert len(explained) == 50 < len(run.prepared.X_test)
    scores = run.predictions.query("model == 'reference'")["y_score"].to_numpy()
    examples = run.explain["reference"].examples
    assert examples
    for e in examples:
        assert e.row in set(explained.tolist())
        assert e.y_score == pytest.approx(scores[e.row], abs=1e-6)
