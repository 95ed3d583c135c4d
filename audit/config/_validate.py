"""Validation of a parsed config: every section built, the rules that span keys, one ConfigError with every problem.

Examples
--------
>>> cfg = config_from_dict({"data": {"bundled": "adult", "target": "income",
...     "positive_label": ">50K", "sensitive_features": ["sex"]}})
>>> cfg.task
'binary'
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from audit.choices import (
    CONFIG_TASKS,
    TASK_KINDS,
    TEXT_MODEL_KINDS,
    TaskKind,
    one_of,
)
from audit.config._sections import (
    _SECTIONS,
    PREDICTION_COLUMNS,
    AuditConfig,
    ComputeSection,
    DataSection,
    ExplainSection,
    FairnessSection,
    GateSpec,
    ModelSection,
    PrivacySection,
    SplitSection,
    TrainingSection,
)
from audit.config._spec import (
    _BAD_VALUE,
    _MISSING,
    _UNKNOWN_CHOICE,
    _WRONG_TYPE,
    _build_section,
    _unknown,
)
from audit.exceptions import ConfigError
from audit.metrics import GATE_METRICS

_HEADER = "The audit config {source} has {n} problem{s}:\n{body}"
_GATE_UNKNOWN_METRIC = "'gates[{i}].metric': unknown metric '{metric}'{hint}. Valid metrics: {valid}."
_GATE_NEEDS_FEATURE = "'gates[{i}]' ({metric}): expected 'feature' naming a sensitive feature, found none."
_GATE_NO_BOUND = "'gates[{i}]' ({metric}): expected a bound, 'max' or 'min', found neither."
_GATE_GROUPS_UNUSED = ("'gates[{i}].groups' ({metric}): 'groups = \"all\"' applies to fairness disparities and the "
                       "four-fifths ratio only. Fix: remove it from this gate.")
_GATE_EMPTY_RANGE = ("'gates[{i}]' ({metric}): expected min <= max, found min = {min!r} > max = {max!r}, which no value "
                     "can meet. Fix: swap them, or keep only the bound you mean.")
_RESERVED = ("'data.sensitive_features': {names} {are} reserved: predictions.csv already has columns {reserved}, and a "
             "sensitive column of the same name would overwrite one of them. Fix: rename the column in the data file "
             "(e.g. {example!r}) and in data.sensitive_features.")

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _kind(task: Any) -> TaskKind:
    """What the config's task allows (binary while the task itself is refused)."""
    return TASK_KINDS.get(task, TASK_KINDS["binary"])


def _validation_checks(cfg: dict[str, Any], problems: list[str], refused: set[str]) -> None:
    """A threshold rule and early stopping need validation rows; a fixed threshold does not."""
    split, training = cfg.get("split"), cfg.get("training")
    if not isinstance(split, SplitSection) or not isinstance(training, TrainingSection) or split.validation_size > 0:
        return
    task = cfg.get("task", "binary")
    if isinstance(training.threshold, str) and _kind(task).has_threshold and "training.threshold" not in refused:
        problems.append(f"'training.threshold' = \"{training.threshold}\" chooses the threshold on validation rows, but "
                        "split.validation_size = 0 holds none out. Fix: set split.validation_size (e.g. 0.2), or a "
                        "fixed training.threshold (e.g. 0.5).")
    if training.early_stopping and "training.early_stopping" not in refused:
        problems.append("'training.early_stopping' = true watches validation rows, but split.validation_size = 0 holds "
                        "none out. Fix: set split.validation_size (e.g. 0.2), or training.early_stopping = false.")


