"""The audit configuration: TOML in, a typed and fully validated :class:`AuditConfig` out.

Validation never stops at the first problem: every unknown key, wrong type and
out-of-range value is collected and reported in one :class:`~audit.exceptions.ConfigError`,
each naming the key, what was expected, what was found and how to fix it.

Examples
--------
>>> cfg = config_from_dict({"data": {"bundled": "adult", "target": "income",
...     "positive_label": ">50K", "sensitive_features": ["sex"]}})
>>> cfg.privacy.target_epsilon
1.0
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import os
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from audit.choices import (
    ACCOUNTANTS,
    BUNDLED_DATASETS,
    CANARY_KINDS,
    CLASS_WEIGHTS,
    CONFIG_TASKS,
    EXPLAIN_BASELINES,
    FAIRNESS_DISPARITIES,
    GATE_GROUPS,
    GATE_METRICS,
    DISPARITY_GROUPS,
    GATE_SEVERITIES,
    IDENTIFIER_POLICIES,
    IDENTITY_CATEGORIES,
    MITIGATIONS,
    MODEL_KINDS,
    MODEL_ROLES,
    TASK_KINDS,
    SPLIT_STRATIFY,
    TABULAR_METHODS,
    THRESHOLD_RULES,
    TaskKind,
    one_of,
)
from audit.exceptions import ConfigError

__all__ = [
    "PREDICTION_COLUMNS",
    "AuditConfig",
    "CardSection",
    "ComputeSection",
    "DataSection",
    "ExplainSection",
    "FairnessSection",
    "GateSpec",
    "ModelSection",
    "PrivacySection",
    "SplitSection",
    "TextSection",
    "TrainingSection",
    "config_from_dict",
    "load_config",
]

_HEADER = "The audit config {source} has {n} problem{s}:\n{body}"
_UNKNOWN_KEY = "unknown key '{key}'{hint}. Valid keys here: {valid}."
_WRONG_TYPE = "'{key}': expected {expected}, found {found!r}."
_BAD_VALUE = "'{key}': expected {expected}, found {found!r}. {fix}"
_UNKNOWN_CHOICE = "'{key}': unknown {what} {found!r}{hint}. Expected {valid}. {fix}"
_NOT_FINITE = "'{key}': expected {expected}, found {found!r}: inf and nan are never valid settings. Fix: write a finite number."
_OVER_LIMIT = ("'{key}': {found} {what} is above the limit of {limit}: {why}. Fix: use at most {limit}, or, on a "
               "machine that can afford it, raise the limit by setting the environment variable {env}={found}.")
_BAD_LIMIT_ENV = "environment variable {env}: expected a positive integer (a raised limit for '{key}'), found {found!r}."
_MISSING = "'{key}' is required: {expected}."
_NOT_TOML = "Cannot parse {path} as TOML: {error}. Fix the syntax at that position."
_CONFIG_FIX = "Give the path to an audit TOML file (see examples/adult/audit.toml)."
_GATE_UNKNOWN_METRIC = "'gates[{i}].metric': unknown metric '{metric}'{hint}. Valid metrics: {valid}."
_GATE_NEEDS_FEATURE = "'gates[{i}]' ({metric}): expected 'feature' naming a sensitive feature, found none."
_GATE_NO_BOUND = "'gates[{i}]' ({metric}): expected a bound, 'max' or 'min', found neither."
_GATE_GROUPS_UNUSED = ("'gates[{i}].groups' ({metric}): 'groups = \"all\"' applies to fairness disparities and the "
                       "four-fifths ratio only. Fix: remove it from this gate.")
_GATE_EMPTY_RANGE = ("'gates[{i}]' ({metric}): expected min <= max, found min = {min!r} > max = {max!r}, which no value "
                     "can meet. Fix: swap them, or keep only the bound you mean.")

#: Defaults of the data screening (audit.data.screening): one-hot width, and the single-feature AUC that is leakage.
DEFAULT_MAX_ENCODED_FEATURES = 2000
DEFAULT_LEAKAGE_AUC = 0.95
#: Least count of a metric's denominator (actual positives for TPR, actual negatives for FPR, predicted positives
#: for precision) a group needs for that metric to enter a disparity. With fewer than 10 the rate moves by more than
#: 10 points per person, its 95% interval is wider than ±0.26 (Wilson, at 5 of 10), and the normal approximation
#: behind interval methods fails (the usual ``n p >= 10`` rule).
DEFAULT_MIN_GROUP_POSITIVES = 10
#: Numeric sensitive columns with more distinct values than SENSITIVE_MAX_VALUES in the training rows are cut into this
#: many groups at the training rows' quantiles (quartiles), unless data.sensitive_bins gives the edges.
DEFAULT_SENSITIVE_QUANTILES = 4
SENSITIVE_MAX_VALUES = 10

#: The columns ``predictions.csv`` holds besides the sensitive features, in order (the writer in
#: ``audit.pipeline._audits`` builds its frame from this tuple); a sensitive feature may not take one of these names.
PREDICTION_COLUMNS = ("model", "y_true", "y_pred", "y_score")
_RESERVED = ("'data.sensitive_features': {names} {are} reserved: predictions.csv already has columns {reserved}, and a "
             "sensitive column of the same name would overwrite one of them. Fix: rename the column in the data file "
             "(e.g. {example!r}) and in data.sensitive_features.")

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
#: Seeds go to NumPy, pandas and scikit-learn, which take 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1
_LIMIT_ENV = "RAI_AUDIT_MAX_{name}"


@dataclass(frozen=True)
class Limit:
    """A resource limit on a config value: the most a run on one machine should be asked for.

    ``measure`` turns the value into the number limited (the value itself, a list's length,
    its largest entry); ``name`` tells several limits on one key apart.
    """

    max: int
    what: str
    why: str
    measure: Callable[[Any], int] = lambda v: v
    name: str = ""

    def env(self, key: str) -> str:
        """The environment variable that raises this limit, e.g. RAI_AUDIT_MAX_FAIRNESS_N_BOOT."""
        suffix = f"{key}_{self.name}" if self.name else key
        return _LIMIT_ENV.format(name=re.sub(r"[^A-Za-z0-9]+", "_", suffix).upper())


_EPOCH_LIMIT = Limit(10_000, "epochs", "each epoch is a full pass over the training data; 10,000 passes is days of CPU "
                     "time for the bundled data, a value this large is almost always a typo",
                     measure=lambda v: v if isinstance(v, int) else 0)


def _spec(expected: str, *, check=None, fix: str = "", required: bool = False, limits: Sequence[Limit] = (),
          choices: Sequence[str] | None = None, what: str = "", **kw):
    """Attach validation metadata to a dataclass field."""
    return field(metadata={"expected": expected, "check": check, "fix": fix, "required": required,
                           "limits": tuple(limits), "choices": choices, "what": what}, **kw)


def _choice(what: str, choices: Sequence[str], *, fix: str = "", **kw):
    """A field whose value must be one of ``choices`` (a tuple from :mod:`audit.choices`)."""
    return _spec(one_of(choices), check=lambda v: v in choices, fix=fix, choices=tuple(choices), what=what, **kw)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_seed(v: Any) -> bool:
    return _is_int(v) and 0 <= v <= MAX_SEED


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) and x for x in v)


def _is_edges(v: Any) -> bool:
    """A table of column name -> increasing bin edges (``data.sensitive_bins``)."""
    return isinstance(v, dict) and all(
        isinstance(k, str) and k and isinstance(e, list) and 1 <= len(e) <= 50 and all(_is_num(x) for x in e)
        and all(a < b for a, b in zip(e, e[1:])) for k, e in v.items())


def _not_finite(v: Any) -> bool:
    """A float that is inf or nan, anywhere in the value (lists included)."""
    if isinstance(v, float):
        return not math.isfinite(v)
    if isinstance(v, list):
        return any(_not_finite(x) for x in v)
    return False


@dataclass(frozen=True)
class DataSection:
    """Where the data comes from and which columns mean what."""

    bundled: str | None = _choice("bundled dataset", BUNDLED_DATASETS,
                                  fix="Fix: name a bundled dataset, or give a file with data.path instead.", default=None)
    path: str | None = _spec("a path to a CSV or Parquet file", check=lambda v: isinstance(v, str) and v != "", default=None)
    test_path: str | None = _spec("a path to a CSV or Parquet test file", check=lambda v: isinstance(v, str) and v != "", default=None)
    target: str = _spec("the name of the label column", check=lambda v: isinstance(v, str) and v != "", required=True, default="")
    positive_label: Any = _spec("the label value that counts as positive (string, number, or true/false for a boolean target)",
                                check=lambda v: isinstance(v, (str, int, float, bool)), default=None)
    sensitive_features: list[str] = _spec("a list of column names (non-empty for a table; a text audit may leave it empty "
                                          "and audit identity terms in the texts instead)", check=_is_str_list,
                                          required=True, default_factory=list)
    drop_missing_target: bool = _spec("true or false (rows whose target is missing are dropped and counted, instead of "
                                      "refused)", check=lambda v: isinstance(v, bool), default=False)
    text_column: str | None = _spec("the name of the column of texts (a text classifier reads only that column)",
                                    check=lambda v: isinstance(v, str) and v != "", default=None)
    intersections: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=True)
    drop_columns: list[str] = _spec("a list of column names", check=_is_str_list, default_factory=list)
    use_sensitive_as_features: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=True)
    max_rows: int | None = _spec("a positive integer (subsample the training rows, for quick runs)",
                                 check=lambda v: _is_int(v) and v >= 100, fix="Use at least 100 rows or remove the key.", default=None)
    identifier_columns: str = _choice("what to do with identifier-like feature columns", IDENTIFIER_POLICIES,
                                      fix="\"exclude\" leaves names, IDs, raw dates and free text out of the features with a "
                                          "warning; \"refuse\" stops; \"keep\" uses them.", default="exclude")
    keep_columns: list[str] = _spec("a list of column names (flagged as identifier-like, but features on purpose)",
                                    check=_is_str_list, default_factory=list)
    max_encoded_features: int = _spec("an integer >= 1 (the most columns one-hot encoding may produce)",
                                      check=lambda v: _is_int(v) and v >= 1, default=DEFAULT_MAX_ENCODED_FEATURES)
    leakage_auc: float = _spec("a number in (0.5, 1] (a single feature at this ROC AUC for the target is target leakage)",
                               check=lambda v: _is_num(v) and 0.5 < v <= 1, default=DEFAULT_LEAKAGE_AUC)
    allow_leakage: list[str] = _spec("a list of column names (features allowed to predict the target on their own)",
                                     check=_is_str_list, default_factory=list)
    sensitive_quantiles: int = _spec(f"an integer from 2 to 20 (a numeric sensitive column with more than "
                                     f"{SENSITIVE_MAX_VALUES} distinct values in the training rows is cut into this many "
                                     "groups at the training rows' quantiles), or 0 (never: one group per distinct value)",
                                     check=lambda v: _is_int(v) and (v == 0 or 2 <= v <= 20),
                                     default=DEFAULT_SENSITIVE_QUANTILES)
    sensitive_bins: dict[str, list[float]] = _spec(
        "a table of sensitive column -> increasing bin edges, e.g. {age = [25, 45, 65]} (groups < 25, [25, 45), "
        "[45, 65), ≥ 65)", check=_is_edges, fix="Fix: list 1 to 50 edges per column in increasing order.",
        default_factory=dict)
    drop_duplicate_records: bool = _spec("true or false (drop rows that repeat an earlier row in every column before "
                                         "the split; counted in the record)", check=lambda v: isinstance(v, bool),
                                         default=False)


@dataclass(frozen=True)
class SplitSection:
    """How to get a test split when the data has none."""

    test_size: float = _spec("a fraction strictly between 0 and 1", check=lambda v: _is_num(v) and 0 < v < 1, default=0.3)
    seed: int = _spec(f"an integer from 0 to {MAX_SEED}", check=_is_seed, default=0)
    stratify: str = _choice("split stratification", SPLIT_STRATIFY, default="target",
                            fix="Fix: \"target\" keeps the target's distribution in the test and validation splits; "
                                "\"groups\" keeps each sensitive group × target share (strata too small to split merged).")
    validation_size: float = _spec("a fraction from 0 to 0.5 of the training rows (held out of training to choose "
                                   "the decision threshold and stop early; 0: none)",
                                   check=lambda v: _is_num(v) and 0 <= v <= 0.5, default=0.2)


@dataclass(frozen=True)
class ModelSection:
    """The built-in MLP, or a factory returning the user's module."""

    kind: str = _choice("model kind", MODEL_KINDS, default="mlp")
    hidden: list[int] = _spec("a list of positive integers (hidden layer widths)",
                              check=lambda v: isinstance(v, list) and all(_is_int(x) and x > 0 for x in v),
                              limits=(Limit(16_384, "units in the widest layer", "a 16,384-wide layer after another holds 268M "
                                            "weights (1 GiB in float32) and DP training keeps per-example gradient norms on top",
                                            measure=lambda v: max(v, default=0), name="width"),
                                      Limit(64, "hidden layers", "a tabular MLP deeper than 64 layers does not train without "
                                            "normalisation layers, which DP-SGD does not support", measure=len, name="layers")),
                              default_factory=lambda: [64, 32])
    dropout: float = _spec("a number in [0, 1)", check=lambda v: _is_num(v) and 0 <= v < 1, default=0.0)
    embedding_dim: int = _spec("an integer from 2 to 1024 (token embedding width of the text model)",
                               check=lambda v: _is_int(v) and 2 <= v <= 1024, default=64)
    weights: str | None = _spec("a path to a state-dict file (.pt) to audit instead of training the reference model",
                                check=lambda v: isinstance(v, str) and v != "", default=None)
    factory: str | None = _spec("\"package.module:function\" returning an nn.Module; it is called with n_features=<int>",
                                check=lambda v: isinstance(v, str) and re.fullmatch(r"[\w.]+:\w+", v) is not None,
                                fix="Write it as module:function, e.g. mymodels:make_model.", default=None)


