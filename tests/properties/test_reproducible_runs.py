"""Same config and seed: identical audit.json numbers; a copied run verifies at its new path."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from audit.cli import main

# Measured, not computed: time, memory, energy, the machine and the moment of the run.
_VARIABLE = re.compile(r"(^|_)(wall|cpu|seconds|time|timing|s)$|^(created_at|environment|compute|peak_memory_mb|"
                       r"seconds_per_epoch|seconds_per_model|timing|train_wall_s|train_cpu_s)$")


def _differences(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if _VARIABLE.search(key):
                continue
            if key not in a or key not in b:
                out.append(f"{path}.{key}: present in one run only")
            else:
                out.extend(_differences(a[key], b[key], f"{path}.{key}"))
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: lengths {len(a)} vs {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


@pytest.mark.slow
def test_same_config_and_seed_give_identical_audit_json(tiny_config_path, tiny_run, tmp_path):
    from audit.config import load_config
    from audit.pipeline.runner import run_audit

    second = run_audit(load_config(tiny_config_path), out=tmp_path / "second").run_dir
    first_json = json.loads((tiny_run / "audit.json").read_text(encoding="utf-8"))
    second_json = json.loads((second / "audit.json").read_text(encoding="utf-8"))
    diffs = _differences(first_json, second_json)
    assert not diffs, "runs differ:\n" + "\n".join(diffs[:30])
    # Weights, predictions and attributions are byte-identical too, not just the summary numbers.
    assert first_json["run"]["weights_sha256"] == second_json["run"]["weights_sha256"]
    assert (tiny_run / "predictions.csv").read_bytes() == (second / "predictions.csv").read_bytes()
    for rel in (first_json.get("explainability") or {}).get("reference", {}).get("artifacts", {}).values():
        assert (tiny_run / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_the_comparison_catches_a_changed_number():
    a = {"fairness": {"x": [{"value": 0.25}]}, "compute": {"wall_s": 1.0}, "run": {"created_at": "t1"}}
    b = {"fairness": {"x": [{"value": 0.26}]}, "compute": {"wall_s": 2.0}, "run": {"created_at": "t2"}}
    assert _differences(a, b) == [".fairness.x[0].value: 0.25 vs 0.26"]


@pytest.mark.slow
def test_verify_passes_on_a_copy_at_another_path(tiny_run, tmp_path, capsys):
    copy = tmp_path / "moved" / "elsewhere" / tiny_run.name
    shutil.copytree(tiny_run, copy)
    assert main(["verify", str(copy)]) == 0, capsys.readouterr()
    (copy / "predictions.csv").write_bytes((copy / "predictions.csv").read_bytes() + b"\n")
    assert main(["verify", str(copy)]) == 1
