"""Tables built like the public ones a new user brings: imbalanced, coarse, with a numeric and a small group.

Two generators, seeded, with known structure (a logistic model of coarse categorical features), so a
model *can* learn them (ROC AUC about 0.75-0.85) while the defaults of earlier versions predicted the
majority class for every row:

* :func:`mortgage_table` — about 2,000 rows, 88% approved; sex with a small group (about 8% women, so
  a 30% test split holds a few dozen), race, a numeric ``age`` (18-80), income/loan/debt bands,
  credit history, property type, county;
* :func:`arrests_table` — about 5,000 rows, 83% released; charge, prior arrests, employed, citizen,
  checks, year, sex, race and a numeric ``age``; coarse enough that most rows share their feature
  vector with another person (different people, same coarse features).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _logistic(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _calibrate(logit: np.ndarray, rate: float) -> np.ndarray:
    """Shift a logit so the mean probability is ``rate`` (bisection on the intercept)."""
    lo, hi = -20.0, 20.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _logistic(logit + mid).mean() < rate else (lo, mid)
    return _logistic(logit + (lo + hi) / 2)


def mortgage_table(n: int = 2000, *, approved: float = 0.88, women: float = 0.08, seed: int = 0) -> pd.DataFrame:
    """An imbalanced approval table (``approved`` yes/no) with a small group of women."""
    rng = np.random.default_rng(seed)
    income = rng.choice(["<30k", "30-60k", "60-100k", "100-150k", ">150k"], n, p=[0.15, 0.3, 0.3, 0.15, 0.1])
    loan = rng.choice(["<100k", "100-250k", "250-500k", ">500k"], n, p=[0.2, 0.4, 0.3, 0.1])
    dti = rng.choice(["<20%", "20-36%", "36-50%", ">50%"], n, p=[0.3, 0.4, 0.2, 0.1])
    credit = rng.choice(["good", "fair", "poor"], n, p=[0.6, 0.3, 0.1])
    prop = rng.choice(["single family", "condo", "multi family"], n, p=[0.7, 0.2, 0.1])
    county = rng.choice([f"county {i}" for i in range(8)], n)
    sex = rng.choice(["male", "female"], n, p=[1 - women, women])
    race = rng.choice(["white", "black", "asian", "other"], n, p=[0.7, 0.15, 0.1, 0.05])
    age = np.clip(rng.normal(42, 12, n).round(), 18, 80).astype(int)
    score = {"<30k": -1.2, "30-60k": -0.4, "60-100k": 0.3, "100-150k": 0.8, ">150k": 1.2}
    logit = (np.vectorize(score.get)(income) + np.vectorize({"<100k": 0.4, "100-250k": 0.2, "250-500k": -0.3, ">500k": -0.8}.get)(loan)
             + np.vectorize({"<20%": 0.8, "20-36%": 0.3, "36-50%": -0.6, ">50%": -1.5}.get)(dti)
             + np.vectorize({"good": 1.0, "fair": -0.3, "poor": -1.8}.get)(credit) - 0.3 * (race == "black"))
    y = rng.random(n) < _calibrate(logit, approved)
    return pd.DataFrame({"income_band": income, "loan_band": loan, "debt_to_income": dti, "credit_history": credit,
                         "property_type": prop, "county": county, "sex": sex, "race": race, "age": age,
                         "approved": np.where(y, "yes", "no")})


def arrests_table(n: int = 5000, *, released: float = 0.83, seed: int = 0) -> pd.DataFrame:
    """An imbalanced release table (``released`` Yes/No) of coarse features: most rows share a feature vector."""
    rng = np.random.default_rng(seed)
    race = rng.choice(["White", "Black"], n, p=[0.72, 0.28])
    sex = rng.choice(["Male", "Female"], n, p=[0.92, 0.08])
    employed = rng.choice(["Yes", "No"], n, p=[0.78, 0.22])
    citizen = rng.choice(["Yes", "No"], n, p=[0.85, 0.15])
    checks = np.minimum(rng.poisson(1.6, n), 6)
    year = rng.choice([str(y) for y in range(1997, 2003)], n)
    age = np.clip(rng.gamma(4.0, 6.5, n).round() + 12, 12, 66).astype(int)
    logit = (0.9 * (employed == "Yes") + 0.6 * (citizen == "Yes") - 0.36 * checks - 0.35 * (race == "Black")
             + 0.2 * (sex == "Female"))
    y = rng.random(n) < _calibrate(logit, released)
    return pd.DataFrame({"race": race, "sex": sex, "employed": employed, "citizen": citizen, "checks": checks,
                         "year": year, "age": age, "released": np.where(y, "Yes", "No")})
