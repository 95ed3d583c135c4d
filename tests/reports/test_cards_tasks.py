"""Model cards of multiclass, regression and text audits: task-aware figures, group errors, text audits, inert texts.

The group sections come from the real fairness engines on small random data (so the card reads the shape they
produce); the text section follows audit/text's documented keys, with hostile example texts.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from huggingface_hub import ModelCard

from audit.fairness import multiclass_fairness_report, regression_fairness_report
from reports import build_card_data, render_html, render_markdown
from tests.reports._card_fixtures import make_result

CLASSES = ["clerk", "nurse", "pilot"]
HOSTILE = "<script>alert(1)</script> | a | b | **bold** [x](javascript:alert(2))"  # eight words: all in the window


def _record(task: str, data: dict, models: dict, **sections) -> dict:
    return {"schema_version": "1.2", "task": task, "run": {"name": task, "card": {"model_name": f"{task} model"}},
            "data": {"n_test": 400, "target": "y", "sensitive_features": ["sex"], **data}, "models": models,
            "gates": [], "verdict": "pass", **sections}


@pytest.fixture(scope="module")
def multiclass() -> dict:
    rng = np.random.default_rng(0)
    n = 400
    sex = rng.choice(["Female", "Male"], size=n)
    y = rng.integers(0, 3, size=n)
    pred = np.where(rng.random(n) < 0.6, y, rng.integers(0, 3, size=n))
    report = multiclass_fairness_report(y_true=y, y_pred=pred, proba=None, sensitive=pd.DataFrame({"sex": sex}),
                                        classes=CLASSES, n_boot=20, min_group_size=30, seed=0)
    return _record("multiclass-classification",
                   {"task": "multiclass", "classes": CLASSES, "class_counts_train": {"clerk": 300, "nurse": 280, "pilot": 20}},
                   {"private": {"test_accuracy": 0.61, "test_macro_f1": 0.5512, "test_balanced_accuracy": 0.5834}},
                   task_fairness={"task": "multiclass", "classes": CLASSES, "models": {"private": report}})


@pytest.fixture(scope="module")
def regression() -> dict:
    rng = np.random.default_rng(1)
    n = 400
    sex = rng.choice(["sex 1", "sex 2"], size=n)
    y = rng.normal(150, 50, size=n)
    pred = y + rng.normal(0, 30, size=n) + 15 * (sex == "sex 2")
    report = regression_fairness_report(y_true=y, y_pred=pred, sensitive=pd.DataFrame({"sex": sex}), n_boot=50,
                                        min_group_size=30, seed=0)
    return _record("regression", {"task": "regression", "target": "progression",
                                  "target_summary": {"mean": 152.7, "std": 77.4, "min": 25.0, "max": 346.0}},
                   {"reference": {"test_accuracy": None, "test_mae": 47.67, "test_rmse": 61.78, "test_r2": 0.3401},
                    "private": {"test_accuracy": None, "test_mae": 46.58, "test_rmse": 57.1, "test_r2": 0.4363}},
                   task_fairness={"task": "regression", "models": {"private": report}})


def _text_model() -> dict:
    example = {"original": f"then he {HOSTILE} at the farm shop", "score": 0.71,
               "counterfactual": f"then she {HOSTILE} at the farm shop", "counterfactual_score": 0.43}
    pair = {"category": "gender", "from": "he", "to": "she", "n": 40, "n_flips": 6,
            "flip_rate": {"value": 0.15, "ci": [0.057, 0.298]}, "mean_score_change": {"value": -0.081, "ci": [-0.12, -0.04]},
            "mean_abs_score_change": {"value": 0.093, "ci": [0.06, 0.13]}, "examples": [example]}
    auc = {"value": 0.812, "ci": [0.74, 0.87], "n": 120}
    return {
        "counterfactual": {
            "n_texts": 500, "n_texts_with_terms": 120, "n_texts_used": 120, "n_counterfactuals": 400, "threshold": 0.5,
            "ci_level": 0.95, "min_pair_size": 10, "pairs": [pair],
            "max_flip_rate": {"value": 0.15, "ci": [0.057, 0.298], "n": 40, "pair": {"category": "gender", "from": "he", "to": "she"}},
            "categories": {"gender": {"n_texts": 120, "n_counterfactuals": 400, "flip_rate": {"value": 0.04, "ci": [0.02, 0.06]},
                                      "mean_abs_score_change": {"value": 0.03, "ci": [0.02, 0.04]}}},
            "templates": {"categories": {"gender": {"mean_score_by_term": {"female": 0.46, "male": 0.06},
                                                    "spread": {"value": 0.397, "max_term": "female", "min_term": "male"}}}},
        },
        "identity_auc": {
            "overall_auc": {"value": 0.9, "ci": [0.88, 0.92]}, "final_score": {"value": 0.87, "ci": [0.85, 0.9]}, "power": -5,
            "min_size": 10, "subgroups": {"gender": {"n": 120, "n_positive": 70, "n_negative": 50, "subgroup_auc": auc,
                                                     "bpsn_auc": {"value": 0.733, "ci": [0.66, 0.8], "n": 300},
                                                     "bnsp_auc": {"value": None, "ci": None, "n": 8,
                                                                  "reason": "subgroup positives has 8 text(s)"}}},
            "worst": {"subgroup_auc": {**auc, "subgroup": "gender"}, "bpsn_auc": {"value": 0.733, "ci": [0.66, 0.8], "subgroup": "gender"},
                      "bnsp_auc": {"value": None, "ci": None, "subgroup": None, "reason": "no subgroup"}},
        },
        "tokens": {"target": "positive logit", "n_texts": 300, "test_rows": "all",
                   "global": {"n_tokens_kept": 900,
                              "top_positive": [{"token": "<img src=x onerror=alert(3)>", "count": 12, "mean_attribution": 0.4321}],
                              "top_negative": [{"token": "cancer", "count": 87, "mean_attribution": -0.6029}]},
                   "deletion": {"k": 3, "n": 300, "mean_drop_top_k": 1.4, "mean_drop_random": -0.01, "p_value": 1e-50,
                                "alpha": 0.05, "passed": True}},
    }


@pytest.fixture(scope="module")
def text() -> dict:
    return _record("text-classification", {"task": "binary", "sensitive_features": [], "text_column": "text",
                                           "text": {"vocabulary_size": 14632}},
                   {"private": {"test_accuracy": 0.912, "test_roc_auc": 0.959}},
                   text={"text_column": "text", "identity_categories": ["gender"], "mentions": {"gender": 120},
                         "models": {"private": _text_model()}})


def _body(markdown: str) -> str:
    return markdown.split("---", 2)[2]


# ---------------------------------------------------------------- multiclass
def test_multiclass_card_shows_task_metrics_and_confusion_by_group(multiclass):
    card = build_card_data(multiclass)
    src = multiclass["task_fairness"]["models"]["private"]["by_feature"]["sex"]
    ge = card["group_errors"]
    assert ge["status"] == "ok" and ge["classes"] == CLASSES
    (a,) = ge["analyses"]
    female = next(g for g in a["groups"] if g["group"] == "Female")
    src_female = next(g for g in src["groups"] if g["group"] == "Female")
    assert female["metrics"]["macro_f1"] == src_female["macro_f1"]
    assert [c["class"] for c in a["class_table"]][0] == src["disparities"]["recall_difference_ovr"]["worst_class"]
    assert {cm["group"] for cm in a["confusion"]} == {"Female", "Male"}
    assert sum(r["n"] for cm in a["confusion"] for r in cm["rows"]) == 400
    md, html = render_markdown(multiclass), render_html(multiclass)
    for text in (md, html):
        assert "Test macro F1" in text and "0.551" in text and "0.583" in text
        assert "Confusion by group" in text
        assert f"{src_female['accuracy']['value']:.3f}" in text
    assert "Test ROC AUC" not in md and "Test ROC AUC" not in html
    assert 'class="confusion"' in html
    assert card["bias"]["status"] == "ok" and card["bias"]["headline_table"]


def test_multiclass_without_task_fairness_says_not_run(multiclass):
    record = {**multiclass, "task_fairness": None}
    card = build_card_data(record)
    assert card["group_errors"]["status"] == "not run"
    assert "disabled" in card["group_errors"]["reason"]
    assert "**Not run**: the fairness audit was disabled" in render_markdown(record)
    assert "Not run: the fairness audit was disabled" in render_html(record)


# ---------------------------------------------------------------- regression
def test_regression_card_shows_errors_in_target_units(regression):
    card = build_card_data(regression)
    assert [c["key"] for c in card["quantitative_analyses"]["performance_columns"]] == ["mae", "rmse", "r2"]
    assert [t["label"] for t in card["summary"]["tiles"]][:3] == ["MAE", "RMSE", "R²"]
    src = regression["task_fairness"]["models"]["private"]["by_feature"]["sex"]
    worst = src["disparities"]["worst_group_mae"]
    md, html = render_markdown(regression), render_html(regression)
    for text in (md, html):
        assert "Error by group" in text and "Test MAE" in text and "Test R²" in text
        assert "46.58" in text and "0.436" in text
        assert "worst_group_mae" in text and f"{worst['value']:.2f}" in text
        assert f"{src['groups'][1]['mean_error']['value']:.2f}" in text
        assert "accuracy n/a" not in text.lower()
    assert f"(group {worst['worst_group']})" in md
    assert "Test accuracy" not in md
    eval_results = {r.metric_type: r.metric_value for r in ModelCard(md).data.eval_results if "private" in r.metric_name}
    assert eval_results["mae"] == pytest.approx(46.58) and eval_results["r2"] == pytest.approx(0.4363)


# ---------------------------------------------------------------- both kinds with their own group report
@pytest.mark.parametrize("kind", ["multiclass", "regression"])
def test_task_card_states_interval_settings_min_group_size_and_group_shares(kind, request):
    """The typed group audit's ci, n, min_group_size and min_group_positives reach the card (they were read from
    ``extra``, where a typed record never keeps them, so the card said "n/a" for each and no share)."""
    record = request.getfixturevalue(kind)
    audit = record["task_fairness"]["models"]["private"]
    card = build_card_data(record)
    (sex,) = card["factors"]["groupings"]
    counts = {g["group"]: g["count"] for g in sex["groups"]}
    assert sum(counts.values()) == audit["n"] == 400
    assert {g["group"]: g["share"] for g in sex["groups"]} == {k: pytest.approx(c / 400) for k, c in counts.items()}
    for section in (card["factors"], card["bias"], card["group_errors"]):
        assert section["min_group_size"] == audit["min_group_size"] == 30
    uncertainty = card["metrics"]["uncertainty"]
    assert uncertainty is not None and uncertainty == card["group_errors"]["uncertainty"]
    assert uncertainty["level"] == card["bias"]["ci_level"] == audit["ci"]["level"] == 0.95
    assert uncertainty["method"] and card["bias"]["ci_method"] == uncertainty["method"]
    assert card["bias"]["disparity_ci_method"] == (audit["ci"].get("disparity_method") or audit["intervals"]["disparities"])
    if kind == "multiclass":
        assert card["group_errors"]["min_group_positives"] == audit["min_group_positives"] is not None
    md, html = render_markdown(record), render_html(record)
    for text in (md, html):
        assert "n/a resamples" not in text and "level n/a" not in text and "minimum size of n/a" not in text
        assert "fewer than n/a" not in text and "smaller than n/a" not in text and "needs n/a" not in text
        assert "minimum size of 30" in text and "level 95%" in text


# ---------------------------------------------------------------- text
def test_text_card_shows_counterfactuals_subgroup_aucs_and_tokens(text):
    card = build_card_data(text)
    ta = card["text_audits"]
    assert ta["status"] == "ok"
    (m,) = ta["models"]
    assert m["counterfactual"]["pairs"][0]["examples"][0]["original_parts"][1] == "he"
    assert m["counterfactual"]["pairs"][0]["examples"][0]["counterfactual_parts"][1] == "she"
    md, html = render_markdown(text), render_html(text)
    for out in (md, html):
        assert "Garg et al. 2019" in out and "Borkan et al. 2019" in out
        assert "0.150" in out and "0.057, 0.298" in out  # flip rate and interval
        assert "0.733" in out and "0.812" in out  # BPSN and subgroup AUC
        assert "0.397" in out  # template spread
        assert "0.4321" in out and "cancer" in out  # tokens
    assert card["bias"]["status"] == "not run" and "identity terms" in card["bias"]["reason"]


def test_text_card_shows_the_adjusted_interval_of_the_largest_flip_rate_and_the_matches_left_out(text):
    import copy

    record = copy.deepcopy(text)
    cf = record["text"]["models"]["private"]["counterfactual"]
    cf["max_flip_rate"].update({"ci": [0.021, 0.401], "ci_pair": [0.057, 0.298], "n_flips": 6, "n_pairs": 187,
                                "upper_bound_all_pairs": 0.712, "adjustment": "bonferroni"})
    cf["matching"] = {"n_matches": 410, "n_mentions": 398, "n_skipped": 12,
                      "skipped": {"proper_noun": 9, "not_people": 3},
                      "examples": [{"reason": "proper_noun", "match": "White", "text": f"the White House {HOSTILE}"}]}
    card = build_card_data(record)
    got = card["text_audits"]["models"][0]["counterfactual"]
    assert got["max_flip_rate"]["n_pairs"] == 187 and got["max_flip_rate"]["ci_pair"] == [0.057, 0.298]
    assert [r["n"] for r in got["matching"]["skipped"]] == [9, 3]
    md, html = render_markdown(record), render_html(record)
    for out in (md, html):
        assert "0.021, 0.401" in out and "largest of 187 pairs" in out and "0.712" in out
        assert "410" in out and "9 part of a capitalised name" in out and "3 an ambiguous word not about people" in out
        assert "<script>" not in out  # the skipped example is quoted inert


def test_hostile_example_texts_are_inert_in_markdown(text):
    body = _body(render_markdown(text))
    # Inert by CommonMark backslash escapes (not HTML entities, which a raw reader sees literally): no '<' unescaped.
    assert "<script>" not in body and not re.search(r"(?<!\\)<", body)
    assert "\\<script\\>alert(1)\\</script\\>" in body
    row = next(line for line in body.splitlines() if "alert(1)" in line and "he" in line and line.startswith("|"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 4  # three cells: the example's pipes are escaped
    assert "\\*\\*bold\\*\\*" in row and "\\[x\\](javascript:alert(2))" in row


def test_hostile_example_texts_are_inert_in_html(text):
    html = render_html(text)
    assert "<script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(3)&gt;" in html


def test_multiclass_text_model_says_why_audits_did_not_run(text):
    reason = "computed for binary text classifiers (a positive score to flip and to rank); this model has 4 classes"
    record = {**text, "text": {**text["text"], "models": {"private": {"skipped": {"counterfactual": reason, "identity_auc": reason}}}}}
    card = build_card_data(record)
    (m,) = card["text_audits"]["models"]
    assert m["counterfactual"] == {"status": "not run", "reason": reason}
    assert m["tokens"]["status"] == "not run"
    assert f"**Not run**: {reason}." in render_markdown(record)
    assert f"Not run: {reason}." in render_html(record)


# ---------------------------------------------------------------- binary stays as it was
def test_binary_card_has_no_task_sections():
    card = build_card_data(make_result())
    assert not {"task", "group_errors", "text_audits"} & set(card)
    assert "performance_columns" not in card["quantitative_analyses"]