def _is_threshold(v: Any) -> bool:
    return v in THRESHOLD_RULES or (_is_num(v) and 0 < v < 1)


@dataclass(frozen=True)
class TrainingSection:
    """Training of the non-private reference model (epochs, batch size, learning rate), and how both models learn
    and decide: class weights, early stopping and the decision threshold apply to the reference and the private
    model alike; the private model's epochs, batch size and learning rate are in [privacy]."""

    epochs: int | str = _spec("an integer >= 1, or \"auto\" (about 1,500 optimizer steps, 10 to 200 epochs, with early "
                              "stopping)", check=lambda v: v == "auto" or (_is_int(v) and v >= 1),
                              limits=(_EPOCH_LIMIT,), default="auto")
    batch_size: int = _spec("an integer >= 1", check=lambda v: _is_int(v) and v >= 1, default=256)
    learning_rate: float = _spec("a number > 0", check=lambda v: _is_num(v) and v > 0, default=1e-3)
    seed: int = _spec(f"an integer from 0 to {MAX_SEED}", check=_is_seed, default=0)
    class_weight: str = _choice("class weighting of the loss (both models)", CLASS_WEIGHTS, default="auto",
                                fix="Fix: \"auto\" weights classes by inverse frequency when the rarest is under 20% "
                                    "of the training rows.")
    threshold: float | str = _spec(f"{one_of(THRESHOLD_RULES)} (a rule applied on the validation rows) or a number "
                                   "strictly between 0 and 1 (a fixed decision threshold, binary models)",
                                   check=_is_threshold, default="base_rate")
    early_stopping: bool = _spec("true or false (stop when the validation loss has not improved for `patience` "
                                 "epochs and keep the best epoch; both models)", check=lambda v: isinstance(v, bool),
                                 default=True)
    patience: int = _spec("an integer >= 1 (epochs without a better validation loss before training stops)",
                          check=lambda v: _is_int(v) and v >= 1, default=5)


