import torch.nn as nn


def make(n_features):
    return nn.Sequential(nn.Linear(7, 1))
