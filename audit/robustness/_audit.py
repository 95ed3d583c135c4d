"""The robustness audit: every perturbation setting applied to the test rows, every model's decisions compared.

Each setting perturbs the same rows once (one seeded generator per setting, the same perturbed rows for
every model); each model's decisions on the perturbed rows are compared with its decisions on the
original rows, overall and in every group of every sensitive column (:mod:`audit.robustness._stats`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rows = pd.DataFrame({"x": np.linspace(-1, 1, 400), "g": ["a", "b"] * 200})
>>> y = (rows["x"] > 0).astype(int).to_numpy()
>>> decide = {"m": lambda f: (pd.to_numeric(f["x"]).fillna(0) > 0).astype(int).to_numpy()}
>>> found = robustness_audit(decide, rows, y, rows[["g"]], settings=[Setting("numeric_noise", 0.1)],
...                          columns=Columns(numeric={"x": 0.58}), seed=0)
>>> 0 < found["models"]["m"]["worst"]["flip_rate"]["value"] < 0.2
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audit.result import WORST_CELLS
from audit.robustness._registry import PERTURBATIONS, Columns
from audit.robustness._stats import INTERVAL, cell_figures

__all__ = ["Setting", "columns_for", "robustness_audit", "settings_for"]

METHOD = ("each perturbation applied once to every test row (seeded), sensitive columns left as they are; a flip is "
          "a decision that differs from the model's decision on the original row")


@dataclass(frozen=True)
class Setting:
    """One perturbation at one setting (a noise scale, a rate)."""

    perturbation: str
    value: float


def settings_for(input_kind: str, values: Mapping[str, Any]) -> list[Setting]:
    """The settings of every perturbation of ``input_kind`` from the ``[robustness]`` values (0 or [] turns one off).

    Examples
    --------
    >>> [s.perturbation for s in settings_for("table", {"noise_scales": [0.1], "missing_rate": 0.1, "remap_rate": 0})]
    ['numeric_noise', 'missing_values']
    """
    out: list[Setting] = []
    for name, p in PERTURBATIONS.items():
        if p.input_kind != input_kind:
            continue
        given = values.get(p.setting) or []
        out.extend(Setting(name, float(v)) for v in (given if isinstance(given, list) else [given]) if v)
    return out


def columns_for(train: pd.DataFrame, features: Iterable[str], *, sensitive: Iterable[str] = (),
                text_column: str | None = None, protected_terms: Iterable[str] = ()) -> Columns:
    """What each perturbation may change: the features less the sensitive columns, described by the training rows.

    Examples
    --------
    >>> train = pd.DataFrame({"age": [20, 40, 60], "job": ["a", "b", "b"], "sex": ["F", "M", "F"]})
    >>> cols = columns_for(train, ["age", "job", "sex"], sensitive=["sex"])
    >>> cols.names, round(cols.numeric["age"], 2)
    (['age', 'job'], 16.33)
    """
    skip = set(sensitive) | ({text_column} if text_column else set())
    numeric, categorical = {}, {}
    for col in features:
        if col in skip:
            continue
        s = train[col]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            sd = float(pd.to_numeric(s, errors="coerce").std(ddof=0))
            numeric[col] = sd if np.isfinite(sd) and sd > 0 else 0.0
        else:
            counts = s.dropna().astype(object).value_counts()
            categorical[col] = (counts.index.to_numpy(dtype=object), (counts / counts.sum()).to_numpy(np.float64))
    return Columns(numeric=numeric, categorical=categorical, text=text_column,
                   protected_terms=frozenset(t.lower() for t in protected_terms))


def _groups(sensitive: pd.DataFrame) -> list[tuple[str, str, np.ndarray]]:
    out: list[tuple[str, str, np.ndarray]] = []
    for col in sensitive.columns:
        values = sensitive[col].astype(str).to_numpy()
        out.extend((str(col), str(g), values == g) for g in sorted(set(values)))
    return out


def _worst(results: Sequence[dict[str, Any]], figure: str, over_groups: bool, n_family: int) -> dict[str, Any]:
    """The largest value of ``figure`` over the settings (and groups), with the cell it comes from."""
    best: dict[str, Any] | None = None
    for result in results:
        cells = result["groups"] if over_groups else [result["overall"]]
        for cell in cells:
            value = cell.get(figure)
            if value is None:
                continue
            if best is None or (value, cell["n"]) > (best["value"], best["n"]):
                best = {"value": value, "ci": cell[f"{figure}_ci"], "perturbation": result["label"],
                        "feature": cell.get("feature"), "group": cell.get("group"), "n": cell["n"]}
    none = ("the run has no sensitive feature, so no group" if over_groups and not any(r["groups"] for r in results)
            else "no cell has rows")
    return {**(best or {"value": None, "reason": none}), "n_family": n_family}


def robustness_audit(decide: Mapping[str, Callable[[pd.DataFrame], np.ndarray]], rows: pd.DataFrame,
                     y_true: np.ndarray, sensitive: pd.DataFrame, *, settings: Sequence[Setting], columns: Columns,
                     level: float = 0.95, seed: int = 0) -> dict[str, Any]:
    """Flip rates and accuracy drops of every model under every setting, overall and by group.

    Parameters
    ----------
    decide : mapping of str to callable
        Model name → ``decide(raw_rows) -> decisions`` (encoded labels, as ``y_true``).
    rows : DataFrame
        The raw test rows (the model's features; the sensitive columns are not perturbed).
    y_true : ndarray
        Their labels, encoded as the decisions are.
    sensitive : DataFrame
        One column per grouping (a sensitive feature; for texts also which identities a text mentions), aligned
        with ``rows``: the groups. Those that are columns of ``rows`` are never perturbed.
    settings, columns : see :func:`settings_for`, :func:`columns_for`.
    level : float
        The family-wise coverage of the ``*_ci`` intervals (and the level of each ``*_ci_marginal``).
    seed : int
        Seeds one generator per setting.

    Returns
    -------
    dict
        The record's ``robustness`` section (:class:`audit.result.Robustness`) as plain data.

    Examples
    --------
    >>> rows = pd.DataFrame({"x": np.linspace(-1, 1, 200), "g": ["a", "b"] * 100})
    >>> found = robustness_audit({"m": lambda f: (f["x"].fillna(0) > 0).astype(int).to_numpy()}, rows,
    ...                          (rows["x"] > 0).astype(int).to_numpy(), rows[["g"]],
    ...                          settings=[Setting("missing_values", 0.2)], columns=columns_for(rows, ["x"]))
    >>> found["n_family"], found["models"]["m"]["results"][0]["label"]
    (3, 'missing values 20%')
    """
    y_true = np.asarray(y_true)
    groups = _groups(sensitive.reset_index(drop=True))
    n_family = len(settings) * (1 + len(groups))
    rows = rows.reset_index(drop=True)
    before = {name: np.asarray(fn(rows)) for name, fn in decide.items()}
    models: dict[str, dict[str, Any]] = {name: {"results": []} for name in decide}
    for i, setting in enumerate(settings):
        p = PERTURBATIONS[setting.perturbation]
        perturbed = p.apply(rows, setting.value, columns, np.random.default_rng([seed, i]))
        for name, fn in decide.items():
            after = np.asarray(fn(perturbed))
            b = before[name]
            models[name]["results"].append({
                "perturbation": p.name, "setting": setting.value, "label": p.label(setting.value),
                "description": p.description(setting.value),
                "overall": cell_figures(b, after, y_true, level=level, n_family=n_family),
                "groups": [{"feature": col, "group": g, **cell_figures(b[m], after[m], y_true[m], level=level,
                                                                      n_family=n_family)} for col, g, m in groups],
            })
    for block in models.values():
        # WORST_CELLS: flip_rate and accuracy_drop over the settings; group_*: over the settings and the groups
        block["worst"] = {key: _worst(block["results"], key.removeprefix("group_"), key.startswith("group_"), n_family)
                          for key in WORST_CELLS}
    return {"method": METHOD, "interval": INTERVAL, "level": level, "n_family": n_family, "rows": int(len(rows)),
            "perturbed_columns": columns.names, "excluded_columns": [str(c) for c in sensitive.columns if c in rows.columns],
            "models": models}
