"""Multiclass, regression and text audits through the public interface (issue 18).

Each audit runs the real pipeline (``run_audit``) on a small synthetic table built here.
Every stored number a reader relies on is recomputed independently: group metrics with
Fairlearn's ``MetricFrame`` from ``predictions.csv``, identity AUCs with scikit-learn on the
identity subsets; the record validates against the published JSON Schema and round-trips
through ``AuditResult.from_dict``; the gates on the new metrics resolve to the expected outcome.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    recall_score,
    roc_auc_score,
)

from audit.config import load_config
from audit.pipeline.runner import run_audit
from audit.records.rundir import verify_run
from audit.result import AuditResult
from reports._schema import load_schema, schema_problems
from tests.audit._task_tables import (
    GENDER_TERMS,
    IGNORE_INPUT_FACTORY,
    base_config,
    integer_class_table,
    merge,
    multiclass_table,
    regression_table,
    review_table,
    write_config,
)

jsonschema = pytest.importorskip("jsonschema")

MODELS = ("reference", "private")


def _schema_errors(data: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(load_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def _assert_valid_record(data: dict) -> AuditResult:
    assert _schema_errors(data) == []
    assert schema_problems(data) == []
    result = AuditResult.from_dict(data)
    assert result.to_dict() == data
    assert AuditResult.from_json(result.to_json()).to_dict() == data
    return result


def _gates(result: AuditResult) -> dict[str, object]:
    return {g.name: g for g in result.gates}


def _run(folder: Path, raw: dict, *, write: bool) -> tuple[AuditResult, Path | None, object]:
    config = load_config(write_config(folder, raw))
    outcome = run_audit(config, out=folder / "run" if write else None, write=write)
    return outcome.result, outcome.run_dir, config


def _predictions(run_dir: Path, model: str) -> pd.DataFrame:
    preds = pd.read_csv(run_dir / "predictions.csv", keep_default_na=False, dtype={"y_true": str, "y_pred": str})
    return preds[preds["model"] == model].reset_index(drop=True)


# ================================================================ multiclass


MULTICLASS_GATES = [
    {"metric": "accuracy", "model": "private", "min": 0.0, "name": "mc-accuracy-pass"},
    {"metric": "macro_f1", "model": "reference", "min": 0.99, "name": "mc-macro-f1-fail"},
    {"metric": "balanced_accuracy", "model": "reference", "min": 0.0, "name": "mc-balanced-pass"},
    {"metric": "accuracy_difference", "feature": "region", "max": 1.0, "name": "mc-accdiff-pass"},
    {"metric": "macro_f1_difference", "feature": "region", "model": "reference", "max": 1.0, "name": "mc-f1diff-pass"},
    {"metric": "selection_rate_difference_ovr", "feature": "region", "max": 1.0, "name": "mc-srd-pass"},
    {"metric": "recall_difference_ovr", "feature": "region", "max": 1.0, "name": "mc-recall-ovr-pass"},
    {"metric": "selection_rate_difference_ovr", "feature": "region", "max": 0.0, "name": "mc-srd-fail"},
    # every site has fewer test rows than min_group_size: nothing to compare -> inconclusive, with the reason
    {"metric": "accuracy_difference", "feature": "site", "max": 1.0, "name": "mc-site-inconclusive"},
]


@pytest.fixture(scope="module")
def multiclass_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multiclass")
    table = multiclass_table()
    table.loc[::60, "label"] = None  # 8 rows without a class: dropped and counted (data.drop_missing_target)
    table.to_csv(folder / "classes.csv", index=False)
    raw = base_config("multiclass", "classes.csv", target="label", sensitive_features=["region", "site"],
                      drop_missing_target=True)
    raw = merge(raw, privacy={"enabled": True, "target_epsilon": 4.0, "epochs": 2, "accountant": "rdp",
                              "membership_inference": True, "canary_audit": False},
                gates=MULTICLASS_GATES)
    result, run_dir, config = _run(folder, raw, write=True)
    return result, run_dir, config


def test_multiclass_run_completes_and_its_record_validates(multiclass_run):
    result, run_dir, _ = multiclass_run
    assert verify_run(run_dir)["ok"]
    data = json.loads((run_dir / "audit.json").read_text(encoding="utf-8"))
    record = _assert_valid_record(data)
    assert record.task == "multiclass-classification"
    assert data["data"]["task"] == "multiclass"
    assert data["data"]["classes"] == ["3", "7", "cat", "dog"]  # integer and string labels, as text
    assert 0 < data["data"]["class_counts_train"]["7"] < 20  # the tiny class is kept, not dropped
    assert data["data"]["rows_dropped_missing_target"] == {"training": 8}
    assert data["data"]["n_train"] + data["data"]["n_validation"] + data["data"]["n_test"] == 480 - 8
    assert "task_fairness" not in data  # schema 2.0: every model's group audit is in fairness
    assert set(data["fairness"]) == set(MODELS)
    assert all(data["fairness"][m]["classes"] == data["data"]["classes"] for m in MODELS)
    assert result.verdict == data["verdict"]


def test_multiclass_missing_group_is_its_own_group(multiclass_run):
    _, run_dir, _ = multiclass_run
    data = json.loads((run_dir / "audit.json").read_text(encoding="utf-8"))
    preds = _predictions(run_dir, "reference")
    groups = {g["group"]: g for g in data["fairness"]["reference"]["by_feature"]["region"]["groups"]}
    assert set(groups) == {"<missing>", "north", "south"}
    assert groups["<missing>"]["n"] == int((preds["region"] == "<missing>").sum()) > 0


@pytest.mark.parametrize("model", MODELS)
def test_multiclass_model_summary_equals_scikit_learn_on_predictions_csv(multiclass_run, model):
    result, run_dir, _ = multiclass_run
    p = _predictions(run_dir, model)
    classes = result.to_dict()["data"]["classes"]
    summary = result.models[model]
    assert summary.test_accuracy == pytest.approx(accuracy_score(p["y_true"], p["y_pred"]), abs=1e-12)
    assert summary.test_macro_f1 == pytest.approx(
        f1_score(p["y_true"], p["y_pred"], labels=classes, average="macro", zero_division=0), abs=1e-12)
    assert summary.test_balanced_accuracy == pytest.approx(balanced_accuracy_score(p["y_true"], p["y_pred"]), abs=1e-12)
    assert set(p["y_pred"]) <= set(classes) and set(p["y_true"]) <= set(classes)
    assert ((p["y_score"] > 0) & (p["y_score"] <= 1)).all()  # probability of the predicted class


def _macro_recall(y_true, y_pred):
    return recall_score(y_true, y_pred, average="macro", zero_division=0)


def _macro_f1(y_true, y_pred):
    return f1_score(y_true, y_pred, average="macro", zero_division=0)


@pytest.mark.parametrize("model", MODELS)
def test_multiclass_group_metrics_equal_fairlearn_metricframe(multiclass_run, model):
    _, run_dir, _ = multiclass_run
    data = json.loads((run_dir / "audit.json").read_text(encoding="utf-8"))
    p = _predictions(run_dir, model)
    block = data["fairness"][model]["by_feature"]["region"]
    mf = MetricFrame(metrics={"accuracy": accuracy_score, "macro_recall": _macro_recall, "macro_f1": _macro_f1},
                     y_true=p["y_true"], y_pred=p["y_pred"], sensitive_features=p["region"])
    for group in block["groups"]:
        for metric in ("accuracy", "macro_recall", "macro_f1"):
            assert group[metric]["value"] == pytest.approx(mf.by_group.loc[group["group"], metric], abs=1e-12), \
                (group["group"], metric)
        rows = p[p["region"] == group["group"]]
        for cls, rate in group["selection_rate"].items():
            assert rate == pytest.approx(float((rows["y_pred"] == cls).mean()), abs=1e-12)
    for name, metric in (("accuracy_difference", "accuracy"), ("macro_recall_difference", "macro_recall"),
                         ("macro_f1_difference", "macro_f1")):
        entry = block["disparities"][name]
        used = entry["groups_used"]
        sufficient = sorted(g["group"] for g in block["groups"] if g["sufficient"])
        assert sorted(used) == sufficient and len(used) >= 2  # groups below min_group_size are reported, not compared
        assert all(g["sufficient"] == (g["n"] >= 20) for g in block["groups"])
        expected = mf.by_group.loc[used, metric].max() - mf.by_group.loc[used, metric].min()
        assert entry["value"] == pytest.approx(expected, abs=1e-12)
        assert entry["ci"][0] <= entry["value"] <= entry["ci"][1]
    srd = block["disparities"]["selection_rate_difference_ovr"]
    rows = p[p["region"].isin(srd["groups_used"])]
    for cls, value in srd["by_class"].items():
        rates = (rows["y_pred"] == cls).groupby(rows["region"]).mean()
        assert value == pytest.approx(rates.max() - rates.min(), abs=1e-12), cls
    assert srd["value"] == max(srd["by_class"].values()) == srd["by_class"][srd["worst_class"]]
    site = data["fairness"][model]["by_feature"]["site"]
    assert sum(g["sufficient"] for g in site["groups"]) < 2 and site["disparities"]["accuracy_difference"]["value"] is None


def test_multiclass_gates_resolve_the_new_metrics(multiclass_run):
    result, _, _ = multiclass_run
    gates = _gates(result)
    assert gates["mc-accuracy-pass"].outcome == "pass"
    assert gates["mc-macro-f1-fail"].outcome == "fail"
    assert gates["mc-balanced-pass"].outcome == "pass"
    assert gates["mc-accdiff-pass"].outcome == "pass"
    assert gates["mc-f1diff-pass"].outcome == "pass"
    assert gates["mc-srd-pass"].outcome == "pass"
    assert gates["mc-recall-ovr-pass"].outcome == "pass"
    assert gates["mc-srd-fail"].outcome == "fail"
    site = gates["mc-site-inconclusive"]
    assert site.outcome == "inconclusive" and site.value is None
    assert "group" in (site.reason or "")
    assert result.verdict == "fail"


def test_multiclass_explanations_and_membership_audit_ran(multiclass_run):
    result, _, _ = multiclass_run
    data = result.to_dict()
    for model in MODELS:
        assert data["explainability"][model]["global_importance"]
    attacks = data["privacy"]["membership_inference"]["private"]["attacks"]
    assert attacks and all(0 <= a["auc"] <= 1 for a in attacks.values() if a.get("auc") is not None)


# ================================================================ regression


REGRESSION_GATES = [
    {"metric": "mae", "model": "reference", "max": 1e12, "name": "reg-mae-pass"},
    {"metric": "rmse", "model": "reference", "max": 1e12, "name": "reg-rmse-pass"},
    {"metric": "r2", "model": "reference", "min": 0.999, "name": "reg-r2-fail"},
    {"metric": "mae_increase", "max": 1e12, "name": "reg-mae-increase-pass"},
    {"metric": "mae_difference", "feature": "area", "max": 1e12, "name": "reg-mae-diff-pass"},
    {"metric": "worst_group_mae", "feature": "area", "model": "reference", "max": 1.0, "name": "reg-worst-mae-fail"},
    {"metric": "rmse_ratio", "feature": "area", "model": "reference", "min": 0.0, "name": "reg-rmse-ratio-pass"},
]


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("regression")
    regression_table().to_csv(folder / "income.csv", index=False)
    raw = base_config("regression", "income.csv", target="income", sensitive_features=["area"])
    raw = merge(raw, privacy={"enabled": True, "target_epsilon": 8.0, "epochs": 2, "accountant": "rdp",
                              "membership_inference": True, "canary_audit": False},
                gates=REGRESSION_GATES)
    result, run_dir, config = _run(folder, raw, write=True)
    return result, run_dir, config


def test_regression_record_validates_against_the_schema(regression_run):
    _, run_dir, _ = regression_run
    data = json.loads((run_dir / "audit.json").read_text(encoding="utf-8"))
    assert _schema_errors(data) == []


def test_cards_render_again_from_a_regression_run(regression_run, tmp_path, capsys):
    from audit.cli import main

    _, run_dir, _ = regression_run
    code = main(["card", str(run_dir), "--out", str(tmp_path / "cards")])
    assert code == 0, capsys.readouterr().err[-2000:]


@pytest.mark.parametrize("fixture", ["multiclass_run", "text_run"])
def test_cards_render_again_from_a_run(fixture, request, tmp_path, capsys):
    from audit.cli import main

    _, run_dir, _ = request.getfixturevalue(fixture)
    code = main(["card", str(run_dir), "--out", str(tmp_path / "cards")])
    assert code == 0, capsys.readouterr().err[-2000:]
    assert (tmp_path / "cards" / "model_card.md").is_file()
    assert verify_run(run_dir)["ok"]


def test_regression_run_completes_and_round_trips(regression_run):
    result, run_dir, _ = regression_run
    assert verify_run(run_dir)["ok"]
    data = json.loads((run_dir / "audit.json").read_text(encoding="utf-8"))
    record = AuditResult.from_dict(data)
    assert record.to_dict() == data and AuditResult.from_json(record.to_json()).to_dict() == data
    assert schema_problems(data) == []
    assert record.task == "regression" and data["data"]["task"] == "regression"
    summary = data["data"]["target_summary"]
    raw = pd.read_csv(run_dir.parent / "income.csv")["income"]
    # the summary is read back from the float32 training target: equal to float32 precision
    assert summary["min"] == pytest.approx(raw.min(), rel=1e-6) and summary["max"] == pytest.approx(raw.max(), rel=1e-6)
    assert summary["min"] < summary["mean"] < summary["max"]
    for model in MODELS:
        assert data["models"][model]["test_accuracy"] is None


@pytest.mark.parametrize("model", MODELS)
def test_regression_summary_and_group_errors_equal_fairlearn_metricframe(regression_run, model):
    result, run_dir, _ = regression_run
    data = json.loads((run_dir / "audit.json").read_text(encoding="utf-8"))
    p = _predictions(run_dir, model)
    y, yhat = p["y_true"].astype(float), p["y_pred"].astype(float)
    assert result.models[model].test_mae == pytest.approx(mean_absolute_error(y, yhat), rel=1e-9)
    assert result.models[model].test_rmse == pytest.approx(mean_squared_error(y, yhat) ** 0.5, rel=1e-9)
    block = data["fairness"][model]["by_feature"]["area"]
    mf = MetricFrame(metrics={"mae": mean_absolute_error, "rmse": lambda a, b: mean_squared_error(a, b) ** 0.5},
                     y_true=y, y_pred=yhat, sensitive_features=p["area"])
    groups = {g["group"]: g for g in block["groups"]}
    assert set(groups) == {"urban", "rural", "island"}
    assert groups["island"]["sufficient"] is False  # the tiny group is reported, not compared
    for name, group in groups.items():
        assert group["mae"]["value"] == pytest.approx(mf.by_group.loc[name, "mae"], rel=1e-9)
        assert group["rmse"]["value"] == pytest.approx(mf.by_group.loc[name, "rmse"], rel=1e-9)
    diff = block["disparities"]["mae_difference"]
    used = diff["groups_used"]
    assert sorted(used) == ["rural", "urban"]
    assert diff["value"] == pytest.approx(mf.by_group.loc[used, "mae"].max() - mf.by_group.loc[used, "mae"].min(), rel=1e-9)
    worst = block["disparities"]["worst_group_rmse"]
    assert worst["value"] == pytest.approx(mf.by_group.loc[used, "rmse"].max(), rel=1e-9)
    assert worst["worst_group"] == mf.by_group.loc[used, "rmse"].idxmax()


def test_mae_intervals_of_a_small_group_are_never_negative():
    from audit.fairness import regression_fairness_report

    y_true = np.zeros(43)
    y_pred = np.r_[np.full(40, 0.5), [0.1, 0.1, 30.0]]  # group "c": three rows, one large error
    sensitive = pd.DataFrame({"g": ["a"] * 20 + ["b"] * 20 + ["c"] * 3})
    report = regression_fairness_report(y_true=y_true, y_pred=y_pred, sensitive=sensitive, n_boot=50, min_group_size=10)
    for group in report["by_feature"]["g"]["groups"]:  # an interval is never negative, or withheld with its reason
        assert (group["mae"]["ci"][0] >= 0 if group["mae"]["ci"] else bool(group["mae"]["ci_reason"])), group


def test_regression_gates_resolve_the_new_metrics(regression_run):
    result, _, _ = regression_run
    gates = _gates(result)
    for name in ("reg-mae-pass", "reg-rmse-pass", "reg-mae-increase-pass", "reg-mae-diff-pass", "reg-rmse-ratio-pass"):
        assert gates[name].outcome == "pass", (name, gates[name].message)
    assert gates["reg-r2-fail"].outcome == "fail"
    assert gates["reg-worst-mae-fail"].outcome == "fail"
    increase = gates["reg-mae-increase-pass"].value
    assert increase == pytest.approx(result.models["private"].test_mae - result.models["reference"].test_mae)


def test_regression_membership_audit_uses_the_loss_attack(regression_run):
    result, _, _ = regression_run
    mia = result.to_dict()["privacy"]["membership_inference"]
    assert "loss_threshold" in mia["reference"]["attacks"]
    assert mia["private"]["attacks"]


# ================================================================ degenerate models


@pytest.fixture(scope="module")
def degenerate_runs(tmp_path_factory):
    """A multiclass (integer labels) and a regression audit of a model that ignores its input."""
    folder = tmp_path_factory.mktemp("degenerate")
    for sub in ("mc", "reg"):  # the factory module sits next to each config
        (folder / sub).mkdir()
        (folder / sub / "ignores_input_tasks.py").write_text(IGNORE_INPUT_FACTORY, encoding="utf-8")
    integer_class_table().to_csv(folder / "ints.csv", index=False)
    regression_table(n=300, seed=5).to_csv(folder / "income.csv", index=False)
    model = {"kind": "factory", "factory": "ignores_input_tasks:build", "hidden": None}
    mc = merge(base_config("multiclass", "../ints.csv", target="label", sensitive_features=["sex"]), model=model,
               explain={"enabled": False},
               gates=[{"metric": "accuracy_difference", "feature": "sex", "model": "reference", "max": 1.0, "name": "d-acc"},
                      {"metric": "accuracy", "model": "reference", "min": 0.0, "name": "d-accuracy"}])
    reg = merge(base_config("regression", "../income.csv", target="income", sensitive_features=["area"]), model=model,
                explain={"enabled": False},
                gates=[{"metric": "mae_difference", "feature": "area", "model": "reference", "max": 1e12, "name": "d-mae"},
                       {"metric": "mae", "model": "reference", "max": 1e12, "name": "d-mae-overall"}])
    mc_result, _, _ = _run(folder / "mc", mc, write=False)
    reg_result, _, _ = _run(folder / "reg", reg, write=False)
    return mc_result, reg_result


def test_integer_labels_stay_class_labels(degenerate_runs):
    mc, _ = degenerate_runs
    data = mc.to_dict()
    assert data["data"]["classes"] == ["0", "1", "2"]
    _assert_valid_record(data)


def test_a_multiclass_model_that_ignores_its_input_is_degenerate_and_its_gates_inconclusive(degenerate_runs):
    mc, _ = degenerate_runs
    degenerate = mc.to_dict()["models"]["reference"]["degenerate"]
    assert degenerate["degenerate"] is True
    assert degenerate["checks"]["constant_predictions"]["flagged"] is True
    assert any("predicts" in r for r in degenerate["reasons"])
    gates = _gates(mc)
    assert gates["d-acc"].outcome == "inconclusive"  # parity holds trivially for a constant model
    assert gates["d-accuracy"].outcome == "inconclusive"


def test_a_regression_model_that_ignores_its_input_is_degenerate_and_its_gates_inconclusive(degenerate_runs):
    _, reg = degenerate_runs
    data = reg.to_dict()
    degenerate = data["models"]["reference"]["degenerate"]
    assert degenerate["degenerate"] is True
    assert degenerate["checks"]["constant_predictions"]["flagged"] is True
    assert any("barely vary" in r for r in degenerate["reasons"])
    gates = _gates(reg)
    assert gates["d-mae"].outcome == "inconclusive"
    assert gates["d-mae-overall"].outcome == "inconclusive"
    _assert_valid_record(data)


# ================================================================ text


TEXT_GATES = [
    {"metric": "subgroup_auc_min", "model": "reference", "min": 0.5, "name": "t-subgroup-pass"},
    {"metric": "bpsn_auc_min", "model": "reference", "min": 0.9999, "name": "t-bpsn-fail"},
    {"metric": "counterfactual_flip_rate", "model": "reference", "max": 1.0, "name": "t-flip-pass"},
    {"metric": "counterfactual_score_change", "model": "reference", "max": 1.0, "name": "t-score-pass"},
    {"metric": "accuracy", "model": "reference", "min": 0.6, "name": "t-accuracy-pass"},
]


def _text_config(csv: str, *, sensitive: list[str], gates: list[dict]) -> dict:
    raw = base_config("binary", csv, target="label", positive_label="positive", text_column="review",
                      sensitive_features=sensitive)
    return merge(raw, model={"kind": "text", "embedding_dim": 8, "hidden": None},
                 training={"epochs": 3, "batch_size": 32, "learning_rate": 0.05},
                 text={"max_length": 24, "min_count": 1, "n_examples": 2, "counterfactual_max_texts": 200},
                 gates=gates)


@pytest.fixture(scope="module")
def text_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    review_table().to_csv(folder / "reviews.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def text_run(text_folder):
    raw = _text_config("reviews.csv", sensitive=["region"], gates=TEXT_GATES)
    result, run_dir, config = _run(text_folder, raw, write=True)
    return result, run_dir, config


def test_text_run_completes_and_its_record_validates(text_run):
    result, run_dir, _ = text_run
    assert verify_run(run_dir)["ok"]
    data = json.loads((run_dir / "audit.json").read_text(encoding="utf-8"))
    _assert_valid_record(data)
    assert data["task"] == "text-classification"
    assert data["data"]["text_column"] == "review" and data["data"]["text"]["vocabulary_size"] > 20
    assert data["text"]["mentions"]["gender"] > 0
    assert "region" in data["fairness"]["reference"]["by_feature"]  # the group column is still audited
    assert result.models["reference"].test_accuracy > 0.6


def test_text_audit_does_not_claim_the_sensitive_column_is_a_model_input(text_run):
    _, run_dir, _ = text_run
    data = json.loads((run_dir / "audit.json").read_text(encoding="utf-8"))
    assert data["data"]["features"] == ["review"]
    card = (run_dir / "model_card.md").read_text(encoding="utf-8")
    assert "used as model inputs" not in card
    assert data["data"]["sensitive_used_as_features"] is False


def _identity_masks(config, n_test: int) -> dict[str, np.ndarray]:
    """Category masks over the test texts, recomputed from the prepared split (same config, same seed)."""
    from audit.data import prepare_data
    from audit.text import mentions

    prepared, _ = prepare_data(config)
    texts = prepared.raw_test["review"].fillna("").astype(str).tolist()
    assert len(texts) == n_test
    found = mentions(texts, categories=list(config.text.identity_categories))
    masks = {cat: np.any(np.stack(list(terms.values())), axis=0) for cat, terms in found.items()}
    # independent of audit.text: our texts mention gender only through these four words
    ours = np.array([bool(re.search(r"\b(" + "|".join(GENDER_TERMS) + r")\b", t, re.IGNORECASE)) for t in texts])
    np.testing.assert_array_equal(masks["gender"], ours)
    return masks


def test_identity_aucs_equal_scikit_learn_on_the_identity_subsets(text_run):
    result, run_dir, config = text_run
    data = json.loads((run_dir / "audit.json").read_text(encoding="utf-8"))
    p = _predictions(run_dir, "reference")
    y, s = p["y_true"].astype(int).to_numpy(), p["y_score"].to_numpy()
    masks = _identity_masks(config, len(p))
    identity = data["text"]["models"]["reference"]["identity_auc"]
    assert identity["overall_auc"]["value"] == pytest.approx(roc_auc_score(y, s), abs=1e-12)
    checked = 0
    for category, mask in masks.items():
        entry = identity["subgroups"].get(category)
        if entry is None:
            continue
        assert entry["n"] == int(mask.sum())
        families = {"subgroup_auc": mask, "bpsn_auc": (mask & (y == 0)) | (~mask & (y == 1)),
                    "bnsp_auc": (mask & (y == 1)) | (~mask & (y == 0))}
        for family, rows in families.items():
            value = entry[family]["value"]
            if value is None:
                assert entry[family]["reason"]
                continue
            assert value == pytest.approx(roc_auc_score(y[rows], s[rows]), abs=1e-12), (category, family)
            checked += 1
    assert checked >= 3
    worst = identity["worst"]["bpsn_auc"]
    values = [e["bpsn_auc"]["value"] for e in identity["subgroups"].values() if e["bpsn_auc"]["value"] is not None]
    assert worst["value"] == min(values)


def test_text_gates_resolve(text_run):
    result, _, _ = text_run
    gates = _gates(result)
    for name in ("t-subgroup-pass", "t-flip-pass", "t-score-pass", "t-accuracy-pass"):
        assert gates[name].outcome == "pass", (name, gates[name].message)
    assert gates["t-bpsn-fail"].outcome == "fail"
    worst = result.to_dict()["text"]["models"]["reference"]["identity_auc"]["worst"]["bpsn_auc"]["value"]
    assert gates["t-bpsn-fail"].value == worst


def test_token_attributions_name_real_tokens_and_are_stable_under_the_seed(text_run, text_folder):
    result, _, config = text_run
    tokens = result.to_dict()["text"]["models"]["reference"]["tokens"]
    top = [row["token"] for row in tokens["global"]["top_abs"][:8]]
    vocabulary = set(" ".join(pd.read_csv(text_folder / "reviews.csv")["review"]).lower().replace(".", " ")
                     .replace("!", " ").replace(",", " ").split())
    assert top and set(top) <= vocabulary
    again = run_audit(config, write=False).result.to_dict()["text"]["models"]["reference"]["tokens"]
    assert [row["token"] for row in again["global"]["top_abs"][:8]] == top
    np.testing.assert_allclose([r["mean_abs_attribution"] for r in again["global"]["top_abs"][:8]],
                               [r["mean_abs_attribution"] for r in tokens["global"]["top_abs"][:8]], rtol=1e-6)


def test_text_audit_without_a_sensitive_column(tmp_path):
    review_table(n=300, seed=11, identity_share=0.05).to_csv(tmp_path / "few.csv", index=False)
    gates = [{"metric": "subgroup_auc_min", "model": "reference", "min": 0.5, "name": "t-subgroup-few"},
             {"metric": "counterfactual_flip_rate", "model": "reference", "max": 1.0, "name": "t-flip"}]
    raw = merge(_text_config("few.csv", sensitive=[], gates=gates), explain={"enabled": False})
    result, _, _ = _run(tmp_path, raw, write=False)
    data = result.to_dict()
    _assert_valid_record(data)
    assert data["data"]["sensitive_features"] == []
    assert not data.get("task_fairness") and not (data.get("fairness") or {}).get("reference", {}).get("by_feature")
    assert data["text"]["models"]["reference"]["identity_auc"]
    # too few texts mention identities for an AUC: the gate cannot pass, and says why
    subgroup = _gates(result)["t-subgroup-few"]
    assert subgroup.outcome == "inconclusive" and subgroup.reason


def test_three_class_text_audit(tmp_path):
    review_table(n=360, seed=12, classes=3).to_csv(tmp_path / "three.csv", index=False)
    raw = _text_config("three.csv", sensitive=["region"], gates=[
        {"metric": "macro_f1", "model": "reference", "min": 0.0, "name": "t3-f1"},
        {"metric": "accuracy_difference", "feature": "region", "model": "reference", "max": 1.0, "name": "t3-accdiff"}])
    raw = merge(raw, task="multiclass", data={"positive_label": None})
    result, _, _ = _run(tmp_path, raw, write=False)
    data = result.to_dict()
    _assert_valid_record(data)
    assert data["task"] == "text-classification" and data["data"]["classes"] == ["negative", "neutral", "positive"]
    audit = data["text"]["models"]["reference"]
    assert audit.get("counterfactual") is None and audit.get("identity_auc") is None
    assert "binary" in json.dumps(audit.get("skipped"))  # says why the binary-only audits were skipped
    assert audit["tokens"]["global"]["top_abs"]
    assert "region" in data["fairness"]["reference"]["by_feature"]
    assert {g.name: g.outcome for g in result.gates} == {"t3-f1": "pass", "t3-accdiff": "pass"}


# ================================================================ the user's values, unchanged


def test_integer_classes_with_missing_training_targets_match_the_test_file(tmp_path):
    table = integer_class_table(n=300)
    train, test = table.iloc[:220].astype({"label": object}), table.iloc[220:]
    train.loc[[3, 10], "label"] = None  # read back as a float column: 0.0, 1.0, 2.0, NaN
    train.to_csv(tmp_path / "train.csv", index=False)
    test.to_csv(tmp_path / "test.csv", index=False)
    raw = merge(base_config("multiclass", "train.csv", target="label", sensitive_features=["sex"], test_path="test.csv",
                            drop_missing_target=True), explain={"enabled": False})
    result, _, _ = _run(tmp_path, raw, write=False)
    assert result.to_dict()["data"]["classes"] == ["0", "1", "2"]


def test_regression_predictions_keep_the_users_target_values(tmp_path):
    table = regression_table(n=300)
    table.iloc[:200].to_csv(tmp_path / "train.csv", index=False)
    table.iloc[200:].to_csv(tmp_path / "test.csv", index=False)
    raw = merge(base_config("regression", "train.csv", target="income", sensitive_features=["area"],
                            test_path="test.csv"), explain={"enabled": False})
    _, run_dir, _ = _run(tmp_path, raw, write=True)
    p = _predictions(run_dir, "reference")
    expected = pd.read_csv(tmp_path / "test.csv")["income"].to_numpy()
    np.testing.assert_allclose(p["y_true"].astype(float).to_numpy(), expected, rtol=1e-12)


# ================================================================ rai-audit fairness on a run's predictions.csv


def _cli_report(run_dir: Path, config, model: str, *extra: str) -> dict:
    import contextlib
    import io

    from audit.cli import main

    f = config.fairness
    sensitive = list(config.data.sensitive_features)
    args = ["fairness", str(run_dir / "predictions.csv"), "--y-true", "y_true", "--y-pred", "y_pred", "--sensitive",
            *sensitive, "--model", model, "--n-boot", str(f.n_boot), "--ci-level", str(f.ci_level),
            "--min-group-size", str(f.min_group_size), "--min-group-positives", str(f.min_group_positives),
            "--seed", str(config.training.seed), "--json", *extra]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(args) == 0
    return json.loads(out.getvalue())


@pytest.mark.parametrize("model", MODELS)
def test_the_fairness_command_reproduces_a_multiclass_runs_group_figures(multiclass_run, model):
    result, run_dir, config = multiclass_run
    recorded = result.to_dict()["fairness"][model]
    got = _cli_report(run_dir, config, model, "--classes", *result.data.classes)  # --task inferred
    assert got["task"] == "multiclass" and got["by_feature"] == recorded["by_feature"]
    p = _predictions(run_dir, model)
    mf = MetricFrame(metrics={"accuracy": accuracy_score, "macro_f1": _macro_f1}, y_true=p["y_true"], y_pred=p["y_pred"],
                     sensitive_features=p["region"])
    for group in got["by_feature"]["region"]["groups"]:
        assert group["accuracy"]["value"] == pytest.approx(mf.by_group.loc[group["group"], "accuracy"], abs=1e-12)
        assert group["macro_f1"]["value"] == pytest.approx(mf.by_group.loc[group["group"], "macro_f1"], abs=1e-12)


@pytest.mark.parametrize("model", MODELS)
def test_the_fairness_command_reproduces_a_regression_runs_group_figures(regression_run, model):
    result, run_dir, config = regression_run
    recorded = result.to_dict()["fairness"][model]
    got = _cli_report(run_dir, config, model)  # numbers with decimals: --task regression inferred
    assert got["task"] == "regression" and got["by_feature"] == recorded["by_feature"]
    p = _predictions(run_dir, model)
    y, yhat = p["y_true"].astype(float), p["y_pred"].astype(float)
    mf = MetricFrame(metrics={"mae": mean_absolute_error}, y_true=y, y_pred=yhat, sensitive_features=p["area"])
    for group in got["by_feature"]["area"]["groups"]:
        assert group["mae"]["value"] == pytest.approx(mf.by_group.loc[group["group"], "mae"], rel=1e-9)


def test_the_fairness_command_asks_for_the_task_when_the_labels_are_ambiguous(tmp_path, capsys):
    from audit.cli import main

    frame = pd.DataFrame({"y": [0, 1, 2, 3] * 30, "p": [0, 1, 2, 2] * 30, "g": ["a", "b"] * 60})
    frame.to_csv(tmp_path / "p.csv", index=False)
    args = ["fairness", str(tmp_path / "p.csv"), "--y-true", "y", "--y-pred", "p", "--sensitive", "g", "--n-boot", "0"]
    assert main(args) == 2
    assert "--task multiclass or --task regression" in capsys.readouterr().err
    assert main([*args, "--task", "multiclass", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["task"] == "multiclass"
