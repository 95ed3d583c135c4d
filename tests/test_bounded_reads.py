"""Readers of untrusted run directories (the dashboard and the card renderer) read files only through the one bounded
reader, ``audit.records.files`` (regular files only, size limits, zip-bomb and ``.npy`` header checks).

Every module under ``dashboard/`` and ``reports/`` is parsed with ``ast``; a call that opens or parses a file by
itself (``open``, ``Path.read_text``/``read_bytes``/``open``, ``torch.load``, ``np.load``/``np.fromfile``,
``pd.read_*``, ``json.load``, ``Image.open``, ``pq.read_table``) fails the test, naming the file and line, unless it
is listed in ``ALLOWED`` with the reason it never touches a run directory. Parsing text or bytes already read
(``json.loads``, ``pd.read_csv(io.BytesIO(data))``) is fine: the check is on what is read, so a ``read_*`` call whose
first argument is a ``BytesIO``/``StringIO`` is allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dashboard", "reports")
#: Attribute calls that read a file (``x.read_text()``, ``np.load(...)``, ``pd.read_parquet(...)``...).
_READ_ATTRS = {"read_text", "read_bytes", "open", "load", "fromfile", "loadtxt", "genfromtxt", "read_table",
               "read_parquet", "read_json", "read_pickle", "read_feather", "read_excel", "read_csv"}
#: Calls whose name matches but that do not read a file, or read it through the bounded reader themselves.
_NOT_READS = {
    "yaml.safe_load": "parses a string",
    "TabularPreprocessor.load": "audit.data reads the file with audit.records.files.load_json",
}
#: (file, call) pairs that read only files of the package itself, never of a run.
ALLOWED = {
    ("reports/_schema.py", "SCHEMA_PATH.read_text"): "the bundled JSON schema, shipped with the package",
    ("reports/_schema_gen.py", "DOCS_PATH.read_text"): "the repository's docs/audit_result.md, at build time",
    ("reports/_schema_gen.py", "p.read_text"): "the repository's schema and docs, at build time",
}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return f"{_dotted(node.func)}()"
    return "?"


def _in_memory(call: ast.Call) -> bool:
    first = call.args[0] if call.args else None
    return isinstance(first, ast.Call) and _dotted(first.func).split(".")[-1] in {"BytesIO", "StringIO"}


def direct_reads(path: Path) -> list[tuple[int, str]]:
    """The calls in ``path`` that read a file without the bounded reader: (line, dotted name)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        if name == "open" or (isinstance(node.func, ast.Attribute) and node.func.attr in _READ_ATTRS
                              and name not in _NOT_READS and not _in_memory(node)):
            found.append((node.lineno, name))
    return found


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_direct_file_reads(path):
    rel = path.relative_to(ROOT).as_posix()
    bad = [f"{rel}:{line}: {name}(...)" for line, name in direct_reads(path) if (rel, name) not in ALLOWED]
    assert not bad, ("read run files through audit.records.files (read_bytes, load_json, load_npy; dashboard._data."
                     "run_bytes/run_array) or list the call in ALLOWED with why it never reads a run:\n" + "\n".join(bad))


def test_the_scan_sees_each_kind_of_direct_read(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("import io, json\nimport numpy as np, pandas as pd, torch\n"
                      "open(p)\np.read_text()\np.read_bytes()\ntorch.load(p)\nnp.load(p)\npd.read_csv(p)\n"
                      "pd.read_parquet(p)\njson.load(fh)\n"
                      "json.loads(s)\npd.read_csv(io.BytesIO(data))\n", encoding="utf-8")
    assert [line for line, _ in direct_reads(sample)] == [3, 4, 5, 6, 7, 8, 9, 10]


def test_allowed_entries_still_exist():
    seen = {(p.relative_to(ROOT).as_posix(), name) for p in _modules() for _, name in direct_reads(p)}
    assert set(ALLOWED) <= seen, f"stale ALLOWED entries: {set(ALLOWED) - seen}"
