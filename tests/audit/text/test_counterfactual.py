"""Counterfactual token fairness: substitutions, flip rates with exact intervals, templates, JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import binomtest

from audit.exceptions import DataError
from audit.text import counterfactual_fairness, substitute, text_predict_fn

from .conftest import MAX_LEN


def _women_detector(texts):
    return np.array([0.9 if "women" in t.lower().split() else 0.2 for t in texts])


def test_substitution_keeps_capitalisation_and_whole_words():
    assert substitute("Women and WOMEN, not womenswear", "gender", "women", "men") == "Men and MEN, not womenswear"
    assert substitute("An African American poet", "ethnicity", "african american", "asian") == "An Asian poet"
    assert substitute("An African American poet", "ethnicity", "african", "asian") == "An African American poet"


def test_a_model_keyed_on_one_term_flips_that_pair_only():
    texts = ["the women were here"] * 15 + ["the men were here"] * 15 + ["nothing to see"] * 5
    out = counterfactual_fairness(_women_detector, texts, categories=["gender"])
    pairs = {(p["from"], p["to"]): p for p in out["pairs"]}
    assert set(pairs) == {("women", "men"), ("men", "women")}
    assert pairs[("women", "men")]["flip_rate"]["value"] == 1.0
    assert pairs[("women", "men")]["mean_score_change"]["value"] == pytest.approx(-0.7)
    assert pairs[("men", "women")]["mean_abs_score_change"]["value"] == pytest.approx(0.7)
    assert out["n_texts"] == 35 and out["n_texts_with_terms"] == 30 and out["n_counterfactuals"] == 30
    assert out["max_flip_rate"]["value"] == 1.0 and out["max_flip_rate"]["pair"]["category"] == "gender"
    assert out["categories"]["gender"]["n_texts"] == 30


def test_flip_rate_interval_is_clopper_pearson():
    texts = ["women"] * 7 + ["Women are here"] * 3
    predict = lambda ts: np.array([0.9 if t == "women" else (0.6 if t.endswith("are here") else 0.1) for t in ts])
    pair = counterfactual_fairness(predict, texts, categories=["gender"], min_pair_size=1)["pairs"][0]
    assert pair["n_flips"] == 7
    expected = binomtest(7, 10).proportion_ci(confidence_level=0.95, method="exact")
    assert pair["flip_rate"]["ci"] == pytest.approx([expected.low, expected.high])


def test_examples_are_capped_and_show_both_texts():
    texts = [f"the women saw {i}" for i in range(12)]
    pair = counterfactual_fairness(_women_detector, texts, categories=["gender"], n_examples=3)["pairs"][0]
    assert len(pair["examples"]) == 3
    assert pair["examples"][0]["original"].replace("women", "men") == pair["examples"][0]["counterfactual"]
    assert pair["examples"][0]["score"] == pytest.approx(0.9)


def test_pairs_below_min_pair_size_are_not_eligible_for_the_maximum():
    out = counterfactual_fairness(_women_detector, ["the women"] * 3, categories=["gender"], min_pair_size=10)
    assert out["max_flip_rate"]["value"] is None and "min_pair_size" in out["max_flip_rate"]["reason"]
    assert out["pairs"][0]["flip_rate"]["value"] == 1.0


def test_templates_give_the_spread_per_category_with_terms_named():
    predict = lambda ts: np.array([0.8 if "muslim" in t.lower() else 0.3 for t in ts])
    templates = counterfactual_fairness(predict, [], categories=["religion"])["templates"]
    religion = templates["categories"]["religion"]
    assert religion["spread"] == {"value": pytest.approx(0.5), "max_term": "muslim", "min_term": "atheist"}
    assert templates["max_spread"]["category"] == "religion"
    assert len(religion["scores"]["muslim"]) == len(templates["templates"])
    assert set(religion["by_label"]) == {"positive", "negative", "neutral"}


def test_trained_model_result_is_json_and_deterministic(corpus, trained):
    predict = text_predict_fn(trained, corpus.vocab, max_len=MAX_LEN)
    first = counterfactual_fairness(predict, corpus.test_texts, max_texts=50, seed=3)
    second = counterfactual_fairness(predict, corpus.test_texts, max_texts=50, seed=3)
    assert json.dumps(first, allow_nan=False) == json.dumps(second, allow_nan=False)
    assert first["n_texts_used"] == 50 < first["n_texts_with_terms"]
    assert set(first["method"]) >= {"substitution", "flip_rate", "score_change", "templates"}


def test_a_predict_fn_returning_the_wrong_shape_is_refused():
    with pytest.raises(DataError, match="predict_fn returned"):
        counterfactual_fairness(lambda ts: [0.5], ["the women", "the men"], categories=["gender"])
    with pytest.raises(DataError, match="threshold"):
        counterfactual_fairness(_women_detector, ["x"], threshold=2.0)


def _one_text_flips_everything(texts):
    """A scorer that flips every swap of the first text (\"note 0\") and no other."""
    return np.array([0.9 if t.startswith("note 0 ") and "muslim" not in t else 0.1 for t in texts])


def test_a_category_interval_takes_texts_as_the_unit():
    from audit.text._stats import cluster_share_interval

    texts = [f"note {i} says muslim people live here" for i in range(15)]
    cat = counterfactual_fairness(_one_text_flips_everything, texts, categories=["religion"])["categories"]["religion"]
    assert cat["n_texts"] == 15 and cat["n_counterfactuals"] == 15 * 8
    assert cat["flip_rate"]["value"] == pytest.approx(8 / 120)
    expected = cluster_share_interval([8] + [0] * 14, [8] * 15, 0.95)
    assert cat["flip_rate"]["ci"] == pytest.approx(expected["ci"])
    pooled = binomtest(8, 120).proportion_ci(confidence_level=0.95, method="exact")
    # 8 flips of one text are one piece of evidence, not eight: wider than the pooled interval
    assert cat["flip_rate"]["ci"][1] > pooled.high + 0.1
    assert cat["flip_rate"]["ci"][1] >= 1 - 0.025 ** (1 / 15)  # never narrower than 0 flips in 15 texts


def test_the_largest_flip_rate_has_an_interval_adjusted_for_choosing_it():
    from audit.text._stats import clopper_pearson

    texts = [f"note {i} says muslim people live here" for i in range(15)]
    flips_two = lambda ts: np.array([0.9 if (t.startswith(("note 0 ", "note 1 ")) and "christian" in t) else 0.1
                                     for t in ts])
    best = counterfactual_fairness(flips_two, texts, categories=["religion"])["max_flip_rate"]
    assert best["pair"] == {"category": "religion", "from": "muslim", "to": "christian"}
    assert best["value"] == pytest.approx(2 / 15) and best["n_flips"] == 2 and best["n_pairs"] == 8
    assert best["ci"] == pytest.approx(clopper_pearson(2, 15, 1 - 0.05 / 8))
    assert best["ci_pair"] == pytest.approx(clopper_pearson(2, 15, 0.95))
    assert best["ci"][0] < best["ci_pair"][0] and best["upper_bound_all_pairs"] >= best["ci"][1]
    assert best["adjustment"] == "bonferroni" and best["level_each"] == pytest.approx(1 - 0.05 / 8)


def _gate(out, bound):
    from audit.config import GateSpec
    from audit.result import AuditResult
    from audit.verdict.gates import evaluate_gates

    record = AuditResult.from_dict({"schema_version": "1.2", "run": {}, "data": {}, "models": {"private": {}},
                                    "text": {"models": {"private": {"counterfactual": out}}}})
    return evaluate_gates([GateSpec(metric="counterfactual_flip_rate", model="private", max=bound)], record)[0]


def test_a_gate_on_the_largest_flip_rate_is_inconclusive_on_two_flips_in_fifteen_texts():
    texts = [f"note {i} says muslim people live here" for i in range(15)]
    two = lambda ts: np.array([0.9 if (t.startswith(("note 0 ", "note 1 ")) and "christian" in t) else 0.1 for t in ts])
    gate = _gate(counterfactual_fairness(two, texts, categories=["religion"]), 0.1)
    assert gate.outcome == "inconclusive" and gate.value is None
    assert "largest of 8 term pairs" in gate.reason and "0.133" in gate.reason and "too few texts" in gate.reason
    assert _gate(counterfactual_fairness(two, texts, categories=["religion"]), 0.2).outcome == "pass"
    many = [f"note {i} says muslim people live here" for i in range(60)]
    strong = lambda ts: np.array([0.9 if ("christian" in t and int(t.split()[1]) % 2 == 0) else 0.1 for t in ts])
    gate = _gate(counterfactual_fairness(strong, many, categories=["religion"]), 0.1)
    assert gate.outcome == "fail" and gate.ci[0] > 0.1  # 30 of 60: the adjusted interval is above the bound


def test_an_older_record_without_the_adjustment_is_gated_on_its_value():
    old = {"max_flip_rate": {"value": 0.133, "ci": [0.017, 0.405], "n": 15, "pair": {"from": "a", "to": "b"}}}
    assert _gate(old, 0.1).outcome == "fail"
