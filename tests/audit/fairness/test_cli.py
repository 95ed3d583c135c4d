"""The `fairness` subcommand: table, --json, bad input, and through `python -m audit.cli`."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from audit.cli.fairness import add_subparser
from audit.exceptions import DataError
from audit.fairness import fairness_report


@pytest.fixture
def preds(tmp_path):
    rng = np.random.default_rng(0)
    n = 600
    df = pd.DataFrame({
        "model": ["reference"] * n,
        "y_true": rng.choice(["<=50K", ">50K"], n),
        "y_pred": rng.choice(["<=50K", ">50K"], n),
        "y_score": rng.random(n),
        "sex": rng.choice(["Female", "Male"], n),
        "race": rng.choice(["White", "Black", None], n, p=[0.7, 0.25, 0.05]),
    })
    path = tmp_path / "predictions.csv"
    df.to_csv(path, index=False)
    return path, df


def _run(argv):
    parser = argparse.ArgumentParser(prog="rai-audit")
    add_subparser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_json_output_equals_library_result(preds, capsys):
    path, df = preds
    code = _run(["fairness", str(path), "--y-true", "y_true", "--y-pred", "y_pred", "--y-score", "y_score",
                 "--sensitive", "sex", "race", "--pos-label", ">50K", "--n-boot", "50", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    back = pd.read_csv(path)
    expected = fairness_report(y_true=back["y_true"], y_pred=back["y_pred"], y_score=back["y_score"],
                               sensitive=back[["sex", "race"]], pos_label=">50K", n_boot=50)
    assert out == json.loads(json.dumps(expected))
    assert set(out["by_feature"]) == {"sex", "race", "sex & race"}


def test_table_output_lists_groups_and_disparities(preds, capsys):
    path, _ = preds
    assert _run(["fairness", str(path), "--y-true", "y_true", "--y-pred", "y_pred", "--sensitive", "sex", "race",
                 "--pos-label", ">50K", "--n-boot", "20", "--min-group-size", "40"]) == 0
    out = capsys.readouterr().out
    for word in ("== sex ==", "== sex & race ==", "Female", "<missing>", "demographic_parity_difference",
                 "four-fifths rule", "insufficient data"):
        assert word in out


@pytest.mark.parametrize(
    "extra,words",
    [
        (["--sensitive", "nope"], ["'nope'", "not found"]),
        (["--sensitive", "sex", "--pos-label", "yes"], ["positive label 'yes'"]),
        (["--sensitive", "sex", "--model", "private"], ["matches no row"]),
    ],
)
def test_bad_input_raises_data_error(preds, extra, words):
    path, _ = preds
    with pytest.raises(DataError) as err:
        _run(["fairness", str(path), "--y-true", "y_true", "--y-pred", "y_pred", *extra])
    for w in words:
        assert w in str(err.value)


def test_missing_file_and_wrong_suffix(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        _run(["fairness", str(tmp_path / "x.csv"), "--y-true", "a", "--y-pred", "b", "--sensitive", "c"])
    (tmp_path / "x.txt").write_text("a,b\n")
    with pytest.raises(DataError, match="expected a .csv, .parquet or .pq file"):
        _run(["fairness", str(tmp_path / "x.txt"), "--y-true", "a", "--y-pred", "b", "--sensitive", "c"])


def test_parquet_input(preds, tmp_path, capsys):
    _, df = preds
    path = tmp_path / "p.parquet"
    df.to_parquet(path)
    assert _run(["fairness", str(path), "--y-true", "y_true", "--y-pred", "y_pred", "--sensitive", "sex",
                 "--pos-label", ">50K", "--n-boot", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n"] == len(df)


def test_through_rai_audit_cli_exit_codes(preds):
    path, _ = preds
    base = [sys.executable, "-m", "audit.cli", "fairness", str(path), "--y-true", "y_true", "--y-pred", "y_pred"]
    ok = subprocess.run([*base, "--sensitive", "sex", "--pos-label", ">50K", "--n-boot", "10", "--json"],
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["n"] == 600
    bad = subprocess.run([*base, "--sensitive", "nope"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "not found" in bad.stderr and "Traceback" not in bad.stderr


def test_table_lists_the_auc_disparity_and_says_how_disparity_intervals_work(tmp_path):
    import numpy as np
    import pandas as pd

    from audit.cli import main

    rng = np.random.default_rng(0)
    n = 600
    y = rng.integers(0, 2, n)
    score = np.clip(0.5 * y + 0.5 * rng.random(n), 0, 1)
    path = tmp_path / "preds.csv"
    pd.DataFrame({"y": y, "p": (score > 0.5).astype(int), "s": score, "g": rng.choice(["a", "b"], n)}).to_csv(path, index=False)
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["fairness", str(path), "--y-true", "y", "--y-pred", "p", "--y-score", "s", "--sensitive", "g",
                     "--pos-label", "1", "--n-boot", "100"]) == 0
    text = out.getvalue()
    assert "roc_auc_difference:" in text and "Disparity intervals reach parity" in text
