"""The robustness stage: every classifier's decisions on perturbed test rows (:mod:`audit.robustness`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import numpy as np
import pandas as pd

from audit.pipeline._context import AuditRun, Stage
from audit.result import Robustness

__all__ = ["ROBUSTNESS_STAGE"]


def _decider(run: AuditRun, name: str, features: list[str]) -> Callable[[pd.DataFrame], np.ndarray]:
    """Raw rows → the model's decisions, through the run's own preprocessing and decision threshold."""
    p, model, threshold = run.prepared, run.models[name], run.threshold(name)

    def decide(frame: pd.DataFrame) -> np.ndarray:
        return np.asarray(p.task.decide(p.task.scores(model, p.preprocessor.transform(frame[features])), threshold))

    return decide


def _protected_terms(run: AuditRun) -> list[str]:
    """Identity terms a text edit must leave alone (an edit to them is not identity-irrelevant)."""
    if not run.is_text:
        return []
    from audit.text import IDENTITY_TERMS

    return [word for terms in IDENTITY_TERMS.values() for term in terms for word in term.split()]


def _groups(run: AuditRun, rows: np.ndarray) -> pd.DataFrame:
    """The groups of the perturbed rows: the sensitive columns, and for texts which identities each text mentions.

    A text model's groups are often the identities its texts mention (a text run may have no sensitive column):
    ``mentions gender = yes`` holds the texts with a gender mention (:func:`audit.text.mentions`).
    """
    from audit.pipeline._text import _subgroups, test_mentions

    groups = run.prepared.sensitive_test.iloc[rows].reset_index(drop=True)
    if not run.is_text:
        return groups
    masks = test_mentions(run)
    categories = _subgroups(masks, len(run.prepared.X_test))  # a category: any of its terms
    for category in masks:
        mentioned = categories[category][rows]
        if mentioned.any():
            groups[f"mentions {category}"] = np.where(mentioned, "yes", "no")
    return groups


def _robustness(run: AuditRun) -> None:
    from audit.robustness import columns_for, robustness_audit, settings_for

    p, options = run.prepared, run.options
    features = [c for c in p.summary.get("features") or p.preprocessor.columns_ if c in p.raw_test.columns]
    rows = run.test_rows(options.robustness.max_rows, 17)  # a stream of its own: not the explained rows
    text_column = p.summary.get("text_column")
    columns = columns_for(p.raw_train, features, sensitive=list(p.sensitive_test.columns), text_column=text_column,
                          protected_terms=_protected_terms(run))
    settings = settings_for("text" if run.is_text else "table", asdict(options.robustness))
    found = robustness_audit({name: _decider(run, name, features) for name in run.models},
                             p.raw_test.iloc[rows][features], p.y_test[rows], _groups(run, rows),
                             settings=settings, columns=columns, level=options.fairness.ci_level, seed=options.seed)
    found["sample"] = "all" if len(rows) == len(p.X_test) else f"random sample of {len(rows)}"
    run.robustness = Robustness.from_dict(found)
    for name, block in found["models"].items():
        worst = block["worst"]["flip_rate"]
        if worst.get("value") is not None:
            run.progress.note(f"{name}: at most {worst['value']:.1%} of decisions flip ({worst['perturbation']}); "
                              f"accuracy drops by at most {block['worst']['accuracy_drop']['value']:+.3f}")


ROBUSTNESS_STAGE = Stage(
    title=lambda run: "robustness (perturbed test rows)", run=_robustness, timer_key="audit_robustness",
    applies=lambda run: run.options.robustness.enabled and run.kind.classifier and bool(run.models))
