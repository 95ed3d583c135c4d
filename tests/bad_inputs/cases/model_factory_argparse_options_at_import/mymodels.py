import argparse

import torch

parser = argparse.ArgumentParser()
parser.add_argument('--width', type=int, default=4)
ARGS = parser.parse_args()


def make(n_features):
    return torch.nn.Sequential(torch.nn.Linear(n_features, ARGS.width), torch.nn.ReLU(), torch.nn.Linear(ARGS.width, 1))
