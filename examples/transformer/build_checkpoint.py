"""Build the example's transformer checkpoint offline: a small BERT classifier and its WordPiece tokenizer.

A stand-in for your own fine-tuned checkpoint, built from a config (nothing is downloaded). UCI Farm
Ads (read from the installed ``dmba`` package) is cut once, with a fixed seed, into a *public* 40%
and a *private* 60%, as a team holds public data to pre-train on and private data to fine-tune on:

* the tokenizer is trained with ``tokenizers`` on the public texts only, and a two-layer
  ``BertForSequenceClassification`` is trained on them from random weights (what a pre-trained,
  publicly fine-tuned checkpoint is; a frozen random network gives LoRA adapters nothing to adapt);
* both are written with ``save_pretrained`` to ``build/checkpoint``, exactly as you would save yours;
* the private rows are written to ``build/farm_ads_private.csv``: the audit's data.

The audit then loads the folder as it loads any checkpoint (``[model] kind = "transformers"``) and
fine-tunes LoRA adapters and the head on the private rows, with and without differential privacy;
nothing in the checkpoint or its tokenizer has seen them, so its membership audit measures what the
fine-tuning leaks.

Run it with:  python examples/transformer/build_checkpoint.py        (writes examples/transformer/build, ~30 s)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The model's shape: small enough that the whole audit runs in minutes on 2 CPU cores.
BERT = {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128,
        "max_position_embeddings": 128, "num_labels": 2, "id2label": {0: "rejected", 1: "accepted"},
        "label2id": {"rejected": 0, "accepted": 1}}
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_tokenizer(texts: list[str], vocab_size: int = 4000):
    """A BERT-style WordPiece tokenizer (lower-cased) trained on ``texts``, as a fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, show_progress=False))
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
                                                       special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]", model_max_length=BERT["max_position_embeddings"])


#: Share of Farm Ads that is public (tokenizer and checkpoint); the rest is the audit's private data.
PUBLIC_SHARE = 0.4


def split(seed: int = 0):
    """(public, private) frames of Farm Ads: one seeded permutation, ``PUBLIC_SHARE`` of the rows public."""
    import numpy as np

    from audit.data.datasets import load_bundled

    frame, _ = load_bundled("farm_ads")
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = int(PUBLIC_SHARE * len(frame))
    return frame.iloc[order[:cut]].reset_index(drop=True), frame.iloc[order[cut:]].reset_index(drop=True)


def pretrain(model, tokenizer, texts: list[str], labels: list[int], *, epochs: int = 6, max_length: int = 64):
    """Train every weight on the public rows (AdamW, batches of 32): the stand-in for pre-training."""
    import torch

    enc = tokenizer(texts, padding="max_length", truncation=True, max_length=max_length, return_tensors="pt")
    y = torch.tensor(labels)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(y)).split(32):
            loss = model(input_ids=enc["input_ids"][idx], attention_mask=enc["attention_mask"][idx], labels=y[idx]).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def build(out: Path, seed: int = 0) -> Path:
    """Write the tokenizer and the classifier trained on the public rows to ``out/checkpoint`` with
    ``save_pretrained``, and the private rows to ``out/farm_ads_private.csv``."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    public, private = split(seed)
    texts = public["text"].fillna("").astype(str).tolist()
    tokenizer = train_tokenizer(texts)
    torch.manual_seed(seed)
    model = BertForSequenceClassification(BertConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, **BERT))
    pretrain(model, tokenizer, texts, [int(v == "accepted") for v in public["label"]])
    (out / "checkpoint").mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out / "checkpoint")  # safetensors
    tokenizer.save_pretrained(out / "checkpoint")
    private.to_csv(out / "farm_ads_private.csv", index=False)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "build", help="folder to write (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"wrote {build(args.out, args.seed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
