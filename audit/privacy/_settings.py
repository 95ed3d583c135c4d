"""DP defaults, the default-δ rule, and validation of privacy settings.

Everything here is cheap and runs before any training, so a bad setting is
reported at once, with every other problem, instead of after minutes of work.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from typing import TYPE_CHECKING, Any

from audit.choices import ACCOUNTANTS, GRAD_SAMPLE_MODES, OPTIMIZERS
from audit.exceptions import PrivacyError

if TYPE_CHECKING:
    from audit.config import PrivacySection

__all__ = [
    "ACCOUNTANTS",
    "DELTA_RULE",
    "DP_DEFAULTS",
    "GRAD_SAMPLE_MODES",
    "DPSettings",
    "default_batch_size",
    "default_delta",
    "default_epochs",
    "epsilon_after",
    "noise_multiplier_for",
    "validate_privacy_settings",
]

# Why these values (measured on Adult, MLP(64, 32), 2 cores; see docs/privacy.md):
# - DP-SGD's noise per step is sigma * C / B. A large logical batch (1024) divides the noise
#   by a large B while the sample rate q = B / n stays small enough for amplification, so
#   sigma for eps=1 stays moderate (about 3.3 at 20 epochs) and the noise per averaged
#   gradient small; the issue measured naive small-batch settings collapsing to the
#   majority class (0.75) at eps=1.
# - Fewer, larger steps need a higher learning rate; Adam at 1e-2 converges in 20 epochs.
#   (Adam is post-processing of the privatised gradient, so it costs no privacy.)
# - Clip norm 1.0: per-example gradient norms of this MLP's BCE loss are O(0.1-1), so 1.0
#   clips few examples early and keeps the noise (proportional to C) small.
# - PRV gives the tightest epsilon of Opacus's accountants for the same sigma, hence the
#   least noise for a target epsilon; RDP remains available and is slightly looser.
DP_DEFAULTS: dict[str, Any] = {
    "epochs": 20,
    "batch_size": 1024,
    "learning_rate": 1e-2,
    "optimizer": "adam",
    "max_grad_norm": 1.0,
    "accountant": "prv",
    "poisson_sampling": True,
    "max_physical_batch_size": 4096,
    "grad_sample_mode": "auto",
    "secure_rng": False,  # seeded PRNG: reproducible audits; True for a model that will be released
    "delta": None,  # None: the DELTA_RULE below, from the number of training rows
}


DELTA_RULE = "largest power of ten not above 1/(10 n), n = number of training rows"

_EPS = "epsilon must be a finite number > 0; found {value!r}. Fix: set a positive target, e.g. epsilon = 1.0."
_DELTA_RANGE = (
    "delta must satisfy 0 < delta < 1/n = {bound:.3g} (n = {n} training rows) so that DP protects "
    "each individual; found {value!r}. Fix: leave delta unset for the default ({default:.0e}) "
    "or choose a smaller value."
)
_CLIP = "max_grad_norm must be a finite number > 0; found {value!r}. Fix: use e.g. 1.0."
_N = "the training set must have at least 2 rows; found {value!r}. Fix: pass the training data."
_EPOCHS = "epochs must be an integer >= 1; found {value!r}. Fix: use e.g. {default}."
_BATCH = "batch_size must be an integer between 1 and the number of training rows ({n}); found {value!r}. Fix: use e.g. {suggest}."
_LR = "learning_rate must be a finite number > 0; found {value!r}. Fix: use e.g. {default}."
_ACCOUNTANT = "accountant must be one of {choices}; found {value!r}. Fix: use 'prv' (tightest) or 'rdp'."
_MODE = "grad_sample_mode must be one of {choices}; found {value!r}. Fix: use 'auto'."
_OPTIMIZER = "optimizer must be one of {choices}; found {value!r}. Fix: use 'adam'."
_PHYSICAL = "max_physical_batch_size must be an integer >= 1; found {value!r}. Fix: use e.g. {default}."
_UNREACHABLE = (
    "target epsilon {eps} cannot be reached by the {accountant} accountant with delta={delta:.3g}, "
    "batch_size={batch} and epochs={epochs} ({steps} noisy steps at sample rate {q:.4g}): it would "
    "need a noise multiplier above {max_sigma:g}. What would work: {suggestion}."
)
_SUMMARY = "Invalid privacy settings ({count} problem{s}):\n- {lines}"

_MAX_SIGMA = 1e4  # beyond this the model learns nothing; treat the target as unreachable


def default_delta(n: int) -> float:
    """The default δ for ``n`` training rows: the largest power of ten not above 1/(10 n).

    Examples
    --------
    >>> default_delta(32561)
    1e-06
    >>> default_delta(1000)
    0.0001
    """
    return float(10.0 ** -math.ceil(math.log10(10 * n)))


def default_epochs(n: int) -> int:
    """The DP epochs used when none are set: the default from about 26,000 rows, down to 5 on small tables.

    At a fixed ε the noise multiplier grows with the square root of the number of steps, and on a small
    table each step's noise is large against the gradient (batch a tenth of the rows): measured on a
    1,120-row table at ε = 1, 5 epochs gave ROC AUC 0.80 and 20 epochs 0.73. Adult's 26,048 rows keep 20.

    Examples
    --------
    >>> default_epochs(26048), default_epochs(13000), default_epochs(1120)
    (20, 10, 5)
    """
    return int(min(DP_DEFAULTS["epochs"], max(5, round(n / 1300))))


def default_batch_size(n: int) -> int:
    """The logical batch size used when none is set: the default, or a tenth of the rows on small data.

    A batch larger than the training set cannot be sampled; a tenth keeps ten steps per epoch.

    Examples
    --------
    >>> default_batch_size(32561), default_batch_size(700)
    (1024, 70)
    """
    return int(min(DP_DEFAULTS["batch_size"], max(1, n // 10)))


def _is_pos_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _is_pos_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@functools.lru_cache(maxsize=4096)
def epsilon_after(mechanism: str, history: tuple, delta: float) -> float:
    """ε of an Opacus accountant ``history`` ((σ, q, steps), ...) at ``delta``; memoised.

    Opacus's answer, bit for bit (:func:`~audit.privacy._accounting.accountant_epsilon` computes
    it with the per-(σ, q) RDP curve cached). It depends on nothing else, and one audit asks the
    same question many times: the noise search ends at the final (σ, q, steps) that the training's
    last epoch asks for again, and the private model, the canary run, the reference models and the
    curve's matching point share their settings.

    Examples
    --------
    >>> round(epsilon_after("rdp", ((1.0, 0.01, 100),), 1e-5), 3)
    1.214
    """
    from audit.privacy._accounting import accountant_epsilon

    with warnings.catch_warnings():
        # PRV bounds its domain with RDP, which warns when the best order is at the grid's edge.
        warnings.simplefilter("ignore")
        return accountant_epsilon(mechanism, history, delta)


def _reachable(*, epsilon: float, delta: float, sample_rate: float, steps: int, accountant: str) -> bool:
    """One accountant call: does even the largest noise we allow get below ``epsilon``?"""
    for name in (accountant, "rdp"):  # RDP upper-bounds the others; a fallback if one fails
        try:
            eps = epsilon_after(name, ((_MAX_SIGMA, sample_rate, steps),), delta)
        except (ValueError, RuntimeError, OverflowError, ZeroDivisionError, FloatingPointError):
            continue
        return math.isfinite(eps) and eps < epsilon
    return False


@functools.lru_cache(maxsize=256)
def noise_multiplier_for(
    *, epsilon: float, delta: float, sample_rate: float, steps: int, accountant: str = "prv"
) -> float | None:
    """Smallest noise multiplier whose ε after ``steps`` steps stays at or below ``epsilon``.

    Returns ``None`` when no noise multiplier up to the search ceiling reaches it.
    This is the binary search Opacus's ``make_private_with_epsilon`` runs (its
    ``get_noise_multiplier``, step for step, on the same ε values), so a target accepted here
    is accepted there and gets the same noise. Memoised: the answer depends only on the
    arguments, and one audit asks the same question for the private model, the canary run and
    the curve; each ε it evaluates is kept by :func:`epsilon_after`, so the training's final ε
    is already known.
    """
    from audit.privacy._accounting import search_noise_multiplier

    if not _reachable(epsilon=epsilon, delta=delta, sample_rate=sample_rate, steps=steps, accountant=accountant):
        return None
    try:
        sigma = search_noise_multiplier(
            target_epsilon=epsilon,
            epsilon_of=lambda s: epsilon_after(accountant, ((s, sample_rate, steps),), delta),
        )
    except (ValueError, RuntimeError, OverflowError, ZeroDivisionError, FloatingPointError):
        return None
    if not math.isfinite(sigma) or sigma > _MAX_SIGMA:
        return None
    return float(sigma)


def steps_per_epoch(n: int, batch_size: int) -> tuple[float, int]:
    """Sample rate and steps per epoch exactly as Opacus derives them from a DataLoader."""
    n_batches = math.ceil(n / batch_size)
    return 1.0 / n_batches, n_batches


def _unreachable_suggestion(*, epsilon, delta, n, epochs, batch_size, accountant) -> str:
    # Privacy cost grows with steps and sample rate, so try fewer epochs, then smaller batches.
    options = []
    for e in sorted({max(1, epochs // 2), max(1, epochs // 4), 1}, reverse=True):
        if e >= epochs:
            continue
        q, per = steps_per_epoch(n, batch_size)
        if _reachable(epsilon=epsilon, delta=delta, sample_rate=q, steps=e * per, accountant=accountant):
            options.append(f"epochs={e}")
            break
    b = batch_size
    while b > 1 and len(options) < 2:
        b //= 2
        q, per = steps_per_epoch(n, b)
        if _reachable(epsilon=epsilon, delta=delta, sample_rate=q, steps=epochs * per, accountant=accountant):
            options.append(f"batch_size={b}")
            break
    if not options:
        return "a larger epsilon (or more training rows)"
    return " or ".join(options) + ", or a larger epsilon"


def validate_privacy_settings(
    *,
    epsilon: float,
    delta: float | None,
    max_grad_norm: float,
    n_train: int,
    epochs: int,
    batch_size: int,
    learning_rate: float = DP_DEFAULTS["learning_rate"],
    accountant: str = "prv",
    grad_sample_mode: str = "auto",
    optimizer: str = "adam",
    max_physical_batch_size: int = DP_DEFAULTS["max_physical_batch_size"],
    check_reachable: bool = True,
) -> float | None:
    """Check DP-SGD settings before training; raise once with every problem found.

    Parameters
    ----------
    epsilon, delta : float
        Target privacy budget. ``delta=None`` means :func:`default_delta` of ``n_train``.
    max_grad_norm : float
        Per-example clipping norm.
    n_train, epochs, batch_size, learning_rate : number
        Size of the training set and the training schedule.
    accountant, grad_sample_mode, optimizer : str
        Names; the error lists the valid choices.
    max_physical_batch_size : int
        Largest batch computed at once (memory only; no effect on privacy).
    check_reachable : bool
        Also check, with the accountant, that ``epsilon`` is reachable in ``epochs``.

    Returns
    -------
    float or None
        The noise multiplier that reaches ``epsilon`` (``None`` when ``check_reachable`` is off),
        so the caller need not repeat the accountant's search.

    Raises
    ------
    PrivacyError
        With ``problems`` listing each invalid setting, what was found and how to fix it.

    Examples
    --------
    >>> sigma = validate_privacy_settings(epsilon=1.0, delta=None, max_grad_norm=1.0, n_train=30000,
    ...                                   epochs=20, batch_size=1024)
    >>> validate_privacy_settings(epsilon=-1, delta=None, max_grad_norm=1.0, n_train=30000,
    ...                           epochs=20, batch_size=1024)
    Traceback (most recent call last):
    ...
    audit.exceptions.PrivacyError: Invalid privacy settings (1 problem):
    - epsilon must be a finite number > 0; found -1. Fix: set a positive target, e.g. epsilon = 1.0.
    """
    problems = _setting_problems(
        epsilon=epsilon, delta=delta, max_grad_norm=max_grad_norm, n_train=n_train, epochs=epochs, batch_size=batch_size,
        learning_rate=learning_rate, accountant=accountant, grad_sample_mode=grad_sample_mode, optimizer=optimizer,
        max_physical_batch_size=max_physical_batch_size,
    )
    sigma: float | None = None
    if not problems and check_reachable:
        sigma, problem = _calibrate(epsilon=epsilon, delta=delta, n_train=n_train, epochs=epochs, batch_size=batch_size,
                                    accountant=accountant)
        problems += [problem] if problem else []
    if problems:
        raise PrivacyError(
            _SUMMARY.format(count=len(problems), s="" if len(problems) == 1 else "s", lines="\n- ".join(problems)),
            problems=problems,
        )
    return sigma


def _setting_problems(
    *, epsilon, delta, max_grad_norm, n_train, epochs, batch_size, learning_rate, accountant, grad_sample_mode, optimizer,
    max_physical_batch_size,
) -> list[str]:
    """Every setting that is out of range, without asking the accountant."""
    problems: list[str] = []
    if not _is_pos_number(epsilon):
        problems.append(_EPS.format(value=epsilon))
    n_ok = _is_pos_int(n_train) and n_train >= 2
    if not n_ok:
        problems.append(_N.format(value=n_train))
    if delta is not None:
        bound = 1.0 / n_train if n_ok else 1.0
        if not (_is_pos_number(delta) and delta < bound):
            problems.append(
                _DELTA_RANGE.format(value=delta, bound=bound, n=n_train, default=default_delta(n_train) if n_ok else 0.0)
            )
    if not _is_pos_number(max_grad_norm):
        problems.append(_CLIP.format(value=max_grad_norm))
    if not _is_pos_int(epochs):
        problems.append(_EPOCHS.format(value=epochs, default=DP_DEFAULTS["epochs"]))
    if not (_is_pos_int(batch_size) and (not n_ok or batch_size <= n_train)):
        suggest = default_batch_size(n_train) if n_ok else DP_DEFAULTS["batch_size"]
        problems.append(_BATCH.format(value=batch_size, n=n_train if n_ok else "?", suggest=suggest))
    if not _is_pos_number(learning_rate):
        problems.append(_LR.format(value=learning_rate, default=DP_DEFAULTS["learning_rate"]))
    for value, choices, message in ((accountant, ACCOUNTANTS, _ACCOUNTANT), (grad_sample_mode, GRAD_SAMPLE_MODES, _MODE),
                                    (optimizer, OPTIMIZERS, _OPTIMIZER)):
        if value not in choices:
            problems.append(message.format(value=value, choices=", ".join(choices)))
    if not _is_pos_int(max_physical_batch_size):
        problems.append(_PHYSICAL.format(value=max_physical_batch_size, default=DP_DEFAULTS["max_physical_batch_size"]))
    return problems


def _calibrate(*, epsilon, delta, n_train, epochs, batch_size, accountant) -> tuple[float | None, str | None]:
    """The noise multiplier reaching ``epsilon``, or None and the message saying what would work."""
    d = default_delta(n_train) if delta is None else delta
    q, per = steps_per_epoch(n_train, batch_size)
    sigma = noise_multiplier_for(epsilon=epsilon, delta=d, sample_rate=q, steps=epochs * per, accountant=accountant)
    if sigma is not None:
        return sigma, None
    suggestion = _unreachable_suggestion(epsilon=epsilon, delta=d, n=n_train, epochs=epochs, batch_size=batch_size,
                                         accountant=accountant)
    return None, _UNREACHABLE.format(eps=epsilon, accountant=accountant, delta=d, batch=batch_size, epochs=epochs,
                                     steps=epochs * per, q=q, max_sigma=_MAX_SIGMA, suggestion=suggestion)


@dataclasses.dataclass(frozen=True)
class DPSettings:
    """The DP-SGD settings of one audit, built once and passed to every private training.

    The private model, the canary run and the privacy-utility curve all train with
    these settings (the curve changes only ``epsilon``), so what the record states
    is what each training used. :meth:`validate` checks them against the number of
    training rows, with the accountant, before anything trains.

    Examples
    --------
    >>> s = DPSettings(epsilon=1.0, epochs=2, batch_size=128)
    >>> s.validate(n_train=1000) > 0
    True
    >>> s.with_epsilon(4.0).epsilon
    4.0
    """

    epsilon: float
    delta: float | None = None
    max_grad_norm: float = DP_DEFAULTS["max_grad_norm"]
    epochs: int = DP_DEFAULTS["epochs"]
    batch_size: int = DP_DEFAULTS["batch_size"]
    learning_rate: float = DP_DEFAULTS["learning_rate"]
    optimizer: str = DP_DEFAULTS["optimizer"]
    accountant: str = DP_DEFAULTS["accountant"]
    poisson_sampling: bool = DP_DEFAULTS["poisson_sampling"]
    max_physical_batch_size: int = DP_DEFAULTS["max_physical_batch_size"]
    grad_sample_mode: str = DP_DEFAULTS["grad_sample_mode"]
    secure_rng: bool = DP_DEFAULTS["secure_rng"]

    @classmethod
    def from_config(cls, privacy: PrivacySection, *, n_train: int) -> DPSettings:
        """Settings from a config's ``[privacy]`` section; unset keys take :data:`DP_DEFAULTS`.

        An unset ``batch_size`` adapts to the data (:func:`default_batch_size`): a user who
        never chose a batch size is never asked to fix it; so do unset ``epochs``
        (:func:`default_epochs`).
        """
        def chosen(key: str) -> Any:
            value = getattr(privacy, key)
            return DP_DEFAULTS[key] if value is None else value

        batch = privacy.batch_size
        return cls(
            epsilon=privacy.target_epsilon, delta=privacy.delta,
            max_grad_norm=chosen("max_grad_norm"),
            epochs=default_epochs(n_train) if privacy.epochs is None else privacy.epochs,
            batch_size=default_batch_size(n_train) if batch is None else batch,
            learning_rate=chosen("learning_rate"), accountant=chosen("accountant"),
            secure_rng=privacy.secure_rng,
        )

    def problems(self, *, n_train: int, check_reachable: bool = True) -> list[str]:
        """Every problem with these settings for ``n_train`` rows (empty when they are fine)."""
        try:
            self.validate(n_train=n_train, check_reachable=check_reachable)
        except PrivacyError as exc:
            return list(exc.problems)
        return []

    def validate(self, *, n_train: int, check_reachable: bool = True) -> float | None:
        """Check the settings (see :func:`validate_privacy_settings`); returns the noise multiplier."""
        kwargs = self.as_kwargs()
        kwargs.pop("poisson_sampling")
        kwargs.pop("secure_rng")
        return validate_privacy_settings(n_train=n_train, check_reachable=check_reachable, **kwargs)

    def with_epsilon(self, epsilon: float) -> DPSettings:
        """The same settings at another target ε (a point of the privacy-utility curve)."""
        return dataclasses.replace(self, epsilon=float(epsilon))

    def as_kwargs(self) -> dict[str, Any]:
        """The settings as keyword arguments of :func:`~audit.privacy.train_private`."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
