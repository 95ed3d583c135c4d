"""A run directory is untrusted input: every file the dashboard reads from it goes through the one bounded reader
(audit.records.files), so a zip bomb, a huge or special predictions file, or a .npy header that lies is refused with a
message on the page, before anything is inflated or allocated."""

from __future__ import annotations

import os
import resource
import threading

import numpy as np
import pytest

from audit.exceptions import DataError, ModelError, RunDirError
from dashboard._data import read_predictions, run_array
from dashboard._whatif import load_scorer
from tests.bad_inputs._generators import npy_header_lies, predictions_over_the_limit, weights_zip_bomb_many_members
from tests.dashboard.conftest import texts


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_whatif_refuses_a_zip_bomb_of_many_small_members(tmp_path):
    # each member is 1 MiB (under the one-member ratio check); together they inflate 64 MiB from ~70 KiB
    weights_zip_bomb_many_members(tmp_path / "reference.pt", tmp_path)
    before = _rss_mib()
    with pytest.raises(ModelError, match="would inflate to 67,114,011 bytes.*not loaded"):
        load_scorer(tmp_path, "reference.pt", n_features=3, hidden=[8])
    assert _rss_mib() - before < 32  # refused from the zip's directory: nothing was inflated


def test_whatif_never_builds_the_recorded_widths_the_weights_lack(tmp_path, monkeypatch):
    # audit.json edited to hidden = [200000, 200000] would otherwise allocate a 160 GB network before comparing shapes
    import torch

    from audit.models import MLP, _builtin

    torch.save(MLP(3, hidden=(4,)).state_dict(), tmp_path / "w.pt")

    def never(*args, **kwargs):
        raise AssertionError("the MLP was built before its shapes were checked against the weights")

    monkeypatch.setattr(_builtin, "MLP", never)
    with pytest.raises(ModelError, match=r"shapes \[\(4, 3\), \(1, 4\)\].*needs \[\(200000, 3\).*nothing was built"):
        load_scorer(tmp_path, "w.pt", n_features=3, hidden=[200000, 200000])


def test_predictions_over_the_limit_are_refused_unread(tmp_path):
    predictions_over_the_limit(tmp_path / "predictions.csv", tmp_path)  # sparse: no disk, 512 MiB + 1
    before = _rss_mib()
    with pytest.raises(DataError, match="536,870,913 bytes, over the limit of 536,870,912.*RAI_AUDIT_MAX_PREDICTIONS_BYTES"):
        read_predictions(tmp_path / "predictions.csv")
    assert _rss_mib() - before < 32


def test_predictions_fifo_is_refused_not_read(tmp_path):
    # pandas would block forever on a FIFO with no writer: the page would hang
    os.mkfifo(tmp_path / "predictions.csv")
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            read_predictions(tmp_path / "predictions.csv")
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "read_predictions blocked on a FIFO"
    assert isinstance(outcome[0], DataError) and "FIFO" in str(outcome[0])


def test_predictions_that_are_not_csv_are_a_data_error(tmp_path):
    (tmp_path / "predictions.csv").write_bytes(b"model,y_true,y_pred,y_score\n" + b'"unclosed\n' * 3)
    with pytest.raises(DataError, match="predictions.csv"):
        read_predictions(tmp_path / "predictions.csv")


def test_npy_whose_header_declares_more_than_the_file_holds_is_refused(tmp_path):
    npy_header_lies(tmp_path / "a.npy", tmp_path)  # 100 bytes declaring 8 TB
    with pytest.raises(RunDirError, match="declares 8,000,000,000,000 bytes of data.*not loaded"):
        run_array(tmp_path, "a.npy")


def test_npy_with_objects_is_refused(tmp_path):
    np.save(tmp_path / "a.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(RunDirError, match="Python objects"):
        run_array(tmp_path, "a.npy")


def test_whatif_page_shows_the_zip_bomb_refusal(app, runs_root):
    weights_zip_bomb_many_members(runs_root / "full" / "models" / "reference.pt", runs_root)
    before = _rss_mib()
    at = app(runs_root, run="full", page="whatif")
    shown = texts(at).replace("\\", "")  # the message is shown Markdown-escaped
    assert "would inflate" in shown and "not loaded" in shown, shown[-2000:]
    assert not at.exception
    assert _rss_mib() - before < 256  # the page itself costs some; 64 MiB inflated per model would show


def test_pages_show_the_oversized_predictions_refusal(app, runs_root):
    predictions_over_the_limit(runs_root / "full" / "predictions.csv", runs_root)
    at = app(runs_root, run="full", page="cohorts")
    shown = texts(at).replace("\\", "")  # the message is shown Markdown-escaped
    assert "over the limit" in shown and "RAI_AUDIT_MAX_PREDICTIONS_BYTES" in shown, shown[-2000:]
    assert not at.exception
