"""The sections of the audit config, each field with its expectation, check and limits; the whole :class:`AuditConfig`.

The defaults the data and fairness code share (one source for each) are defined here too.

Examples
--------
>>> GateSpec(metric="demographic_parity_difference", feature="sex", max=0.1).label
'demographic_parity_difference[sex]@private'
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from audit.choices import (
    ACCOUNTANTS,
    BUNDLED_DATASETS,
    CANARY_KINDS,
    CLASS_WEIGHTS,
    DISPARITY_GROUPS,
    EXPLAIN_BASELINES,
    GATE_GROUPS,
    GATE_SEVERITIES,
    IDENTIFIER_POLICIES,
    IDENTITY_CATEGORIES,
    MITIGATIONS,
    MODEL_KINDS,
    MODEL_ROLES,
    SPLIT_STRATIFY,
    TABULAR_METHODS,
    THRESHOLD_RULES,
    one_of,
)
from audit.config._spec import (
    MAX_SEED,
    Limit,
    _choice,
    _is_edges,
    _is_int,
    _is_num,
    _is_seed,
    _is_str_list,
    _spec,
)

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

_EPOCH_LIMIT = Limit(10_000, "epochs", "each epoch is a full pass over the training data; 10,000 passes is days of CPU "
                     "time for the bundled data, a value this large is almost always a typo",
                     measure=lambda v: v if isinstance(v, int) else 0)


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
                                          required=True, columns=True, default_factory=list)
    drop_missing_target: bool = _spec("true or false (rows whose target is missing are dropped and counted, instead of "
                                      "refused)", check=lambda v: isinstance(v, bool), default=False)
    text_column: str | None = _spec("the name of the column of texts (a text classifier reads only that column)",
                                    check=lambda v: isinstance(v, str) and v != "", columns=True, default=None)
    intersections: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=True)
    drop_columns: list[str] = _spec("a list of column names", check=_is_str_list, columns=True, default_factory=list)
    use_sensitive_as_features: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=True)
    max_rows: int | None = _spec("a positive integer (subsample the training rows, for quick runs)",
                                 check=lambda v: _is_int(v) and v >= 100, fix="Use at least 100 rows or remove the key.", default=None)
    identifier_columns: str = _choice("what to do with identifier-like feature columns", IDENTIFIER_POLICIES,
                                      fix="\"exclude\" leaves names, IDs, raw dates and free text out of the features with a "
                                          "warning; \"refuse\" stops; \"keep\" uses them.", default="exclude")
    keep_columns: list[str] = _spec("a list of column names (flagged as identifier-like, but features on purpose)",
                                    check=_is_str_list, columns=True, default_factory=list)
    max_encoded_features: int = _spec("an integer >= 1 (the most columns one-hot encoding may produce)",
                                      check=lambda v: _is_int(v) and v >= 1, default=DEFAULT_MAX_ENCODED_FEATURES)
    leakage_auc: float = _spec("a number in (0.5, 1] (a single feature at this ROC AUC for the target is target leakage)",
                               check=lambda v: _is_num(v) and 0.5 < v <= 1, default=DEFAULT_LEAKAGE_AUC)
    allow_leakage: list[str] = _spec("a list of column names (features allowed to predict the target on their own)",
                                     check=_is_str_list, columns=True, default_factory=list)
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
    path: str | None = _spec("a local folder (relative to the config) holding a Hugging Face sequence classifier and its "
                             "tokenizer, as save_pretrained writes them (model.kind = \"transformers\")",
                             check=lambda v: isinstance(v, str) and v != "", default=None)
    lora_rank: int = _spec("an integer from 0 to 256 (rank of the LoRA adapters fine-tuned on a transformer; 0: fine-tune "
                           "every weight but the embeddings)", check=lambda v: _is_int(v) and 0 <= v <= 256, default=8)
    lora_targets: list[str] | None = _spec("a list of module names to adapt with LoRA (e.g. [\"query\", \"value\"]); "
                                           "leave it out for peft's choice for the architecture",
                                           check=lambda v: isinstance(v, list) and bool(v) and all(
                                               isinstance(x, str) and x for x in v), default=None)


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
    max_rows: int | None = _spec("an integer >= 10 (attribute at most this many test rows)",
                                 check=lambda v: _is_int(v) and v >= 10, default=None)
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


def _is_rate(v: Any) -> bool:
    return _is_num(v) and 0 <= v <= 0.5


@dataclass(frozen=True)
class RobustnessSection:
    """The robustness audit (``audit.robustness``): how decisions change when the test rows are perturbed."""

    enabled: bool = _spec("true or false", check=lambda v: isinstance(v, bool), default=True)
    noise_scales: list[float] = _spec(
        "a list of up to 5 numbers in (0, 10] (Gaussian noise on every numeric feature, in multiples of its training "
        "standard deviation; [] turns it off)",
        check=lambda v: isinstance(v, list) and len(v) <= 5 and all(_is_num(x) and 0 < x <= 10 for x in v),
        default_factory=lambda: [0.1, 0.25])
    missing_rate: float = _spec("a number from 0 to 0.5 (each feature value made missing with this probability; 0 "
                                "turns it off)", check=_is_rate, default=0.1)
    remap_rate: float = _spec("a number from 0 to 0.5 (each categorical value replaced by another training value with "
                              "this probability; 0 turns it off)", check=_is_rate, default=0.1)
    typo_rate: float = _spec("a number from 0 to 0.5 (texts: each word gets a typo with this probability; 0 turns it "
                             "off)", check=_is_rate, default=0.05)
    filler_rate: float = _spec("a number from 0 to 0.5 (texts: a neutral filler word inserted after each word with "
                               "this probability; 0 turns it off)", check=_is_rate, default=0.05)
    max_rows: int = _spec("an integer >= 100 (perturb at most this many test rows, a seeded sample)",
                          check=lambda v: _is_int(v) and v >= 100,
                          limits=(Limit(1_000_000, "rows", "each row is encoded and scored once per setting and model"),),
                          default=20_000)


@lru_cache(maxsize=1)
def _grid_places() -> tuple[frozenset[str], frozenset[str]]:
    """The countries (ISO 3166-1 alpha-3) and the regions (US states, Canadian provinces) codecarbon has intensities for."""
    from codecarbon.input import DataSource  # only when a config names a place: codecarbon's import is slow

    data = DataSource()
    regions = {k for country in ("usa", "can") for k in (data.get_country_emissions_data(country) if country == "usa"
                                                         else data.get_country_energy_mix_data(country))
               if not k.startswith("_")}
    return frozenset(data.get_global_energy_mix_data()), frozenset(regions)


def _is_country(v: Any) -> bool:
    return isinstance(v, str) and re.fullmatch(r"[A-Z]{3}", v) is not None and v in _grid_places()[0]


def _is_region(v: Any) -> bool:
    return isinstance(v, str) and v in _grid_places()[1]


@dataclass(frozen=True)
class ComputeSection:
    """Where the run's electricity comes from, for codecarbon's energy and CO2 figures (audit.runtime.compute)."""

    # Upper bounds: a figure no machine or grid reaches is a typo (and would overflow the estimate).
    country_iso_code: str = _spec("a three-letter ISO 3166-1 alpha-3 country code codecarbon knows (e.g. \"USA\", "
                                  "\"FRA\", \"DEU\", \"IND\"): its grid intensity gives the CO2",
                                  check=_is_country, fix="Use the code of the country the machine runs in.",
                                  default="USA")
    region: str | None = _spec("a US state or Canadian province in lower case, as codecarbon names it (e.g. "
                               "\"california\", \"quebec\"), with country_iso_code \"USA\" or \"CAN\"",
                               check=_is_region, default=None)
    power_watts: float | None = _spec("a number > 0 and at most 1000000 (CPU power in W for codecarbon's estimate "
                                      "where RAPL counters are unreadable; default: the CPU's TDP from codecarbon)",
                                      check=lambda v: _is_num(v) and 0 < v <= 1e6, default=None)
    carbon_intensity_g_per_kwh: float | None = _spec(
        "a number from 0 to 10000 (grid carbon intensity, gCO2e/kWh, instead of codecarbon's figure for the "
        "country; coal-fired power is about 1000)", check=lambda v: _is_num(v) and 0 <= v <= 1e4, default=None)


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

    metric: str = _spec("a metric name (see audit.metrics.GATE_METRICS)", check=lambda v: isinstance(v, str) and v != "",
                        required=True, default="")
    model: str = _choice("model", MODEL_ROLES, default="private")
    feature: str | None = _spec("a sensitive feature name (for fairness and reliance metrics)",
                                check=lambda v: isinstance(v, str), default=None)
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
    robustness: RobustnessSection = field(default_factory=RobustnessSection)
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
    "robustness": RobustnessSection,
    "card": CardSection,
}

