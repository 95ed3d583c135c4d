"""What flows between the audit's stages, and the stage type itself.

A stage is a named step that reads what earlier stages left in the
:class:`AuditRun` and adds its own part. ``run_audit`` and ``audit_model`` run
lists of them; the progress counter's total is the number of stages that apply.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from torch import nn

from audit.choices import TASK_KINDS, TaskKind
from audit.config import AuditConfig, ExplainSection, FairnessSection, RobustnessSection
from audit.data import PreparedData
from audit.result import IdentifierFinding, ModelExplanation, ModelSummary, Privacy, Robustness, Slices, TextAudit
from audit.runtime.compute import StageTimer
from audit.runtime.progress import Progress

if TYPE_CHECKING:
    from audit.privacy import DPSettings

__all__ = ["AuditOptions", "AuditRun", "Stage", "run_stages"]


@dataclass(frozen=True)
class AuditOptions:
    """Which audits run on the trained models, and with what settings."""

    fairness: FairnessSection = field(default_factory=FairnessSection)
    explain: ExplainSection = field(default_factory=ExplainSection)
    robustness: RobustnessSection = field(default_factory=RobustnessSection)
    intersections: bool = True
    membership_inference: bool = True
    identifier_scan: bool = True
    seed: int = 0


def _privacy_section() -> Privacy:
    # read from {"dp": None}: the record always says whether DP training ran (null: it did not); the audits
    # that run add their parts after it, each written only when it ran
    return Privacy.from_dict({"dp": None})


@dataclass
class AuditRun:
    """The state of one audit: its inputs, the trained models and every typed section found so far.

    Each stage stores what it found once, as the record's typed section (:mod:`audit.result`); later stages
    and the record's assembly (:mod:`audit.pipeline._record`) read those sections.
    """

    prepared: PreparedData
    options: AuditOptions
    timer: StageTimer
    progress: Progress
    config: AuditConfig | None = None  # run_audit's config; None for audit_model
    dp: DPSettings | None = None  # the settings every private training uses (None without privacy)
    canary_kind: str | None = None
    checkpoint_dir: Path | None = None  # private training checkpoints (run_audit writing a run); None: none
    models: dict[str, nn.Module] = field(default_factory=dict)
    # one per model: how it was trained and its decision threshold (training stages), then its test figures and
    # checks (the prediction stage)
    summaries: dict[str, ModelSummary] = field(default_factory=dict)
    scores: dict[str, np.ndarray] = field(default_factory=dict)
    fairness: dict[str, Any] = field(default_factory=dict)
    privacy: Privacy = field(default_factory=_privacy_section)
    identifier_scan: list[IdentifierFinding] | None = None  # the record's data.identifier_scan; None: not run
    explain: dict[str, ModelExplanation] = field(default_factory=dict)
    slices: Slices | None = None  # error analysis (audit.slices); None until its stage runs
    text: TextAudit | None = None  # the text audits; None until their stage runs
    robustness: Robustness | None = None  # decisions under perturbed rows (audit.robustness); None until its stage runs
    # which test texts mention each identity term ({category: {term: mask}}, audit.text.mentions): computed once, read
    # by the robustness and text stages (audit.pipeline._text.test_mentions)
    identity_mentions: dict[str, dict[str, np.ndarray]] | None = None
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    prediction_frames: list[pd.DataFrame] = field(default_factory=list)

    @property
    def cfg(self) -> AuditConfig:
        """The config of a ``run_audit`` run, for the stages only ``run_audit`` runs (``audit_model`` has none)."""
        if self.config is None:
            raise RuntimeError("this stage reads run_audit's config; an audit_model run has none")
        return self.config

    @property
    def dp_settings(self) -> DPSettings:
        """The DP settings of a run that trains a private model (the private stages run only then)."""
        if self.dp is None:
            raise RuntimeError("this stage trains with DP-SGD; the run has no DP settings")
        return self.dp

    def threshold(self, name: str) -> float:
        """The decision threshold of model ``name`` (0.5 where none was chosen: tasks without one)."""
        summary = self.summaries.get(name)
        chosen = summary.decision_threshold if summary is not None else None
        return float(chosen.value) if chosen is not None and chosen.value is not None else 0.5

    def class_weights(self) -> np.ndarray | None:
        """The loss's class weights (``training.class_weight``), or None: unweighted, or a regression."""
        if self.config is None or not self.kind.classifier:
            return None
        from audit.models import class_weights

        return class_weights(self.prepared.y_train, self.config.training.class_weight,
                             n_classes=max(self.prepared.task.n_outputs, 2))

    def training_loss(self):
        """The loss both models are trained with: the task's, weighted by class when ``training.class_weight`` says so."""
        return self.prepared.task.loss_fn(self.class_weights())

    def reference_epochs(self) -> int:
        """``training.epochs``, with ``"auto"`` resolved for this many training rows."""
        from audit.training import auto_epochs

        t = self.cfg.training
        return auto_epochs(len(self.prepared.X_train), t.batch_size) if t.epochs == "auto" else int(t.epochs)

    def validation(self) -> Any:
        """What early stopping watches (None without validation rows or with ``training.early_stopping`` off).

        A classifier: 1 − ROC AUC on the validation rows (macro one-vs-rest for several classes: the
        ranking; a DP model's validation loss rises with the noise while its ranking improves); a
        regression: the validation loss.
        """
        if self.config is None or not self.config.training.early_stopping or self.prepared.validation is None:
            return None
        if self.kind.classifier:
            from audit.training import ranking_criterion

            return ranking_criterion(*self.prepared.validation, n_classes=max(self.prepared.task.n_outputs, 2))
        return self.prepared.validation

    @property
    def is_text(self) -> bool:
        """Whether the model reads texts (``data.text_column``): token ids, not encoded table features."""
        if self.prepared is None:  # counting the stages before the data is read
            return self.config is not None and self.config.data.text_column is not None
        return self.prepared.summary.get("text_column") is not None

    @property
    def kind(self) -> TaskKind:
        """What this audit's task allows (known from the config before the data is read; audit_model: binary)."""
        if self.prepared is None:
            return TASK_KINDS[self.config.task if self.config is not None else "binary"]
        return self.prepared.task.kind

    @property
    def has_groups(self) -> bool:
        """Whether the audit has sensitive features (a text audit may have none)."""
        if self.prepared is None:
            return self.config is None or bool(self.config.data.sensitive_features)
        return len(self.prepared.sensitive_test.columns) > 0

    def model_kwargs(self) -> dict[str, Any]:
        """What building a model of this audit needs besides the config: its task and, for texts, the vocabulary size."""
        vocab = getattr(self.prepared.preprocessor, "vocabulary", None) if self.is_text else None
        return {"task": self.prepared.task, "vocab_size": len(vocab) if vocab is not None else None}

    def factory_kwargs(self) -> dict[str, Any]:
        """:func:`audit.training.model_factory`'s keywords for this audit's models."""
        kwargs = self.model_kwargs()
        return {"n_outputs": kwargs["task"].n_outputs, "vocab_size": kwargs["vocab_size"]}

    def test_rows(self, cap: int | None, *stream: int) -> np.ndarray:
        """All test rows, or a sample of ``cap`` of them (sorted), seeded by the run's seed (and ``stream``, so
        two audits sampling the same number of rows need not sample the same ones)."""
        rows = np.arange(len(self.prepared.X_test))
        if cap is not None and len(rows) > cap:
            rng = np.random.default_rng([self.options.seed, *stream] if stream else self.options.seed)
            rows = np.sort(rng.choice(rows, size=cap, replace=False))
        return rows

    def explain_rows(self) -> np.ndarray:
        """The test rows explained: all, or a seeded sample of ``explain.max_rows`` (sorted)."""
        return self.test_rows(self.options.explain.max_rows)

    @property
    def predictions(self) -> pd.DataFrame:
        """One row per model and test row: ``model, y_true, y_pred, y_score`` and the sensitive columns."""
        return pd.concat(self.prediction_frames, ignore_index=True)


