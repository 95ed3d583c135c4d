"""What the two records say themselves: figures without prediction rows, gate outcomes, concerns.

Gates are matched by their label (``metric@model[feature]`` or the config's name); concerns by their
keys (kind, model, feature, gate), never by their wording, so a reworded title is not a new concern.
"""

from __future__ import annotations

import math
from typing import Any

from audit.compare._changes import Change
from audit.compare._metrics import DIRECTION
from audit.result import AuditResult

__all__ = ["concern_changes", "gate_flips", "record_changes"]


def _mia(result: AuditResult, model: str) -> tuple[float, int, int] | None:
    section = result.privacy.membership_inference.get(model) if result.privacy is not None else None
    if section is None:
        return None
    aucs = [a.auc for a in section.attacks.values() if a.auc is not None]
    if not aucs or not section.n_members or not section.n_nonmembers:
        return None
    return float(max(aucs)), int(section.n_members), int(section.n_nonmembers)


def _hanley_mcneil_se(auc: float, n_pos: int, n_neg: int) -> float:
    """Standard error of an AUC (Hanley & McNeil 1982), from the AUC and the two class sizes."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return math.sqrt(max(var, 1e-12))


def _epsilon(result: AuditResult, model: str) -> float | None:
    dp = result.privacy.dp if result.privacy is not None else None
    return float(dp.epsilon_spent) if model == "private" and dp is not None and dp.epsilon_spent is not None else None


def _flip_rates(result: AuditResult, model: str) -> dict[tuple[str, str], tuple[int, int]]:
    """(perturbation, setting) → (flips, rows) of the model's robustness audit, on all perturbed rows."""
    block = result.robustness.models.get(model) if result.robustness is not None else None
    out = {}
    for r in block.results if block is not None else []:
        if r.overall is not None and r.overall.flips is not None and r.overall.n:
            out[(r.perturbation, f"{r.setting:g}" if r.setting is not None else "")] = (r.overall.flips, r.overall.n)
    return out


def _robustness_changes(a: AuditResult, b: AuditResult, model: str) -> list[Change]:
    """The flip rate under each perturbation setting both runs applied (``flip_rate[numeric_noise=0.25]@private``).

    The standard error treats the two runs' flips as independent; with the same seed and rows the perturbed rows
    are the same and the flips positively correlated, so the interval is conservative.
    """
    fa, fb = _flip_rates(a, model), _flip_rates(b, model)
    out = []
    for (name, setting), (ka, na) in fa.items():
        if (name, setting) not in fb:
            continue
        kb, nb = fb[(name, setting)]
        pa, pb = ka / na, kb / nb
        se = math.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
        out.append(Change(f"flip_rate[{name}={setting}]@{model}", "flip_rate", model, name, setting, pa, pb, pb - pa,
                          se=se if se > 0 else None, direction=DIRECTION["flip_rate"], paired=None,
                          note="robustness audit's decisions flipped under this perturbation; independent binomial "
                               "standard errors (conservative for runs perturbed with the same seed)"))
    return out


def record_changes(a: AuditResult, b: AuditResult, models: list[str]) -> list[Change]:
    """ε spent (an accounting figure: exact, no sampling error), the strongest membership-inference AUC
    (independent trainings and attacks: Hanley–McNeil standard errors combined) and the robustness audit's flip
    rate under each perturbation setting of each model in both runs.

    Examples
    --------
    >>> r = AuditResult.from_dict({"schema_version": "2.0", "run": {}, "data": {}, "models": {}})
    >>> record_changes(r, r, ["private"])
    []
    """
    out = []
    for model in models:
        ea, eb = _epsilon(a, model), _epsilon(b, model)
        if ea is not None and eb is not None:
            out.append(Change(f"epsilon_spent@{model}", "epsilon_spent", model, None, None, ea, eb, eb - ea,
                              direction=DIRECTION["epsilon_spent"],
                              note="accounting figure: exact, no sampling error (not tested)"))
        ma, mb = _mia(a, model), _mia(b, model)
        if ma is not None and mb is not None:
            se = math.hypot(_hanley_mcneil_se(*ma), _hanley_mcneil_se(*mb))
            out.append(Change(f"membership_inference_auc@{model}", "membership_inference_auc", model, None, None,
                              ma[0], mb[0], mb[0] - ma[0], se=se, direction=DIRECTION["membership_inference_auc"],
                              paired=False, note="strongest attack; independent attacks, Hanley-McNeil standard errors"))
        out += _robustness_changes(a, b, model)
    return out


def _outcome(gate: Any) -> str:
    return str(gate.outcome or ("pass" if gate.passed else "fail"))


def gate_flips(a: AuditResult, b: AuditResult) -> list[dict[str, Any]]:
    """Every gate whose outcome differs between the runs, or that only one run has.

    Examples
    --------
    >>> r = AuditResult.from_dict({"schema_version": "2.0", "run": {}, "data": {}, "models": {}})
    >>> gate_flips(r, r)
    []
    """
    ga = {g.name: g for g in a.gates or []}
    gb = {g.name: g for g in b.gates or []}
    out = []
    for name in [*ga, *(n for n in gb if n not in ga)]:
        oa = _outcome(ga[name]) if name in ga else None
        ob = _outcome(gb[name]) if name in gb else None
        if oa != ob:
            gate = gb.get(name) or ga[name]
            out.append({"gate": name, "severity": gate.severity, "a": oa, "b": ob,
                        "worse": ob in ("fail", "inconclusive") and oa == "pass",
                        "message_b": gb[name].message if name in gb else None})
    return out


def _concern_key(c: Any) -> tuple[str, str | None, str | None, str | None]:
    return (c.kind, c.model, c.feature, c.gate)


def concern_changes(a: AuditResult, b: AuditResult) -> dict[str, list[dict[str, Any]]]:
    """Concerns new in B and resolved since A, matched by (kind, model, feature, gate).

    Examples
    --------
    >>> r = AuditResult.from_dict({"schema_version": "2.0", "run": {}, "data": {}, "models": {}})
    >>> concern_changes(r, r)
    {'new': [], 'resolved': []}
    """
    ka = {_concern_key(c): c for c in a.concerns or []}
    kb = {_concern_key(c): c for c in b.concerns or []}

    def brief(c: Any) -> dict[str, Any]:
        return {"kind": c.kind, "severity": c.severity, "title": c.title, "model": c.model, "feature": c.feature,
                "gate": c.gate}

    return {"new": [brief(c) for k, c in kb.items() if k not in ka],
            "resolved": [brief(c) for k, c in ka.items() if k not in kb]}
