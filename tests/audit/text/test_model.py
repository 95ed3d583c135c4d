"""The text classifier: float ids, padding masked, non-private and DP training through train_private."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from audit.privacy import train_private
from audit.text import TextClassifier, text_predict_fn

from .conftest import MAX_LEN


def test_float_and_long_ids_give_the_same_logits():
    torch.manual_seed(0)
    model = TextClassifier(50, embedding_dim=8, n_outputs=3)
    ids = torch.randint(0, 50, (4, 6))
    assert model(ids.float()).shape == (4, 3)
    assert torch.equal(model(ids.float()), model(ids))


def test_padding_does_not_change_the_output():
    torch.manual_seed(0)
    model = TextClassifier(50, embedding_dim=8)
    with torch.no_grad():
        model.embedding.weight[0] = 5.0  # even a non-zero padding row (as DP noise leaves it) is masked
    short = torch.tensor([[3, 4, 5]])
    padded = torch.tensor([[3, 4, 5, 0, 0, 0]])
    assert torch.allclose(model(short), model(padded), atol=1e-6)


def test_non_private_training_learns_a_separable_corpus(corpus, trained):
    predict = text_predict_fn(trained, corpus.vocab, max_len=MAX_LEN)
    accuracy = ((predict(corpus.test_texts) >= 0.5) == corpus.y_test).mean()
    assert accuracy > 0.95


def test_dp_training_reports_epsilon_and_beats_chance(corpus):
    torch.manual_seed(0)
    result = train_private(TextClassifier(len(corpus.vocab), embedding_dim=16), corpus.X_train, corpus.y_train,
                           epsilon=3.0, epochs=8, batch_size=200, learning_rate=0.05, grad_sample_mode="auto", accountant="rdp")
    assert 0 < result.epsilon_spent <= 3.0
    assert result.grad_sample_mode in {"ghost", "hooks"}
    logits = result.model.eval()(torch.as_tensor(corpus.X_test)).squeeze(1)
    accuracy = ((logits > 0).numpy() == corpus.y_test).mean()
    assert accuracy > 0.75  # chance is about 0.5


def test_dp_training_of_a_multiclass_model_with_cross_entropy(corpus):
    torch.manual_seed(0)
    y = (corpus.y_train * 2).astype(np.int64)  # classes 0 and 2 of three
    result = train_private(TextClassifier(len(corpus.vocab), embedding_dim=16, n_outputs=3), corpus.X_train, y,
                           epsilon=3.0, epochs=8, batch_size=200, learning_rate=0.05, loss_fn=nn.CrossEntropyLoss(), accountant="rdp")
    assert 0 < result.epsilon_spent <= 3.0
    predicted = result.model.eval()(torch.as_tensor(corpus.X_test)).argmax(dim=1).numpy()
    assert (predicted == corpus.y_test * 2).mean() > 0.75
