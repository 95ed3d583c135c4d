"""Gate metrics of privacy: ε spent by DP training, the membership-inference attack, the one-run canary audit.

Examples
--------
>>> from audit.metrics import GATE_METRICS
>>> GATE_METRICS["epsilon_spent"].needs.fix
'set privacy.enabled = true'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from audit.metrics._registry import Needs, Resolved, Resolver, register_gate_metric

if TYPE_CHECKING:
    from audit.config import GateSpec
    from audit.result import AuditResult

__all__: list[str] = []

_CANARY_AUDIT = Needs(lambda c: c.privacy.enabled and c.privacy.canary_audit, "the canary audit",
                      "set privacy.canary_audit = true")


@register_gate_metric("epsilon_spent", description="ε spent by DP training (accountant)", title="ε spent", family="privacy",
                      needs=Needs(lambda c: c.privacy.enabled, "DP training", "set privacy.enabled = true"))
def _dp_spent(r: AuditResult, g: GateSpec) -> Resolved:
    dp = r.privacy.dp if r.privacy is not None else None
    return Resolved(dp.epsilon_spent if dp is not None else None)


@register_gate_metric("membership_inference_auc", description="highest membership-inference attack AUC",
                      title="Membership-inference AUC (strongest attack)", family="privacy",
                      needs=Needs(lambda c: c.privacy.membership_inference, "the membership-inference attack",
                                  "set privacy.membership_inference = true"))
def _mia_auc(r: AuditResult, g: GateSpec) -> Resolved:
    """The strongest attack's AUC; inconclusive when the attack cannot be informative or its AUC could be chance.

    A section with ``inconclusive_reason`` (too few rows with a unique feature vector) decides nothing, unless an
    attack is above chance and above the bound; an AUC above the bound that chance could give (``above_chance``
    False: Holm over the model's attacks) does not fail the gate. Records without those keys: the AUC as is.
    """
    mia = r.privacy.membership_inference.get(g.model) if r.privacy is not None else None
    attacks = [(a.auc, a) for a in mia.attacks.values() if a.auc is not None] if mia is not None else []
    auc, best = max(attacks, key=lambda pair: pair[0]) if attacks else (None, None)  # the first strongest attack
    above = auc is not None and g.max is not None and auc > g.max
    if mia is not None and best is not None and above and best.above_chance is False:
        return Resolved(None, None, f"the strongest attack's AUC {auc:.3f} is above {g.max:g} but not distinguishable "
                                    f"from chance (Holm-adjusted p = {best.auc_p_holm:.2g}, {mia.n_members} members and "
                                    f"{mia.n_nonmembers} non-members): the attack cannot tell members from non-members")
    if mia is not None and mia.inconclusive_reason and not (above and best is not None and best.above_chance):
        return Resolved(None, None, mia.inconclusive_reason)
    return Resolved(auc)


def _canary(key: str) -> Resolver:
    def resolve(r: AuditResult, g: GateSpec) -> Resolved:
        canary = r.privacy.canary_audit if r.privacy is not None else None
        return Resolved(getattr(canary, key) if canary is not None else None)

    return resolve


register_gate_metric("canary_epsilon_lower_bound", description="empirical ε lower bound from the one-run canary audit",
                     title="Empirical ε lower bound (canary audit)", family="privacy",
                     needs=_CANARY_AUDIT)(_canary("epsilon_lower_bound"))
register_gate_metric("canary_noise_ratio", description="noise released on the gradient canaries over the noise the "
                                                       "accountant assumed (about 1 when correct)",
                     title="Canary noise ratio (released / assumed)", family="privacy",
                     needs=_CANARY_AUDIT)(_canary("score_noise_ratio"))
