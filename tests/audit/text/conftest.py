"""A small synthetic sentiment corpus and a bag-of-embeddings model trained on it (about a second).

Texts are filler words, two sentiment words that decide the label, and sometimes an identity
term that carries no signal; everything is seeded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import torch

from audit.privacy import train_non_private
from audit.text import TextClassifier, Vocabulary

POSITIVE = ("great", "good", "excellent", "wonderful", "lovely")
NEGATIVE = ("bad", "awful", "terrible", "boring", "poor")
FILLER = ("the", "film", "was", "a", "plot", "actor", "and", "it", "really", "story", "we", "saw")
IDENTITY = ("women", "men", "muslim", "christian", "young", "old", "blind", "deaf")
MAX_LEN = 12


def make_corpus(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    """``n`` texts with labels 0/1 decided by their two sentiment words."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(2))
        words = list(rng.choice(FILLER, 6)) + list(rng.choice(POSITIVE if label else NEGATIVE, 2))
        if rng.random() < 0.5:
            words.append(str(rng.choice(IDENTITY)))
        rng.shuffle(words)
        texts.append(" ".join(words))
        labels.append(label)
    return texts, np.asarray(labels, dtype=np.float32)


@dataclass
class Corpus:
    train_texts: list[str]
    test_texts: list[str]
    y_train: np.ndarray
    y_test: np.ndarray
    vocab: Vocabulary
    X_train: np.ndarray
    X_test: np.ndarray


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    train_texts, y_train = make_corpus(800, seed=0)
    test_texts, y_test = make_corpus(300, seed=1)
    vocab = Vocabulary().fit(train_texts)
    return Corpus(train_texts, test_texts, y_train, y_test, vocab,
                  vocab.encode(train_texts, max_len=MAX_LEN).astype(np.float32),
                  vocab.encode(test_texts, max_len=MAX_LEN))


@pytest.fixture(scope="session")
def trained(corpus: Corpus) -> TextClassifier:
    torch.manual_seed(0)
    model = TextClassifier(len(corpus.vocab), embedding_dim=16)
    return train_non_private(model, corpus.X_train, corpus.y_train, epochs=15, batch_size=64, learning_rate=0.05)