@dataclass(frozen=True)
class Stage:
    """One step of the audit.

    Parameters
    ----------
    title : callable
        ``title(run)``: the progress line; ``None`` for a silent step that is not counted.
    run : callable
        ``run(run)``: does the work, adding to the :class:`AuditRun`.
    timer_key : str, optional
        The name its time is recorded under in the compute section.
    applies : callable
        ``applies(run)``: whether the stage runs for this audit.
    """

    title: Callable[[AuditRun], str] | None
    run: Callable[[AuditRun], None]
    timer_key: str | None = None
    applies: Callable[[AuditRun], bool] = lambda run: True


def count_announced(stages: Sequence[Stage], run: AuditRun) -> int:
    """How many progress lines these stages announce for this run."""
    return sum(1 for s in stages if s.title is not None and s.applies(run))


def run_stages(stages: Sequence[Stage], run: AuditRun) -> None:
    """Run each stage that applies, announcing and timing it."""
    for stage in stages:
        if not stage.applies(run):
            continue
        with _announced(stage, run), (run.timer.stage(stage.timer_key) if stage.timer_key else _nothing()):
            stage.run(run)


def _announced(stage: Stage, run: AuditRun):
    return run.progress.stage(stage.title(run)) if stage.title is not None else _nothing()


def _nothing():
    import contextlib

    return contextlib.nullcontext()
