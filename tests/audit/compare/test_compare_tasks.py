"""compare for every kind of target: one battery over the registered comparisons, then multiclass and regression
runs through the public API and the CLI (hand-made runs: a record and a predictions table, no training)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audit.choices import TASK_KINDS
from audit.cli import main
from audit.compare import compare_runs, format_comparison
from audit.compare._metrics import TASK_METRICS, gate_metrics
from audit.compare._tasks import COMPARISONS
from audit.exceptions import ConfigError, DataError
from audit.fairness import multiclass_fairness_report, regression_fairness_report
from tests.audit.compare._runs import CLASSES, class_table, regression_table, table, task_record, write_run

TABLES = {"binary": lambda seed, **kw: table(np.random.default_rng(seed), 2000, **kw),
          "multiclass": lambda seed, **kw: class_table(np.random.default_rng(seed), **kw),
          "regression": lambda seed, **kw: regression_table(np.random.default_rng(seed), **kw)}


def _run(folder, task: str, preds: pd.DataFrame):
    return write_run(folder, preds, **({} if task == "binary" else task_record(task)))


def test_every_kind_of_target_has_one_comparison_and_one_metric_table():
    assert set(COMPARISONS) == set(TASK_KINDS) == set(TASK_METRICS)
    assert all(COMPARISONS[t].task == t for t in COMPARISONS)


@pytest.mark.parametrize("task", sorted(TASK_KINDS))
def test_the_same_rows_and_predictions_show_no_change_in_every_kind(tmp_path, task):
    preds = TABLES[task](0)
    comp = compare_runs(_run(tmp_path / "a", task, preds), _run(tmp_path / "b", task, preds), n_boot=100)
    assert comp.task == task and comp.paired
    assert comp.changes and not any(c.significant for c in comp.changes)
    assert {c.metric for c in comp.changes} <= set(gate_metrics(task))  # the table is the source of every figure


@pytest.mark.parametrize("task", sorted(TASK_KINDS))
def test_a_gate_on_a_metric_the_task_lacks_is_refused_with_the_allowed_ones(tmp_path, task):
    preds = TABLES[task](0)
    a = _run(tmp_path / "a", task, preds)
    foreign = next(m for t, ms in TASK_METRICS.items() if t != task for m in ms if m not in TASK_METRICS[task])
    with pytest.raises(ConfigError, match=f"not a figure of a {task} comparison") as err:
        compare_runs(a, a, max_drop=[f"{foreign}=0.02"], n_boot=10)
    assert ", ".join(gate_metrics(task)) in str(err.value)


def test_multiclass_figures_equal_the_records_group_report(tmp_path):
    preds = class_table(np.random.default_rng(0))
    run = _run(tmp_path / "a", "multiclass", preds)
    values = {c.key: c.a for c in compare_runs(run, run, n_boot=2).changes}
    rows = preds[preds.model == "private"].reset_index(drop=True)
    code = {c: i for i, c in enumerate(CLASSES)}
    report = multiclass_fairness_report(y_true=rows.y_true.map(code), y_pred=rows.y_pred.map(code), proba=None,
                                        classes=CLASSES, sensitive=rows[["sex"]], n_boot=0)
    assert values["macro_f1@private"] == pytest.approx(report["overall"]["macro_f1"]["value"])
    women = report["by_feature"]["sex"]["groups"][0]
    assert values["accuracy[sex=Female]@private"] == pytest.approx(women["accuracy"]["value"])
    assert values["recall:sales[sex=Female]@private"] == pytest.approx(women["recall"]["sales"])
    assert values["selection_rate:tech[sex=Female]@private"] == pytest.approx(women["selection_rate"]["tech"])
    for name, d in report["by_feature"]["sex"]["disparities"].items():
        assert values[f"{name}[sex]@private"] == pytest.approx(d["value"]), name


def test_regression_figures_equal_the_records_group_report(tmp_path):
    preds = regression_table(np.random.default_rng(0))
    run = _run(tmp_path / "a", "regression", preds)
    values = {c.key: c.a for c in compare_runs(run, run, n_boot=2).changes}
    rows = preds[preds.model == "private"].reset_index(drop=True)
    report = regression_fairness_report(y_true=rows.y_true, y_pred=rows.y_pred, sensitive=rows[["sex"]], n_boot=0)
    for m in ("mae", "rmse", "r2", "mean_prediction", "mean_error"):
        assert values[f"{m}@private"] == pytest.approx(report["overall"][m]["value"]), m
    men = report["by_feature"]["sex"]["groups"][1]
    assert values["mae[sex=Male]@private"] == pytest.approx(men["mae"]["value"])
    for name, d in report["by_feature"]["sex"]["disparities"].items():
        assert values[f"{name}[sex]@private"] == pytest.approx(d["value"]), name


def test_a_planted_drop_of_womens_recall_of_one_class_fails_its_gate(tmp_path):
    a = _run(tmp_path / "a", "multiclass", class_table(np.random.default_rng(0)))
    b = _run(tmp_path / "b", "multiclass", class_table(np.random.default_rng(0), drop_female_sales_recall=0.5))
    comp = compare_runs(a, b, max_drop=["recall:sales[sex=Female]=0.05", "accuracy@reference=0.02"], n_boot=200)
    by_key = {c.key: c for c in comp.changes}
    assert by_key["recall:sales[sex=Female]@private"].significant
    assert by_key["recall:sales[sex=Female]@private"].class_label == "sales"
    assert [g["outcome"] for g in comp.gates["gates"]] == ["fail", "pass"] and comp.verdict == "fail"
    assert "recall:sales[sex=Female]@private" in format_comparison(comp).split("Other changes")[0]


def test_a_planted_bias_for_women_fails_the_regression_gate_and_rmse_below_200_rows_is_not_decided(tmp_path):
    a = _run(tmp_path / "a", "regression", regression_table(np.random.default_rng(0)))
    b = _run(tmp_path / "b", "regression", regression_table(np.random.default_rng(0), female_bias=25.0))
    comp = compare_runs(a, b, max_drop=["mae[sex=Female]=5", "mae@reference=5"], n_boot=200)
    assert [g["outcome"] for g in comp.gates["gates"]] == ["fail", "pass"]
    assert {c.key for c in comp.changes if c.significant} >= {"mean_error[sex=Female]@private", "mae@private"}
    small = _run(tmp_path / "small", "regression", regression_table(np.random.default_rng(1), n=300))
    comp = compare_runs(small, small, max_drop=["rmse[sex=Female]=5"], n_boot=50)
    gate = comp.gates["gates"][0]
    assert gate["outcome"] == "inconclusive" and gate["interval"] is None and "fewer than 200 rows" in gate["reason"]


def test_runs_of_another_seed_on_other_rows_show_no_significant_change_and_label_drift_is_numeric(tmp_path):
    a = _run(tmp_path / "a", "regression", regression_table(np.random.default_rng(0)))
    b = _run(tmp_path / "b", "regression", regression_table(np.random.default_rng(1)))
    comp = compare_runs(a, b, max_drop=["mae=15"], n_boot=200)
    assert not comp.paired and not any(c.significant for c in comp.changes) and comp.verdict == "pass"
    label = next(t for t in comp.drift if t["feature"] == "y_true (label)")
    assert label["effect_name"] == "KS distance" and not label["significant"]


def test_two_trainings_of_one_multiclass_config_on_the_same_rows_pass_without_significant_change(tmp_path):
    a = _run(tmp_path / "a", "multiclass", class_table(np.random.default_rng(0), training_seed=1))
    b = _run(tmp_path / "b", "multiclass", class_table(np.random.default_rng(0), training_seed=2))
    comp = compare_runs(a, b, max_drop=["accuracy=0.05", "macro_f1=0.05"], n_boot=200)
    assert comp.paired and comp.verdict == "pass"
    assert not any(c.significant for c in comp.changes)
    assert any(c.delta != 0 for c in comp.changes)  # two different models, not one


def test_multiclass_runs_of_other_classes_are_refused(tmp_path):
    preds = class_table(np.random.default_rng(0))
    a = _run(tmp_path / "a", "multiclass", preds)
    over = task_record("multiclass")
    over["data"] = {**over["data"], "classes": [*CLASSES, "clerk"]}
    b = write_run(tmp_path / "b", preds, **over)
    with pytest.raises(DataError, match="different classes"):
        compare_runs(a, b)


def test_the_cli_compares_multiclass_and_regression_runs_with_exit_codes(tmp_path, capsys):
    a = _run(tmp_path / "a", "multiclass", class_table(np.random.default_rng(0)))
    b = _run(tmp_path / "b", "multiclass", class_table(np.random.default_rng(0), drop_female_sales_recall=0.5))
    gate = ["--max-drop", "recall:sales[sex=Female]=0.05", "--n-boot", "200"]
    assert main(["compare", str(a), str(a), *gate, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["task"] == "multiclass"
    assert main(["compare", str(a), str(b), *gate]) == 1 and capsys.readouterr().out.startswith("FAIL")
    r = _run(tmp_path / "r", "regression", regression_table(np.random.default_rng(0)))
    assert main(["compare", str(r), str(r), "--max-drop", "roc_auc=0.02"]) == 2
    assert "not a figure of a regression comparison" in capsys.readouterr().err
    assert main(["compare", str(a), str(r)]) == 2
    assert "different task" in capsys.readouterr().err
