"""A transformer's token attributions read as words; its special tokens are shown, not ranked or deleted."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("transformers")
pytest.importorskip("peft")

from audit.text import TokenizerVocabulary, load_tokenizer, load_transformer, token_attributions  # noqa: E402

from ._tiny_hf import build_checkpoint  # noqa: E402


@pytest.fixture(scope="module", params=["bert", "roberta"])
def checkpoint(request, tmp_path_factory):
    path = build_checkpoint(tmp_path_factory.mktemp(request.param) / "ckpt", style=request.param, layers=1)
    vocab = TokenizerVocabulary(load_tokenizer(path), name="ckpt")
    torch.manual_seed(0)
    return vocab, load_transformer(path, pad_token_id=vocab.pad_token_id, lora_rank=0).eval()


def test_sub_words_sum_to_the_words_the_tokenizer_writes(checkpoint):
    vocab, _ = checkpoint
    text = "the wonderfully blind actors"
    ids = vocab.encode([text], max_len=24)[0]
    values = np.arange(len(ids), dtype=float) + 1.0
    words = vocab.words(ids, values)
    content = [w for w, _ in words if w not in vocab.special_tokens]
    assert " ".join(content) == vocab.decode(ids)  # every word as the tokenizer decodes the text
    assert sum(v for _, v in words) == pytest.approx(values[ids != 0].sum())  # nothing lost, nothing counted twice
    assert len(content) == len(text.split())


def test_special_tokens_are_examples_only_and_never_deleted(checkpoint):
    vocab, model = checkpoint
    ids = vocab.encode(["good film", "bad film", "good plot", "bad plot"] * 3, max_len=12)
    out = token_attributions(model, ids, vocab=vocab, n_steps=16, min_count=1, n_examples=2)
    ranked = {row["token"] for rows in out["global"].values() if isinstance(rows, list) for row in rows}
    assert ranked and not ranked & vocab.special_tokens
    assert out["examples"][0]["tokens"][0]["token"] in vocab.special_tokens  # [CLS] / <s> shown where it is
    assert out["deletion"]["n"] == len(ids)
