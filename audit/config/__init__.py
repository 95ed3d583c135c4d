"""The audit configuration: TOML in, a typed and fully validated :class:`AuditConfig` out.

Validation never stops at the first problem: every unknown key, wrong type and
out-of-range value is collected and reported in one :class:`~audit.exceptions.ConfigError`,
each naming the key, what was expected, what was found and how to fix it.

The package reads by concept: :mod:`audit.config._spec` holds the machinery (field metadata,
value checks, resource limits), :mod:`audit.config._sections` the sections and their defaults,
:mod:`audit.config._validate` the validation of a parsed mapping and the rules that span keys,
:mod:`audit.config._load` the reading of a TOML file.

Examples
--------
>>> cfg = config_from_dict({"data": {"bundled": "adult", "target": "income",
...     "positive_label": ">50K", "sensitive_features": ["sex"]}})
>>> cfg.privacy.target_epsilon
1.0
"""

from __future__ import annotations

from audit.config._load import load_config
from audit.config._sections import (
    DEFAULT_LEAKAGE_AUC,
    DEFAULT_MAX_ENCODED_FEATURES,
    DEFAULT_MIN_GROUP_POSITIVES,
    DEFAULT_SENSITIVE_QUANTILES,
    PREDICTION_COLUMNS,
    SENSITIVE_MAX_VALUES,
    AuditConfig,
    CardSection,
    ComputeSection,
    DataSection,
    ExplainSection,
    FairnessSection,
    GateSpec,
    ModelSection,
    PrivacySection,
    RobustnessSection,
    SplitSection,
    TextSection,
    TrainingSection,
)
from audit.config._spec import MAX_SEED, Limit, limit_for, named_columns
from audit.config._validate import config_from_dict

__all__ = [
    "DEFAULT_LEAKAGE_AUC",
    "DEFAULT_MAX_ENCODED_FEATURES",
    "DEFAULT_MIN_GROUP_POSITIVES",
    "DEFAULT_SENSITIVE_QUANTILES",
    "MAX_SEED",
    "PREDICTION_COLUMNS",
    "SENSITIVE_MAX_VALUES",
    "AuditConfig",
    "CardSection",
    "ComputeSection",
    "DataSection",
    "ExplainSection",
    "FairnessSection",
    "GateSpec",
    "Limit",
    "ModelSection",
    "PrivacySection",
    "RobustnessSection",
    "SplitSection",
    "TextSection",
    "TrainingSection",
    "config_from_dict",
    "limit_for",
    "load_config",
    "named_columns",
]
