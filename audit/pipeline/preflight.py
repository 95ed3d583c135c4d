"""Everything that can be checked before the first training, checked before it, and reported at once.

Two passes, both before any model trains:

- :func:`gate_problems` needs only the config: a gate whose model, feature or metric
  cannot exist in this audit (a private-model gate with privacy off, a feature that is
  not sensitive, a canary gate without the canary audit) would otherwise be found only
  after the whole audit ran.
- :func:`check_before_training` also needs the prepared data: the DP settings against
  the number of training rows (with the accountant), the model's fitness for white-box
  canaries and secure randomness, and the canary count against the rows.

Every problem is collected and raised in one :class:`~audit.exceptions.ConfigError`.

Examples
--------
>>> from audit.config import config_from_dict
>>> cfg = config_from_dict({"data": {"bundled": "adult", "target": "income", "positive_label": ">50K",
...     "sensitive_features": ["sex"]}, "gates": [{"metric": "demographic_parity_difference", "feature": "race", "max": 0.1}]})
>>> gate_problems(cfg)  # doctest: +ELLIPSIS
["'gates[0]' (demographic_parity_difference[race]@private): feature 'race' is not a sensitive feature; expected ..."]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from audit.choices import TASK_KINDS
from audit.config import AuditConfig
from audit.data import PreparedData
from audit.exceptions import ConfigError
from audit.metrics import GATE_METRICS

if TYPE_CHECKING:
    from audit.privacy import DPSettings

__all__ = ["Preflight", "check_before_training", "gate_problems", "raise_problems"]

_HEADER = "The audit cannot start as configured ({n} problem{s}); nothing was trained:\n{body}"
_GATE = "'gates[{i}]' ({label}): {why}"
_PRIVATE_OFF = "gates the private model, but privacy.enabled = false. Fix: enable privacy or set model = \"reference\"."
_FEATURE = ("feature {feature!r} is not a sensitive feature; expected one of {valid}. Fix: add it to data.sensitive_features "
            "or name another feature.")
_NEEDS = "needs {what}, which this config switches off. Fix: {fix}, or remove the gate."
_NOISE_RATIO_INPUT = ("canary_noise_ratio is measured only by white-box gradient canaries, and this model gets input "
                      "canaries ({why}). Fix: remove the gate or use a model of nn.Linear/nn.Conv2d layers.")
_CANARY_ROWS = ("privacy.canaries = {m}: input canaries are {m} training rows with flipped labels, but there are only {n} "
                "training rows. Fix: use at most {most} canaries.")


def _valid_features(config: AuditConfig) -> list[str]:
    features = list(config.data.sensitive_features)
    if config.data.intersections and len(features) > 1:
        features.append(" & ".join(features))  # the intersection's key in the fairness section
    return features


def gate_problems(config: AuditConfig) -> list[str]:
    """Gates that could never be computed in this audit, each with the reason and the fix."""
    problems = []
    valid = _valid_features(config)
    for i, gate in enumerate(config.gates):
        why = []
        if gate.model == "private" and not config.privacy.enabled:
            why.append(_PRIVATE_OFF)
        if gate.feature is not None and gate.feature not in valid:
            why.append(_FEATURE.format(feature=gate.feature, valid=valid))
        spec = GATE_METRICS.get(gate.metric)  # what each metric needs besides its model: its registered Needs
        need = spec.needs if spec is not None else None
        if need is not None and not need.enabled(config):
            why.append(_NEEDS.format(what=need.what, fix=need.fix))
        problems += [_GATE.format(i=i, label=gate.label, why=w) for w in why]
    return problems


def raise_problems(problems: list[str]) -> None:
    """Raise one :class:`ConfigError` listing every problem (nothing when the list is empty)."""
    if problems:
        body = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(_HEADER.format(n=len(problems), s="" if len(problems) == 1 else "s", body=body), problems=problems)


@dataclass(frozen=True)
class Preflight:
    """What the checks settled: the DP settings every private training uses, and the canary kind."""

    dp: DPSettings | None  # None without privacy
    canary_kind: str | None
    notes: tuple[str, ...] = ()


_GRADIENT_CANARIES = (
    "privacy.canary_kind = \"gradient\" needs a model whose trainable layers are all nn.Linear or nn.Conv2d, each "
    "used once per forward pass; this model has:\n- {lines}\nFix: set canary_kind = \"input\" (black-box "
    "canaries, any model) or \"auto\"."
)
_SECURE_RNG = (
    "privacy.secure_rng = true needs a model whose trainable layers are all nn.Linear or nn.Conv2d, each used once "
    "per forward pass (the trainer that draws noise from a CSPRNG); this model has:\n- {lines}\n"
    "Fix: set secure_rng = false (seeded, reproducible; fine for audits, not for a released model), or "
    "train the released model with Opacus's PrivacyEngine(secure_mode=True) and torchcsprng."
)


def _canary_kind(config: AuditConfig, prepared: PreparedData, problems: list[str]) -> str | None:
    """The canary kind to run (None: no canary audit), adding what the model cannot have to ``problems``.

    White-box canaries and secure randomness both need the book-keeping trainer; whether
    this model qualifies is checked once, on a freshly built model.
    """
    pcfg = config.privacy
    wants_gradient = pcfg.canary_audit and pcfg.canary_kind != "input"
    if not (wants_gradient or pcfg.secure_rng):
        return "input" if pcfg.canary_audit else None
    import torch

    from audit.privacy._bookkeeping import bookkeeping_problems
    from audit.training import build_model

    vocab = getattr(prepared.preprocessor, "vocabulary", None)
    model = build_model(config.model, n_features=prepared.X_train.shape[1], seed=config.training.seed, base_dir=config.base_dir,
                        task=prepared.task, vocab_size=len(vocab) if vocab is not None else None)
    found = bookkeeping_problems(model, torch.as_tensor(prepared.X_train[:2]))
    if found and pcfg.canary_audit and pcfg.canary_kind == "gradient":
        problems.append(_GRADIENT_CANARIES.format(lines="\n- ".join(found)))
    if found and pcfg.secure_rng:
        problems.append(_SECURE_RNG.format(lines="\n- ".join(found)))
    if not pcfg.canary_audit:
        return None
    return "gradient" if wants_gradient and not found else "input"


def _canary_problems(config: AuditConfig, kind: str | None, n_train: int) -> list[str]:
    problems = []
    m = config.privacy.canaries
    if kind == "input" and not TASK_KINDS[config.task].input_canaries:
        problems.append("privacy.canary_audit: input canaries are rows with flipped labels, which a regression has none "
                        "of, and this model cannot take white-box gradient canaries (its layers are not all "
                        "nn.Linear/nn.Conv2d). Fix: set privacy.canary_audit = false, or use the built-in MLP.")
    if kind == "input" and m > n_train // 2:
        problems.append(_CANARY_ROWS.format(m=m, n=n_train, most=n_train // 2))
    if kind == "input":
        for i, gate in enumerate(config.gates):
            if gate.metric == "canary_noise_ratio":
                why = "the config asks for input canaries" if config.privacy.canary_kind == "input" else \
                    "its layers are not all nn.Linear/nn.Conv2d"
                problems.append(_GATE.format(i=i, label=gate.label, why=_NOISE_RATIO_INPUT.format(why=why)))
    return problems


def check_before_training(config: AuditConfig, prepared: PreparedData) -> Preflight:
    """Check what needs the prepared data, before any training; raise once with every problem.

    Raises
    ------
    ConfigError
        Listing every problem (DP settings for this many rows, canaries, secure randomness).
    """
    problems: list[str] = []
    n_train = len(prepared.X_train)
    dp: DPSettings | None = None
    notes: list[str] = []
    if config.privacy.enabled:
        from audit.exceptions import PrivacyError
        from audit.privacy import DP_DEFAULTS, DPSettings

        dp = DPSettings.from_config(config.privacy, n_train=n_train)
        if config.privacy.batch_size is None and dp.batch_size != DP_DEFAULTS["batch_size"]:
            notes.append(f"privacy.batch_size not set: using {dp.batch_size} (a tenth of the {n_train} training rows; "
                         f"the default {DP_DEFAULTS['batch_size']} needs more rows)")
        if config.privacy.epochs is None and dp.epochs != DP_DEFAULTS["epochs"]:
            notes.append(f"privacy.epochs not set: using {dp.epochs} for {n_train} training rows (fewer noisy steps on a "
                         f"small table; {DP_DEFAULTS['epochs']} from about 26,000 rows)")
        try:
            sigma = dp.validate(n_train=n_train)
            notes.append(f"DP-SGD reaches ε={dp.epsilon:g} with noise multiplier {sigma:.3f} over {dp.epochs} epochs at "
                         f"batch {dp.batch_size} ({dp.accountant} accountant)")
        except PrivacyError as exc:
            problems += [f"privacy: {p}" for p in exc.problems]
    kind = _canary_kind(config, prepared, problems) if config.privacy.enabled else None
    problems += _canary_problems(config, kind, n_train)
    raise_problems(problems)
    return Preflight(dp=dp, canary_kind=kind, notes=tuple(notes))