def _cross_checks(cfg: dict[str, Any], problems: list[str], refused: set[str]) -> None:
    """Rules that span keys (each still reported alongside the others; a refused key is not judged twice)."""
    data = cfg.get("data")
    if isinstance(data, DataSection):
        if (data.bundled is None) == (data.path is None) and not {"data.bundled", "data.path"} & refused:
            problems.append(
                "'data': expected exactly one of 'bundled' (e.g. \"adult\") or 'path' (a CSV/Parquet file), "
                f"found {'both' if data.bundled else 'neither'}."
            )
        if data.bundled is not None and data.test_path is not None:
            problems.append("'data.test_path' only applies with 'data.path'; bundled datasets bring their own test split.")
        overlap = set(data.drop_columns) & ({data.target} | set(data.sensitive_features))
        if overlap:
            problems.append(f"'data.drop_columns': cannot drop the target or a sensitive feature, found {sorted(overlap)}.")
        if data.target in data.sensitive_features:
            problems.append(f"'data.sensitive_features': the target '{data.target}' cannot also be a sensitive feature.")
        reserved = [s for s in data.sensitive_features if s in PREDICTION_COLUMNS]
        if reserved:
            problems.append(_RESERVED.format(names=", ".join(map(repr, reserved)), are="is" if len(reserved) == 1 else "are",
                                             reserved=list(PREDICTION_COLUMNS), example=f"{reserved[0]}_group"))
        if len(set(data.sensitive_features)) != len(data.sensitive_features):
            problems.append(f"'data.sensitive_features': expected distinct names, found {data.sensitive_features}.")
        unknown = [c for c in data.sensitive_bins if c not in data.sensitive_features]
        if unknown:
            problems.append(f"'data.sensitive_bins' names {unknown}, which {'is' if len(unknown) == 1 else 'are'} not in "
                            f"data.sensitive_features {data.sensitive_features}. Fix: bin only sensitive columns (the "
                            "model reads the raw values of a feature).")
    _task_checks(cfg, problems, refused)
    _validation_checks(cfg, problems, refused)
    model = cfg.get("model")
    if isinstance(model, ModelSection):
        if model.kind == "factory" and not model.factory:
            problems.append("'model.factory' is required when model.kind = \"factory\": \"module:function\" returning an nn.Module.")
        if model.kind in ("mlp", "text", "transformers") and model.factory:
            problems.append(f"'model.factory' is set but model.kind is \"{model.kind}\"; set kind = \"factory\" to use it.")
        if model.kind == "transformers" and not model.path:
            problems.append("'model.path' is required when model.kind = \"transformers\": a local folder holding the "
                            "model and its tokenizer, as save_pretrained writes them (relative to the config).")
        if model.kind != "transformers" and model.path:
            problems.append(f"'model.path' is set but model.kind is \"{model.kind}\". Fix: set kind = \"transformers\" to "
                            "audit the Hugging Face checkpoint in that folder, or remove model.path.")
        if model.kind == "transformers" and model.weights:
            problems.append("'model.weights' loads a state dict into a built model; a transformer's weights come from "
                            "its folder (model.path). Fix: remove model.weights.")
    priv = cfg.get("privacy")
    if isinstance(priv, PrivacySection) and not priv.enabled:
        # Settings of the DP training that would silently do nothing without it.
        for key, needs in (("canary_audit", "it audits the DP training"), ("secure_rng", "it randomises the DP training"),
                           ("utility_curve", "it trains DP models at each ε")):
            if getattr(priv, key):
                problems.append(f"'privacy.{key}' needs privacy.enabled = true ({needs}). Fix: enable privacy or remove the key.")
    compute = cfg.get("compute")
    if isinstance(compute, ComputeSection) and compute.region and compute.country_iso_code not in ("USA", "CAN") \
            and "compute.country_iso_code" not in refused:
        problems.append(f"'compute.region' = \"{compute.region}\" is a US state or Canadian province, but "
                        f"compute.country_iso_code is \"{compute.country_iso_code}\". Fix: set country_iso_code to "
                        "\"USA\" or \"CAN\", or remove region.")
    for i, gate in (cfg.get("gates") or {}).items():
        if {f"gates[{i}].min", f"gates[{i}].max"} & refused:
            continue
        if gate.max is None and gate.min is None:
            problems.append(_GATE_NO_BOUND.format(i=i, metric=gate.metric))
        elif gate.max is not None and gate.min is not None and gate.min > gate.max:
            problems.append(_GATE_EMPTY_RANGE.format(i=i, metric=gate.metric, min=gate.min, max=gate.max))


_TASK_LABEL = ("'data.positive_label' applies to binary tasks; this audit's task is \"{task}\", found positive_label = "
               "{found!r}. Fix: remove it (every class is audited), or set task = \"binary\".")
_TEXT_MODEL = ("'model.kind' = \"{kind}\" {why}. Fix: {fix}")
_NO_GROUPS = ("'data.sensitive_features': expected at least one column of group labels, found []. Only a text audit "
              "(data.text_column) may leave it empty, auditing identity terms in the texts instead.")
_EXPLICIT_MITIGATION = ("'fairness.mitigation' = \"{m}\": Fairlearn's post-processing and reductions are run here for binary "
                        "classifiers with a sensitive feature; this audit {why}. Fix: set fairness.mitigation = \"none\".")


