"""One input contract for ``rai-audit fairness`` on every input and engine: a CSV file, a Parquet file, a folder of
Parquet parts on pandas, ``--engine dask`` and ``--engine spark`` refuse the same bad inputs with the same message.

Before the contract, NaN or inf scores crashed the folder and Dask paths with ``IntCastingNaNError``, a clash of
intersection labels passed silently, an identifier column built 100,000 groups, a list column, a FIFO or a
non-Parquet file ended in "likely a bug", and a folder such as ``/usr`` was walked recursively.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audit.cli import main
from audit.exceptions import DataError

pytest.importorskip("dask.dataframe")

BASE = ["--y-true", "y", "--y-pred", "p", "--y-score", "s", "--sensitive", "sex", "race", "--n-boot", "0"]
ENGINES = {"pandas-folder": [], "dask": ["--engine", "dask"]}
SPARK = pytest.param(["--engine", "spark"], id="spark", marks=[
    pytest.mark.spark, pytest.mark.slow, pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")])


def frame(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    score = np.round(rng.random(n), 3)
    return pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(["a", "b", "c"], n),
                         "y": rng.integers(0, 2, n), "p": (score >= 0.5).astype(int), "s": score})


def nan_score(f):
    f.loc[5, "s"] = np.nan
    return f


def inf_score(f):
    f.loc[5, "s"] = np.inf
    return f


def clash(f):
    f.loc[f.index % 10 == 1, ["sex", "race"]] = ["F & a", "b"]
    f.loc[f.index % 10 == 2, ["sex", "race"]] = ["F", "a & b"]
    return f


def identifier(f):
    return f.assign(race=[f"user-{i}" for i in range(len(f))])


def list_values(f):
    return f.assign(sex=[[v] for v in f["sex"]])


FLAWS = {  # flaw -> (change to the rows, words of the message)
    "nan score": (nan_score, ["y_score column 's' has 1 missing value(s)", "Fix"]),
    "inf score": (inf_score, ["y_score column 's' has values outside [0, 1]", "max inf", "Fix"]),
    "intersection labels clash": (clash, ["share the label 'F & a & b'", "rename those values"]),
    "identifier column": (identifier, ["'race' has 400 distinct values", "at most 100 groups", "--sensitive"]),
    "list-valued column": (list_values, ["column 'sex' holds nested values", "Fix"]),
}


def write_parts(f: pd.DataFrame, folder: Path) -> Path:
    folder.mkdir()
    f.iloc[:150].to_parquet(folder / "part-0.parquet", index=False)
    f.iloc[150:].to_parquet(folder / "part-1.parquet", index=False)
    return folder


def refused(capsys, argv) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "likely a bug" not in err and "Traceback" not in err, err
    return err.removeprefix("error: ").strip()


@pytest.mark.parametrize("engine", [*ENGINES.values(), SPARK], ids=[*ENGINES, "spark"])
@pytest.mark.parametrize("flaw", list(FLAWS))
def test_every_engine_refuses_the_flaw_with_the_message_of_the_csv_path(capsys, tmp_path, flaw, engine):
    change, words = FLAWS[flaw]
    rows = change(frame())
    folder = write_parts(rows, tmp_path / "preds")
    got = refused(capsys, ["fairness", str(folder), *BASE, *engine])
    for word in words:
        assert word in got
    if flaw != "list-valued column":  # a CSV cell cannot hold a list
        rows.to_csv(tmp_path / "preds.csv", index=False)
        csv = refused(capsys, ["fairness", str(tmp_path / "preds.csv"), *BASE])
        assert csv.replace(str(tmp_path / "preds.csv"), "X") == got.replace(str(folder), "X")


@pytest.mark.parametrize("engine", list(ENGINES.values()), ids=list(ENGINES))
def test_a_fifo_part_is_refused_without_opening_it(capsys, tmp_path, engine):
    folder = write_parts(frame(), tmp_path / "preds")
    os.mkfifo(folder / "part-2.parquet")
    got = refused(capsys, ["fairness", str(folder), *BASE, *engine])
    assert "part-2.parquet is a FIFO (named pipe), not a regular file" in got


@pytest.mark.parametrize("engine", list(ENGINES.values()), ids=list(ENGINES))
@pytest.mark.parametrize("name, content, words", [
    ("notes.txt", "written on Monday", ["holds 'notes.txt', which is not a Parquet file", "Fix: move it out"]),
    ("part-2.parquet", "sex,race\nF,a\n", ["part-2.parquet is not a Parquet file", "'PAR1'"]),
])
def test_a_file_that_is_not_parquet_is_refused_by_name(capsys, tmp_path, engine, name, content, words):
    folder = write_parts(frame(), tmp_path / "preds")
    (folder / name).write_text(content)
    got = refused(capsys, ["fairness", str(folder), *BASE, *engine])
    for word in words:
        assert word in got


def test_hidden_and_underscore_files_are_skipped(capsys, tmp_path):
    folder = write_parts(frame(), tmp_path / "preds")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-0.parquet.crc").write_text("crc")
    assert main(["fairness", str(folder), *BASE, "--engine", "dask"]) == 0


@pytest.mark.parametrize("engine", list(ENGINES.values()), ids=list(ENGINES))
def test_a_folder_is_never_walked_into(capsys, tmp_path, monkeypatch, engine):
    folder = write_parts(frame(), tmp_path / "preds")
    (folder / "lib" / "deeper").mkdir(parents=True)
    walked = []
    monkeypatch.setattr(Path, "rglob", lambda self, *a, **k: walked.append(self) or iter(()))
    got = refused(capsys, ["fairness", str(folder), *BASE, *engine])
    assert "holds a folder 'lib'" in got and "subfolders are never searched" in got
    assert walked == []


def test_a_system_folder_is_refused_at_its_top_level(capsys):
    got = refused(capsys, ["fairness", "/usr", *BASE, "--engine", "dask"])
    assert got.startswith("/usr holds a folder") and "Fix" in got


def test_at_most_max_parts_files_are_listed(capsys, tmp_path, monkeypatch):
    from audit.fairness import _frames

    monkeypatch.setattr(_frames, "MAX_PARTS", 1)
    folder = write_parts(frame(), tmp_path / "preds")
    got = refused(capsys, ["fairness", str(folder), *BASE])
    assert "more than 1 files or folder entries" in got
    got = refused(capsys, ["fairness", str(folder / "*.parquet"), *BASE, "--engine", "dask"])
    assert "more than 1 files" in got


def test_a_numeric_column_with_many_values_is_refused_on_an_engine_with_the_fix(capsys, tmp_path):
    folder = write_parts(frame().assign(race=np.arange(400)), tmp_path / "preds")
    got = refused(capsys, ["fairness", str(folder), *BASE, "--engine", "dask"])
    assert "'race' has 400 distinct values" in got and "--sensitive-quantiles" in got


def test_multiclass_rows_are_not_brought_here_with_an_identifier_column(capsys, tmp_path, monkeypatch):
    from audit.cli import _fairness_tasks

    rows = identifier(frame()).assign(y=lambda f: f["y"] + f.index % 3, p=lambda f: f["p"] + f.index % 3)
    folder = write_parts(rows, tmp_path / "preds")
    monkeypatch.setattr(_fairness_tasks, "task_rows", lambda *a: pytest.fail("rows brought to this machine"))
    got = refused(capsys, ["fairness", str(folder), *BASE[:4], "--sensitive", "race", "--task", "multiclass",
                           "--engine", "dask"])
    assert "'race' has 400 distinct values" in got


def test_count_table_and_the_frame_report_refuse_bad_scores_and_clashes():
    from audit.fairness import count_table, fairness_report_from_frame

    with pytest.raises(DataError, match="y_score column 's' has 1 missing value"):
        count_table(nan_score(frame()), y_true="y", y_pred="p", sensitive=["sex"], y_score="s")
    with pytest.raises(DataError, match="share the label"):
        fairness_report_from_frame(clash(frame()), y_true="y", y_pred="p", sensitive=["sex", "race"], n_boot=0)
    report = fairness_report_from_frame(clash(frame()), y_true="y", y_pred="p", sensitive=["sex", "race"], n_boot=0,
                                        intersections=False)
    assert "sex & race" not in report["by_feature"]


def test_a_good_folder_still_gives_the_in_memory_numbers(capsys, tmp_path):
    import json

    rows = frame()
    folder = write_parts(rows, tmp_path / "preds")
    rows.to_csv(tmp_path / "preds.csv", index=False)
    assert main(["fairness", str(tmp_path / "preds.csv"), *BASE, "--json"]) == 0
    want = json.loads(capsys.readouterr().out)
    assert main(["fairness", str(folder), *BASE, "--engine", "dask", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got["by_feature"]["sex & race"]["disparities"] == want["by_feature"]["sex & race"]["disparities"]
