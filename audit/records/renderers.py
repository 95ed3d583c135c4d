"""Renderers: what writes human-readable files (model cards) into a run directory, found as plugins.

The run directory is written by :mod:`audit.records.rundir`; the files people read (the model cards) are
rendered by the ``reports`` package, which reads ``audit`` — so ``audit`` must not import it back. A
renderer is registered as an entry point of the group :data:`GROUP` (``pyproject.toml``:
``[project.entry-points."rai_audit.renderers"] cards = "reports:CARD_RENDERER"``) and found here by
name, without an import of the package that provides it: an extension is one entry point, and the
core keeps no import of its readers.

A renderer is any object with ``files`` (format → file name, relative to the run directory) and
``write(result: dict, directory: Path)``.

Examples
--------
>>> [r.name for r in renderers()]  # doctest: +SKIP
['cards']
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

__all__ = ["GROUP", "Renderer", "RendererPlugin", "renderers"]

GROUP = "rai_audit.renderers"
"""The entry-point group renderers register under."""


class RendererPlugin(Protocol):
    """What an entry point of :data:`GROUP` loads."""

    files: dict[str, str]

    def write(self, result: dict[str, Any], directory: Path) -> Any: ...


@dataclass(frozen=True)
class Renderer:
    """A renderer found by :func:`renderers`: its entry-point name and the plugin object."""

    name: str
    plugin: RendererPlugin

    @property
    def files(self) -> dict[str, str]:
        """Format → file name the renderer writes, relative to the run directory."""
        return dict(self.plugin.files)

    def write(self, result: dict[str, Any], directory: Path) -> Any:
        """Render ``result`` (``audit.json`` as a dict) into ``directory``."""
        return self.plugin.write(result, directory)


def renderers() -> list[Renderer]:
    """Every installed renderer, by entry-point name (none when the package providing them is not installed)."""
    found = sorted(metadata.entry_points(group=GROUP), key=lambda ep: ep.name)
    return [Renderer(ep.name, ep.load()) for ep in found]