def _task_checks(cfg: dict[str, Any], problems: list[str], refused: set[str]) -> None:
    """What the task and the text column need from the other sections."""
    task, data, model = cfg.get("task", "binary"), cfg.get("data"), cfg.get("model")
    fair, explain, priv = cfg.get("fairness"), cfg.get("explain"), cfg.get("privacy")
    kind = _kind(task)
    if isinstance(data, DataSection):
        if kind.has_positive_class and data.positive_label is None and "data.positive_label" not in refused:
            problems.append(_MISSING.format(key="data.positive_label", expected="the label value that counts as positive "
                                            "(a binary task; set task = \"multiclass\" or \"regression\" otherwise)"))
        if not kind.has_positive_class and data.positive_label is not None:
            problems.append(_TASK_LABEL.format(task=task, found=data.positive_label))
        if not data.sensitive_features and data.text_column is None and "data.sensitive_features" not in refused:
            problems.append(_NO_GROUPS)
        if data.text_column is not None and not kind.texts:
            problems.append("'data.text_column': text audits are built for classifiers (binary or multiclass); found "
                            "task = \"regression\". Fix: use a table of features for a regression, or classify the texts.")
        if data.text_column is not None and data.text_column in (data.target, *data.sensitive_features, *data.drop_columns):
            problems.append(f"'data.text_column': {data.text_column!r} is also the target, a sensitive feature or a dropped "
                            "column. Fix: name the column of texts only there.")
    text = isinstance(data, DataSection) and data.text_column is not None
    if isinstance(model, ModelSection):
        if model.kind in TEXT_MODEL_KINDS and not text and isinstance(data, DataSection):
            problems.append(_TEXT_MODEL.format(kind=model.kind, why="reads texts, but data.text_column is not set",
                                               fix="name the column of texts in data.text_column, or use kind = \"mlp\"."))
        if model.kind == "mlp" and text:
            problems.append(_TEXT_MODEL.format(kind="mlp", why="is the tabular model, but data.text_column is set",
                                               fix="set model.kind = \"text\" (the bag-of-embeddings text classifier) or "
                                                   "\"factory\" with a model taking token ids."))
    explicit = cfg.get("_raw_mitigation")
    if isinstance(fair, FairnessSection) and explicit not in (None, "none"):
        why = (f"has task = \"{task}\"" if not kind.mitigation else
               "has no sensitive feature" if isinstance(data, DataSection) and not data.sensitive_features else None)
        if why:
            problems.append(_EXPLICIT_MITIGATION.format(m=explicit, why=why))
    if text and isinstance(explain, ExplainSection) and explain.enabled and explain.method != "integrated_gradients":
        problems.append(f"'explain.method' = \"{explain.method}\": token attributions of a text model use Captum's "
                        "LayerIntegratedGradients on the embedding. Fix: set explain.method = \"integrated_gradients\".")
    if not kind.utility_curve and isinstance(priv, PrivacySection) and priv.utility_curve:
        problems.append(f"'privacy.utility_curve' measures accuracy and parity of binary decisions at each ε; this audit's "
                        f"task is \"{task}\". Fix: remove privacy.utility_curve (the private model's figures are still "
                        "compared with the reference model's).")
    if not kind.input_canaries and isinstance(priv, PrivacySection) and priv.canary_audit and priv.canary_kind == "input":
        problems.append("'privacy.canary_kind' = \"input\" plants label-flipped rows, which a regression has no "
                        "labels for. Fix: use \"gradient\" or \"auto\".")


