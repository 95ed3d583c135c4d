import torch


def make(n_features):
    model = torch.nn.Sequential(torch.nn.Linear(n_features, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    for p in model.parameters():
        p.requires_grad_(False)
    return model
