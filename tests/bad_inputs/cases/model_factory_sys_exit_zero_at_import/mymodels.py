import sys

sys.exit(0)


def make(n_features):
    pass