@dataclass(frozen=True)
class PrivacySection:
    """DP training of the private model and the empirical privacy audit."""

    enabled: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=True)
    target_epsilon: float = _spec("a number > 0", check=lambda v: _is_num(v) and v > 0,
                                  fix="Typical values are 0.5 to 8; smaller is more private.", default=1.0)
    delta: float | None = _spec("a number strictly between 0 and 1 (and below 1/n)", check=lambda v: _is_num(v) and 0 < v < 1,
                                fix="Leave it out to use a delta below 1/n.", default=None)
    max_grad_norm: float | None = _spec("a number > 0", check=lambda v: _is_num(v) and v > 0, default=None)
    accountant: str | None = _choice("accountant", ACCOUNTANTS,
                                     fix="Fix: \"prv\" gives the tightest ε for the same noise; \"rdp\" and \"gdp\" are looser.",
                                     default=None)
    epochs: int | None = _spec("an integer >= 1", check=lambda v: _is_int(v) and v >= 1, limits=(_EPOCH_LIMIT,), default=None)
    batch_size: int | None = _spec("an integer >= 1", check=lambda v: _is_int(v) and v >= 1, default=None)
    learning_rate: float | None = _spec("a number > 0", check=lambda v: _is_num(v) and v > 0, default=None)
    secure_rng: bool = _spec("true or false", check=lambda v: isinstance(v, bool),
                             fix="true draws sampling and noise from a CSPRNG (for a released model; not repeatable).",
                             default=False)
    membership_inference: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=True)
    canary_audit: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=False)
    canaries: int = _spec("an integer >= 100", check=lambda v: _is_int(v) and v >= 100,
                          limits=(Limit(100_000, "canaries", "each canary is one more record in the audited DP training, and the "
                                        "bound stops tightening long before (it can never exceed the accountant's ε)"),),
                          default=1000)
    canary_kind: str = _choice("canary kind", CANARY_KINDS,
                               fix="\"gradient\" (white-box, tighter) needs a model whose trainable layers are nn.Linear or nn.Conv2d; "
                                   "\"auto\" uses it where possible.", default="auto")
    utility_curve: list[float] = _spec("a list of distinct numbers > 0 (epsilons to train at)",
                                       check=lambda v: isinstance(v, list) and all(_is_num(x) and x > 0 for x in v)
                                       and len(set(v)) == len(v),
                                       limits=(Limit(20, "epsilons", "each ε on the curve trains one more DP model from scratch",
                                                     measure=len),),
                                       default_factory=list)
    identifier_scan: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=True)
    reference_models: int = _spec("an integer >= 0 (reference models per audited model for RMIA and LiRA; 0: threshold "
                                  "attacks only)", check=lambda v: _is_int(v) and v >= 0,
                                  limits=(Limit(64, "reference models", "each is one more training run per audited model, "
                                                "and the offline attacks gain little past a few"),),
                                  default=2)
    min_false_positives: int = _spec("an integer >= 1 (a TPR at a low FPR resting on fewer non-members is not reported)",
                                     check=lambda v: _is_int(v) and v >= 1, default=20)


