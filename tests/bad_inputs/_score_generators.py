"""Inputs of the ``score_*`` and ``run_out_*`` cases: Parquet data of people.csv, and real runs changed after sealing.

Registered in :data:`tests.bad_inputs._generators.GENERATORS` (imported at its end); each generator takes the
target path and the case's working folder, as every generator does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd


def _people() -> pd.DataFrame:
    from tests.bad_inputs._generators import COMMON

    return pd.read_csv(COMMON / "people.csv")


def people_parquet(target: Path, work: Path) -> None:
    _people().to_parquet(target, index=False)


def people_parquet_y_score(target: Path, work: Path) -> None:
    """A column named y_score (123 everywhere): --keep y_score would replace the model's scores with it."""
    _people().assign(y_score=123.0).to_parquet(target, index=False)


def people_parquet_other_labels(target: Path, work: Path) -> None:
    """The target as yes/no, against the run's '>50K'/'<=50K': no row matches the positive label."""
    df = _people()
    df["income"] = df["income"].map({">50K": "yes", "<=50K": "no"})
    df.to_parquet(target, index=False)


def people_parquet_missing_target(target: Path, work: Path) -> None:
    df = _people()
    df.loc[[3, 4], "income"] = None
    df.to_parquet(target, index=False)


def _people_parquet_value(value: float) -> Callable[[Path, Path], None]:
    def generate(target: Path, work: Path) -> None:
        df = _people()
        df["hours-per-week"] = df["hours-per-week"].astype(float)
        df.loc[7, "hours-per-week"] = value
        df.to_parquet(target, index=False)

    return generate


people_parquet_inf = _people_parquet_value(np.inf)
people_parquet_1e100 = _people_parquet_value(1e100)  # finite in float64, infinite once the model reads float32


def _reseal(run: Path) -> None:
    """Rewrite the manifest as a forger would: the changed run verifies again."""
    from audit.records._manifest import MANIFEST_FILE, _build_manifest

    (run / MANIFEST_FILE).write_text(json.dumps(_build_manifest(run)), encoding="utf-8")


def _edit_record(run: Path, edit: Callable[[dict], None]) -> None:
    record = json.loads((run / "audit.json").read_text(encoding="utf-8"))
    edit(record)
    (run / "audit.json").write_text(json.dumps(record), encoding="utf-8")


def real_run_changed_weights(target: Path, work: Path) -> None:
    """A real run whose weights were changed after it was sealed (the manifest left as it was)."""
    import torch

    from tests.bad_inputs._generators import real_run

    real_run(target, work)
    state = torch.load(target / "models" / "reference.pt", weights_only=True)
    state["net.0.weight"][0, 0] += 1.0
    torch.save(state, target / "models" / "reference.pt")


def real_run_edited_hidden(target: Path, work: Path) -> None:
    """audit.json edited to model.hidden = [200000, 200000] (a 160 GB network), the manifest left as it was."""
    from tests.bad_inputs._generators import real_run

    real_run(target, work)
    _edit_record(target, lambda r: r["run"]["config"]["model"].update(hidden=[200000, 200000]))


def real_run_resealed_hidden(target: Path, work: Path) -> None:
    """The same edit, and the manifest rewritten to match: the run verifies, its record lies about the weights."""
    real_run_edited_hidden(target, work)
    _reseal(target)


def real_run_resealed_expanded_weights(target: Path, work: Path) -> None:
    """Weights of a 200,000 x 200,000 MLP saved as views of one value (1 KiB on disk), record and manifest to match."""
    import torch

    from tests.bad_inputs._generators import real_run

    real_run(target, work)
    n_features = torch.load(target / "models" / "reference.pt", weights_only=True)["net.0.weight"].shape[1]
    width = 200_000
    state = {"net.0.weight": torch.zeros(1).expand(width, n_features), "net.0.bias": torch.zeros(1).expand(width),
             "net.2.weight": torch.zeros(1).expand(width, width), "net.2.bias": torch.zeros(1).expand(width),
             "net.4.weight": torch.zeros(1).expand(1, width), "net.4.bias": torch.zeros(1)}
    torch.save(state, target / "models" / "reference.pt")
    _edit_record(target, lambda r: r["run"]["config"]["model"].update(hidden=[width, width]))
    _reseal(target)


def real_run_weights_outside(target: Path, work: Path) -> None:
    """audit.json pointing its weights outside the run (resealed): never read."""
    import shutil

    from tests.bad_inputs._generators import real_run

    real_run(target, work)
    shutil.copy(target / "models" / "reference.pt", work / "outside.pt")
    _edit_record(target, lambda r: r["artifacts"]["weights"].update(reference="../outside.pt"))
    _reseal(target)


SCORE_GENERATORS: dict[str, Callable[[Path, Path], None]] = {
    f.__name__: f for f in (people_parquet, people_parquet_y_score, people_parquet_other_labels,
                            people_parquet_missing_target, real_run_changed_weights,
                            real_run_edited_hidden, real_run_resealed_hidden, real_run_resealed_expanded_weights,
                            real_run_weights_outside)
} | {"people_parquet_inf": people_parquet_inf, "people_parquet_1e100": people_parquet_1e100}
