"""Inputs that are binary, large or derived, built at test time for the bad-input corpus.

A case names them in its ``[generate]`` table (``"file name" = "generator"``); each
generator writes ``target`` inside the case's working folder ``work``. Everything
else in the corpus is a literal file in the case folder.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

COMMON = Path(__file__).parent / "common"
PAYLOAD_MARKER = "PAYLOAD_RAN"
"""File a pickle payload creates when it runs; its absence proves the payload was never executed."""


class _Payload:
    """Unpickling this calls ``open(marker, "w")``: a harmless, observable side effect."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _people() -> pd.DataFrame:
    return pd.read_csv(COMMON / "people.csv")


def _mlp_state(n_features: int, hidden: tuple[int, ...] = (8,)) -> dict:
    from audit.models import MLP

    return MLP(n_features, hidden=hidden).state_dict()


def _people_n_features() -> int:
    from audit.data import TabularPreprocessor

    df = _people()
    return len(TabularPreprocessor().fit(df.drop(columns=["income"])).feature_names_)


def ten_thousand_ids(target: Path, work: Path) -> None:
    rng = np.random.default_rng(0)
    n = 10_000
    pd.DataFrame({
        "age": rng.integers(18, 80, n),
        "sex": rng.choice(["Female", "Male"], n),
        "person_id": [f"id-{i:05d}" for i in range(n)],
        "income": rng.choice(["<=50K", ">50K"], n),
    }).to_csv(target, index=False)


def latin1_csv(target: Path, work: Path) -> None:
    text = "age,workclass,sex,income\n" + "".join(
        f"{20 + i},{'Café' if i % 2 else 'Private'},{'M' if i % 3 else 'F'},{'>50K' if i % 4 == 0 else '<=50K'}\n"
        for i in range(20))
    target.write_bytes(text.encode("latin-1"))


def latin1_toml(target: Path, work: Path) -> None:
    target.write_bytes('# r\u00e9sum\u00e9 of the model\nname = "latin"\n[data]\nbundled = "adult"\n'
                       'target = "income"\npositive_label = ">50K"\nsensitive_features = ["sex"]\n'.encode("latin-1"))


def people_train(target: Path, work: Path) -> None:
    _people().iloc[:160].to_csv(target, index=False)


def people_test_with_singleton(target: Path, work: Path) -> None:
    test = _people().iloc[160:].reset_index(drop=True)
    test.loc[0, "race"] = "Pacific-Islander"  # the only row of its group, absent from training
    test.to_csv(target, index=False)


def people_hostile(target: Path, work: Path) -> None:
    df = _people().rename(columns={"sex": "<script>alert('sex')</script>", "race": "rasse_\u00e9", "income": "revenu \u20ac"})
    df["<script>alert('sex')</script>"] = df["<script>alert('sex')</script>"].map(
        {"Male": "<b>M\u00e2le</b>", "Female": "F\u00e9male<script>alert(2)</script>"})
    df["revenu \u20ac"] = df["revenu \u20ac"].map({">50K": "<b>\u00e9lev\u00e9</b>", "<=50K": "bas"})
    df["workclass"] = df["workclass"].where(df.index % 5 != 0, "<img src=x onerror=alert(3)>")
    df.to_csv(target, index=False)


def people_nan_sex(target: Path, work: Path) -> None:
    df = _people()
    df.loc[df.index % 12 == 0, "sex"] = None
    df.to_csv(target, index=False)


def truncated_weights(target: Path, work: Path) -> None:
    import torch

    torch.save(_mlp_state(_people_n_features()), target)
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])


def pickle_payload_zip(target: Path, work: Path) -> None:
    import torch

    state = _mlp_state(_people_n_features())
    state["net.0.weight"] = _Payload(work / PAYLOAD_MARKER)
    torch.save(state, target)


def pickle_payload_raw(target: Path, work: Path) -> None:
    target.write_bytes(pickle.dumps({"net.0.weight": _Payload(work / PAYLOAD_MARKER)}, protocol=2))


def weights_other_shape(target: Path, work: Path) -> None:
    import torch

    torch.save(_mlp_state(3, hidden=(5,)), target)


def weights_not_tensors(target: Path, work: Path) -> None:
    import torch

    torch.save({"net.0.weight": 1.0, "epochs": 3}, target)


def weights_nan(target: Path, work: Path) -> None:
    import torch

    state = _mlp_state(_people_n_features())
    state["net.0.weight"].fill_(float("nan"))
    torch.save(state, target)