@dataclass(frozen=True)
class FairnessSection:
    """Fairness metrics, confidence intervals and mitigation."""

    n_boot: int = _spec("an integer >= 0 (0 disables confidence intervals)", check=lambda v: _is_int(v) and v >= 0,
                        limits=(Limit(100_000, "bootstrap resamples", "the Monte-Carlo error of a 95% percentile interval is "
                                      "already negligible at 10,000 resamples, while every resample costs time and memory "
                                      "for each group, metric and sensitive feature (10^8 exhausts memory)"),),
                        default=1000)
    ci_level: float = _spec("a number strictly between 0 and 1", check=lambda v: _is_num(v) and 0 < v < 1, default=0.95)
    stratified: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=True)
    min_group_size: int = _spec("an integer >= 1", check=lambda v: _is_int(v) and v >= 1, default=30)
    min_group_positives: int = _spec("an integer >= 0 (least actual positives / negatives / predicted positives a group "
                                     "needs for the metrics that divide by them; 0 = rows only)",
                                     check=lambda v: _is_int(v) and v >= 0, default=DEFAULT_MIN_GROUP_POSITIVES)
    disparity_groups: str = _choice("groups the gate-facing disparities compare", DISPARITY_GROUPS,
                                    fix="Fix: \"sufficient\" leaves groups without enough data out of the disparities "
                                        "(they stay in every table); \"all\" uses every group.", default="sufficient")
    mitigation: str = _choice("mitigation", MITIGATIONS,
                              fix="Fix: name the disparity to reduce (Fairlearn's constraint), or \"none\" to skip mitigation.",
                              default="demographic_parity")


