"""The optimizer zoo (pytorch-optimizer, the `zoo` extra): its optimizers on the command line
beside torch's, marked as the package's; without the package, listed as needing it, and choosing
one says how to install it (exit 2, one line)."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch

from playground import cli
from playground.optimizers import OPTIMIZERS
from playground.zoo import install_command

ZOO = ["lion", "schedulefree_adamw", "prodigy", "soap", "adopt", "ademamix"]


def hide_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pytorch_optimizer" else real(name, *a))


@pytest.mark.parametrize("name", ZOO)
def test_without_the_package_choosing_one_says_how_to_install_it(name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    hide_the_package(monkeypatch)
    assert cli.main(["run", "rosenbrock", "--optimizer", name, "--steps", "5"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"playground: error: --optimizer: {name} (") and "pytorch-optimizer" in lines[0] and install_command() in lines[0]


def test_without_the_package_a_race_lane_of_one_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    hide_the_package(monkeypatch)
    assert cli.main(["compare", "rosenbrock", "--run", "adam", "--run", "lion lr=0.001", "--steps", "5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--run 'lion lr=0.001': optimizer: lion (Lion)" in err[0] and install_command() in err[0], err


def test_without_the_package_the_help_lists_them_as_needing_it(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    hide_the_package(monkeypatch)
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"from pytorch-optimizer (the zoo extra, not installed: {install_command()}): " + ", ".join(ZOO) in text


def test_with_the_package_they_are_listed_and_marked_as_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "from pytorch-optimizer (the zoo extra): " + ", ".join(ZOO) in text
    assert cli.main(["explain", "lion"]) == 0
    assert "pytorch_optimizer.Lion, from the pytorch-optimizer package" in capsys.readouterr().out


def test_the_install_hint_fits_how_this_copy_was_installed(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    """Everyday 2, item 9: `pip install 'playground[zoo]'` is wrong for a clone set up by
    `bash scripts/play`: an editable install is told the README's command, with its venv's pip."""
    import sys
    from pathlib import Path

    import playground

    project = Path(playground.__file__).resolve().parents[1]
    pip = Path(sys.executable).with_name("pip")
    monkeypatch.chdir(project)
    here = pip.relative_to(project) if pip.is_relative_to(project) else pip  # a PLAYGROUND_VENV may be elsewhere
    assert install_command() == f"{here} install -e '.[zoo]'"  # .venv/bin/pip install -e '.[zoo]'
    monkeypatch.chdir(tmp_path)  # from elsewhere: the paths in full
    assert install_command() == f"{pip} install -e '{project}[zoo]'"


@pytest.mark.parametrize("name", ZOO)
def test_the_json_rebuilds_the_packages_optimizer_with_the_registrys_defaults(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The registry's defaults are the package's (another test compares the signatures); the JSON
    object's keywords build the package's class."""
    import pytorch_optimizer

    assert cli.main(["run", "moons", "--optimizer", name, "--steps", "3", "--format", "json"]) == 0
    optimizer = json.loads(capsys.readouterr().out)["optimizer"]
    cls = getattr(pytorch_optimizer, OPTIMIZERS[name].torch_name)
    p = torch.zeros(3, requires_grad=True)
    built = cls([p], **{k: tuple(v) if isinstance(v, list) else v for k, v in optimizer.items() if k != "name"})
    for key, value in optimizer.items():
        if key != "name":
            assert built.param_groups[0][key] == (tuple(value) if isinstance(value, list) else value), key
