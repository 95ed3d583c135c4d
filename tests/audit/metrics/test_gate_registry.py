"""The gate-metric registry: one registration is all the config, preflight, gates and docs need."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import audit.metrics
from audit.config import config_from_dict
from audit.exceptions import ConfigError
from audit.metrics import (
    FAMILIES,
    GATE_METRICS,
    Needs,
    Resolved,
    headline_metrics,
    register_gate_metric,
)
from audit.metrics._reference import DOC_PATH, reference_markdown
from audit.pipeline.preflight import gate_problems
from audit.verdict.gates import evaluate_gates, gate_number_text, gate_title

ROOT = Path(__file__).resolve().parents[3]
BASE = {"data": {"bundled": "adult", "target": "income", "positive_label": ">50K", "sensitive_features": ["sex"]}}


def _runtime_imports(path: Path) -> set[str]:
    """Modules imported outside ``if TYPE_CHECKING:`` blocks."""
    found, stack = set(), [ast.parse(path.read_text(encoding="utf-8"))]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        stack.extend(ast.iter_child_nodes(node))
    return found


def test_the_registry_imports_only_the_standard_library_and_choices():
    allowed = set(sys.stdlib_module_names) | {"__future__", "audit.choices"}
    for path in Path(audit.metrics.__file__).parent.glob("*.py"):
        for module in _runtime_imports(path):
            assert module.split(".")[0] in allowed or module in allowed or module.startswith("audit.metrics"), (path, module)


def test_each_family_registers_in_its_own_module():
    assert {spec.family for spec in GATE_METRICS.values()} == set(FAMILIES)
    for spec in GATE_METRICS.values():
        assert spec.resolve.__module__ in (f"audit.metrics.{spec.family}", "audit.metrics._registry"), spec.name
        assert spec.title and spec.description, spec.name


def test_a_fairness_figure_always_needs_a_working_model():
    assert all(spec.needs_working_model for spec in GATE_METRICS.values() if spec.fairness)
    assert all(spec.fairness or not spec.on_decisions for spec in GATE_METRICS.values())


@pytest.mark.parametrize("fields, needle", [
    ({"unit": "percent"}, "unit = 'percent'; expected \"\", \"points\", \"count\" or \"s\""),
    ({"family": "misc"}, "family = 'misc'"),
    ({"tasks": ("ranking",)}, "tasks = ('ranking',)"),
    ({"needs_text": True, "tables_only": True}, "tables_only = True"),
])
def test_a_registration_outside_the_choices_is_refused(fields, needle):
    with pytest.raises(ValueError, match="gate metric 'x'") as err:
        register_gate_metric("x", description="d", registry={}, **fields)(lambda r, g: Resolved(None))
    assert needle in str(err.value)


def test_a_name_registered_twice_is_refused():
    registry: dict = {}
    register_gate_metric("x", description="d", registry=registry)(lambda r, g: Resolved(None))
    with pytest.raises(ValueError, match="registered twice"):
        register_gate_metric("x", description="e", registry=registry)(lambda r, g: Resolved(None))
    with pytest.raises(ValueError, match="registered twice"):
        register_gate_metric("accuracy", description="again")(lambda r, g: Resolved(None))


def test_one_registration_reaches_config_preflight_evaluation_and_wording(monkeypatch):
    """A metric registered once is validated, refused before training, resolved and worded from its spec."""
    registry: dict = {}
    register_gate_metric("epochs_run", description="epochs the private model trained", title="Epochs trained",
                         family="resources", unit="count", tasks=("binary",),
                         needs=Needs(lambda c: c.privacy.enabled, "DP training", "set privacy.enabled = true"),
                         registry=registry)(
        lambda r, g: Resolved(r.models[g.model].epochs_run if g.model in r.models else None))
    monkeypatch.setitem(GATE_METRICS, "epochs_run", registry["epochs_run"])
    cfg = config_from_dict({**BASE, "gates": [{"metric": "epochs_run", "max": 20}]})
    assert gate_problems(config_from_dict({**BASE, "privacy": {"enabled": False}, "gates": [{"metric": "epochs_run",
                                                                                           "max": 20, "model": "reference"}]})) == [
        ("'gates[0]' (epochs_run@reference): needs DP training, which this config switches off. Fix: set privacy.enabled = "
         "true, or remove the gate.")]
    with pytest.raises(ConfigError, match="computed for \"binary\" tasks"):
        config_from_dict({**BASE, "task": "regression", "data": {**BASE["data"], "positive_label": None},
                          "gates": [{"metric": "epochs_run", "max": 20}]})
    (g,) = evaluate_gates(cfg.gates, {"models": {"private": {"test_accuracy": 0.8, "epochs_run": 1234}}})
    assert (g.outcome, g.value) == ("fail", 1234)
    assert g.message == "Epochs trained, private model: 1,234 ≤ 20 — FAIL, over by 1,214"
    assert gate_title("epochs_run") == "Epochs trained" and gate_number_text("epochs_run", 3.0) == "3"


def test_an_unknown_metric_is_named_with_the_closest_registered_one():
    with pytest.raises(ConfigError) as err:
        config_from_dict({**BASE, "gates": [{"metric": "acuracy", "min": 0.8}]})
    assert "unknown metric 'acuracy' (did you mean 'accuracy'?)" in str(err.value)


def test_headline_metrics_are_the_task_performance_figures():
    assert [m.name for m in headline_metrics("multiclass")] == ["accuracy", "macro_f1", "balanced_accuracy"]
    assert [(m.headline, m.model_field) for m in headline_metrics("regression")] == [
        ("MAE", "test_mae"), ("RMSE", "test_rmse"), ("R²", "test_r2")]


def test_the_gate_metric_reference_is_current():
    assert (ROOT / DOC_PATH).read_text(encoding="utf-8") == reference_markdown(), (
        "docs/gate_metrics.md is stale: run python -m audit.metrics._reference")
    for name in GATE_METRICS:
        assert f"| `{name}` |" in reference_markdown()


def test_the_card_and_dashboard_performance_columns_are_the_registered_headline_metrics():
    from audit.choices import TASK_KINDS
    from reports._kinds import kind_view

    for task, kind in TASK_KINDS.items():
        columns = kind_view(kind).columns
        assert [(c.key, c.attr, c.heading) for c in columns] == [
            (m.name, m.model_field, m.title) for m in headline_metrics(task)], task
