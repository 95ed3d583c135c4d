"""Datasets bundled with rai-audit, verified against published checksums.

Examples
--------
>>> from audit.data.datasets import load_adult
>>> train, test = load_adult()
>>> train.shape[0], test.shape[0]
(32561, 16281)
"""

from audit.data.datasets._adult import ADULT_ATTRIBUTION, ADULT_COLUMNS, load_adult
from audit.data.datasets._registry import BUNDLED_DATASETS, load_bundled

__all__ = ["ADULT_ATTRIBUTION", "ADULT_COLUMNS", "BUNDLED_DATASETS", "load_adult", "load_bundled"]
