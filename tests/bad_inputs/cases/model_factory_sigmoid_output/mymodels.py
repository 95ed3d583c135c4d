import torch


def make(n_features):
    return torch.nn.Sequential(torch.nn.Linear(n_features, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1), torch.nn.Sigmoid())
