"""Tiny Hugging Face checkpoints for the transformer tests, built offline in about a second.

Two styles, both saved with ``save_pretrained`` exactly as a user would save theirs:

* ``"bert"``: ``BertForSequenceClassification`` with a WordPiece tokenizer whose ``[PAD]`` is id 0;
* ``"roberta"``: ``RobertaForSequenceClassification`` with a byte-level BPE tokenizer whose specials are
  ``<s>, <pad>, </s>, <unk>``, so padding is id 1 and id 0 is ``<s>`` (the audit swaps them).

Options break a checkpoint the ways users do: no ``tokenizer.json``, weights pickled in
``pytorch_model.bin`` (transformers 5 dropped ``safe_serialization=False``, so written with
``torch.save``), a head with the wrong number of labels, a base model instead of a classifier.
"""

from __future__ import annotations

from pathlib import Path

import torch

#: Words of the tokenizers' training texts: the sentiment corpus of conftest.py, so its texts tokenize.
WORDS = ("great good excellent wonderful lovely bad awful terrible boring poor the film was a plot actor and it "
         "really story we saw women men muslim christian young old blind deaf woman man").split()
BERT_SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
ROBERTA_SPECIAL = ["<s>", "<pad>", "</s>", "<unk>"]
MAX_POSITIONS = 40


def _texts() -> list[str]:
    return [" ".join(WORDS[i:i + 5]) for i in range(len(WORDS))] * 4


def bert_tokenizer():
    """A lower-cased WordPiece tokenizer with ``[PAD]`` = 0, ``[CLS] text [SEP]``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(_texts(), trainers.WordPieceTrainer(vocab_size=200, special_tokens=BERT_SPECIAL))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=MAX_POSITIONS)


def roberta_tokenizer():
    """A byte-level BPE tokenizer with ``<s>`` = 0 and ``<pad>`` = 1, ``<s> text </s>``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(_texts(), trainers.BpeTrainer(vocab_size=600, special_tokens=ROBERTA_SPECIAL,
                                                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.RobertaProcessing(("</s>", tok.token_to_id("</s>")), ("<s>", tok.token_to_id("<s>")))
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>",
                                   pad_token="<pad>", cls_token="<s>", sep_token="</s>",
                                   model_max_length=MAX_POSITIONS - 2)


def _model(style: str, vocab_size: int, pad_id: int, *, num_labels: int, base_model: bool, hidden: int, layers: int):
    from transformers import (
        BertConfig,
        BertForSequenceClassification,
        BertModel,
        RobertaConfig,
        RobertaForSequenceClassification,
        RobertaModel,
    )

    shape = {"vocab_size": vocab_size, "hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": 2,
             "intermediate_size": 2 * hidden, "num_labels": num_labels, "pad_token_id": pad_id}
    if style == "bert":
        config = BertConfig(max_position_embeddings=MAX_POSITIONS, **shape)
        return (BertModel if base_model else BertForSequenceClassification)(config)
    config = RobertaConfig(max_position_embeddings=MAX_POSITIONS, bos_token_id=0, eos_token_id=2, **shape)
    return (RobertaModel if base_model else RobertaForSequenceClassification)(config)


def build_checkpoint(folder: str | Path, *, style: str = "bert", num_labels: int = 2, base_model: bool = False,
                     tokenizer: bool = True, pickle_weights: bool = False, hidden: int = 32, layers: int = 2,
                     seed: int = 0) -> Path:
    """Write a tiny randomly-initialised checkpoint into ``folder`` (created) and return its path.

    ``tokenizer=False`` leaves out ``tokenizer.json`` (the tokenizer's other files stay);
    ``pickle_weights=True`` writes ``pytorch_model.bin`` with ``torch.save`` instead of ``model.safetensors``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fast = bert_tokenizer() if style == "bert" else roberta_tokenizer()
    torch.manual_seed(seed)
    model = _model(style, len(fast), int(fast.pad_token_id), num_labels=num_labels, base_model=base_model,
                   hidden=hidden, layers=layers)
    model.save_pretrained(folder)
    fast.save_pretrained(folder)
    if pickle_weights:
        torch.save(model.state_dict(), folder / "pytorch_model.bin")
        (folder / "model.safetensors").unlink()
    if not tokenizer:
        (folder / "tokenizer.json").unlink()
    return folder
