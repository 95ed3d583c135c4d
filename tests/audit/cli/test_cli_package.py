"""The CLI package: --version, a --help that imports neither torch nor pandas, no dashboard names in library strings."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import audit
from audit.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[3]


def test_version_prints_name_and_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"rai-audit {audit.__version__}\n"


def test_subcommands_in_help_order():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    listed = ["run", "card", "fairness", "score", "verify", "review", "evidence", "dashboard"]
    # in this order; a subcommand added by another change may sit between them (each change lists its own)
    assert [c for c in sub.choices if c in listed] == listed


def test_help_imports_neither_torch_nor_pandas():
    code = ("import sys\nfrom audit.cli import main\nassert main(['--help']) == 0\n"
            "heavy = sorted(m for m in ('torch', 'pandas', 'streamlit', 'dashboard', 'fairlearn', 'opacus') if m in sys.modules)\n"
            "print(heavy, file=sys.stderr)\nsys.exit(1 if heavy else 0)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_library_names_no_dashboard_module_in_a_string():
    # The dashboard subcommand imports dashboard.launch when it runs; no string list of modules to import.
    for path in (ROOT / "audit").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not node.value.startswith("dashboard."), f"{path}: {node.value!r}"


def test_python_dash_m_runs_the_same_cli():
    proc = subprocess.run([sys.executable, "-m", "audit.cli", "--version"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout) == (0, f"rai-audit {audit.__version__}\n")


def test_run_seed_out_of_numpy_range_is_a_usage_error(capsys):
    assert main(["run", "missing.toml", "--seed", "-1"]) == 2
    assert "argument --seed: expected an integer from 0 to 4294967295" in capsys.readouterr().err
    assert main(["run", "missing.toml", "--seed", "x"]) == 2
    assert "argument --seed: invalid int value: 'x'" in capsys.readouterr().err
