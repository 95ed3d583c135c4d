"""The :class:`AuditResult`: the one record every report and the dashboard read.

It is typed, JSON-serialisable data with a ``schema_version``. Each concern has
its own section (a dataclass in this package, documented field by field in
``docs/audit_result.md`` and by the JSON Schema in ``reports/schema/``, both
generated from these classes); a section that was not run is ``None`` and
renders as "not run", never as an error.

Reading is tolerant (any 1.x or 2.x record; unknown keys are kept in each section's
``extra``) and writing is lossless (``AuditResult.from_dict(d).to_dict() == d``). Every model's
group audit is read through :attr:`AuditResult.group_audits`, whichever section a record keeps it in.

Examples
--------
>>> r = AuditResult(run={"name": "demo", "created_at": "2024-01-01T00:00:00+00:00"}, data={}, models={})
>>> AuditResult.from_json(r.to_json()).run.name
'demo'
>>> r.artifacts.weights["reference"] = "models/reference.pt"
>>> r.run.weights_sha256 = {"reference": "0" * 64}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from audit.choices import TASK_KINDS, TaskKind, task_kind
from audit.exceptions import RunDirError
from audit.result._base import Schema, Section, doc, to_jsonable
from audit.result._common import CI, Count, Metric, MetricOrCount, Probability, RelPath, Sha256, ValueCI, as_metric
from audit.result._compute import Compute, Energy, ModelCompute, Stage
from audit.result._explain import (
    Baseline,
    Contribution,
    ConvergenceDelta,
    DeletionCurve,
    Example,
    Faithfulness,
    FeatureImportance,
    GroupReliance,
    ImageMap,
    ModelExplanation,
    Proxy,
    RandomizationTest,
)
from audit.result._fairness import (
    CalibrationBin,
    CalibrationCurve,
    ConfidenceSettings,
    Disparity,
    ExcludedGroup,
    Fairness,
    FairnessBlock,
    Figure,
    FourFifthsRule,
    Group,
    Mitigation,
    MitigationMetrics,
    MitigationRow,
    ModelFairness,
    Overall,
    Representation,
    TaskFairness,
)
from audit.result._gates import Concern, ConcernSeverity, GateGroups, GateOutcome, GateResult, Severity
from audit.result._privacy import (
    Attack,
    CanaryAudit,
    DPTraining,
    LowFprPoint,
    MembershipInference,
    Privacy,
    PrivacyStatement,
    RocCurve,
    UtilityPoint,
)
from audit.result._robustness import (
    WORST_CELLS,
    GroupRobustness,
    ModelRobustness,
    PerturbationResult,
    Robustness,
    RobustnessCell,
    WorstCell,
)
from audit.result._run import (
    Artifacts,
    Card,
    CardFiles,
    Data,
    DecisionThreshold,
    Degeneracy,
    Environment,
    ExcludedColumn,
    IdentifierFinding,
    LeakingFeature,
    ModelSummary,
    Run,
    Screening,
    SensitiveBinning,
    TrainTestDuplicates,
)
from audit.result._slices import FeatureColumn, ModelSlices, Slice, SliceCondition, Slices
from audit.result._tasks import TextAudit, TextModelAudit

__all__ = [
    "CI", "SCHEMA_VERSION", "Artifacts", "Attack", "AuditResult", "Baseline", "CalibrationBin", "CalibrationCurve",
    "CanaryAudit", "Card", "CardFiles", "Compute", "Concern", "ConcernSeverity", "ConfidenceSettings", "Contribution",
    "ConvergenceDelta", "Count", "DPTraining", "Data", "DecisionThreshold", "Degeneracy", "DeletionCurve", "Energy", "Environment",
    "Example", "ExcludedColumn", "Fairness", "FairnessBlock", "Faithfulness", "FeatureImportance", "FourFifthsRule",
    "GateGroups", "GateOutcome", "GateResult", "Group", "GroupReliance", "IdentifierFinding", "ImageMap", "LeakingFeature", "LowFprPoint",
    "MembershipInference", "Metric", "MetricOrCount", "Mitigation", "MitigationMetrics", "MitigationRow",
    "ModelCompute", "ModelExplanation", "ModelFairness", "ModelSummary", "Overall", "Privacy", "PrivacyStatement",
    "Probability", "Proxy",
    "RandomizationTest", "RelPath", "Representation", "RocCurve", "Run", "Schema", "Screening", "Section", "SensitiveBinning", "Severity",
    "Sha256", "Stage", "Task", "TrainTestDuplicates", "UtilityPoint", "ValueCI", "Verdict", "as_metric", "doc", "to_jsonable",
]  # fmt: skip

__all__ += ["Disparity", "ExcludedGroup", "Figure", "TaskFairness", "TextAudit", "TextModelAudit"]
__all__ += ["FeatureColumn", "ModelSlices", "Slice", "SliceCondition", "Slices"]  # error analysis (audit.slices)
__all__ += ["WORST_CELLS", "GroupRobustness", "ModelRobustness", "PerturbationResult", "Robustness", "RobustnessCell",
            "WorstCell"]

SCHEMA_VERSION = "2.0"

# audit.choices' TASKS and VERDICTS (and INPUT_KINDS below), spelled out so that a type checker reads them (a Literal
# of a tuple constant is not static); tests/audit/result/test_result.py holds them equal.
Task = Literal["binary-classification", "image-classification", "multiclass-classification", "regression",
               "text-classification"]
Verdict = Literal["pass", "fail"]

_MISMATCH = ("audit.json has schema_version {found!r}; this rai-audit reads schema 1.x to {major}.x ({version}). "
             "Read it with a newer rai-audit, or re-run the audit with this one.")


@dataclass
class AuditResult(Section):
    """Everything one audit found.

    Sections may be given as typed objects or as plain dicts (converted on
    construction). The run writer records files and weight hashes on the typed
    object: ``result.artifacts.weights[name] = rel``, ``result.artifacts.predictions = ...``,
    ``result.artifacts.cards = CardFiles(...)`` and ``result.run.weights_sha256 = {...}``.

    Attributes
    ----------
    run : Run
        Name, created time, seed, config (normalised) and its sha256, data and weight
        hashes, environment (Python, platform, library versions, git commit), card text.
    data : Data
        Dataset, sizes, target, positive label, features, sensitive features, base rates
        and identifier scan.
    models : dict of str to ModelSummary
        ``{"reference": ..., "private": ...}``: test accuracy, ROC AUC, parameters,
        training settings and history.
    fairness, privacy, explainability, compute : section or None
        One section per concern; ``None`` when not run.
    gates : list of GateResult
        Each gate with value, bound and outcome (pass, fail or inconclusive).
    verdict : str
        ``"pass"`` or ``"fail"``.
    verdict_reasons : list of str
        Why the verdict is what it is.
    concerns : list of Concern or None
        What a reviewer must see first (:func:`audit.verdict.concerns.find_concerns`).
    artifacts : Artifacts
        Relative paths of files beside ``audit.json`` (predictions, weights, cards, arrays).
    """

    run: Run = field(metadata=doc("provenance of the run"))
    data: Data = field(metadata=doc("the dataset"))
    models: dict[str, ModelSummary] = field(metadata=doc("model name (reference, private) → summary"))
    fairness: Fairness | None = field(default=None, metadata=doc(
        "group audits of every model (binary, multiclass, regression) and the representation audit; null when not "
        "run (schema 1.x: binary models only; read AuditResult.group_audits)"))
    privacy: Privacy | None = field(default=None, metadata=doc("privacy audits; null when not run"))
    explainability: dict[str, ModelExplanation] | None = field(default=None, metadata=doc("model → explanations; null when not run"))
    compute: Compute | None = field(default=None, metadata=doc("compute and environmental cost; null when not run"))
    slices: Slices | None = field(default=None, metadata=doc(
        "error analysis: the test-set slices where each model errs most (audit.slices); null when not run"))
    robustness: Robustness | None = field(default=None, metadata=doc(
        "decisions under perturbed test rows (audit.robustness), overall and by group; null when not run"))
    task_fairness: TaskFairness | None = field(default=None, metadata=doc(
        "schema 1.x only: the group audits of a multiclass or regression model, kept as read; 2.0 writes them to "
        "fairness and never writes this key (read AuditResult.group_audits)"))
    text: TextAudit | None = field(default=None, metadata=doc(
        "text audits (identity-term counterfactuals, identity-subgroup AUCs, token attributions); null without text"))
    gates: list[GateResult] = field(default_factory=list, metadata=doc("evaluated policy gates", required=True))
    verdict: Verdict = field(default="pass", metadata=doc(
        "fail when an error-severity gate failed, or is inconclusive without allow_inconclusive", required=True))
    verdict_reasons: list[str] = field(default_factory=list, metadata=doc(
        "why the verdict is what it is, one short line each (the gates that decided it)"))
    concerns: list[Concern] | None = field(default=None, metadata=doc(
        "what a reviewer must see first, most severe first (audit.verdict.concerns); null in records written before concerns"))
    artifacts: Artifacts = field(default_factory=Artifacts, metadata=doc("files beside audit.json (set by the run writer)"))
    task: Task = field(default="binary-classification", metadata=doc("the model's task"))
    input: Literal["table", "text", "image"] | None = field(default=None, metadata=doc(
        "what the model reads: table, text or image (the target's kind is data.task); null in records before 1.3"))
    _omit_none: ClassVar[bool] = False  # every section key is written; a section not run is null

    schema_version: str = field(default=SCHEMA_VERSION, metadata=doc(
        "schema version, major.minor (records of 1.x are read too)", pattern="^[12]\\.[0-9]+$", required=True))

    @property
    def kind(self) -> TaskKind:
        """What the audited model predicts (:data:`audit.choices.TASK_KINDS`), whatever its input.

        The data section's config task first (a text classifier of several classes is multiclass), then the
        record's ``task``, then the task of its group report; a record without any of them is binary.

        Examples
        --------
        >>> AuditResult.from_dict({"schema_version": "1.2", "task": "regression", "run": {}, "data": {},
        ...                        "models": {}}).kind.name
        'regression'
        """
        audits = self.group_audits.values()
        for name in (self.data.task, self.task, *(a.task for a in audits),
                     self.task_fairness.task if self.task_fairness is not None else None):
            found = task_kind(name) if isinstance(name, str) else None
            if found is not None and (name in TASK_KINDS or found.name != "binary" or name == found.result_task):
                return found
        return TASK_KINDS["binary"]

    @property
    def group_audits(self) -> dict[str, ModelFairness]:
        """Every model's group audit, whatever its kind and the record's version: ``{model: ModelFairness}``.

        Schema 2.x (and a binary model's in 1.x) keeps them in ``fairness``; a 1.x record of a multiclass or
        regression model in ``task_fairness``, whose audits read as the same class with the same figures.

        Examples
        --------
        >>> old = AuditResult.from_dict({"schema_version": "1.3", "run": {}, "data": {}, "models": {},
        ...     "task_fairness": {"task": "regression", "models": {"private": {"n": 40, "by_feature": {}}}}})
        >>> new = AuditResult.from_dict({"schema_version": "2.0", "run": {}, "data": {}, "models": {},
        ...     "fairness": {"private": {"n": 40, "by_feature": {}}}})
        >>> old.group_audits["private"].to_dict() == new.group_audits["private"].to_dict() == {"n": 40, "by_feature": {}}
        True
        """
        out = {k: v for k, v in self.fairness.models.items() if v is not None} if self.fairness is not None else {}
        if self.task_fairness is not None:
            out.update((k, v) for k, v in self.task_fairness.models.items() if v is not None and k not in out)
        return out

    @property
    def input_kind(self) -> str:
        """What the audited model reads: ``"table"``, ``"text"`` or ``"image"`` (the input axis, separate from the task)."""
        if self.input is not None:
            return self.input
        if self.task == "text-classification" or self.text is not None or bool(self.data.text_column):
            return "text"
        return "image" if self.task == "image-classification" else "table"

    @property
    def is_text(self) -> bool:
        """Whether the audited model reads texts."""
        return self.input_kind == "text"

    @property
    def identifier_findings(self) -> list[IdentifierFinding] | None:
        """The identifier scan's findings (columns that look like direct identifiers); None when it did not run.

        The record keeps them in ``data.identifier_scan``; records written before 2.0 by ``audit_model`` kept them
        only in ``privacy.identifier_scan`` (which ``run_audit`` repeated), read when the data section has none.

        Examples
        --------
        >>> old = AuditResult.from_dict({"schema_version": "1.3", "run": {}, "data": {}, "models": {},
        ...                              "privacy": {"identifier_scan": [{"column": "email", "kind": "email"}]}})
        >>> [f.column for f in old.identifier_findings]
        ['email']
        >>> AuditResult(run={"name": "r", "created_at": "2024-01-01T00:00"}, data={"identifier_scan": []},
        ...             models={}).identifier_findings
        []
        """
        if self.data.identifier_scan is not None:
            return self.data.identifier_scan
        return self.privacy.identifier_scan if self.privacy is not None else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (see :meth:`Section.to_dict`); the 1.x ``task_fairness`` only where a record read has it."""
        out = super().to_dict()
        if self.task_fairness is None and not self.has("task_fairness"):
            out.pop("task_fairness", None)
        return out

    def to_json(self, *, indent: int | None = 1) -> str:
        """Serialise to a JSON string; refuses NaN (there is none after :func:`to_jsonable`)."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditResult:
        """Read any record of schema 1.x up to this version's major (``audit.json`` as a dict); unknown keys are kept
        in ``extra``.

        Raises
        ------
        RunDirError
            When ``data`` is not an object, lacks ``run``/``data``/``models``, or has a major version this code does
            not read (newer than its own, or not a version).
        """
        if not isinstance(data, dict):
            raise RunDirError(f"An audit result must be a JSON object, found {type(data).__name__}.")
        missing = sorted(n for n in ("run", "data", "models") if n not in data)
        if missing:
            raise RunDirError(f"audit.json does not match schema {SCHEMA_VERSION}: missing keys {missing}.")
        major = SCHEMA_VERSION.split(".")[0]
        found = str(data.get("schema_version", "")).split(".")[0]
        if not (found.isdigit() and 1 <= int(found) <= int(major)):
            raise RunDirError(_MISMATCH.format(found=data.get("schema_version"), major=major, version=SCHEMA_VERSION))
        try:
            return super().from_dict(data)
        except TypeError as exc:
            raise RunDirError(f"audit.json does not match schema {SCHEMA_VERSION}: {exc}.") from None

    @classmethod
    def from_json(cls, text: str) -> AuditResult:
        """Parse :meth:`to_json` output."""
        try:
            return cls.from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise RunDirError(f"audit.json is not valid JSON: {exc}.") from None
