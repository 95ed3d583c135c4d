def make(n_features):
    return {'layers': n_features}
