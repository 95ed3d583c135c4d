"""The dashboard on multiclass, regression and text runs: every page renders, task-aware figures, and pages that
cannot apply say why. The three runs come from the real pipeline on tiny configs (one session fixture, ~15 s)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.verdict.gates import gate_title
from tests.dashboard.conftest import PAGES, texts

MULTICLASS = """
name = "tiny-multiclass"
task = "multiclass"
[data]
path = "{csv}"
target = "kind"
sensitive_features = ["sex"]
[split]
test_size = 0.4
seed = 0
[model]
hidden = [8]
[training]
epochs = 3
batch_size = 64
learning_rate = 0.02
seed = 0
[privacy]
enabled = false
membership_inference = false
[fairness]
n_boot = 30
min_group_size = 20
mitigation = "none"
[explain]
max_rows = 40
n_examples = 2
checks = false
[[gates]]
metric = "selection_rate_difference_ovr"
feature = "sex"
model = "reference"
max = 0.9
"""

REGRESSION = """
name = "tiny-regression"
task = "regression"
[data]
bundled = "diabetes"
target = "progression"
sensitive_features = ["sex"]
[model]
hidden = [8]
[training]
epochs = 5
batch_size = 64
learning_rate = 0.01
seed = 0
[privacy]
enabled = false
membership_inference = false
[fairness]
n_boot = 30
min_group_size = 20
mitigation = "none"
[explain]
max_rows = 40
n_examples = 2
checks = false
[[gates]]
metric = "worst_group_mae"
feature = "sex"
model = "reference"
max = 500.0
"""

TEXT = """
name = "tiny-text"
[data]
bundled = "farm_ads"
target = "label"
positive_label = "accepted"
text_column = "text"
sensitive_features = []
max_rows = 600
[model]
kind = "text"
embedding_dim = 8
[training]
epochs = 2
batch_size = 64
learning_rate = 0.01
seed = 0
[privacy]
enabled = false
membership_inference = false
[fairness]
n_boot = 30
mitigation = "none"
[text]
max_length = 64
min_count = 2
counterfactual_max_texts = 100
n_examples = 2
[explain]
max_rows = 40
n_examples = 2
[[gates]]
metric = "counterfactual_flip_rate"
model = "reference"
max = 0.9
"""


def _multiclass_csv(path: Path, n: int = 900) -> None:
    """Three classes driven by x1 and x2, a binary sensitive column that shifts them a little."""
    rng = np.random.default_rng(0)
    sex = rng.choice(["F", "M"], n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    logits = np.stack([x1, x2, -x1 - x2 + 0.5 * (sex == "M")], axis=1) + rng.normal(scale=0.5, size=(n, 3))
    kind = np.array(["ant", "bee", "cat"])[logits.argmax(axis=1)]
    pd.DataFrame({"x1": x1.round(3), "x2": x2.round(3), "colour": rng.choice(["red", "blue"], n), "sex": sex,
                  "kind": kind}).to_csv(path, index=False)


@pytest.fixture(scope="session")
def task_root(tmp_path_factory) -> Path:
    """A read-only runs root with ``multiclass``, ``regression`` and ``text`` runs from the real pipeline."""
    from audit.config import load_config
    from audit.pipeline.runner import run_audit

    work = tmp_path_factory.mktemp("task-configs")
    root = tmp_path_factory.mktemp("task-runs")
    _multiclass_csv(work / "kinds.csv")
    for name, text in (("multiclass", MULTICLASS.format(csv=work / "kinds.csv")), ("regression", REGRESSION),
                       ("text", TEXT)):
        config = work / f"{name}.toml"
        config.write_text(text, encoding="utf-8")
        run_audit(load_config(config), out=root / name)
    return root


def _ok(at) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("run", ["multiclass", "regression", "text"])
def test_every_page_renders_on_every_task(app, task_root, run):
    at = app(task_root, run=run)
    for page in PAGES[1:] + (["text"] if run == "text" else []):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, [e.message for e in at.exception])
        assert at.title, page


def test_overview_tiles_follow_the_task(app, task_root):
    labels = {}
    for run in ("multiclass", "regression", "text"):
        at = app(task_root, run=run, page="overview")
        _ok(at)
        labels[run] = [m.label.replace("\\", "") for m in at.metric]
    assert {"accuracy", "macro F1"} <= set(labels["multiclass"])
    assert {"MAE", "RMSE", "R²"} <= set(labels["regression"]) and "accuracy" not in labels["regression"]
    # the card's tiles (reports._headline), so the Overview names the text figure as the card does
    assert {"accuracy", "largest identity-swap flip rate"} <= set(labels["text"])
    at = app(task_root, run="regression", page="overview")
    assert all(m.value not in ("—", "n/a") for m in at.metric)


def test_multiclass_fairness_shows_confusion_by_group_and_per_class_rates(app, task_root):
    at = app(task_root, run="multiclass", page="fairness")
    _ok(at)
    headings = [h.value for h in at.subheader]
    assert {"By group", "Confusion by group", "Per-class selection rate and recall by group", "Disparities"} <= set(headings)
    groups = next(d.value for d in at.dataframe if "group" in d.value.columns)
    assert set(groups["group"]) == {"F", "M"}
    assert groups["accuracy"].str.match(r"^\d\.\d{4} \[\d\.\d{4}, \d\.\d{4}\]$").all()
    per_class = next(d.value for d in at.dataframe if "class" in d.value.columns and "F" in d.value.columns)
    assert set(per_class["class"]) <= {"ant", "bee", "cat"}
    assert per_class["F"].dropna().str.contains(r"\[.*\] \(n=").all()
    at.selectbox(key="tf_conf_group").set_value("M").run()
    at.radio(key="tf_rate").set_value("recall").run()
    _ok(at)
    disparities = next(d.value for d in at.dataframe if "disparity" in d.value.columns)
    # readable names, as the binary page and the card show them (they were the metric keys)
    assert "Largest per-class selection-rate difference (one-vs-rest)" in set(disparities["disparity"])
    assert not any("_" in name for name in disparities["disparity"])
    by_class = next(d.value for d in at.dataframe if "selection_rate_difference_ovr" in d.value.columns)
    assert set(by_class["class"]) == {"ant", "bee", "cat"}


def test_regression_fairness_shows_error_by_group_and_the_worst_group(app, task_root):
    at = app(task_root, run="regression", page="fairness")
    _ok(at)
    assert "Error by group" in [h.value for h in at.subheader]
    groups = next(d.value for d in at.dataframe if "group" in d.value.columns)
    # readable names, as the card's tables name them (they were the record's keys: mae, mean_prediction, ...)
    assert {"MAE", "RMSE", "mean prediction", "mean error"} <= set(groups.columns)
    assert not any("_" in str(c) for c in groups.columns)
    assert groups["MAE"].str.contains(r"\[").all()
    disparities = next(d.value for d in at.dataframe if "disparity" in d.value.columns)
    worst = disparities.set_index("disparity").loc[gate_title("worst_group_mae")]  # readable names
    assert worst["worst group"] in set(groups["group"])
    assert len(at.get("vega_lite_chart")) >= 3


def test_text_page_shows_tokens_pairs_examples_templates_and_aucs(app, task_root):
    at = app(task_root, run="text", page="text")
    _ok(at)
    headings = [h.value for h in at.subheader]
    assert headings == ["Top tokens", "Counterfactual identity-term swaps", "Template spreads", "Identity-subgroup AUCs"]
    pairs = next(d.value for d in at.dataframe if {"from", "to", "flip rate"} <= set(d.value.columns))
    assert (pairs["lo"] <= pairs["flip rate"]).all() and (pairs["flip rate"] <= pairs["hi"]).all()
    assert at.text, "the example texts are shown as plain text"
    aucs = next(d.value for d in at.dataframe if "BPSN AUC" in d.value.columns)
    assert {"subgroup", "subgroup AUC", "BPSN AUC", "BNSP AUC"} <= set(aucs.columns)
    at.selectbox(key="tx_pair_cat").set_value(at.selectbox(key="tx_pair_cat").options[-1]).run()
    _ok(at)


@pytest.mark.parametrize(("run", "page", "says"), [
    ("text", "whatif", "What-if: does not apply"),
    ("text", "cohorts", "Cohorts: does not apply"),
    ("text", "error_analysis", "Error analysis: does not apply"),
    ("text", "fairness", "Text"),
    ("text", "explainability", "Text"),
    ("regression", "error_analysis", "Error analysis: does not apply"),
    # What-if now rebuilds multiclass and regression models too (tests/dashboard/test_whatif_tasks.py)
])
def test_pages_that_cannot_apply_say_why(app, task_root, run, page, says):
    at = app(task_root, run=run, page=page)
    _ok(at)
    assert any(says in i.value for i in at.info), [i.value for i in at.info]


def test_explainability_shows_the_explained_class_and_the_prediction_target(app, task_root):
    at = app(task_root, run="multiclass", page="explainability")
    _ok(at)
    assert "Importance for every class" in [h.value for h in at.subheader]
    assert "Explained output" in texts(at)
    at = app(task_root, run="regression", page="explainability")
    _ok(at)
    assert "prediction" in texts(at)
    assert any("prediction" in o for o in at.selectbox(key="ex_example").options)


def test_cohorts_and_comparison_use_the_task_figures(app, task_root):
    at = app(task_root, run="regression", page="cohorts")
    _ok(at)
    assert at.radio(key="co_metric").options == ["mae", "mean error", "mean prediction", "mean target"]
    at = app(task_root, run="multiclass", page="cohorts")
    _ok(at)
    assert at.radio(key="co_metric").options == ["error rate", "accuracy"]
    at = app(task_root, run="multiclass", page="compare")
    _ok(at)
    assert "accuracy" in at.dataframe[0].value.columns


def test_the_text_page_is_listed_for_text_runs_only(app, task_root, synthetic_root):
    at = app(synthetic_root, run="full")
    with pytest.raises(ValueError, match="text.py"):
        at.switch_page("views/text.py")
    at = app(task_root, run="multiclass")
    with pytest.raises(ValueError, match="text.py"):
        at.switch_page("views/text.py")


SCRIPT = "<script>alert(1)</script> **bold** [link](http://e.x)"


def test_text_from_the_record_is_shown_as_text_never_as_markup(app, task_root, tmp_path):
    import json
    import shutil

    root = tmp_path / "runs"
    shutil.copytree(task_root / "text", root / "text")
    path = root / "text" / "audit.json"
    record = json.loads(path.read_text(encoding="utf-8"))
    for audit in record["text"]["models"].values():
        for pair in audit["counterfactual"]["pairs"]:
            pair["from"] = SCRIPT
            for example in pair.get("examples") or []:
                example["original"], example["counterfactual"] = f"she said {SCRIPT}", f"he said {SCRIPT}"
    record["text"]["mentions"] = {SCRIPT: 3}
    path.write_text(json.dumps(record), encoding="utf-8")
    at = app(root, run="text", page="text")
    _ok(at)
    for kind in ("markdown", "caption", "info", "warning", "title", "subheader"):
        for element in at.get(kind):
            assert "<script>" not in str(element.value), (kind, element.value)
    shown = [t.value for t in at.text]
    assert any("<script>alert(1)</script>" in v for v in shown), shown