@dataclass(frozen=True)
class ExplainSection:
    """Which attribution method, on which models, with which checks."""

    enabled: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=True)
    method: str = _choice("attribution method", TABULAR_METHODS, default="integrated_gradients")
    baseline: str = _choice("baseline", EXPLAIN_BASELINES, default="training_mean")
    n_examples: int = _spec("an integer >= 0", check=lambda v: _is_int(v) and v >= 0,
                            limits=(Limit(1_000, "examples", "each local explanation is stored in audit.json and drawn in the "
                                          "cards and the dashboard, which a reviewer reads one by one"),),
                            default=8)
    max_rows: int | None = _spec("an integer >= 10 (attribute at most this many test rows)", check=lambda v: _is_int(v) and v >= 10, default=None)
    checks: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=True)
    delta_tolerance: float = _spec("a number > 0 (mean |completeness delta| in log-odds that raises a warning)",
                                   check=lambda v: _is_num(v) and v > 0, default=0.05)
    randomization_threshold: float = _spec("a number in (0, 1] (rank correlation with a re-initialised model that flags the method)",
                                           check=lambda v: _is_num(v) and 0 < v <= 1, default=0.5)


@dataclass(frozen=True)
class TextSection:
    """Tokenisation of the texts and the text audits (``data.text_column``)."""

    max_length: int = _spec("an integer from 8 to 4096 (tokens kept per text)", check=lambda v: _is_int(v) and 8 <= v <= 4096,
                            default=128)
    max_vocabulary: int = _spec("an integer from 100 to 200000 (most frequent training tokens kept)",
                                check=lambda v: _is_int(v) and 100 <= v <= 200_000, default=20_000)
    min_count: int = _spec("an integer >= 1 (a token must occur this often in the training texts)",
                           check=lambda v: _is_int(v) and v >= 1, default=2)
    identity_categories: list[str] = _spec(f"a list drawn from {one_of(IDENTITY_CATEGORIES)}",
                                           check=lambda v: _is_str_list(v) and set(v) <= set(IDENTITY_CATEGORIES),
                                           default_factory=lambda: list(IDENTITY_CATEGORIES))
    counterfactual_max_texts: int = _spec("an integer >= 10 (test texts with identity terms to perturb)",
                                          check=lambda v: _is_int(v) and v >= 10,
                                          limits=(Limit(100_000, "texts", "each text is scored once per substitute term"),),
                                          default=2000)
    n_examples: int = _spec("an integer from 0 to 100 (examples kept per term pair and explained texts)",
                            check=lambda v: _is_int(v) and 0 <= v <= 100, default=5)


