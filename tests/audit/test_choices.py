"""audit.choices is the one list of allowed values: every library registry agrees with it."""

from __future__ import annotations

import pytest

from audit import choices
from audit.config import config_from_dict

BASE = {"data": {"bundled": "adult", "target": "income", "positive_label": ">50K", "sensitive_features": ["sex"]}}


def test_gate_metrics_are_one_registry_that_config_preflight_and_verdict_read():
    from audit.config import _validate
    from audit.metrics import GATE_METRICS
    from audit.pipeline import preflight
    from audit.verdict import gates

    assert _validate.GATE_METRICS is GATE_METRICS and preflight.GATE_METRICS is GATE_METRICS
    assert gates.GATE_METRICS is GATE_METRICS
    assert not hasattr(choices, "GATE_METRICS")  # no second list to keep equal


def test_the_disparity_gates_are_the_disparities_each_group_report_computes():
    from audit.fairness._specs import GROUP_REPORTS
    from audit.metrics import GATE_METRICS

    computed = {task: set(spec.disparities) for task, spec in GROUP_REPORTS.items()}
    assert computed["binary"] == set(choices.FAIRNESS_DISPARITIES)
    assert computed["multiclass"] == set(choices.MULTICLASS_DISPARITIES)
    assert computed["regression"] == set(choices.REGRESSION_DISPARITIES)
    for task, names in computed.items():
        gated = {n for n, s in GATE_METRICS.items() if s.family == "fairness" and task in s.tasks}
        assert gated - {"four_fifths_ratio", "sensitive_feature_share"} == names, task
    # groups = "all" applies where the report keeps Fairlearn's all-groups numbers
    for spec in GATE_METRICS.values():
        assert not spec.groups_apply or any(choices.TASK_KINDS[t].disparities_over_all_groups for t in spec.tasks)


def test_accountants_are_opacus_mechanisms():
    from opacus.accountants.registry import _ACCOUNTANTS

    assert set(choices.ACCOUNTANTS) == set(_ACCOUNTANTS)


def test_privacy_settings_validate_against_the_same_names():
    from audit.privacy import _settings

    assert tuple(_settings.ACCOUNTANTS) == choices.ACCOUNTANTS
    assert tuple(_settings.GRAD_SAMPLE_MODES) == choices.GRAD_SAMPLE_MODES
    assert tuple(_settings.OPTIMIZERS) == choices.OPTIMIZERS


def test_mitigation_constraints_are_the_ones_fairlearn_is_called_with():
    from fairlearn import reductions

    from audit.fairness._mitigation import CONSTRAINTS

    assert tuple(CONSTRAINTS) == choices.MITIGATION_CONSTRAINTS
    for _, moment, _ in CONSTRAINTS.values():
        assert hasattr(reductions, moment)
    assert choices.MITIGATIONS == ("none", *choices.MITIGATION_CONSTRAINTS)


def test_undefined_modes_match_the_fairness_report():
    from audit.fairness._metrics import UNDEFINED_MODES

    assert tuple(UNDEFINED_MODES) == choices.UNDEFINED_MODES


def test_explanation_methods_and_baselines_are_registered():
    from audit.explain import BASELINES, EXPLAINERS, IMAGE_METHODS, TABULAR_METHODS

    assert tuple(TABULAR_METHODS) == choices.TABULAR_METHODS
    assert tuple(IMAGE_METHODS) == choices.IMAGE_METHODS
    assert set(choices.TABULAR_METHODS) | set(choices.IMAGE_METHODS) <= set(EXPLAINERS)
    assert tuple(BASELINES) == choices.EXPLAIN_BASELINES


def test_bundled_datasets_match_the_registry():
    from audit.data.datasets import BUNDLED_DATASETS

    assert tuple(BUNDLED_DATASETS) == choices.BUNDLED_DATASETS


def test_review_decisions_match_the_review_record():
    from audit.records.review import DECISIONS

    assert tuple(DECISIONS) == choices.REVIEW_DECISIONS
    assert tuple(choices.REVIEW_DECISION_LABELS) == choices.REVIEW_DECISIONS  # every decision has its label


@pytest.mark.parametrize("section, key, values", [
    ("fairness", "mitigation", choices.MITIGATIONS),
    ("privacy", "accountant", choices.ACCOUNTANTS),
    ("privacy", "canary_kind", choices.CANARY_KINDS),
    ("explain", "method", choices.TABULAR_METHODS),
    ("explain", "baseline", choices.EXPLAIN_BASELINES),
    ("model", "kind", ("mlp",)),
])
def test_config_accepts_every_choice_the_library_offers(section, key, values):
    for value in values:
        cfg = config_from_dict({**BASE, section: {key: value}})
        assert getattr(getattr(cfg, section), key) == value


def test_config_accepts_every_gate_metric_severity_and_model():
    from audit.metrics import GATE_METRICS

    gates = [{"metric": "accuracy", "min": 0.5, "severity": s, "model": m}
             for s in choices.GATE_SEVERITIES for m in choices.MODEL_ROLES]
    assert len(config_from_dict({**BASE, "gates": gates}).gates) == len(gates)
    accepted = set()
    for task in choices.CONFIG_TASKS:
        for text in (False, True):
            if text and task == "regression":
                continue
            data = {**BASE["data"], **({"text_column": "text"} if text else {})}
            if task != "binary":
                data.pop("positive_label", None)
            extra = {"model": {"kind": "text"}} if text else {}
            names = [n for n, info in GATE_METRICS.items()
                     if task in info.tasks and (text or not info.needs_text) and not (text and info.tables_only)]
            gates = [{"metric": n, "max": 1.0, "feature": "sex"} for n in names]
            cfg = config_from_dict({**BASE, **extra, "task": task, "data": data, "gates": gates})
            assert len(cfg.gates) == len(gates)
            accepted |= set(names)
    assert accepted == set(GATE_METRICS)  # every metric is accepted by some task


def test_choices_imports_only_the_standard_library():
    import ast
    import sys
    from pathlib import Path

    tree = ast.parse(Path(choices.__file__).read_text(encoding="utf-8"))
    roots = {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    roots |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert roots <= set(sys.stdlib_module_names) | {"__future__"}


def test_tasks_cover_the_result_default_and_the_card_front_matter():
    from audit.result import AuditResult
    from reports._kinds import pipeline_tag

    tags = {}
    for task in choices.TASKS:
        r = AuditResult.from_dict({"schema_version": "1.2", "task": task, "run": {}, "data": {}, "models": {}})
        tags[task] = pipeline_tag(r.kind, r.input_kind)  # the card's Hugging Face pipeline tag
    assert tags == {"binary-classification": "tabular-classification", "image-classification": "image-classification",
                    "multiclass-classification": "tabular-classification", "regression": "tabular-regression",
                    "text-classification": "text-classification"}
    assert AuditResult.__dataclass_fields__["task"].default in choices.TASKS