def _validate_gate_metrics(gates: dict[int, GateSpec], problems: list[str], refused: set[str]) -> None:
    """Each gate names a metric of :data:`audit.metrics.GATE_METRICS`, with a feature when it needs one."""
    for i, gate in gates.items():
        if not gate.metric or f"gates[{i}].metric" in refused:
            continue  # already reported as missing or of the wrong type
        info = GATE_METRICS.get(gate.metric)
        if info is None:
            close = difflib.get_close_matches(gate.metric, list(GATE_METRICS), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(_GATE_UNKNOWN_METRIC.format(i=i, metric=gate.metric, hint=hint, valid=", ".join(sorted(GATE_METRICS))))
        elif info.needs_feature and not gate.feature:
            problems.append(_GATE_NEEDS_FEATURE.format(i=i, metric=gate.metric))
        if info is not None and gate.groups == "all" and not info.groups_apply:
            problems.append(_GATE_GROUPS_UNUSED.format(i=i, metric=gate.metric))


def _task(value: Any, problems: list[str]) -> str:
    if isinstance(value, str) and value in CONFIG_TASKS:
        return value
    close = difflib.get_close_matches(str(value), CONFIG_TASKS, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    problems.append(_UNKNOWN_CHOICE.format(key="task", what="task", found=value, hint=hint, valid=one_of(CONFIG_TASKS),
                                           fix="Fix: \"binary\" for a yes/no label (the default), \"multiclass\" for one "
                                               "of several classes, \"regression\" for a number."))
    return "binary"


def _gate_task_problems(gates: dict[int, GateSpec], task: str, text: bool, problems: list[str], refused: set[str]) -> None:
    """Gates on a metric this task's audits never compute (a ROC AUC of a regression, a text figure without texts)."""
    for i, gate in gates.items():
        info = GATE_METRICS.get(gate.metric)
        if info is None or f"gates[{i}].metric" in refused:
            continue
        if task not in info.tasks:
            problems.append(f"'gates[{i}].metric' = \"{gate.metric}\" is computed for {one_of(info.tasks)} tasks; this "
                            f"audit's task is \"{task}\". Fix: gate on a metric of this task (see docs/tasks.md) or "
                            "remove the gate.")
        elif info.needs_text and not text:
            problems.append(f"'gates[{i}].metric' = \"{gate.metric}\" is a figure of the text audits, which need "
                            "data.text_column. Fix: name the column of texts, or remove the gate.")
        elif info.tables_only and text:
            problems.append(f"'gates[{i}].metric' = \"{gate.metric}\" is computed on table features; a text audit "
                            "(data.text_column) explains tokens and has no slices of features. Fix: gate on a text "
                            "figure (counterfactual_flip_rate, subgroup_auc_min, ...) or remove the gate.")
        if gate.groups == "all" and not _kind(task).disparities_over_all_groups and info.groups_apply:
            problems.append(f"'gates[{i}].groups' ({gate.metric}): 'groups = \"all\"' applies to binary audits; the "
                            f"disparities of a {task} audit compare the groups with enough data (every group stays in "
                            "the tables). Fix: remove it from this gate.")


def config_from_dict(raw: dict[str, Any], *, source: str = "<dict>", base_dir: str | Path = ".") -> AuditConfig:
    """Validate a parsed config mapping and build the typed :class:`AuditConfig`.

    Raises
    ------
    ConfigError
        With every problem found, one per line.
    """
    problems: list[str] = []
    refused: set[str] = set()
    valid_top = ["name", "task", *list(_SECTIONS), "gates"]
    built: dict[str, Any] = {}
    for key in raw:
        if key not in valid_top:
            problems.append(_unknown(key, valid_top))
    name = raw.get("name", Path(source).stem if source != "<dict>" else "audit")
    if not isinstance(name, str) or not _NAME_RE.match(name):
        problems.append(_BAD_VALUE.format(key="name", expected="letters, digits, '.', '_' or '-' (at most 64)", found=name,
                                          fix="It names the run directory."))
        name = "audit"
    for key, cls in _SECTIONS.items():
        if key == "data" and "data" not in raw:
            problems.append(_MISSING.format(key="data", expected="a [data] table with target, positive_label and sensitive_features"))
            continue
        section = _build_section(cls, raw.get(key, {}), key, problems, refused)
        if section is not None:
            built[key] = section
    gates_raw = raw.get("gates", [])
    gates: dict[int, GateSpec] = {}  # by position in the file, so messages name the right [[gates]] entry
    if not isinstance(gates_raw, list):
        problems.append(_WRONG_TYPE.format(key="gates", expected="an array of tables ([[gates]])", found=gates_raw))
    else:
        for i, g in enumerate(gates_raw):
            gate = _build_section(GateSpec, g, f"gates[{i}]", problems, refused)
            if gate is not None:
                gates[i] = gate
    built["gates"] = gates
    built["task"] = _task(raw.get("task", "binary"), problems)
    fairness_raw = raw.get("fairness")
    built["_raw_mitigation"] = fairness_raw.get("mitigation") if isinstance(fairness_raw, dict) else None
    _cross_checks(built, problems, refused)
    built.pop("_raw_mitigation")
    _validate_gate_metrics(gates, problems, refused)
    data = built.get("data")
    _gate_task_problems(gates, built["task"], isinstance(data, DataSection) and data.text_column is not None, problems, refused)
    if problems:
        body = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(_HEADER.format(source=source, n=len(problems), s="s" if len(problems) > 1 else "", body=body), problems=problems)
    return AuditConfig(name=name, gates=tuple(gates.values()), source_path=None if source == "<dict>" else source,
                       base_dir=str(base_dir), **{k: v for k, v in built.items() if k != "gates"})