@dataclass(frozen=True)
class ComputeSection:
    """Stated figures for the energy and CO2 estimate when nothing can be measured."""

    # Upper bounds: a figure no machine or grid reaches is a typo (and would overflow the estimate).
    power_watts: float = _spec("a number > 0 and at most 1000000 (average machine power draw in W)",
                               check=lambda v: _is_num(v) and 0 < v <= 1e6, default=65.0)
    carbon_intensity_g_per_kwh: float = _spec("a number from 0 to 10000 (grid carbon intensity, gCO2e/kWh; coal-fired "
                                              "power is about 1000)", check=lambda v: _is_num(v) and 0 <= v <= 1e4, default=475.0)


@dataclass(frozen=True)
class CardSection:
    """Text the user supplies for the model card."""

    model_name: str | None = _spec("a string", check=lambda v: isinstance(v, str), default=None)
    description: str = _spec("a string", check=lambda v: isinstance(v, str), default="")
    intended_use: str = _spec("a string", check=lambda v: isinstance(v, str), default="")
    out_of_scope_uses: list[str] = _spec("a list of strings", check=_is_str_list, default_factory=list)
    limitations: str = _spec("a string", check=lambda v: isinstance(v, str), default="")
    ethical_considerations: str = _spec("a string", check=lambda v: isinstance(v, str), default="")
    authors: list[str] = _spec("a list of strings", check=_is_str_list, default_factory=list)
    license: str | None = _spec("a license identifier, e.g. \"apache-2.0\"", check=lambda v: isinstance(v, str), default=None)


