"""Name → loader for the datasets that ship with rai-audit."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from audit.data.datasets._adult import ADULT_ATTRIBUTION, load_adult
from audit.data.datasets._diabetes import DIABETES_ATTRIBUTION, load_diabetes
from audit.data.datasets._text import FARM_ADS_ATTRIBUTION, load_farm_ads
from audit.exceptions import DataError

# Each entry: loader returning (train, test-or-None), attribution text.
BUNDLED_DATASETS: dict[str, tuple[Callable[[], tuple[pd.DataFrame, pd.DataFrame | None]], str]] = {
    "adult": (load_adult, ADULT_ATTRIBUTION),
    "diabetes": (load_diabetes, DIABETES_ATTRIBUTION),
    "farm_ads": (load_farm_ads, FARM_ADS_ATTRIBUTION),
}


def load_bundled(name: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Load a bundled dataset by name; unknown names list the valid ones."""
    try:
        loader, _ = BUNDLED_DATASETS[name]
    except KeyError:
        raise DataError(
            f"Unknown bundled dataset {name!r}. Expected one of {sorted(BUNDLED_DATASETS)}; "
            "or give a file with data.path instead of data.bundled."
        ) from None
    return loader()
