"""Model cards and machine-readable records from an ``AuditResult``.

One card-data object (:func:`build_card_data`) is built from ``audit.json`` and
rendered by Jinja2 templates shipped in ``reports/templates``: Markdown with
Hugging Face front matter, one self-contained HTML file with inline SVG
charts, and JSON. The JSON Schema of ``audit.json`` ships in
``reports/schema/audit.schema.json``; :func:`validate_result` checks a result
against it. JUnit XML of the gates is in :mod:`reports.junit`.

Examples
--------
>>> import tempfile, pathlib
>>> paths = write_cards({"run": {"card": {"model_name": "demo"}}, "models": {}}, pathlib.Path(tempfile.mkdtemp()))
>>> sorted(p.name for p in paths.values())
['model_card.html', 'model_card.json', 'model_card.md']
"""

from reports._card_data import CARD_DATA_VERSION, SECTION_ORDER, SECTION_TITLES, build_card_data, build_summary
from reports._render import (
    CARD_FILES,
    CARD_RENDERER,
    TEMPLATE_DIR,
    front_matter,
    render_html,
    render_markdown,
    write_cards,
)
from reports._schema import SCHEMA_PATH, load_schema, schema_problems, validate_result

__all__ = [
    "CARD_DATA_VERSION",
    "CARD_FILES",
    "CARD_RENDERER",
    "SCHEMA_PATH",
    "SECTION_ORDER",
    "SECTION_TITLES",
    "TEMPLATE_DIR",
    "build_card_data",
    "build_summary",
    "front_matter",
    "load_schema",
    "render_html",
    "render_markdown",
    "schema_problems",
    "validate_result",
    "write_cards",
]
