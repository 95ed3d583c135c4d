"""``compare_runs``: the change of every headline figure between two runs, gates flipped, concerns, drift."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.compare._changes import Change, bootstrap_changes, family_adjust
from audit.compare._drift import drift_tests
from audit.compare._gates import evaluate_gates, parse_max_drop
from audit.compare._records import concern_changes, gate_flips, record_changes
from audit.compare._runs import RunData, check_comparable, read_run, same_rows
from audit.compare._seeds import with_seeds
from audit.compare._tasks import ModelRows, comparison_for

__all__ = ["Comparison", "compare_rows", "compare_runs"]


@dataclass
class Comparison:
    """The comparison of run B against run A (see :func:`compare_runs`); ``to_dict()`` for JSON."""

    run_a: str
    run_b: str
    paired: bool
    pairing: str
    family: dict[str, Any]
    changes: list[Change]
    gates: dict[str, Any]
    gate_flips: list[dict[str, Any]] = field(default_factory=list)
    concerns: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    drift: list[dict[str, Any]] = field(default_factory=list)
    drift_scope: str = ""
    task: str = "binary"  # the config task of both runs (audit.choices.TASK_KINDS)

    @property
    def verdict(self) -> str:
        """``pass``, ``fail``, ``inconclusive`` (the ``--max-drop`` gates), or ``no gates``."""
        return str(self.gates["verdict"])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {"run_a": self.run_a, "run_b": self.run_b, "task": self.task, "verdict": self.verdict, "paired": self.paired,
                "pairing": self.pairing, "family": self.family, "gates": self.gates,
                "changes": [c.to_dict() for c in self.changes], "gate_flips": self.gate_flips,
                "concerns": self.concerns, "drift": self.drift, "drift_scope": self.drift_scope}


def compare_rows(side_a: tuple[pd.DataFrame, dict[str, ModelRows]], side_b: tuple[pd.DataFrame, dict[str, ModelRows]],
                 *, groupings: dict[str, list[str]], models: list[str], paired: bool, n_boot: int = 1000,
                 seed: int = 0, min_rows: int = 30, min_per_class: int = 10, auc: bool = True,
                 task: str = "binary") -> list[Change]:
    """The change of every row-based figure of ``models`` (the figures of ``task``'s comparison).

    ``side_a`` is run A's sensitive columns and each model's rows. Binary: accuracy, ROC AUC (``auc``), group
    rates, disparities; multiclass and regression: the figures of their group reports (``docs/compare.md``).
    The changes are not yet adjusted for the family (:func:`audit.compare._changes.family_adjust`).

    Examples
    --------
    >>> s = pd.DataFrame({"g": ["u", "v"] * 100})
    >>> rows = ModelRows(np.tile([0, 1], 100).astype("i1"), np.tile([0, 1], 100).astype("i1"), np.tile([0.2, 0.8], 100))
    >>> out = compare_rows((s, {"m": rows}), (s, {"m": rows}), groupings={"g": ["g"]}, models=["m"], paired=True,
    ...                    n_boot=50)
    >>> out[0].key, out[0].delta
    ('accuracy@m', 0.0)
    """
    kind = comparison_for(task)
    (sa, ma), (sb, mb) = side_a, side_b
    out: list[Change] = []
    for k, model in enumerate(models):
        layout = kind.layout(groupings, [(sa, ma[model]), (sb, mb[model])], min_rows=min_rows,
                             min_per_class=min_per_class)
        figs = kind.figures(layout, model, scores=auc)
        stats = [kind.statistic(layout, groupings, s, r, figs) for s, r in ((sa, ma[model]), (sb, mb[model]))]
        one_a, one_b = np.ones((1, len(sa)), np.float32), np.ones((1, len(sb)), np.float32)
        va, vb = stats[0](one_a)[0], stats[1](one_b)[0]
        delta, se = bootstrap_changes(stats[0], stats[1], len(sa), len(sb), paired=paired, n_boot=n_boot, seed=seed + k)
        for f, x, y, d, e in zip(figs, va, vb, delta, se, strict=True):
            tested = np.isfinite(e) and f.withheld is None
            out.append(Change(f.key, f.metric, f.model, f.feature, f.group, float(x), float(y), float(d),
                              se=float(e) if tested else None, direction=f.direction, paired=paired, note=f.withheld,
                              class_label=f.class_label))
    return out


def _groupings(run: RunData) -> dict[str, list[str]]:
    audits = run.result.group_audits
    audit = audits.get("private") or next(iter(audits.values()), None)
    if audit is not None and audit.by_feature:
        return {key: list(fr.features or [key]) for key, fr in audit.by_feature.items()}
    return {f: [f] for f in run.sensitive.columns}


def _label(run: RunData) -> np.ndarray:
    """The test labels as drift reads them: a class's label rather than its index."""
    rows = next(iter(run.models.values()))
    return np.asarray(rows.classes, dtype=object)[rows.y_true] if rows.classes else rows.y_true


def _drift(a: RunData, b: RunData, paired: bool) -> tuple[list[dict[str, Any]], str]:
    if paired:
        return [], "not tested: both runs scored the same test rows, so their distributions are identical"
    sens = list(a.sensitive.columns)
    label = {"y_true (label)": _label(a)}, {"y_true (label)": _label(b)}
    if a.features is not None and b.features is not None:
        fa = a.features.assign(**{c: a.sensitive[c] for c in sens}, **label[0])
        fb = b.features.assign(**{c: b.sensitive[c] for c in sens}, **label[1])
        numeric = {c for c in fa.columns if c in fb.columns and pd.api.types.is_numeric_dtype(fa[c])
                   and c not in sens and not c.startswith("y_true")}
        scope = f"every raw test feature both runs stored ({len(set(fa.columns) & set(fb.columns))} columns, with the label)"
    else:
        fa, fb, numeric = a.sensitive.assign(**label[0]), b.sensitive.assign(**label[1]), set()
        scope = "the sensitive columns and the label only: a run stored no raw test features (slices/test_features.npy)"
    if comparison_for(a.task).numeric_label:  # a regression's target: KS and the standardised mean difference
        numeric.add("y_true (label)")
    return drift_tests(fa, fb, numeric=numeric, sensitive=sens), scope


def _config_without_seeds(run: RunData) -> dict[str, Any] | None:
    config = run.result.run.config
    if not isinstance(config, dict):
        return None
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in config.items() if k != "name"}
    out.get("training", {}).pop("seed", None)
    return out


