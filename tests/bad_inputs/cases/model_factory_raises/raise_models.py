def make(n_features):
    raise ValueError('width must be even')
