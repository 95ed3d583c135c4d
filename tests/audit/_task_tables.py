"""Small synthetic tables and configs for the multiclass, regression and text audits (issue 18 tests).

Everything is seeded and small (200-600 rows) so a whole audit runs in a few seconds.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# ---------------------------------------------------------------- TOML out


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"no TOML for {type(v).__name__}")


def to_toml(raw: dict[str, Any]) -> str:
    """A config dict as TOML: top-level keys, then tables, then ``[[gates]]``."""
    lines = [f"{k} = {_value(v)}" for k, v in raw.items() if not isinstance(v, dict) and k != "gates"]
    for name, table in raw.items():
        if isinstance(table, dict):
            lines += ["", f"[{name}]", *(f"{k} = {_value(v)}" for k, v in table.items())]
    for gate in raw.get("gates", []):
        lines += ["", "[[gates]]", *(f"{k} = {_value(v)}" for k, v in gate.items())]
    return "\n".join(lines) + "\n"


def write_config(folder: Path, raw: dict[str, Any], name: str = "audit.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(to_toml(raw), encoding="utf-8")
    return path


def merge(base: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """``base`` with sections updated key by key (a value of None removes the key)."""
    out = json.loads(json.dumps(base))
    for section, values in overrides.items():
        if isinstance(values, dict) and isinstance(out.get(section), dict):
            out[section].update(values)
            out[section] = {k: v for k, v in out[section].items() if v is not None}
        elif values is None:
            out.pop(section, None)
        else:
            out[section] = values
    return out


# ---------------------------------------------------------------- tables


def multiclass_table(n: int = 480, seed: int = 0) -> pd.DataFrame:
    """Four classes with mixed string/integer labels ("cat", "dog", 3 and a tiny 7), a group column
    with missing values, a numeric and a categorical feature; noisy so no feature leaks the class."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    colour = rng.choice(["red", "blue", "green"], size=n)
    logits = np.stack([1.5 * x1, -1.5 * x1, 1.5 * x2], axis=1) + rng.gumbel(size=(n, 3))
    labels = np.array(["cat", "dog", 3], dtype=object)[logits.argmax(axis=1)]
    tiny = rng.choice(n, size=max(n // 30, 10), replace=False)
    labels[tiny] = 7  # a tiny class, written as an integer
    group = rng.choice(["north", "south"], size=n, p=[0.65, 0.35]).astype(object)
    group[rng.choice(n, size=n // 8, replace=False)] = None  # a missing-value group
    site = rng.choice([f"site-{i:02d}" for i in range(12)], size=n)  # (almost) every site too small to compare
    return pd.DataFrame({"x1": x1.round(4), "x2": x2.round(4), "colour": colour, "region": group, "site": site,
                         "label": labels})


def integer_class_table(n: int = 300, seed: int = 1) -> pd.DataFrame:
    """Three integer classes (0, 1, 2) read back as an int64 column."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    label = (np.stack([x1, -x1, x2], axis=1) + rng.gumbel(size=(n, 3))).argmax(axis=1)
    return pd.DataFrame({"x1": x1.round(4), "x2": x2.round(4), "sex": rng.choice(["f", "m"], size=n), "label": label})


def regression_table(n: int = 400, seed: int = 2) -> pd.DataFrame:
    """A skewed (log-normal) income with a tiny group ("island", about 4%)."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.exponential(size=n)
    area = rng.choice(["urban", "rural", "island"], size=n, p=[0.6, 0.36, 0.04])
    income = np.exp(1.0 + 0.8 * x1 + 0.3 * x2 + 0.6 * rng.normal(size=n)) * 1000
    return pd.DataFrame({"x1": x1.round(4), "x2": x2.round(4), "area": area, "income": income.round(2)})


POSITIVE = ("friendly", "helpful", "quick", "excellent", "kind", "patient")
NEGATIVE = ("rude", "slow", "careless", "awful", "late", "unhelpful")
NEUTRAL = ("okay", "average", "usual", "fine")
SUBJECTS = ("the receptionist", "my neighbour", "the driver", "our teacher", "the nurse", "the cashier")
IDENTITY = ("women", "men", "she", "he", "muslim", "christian", "young", "old", "black", "white")
GENDER_TERMS = ("women", "men", "she", "he")


def review_table(n: int = 400, seed: int = 3, *, identity_share: float = 0.6, noise: float = 0.12,
                 classes: int = 2) -> pd.DataFrame:
    """Short review-like texts; some mention an identity term (no signal); the label is decided by the
    sentiment words, with ``noise`` of the labels flipped. ``classes = 3`` adds a neutral class."""
    rng = np.random.default_rng(seed)
    rows = []
    names = ("negative", "positive", "neutral")
    for _ in range(n):
        label = int(rng.integers(classes))
        words = (NEGATIVE, POSITIVE, NEUTRAL)[label]
        a, b = rng.choice(words, size=2, replace=False)
        text = f"{rng.choice(SUBJECTS)} was {a} and {b}"
        if rng.random() < identity_share:
            term = rng.choice(IDENTITY)
            text = (f"as a {term} customer I thought {text}" if term not in ("she", "he")
                    else f"{term} said {text}")
        if rng.random() < 0.3:
            text += rng.choice([".", "!", " today.", ", again."])
        if rng.random() < noise:
            label = int(rng.integers(classes))
        rows.append({"review": text, "region": rng.choice(["north", "south"], p=[0.7, 0.3]), "label": names[label]})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- configs

FAST = {
    "training": {"epochs": 3, "batch_size": 32, "learning_rate": 0.01, "seed": 0},
    "fairness": {"n_boot": 60, "min_group_size": 20, "mitigation": "none"},
    "explain": {"max_rows": 40, "n_examples": 2},
}


def base_config(task: str, csv: str, **data: Any) -> dict[str, Any]:
    """A fast config on ``csv``: no DP (privacy sections off) unless overridden."""
    raw: dict[str, Any] = {"name": f"t-{task}"}
    if task != "binary":
        raw["task"] = task
    raw["data"] = {"path": csv, **data}
    raw["model"] = {"hidden": [16]}
    raw.update(json.loads(json.dumps(FAST)))
    raw["privacy"] = {"enabled": False, "membership_inference": False}
    return raw


#: A factory whose model ignores its input: nn.Linear on x * 0, so only the bias speaks (DP-compatible).
IGNORE_INPUT_FACTORY = '''
import torch
from torch import nn


class IgnoresInput(nn.Module):
    def __init__(self, n_features, n_outputs=1):
        super().__init__()
        self.linear = nn.Linear(n_features, n_outputs)

    def forward(self, x):
        return self.linear(x * 0.0)


def build(n_features, n_outputs=1):
    return IgnoresInput(n_features, n_outputs)
'''
