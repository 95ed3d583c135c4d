"""Token attributions: equal to Captum's LayerIntegratedGradients, complete, and faithful by deletion."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from captum.attr import LayerIntegratedGradients

from audit.exceptions import ExplainError
from audit.text import TextClassifier, token_attributions


def test_attributions_equal_a_direct_captum_call(corpus, trained):
    ids = torch.as_tensor(corpus.X_test[:40])
    out = token_attributions(trained, ids, vocab=corpus.vocab, n_steps=20, return_attributions=True)
    model = copy.deepcopy(trained).eval()
    direct = LayerIntegratedGradients(model, model.embedding).attribute(
        ids, baselines=torch.zeros_like(ids), target=0, n_steps=20, method="gausslegendre")
    np.testing.assert_allclose(out["attributions"], direct.sum(dim=-1).detach().numpy(), atol=1e-6)
    assert out["convergence_delta"]["max_relative"] < 1e-4
    json.dumps(out["examples"], allow_nan=False)


def test_global_ranking_finds_the_sentiment_words(corpus, trained):
    out = token_attributions(trained, corpus.X_test, vocab=corpus.vocab, n_steps=16, top_k=5)
    assert {r["token"] for r in out["global"]["top_positive"]} == {"great", "good", "excellent", "wonderful", "lovely"}
    assert {r["token"] for r in out["global"]["top_negative"]} == {"bad", "awful", "terrible", "boring", "poor"}
    assert all(r["count"] >= 5 for r in out["global"]["top_abs"])
    assert len(out["examples"]) == 8 and out["target"] == "positive logit"
    json.dumps(dict(out), allow_nan=False)


def test_deletion_check_passes_for_the_trained_model(corpus, trained):
    deletion = token_attributions(trained, corpus.X_test[:150], vocab=corpus.vocab, n_steps=16)["deletion"]
    assert deletion["passed"] and deletion["mean_drop_top_k"] > deletion["mean_drop_random"]
    assert deletion["p_value"] < 1e-6


def test_deletion_check_does_not_pass_for_a_model_that_ignores_its_input(corpus):
    model = TextClassifier(len(corpus.vocab), embedding_dim=16)
    with torch.no_grad():
        model.linear.weight.zero_()  # output = bias for every text: nothing to attribute
    out = token_attributions(model, corpus.X_test[:150], vocab=corpus.vocab, n_steps=16)
    assert not out["deletion"]["passed"] and out["deletion"]["p_value"] == 1.0
    assert out["global"]["top_positive"] == [] and out["global"]["top_negative"] == []


def test_deletion_measures_faithfulness_to_the_model_not_to_the_labels(corpus):
    # A random-weight model is wrong about the data, but IG still explains *its* function,
    # so deleting its top-attributed tokens moves *its* score the most: the check passes.
    torch.manual_seed(1)
    model = TextClassifier(len(corpus.vocab), embedding_dim=16)
    assert token_attributions(model, corpus.X_test[:150], vocab=corpus.vocab, n_steps=16)["deletion"]["passed"]


def test_multiclass_target_is_each_rows_predicted_class(corpus):
    torch.manual_seed(0)
    model = TextClassifier(len(corpus.vocab), embedding_dim=8, n_outputs=3)
    ids = torch.as_tensor(corpus.X_test[:20])
    out = token_attributions(model, ids, vocab=corpus.vocab, n_steps=10, return_attributions=True)
    predicted = model(ids).argmax(dim=1)
    assert [e["target"] for e in out["examples"]] == predicted[:8].tolist()
    direct = LayerIntegratedGradients(model, model.embedding).attribute(
        ids, baselines=torch.zeros_like(ids), target=predicted, n_steps=10)
    np.testing.assert_allclose(out["attributions"], direct.sum(dim=-1).detach().numpy(), atol=1e-6)


def test_a_model_that_reads_the_padding_embedding_is_refused(corpus):
    class Unmasked(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = torch.nn.Embedding(len(corpus.vocab), 4)
            self.linear = torch.nn.Linear(4, 1)

        def forward(self, x):
            return self.linear(self.embedding(x.long()).mean(dim=1))

    with pytest.raises(ExplainError, match="padding"):
        token_attributions(Unmasked(), corpus.X_test[:5], vocab=corpus.vocab, n_steps=4)


def test_ids_outside_the_vocabulary_are_refused(corpus, trained):
    with pytest.raises(ExplainError, match="integer token ids"):
        token_attributions(trained, np.full((2, 3), 10**6), vocab=corpus.vocab)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_chunked_passes_give_the_one_pass_results(corpus, trained, n_outputs, monkeypatch):
    # Peak memory is bounded by attributing a chunk of rows per pass (issue 27): every figure equals one pass's.
    import audit.text._attributions as attributions

    torch.manual_seed(0)
    model = trained if n_outputs == 1 else TextClassifier(len(corpus.vocab), embedding_dim=8, n_outputs=3)
    ids = corpus.X_test[:61]
    one = token_attributions(model, ids, vocab=corpus.vocab, n_steps=12, batch_size=len(ids), return_attributions=True)
    monkeypatch.setattr(attributions, "CHUNK_FLOATS", 3 * ids.shape[1] * 16)  # forward passes of a few rows too
    chunked = token_attributions(model, ids, vocab=corpus.vocab, n_steps=12, batch_size=7, return_attributions=True)
    np.testing.assert_allclose(chunked.pop("attributions"), one.pop("attributions"), rtol=1e-6, atol=1e-7)
    assert chunked["deletion"]["n"] == one["deletion"]["n"] and chunked["deletion"]["passed"] == one["deletion"]["passed"]
    for key in ("mean_drop_top_k", "mean_drop_random", "p_value"):
        assert chunked["deletion"][key] == pytest.approx(one["deletion"][key], rel=1e-6, abs=1e-9)
    assert [r["token"] for r in chunked["global"]["top_abs"]] == [r["token"] for r in one["global"]["top_abs"]]
    assert [r["mean_attribution"] for r in chunked["global"]["top_abs"]] == \
        pytest.approx([r["mean_attribution"] for r in one["global"]["top_abs"]], rel=1e-6, abs=1e-9)
    assert [e["target"] for e in chunked["examples"]] == [e["target"] for e in one["examples"]]
    # the completeness error is float32 rounding (~1e-6) and moves with the batch shape by as much
    for key in ("max_abs", "mean_abs", "mean_abs_output_change"):
        assert chunked["convergence_delta"][key] == pytest.approx(one["convergence_delta"][key], abs=2e-6)


def test_batch_size_must_be_a_positive_integer(corpus, trained):
    with pytest.raises(ExplainError, match="batch_size must be an integer >= 1"):
        token_attributions(trained, corpus.X_test[:5], vocab=corpus.vocab, n_steps=4, batch_size=0)
