"""A bag-of-embeddings text classifier that trains under DP-SGD, and a predict function for it.

The model averages the embeddings of a text's tokens (padding excluded) and
applies one linear layer: fastText-style, the EmbeddingBag(mode="mean") idea.
It is built from ``nn.Embedding`` plus a masked mean rather than
``nn.EmbeddingBag`` because Opacus 1.6's EmbeddingBag grad sampler needs 1-D
inputs with offsets and materialises a (batch, vocab, dim) tensor, and has no
ghost-clipping norm sampler; ``nn.Embedding`` and ``nn.Linear`` have both, so
:func:`audit.privacy.train_private` trains it with ``grad_sample_mode="auto"``.

The rest of the pipeline passes inputs as float32 arrays, so ``forward`` takes a
float or integer tensor of token ids and casts it to long.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from audit.data._vocab import PAD_ID, Vocabulary
from audit.exceptions import ModelError
from audit.models import positive_logit
from audit.text._grad_sample import register_embedding_norm_sampler

__all__ = ["TextClassifier", "embedding_layer", "text_predict_fn"]

_BAD_SIZE = "{name} must be a positive integer; found {value!r}. Fix: pass e.g. {name}={example}."
_BAD_INPUT = (
    "TextClassifier expects token ids of shape (n, max_len); found shape {shape}. "
    "Fix: encode the texts with Vocabulary.encode(texts, max_len=...)."
)
_NO_EMBEDDING = (
    "The model has no nn.Embedding layer to attribute to (found layers: {found}). "
    "Fix: pass layer=<the model's token-embedding layer>."
)
# [True] once audit.text._grad_sample's exact, cheaper embedding norms are registered with Opacus
_FAST_NORMS: list[bool] = []
# float32 represents every integer up to 2**24 exactly; a larger vocabulary would garble ids passed as floats.
MAX_FLOAT_EXACT_ID = 2**24


def _positive(name: str, value: int, example: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ModelError(_BAD_SIZE.format(name=name, value=value, example=example))
    return int(value)


class TextClassifier(nn.Module):
    """Mean of token embeddings (padding masked) followed by a linear layer.

    Parameters
    ----------
    vocab_size : int
        Number of ids (``len(vocab)``), padding (0) and unknown (1) included.
    embedding_dim : int
        Width of each token embedding.
    n_outputs : int
        ``1`` for a binary classifier (one logit), else the number of classes.

    Examples
    --------
    >>> model = TextClassifier(100, embedding_dim=8)
    >>> model(torch.tensor([[5.0, 7.0, 0.0]])).shape
    torch.Size([1, 1])
    """

    def __init__(self, vocab_size: int, *, embedding_dim: int = 64, n_outputs: int = 1) -> None:
        super().__init__()
        vocab_size = _positive("vocab_size", vocab_size, 20000)
        if vocab_size > MAX_FLOAT_EXACT_ID:
            raise ModelError(_BAD_SIZE.format(name="vocab_size", value=vocab_size, example=20000)
                             + f" (at most {MAX_FLOAT_EXACT_ID}, so ids survive float32)")
        self.embedding = nn.Embedding(vocab_size, _positive("embedding_dim", embedding_dim, 64), padding_idx=PAD_ID)
        self.linear = nn.Linear(embedding_dim, _positive("n_outputs", n_outputs, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape ``(n, n_outputs)`` for token ids ``x`` of shape ``(n, max_len)``."""
        if x.ndim != 2:
            raise ModelError(_BAD_INPUT.format(shape=tuple(x.shape)))
        ids = x if x.dtype == torch.long else x.round().long()
        # DP training runs with Opacus loaded: from then on its ghost clipping uses the exact, cheaper embedding norms
        if self.training and not _FAST_NORMS and register_embedding_norm_sampler():
            _FAST_NORMS.append(True)
        emb = self.embedding(ids)
        mask = (ids != PAD_ID).unsqueeze(-1).to(emb.dtype)
        pooled = (emb * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.linear(pooled)


def embedding_layer(model: nn.Module) -> nn.Embedding:
    """The token-embedding layer: ``model.embedding`` if it is one, else the first ``nn.Embedding``."""
    layer = getattr(model, "embedding", None)
    if isinstance(layer, nn.Embedding):
        return layer
    for module in model.modules():
        if isinstance(module, nn.Embedding):
            return module
    raise ModelError(_NO_EMBEDDING.format(found=sorted({type(m).__name__ for m in model.modules()})))


def text_predict_fn(
    model: nn.Module, vocab: Vocabulary, *, max_len: int = 64, target: int | None = None, batch_size: int = 4096
) -> Callable[[Sequence[str]], np.ndarray]:
    """A function mapping texts to the model's score: P(positive class), or P(class ``target``).

    For a binary model (one logit, or two) the score is the sigmoid of the
    positive logit; for a multi-class model pass ``target`` and the score is that
    class's softmax probability.

    Examples
    --------
    >>> vocab = Vocabulary().fit(["good film", "good film"])
    >>> predict = text_predict_fn(TextClassifier(len(vocab), embedding_dim=4), vocab, max_len=8)
    >>> predict(["a good film"]).shape
    (1,)
    """
    def predict(texts: Sequence[str]) -> np.ndarray:
        ids = torch.as_tensor(vocab.encode(list(texts), max_len=max_len))
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        was_training = model.training
        model.eval()
        out = []
        try:
            with torch.inference_mode():
                for start in range(0, len(ids), batch_size):
                    logits = model(ids[start : start + batch_size].to(device))
                    if target is None:
                        out.append(torch.sigmoid(positive_logit(logits)))
                    else:
                        out.append(torch.softmax(logits, dim=1)[:, int(target)])
        finally:
            model.train(was_training)
        return torch.cat(out).double().cpu().numpy() if out else np.zeros(0)

    return predict
