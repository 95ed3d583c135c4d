"""A model factory for tests: a LayerNorm MLP (not book-keeping capable)."""

from torch import nn


def make(n_features: int) -> nn.Module:
    return nn.Sequential(nn.Linear(n_features, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 1))
