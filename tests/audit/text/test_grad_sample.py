"""The embedding's per-example gradient norms for ghost clipping: Opacus's numbers, without torch.unique(dim=0)."""

from __future__ import annotations

import pytest
import torch
from opacus.grad_sample import GradSampleHooksFastGradientClipping
from opacus.grad_sample import embedding as opacus_embedding
from opacus.grad_sample.embedding_norm_sample import compute_embedding_norm_sample
from torch import nn

from audit.text import TextClassifier
from audit.text._grad_sample import embedding_norm_sample, register_embedding_norm_sampler


@pytest.mark.parametrize("shape", [(64, 128), (5, 3, 7), (1, 1)])
def test_norms_equal_opacus(shape):
    g = torch.Generator().manual_seed(0)
    layer = nn.Embedding(50, 8, padding_idx=0)
    ids = torch.randint(0, 50, shape, generator=g)  # 50 ids over many positions: repeats within a row
    ids[..., -1] = 0  # padding
    backprops = torch.randn(*shape, 8, generator=g, dtype=torch.float64)
    ours = embedding_norm_sample(layer, [ids], backprops)[layer.weight]
    theirs = compute_embedding_norm_sample(layer, [ids], backprops)[layer.weight]
    torch.testing.assert_close(ours, theirs, rtol=1e-12, atol=1e-12)


def test_norms_are_the_per_example_gradient_norms():
    layer = nn.Embedding(6, 3)
    ids = torch.tensor([[1, 1, 2], [3, 0, 3]])
    out = layer(ids)
    grads = torch.randn_like(out)
    expected = []
    for i in range(2):
        layer.zero_grad()
        out_i = layer(ids[i : i + 1])
        out_i.backward(grads[i : i + 1])
        expected.append(layer.weight.grad.norm())
    torch.testing.assert_close(embedding_norm_sample(layer, [ids], grads)[layer.weight], torch.stack(expected))


def test_a_training_forward_registers_it_with_opacus_in_place_of_opacus_own(monkeypatch):
    samplers = GradSampleHooksFastGradientClipping.NORM_SAMPLERS
    monkeypatch.setitem(samplers, nn.Embedding, opacus_embedding.compute_embedding_norm_sample)  # Opacus's registered one
    monkeypatch.setattr("audit.text._model._FAST_NORMS", [])
    TextClassifier(20, embedding_dim=4).train()(torch.tensor([[3.0, 4.0, 0.0]]))
    assert samplers[nn.Embedding] is embedding_norm_sample


def test_someone_elses_sampler_is_kept(monkeypatch):
    def custom(layer, activations, backprops):
        return {}

    monkeypatch.setitem(GradSampleHooksFastGradientClipping.NORM_SAMPLERS, nn.Embedding, custom)
    assert register_embedding_norm_sampler() is False
    assert GradSampleHooksFastGradientClipping.NORM_SAMPLERS[nn.Embedding] is custom


def test_dp_training_with_it_gives_the_weights_opacus_own_sampler_gives(corpus, monkeypatch):
    from audit.privacy import train_private

    def train(sampler):
        monkeypatch.setitem(GradSampleHooksFastGradientClipping.NORM_SAMPLERS, nn.Embedding, sampler)
        monkeypatch.setattr("audit.text._model._FAST_NORMS", [True])  # keep the sampler set above
        torch.manual_seed(0)
        result = train_private(TextClassifier(len(corpus.vocab), embedding_dim=8), corpus.X_train[:400],
                               corpus.y_train[:400], epsilon=3.0, epochs=2, batch_size=100, learning_rate=0.05,
                               grad_sample_mode="ghost", accountant="rdp", seed=0)
        return [p.detach().clone() for p in result.model.parameters()]

    for ours, theirs in zip(train(embedding_norm_sample), train(opacus_embedding.compute_embedding_norm_sample),
                            strict=True):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