@dataclass(frozen=True)
class GateSpec:
    """One policy gate: a metric, a bound and a severity."""

    metric: str = _spec("a metric name (see audit.choices.GATE_METRICS)", check=lambda v: isinstance(v, str) and v != "", required=True, default="")
    model: str = _choice("model", MODEL_ROLES, default="private")
    feature: str | None = _spec("a sensitive feature name (for fairness and reliance metrics)", check=lambda v: isinstance(v, str), default=None)
    max: float | None = _spec("a number (the metric must be <= max)", check=_is_num, default=None)
    min: float | None = _spec("a number (the metric must be >= min)", check=_is_num, default=None)
    severity: str = _choice("severity", GATE_SEVERITIES, fix="Fix: \"error\" fails the audit, \"warning\" is reported only.",
                            default="error")
    use_ci_bound: bool = _spec("true or false (gate on the pessimistic confidence bound when there is one)",
                               check=lambda v: isinstance(v, bool), default=False)
    name: str | None = _spec("a short label for the gate", check=lambda v: isinstance(v, str), default=None)
    allow_inconclusive: bool = _spec("true or false (an inconclusive result, e.g. on a degenerate model or too few "
                                     "groups with enough data, does not fail the verdict; it is still listed as a "
                                     "concern)", check=lambda v: isinstance(v, bool), default=False)
    groups: str = _choice("groups", GATE_GROUPS, default="sufficient",
                          fix='Fix: "sufficient" compares the groups with enough data (the default), "all" every group.')

    @property
    def label(self) -> str:
        """A readable name: the user's label or metric[feature]@model."""
        if self.name:
            return self.name
        feat = f"[{self.feature}]" if self.feature else ""
        return f"{self.metric}{feat}@{self.model}"


@dataclass(frozen=True)
class AuditConfig:
    """The whole, validated audit configuration."""

    name: str
    data: DataSection
    task: str = "binary"
    split: SplitSection = field(default_factory=SplitSection)
    model: ModelSection = field(default_factory=ModelSection)
    training: TrainingSection = field(default_factory=TrainingSection)
    privacy: PrivacySection = field(default_factory=PrivacySection)
    fairness: FairnessSection = field(default_factory=FairnessSection)
    explain: ExplainSection = field(default_factory=ExplainSection)
    compute: ComputeSection = field(default_factory=ComputeSection)
    text: TextSection = field(default_factory=TextSection)
    card: CardSection = field(default_factory=CardSection)
    gates: tuple[GateSpec, ...] = ()
    source_path: str | None = None
    base_dir: str = "."

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (as normalised, defaults filled in), for the audit record."""
        out = dataclasses.asdict(self)
        out["gates"] = [dataclasses.asdict(g) for g in self.gates]
        out.pop("base_dir")
        out.pop("source_path")
        return out

    def fingerprint(self) -> str:
        """sha256 of the normalised config, to tie checkpoints and runs to it."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, default=str).encode()).hexdigest()

    def resolve(self, path: str) -> Path:
        """A path from the config, relative to the config file's directory."""
        p = Path(path)
        return p if p.is_absolute() else Path(self.base_dir) / p


_SECTIONS: dict[str, type] = {
    "data": DataSection,
    "split": SplitSection,
    "model": ModelSection,
    "training": TrainingSection,
    "privacy": PrivacySection,
    "fairness": FairnessSection,
    "explain": ExplainSection,
    "compute": ComputeSection,
    "text": TextSection,
    "card": CardSection,
}


