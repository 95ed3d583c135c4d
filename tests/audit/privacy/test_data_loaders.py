"""train_private takes a DataLoader or a Dataset as well as arrays, with the same result."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, TensorDataset

from audit.exceptions import DataError
from audit.models import MLP
from audit.privacy import train_private

KW = dict(epsilon=2.0, epochs=2, accountant="rdp", seed=4)


class Pairs(Dataset):
    """A map-style dataset returning (numpy features, int label), as user code often does."""

    def __init__(self, X, y):
        self.X, self.y = X, y

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        return self.X[i], int(self.y[i])


class Stream(IterableDataset):
    def __iter__(self):
        yield from ()


def _weights(res):
    return torch.cat([p.flatten() for p in res.model.parameters()])


def test_loader_dataset_and_arrays_train_the_same_model(synthetic):
    X, y = synthetic
    torch.manual_seed(0)
    arrays = train_private(MLP(6, hidden=(8,)), X, y, batch_size=100, **KW)
    torch.manual_seed(0)
    loader = train_private(MLP(6, hidden=(8,)), DataLoader(TensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=100), **KW)
    torch.manual_seed(0)
    pairs = train_private(MLP(6, hidden=(8,)), Pairs(X, y.astype(np.float32)), batch_size=100, **KW)
    assert loader.batch_size == 100  # taken from the loader
    assert arrays.epsilon_history == loader.epsilon_history == pairs.epsilon_history
    assert torch.equal(_weights(arrays), _weights(loader)) and torch.equal(_weights(arrays), _weights(pairs))


def test_datasets_that_cannot_be_sampled_are_refused(synthetic):
    X, y = synthetic
    with pytest.raises(DataError, match="map-style dataset"):
        train_private(MLP(6), DataLoader(Stream(), batch_size=10), **KW)
    with pytest.raises(DataError, match="already holds the labels"):
        train_private(MLP(6), DataLoader(TensorDataset(torch.tensor(X), torch.tensor(y))), y, **KW)
    with pytest.raises(DataError, match=r"\(features, label\) pair"):
        train_private(MLP(6), TensorDataset(torch.tensor(X)), **KW)  # features only, no labels
