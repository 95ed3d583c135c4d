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
    from audit.modeling import MLP

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
    from audit.rundir import RunDirWriter

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