def sealed_run(target: Path, work: Path) -> None:
    from audit.records.rundir import RunDirWriter

    with RunDirWriter(target) as w:
        w.write_json("audit.json", {"schema_version": "1.0", "run": {"name": "sealed"}, "gates": [], "verdict": "pass"})
        (w.path / "predictions.csv").write_text("model,y_true,y_pred,y_score,sex\nreference,1,1,0.9,F\n", encoding="utf-8")


def sealed_run_without_audit(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "audit.json").unlink()


def sealed_run_corrupt_audit(target: Path, work: Path) -> None:
    sealed_run(target, work)
    data = (target / "audit.json").read_bytes()
    (target / "audit.json").write_bytes(data[: len(data) // 2])


def sealed_run_no_schema(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "audit.json").write_text(json.dumps({"hello": "world"}), encoding="utf-8")


def sealed_run_no_manifest(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "manifest.json").unlink()


def sealed_run_with_symlink(target: Path, work: Path) -> None:
    sealed_run(target, work)
    secret = work / "secret.txt"
    secret.write_text("outside the run\n", encoding="utf-8")
    os.symlink(secret, target / "extra.txt")


def runs_root_with_escape_link(target: Path, work: Path) -> None:
    target.mkdir()
    os.symlink(work / "outside", target / "escape")


def _people_renamed(column: str, new: str) -> Callable[[Path, Path], None]:
    def generate(target: Path, work: Path) -> None:
        _people().rename(columns={column: new}).to_csv(target, index=False)

    return generate


# A sensitive column named like a column of predictions.csv (it would overwrite that column).
people_sex_named_y_pred = _people_renamed("sex", "y_pred")
people_sex_named_y_true = _people_renamed("sex", "y_true")
people_sex_named_y_score = _people_renamed("sex", "y_score")
people_sex_named_model = _people_renamed("sex", "model")


def fifo(target: Path, work: Path) -> None:
    """A named pipe: opening it for reading would block until someone writes."""
    os.mkfifo(target)


def directory(target: Path, work: Path) -> None:
    target.mkdir()


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


def sealed_run_deep_audit_json(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "audit.json").write_text(_deep(100_000), encoding="utf-8")


def sealed_run_nested_audit_json(target: Path, work: Path) -> None:
    """Valid-looking audit.json with one value nested 500 deep (under Python's recursion limit when parsed)."""
    sealed_run(target, work)
    (target / "audit.json").write_text('{"schema_version": "1.0", "run": {"name": ' + _deep(500) + "}}", encoding="utf-8")


def sealed_run_deep_manifest(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "manifest.json").write_text('{"files": ' + _deep(100_000) + "}", encoding="utf-8")


def sealed_run_deep_reviews(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "reviews.jsonl").write_text(_deep(100_000) + "\n", encoding="utf-8")


def sealed_run_manifest_entry_not_object(target: Path, work: Path) -> None:
    sealed_run(target, work)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["audit.json"] = "0" * 64
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def sealed_run_manifest_sha_not_text(target: Path, work: Path) -> None:
    sealed_run(target, work)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["audit.json"]["sha256"] = 5
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def sealed_run_with_fifo(target: Path, work: Path) -> None:
    sealed_run(target, work)
    os.mkfifo(target / "pipe")


def sealed_run_audit_json_fifo(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "audit.json").unlink()
    os.mkfifo(target / "audit.json")


def sealed_run_audit_json_directory(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "audit.json").unlink()
    (target / "audit.json").mkdir()


def sealed_run_reviews_directory(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "reviews.jsonl").mkdir()


def sealed_run_manifest_fifo(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "manifest.json").unlink()
    os.mkfifo(target / "manifest.json")


def _save(state, target: Path) -> None:
    import torch

    torch.save(state, target)


def weights_meta_device(target: Path, work: Path) -> None:
    import torch

    _save({k: torch.empty_like(v, device="meta") for k, v in _mlp_state(_people_n_features()).items()}, target)


def weights_training_checkpoint(target: Path, work: Path) -> None:
    import torch

    model_state = _mlp_state(_people_n_features())
    _save({"model_state_dict": model_state, "optimizer_state_dict": {"state": {}}, "epoch": 3,
           "loss": torch.tensor(0.4)}, target)


def weights_lightning_checkpoint(target: Path, work: Path) -> None:
    _save({"state_dict": _mlp_state(_people_n_features()), "epoch": 1, "global_step": 10}, target)


def weights_bare_tensor(target: Path, work: Path) -> None:
    import torch

    _save(torch.zeros(3, 3), target)


def weights_empty_file(target: Path, work: Path) -> None:
    target.write_bytes(b"")


def weights_zip_bomb(target: Path, work: Path) -> None:
    """A torch-style zip whose one member inflates 64 MiB of zeros from a few KiB."""
    import zipfile

    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("model/data.pkl", b"\0" * (64 << 20))
        zf.writestr("model/version", b"3\n")


def _parquet(frame: pd.DataFrame, target: Path) -> None:
    frame.to_parquet(target, index=False)


def people_parquet_list_sex(target: Path, work: Path) -> None:
    df = _people()
    df["sex"] = [[s, "x"] for s in df["sex"]]
    _parquet(df, target)


def people_parquet_struct_sex(target: Path, work: Path) -> None:
    df = _people()
    df["sex"] = [{"code": s[0], "label": s} for s in df["sex"]]
    _parquet(df, target)


def people_parquet_list_feature(target: Path, work: Path) -> None:
    df = _people()
    df["tags"] = [["a", "b"][: 1 + i % 2] for i in range(len(df))]
    _parquet(df, target)


def preds_parquet_struct_sex(target: Path, work: Path) -> None:
    n = 60
    _parquet(pd.DataFrame({"y": [i % 2 for i in range(n)], "p": [(i // 2) % 2 for i in range(n)],
                           "sex": [{"label": "F" if i % 3 else "M"} for i in range(n)]}), target)


def people_decimal_commas(target: Path, work: Path) -> None:
    df = _people()
    df["hours-per-week"] = [f"{h},{i % 100:02d}" for i, h in enumerate(df["hours-per-week"])]
    df.to_csv(target, index=False)


def people_header_space_twin(target: Path, work: Path) -> None:
    df = _people()
    df["age "] = df["age"] + 1  # "age" and "age ": two columns a reader would merge, or a human would confuse
    df.to_csv(target, index=False)


def people_leading_zero_codes(target: Path, work: Path) -> None:
    df = _people()
    df["region"] = [f"{1 + i % 3:02d}" for i in range(len(df))]  # "01", "02", "03": codes, not numbers
    df.to_csv(target, index=False)


def people_boolean_target(target: Path, work: Path) -> None:
    df = _people()
    df["rich"] = df.pop("income") == ">50K"
    df.to_csv(target, index=False)


def people_integer_target(target: Path, work: Path) -> None:
    df = _people()
    df["rich"] = (df.pop("income") == ">50K").astype(int)
    df.to_csv(target, index=False)


def _people_huge(value: float) -> Callable[[Path, Path], None]:
    def generate(target: Path, work: Path) -> None:
        df = _people()
        df["hours-per-week"] = df["hours-per-week"].astype(float)
        df.loc[7, "hours-per-week"] = value
        df.to_csv(target, index=False)

    return generate


people_value_1e308 = _people_huge(1e308)
people_value_minus_1e300 = _people_huge(-1e300)


def big_toml(target: Path, work: Path) -> None:
    target.write_text("# padding\n" * 300_000, encoding="utf-8")


def bom_toml_unknown_key(target: Path, work: Path) -> None:
    target.write_bytes("\ufeff".encode("utf-8") + b'name = "bom"\nfrobnicate = 1\n[data]\npath = "people.csv"\n'
                      b'target = "income"\npositive_label = ">50K"\nsensitive_features = ["sex"]\n')


def people_bom_csv(target: Path, work: Path) -> None:
    target.write_bytes("\ufeff".encode("utf-8") + (COMMON / "people.csv").read_bytes())


_REAL_RUN: list[Path] = []
_REAL_CONFIG = """name = "real"
[data]
path = "people.csv"
target = "income"
positive_label = ">50K"
sensitive_features = ["sex"]
[model]
hidden = [8]
[training]
epochs = 1
batch_size = 64
[privacy]
enabled = false
membership_inference = false
identifier_scan = false
[fairness]
n_boot = 0
mitigation = "none"
[explain]
enabled = false
"""


def real_run(target: Path, work: Path) -> None:
    """A complete run written by ``rai-audit run`` (one small audit per test session, copied)."""
    import contextlib
    import io
    import shutil
    import tempfile

    if not _REAL_RUN:
        folder = Path(tempfile.mkdtemp(prefix="rai-corpus-run-"))
        shutil.copy(COMMON / "people.csv", folder / "people.csv")
        (folder / "audit.toml").write_text(_REAL_CONFIG, encoding="utf-8")
        from audit.cli import main

        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["run", str(folder / "audit.toml"), "--out", str(folder / "run"), "--quiet"]) == 0
        _REAL_RUN.append(folder / "run")
    shutil.copytree(_REAL_RUN[0], target)


def real_run_deep_reviews(target: Path, work: Path) -> None:
    real_run(target, work)
    (target / "reviews.jsonl").write_text(_deep(100_000) + "\n", encoding="utf-8")


def deep_toml_array(target: Path, work: Path) -> None:
    target.write_text('name = "deep"\nx = ' + _deep(100_000) + "\n", encoding="utf-8")


def deep_toml_inline_table(target: Path, work: Path) -> None:
    target.write_text('name = "deep"\nx = ' + "{a = " * 5000 + "1" + "}" * 5000 + "\n", encoding="utf-8")


def sealed_run_audit_json_nan(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "audit.json").write_text('{"schema_version": "1.0", "run": {"name": "x"}, "verdict": NaN}', encoding="utf-8")


def sealed_run_audit_json_huge_integer(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "audit.json").write_text('{"schema_version": "1.0", "n": ' + "9" * 100_000 + "}", encoding="utf-8")


def sealed_run_reviews_huge_integer(target: Path, work: Path) -> None:
    sealed_run(target, work)
    (target / "reviews.jsonl").write_text('{"index": ' + "7" * 100_000 + "}\n", encoding="utf-8")


def _sparse(size: int) -> Callable[[Path, Path], None]:
    """A file of ``size`` bytes that takes no disk space (a hole): only its size is ever looked at."""
    def generate(target: Path, work: Path) -> None:
        with open(target, "wb") as fh:
            fh.truncate(size)

    return generate


sparse_9_gib = _sparse(9 << 30)


def sealed_run_sparse_audit_json(target: Path, work: Path) -> None:
    sealed_run(target, work)
    _sparse(300 << 20)(target / "audit.json", work)


def sealed_run_sparse_reviews(target: Path, work: Path) -> None:
    sealed_run(target, work)
    _sparse(70 << 20)(target / "reviews.jsonl", work)


def symlink_loop(target: Path, work: Path) -> None:
    os.symlink(target.name, target)


def people_ampersand_groups(target: Path, work: Path) -> None:
    """Values joined by " & " in intersection labels: ("A & B", "C") and ("A", "B & C") would both read "A & B & C"."""
    df = _people()
    df.loc[df.index % 10 == 1, ["sex", "race"]] = ["Female & Black", "Other"]
    df.loc[df.index % 10 == 2, ["sex", "race"]] = ["Female", "Black & Other"]
    df.loc[df.index % 10 == 3, "race"] = "Asian & Pacific-Islander"  # an '&' alone makes no clash: accepted
    df.to_csv(target, index=False)


GENERATORS: dict[str, Callable[[Path, Path], None]] = {
    name: fn for name, fn in list(globals().items())
    if callable(fn) and not name.startswith("_") and fn.__module__ == __name__ and name not in {"Path", "Callable"}
}


def runs_root_with_symlinked_audit(target: Path, work: Path) -> None:
    """A run inside the root whose audit.json is a link to a file outside it."""
    secret = work / "outside.json"
    secret.write_text(json.dumps({"schema_version": "1.0", "secret": "read from outside the root"}), encoding="utf-8")
    sealed_run(target / "run", work)
    (target / "run" / "audit.json").unlink()
    os.symlink(secret, target / "run" / "audit.json")


GENERATORS["runs_root_with_symlinked_audit"] = runs_root_with_symlinked_audit


def weights_zip_bomb_many_members(target: Path, work: Path) -> None:
    """A real torch state dict of 64 tensors of 1 MiB of zeros, re-zipped deflated: every member is at most
    1 MiB (under the one-member ratio check) but together they inflate 64 MiB from about 70 KiB."""
    import io
    import zipfile

    import torch

    raw = io.BytesIO()
    torch.save({f"t{i}": torch.zeros(1 << 18) for i in range(64)}, raw)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))


def npy_header_lies(target: Path, work: Path) -> None:
    """A 100-byte .npy whose header declares 10**12 float64 values (8 TB)."""
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    target.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode("latin1") + b"\0" * 16)


