"""What-if: rebuild a run's built-in MLP from its saved weights, score edited rows and attribute them, for every task.

Read-only and safe: the model is the audit's own :class:`audit.models.MLP`, rebuilt by
:func:`audit.models.rebuild_mlp`, whose weights go through the one safe loader
(:func:`audit.models.read_weights`: file checks, then ``torch.load(..., weights_only=True)``, so no
pickle code runs); the layer shapes must fit ``models/preprocessor.json`` and the recorded config
(``[model] kind = "mlp"``, its ``hidden`` widths; one output per class for a multiclass model). No
training code is imported. A user factory model is rebuilt only when the person who started the dashboard trusted
that factory (``rai-audit dashboard --trust-factory module:function``, as ``rai-audit score --factory`` asks for
the same confirmation): rebuilding imports and runs the factory's code, which a run alone must never cause. Its
weights then come from the verified run through :func:`audit.scale.load_scorer` (manifest checked first).

What a model gives (:class:`Scorer`): a binary model P(positive), decided at its recorded threshold;
a multiclass model every class's probability, decided by the most probable class; a regression model
its prediction in the target's units (the recorded target mean and standard deviation).

Attributions explain what the run's explanation explained (the positive logit, the explained class's
log-odds, the prediction in target units) with the recorded method, from the **recorded baseline**
(``explanations/<model>_baseline.npy``, listed in the explanation's artifacts), so the same row gives
the same attributions here and on the Explainability page. A run written before that file existed gets
the nearest stand-in, and says so (:func:`explanation_baseline`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audit.choices import TASK_KINDS, TaskKind
from audit.data import TabularPreprocessor
from audit.exceptions import ModelError
from audit.result import AuditResult
from dashboard._data import run_array, run_file

__all__ = ["FACTORY_NOTE", "Scorer", "attributions_by_feature", "explanation_baseline", "load_preprocessor",
           "load_scorer", "scorer_for"]

FACTORY_NOTE = ("This run's model comes from a user factory (`[model] kind = \"factory\"`, `{spec}`). Its weights verify, "
                "but the dashboard does not rebuild it: rebuilding means importing and running the factory's code, "
                "which a page must not do on its own. To edit rows here, start the dashboard with "
                "`rai-audit dashboard --trust-factory {spec}` (that flag is the confirmation that you trust the code); "
                "or score edited rows with `rai-audit score --factory {spec}`.")
_BAD_STATE = "What-if rebuilds the built-in MLP ({n_features} encoded inputs, hidden widths {hidden}, {outputs}). {error}"
_RUN_FIX = "Fix: re-run the audit, or run 'rai-audit verify' on the run."
#: Per-row attribution methods What-if can run on one row; others (permutation) fall back to Integrated Gradients.
ROW_METHODS = ("integrated_gradients", "saliency", "deeplift", "gradient_shap", "feature_ablation", "occlusion")
BASELINE_FALLBACK = ("This run does not store its explanation baseline (it was written before runs kept "
                     "`explanations/<model>_baseline.npy`). What-if stands in {stand_in}, so attributions can differ "
                     "slightly from the Explainability page's; re-run the audit for the same baseline on both pages.")


@dataclass
class Scorer:
    """A run's rebuilt built-in MLP and how its outputs read for the run's task.

    ``kind`` is the run's :class:`~audit.choices.TaskKind` (its flags decide how outputs read); ``classes`` the
    multiclass labels;
    ``target`` the regression's (mean, standard deviation); ``threshold`` a binary model's decision threshold.
    """

    model: Any
    kind: TaskKind = TASK_KINDS["binary"]
    classes: list[str] = field(default_factory=list)
    target: tuple[float, float] = (0.0, 1.0)
    threshold: float = 0.5

    def outputs(self, X: np.ndarray) -> np.ndarray:
        """P(positive) per row (binary), every class's probability (multiclass, (n, K)) or the prediction in target units."""
        import torch

        from audit.models import predict_proba

        X = np.asarray(X, np.float32)
        if self.kind.has_threshold:
            return predict_proba(self.model, X)
        with torch.no_grad():
            out = self.model(torch.from_numpy(X)).double()
        if self.kind.has_classes:
            return torch.softmax(out, dim=1).numpy()
        return out.reshape(len(X)).numpy() * self.target[1] + self.target[0]

    def decisions(self, out: np.ndarray) -> list[str]:
        """The decision of each row's output: positive/negative, the most probable class, or the prediction itself."""
        if self.kind.has_threshold:
            return ["positive" if s >= self.threshold else "negative" for s in out]
        if self.kind.has_classes:
            return [str(self.classes[int(k)]) for k in np.argmax(out, axis=1)]
        return [f"{v:.4g}" for v in out]

    def explained(self, k: int | None = None) -> Any:
        """The module the run's explanation attributes: the positive logit, class ``k``'s log-odds, or the prediction."""
        from audit.explain._classes import ClassLogOdds, TargetUnits

        if self.kind.has_classes:
            return ClassLogOdds(self.model, int(k or 0)).eval()
        if not self.kind.classifier:
            return TargetUnits(self.model, mean=self.target[0], scale=self.target[1]).eval()
        return self.model

    def attribute(self, X: np.ndarray, *, baseline: np.ndarray, method: str = "integrated_gradients",
                  k: int | None = None, seed: int = 0) -> np.ndarray:
        """Encoded attributions of each row of ``X`` from ``baseline``, with the run's method (the audit's explainer)."""
        from audit.explain._base import make_explainer

        explainer = make_explainer(method if method in ROW_METHODS else "integrated_gradients", self.explained(k))
        X = np.asarray(X, np.float32).reshape(len(X), -1)
        return np.asarray(explainer.attribute(X, baselines=np.asarray(baseline, np.float32), seed=seed), np.float64)


