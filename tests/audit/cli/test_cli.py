"""The rai-audit CLI: exit codes 0/1/2, one-paragraph errors, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from audit.cli import main


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audit.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for cmd in ("run", "card", "verify", "review", "fairness", "dashboard"):
        assert cmd in out


def test_typo_key_missing_column_negative_epsilon_exit_2(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(
        'name = "bad"\n[data]\nbundled = "adult"\ntarget = "income"\npositive_lable = ">50K"\n'
        'sensitive_features = ["sex"]\n[privacy]\ntarget_epsilon = -1\n', encoding="utf-8")
    proc = _run("run", str(cfg), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "positive_lable" in proc.stderr and "target_epsilon" in proc.stderr and "found -1" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_missing_sensitive_column_exit_2(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('name = "bad"\n[data]\nbundled = "adult"\ntarget = "income"\npositive_label = ">50K"\n'
                   'sensitive_features = ["gender"]\n', encoding="utf-8")
    proc = _run("run", str(cfg), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and "'gender' is missing" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_run_exit_codes_follow_the_gates(tiny_config_path, tmp_path):
    ok = _run("run", str(tiny_config_path), "--out", str(tmp_path / "pass"), "--junit", str(tmp_path / "gates.xml"))
    assert ok.returncode == 0, ok.stderr
    assert "Verdict: PASS" in ok.stdout and "model_card.html" in ok.stdout
    assert (tmp_path / "gates.xml").read_text().count("<testcase") == 3
    assert "[1/" in ok.stderr  # progress lines
    strict = tmp_path / "strict.toml"
    strict.write_text(tiny_config_path.read_text() + '\n[[gates]]\nmetric = "accuracy"\nmin = 0.999\n', encoding="utf-8")
    fail = _run("run", str(strict), "--out", str(tmp_path / "fail"), "--quiet")
    assert fail.returncode == 1 and "Verdict: FAIL" in fail.stdout
    assert (tmp_path / "fail" / "audit.json").is_file()  # a failed gate still writes the full record


@pytest.mark.slow
def test_card_rerenders_from_audit_json(tiny_run_copy, tmp_path):
    assert main(["card", str(tiny_run_copy), "--out", str(tmp_path / "cards")]) == 0
    assert (tmp_path / "cards" / "model_card.md").is_file()
    assert main(["verify", str(tiny_run_copy)]) == 0


def test_card_on_missing_run_is_exit_2(tmp_path, capsys):
    assert main(["card", str(tmp_path / "nope")]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_the_summary_reads_a_text_classifiers_kind_from_the_record(capsys):
    """A multiclass text audit's record says task "text-classification"; the summary still shows macro F1."""
    from audit.cli.run import _print_summary
    from audit.result import AuditResult

    record = AuditResult.from_dict({
        "schema_version": "1.2", "task": "text-classification", "run": {}, "data": {"task": "multiclass"},
        "models": {"reference": {"test_accuracy": 0.61, "test_macro_f1": 0.52, "test_balanced_accuracy": 0.5}}})
    _print_summary(record.to_dict(), None, {})
    assert "reference  accuracy 0.6100  macro F1 0.5200  balanced accuracy 0.5000" in capsys.readouterr().out