def _rerun_values(a: RunData, paths: list[str | Path], *, side: str = "A",
                  **kw: Any) -> list[dict[str, float | None]]:
    """Each rerun of ``a``'s config: its value of every figure, by key (checked to be a rerun of ``a``)."""
    from audit.exceptions import DataError

    out = []
    for path in paths:
        r = read_run(path)
        check_comparable(a, r)
        paired, why = same_rows(a, r)
        base = _config_without_seeds(a)
        problems = [] if paired else [f"it must score {side}'s test rows ({why})"]
        if base is None or _config_without_seeds(r) != base:
            problems.append(f"its config must be {side}'s with another training seed only (rai-audit run on that "
                            "config with [training] seed changed)")
        if problems:
            flag = "--baseline-rerun" if side == "A" else "--candidate-rerun"
            raise DataError(f"{flag} {path}: " + "; ".join(problems) + ".")
        rows = compare_rows((a.sensitive, a.models), (r.sensitive, r.models), paired=True, n_boot=2, **kw)
        out.append({c.key: c.b for c in rows + record_changes(a.result, r.result, kw["models"])})
    return out


def compare_runs(run_a: str | Path, run_b: str | Path, *, max_drop: list[str] | None = None, level: float = 0.95,
                 n_boot: int = 1000, seed: int = 0, independent: bool = False,
                 baseline_reruns: list[str | Path] | None = None,
                 candidate_reruns: list[str | Path] | None = None) -> Comparison:
    """Compare run B against run A: did this release get worse?

    Parameters
    ----------
    run_a, run_b : path
        Run directories written by ``rai-audit run`` (A the baseline, B the candidate).
    max_drop : list of str, optional
        Gates ``METRIC=DELTA`` (e.g. ``accuracy=0.02``, ``tpr[sex=Female]=0.05``).
    level : float
        Family-wise confidence level of the intervals and tests.
    independent : bool
        Treat the test rows as independent samples even when they are the same rows.
    baseline_reruns : list of path, optional
        Runs of A's config with other training seeds (same test rows): each change is then judged against the
        spread of the baseline's trainings, so training randomness is in the intervals (:mod:`audit.compare._seeds`).
    candidate_reruns : list of path, optional
        Runs of B's config with other training seeds: B's side becomes the mean of its trainings too (with
        ``baseline_reruns`` only), which gives the test power against changes as small as the seed spread.

    Raises
    ------
    AuditError
        When a run cannot be read, the runs cannot be compared, or a gate names no figure.

    Examples
    --------
    >>> # c = compare_runs("runs/v1", "runs/v2", max_drop=["accuracy=0.02"]); c.verdict -> 'pass'
    """
    a, b = read_run(run_a), read_run(run_b)
    models = check_comparable(a, b)
    paired, why = same_rows(a, b)
    if paired and independent:
        paired, why = False, why + "; treated as independent (--independent)"
    audit = a.result.group_audits.get(models[-1])
    kw: dict[str, Any] = {"groupings": _groupings(a), "models": models, "seed": seed, "task": a.task,
                          "min_rows": int(audit.min_group_size or 30) if audit is not None else 30,
                          "min_per_class": int(audit.min_group_positives or 10) if audit is not None else 10}
    changes = compare_rows((a.sensitive, a.models), (b.sensitive, b.models), paired=paired, n_boot=n_boot, **kw)
    changes += record_changes(a.result, b.result, models)
    if candidate_reruns and not baseline_reruns:
        from audit.exceptions import ConfigError

        raise ConfigError("--candidate-rerun needs --baseline-rerun too: the seed spread is pooled from both configs' "
                          "trainings. Fix: rerun the baseline config with other seeds and pass those runs as well.")
    seeds = with_seeds(changes, _rerun_values(a, list(baseline_reruns), **kw),
                       _rerun_values(b, list(candidate_reruns or []), side="B", **kw)) \
        if baseline_reruns else {}
    family = {**family_adjust(changes, level=level), **seeds}
    default_model = "private" if "private" in models else models[0]
    gates = parse_max_drop(list(max_drop or []), [c.key for c in changes], default_model=default_model, task=a.task)
    drift, scope = _drift(a, b, paired)
    return Comparison(str(run_a), str(run_b), paired, why, family, changes, evaluate_gates(changes, gates, level=level),
                      gate_flips(a.result, b.result), concern_changes(a.result, b.result), drift, scope, a.task)
