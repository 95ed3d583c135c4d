"""Hostile and mistaken inputs for the multiclass, regression and text audits (issue 18), through `rai-audit run`.

Every refused input exits 2 with an ``error:`` paragraph that says what was expected, what was
found and how to fix it, and leaves nothing on disk (no run directory, no hidden temporary
folder). Hostile texts (empty, 10,000 characters, punctuation only, emoji, right-to-left and
control characters, HTML) are not refused: the run completes and the texts reach ``audit.json``
verbatim and safely.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.audit._task_tables import base_config, merge, multiclass_table, regression_table, review_table, write_config

# ---------------------------------------------------------------- harness


def _snapshot(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if "__pycache__" not in p.parts}


def _cli(argv: list[str], work: Path, monkeypatch, capsys) -> tuple[int, str, str]:
    from audit.cli import main

    monkeypatch.chdir(work)
    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _refused(tmp_path: Path, raw: dict, tables: dict[str, pd.DataFrame], monkeypatch, capsys) -> str:
    """Run the config through the CLI; assert a clean exit 2 that leaves nothing behind; the message."""
    work = tmp_path / "work"
    work.mkdir()
    for name, frame in tables.items():
        frame.to_csv(work / name, index=False)
    write_config(work, raw)
    before = _snapshot(tmp_path)
    code, out, err = _cli(["run", "audit.toml", "--out", str(work / "runs" / "out"), "--quiet"], work, monkeypatch, capsys)
    shown = f"\n--- stdout ---\n{out[-3000:]}\n--- stderr ---\n{err[-3000:]}"
    assert code == 2, f"exit {code}, expected 2{shown}"
    assert err.startswith("error:") or "\nerror:" in err, shown
    assert "Traceback" not in out + err and "likely a bug" not in err, shown
    new = _snapshot(tmp_path) - before
    assert not new, f"a refused run left files behind: {sorted(new)[:10]}"
    assert not (work / "runs").exists()
    return " ".join(err.split()).lower()  # one line, lower case: messages wrap


def _has(message: str, *words: str) -> None:
    for word in words:
        assert " ".join(word.lower().split()) in message, f"message lacks {word!r}:\n{message}"


def _mc(**overrides) -> tuple[dict, dict]:
    raw = base_config("multiclass", "classes.csv", target="label", sensitive_features=["region"])
    return merge(raw, **overrides), {"classes.csv": multiclass_table(n=240)}


def _reg(frame: pd.DataFrame | None = None, **overrides) -> tuple[dict, dict]:
    raw = base_config("regression", "income.csv", target="income", sensitive_features=["area"])
    return merge(raw, **overrides), {"income.csv": regression_table(n=240) if frame is None else frame}


def _text(**overrides) -> tuple[dict, dict]:
    raw = base_config("binary", "reviews.csv", target="label", positive_label="positive", text_column="review",
                      sensitive_features=["region"])
    raw = merge(raw, model={"kind": "text", "embedding_dim": 8, "hidden": None},
                text={"max_length": 16, "min_count": 1})
    frame = review_table(n=240)
    frame["stars"] = np.arange(len(frame)) % 5 + 1
    return merge(raw, **overrides), {"reviews.csv": frame}


# ---------------------------------------------------------------- targets


def test_multiclass_target_with_one_class(tmp_path, monkeypatch, capsys):
    raw, tables = _mc()
    tables["classes.csv"]["label"] = "cat"
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "target column 'label'", "1 classes", "['cat']", "takes 2 to 50", "task = \"regression\"")


def test_multiclass_target_with_sixty_classes(tmp_path, monkeypatch, capsys):
    raw, tables = _mc()
    frame = multiclass_table(n=600)
    frame["label"] = [f"job-{i % 60:02d}" for i in range(len(frame))]
    tables["classes.csv"] = frame
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "60 classes", "job-00", "takes 2 to 50", "group rare classes")


def test_multiclass_test_file_with_a_class_never_seen_in_training(tmp_path, monkeypatch, capsys):
    raw, tables = _mc(data={"test_path": "test.csv"})
    test = multiclass_table(n=120, seed=9)
    test.loc[:4, "label"] = "hamster"
    tables["test.csv"] = test
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "hamster", "do not occur in the training rows", "'cat'", "drop those rows")


def test_multiclass_class_with_a_single_row(tmp_path, monkeypatch, capsys):
    raw, tables = _mc()
    tables["classes.csv"].loc[5, "label"] = "unicorn"  # one row: no stratified split can put it on both sides
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "stratified split", "expected at least 2 rows of every class", "unicorn", "only 1 member",
         "fix: drop or merge the class", "data.test_path")


def test_multiclass_missing_target_values_point_to_drop_missing_target(tmp_path, monkeypatch, capsys):
    raw, tables = _mc()
    tables["classes.csv"].loc[:6, "label"] = None
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "target column 'label'", "7 missing value", "drop or fill those rows")


def test_regression_target_with_text_values(tmp_path, monkeypatch, capsys):
    frame = regression_table(n=240).astype({"income": object})
    frame.loc[[3, 50], "income"] = ["unknown", "twelve thousand"]
    raw, tables = _reg(frame)
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "must hold numbers", "2 value(s)", "unknown", "twelve thousand", "clean the column", "task = \"multiclass\"")


def test_regression_target_with_infinite_values(tmp_path, monkeypatch, capsys):
    frame = regression_table(n=240)
    frame.loc[[7], "income"] = np.inf
    raw, tables = _reg(frame)
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "target column 'income'", "infinite values", "drop or fix those rows")


def test_regression_target_that_is_constant(tmp_path, monkeypatch, capsys):
    frame = regression_table(n=240)
    frame["income"] = 5000.0
    raw, tables = _reg(frame)
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "target column 'income'", "is constant", "5000.0", "a regression needs a target that varies",
         "fix: check the column")


# ---------------------------------------------------------------- config: task, labels, models


def test_positive_label_with_a_multiclass_task(tmp_path, monkeypatch, capsys):
    raw, tables = _mc(data={"positive_label": "cat"})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'data.positive_label' applies to binary tasks", "\"multiclass\"", "positive_label = 'cat'", "remove it")


def test_task_misspelt(tmp_path, monkeypatch, capsys):
    raw, tables = _mc(task="multiclas")
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "multiclas", "did you mean 'multiclass'", "\"binary\"", "\"regression\"")


def test_text_column_missing_from_the_table(tmp_path, monkeypatch, capsys):
    raw, tables = _text(data={"text_column": "comment"})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    # One check for every column-naming key (issue 26) words it as for drop_columns: the name, what was found, the fix.
    _has(msg, "data.text_column names 'comment', which is not a column", "columns found: ['review'",
         "fix: set data.text_column")


def test_text_column_in_the_wrong_case_is_named(tmp_path, monkeypatch, capsys):
    raw, tables = _text(data={"text_column": "Review"})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'review' exists", "case-sensitive", "fix: set data.text_column")


def test_text_column_that_holds_numbers(tmp_path, monkeypatch, capsys):
    raw, tables = _text(data={"text_column": "stars"})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'stars'", "int64 values", "expected texts", "fix: name the column of texts")


def test_text_column_that_is_the_target(tmp_path, monkeypatch, capsys):
    raw, tables = _text(data={"text_column": "label"})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'data.text_column'", "'label'", "also the target", "fix: name the column of texts only there")


def test_text_model_without_a_text_column(tmp_path, monkeypatch, capsys):
    raw, tables = _mc(model={"kind": "text", "hidden": None})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'model.kind' = \"text\"", "data.text_column is not set", "fix", "kind = \"mlp\"")


def test_tabular_model_with_a_text_column(tmp_path, monkeypatch, capsys):
    raw, tables = _text(model={"kind": "mlp", "hidden": [8]})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'model.kind' = \"mlp\"", "data.text_column is set", "fix", "model.kind = \"text\"")


def test_text_column_with_a_regression(tmp_path, monkeypatch, capsys):
    raw, tables = _text(task="regression", data={"positive_label": None})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'data.text_column'", "binary or multiclass", "task = \"regression\"", "fix")


def test_empty_sensitive_features_without_texts(tmp_path, monkeypatch, capsys):
    raw, tables = _mc(data={"sensitive_features": []})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'data.sensitive_features'", "expected at least one column", "found []", "data.text_column")


# ---------------------------------------------------------------- config: privacy, fairness, gates


def test_regression_with_input_canaries(tmp_path, monkeypatch, capsys):
    raw, tables = _reg(privacy={"enabled": True, "canary_audit": True, "canary_kind": "input"})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'privacy.canary_kind' = \"input\"", "regression has no labels", "fix: use \"gradient\" or \"auto\"")


def test_utility_curve_with_a_multiclass_task(tmp_path, monkeypatch, capsys):
    raw, tables = _mc(privacy={"enabled": True, "utility_curve": [1.0, 4.0]})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'privacy.utility_curve'", "binary decisions", "task is \"multiclass\"", "fix: remove privacy.utility_curve")


def test_roc_auc_gate_on_a_regression(tmp_path, monkeypatch, capsys):
    raw, tables = _reg(gates=[{"metric": "roc_auc", "model": "reference", "min": 0.7}])
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'gates[0].metric' = \"roc_auc\"", "binary", "task is \"regression\"", "remove the gate")


def test_accuracy_gate_on_a_regression(tmp_path, monkeypatch, capsys):
    raw, tables = _reg(gates=[{"metric": "accuracy", "model": "reference", "min": 0.7}])
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "\"accuracy\"", "task is \"regression\"", "gate on a metric of this task")


def test_text_metric_gate_without_texts(tmp_path, monkeypatch, capsys):
    raw, tables = _mc(task=None, data={"target": "label", "positive_label": "cat"},
                      gates=[{"metric": "counterfactual_flip_rate", "model": "reference", "max": 0.1}])
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "\"counterfactual_flip_rate\"", "text audits", "need data.text_column", "remove the gate")


def test_text_metric_gate_on_a_multiclass_text_audit(tmp_path, monkeypatch, capsys):
    raw, tables = _text(task="multiclass", data={"positive_label": None},
                        gates=[{"metric": "bpsn_auc_min", "model": "reference", "min": 0.7}])
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "\"bpsn_auc_min\"", "binary", "task is \"multiclass\"", "remove the gate")


def test_sensitive_feature_share_gate_on_a_text_audit_is_refused_before_training(tmp_path, monkeypatch, capsys):
    raw, tables = _text(gates=[{"metric": "sensitive_feature_share", "feature": "region", "model": "reference",
                                "max": 0.5}])
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "sensitive_feature_share", "text", "remove the gate")


def test_slice_gate_on_a_text_audit_is_refused_before_training(tmp_path, monkeypatch, capsys):
    raw, tables = _text(gates=[{"metric": "max_significant_slice_error_rate", "model": "reference", "max": 0.9}])
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "max_significant_slice_error_rate", "text", "remove the gate")


def test_all_groups_gate_on_a_regression_disparity(tmp_path, monkeypatch, capsys):
    raw, tables = _reg(gates=[{"metric": "mae_difference", "feature": "area", "model": "reference", "max": 10.0,
                               "groups": "all"}])
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'gates[0].groups'", "mae_difference", "fix: remove it")


def test_all_groups_gate_on_a_multiclass_disparity(tmp_path, monkeypatch, capsys):
    raw, tables = _mc(gates=[{"metric": "accuracy_difference", "feature": "region", "model": "reference", "max": 1.0,
                              "groups": "all"}])
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'gates[0].groups'", "accuracy_difference", "fix: remove it")


def test_explicit_mitigation_with_a_multiclass_task(tmp_path, monkeypatch, capsys):
    raw, tables = _mc(fairness={"mitigation": "equalized_odds"})
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "'fairness.mitigation' = \"equalized_odds\"", "binary classifiers", "task = \"multiclass\"",
         "fix: set fairness.mitigation = \"none\"")


def test_every_problem_is_reported_at_once(tmp_path, monkeypatch, capsys):
    raw, tables = _mc(data={"positive_label": "cat"}, fairness={"mitigation": "demographic_parity"},
                      gates=[{"metric": "roc_auc", "model": "reference", "min": 0.7}])
    msg = _refused(tmp_path, raw, tables, monkeypatch, capsys)
    _has(msg, "3 problems", "positive_label", "fairness.mitigation", "roc_auc")


def test_the_real_entry_point_refuses_the_same_way(tmp_path):
    """`rai-audit run` as installed (console script in a fresh process), not only the in-process CLI."""
    work = tmp_path / "work"
    work.mkdir()
    raw, tables = _mc(task="multiclas")
    tables["classes.csv"].to_csv(work / "classes.csv", index=False)
    write_config(work, raw)
    script = Path(sys.executable).with_name("rai-audit")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "audit.cli"]
    before = _snapshot(tmp_path)
    proc = subprocess.run([*command, "run", "audit.toml", "--out", "runs/out"], cwd=work, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "error:" in proc.stderr and "did you mean 'multiclass'" in proc.stderr and "Traceback" not in proc.stderr
    assert _snapshot(tmp_path) == before


# ---------------------------------------------------------------- hostile texts: the run completes

HOSTILE_TEXTS = [
    "",
    "   ",
    "!!! ??? ... ;;; ---",
    "the sikh customer said " + " ".join(["wonderful"] * 1200) + " and " + "x" * 1500,  # ~10,000 characters
    "👩‍💻 the sikh driver was friendly 🎉🎉 and kind",
    "\u202eevif sikh was rude\u202c and late \u200f",
    "هي قالت إن sikh الممرضة كانت لطيفة",
    "\u200bsikh\u200b nurse was\u00a0slow\ufeff and rude",
    "control \x01\x02\x7f and \u2400 null-like \ufffd sikh cashier was helpful",
    "a NUL\x00 inside: the sikh\x00 driver was slow",
    "<script>alert('x')</script> the sikh nurse was kind",
    "<img src=x onerror=alert(1)> a sikh teacher was quick &amp; \"patient\"",
    "'; DROP TABLE reviews; -- the sikh cashier was awful",
    "{{ 7*7 }} {% raw %} ${jndi:ldap://x} sikh driver was late",
    "line one\nline two: the sikh nurse was patient",
]


@pytest.fixture(scope="module")
def hostile_text_run(tmp_path_factory):
    from audit.cli import main

    work = tmp_path_factory.mktemp("hostile-texts")
    review_table(n=300, seed=21).to_csv(work / "train.csv", index=False)
    test = review_table(n=100, seed=22)
    rng = np.random.default_rng(0)
    hostile = pd.DataFrame({"review": HOSTILE_TEXTS, "region": rng.choice(["north", "south"], len(HOSTILE_TEXTS)),
                            "label": [("positive", "negative")[i % 2] for i in range(len(HOSTILE_TEXTS))]})
    pd.concat([test, hostile], ignore_index=True).to_csv(work / "test.csv", index=False)
    raw = base_config("binary", "train.csv", target="label", positive_label="positive", text_column="review",
                      sensitive_features=["region"], test_path="test.csv")
    raw = merge(raw, model={"kind": "text", "embedding_dim": 8, "hidden": None},
                text={"max_length": 32, "min_count": 1, "n_examples": 20, "identity_categories": ["religion", "gender"]},
                explain={"max_rows": 200, "n_examples": 20},
                gates=[{"metric": "counterfactual_flip_rate", "model": "reference", "max": 1.0}])
    write_config(work, raw)
    out = work / "runs" / "out"
    code = main(["run", str(work / "audit.toml"), "--out", str(out), "--quiet"])
    return code, out, work


def test_hostile_texts_do_not_stop_the_run(hostile_text_run):
    from audit.records.rundir import is_complete_run, verify_run

    code, out, _ = hostile_text_run
    assert code in (0, 1)
    assert is_complete_run(out) and verify_run(out)["ok"]
    assert not [p.name for p in out.parent.iterdir() if p.name.startswith(".")]


def test_hostile_texts_reach_audit_json_verbatim_and_valid(hostile_text_run):
    from audit.result import AuditResult
    from reports._schema import schema_problems

    _, out, work = hostile_text_run
    raw_bytes = (out / "audit.json").read_bytes()
    data = json.loads(raw_bytes.decode("utf-8"))  # strict UTF-8, standard JSON
    assert schema_problems(data) == []
    assert AuditResult.from_dict(data).to_dict() == data
    assert data["data"]["n_test"] == 100 + len(HOSTILE_TEXTS)
    assert data["data"]["text"]["empty_test_texts"] >= 3  # "", "   " and punctuation only
    as_read = set(pd.read_csv(work / "test.csv", keep_default_na=False)["review"])
    originals = [ex["original"] for pair in data["text"]["models"]["reference"]["counterfactual"]["pairs"]
                 for ex in pair.get("examples", [])]
    # Verbatim: no text altered on its way into the record. Long texts are stored as a window around the
    # swapped term, "… " and " …" marking the cuts; the window itself is a piece of the text as read.
    def piece(t: str) -> str:
        return t.removeprefix("… ").removesuffix(" …")

    assert originals and all(any(piece(t) in text for text in as_read) for t in originals)
    assert any(t.endswith(" …") for t in originals)  # the 10,000-character text is cut
    hostile_seen = {t for t in originals if t in HOSTILE_TEXTS}
    assert len(hostile_seen) >= 5, sorted(hostile_seen)
    assert any("<script>" in t for t in hostile_seen) and any("\u202e" in t for t in hostile_seen)
    assert any("\x00" in t for t in hostile_seen) and b"\\u0000" in raw_bytes  # escaped in the file, not raw


def test_hostile_texts_are_escaped_in_the_html_card(hostile_text_run):
    _, out, _ = hostile_text_run
    html = (out / "model_card.html").read_text(encoding="utf-8")
    assert "<script>alert(" not in html and "<img src=x" not in html


def test_hostile_texts_token_attributions_name_only_tokens(hostile_text_run):
    _, out, _ = hostile_text_run
    data = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    tokens = data["text"]["models"]["reference"]["tokens"]
    names = [row["token"] for row in tokens["global"]["top_abs"]]
    names += [t["token"] for example in tokens["examples"] for t in example["tokens"]]
    for name in names:  # vocabulary tokens, or the unknown-token marker; never markup or whitespace
        assert name == "<unk>" or (name and "<" not in name and not any(c.isspace() for c in name)), name
