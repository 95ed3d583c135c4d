"""The public API is importable statically and lazily, and the two lists agree (as huggingface_hub checks)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import audit

INIT = Path(audit.__file__)


def _type_checking_imports() -> dict[str, str]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom), ast.dump(stmt)
                names.update({alias.name: str(stmt.module) for alias in stmt.names})
    return names


def test_every_lazy_name_is_declared_for_type_checkers_and_exported():
    assert _type_checking_imports() == audit._LAZY
    assert set(audit._LAZY) <= set(audit.__all__)


def test_every_exported_name_resolves():
    for name in audit.__all__:
        assert getattr(audit, name) is not None, name
    assert set(audit.__all__) <= set(dir(audit))


def test_importing_audit_does_not_import_torch():
    code = "import sys, audit; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
