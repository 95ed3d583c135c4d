"""Energy and CO2 through codecarbon's offline tracker: labelled as codecarbon tracked them, offline, quiet, no files."""

from __future__ import annotations

import socket
import threading

import pytest
from torch import nn

from audit.config import ComputeSection, config_from_dict
from audit.exceptions import ConfigError
from audit.result import Compute
from audit.runtime._energy import EnergyMeter, _component
from audit.runtime.compute import StageTimer, compute_section


def _timed(settings: ComputeSection | None = None) -> dict:
    timer = StageTimer(settings)
    for name in ("train_reference", "audit", "audit"):  # a repeated stage accumulates
        with timer.stage(name):
            sum(i * i for i in range(200_000))
    return compute_section(timer, {"reference": nn.Linear(3, 1)}, n_features=3, train_info={}, n_train=10)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No network (a connection attempt fails the test), an empty home and working directory to catch files."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"codecarbon tried the network: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_codecarbon_tracks_every_stage_offline_quietly_and_leaves_nothing_behind(offline, capfd):
    threads = set(threading.enumerate())
    section = _timed()
    assert not list(offline.rglob("*")), "codecarbon wrote files"
    assert set(threading.enumerate()) <= threads, "codecarbon left a thread running"
    out, err = capfd.readouterr()
    assert "codecarbon" not in out + err  # errors only, and there were none
    for stage in section["stages"].values():
        assert stage["energy_kwh"] > 0 and stage["co2_kg"] > 0
        assert stage["energy_label"] in ("measured", "estimated", "partly measured")
    total = section["total"]
    assert total["energy_kwh"] == pytest.approx(sum(s["energy_kwh"] for s in section["stages"].values()))
    assert total["energy_basis"].startswith(total["energy_label"] + " by codecarbon")
    tracking = section["energy_tracking"]
    assert tracking["country_iso_code"] == ComputeSection().country_iso_code == "USA"  # the one default
    assert tracking["tracking_mode"] == "process" and set(tracking["components"]) >= {"cpu", "ram"}
    assert tracking["components"]["ram"].startswith("estimated")
    typed = Compute.from_dict(section)  # the record's types hold it
    assert typed.energy_tracking is not None and typed.total is not None and typed.total.energy_label == total["energy_label"]


def test_the_grid_comes_from_the_configured_country_or_the_stated_intensity(offline):
    france = _timed(ComputeSection(country_iso_code="FRA"))["energy_tracking"]
    usa = _timed(ComputeSection(country_iso_code="USA"))["energy_tracking"]
    assert france["carbon_intensity_g_per_kwh"] < usa["carbon_intensity_g_per_kwh"]  # nuclear vs mixed grid
    stated = _timed(ComputeSection(country_iso_code="FRA", carbon_intensity_g_per_kwh=475.0))
    assert stated["energy_tracking"]["carbon_intensity_g_per_kwh"] == 475.0 and "stated" in stated["total"]["co2_basis"]
    for s in stated["stages"].values():
        assert s["co2_kg"] == pytest.approx(s["energy_kwh"] * 0.475, rel=1e-6)


def test_component_labels_follow_codecarbons_tracking_mode():
    cpu = type("CPU", (), {})
    rapl, load = cpu(), cpu()
    rapl._mode, load._mode = "intel_rapl", "cpu_load"
    assert _component(rapl) == ("cpu", "measured", "RAPL counters")
    assert _component(load)[:2] == ("cpu", "estimated") and "TDP" in _component(load)[2]
    assert _component(type("GPU", (), {})())[1] == "measured"
    assert _component(type("RAM", (), {})())[1] == "estimated"


def test_a_tracker_that_fails_leaves_energy_unknown_with_the_reason(monkeypatch):
    def broken(self):
        raise OSError("no sensors")

    monkeypatch.setattr(EnergyMeter, "_make", broken)
    section = _timed()
    assert all(s["energy_kwh"] is None for s in section["stages"].values())
    assert section["total"]["energy_kwh"] is None and section["total"]["energy_label"] is None
    assert "no sensors" in section["energy_tracking"]["error"] and "no sensors" in section["total"]["energy_basis"]
    Compute.from_dict(section)


def _config(compute: dict) -> dict:
    return {"data": {"bundled": "adult", "target": "income", "positive_label": ">50K", "sensitive_features": ["sex"]}, "compute": compute}


@pytest.mark.parametrize("compute, message", [
    ({"country_iso_code": "XYZ"}, "compute.country_iso_code"),
    ({"country_iso_code": "fra"}, "compute.country_iso_code"),
    ({"region": "atlantis"}, "compute.region"),
    ({"country_iso_code": "FRA", "region": "california"}, "is a US state or Canadian province"),
])
def test_config_refuses_a_grid_codecarbon_does_not_know(compute, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(_config(compute))


def test_config_accepts_a_country_and_region_codecarbon_knows():
    cfg = config_from_dict(_config({"country_iso_code": "USA", "region": "california"}))
    assert cfg.compute.region == "california" and cfg.compute.carbon_intensity_g_per_kwh is None


def test_meter_without_a_stage_says_so():
    assert EnergyMeter(ComputeSection()).basis() == {"label": None, "error": "no stage was timed"}
