"""The run-level privacy statement: what in the run directory is private, what is not, what to publish.

One audit run trains several models on the same training rows (the private model, the canary
run, one model per privacy–utility curve point, the non-private reference model, the
membership attack's reference models) and writes files computed from those rows. The DP
guarantee covers **one** artefact: the private model's weights, and anything computed from
them alone. This module states that, with the accountant's (ε, δ), the neighbouring relation,
the sampling convention, and the list of everything else, each with the reason it is not
covered. It is a pure function of plain data, so the card and the dashboard read it as written.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

__all__ = ["privacy_statement"]

_SAMPLING = ("Poisson sampling: each training row joins each step independently with probability q = 1/ceil(N/B) = "
             "1/{batches} for N = {n:,} rows and batch size B = {b:,} (Opacus's rate from a DataLoader); the expected "
             "batch is N·q = {expected:,.1f}, not B")


def _sampling(dp: dict) -> str | None:
    n, b = dp.get("n_train"), dp.get("batch_size")
    if not n or not b:
        return None
    batches = math.ceil(n / b)
    return _SAMPLING.format(batches=batches, n=n, b=b, expected=n / batches)


def _artefact(path: str, private: bool, why: str) -> dict:
    return {"path": path, "private": private, "why": why}


def _saved(dp: dict | None, models: Iterable[str], *, preprocessor: bool, explanations: Iterable[str],
           vocabulary: bool = False, checkpoint: str | None = None) -> list[dict]:
    out = []
    eps = f"(ε = {dp['epsilon_spent']:.4g}, δ = {dp['delta']:.0e})" if dp else ""
    held = f"its LoRA adapters and head, the weights training changed; the base weights are {checkpoint}'s" \
        if checkpoint else "the weights"
    for name in models:
        if name == "private" and dp:
            out.append(_artefact("models/private.pt", True, f"DP-SGD {eps}: {held} are the only output of the "
                                 "private training; anything computed from them alone (without the training rows) is too"))
        else:
            out.append(_artefact(f"models/{name}.pt", False, "trained without DP on the training rows"
                                 + (f": {held}" if checkpoint else "")))
    if checkpoint:
        out.append(_artefact("models/vocabulary.json", True, f"names the tokenizer of the checkpoint {checkpoint} and "
                             "lists no token: this run fitted nothing on the training texts. What the checkpoint and its "
                             "tokenizer learnt from their own training data is outside this statement"))
    elif vocabulary:
        out.append(_artefact("models/vocabulary.json", False, "fitted on the training texts without noise: it lists "
                             "every token used often enough in them (data.text_column's min_count), which can include "
                             "names or rare words of individual texts"))
    elif preprocessor:
        out.append(_artefact("models/preprocessor.json", False, "fitted on the training rows without noise: means, "
                             "standard deviations and category lists are training statistics"))
    out.append(_artefact("predictions.csv", False, "holds the non-private model's scores and the test rows' labels and "
                         "sensitive features (DP protects training rows, not test rows)"))
    for name in explanations:
        out.append(_artefact(f"explanations/{name}_*.npy", False, "attributions use a baseline computed from the "
                             "training rows (training mean)" + ("" if name == "private" else " of a non-private model")))
    out.append(_artefact("audit.json, model_card.*", False, "report statistics of the training rows outside the DP "
                         "training: membership attacks on sampled training rows, mitigation fitted on training rows, "
                         "representation counts, the canary run and the utility-curve models"))
    return out


def _not_saved(*, reference_models: int, canary: dict | None, utility_curve: list[float]) -> list[dict]:
    out = []
    if reference_models:
        out.append({"what": f"{reference_models} reference model(s) per audited model for RMIA/LiRA", "private": False,
                    "why": "trained on held-out population rows, never on training rows; kept in memory only",
                    "saved": False})
    if canary:
        out.append({"what": f"the canary-audit model (ε = {canary.get('epsilon_accountant') or 0:.4g})", "private": True,
                    "why": "a second DP training on the training rows (plus canaries): its reported results compose "
                           "with the private model's guarantee", "saved": False})
    for eps in utility_curve:
        out.append({"what": f"privacy–utility curve model at ε = {eps:g}", "private": True,
                    "why": "another DP training on the training rows; its accuracies in audit.json compose", "saved": False})
    if utility_curve:
        out.append({"what": "privacy–utility curve non-private point", "private": False,
                    "why": "trained without DP on the training rows", "saved": False})
    return out


def privacy_statement(
    *,
    dp: dict[str, Any] | None,
    models: Iterable[str],
    preprocessor: bool = True,
    explanations: Iterable[str] = (),
    reference_models: int = 0,
    vocabulary: bool = False,
    checkpoint: str | None = None,
    canary: dict[str, Any] | None = None,
    utility_curve: Iterable[float] = (),
) -> dict[str, Any]:
    """What the run directory promises, artefact by artefact.

    Parameters
    ----------
    dp : dict or None
        The private training record (``epsilon_spent``, ``delta``, ``accountant``, ``n_train``,
        ``batch_size``, ...); None when no private model was trained.
    models : iterable of str
        Names of the models whose weights the run saves (``models/<name>.pt``).
    preprocessor, explanations
        Whether ``models/preprocessor.json`` is written; the models with saved attributions.
    reference_models, canary, utility_curve
        Reference models per audited model; the canary section (or None); the curve's ε values.
    checkpoint : str or None
        A transformer audit's checkpoint folder: the saved weights are its adapters and head, the
        vocabulary file names its tokenizer.

    Returns
    -------
    dict
        ``guarantee`` (one sentence, or None), ``epsilon``, ``delta``, ``accountant``,
        ``neighbouring``, ``sampling``, ``sample_rate``, ``artefacts`` (path, private, why),
        ``not_saved`` (what was trained and discarded), ``dp_trainings_on_training_rows``,
        ``publish`` and ``do_not_publish``.

    Examples
    --------
    >>> s = privacy_statement(dp={"epsilon_spent": 0.99, "delta": 1e-6, "accountant": "prv", "n_train": 32561,
    ...                           "batch_size": 1024, "sample_rate": 1 / 32}, models=["reference", "private"])
    >>> [a["path"] for a in s["artefacts"] if a["private"]]
    ['models/private.pt']
    >>> "1,017.5" in s["sampling"]
    True
    """
    models, curve = list(models), [float(e) for e in utility_curve]
    trainings = (1 if dp else 0) + (1 if canary and canary.get("private") else 0) + len(curve)
    statement: dict[str, Any] = {
        "guarantee": None, "epsilon": None, "delta": None, "accountant": None, "sample_rate": None, "sampling": None,
        "neighbouring": "add or remove one training row",
        "artefacts": _saved(dp, models, preprocessor=preprocessor, explanations=list(explanations), vocabulary=vocabulary,
                            checkpoint=checkpoint),
        "not_saved": _not_saved(reference_models=reference_models, canary=canary, utility_curve=curve),
        "dp_trainings_on_training_rows": trainings,
    }
    if not dp:
        statement["publish"] = []
        statement["do_not_publish"] = ["anything in this run directory: no model was trained with differential privacy"]
        return statement
    statement.update(
        epsilon=dp.get("epsilon_spent"), delta=dp.get("delta"), accountant=dp.get("accountant"),
        sample_rate=dp.get("sample_rate"), sampling=_sampling(dp),
        guarantee=(f"models/private.pt is ({dp['epsilon_spent']:.4g}, {dp['delta']:.0e})-DP for the addition or removal of "
                   f"one training row ({dp.get('accountant')} accountant, {dp.get('steps')} steps). Nothing else in this "
                   "run directory is covered."),
        publish=["models/private.pt", "the model architecture and training settings (they do not depend on the data)",
                 "a preprocessor fitted on public information (category lists, value ranges), not models/preprocessor.json",
                 f"ε = {dp['epsilon_spent']:.4g}, δ = {dp['delta']:.0e}, the accountant and the sampling as stated"],
        do_not_publish=[a["path"] for a in statement["artefacts"] if not a["private"]],
    )
    if dp.get("best_epoch") is not None:
        statement["validation_rows"] = (
            "rows held out of training (split.validation_size) chose the epoch kept (early stopping) and the decision "
            "threshold: they are not training rows and the guarantee does not cover them; publish the threshold only "
            "if revealing one number computed from those rows is acceptable")
    if trainings > 1:
        statement["composition"] = (f"{trainings} DP trainings used the training rows; publishing results of the others "
                                    "(canary run, curve points) with the model spends their budgets too (ε composes)")
    return statement
