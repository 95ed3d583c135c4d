"""User factories run isolated: a neutral sys.argv, SystemExit turned into ModelError, Ctrl-C kept."""

from __future__ import annotations

import sys

import pytest

from audit.config import ModelSection
from audit.exceptions import ModelError
from audit.training import build_model, model_factory


def _section(module: str) -> ModelSection:
    return ModelSection(kind="factory", factory=f"{module}:make")


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    def write(name: str, text: str) -> str:
        (tmp_path / f"{name}.py").write_text(text, encoding="utf-8")
        monkeypatch.delitem(sys.modules, name, raising=False)
        return name

    yield write, tmp_path


def test_import_sees_a_neutral_argv_and_argv_is_restored(module_dir, monkeypatch):
    write, folder = module_dir
    name = write("argv_probe", "import sys\nSEEN = list(sys.argv)\n\ndef make(n_features):\n    import torch\n"
                               "    return torch.nn.Linear(n_features, 1)\n")
    monkeypatch.setattr(sys, "argv", ["rai-audit", "run", "cfg.toml", "--out", "x"])
    model_factory(_section(name), n_features=3, base_dir=str(folder))
    assert sys.modules[name].SEEN == [name]
    assert sys.argv == ["rai-audit", "run", "cfg.toml", "--out", "x"]


def test_sys_exit_at_import_is_a_model_error_and_argv_restored(module_dir, monkeypatch):
    write, folder = module_dir
    name = write("exits", "import sys\nsys.exit(0)\n")
    monkeypatch.setattr(sys, "argv", ["rai-audit", "run"])
    with pytest.raises(ModelError, match=r"model.factory 'exits:make': importing module 'exits' raised SystemExit\(0\)"):
        model_factory(_section(name), n_features=3, base_dir=str(folder))
    assert sys.argv == ["rai-audit", "run"]


def test_keyboard_interrupt_still_interrupts(module_dir):
    write, folder = module_dir
    name = write("ctrl_c", "def make(n_features):\n    raise KeyboardInterrupt\n")
    build = model_factory(_section(name), n_features=3, base_dir=str(folder))
    with pytest.raises(KeyboardInterrupt):
        build()


def test_final_sigmoid_is_refused_but_a_sigmoid_inside_is_fine(module_dir):
    write, folder = module_dir
    name = write("gated", "import torch\n\nclass Gated(torch.nn.Module):\n    def __init__(self, n):\n"
                          "        super().__init__()\n        self.gate = torch.nn.Sigmoid()\n        self.out = torch.nn.Linear(n, 1)\n"
                          "    def forward(self, x):\n        return self.out(x * self.gate(x))\n\n"
                          "def make(n_features):\n    return Gated(n_features)\n")
    build_model(_section(name), n_features=3, base_dir=str(folder))
    name = write("probs", "import torch\n\ndef make(n_features):\n"
                          "    return torch.nn.Sequential(torch.nn.Linear(n_features, 1), torch.nn.Sigmoid())\n")
    with pytest.raises(ModelError, match="outputs probabilities"):
        build_model(_section(name), n_features=3, base_dir=str(folder))


def test_two_configs_with_their_own_models_module_each_build_their_own(tmp_path, monkeypatch):
    # a notebook auditing two projects: each keeps a models.py beside its config, under one name
    monkeypatch.delitem(sys.modules, "shared_name_models", raising=False)
    widths = {}
    for width in (2, 5):
        folder = tmp_path / f"project{width}"
        folder.mkdir()
        (folder / "shared_name_models.py").write_text(
            f"import torch\n\ndef make(n_features):\n    return torch.nn.Linear(n_features, {width})\n", encoding="utf-8")
        factory = model_factory(_section("shared_name_models"), n_features=3, base_dir=str(folder))
        widths[width] = factory().out_features
    assert widths == {2: 2, 5: 5}
    sys.modules.pop("shared_name_models", None)


def test_an_installed_module_is_kept_when_no_folder_holds_one_of_that_name(tmp_path):
    import json

    before = sys.modules["json"]
    (tmp_path / "json_like.py").write_text("", encoding="utf-8")
    from audit.training._factory import _forget_shadowed

    _forget_shadowed("json", [str(tmp_path)])
    assert sys.modules["json"] is before is json