def load_preprocessor(run_path: Path, rel: str | None) -> TabularPreprocessor:
    """The run's fitted preprocessor (``models/preprocessor.json``), confined to the run."""
    return TabularPreprocessor.load(run_file(run_path, rel or "models/preprocessor.json"))


def load_scorer(run_path: Path, rel: str, *, n_features: int, hidden: list[int] | None, n_outputs: int = 1) -> Scorer:
    """Rebuild the built-in MLP whose weights are at ``rel`` (:func:`audit.models.rebuild_mlp`) as a binary :class:`Scorer`.

    ``hidden`` (the recorded config's widths; None: the widths the weights hold), ``n_features`` (the
    preprocessor's encoded columns) and ``n_outputs`` (1, or the number of classes) must fit the weights.

    Raises
    ------
    ModelError
        When the weights are not the built-in MLP's, or their shapes do not fit the preprocessor and config.
    UnsafeFileError
        When the file holds a pickle payload (never executed).

    Examples
    --------
    >>> import tempfile, torch
    >>> from audit.models import MLP
    >>> run = Path(tempfile.mkdtemp())
    >>> torch.save(MLP(3, hidden=(4,)).state_dict(), run / "w.pt")
    >>> load_scorer(run, "w.pt", n_features=3, hidden=[4]).outputs(np.zeros((1, 3))).shape
    (1,)
    """
    from audit.models import rebuild_mlp

    path = run_file(run_path, rel)
    try:
        model = rebuild_mlp(path, n_features=n_features, hidden=hidden, n_outputs=n_outputs, fix=_RUN_FIX)
    except ModelError as exc:
        shown = "read from the weights" if hidden is None else list(hidden)
        outputs = "one output" if n_outputs == 1 else f"{n_outputs} outputs, one per class"
        raise ModelError(_BAD_STATE.format(n_features=n_features, hidden=shown, outputs=outputs, error=exc)) from None
    return Scorer(model)


def scorer_for(r: AuditResult, run_path: Path, model: str, *, pre: TabularPreprocessor,
               factory: str | None = None) -> Scorer:
    """The :class:`Scorer` of one model of a run, its task read from the record (classes, target scale, decision
    threshold): the built-in MLP, or with ``factory`` (a factory the dashboard's operator trusted, equal to the run's)
    the factory's model through :func:`audit.scale.load_scorer`. Raises as those two.
    """
    kind = r.kind
    classes = [str(c) for c in (r.data.classes or [])] if kind.has_classes else []
    section = (r.run.config or {}).get("model") or {}
    if factory is not None:  # trusted by whoever started the dashboard; the run's own files verified first
        from audit.scale import load_scorer as load_run_scorer

        scorer = Scorer(load_run_scorer(run_path, models=[model], factory=factory).modules()[model])
    else:
        scorer = load_scorer(run_path, r.artifacts.weights[model], n_features=len(pre.feature_names_),
                             hidden=section.get("hidden"), n_outputs=len(classes) if classes else 1)
    scorer.kind, scorer.classes = kind, classes
    if not kind.classifier:
        summary = r.data.target_summary or {}
        summary = summary.to_dict() if hasattr(summary, "to_dict") else dict(summary)
        std = float(summary.get("std") or 1.0)
        scorer.target = (float(summary.get("mean") or 0.0), std if std > 0 else 1.0)
    chosen = r.models[model].decision_threshold if model in r.models else None
    if kind.has_threshold and chosen is not None and chosen.value is not None:
        scorer.threshold = float(chosen.value)
    return scorer


def explanation_baseline(r: AuditResult, run_path: Path, model: str, *, pre: TabularPreprocessor,
                         rows: pd.DataFrame) -> tuple[np.ndarray, str | None]:
    """The encoded baseline the run's explanation of ``model`` used, and None; or a stated stand-in and why.

    The recorded one is ``explanations/<model>_baseline.npy`` (the training mean, written by the audit). Without it
    (older runs, or a ``training_sample`` baseline, whose rows are training data and are not saved): the mean of the
    encoded ``rows`` (the test rows), the nearest stand-in for the training mean.
    """
    X = (r.explainability or {}).get(model)
    rel = X.artifacts.get("baseline") if X is not None and isinstance(X.artifacts, dict) else None
    if rel:
        base = run_array(run_path, rel)
        return np.asarray(base, np.float32).reshape(-1, len(pre.feature_names_)), None
    kind = X.baseline.kind if X is not None and X.baseline is not None else None
    stand_in = "the mean of the encoded test rows for the training mean"
    if kind == "training_sample":
        stand_in = "the mean of the encoded test rows for the run's sample of training rows (never saved: they are training data)"
    return pre.transform(rows).mean(axis=0, dtype=np.float64).astype(np.float32)[None, :], BASELINE_FALLBACK.format(
        stand_in=stand_in)


def attributions_by_feature(pre: TabularPreprocessor, encoded: np.ndarray) -> pd.DataFrame:
    """Per original feature: the sum of its encoded columns' attributions."""
    encoded = np.asarray(encoded).reshape(-1)
    return pd.DataFrame([{"feature": f, "attribution": float(encoded[cols].sum())} for f, cols in pre.feature_groups_.items()])
