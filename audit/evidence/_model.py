"""The shape of a mapping table (rows, items to supply, a framework) and the registry of frameworks.

A framework is one module that builds a :class:`Framework` and registers it with
:func:`register_framework`; the builder resolves each :class:`Row` against a run by the names of its
evidence ``sources`` (:mod:`audit.evidence._sources`). A mapping is data: changing what an article cites
is an edit of its row, never of the builder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["FRAMEWORKS", "Framework", "Row", "Supply", "register_framework"]

#: How much of a row the run can evidence: ``partial`` where the run holds evidence but the article or
#: control also asks for what only a person can supply (the row's ``gap`` says what).
Coverage = Literal["partial", "supporting"]


@dataclass(frozen=True)
class Row:
    """One article, function subcategory or control and the evidence in a run that bears on it.

    Parameters
    ----------
    id : str
        The identifier exactly as the framework numbers it (``"Art. 10(2)(f)"``, ``"MEASURE 2.11"``,
        ``"A.7.4"``).
    title : str
        The provision's heading or subject.
    gist : str
        What it asks, paraphrased (the framework's own text is authoritative).
    sources : tuple of str
        Names of the evidence sources that bear on it, most direct first.
    gap : str
        What the run cannot show for this provision: the part a person must still document.
    coverage : {"partial", "supporting"}
        ``partial``: the run measures part of what is asked; ``supporting``: the run's evidence supports a
        document a person writes (the provision asks mainly for a process or a decision).
    """

    id: str
    title: str
    gist: str
    sources: tuple[str, ...]
    gap: str
    coverage: Coverage = "partial"


@dataclass(frozen=True)
class Supply:
    """An item a person must supply because no run can evidence it, and the provisions that ask for it."""

    item: str
    why: str
    asked_by: tuple[str, ...]


@dataclass(frozen=True)
class Framework:
    """One governance framework's mapping table.

    ``citation`` names the instrument precisely; ``rows`` are the provisions the run bears on, in the
    framework's order; ``supply`` the items only a person can provide.
    """

    key: str
    title: str
    citation: str
    source_url: str
    rows: tuple[Row, ...]
    supply: tuple[Supply, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def row_ids(self) -> list[str]:
        """The identifiers of the rows, in order."""
        return [r.id for r in self.rows]


#: Every registered framework by key (``--framework``); filled by the framework modules on import.
FRAMEWORKS: dict[str, Framework] = {}


def register_framework(framework: Framework) -> Framework:
    """Add a framework to :data:`FRAMEWORKS` (once per key) and return it.

    Examples
    --------
    >>> fw = Framework("demo", "Demo", "Demo 1.0", "https://example.org", rows=(), supply=())
    >>> register_framework(fw).key in FRAMEWORKS
    True
    >>> del FRAMEWORKS["demo"]
    """
    if framework.key in FRAMEWORKS:
        raise ValueError(f"framework {framework.key!r} is registered twice")
    ids = framework.row_ids()
    if len(set(ids)) != len(ids):
        raise ValueError(f"framework {framework.key!r} has duplicate row identifiers")
    FRAMEWORKS[framework.key] = framework
    return framework