def _unknown(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key.rsplit(".", 1)[-1], valid, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return _UNKNOWN_KEY.format(key=key, hint=hint, valid=", ".join(valid))


def _bad_value(key: str, value: Any, meta: Any) -> str:
    choices = meta["choices"]
    if choices is not None and isinstance(value, str):
        close = difflib.get_close_matches(value, choices, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return _UNKNOWN_CHOICE.format(key=key, what=meta["what"], found=value, hint=hint, valid=meta["expected"], fix=meta["fix"]).rstrip()
    return _BAD_VALUE.format(key=key, expected=meta["expected"], found=value, fix=meta["fix"]).rstrip()


def _limit_for(key: str, limit: Limit, problems: list[str]) -> int:
    """The limit, raised by its environment variable when that is set."""
    env = limit.env(key)
    text = os.environ.get(env)
    if text is None:
        return limit.max
    try:
        raised = int(text)
    except ValueError:
        raised = 0
    if raised < 1:
        problems.append(_BAD_LIMIT_ENV.format(env=env, key=key, found=text))
        return limit.max
    return max(raised, limit.max)


def _over_limits(key: str, value: Any, limits: tuple[Limit, ...], problems: list[str]) -> bool:
    """Report every limit ``value`` exceeds; whether it exceeded any."""
    over = False
    for limit in limits:
        found = limit.measure(value)
        allowed = _limit_for(key, limit, problems)
        if found > allowed:
            problems.append(_OVER_LIMIT.format(key=key, found=found, what=limit.what, limit=allowed, why=limit.why,
                                               env=limit.env(key)))
            over = True
    return over


def _build_section(cls: type, raw: Any, prefix: str, problems: list[str], refused: set[str]) -> Any:
    """The section built from the keys that passed; every other key is a problem, and its name goes in ``refused``."""
    if not isinstance(raw, dict):
        problems.append(_WRONG_TYPE.format(key=prefix, expected="a table", found=raw))
        return None
    valid = [f.name for f in fields(cls)]
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in valid:
            problems.append(_unknown(f"{prefix}.{key}", valid))
            continue
        refused.add(f"{prefix}.{key}")  # until it passes every check below
        meta = next(f for f in fields(cls) if f.name == key).metadata
        if _not_finite(value):
            problems.append(_NOT_FINITE.format(key=f"{prefix}.{key}", expected=meta["expected"], found=value))
            continue
        if value is None or not meta["check"](value):
            problems.append(_bad_value(f"{prefix}.{key}", value, meta))
            continue
        over = _over_limits(f"{prefix}.{key}", value, meta["limits"], problems)
        if not over:
            values[key] = value
            refused.discard(f"{prefix}.{key}")
    for f in fields(cls):
        if f.metadata.get("required") and f.name not in raw:
            problems.append(_MISSING.format(key=f"{prefix}.{f.name}", expected=f.metadata["expected"]))
    try:
        return cls(**values)
    except TypeError:  # pragma: no cover - only if a required field was missing; already reported
        return None


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
        if model.kind in ("mlp", "text") and model.factory:
            problems.append(f"'model.factory' is set but model.kind is \"{model.kind}\"; set kind = \"factory\" to use it.")
    priv = cfg.get("privacy")
    if isinstance(priv, PrivacySection) and not priv.enabled:
        # Settings of the DP training that would silently do nothing without it.
        for key, needs in (("canary_audit", "it audits the DP training"), ("secure_rng", "it randomises the DP training"),
                           ("utility_curve", "it trains DP models at each ε")):
            if getattr(priv, key):
                problems.append(f"'privacy.{key}' needs privacy.enabled = true ({needs}). Fix: enable privacy or remove the key.")
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
        if model.kind == "text" and not text and isinstance(data, DataSection):
            problems.append(_TEXT_MODEL.format(kind="text", why="reads texts, but data.text_column is not set",
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
    """Each gate names a metric of :data:`audit.choices.GATE_METRICS`, with a feature when it needs one."""
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
        if info is not None and gate.groups == "all" and gate.metric not in (*FAIRNESS_DISPARITIES, "four_fifths_ratio"):
            problems.append(_GATE_GROUPS_UNUSED.format(i=i, metric=gate.metric))


def _task(value: Any, problems: list[str]) -> str:
    if value in CONFIG_TASKS:
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
        if gate.groups == "all" and not _kind(task).disparities_over_all_groups and \
                gate.metric in (*FAIRNESS_DISPARITIES, "four_fifths_ratio"):
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


def load_config(path: str | Path) -> AuditConfig:
    """Read and validate an audit TOML file.

    Parameters
    ----------
    path : str or Path
        The TOML file. Relative data paths inside it are resolved against its directory.

    Examples
    --------
    >>> cfg = load_config("examples/adult/audit.toml")  # doctest: +SKIP
    >>> cfg.data.target  # doctest: +SKIP
    'income'
    """
    from audit.records.files import read_bytes

    p = Path(path)
    data = read_bytes(p, what="Config file", fix=_CONFIG_FIX, error=ConfigError, limit="CONFIG")
    try:
        # A byte-order mark (Windows editors write one) is accepted: utf-8-sig drops it.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(_NOT_TOML.format(path=p, error=f"it is not UTF-8 text ({exc})").replace(
            "Fix the syntax at that position.", "Save it as UTF-8.")) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_NOT_TOML.format(path=p, error=exc)) from None
    except RecursionError:
        raise ConfigError(_NOT_TOML.format(path=p, error="arrays or tables are nested too deeply for the parser").replace(
            "Fix the syntax at that position.", "An audit config nests at most a few levels; remove the nesting.")) from None
    return config_from_dict(raw, source=str(p), base_dir=p.resolve().parent)