def predictions_over_the_limit(target: Path, work: Path) -> None:
    """A sparse predictions.csv one byte over the dashboard's 512 MiB limit (no disk used), with a valid header."""
    with open(target, "wb") as fh:
        fh.write(b"model,y_true,y_pred,y_score,sex\n")
        fh.truncate((512 << 20) + 1)


GENERATORS.update({f.__name__: f for f in (weights_zip_bomb_many_members, npy_header_lies, predictions_over_the_limit)})


from tests.bad_inputs._score_generators import SCORE_GENERATORS  # noqa: E402 - needs real_run above

GENERATORS.update(SCORE_GENERATORS)


# --- rai-audit fairness on Parquet parts (a folder read on pandas, Dask or Spark): one frame, one flaw each ---
def _preds_frame(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(26)
    score = np.round(rng.random(n), 3)
    return pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(["a", "b", "c"], n),
                         "y": rng.integers(0, 2, n), "p": (score >= 0.5).astype(int), "s": score})


def _preds_parts(flaw: Callable[[pd.DataFrame], pd.DataFrame] | None = None, *, n: int = 400,
                 extra: Callable[[Path], None] | None = None) -> Callable[[Path, Path], None]:
    """A folder of two Parquet parts of ``_preds_frame(n)`` changed by ``flaw``, plus whatever ``extra`` adds."""
    def generate(target: Path, work: Path) -> None:
        frame = _preds_frame(n) if flaw is None else flaw(_preds_frame(n))
        target.mkdir()
        half = len(frame) // 2
        frame.iloc[:half].to_parquet(target / "part-00000.parquet", index=False)
        frame.iloc[half:].to_parquet(target / "part-00001.parquet", index=False)
        if extra is not None:
            extra(target)
    return generate


