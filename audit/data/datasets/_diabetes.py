"""The diabetes regression data (Efron et al. 2004), read from the copy bundled with scikit-learn.

scikit-learn ships the file inside its wheel, so nothing is downloaded. The raw (unscaled) values are used.
"""

from __future__ import annotations

import pandas as pd
from sklearn.datasets import load_diabetes as _sklearn_load_diabetes

from audit.exceptions import DataError

DIABETES_ROWS = 442
DIABETES_TARGET = "progression"

# scikit-learn's names for the ten baseline variables, in file order, with their documented meanings.
DIABETES_COLUMNS = [
    "age",  # age in years
    "sex",  # coded 1 or 2 in the source; which code is which sex is not documented
    "bmi",  # body mass index
    "bp",  # average blood pressure
    "s1",  # tc, total serum cholesterol
    "s2",  # ldl, low-density lipoproteins
    "s3",  # hdl, high-density lipoproteins
    "s4",  # tch, total cholesterol / HDL
    "s5",  # ltg, possibly log of serum triglycerides level
    "s6",  # glu, blood sugar level
]

# The source codes sex as 1 or 2 without saying which is which, so the labels say only the code.
DIABETES_SEX_LABELS = {1: "sex 1", 2: "sex 2"}

DIABETES_ATTRIBUTION = (
    "Diabetes data, Bradley Efron, Trevor Hastie, Iain Johnstone and Robert Tibshirani (2004), "
    "'Least Angle Regression', Annals of Statistics 32(2):407-499; original data from "
    "https://www4.stat.ncsu.edu/~boos/var.select/diabetes.html. "
    "Read from the copy bundled with scikit-learn (BSD-3-Clause)."
)


def load_diabetes() -> tuple[pd.DataFrame, None]:
    """Load the 442-patient diabetes data as one table with readable columns (unscaled values).

    Ten baseline variables (see ``DIABETES_COLUMNS``) and the target ``progression``: a quantitative
    measure of disease progression one year after baseline. ``sex`` is a string column
    (``"sex 1"`` / ``"sex 2"``) because the source does not say which code means which sex.

    Returns
    -------
    frame : pandas.DataFrame
        442 rows, columns ``DIABETES_COLUMNS`` + ``["progression"]``.
    None
        No separate test table.

    Examples
    --------
    >>> frame, test = load_diabetes()
    >>> frame.shape, test
    ((442, 11), None)
    >>> sorted(frame["sex"].unique())
    ['sex 1', 'sex 2']
    """
    bunch = _sklearn_load_diabetes(scaled=False, as_frame=True)
    data = bunch.frame
    expected = [*DIABETES_COLUMNS, "target"]
    if list(data.columns) != expected or len(data) != DIABETES_ROWS:
        raise DataError(
            f"scikit-learn's diabetes data has columns {list(data.columns)} and {len(data)} rows; "
            f"expected {expected} and {DIABETES_ROWS} rows."
        )
    codes = data["sex"].round().astype("int64")
    unknown = sorted(set(codes) - set(DIABETES_SEX_LABELS))
    if unknown:
        raise DataError(f"scikit-learn's diabetes data has sex codes {unknown}; expected only 1 and 2.")
    frame = data.drop(columns=["target"]).copy()
    frame["age"] = frame["age"].round().astype("int64")
    frame["sex"] = codes.map(DIABETES_SEX_LABELS).astype("string")
    frame[DIABETES_TARGET] = data["target"].astype("float64")
    return frame.reset_index(drop=True), None
