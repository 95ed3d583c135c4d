"""The membership audit of a run: clean member/non-member sets, threshold and reference-model attacks.

One function the pipeline calls for every audited model:

1. **Members and non-members alike**: only rows whose encoded feature vector (exactly, or after
   rounding) occurs once among the training and held-out rows together are attacked, on both
   sides (:func:`~audit.privacy._duplicates.table_unique_mask`); held-out rows repeating a
   training row are counted too (:func:`~audit.privacy._duplicates.duplicate_mask`).
2. **Disjoint sets**: the eligible held-out rows are shuffled once; the first ``n`` are the
   attacked non-members, and every other held-out row is the *population* the reference models
   train on (split into ``k`` disjoint parts). ``n`` random eligible training rows are the
   attacked members. An attacked row's vector occurs nowhere else, so no reference model saw
   it or a copy of it (the record counts the copies: 0), and the attacks are offline.
3. **Attacks**: the threshold attacks (loss, score) always; RMIA and LiRA for a model whose
   trainer is known (``trainers``), with ``k`` reference models trained by that trainer.
   Every attack reports AUC with a p-value against chance (Holm over the model's attacks),
   advantage, low-FPR figures with their evidence and an ROC.
4. **Inconclusive when duplicates leave too little**: with fewer than
   :data:`MIN_ROWS_PER_SIDE` eligible rows on a side the section says so
   (``inconclusive_reason``), and a gate on the AUC is inconclusive rather than failed or passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from torch import nn

from audit.exceptions import DataError, PrivacyError
from audit.models import binary_loss
from audit.privacy._duplicates import DEFAULT_NEAR_DECIMALS, duplicate_mask, table_unique_mask
from audit.privacy._lira import lira_scores
from audit.privacy._lowfpr import DEFAULT_MIN_FALSE_POSITIVES
from audit.privacy._membership import attack_summary, chance_tests, membership_inference
from audit.privacy._reference_models import MIN_ROWS_PER_REFERENCE, TrainFn, train_reference_models
from audit.privacy._rmia import DEFAULT_RMIA_A, rmia_scores

__all__ = ["MIN_ROWS_PER_SIDE", "REFERENCE_ATTACKS", "SELECTION_RULE", "membership_audit"]

#: Fewer eligible rows per side than this leave the attack inconclusive: its AUC's standard error
#: (about 0.04 at 100 rows) cannot separate chance from a leak a gate would care about.
MIN_ROWS_PER_SIDE = 100
#: How the attacked rows are chosen (recorded in ``nonmember_cleaning.rule``).
SELECTION_RULE = ("members and non-members are drawn only from rows whose encoded feature vector occurs once among the "
                  "training and held-out rows together (exactly{near}), so both sides are selected alike; the reference "
                  "models train on the other held-out rows, none of which repeats an attacked row")
_TOO_FEW_UNIQUE = ("the attack is inconclusive: {n} row(s) per side have a feature vector that occurs once in the table "
                   "(training {m_ok:,} of {m_all:,}, held-out {n_ok:,} of {n_all:,}; {share:.0%} of all rows share their "
                   "vector with another row), and at least {need} per side are needed to tell members from non-members. "
                   "Fix: hold out more rows, or set allow_inconclusive = true on a membership_inference_auc gate")

#: The reference-model attacks, in the order they are reported.
REFERENCE_ATTACKS = ("rmia", "lira")
_NO_TRAINER = ("no trainer known for this model: a reference-model attack needs reference models trained as the "
               "audited model was")


_REGRESSION_REFERENCE = ("a regression model: RMIA and LiRA are computed here from class probabilities, which a "
                         "regression does not output; its squared error is attacked by the loss threshold")


def _sets(train_ok: np.ndarray, heldout_ok: np.ndarray, *, max_rows: int, with_population: bool, seed: int) -> tuple:
    """Attacked members and non-members (eligible rows only, as many of each) and the population (other held-out rows)."""
    rng = np.random.default_rng(seed)
    eligible = rng.permutation(np.flatnonzero(heldout_ok))
    n_held = len(heldout_ok)
    n = min(max_rows, len(eligible), int(train_ok.sum()), n_held // 2 if with_population else n_held)
    members = np.sort(rng.choice(np.flatnonzero(train_ok), size=n, replace=False))
    non = np.sort(eligible[:n])
    pop = np.setdiff1d(np.arange(n_held), non) if with_population else non[:0]
    return members, non, pop


def _cleaning(X_train, X_heldout, *, near_decimals: int | None, non: np.ndarray, pop: np.ndarray, dups: dict,
              unique: dict) -> dict:
    """What the selection removed on each side, and a check that no attacked non-member has a copy in the population."""
    overlap = duplicate_mask(X_heldout[pop], X_heldout[non], near_decimals=near_decimals) if len(pop) and len(non) else None
    n_copies = dups["n_exact"] + dups["n_near"]
    return {"heldout_rows": int(len(X_heldout)), "exact_duplicates_removed": dups["n_exact"],
            "near_duplicates_removed": dups["n_near"], "near_decimals": near_decimals,
            "heldout_repeats_removed": int(len(X_heldout) - n_copies - unique["heldout"].sum()),
            "clean_heldout_rows": int(unique["heldout"].sum()), "train_rows": int(len(X_train)),
            "clean_train_rows": int(unique["train"].sum()), "duplicated_share": round(unique["duplicated_share"], 6),
            "population_rows": int(len(pop)),
            "population_overlap": 0 if overlap is None else overlap["n_exact"] + overlap["n_near"],
            "rule": SELECTION_RULE.format(near="" if near_decimals is None else f", or after rounding to {near_decimals} "
                                          "decimals")}


def _reference_attacks(model: nn.Module, refs: list[nn.Module], *, X_m, y_m, X_n, y_n, rmia_a: float,
                       min_false_positives: int) -> dict:
    out = {}
    for name, fn in (("rmia", lambda X, y: rmia_scores(model, refs, X, y, a=rmia_a)),
                     ("lira", lambda X, y: lira_scores(model, refs, X, y))):
        out[name] = attack_summary(fn(X_m, y_m), fn(X_n, y_n), min_false_positives=min_false_positives)
    return out


def _with_reference(section: dict, model: nn.Module, trainer: tuple[TrainFn, str], *, k: int, X_m, y_m, X_n, y_n, X_pop,
                    y_pop, rmia_a: float, seed: int, min_false_positives: int, progress) -> dict:
    """Train ``k`` reference models and add RMIA and LiRA to ``section``; returns the reference-model record."""
    train_fn, description = trainer
    t0 = time.perf_counter()
    if len(X_pop) < k * MIN_ROWS_PER_REFERENCE:
        return {"k": 0, "saved": False, "skipped": (
            f"{len(X_pop)} clean population rows for {k} reference models: at least {MIN_ROWS_PER_REFERENCE} per model "
            "needed (use fewer reference models or more held-out rows)")}
    try:
        refs, info = train_reference_models(train_fn, X_pop, y_pop, k=k, seed=seed, progress=progress)
    except (PrivacyError, DataError) as exc:  # e.g. the DP settings cannot be met on a small split
        return {"k": 0, "saved": False, "skipped": f"the reference models could not be trained as the audited model: {exc}"}
    section["attacks"].update(_reference_attacks(model, refs, X_m=X_m, y_m=y_m, X_n=X_n, y_n=y_n, rmia_a=rmia_a,
                                                 min_false_positives=min_false_positives))
    chance_tests(section["attacks"])  # the family is every attack of this model
    return {**info, "trainer": description, "attacks": list(REFERENCE_ATTACKS), "rmia_a": float(rmia_a),
            "seconds": round(time.perf_counter() - t0, 3)}


def membership_audit(
    models: Mapping[str, nn.Module],
    *,
    X_train: Any,
    y_train: Any,
    X_heldout: Any,
    y_heldout: Any,
    trainers: Mapping[str, tuple[TrainFn, str] | None] | None = None,
    reference_models: int = 2,
    max_rows: int = 5000,
    min_false_positives: int = DEFAULT_MIN_FALSE_POSITIVES,
    near_decimals: int | None = DEFAULT_NEAR_DECIMALS,
    rmia_a: float = DEFAULT_RMIA_A,
    seed: int = 0,
    no_trainer_reason: str = _NO_TRAINER,
    progress: Callable[[str], None] | None = None,
    loss_fn: Callable | None = None,
    regression: bool = False,
) -> dict[str, dict]:
    """Membership inference against each model, on clean member/non-member sets.

    Parameters
    ----------
    models : mapping
        Name → the audited model, trained on all of ``X_train``.
    X_train, y_train, X_heldout, y_heldout : array-like
        The audited models' training rows, and rows from the same population none of them saw.
    trainers : mapping, optional
        Name → ``(train_fn, description)``: how to train a reference model as that model was
        (see :mod:`audit.privacy._reference_models`); a model without one gets the threshold
        attacks only, and the reason is recorded.
    reference_models : int
        Reference models per audited model (0: threshold attacks only).
    max_rows : int
        At most this many members and as many non-members are attacked.
    min_false_positives : int
        A low-FPR TPR resting on fewer non-members is not reported.
    near_decimals : int or None
        Rows equal after rounding to this many decimals count as the same feature vector.
    loss_fn : callable, optional
        The models' training loss (default: binary cross-entropy).
    regression : bool
        The models predict a number: the loss attack only (the score attack, RMIA and LiRA read
        class probabilities).

    Returns
    -------
    dict
        Name → the :func:`membership_inference` section, with the reference attacks under
        ``attacks``, ``nonmember_cleaning`` and ``reference_models`` saying what was done, and
        ``inconclusive_reason`` (None, or why too few rows with a unique feature vector were left).

    Examples
    --------
    >>> from audit.models import MLP  # doctest: +SKIP
    >>> membership_audit({"m": model}, X_train=X, y_train=y, X_heldout=Xh, y_heldout=yh)  # doctest: +SKIP
    """
    X_train, y_train = np.asarray(X_train), np.asarray(y_train)
    X_heldout, y_heldout = np.asarray(X_heldout), np.asarray(y_heldout)
    trainers = dict(trainers or {})
    dups = duplicate_mask(X_train, X_heldout, near_decimals=near_decimals)
    unique = table_unique_mask(X_train, X_heldout, near_decimals=near_decimals)
    wanted = reference_models > 0 and not regression and any(trainers.get(name) for name in models)
    mem, non, pop = _sets(unique["train"], unique["heldout"], max_rows=max_rows, with_population=wanted, seed=seed)
    cleaning = _cleaning(X_train, X_heldout, near_decimals=near_decimals, non=non, pop=pop, dups=dups, unique=unique)
    too_few = None if len(mem) >= MIN_ROWS_PER_SIDE else _TOO_FEW_UNIQUE.format(
        n=len(mem), m_ok=cleaning["clean_train_rows"], m_all=len(X_train), n_ok=cleaning["clean_heldout_rows"],
        n_all=len(X_heldout), share=unique["duplicated_share"], need=MIN_ROWS_PER_SIDE)
    sections = {}
    for name, model in models.items():
        if len(mem) == 0:
            section = {"n_members": 0, "n_nonmembers": 0, "attacks": {}}
        else:
            section = membership_inference(model, X_members=X_train[mem], y_members=y_train[mem],
                                           X_nonmembers=X_heldout[non], y_nonmembers=y_heldout[non],
                                           min_false_positives=min_false_positives, score_attack=not regression,
                                           loss_fn=loss_fn or binary_loss)
        section["nonmember_cleaning"] = dict(cleaning)
        section["inconclusive_reason"] = too_few
        trainer = trainers.get(name)
        if regression:
            section["reference_models"] = {"k": 0, "saved": False, "skipped": _REGRESSION_REFERENCE}
        elif reference_models <= 0 or trainer is None or too_few is not None:
            section["reference_models"] = {"k": 0, "saved": False, "skipped": (
                "privacy.reference_models = 0" if reference_models <= 0 else no_trainer_reason if trainer is None
                else "too few rows with a feature vector unique in the table to attack (see inconclusive_reason)")}
        else:
            section["reference_models"] = _with_reference(
                section, model, trainer, k=reference_models, X_m=X_train[mem], y_m=y_train[mem], X_n=X_heldout[non],
                y_n=y_heldout[non], X_pop=X_heldout[pop], y_pop=y_heldout[pop], rmia_a=rmia_a, seed=seed,
                min_false_positives=min_false_positives,
                progress=None if progress is None else (lambda msg, n=name: progress(f"{n}: {msg}")))
        sections[name] = section
    if progress is not None:
        progress(_summary(sections, cleaning))
    return sections


def _summary(sections: dict, cleaning: dict) -> str:
    lines = [f"attacked rows: vectors unique in the table ({cleaning['clean_train_rows']} training and "
             f"{cleaning['clean_heldout_rows']} held-out rows; {cleaning['exact_duplicates_removed']} exact and "
             f"{cleaning['near_duplicates_removed']} near copies of training rows among the held-out rows)"]
    for name, section in sections.items():
        if section.get("inconclusive_reason") or not section["attacks"]:
            lines.append(f"{name}: {section.get('inconclusive_reason') or 'no attack ran'}")
            continue
        best = max(section["attacks"].items(), key=lambda kv: kv[1]["auc"])
        p = best[1]["low_fpr"][0]
        at = (f"TPR at 1% FPR {p['tpr']:.3f} [{p['tpr_ci'][0]:.3f}, {p['tpr_ci'][1]:.3f}]" if p["tpr"] is not None
              else "TPR at 1% FPR not reported")
        chance = "" if best[1].get("above_chance") is None else (
            " (above chance)" if best[1]["above_chance"] else " (not distinguishable from chance)")
        lines.append(f"{name}: strongest attack {best[0]} AUC {best[1]['auc']:.3f}{chance}, {at} "
                     f"({p['false_positives']} false positives of {p['n_nonmembers']})")
    return "; ".join(lines)
