"""Run every case of the bad-input corpus through the real CLI.

Each folder under ``cases/`` is one case (see ``README.md``): its input files, the
``rai-audit`` command, the exit code and the words the message must contain.
Every case is also held to the same rules: no traceback, no "likely a bug"
fallback, an ``error:`` paragraph for exit 2, and nothing left on disk (no run
directory, no hidden temporary folder) unless the command is meant to succeed,
in which case the run directory must be complete and verify.

Cases run in-process through ``audit.cli.main`` (fast: torch is imported once);
cases marked ``subprocess = true`` run as ``python -m audit.cli`` to prove the
real entry point behaves the same.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from tests.bad_inputs._generators import GENERATORS, PAYLOAD_MARKER

HERE = Path(__file__).parent
CASES_DIR = HERE / "cases"
COMMON = HERE / "common"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "case.toml").is_file())
_KEYS = {"about", "command", "call", "args", "kwargs", "raises", "exit_code", "message", "check", "subprocess", "generate",
         "xfail", "slow"}


def _load_case(name: str) -> dict:
    case = tomllib.loads((CASES_DIR / name / "case.toml").read_text(encoding="utf-8"))
    unknown = set(case) - _KEYS
    assert not unknown, f"case {name}: unknown keys {sorted(unknown)}"
    assert ("command" in case) != ("call" in case), f"case {name}: give exactly one of command or call"
    assert case.get("about"), f"case {name}: say what is wrong in 'about'"
    return case


def _prepare(name: str, case: dict, tmp_path: Path) -> Path:
    # Nested so a path that escapes upward ("../../x") still lands inside tmp_path, where we look for it.
    work = tmp_path / "a" / "b" / "work"
    work.mkdir(parents=True)
    for src in COMMON.iterdir():
        shutil.copy(src, work / src.name)
    for src in (CASES_DIR / name).iterdir():
        if src.name != "case.toml":
            shutil.copy(src, work / src.name)
    for fname, generator in case.get("generate", {}).items():
        GENERATORS[generator](work / fname, work)
    return work


def _snapshot(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if "__pycache__" not in p.parts}


def _subst(value, work: Path):
    if isinstance(value, str):
        return value.replace("{out}", str(work / "runs" / "out")).replace("{tmp}", str(work))
    if isinstance(value, list):
        return [_subst(v, work) for v in value]
    if isinstance(value, dict):
        return {k: _subst(v, work) for k, v in value.items()}
    return value


def _run_cli(argv: list[str], work: Path, *, in_subprocess: bool, monkeypatch, capsys) -> tuple[int, str, str]:
    if in_subprocess:
        proc = subprocess.run([sys.executable, "-m", "audit.cli", *argv], cwd=work, capture_output=True, text=True, timeout=300)
        return proc.returncode, proc.stdout, proc.stderr
    from audit.cli import main

    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(work))  # as `python -m` does: the working folder is importable
    capsys.readouterr()
    try:
        code = main(argv)
    finally:
        for mod_name, mod in list(sys.modules.items()):
            if str(getattr(mod, "__file__", "") or "").startswith(str(work)):
                del sys.modules[mod_name]
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _run_call(case: dict, work: Path, monkeypatch) -> tuple[int, str, str]:
    from audit.exceptions import AuditError

    monkeypatch.chdir(work)
    module_name, _, func_name = case["call"].partition(":")
    func = getattr(importlib.import_module(module_name), func_name)
    try:
        func(*_subst(case.get("args", []), work), **_subst(case.get("kwargs", {}), work))
    except AuditError as exc:
        assert type(exc).__name__ == case["raises"], f"expected {case['raises']}, got {type(exc).__name__}: {exc}"
        return 2, "", f"error: {exc}"
    return 0, "", ""


def _params() -> list:
    # A case another part of the project still fails is marked, never weakened: strict, so the mark
    # itself fails once the fix lands and must then be removed.
    # A case that takes more than a few seconds says `slow = true` and is marked as such (`-m "not slow"` skips it).
    params = []
    for name in CASES:
        case = tomllib.loads((CASES_DIR / name / "case.toml").read_text(encoding="utf-8"))
        marks = [pytest.mark.xfail(strict=True, reason=case["xfail"])] if case.get("xfail") else []
        marks += [pytest.mark.slow] if case.get("slow") else []
        params.append(pytest.param(name, marks=marks))
    return params


@pytest.mark.parametrize("name", _params())
def test_case(name, tmp_path, monkeypatch, capsys):
    case = _load_case(name)
    work = _prepare(name, case, tmp_path)
    before = _snapshot(tmp_path)
    if "call" in case:
        code, out, err = _run_call(case, work, monkeypatch)
    else:
        code, out, err = _run_cli(_subst(case["command"], work), work, in_subprocess=case.get("subprocess", False),
                                  monkeypatch=monkeypatch, capsys=capsys)
    both = out + err
    shown = f"\n--- stdout ---\n{out[-3000:]}\n--- stderr ---\n{err[-3000:]}"
    assert code == case["exit_code"], f"{name}: exit {code}, expected {case['exit_code']}{shown}"
    assert "Traceback" not in both, shown
    assert "likely a bug" not in err, f"{name}: fell through to the unexpected-error handler{shown}"
    for word in case["message"]:
        assert word.lower() in both.lower(), f"{name}: message lacks {word!r}{shown}"
    assert not (work / PAYLOAD_MARKER).exists(), f"{name}: a pickle payload ran"
    out_dir = work / "runs" / "out"
    if code == 2:
        assert err.startswith("error:") or "\nerror:" in err, shown
        new = _snapshot(tmp_path) - before
        assert not new, f"{name}: a failed command left files behind: {sorted(new)[:10]}"
    elif case.get("command", [""])[0] == "run":
        from audit.records.rundir import is_complete_run, verify_run

        assert is_complete_run(out_dir) and verify_run(out_dir)["ok"], f"{name}: the run directory is incomplete"
        assert not [p.name for p in out_dir.parent.iterdir() if p.name.startswith(".")], "a temporary folder was left"
    if case.get("check"):
        CHECKS[case["check"]](work=work, out_dir=out_dir, stdout=out)


# --- post-checks for the cases that must succeed, or must prove something did not happen ---------------


def _groups(out_dir: Path, feature: str) -> list[dict]:
    result = json.loads((out_dir / "audit.json").read_text(encoding="utf-8"))
    return result["fairness"]["reference"]["by_feature"][feature]["groups"]


def _group_of_one_flagged(*, work: Path, out_dir: Path, stdout: str) -> None:
    groups = {g["group"]: g for g in _groups(out_dir, "race")}
    single = groups["Pacific-Islander"]
    assert single["count"] == 1 and single["insufficient_data"] is True
    assert all(g["insufficient_data"] == (g["count"] < 30) for g in groups.values())
    card = (out_dir / "model_card.md").read_text(encoding="utf-8")
    assert "Pacific-Islander" in card and "insufficient" in card.lower()


def _html_escaped_in_cards(*, work: Path, out_dir: Path, stdout: str) -> None:
    html = (out_dir / "model_card.html").read_text(encoding="utf-8")
    for raw in ("<script>alert(", "<img src=x", "<b>élevé</b>", "<b>Mâle</b>"):
        assert raw not in html, f"unescaped {raw!r} in the HTML card"
    assert "&lt;script&gt;alert(" in html  # shown, not dropped
    result = json.loads((out_dir / "audit.json").read_text(encoding="utf-8"))
    # The record keeps the user's names verbatim; only renderers escape.
    assert result["data"]["target"] == "revenu €"
    assert "<script>alert('sex')</script>" in result["data"]["sensitive_features"]
    groups = {g["group"] for g in result["fairness"]["reference"]["by_feature"]["<script>alert('sex')</script>"]["groups"]}
    assert groups == {"<b>Mâle</b>", "Fémale<script>alert(2)</script>"}


def _missing_group_reported(*, work: Path, out_dir: Path, stdout: str) -> None:
    groups = {g["group"]: g for g in _groups(out_dir, "sex")}
    assert "<missing>" in groups and groups["<missing>"]["count"] > 0


def _payload_not_run(*, work: Path, out_dir: Path, stdout: str) -> None:
    assert not (work / PAYLOAD_MARKER).exists()
    assert not out_dir.exists()


def _fairness_json_verbatim(*, work: Path, out_dir: Path, stdout: str) -> None:
    result = json.loads(stdout)
    feature = result["by_feature"]["<script>x</script>"]
    assert {g["group"] for g in feature["groups"]} == {"<img src=x onerror=alert(1)>", "Ünïcødé"}


def _cards_beside_run(*, work: Path, out_dir: Path, stdout: str) -> None:
    from audit.records.rundir import verify_run

    run = work / "rundir"
    assert (work / "rundir-cards" / "model_card.md").is_file() and (work / "rundir-cards" / "model_card.html").is_file()
    assert verify_run(run)["ok"], "re-rendering the cards changed the sealed run"
    assert "rundir-cards" in stdout


def _leading_zero_codes_kept(*, work: Path, out_dir: Path, stdout: str) -> None:
    groups = {g["group"] for g in _groups(out_dir, "region")}
    assert groups == {"01", "02", "03"}, groups
    result = json.loads((out_dir / "audit.json").read_text(encoding="utf-8"))
    assert {"region=01", "region=02", "region=03"} <= set(result["data"]["encoded_feature_names"])


CHECKS = {
    "group_of_one_flagged": _group_of_one_flagged,
    "html_escaped_in_cards": _html_escaped_in_cards,
    "missing_group_reported": _missing_group_reported,
    "payload_not_run": _payload_not_run,
    "fairness_json_verbatim": _fairness_json_verbatim,
    "cards_beside_run": _cards_beside_run,
    "leading_zero_codes_kept": _leading_zero_codes_kept,
}


# --- the corpus itself -----------------------------------------------------------------------------------


def test_corpus_is_well_formed():
    assert len(CASES) >= 150  # issue 14: the corpus only grows
    for name in CASES:
        case = _load_case(name)
        if case.get("check"):
            assert case["check"] in CHECKS, f"{name}: unknown check {case['check']!r}"
        for generator in case.get("generate", {}).values():
            assert generator in GENERATORS, f"{name}: unknown generator {generator!r}"
        if case["exit_code"] == 2:
            assert case["message"], f"{name}: an error case must name the words its message contains"


@pytest.mark.parametrize("generator", ["pickle_payload_zip", "pickle_payload_raw"])
def test_payloads_are_live(generator, tmp_path):
    """The payload cases prove something only if the payload would run when unpickled unsafely."""
    import pickle

    GENERATORS[generator](tmp_path / "model.pt", tmp_path)
    if generator.endswith("zip"):
        import torch

        torch.load(tmp_path / "model.pt", weights_only=False)
    else:
        pickle.loads((tmp_path / "model.pt").read_bytes())
    assert (tmp_path / PAYLOAD_MARKER).exists()
