"""The text audits (audit.text): identity-term counterfactuals, identity-subgroup AUCs, token attributions.

The group audits of multiclass and regression models are in the ``fairness`` section
(:class:`audit.result.ModelFairness`; schema 1.x: ``task_fairness``, :class:`audit.result.TaskFairness`).

Examples
--------
>>> t = TextAudit.from_dict({"text_column": "text", "mentions": {"women": 12}})
>>> t.text_column, t.mentions["women"]
('text', 12)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audit.result._base import Section, doc
from audit.result._common import Count

__all__ = ["TextAudit", "TextModelAudit"]


@dataclass(kw_only=True)
class TextModelAudit(Section):
    """The text audits of one model (audit.text)."""

    counterfactual: dict[str, Any] | None = field(default=None, metadata=doc(
        "counterfactual identity-term fairness (Garg et al. 2019): flip rate and score change per term pair and per "
        "category, with intervals that take texts as the unit, and examples; the largest over pairs with intervals "
        "adjusted for choosing it (n_pairs, ci_pair, upper_bound_all_pairs); matching: the identity-term matches "
        "found, swapped, and left out with their reason (names, ambiguous words not about people); the template "
        "scores per term"))
    identity_auc: dict[str, Any] | None = field(default=None, metadata=doc(
        "subgroup, BPSN and BNSP AUC per identity the test texts mention (Borkan et al. 2019), with intervals; worst: "
        "the lowest of each family, its interval adjusted for choosing it (n_subgroups, ci_subgroup)"))
    tokens: dict[str, Any] | None = field(default=None, metadata=doc(
        "token attributions (Captum LayerIntegratedGradients on the embedding): top tokens, examples, "
        "completeness and the deletion check"))


@dataclass(kw_only=True)
class TextAudit(Section):
    """The audits of a text classifier: vocabulary, identity terms, counterfactuals, token attributions."""

    text_column: str | None = field(default=None, metadata=doc("column of texts"))
    identity_categories: list[str] = field(default_factory=list, metadata=doc("identity-term categories audited"))
    mentions: dict[str, Count] = field(default_factory=dict, metadata=doc("identity subgroup → test texts mentioning it"))
    models: dict[str, TextModelAudit] = field(default_factory=dict, metadata=doc("model name → its text audits"))