def _with(column: str, values: Callable[[pd.DataFrame], object]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def flaw(frame: pd.DataFrame) -> pd.DataFrame:
        frame[column] = values(frame)
        return frame
    return flaw


def _one_score(value: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return _with("s", lambda f: [value if i == len(f) - 3 else v for i, v in enumerate(f["s"])])


def _ampersands(frame: pd.DataFrame) -> pd.DataFrame:
    frame.loc[frame.index % 10 == 1, ["sex", "race"]] = ["F & a", "b"]  # ("F & a", "b") and ("F", "a & b")
    frame.loc[frame.index % 10 == 2, ["sex", "race"]] = ["F", "a & b"]  # both print "F & a & b"
    return frame


def _fifo_part(folder: Path) -> None:
    os.mkfifo(folder / "part-00002.parquet")


def _notes(folder: Path) -> None:
    (folder / "notes.txt").write_text("scored on Monday\n", encoding="utf-8")


def _csv_as_parquet(folder: Path) -> None:
    (folder / "part-00002.parquet").write_text("sex,race,y,p,s\nF,a,1,1,0.9\n", encoding="utf-8")


def _subfolders(folder: Path) -> None:
    (folder / "lib" / "deeper").mkdir(parents=True)  # as /usr: folders of folders, never walked
    (folder / "lib" / "deeper" / "x.parquet").write_bytes(b"PAR1")


def preds_csv_identifier(target: Path, work: Path) -> None:
    """100,000 predictions whose 'user' column is an identifier (one value per row)."""
    frame = _preds_frame(100_000)
    frame["user"] = [f"u{i:06d}" for i in range(len(frame))]
    frame.to_csv(target, index=False)


GENERATORS.update({
    "preds_parts": _preds_parts(),
    "preds_parts_nan_score": _preds_parts(_one_score(float("nan"))),
    "preds_parts_inf_score": _preds_parts(_one_score(float("inf"))),
    "preds_parts_ampersand_groups": _preds_parts(_ampersands),
    "preds_parts_identifier": _preds_parts(_with("user", lambda f: [f"u{i:06d}" for i in range(len(f))]), n=100_000),
    "preds_parts_million_ids": _preds_parts(_with("user", lambda f: np.arange(len(f)).astype(str)), n=1_000_000),
    "preds_parts_list_sex": _preds_parts(_with("sex", lambda f: [[v] for v in f["sex"]])),
    "preds_parts_with_fifo": _preds_parts(extra=_fifo_part),
    "preds_parts_with_notes": _preds_parts(extra=_notes),
    "preds_parts_csv_named_parquet": _preds_parts(extra=_csv_as_parquet),
    "preds_parts_with_subfolders": _preds_parts(extra=_subfolders),
    "preds_csv_identifier": preds_csv_identifier,
})


def safetensors_file(target: Path, work: Path) -> None:
    """A valid safetensors file (8-byte header length, JSON header, raw data), written without the package."""
    header = json.dumps({"net.0.weight": {"dtype": "F32", "shape": [1, 2], "data_offsets": [0, 8]}}).encode()
    target.write_bytes(len(header).to_bytes(8, "little") + header + np.zeros(2, np.float32).tobytes())


GENERATORS["safetensors_file"] = safetensors_file
