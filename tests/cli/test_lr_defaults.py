"""Where a run's lr comes from (Everyday 2, item 8): a scenario's [defaults] lr is the rate of the
optimizer it starts with; another optimizer takes its own [defaults.NAME] lr, else its library's
default; `run` says which, in its text and its JSON."""

from __future__ import annotations

import pytest
from cli_helpers import cli, strict

from playground import scenarios
from playground.optimizers import OPTIMIZERS
from playground.settings import lr_origin, parse_run, resolve


@pytest.mark.parametrize(("name", "lr", "origin"), [
    ("sgd", 0.001, "rosenbrock's [defaults]"),  # the optimizer rosenbrock starts with
    ("adam", 0.05, "rosenbrock's [defaults.adam]"),
    ("lbfgs", 1.0, "torch's default for LBFGS"),
    ("adagrad", 0.01, "torch's default for Adagrad"),
    ("adadelta", 1.0, "torch's default for Adadelta"),
    ("adafactor", 0.01, "torch's default for Adafactor"),
])
def test_an_optimizer_without_an_lr_in_the_scenario_starts_at_its_own_default(name: str, lr: float, origin: str) -> None:
    s = scenarios.load("rosenbrock")
    config = resolve(s, optimizer=name)
    assert config.hyper["lr"] == lr
    assert lr_origin(s, config) == origin
    assert lr_origin(s, resolve(s, optimizer=name, hyper={"lr": 0.123})) is None  # set by the person


def test_the_shared_momentum_still_applies_to_every_optimizer_that_takes_it() -> None:
    s = scenarios.load("rosenbrock")  # [defaults] momentum = 0.9
    assert resolve(s, optimizer="rmsprop").hyper["momentum"] == 0.9
    assert resolve(s, optimizer="rmsprop").hyper["lr"] == OPTIMIZERS["rmsprop"].defaults()["lr"]


def test_a_race_lane_without_lr_takes_the_same_rate_as_a_run() -> None:
    s = scenarios.load("rosenbrock")
    assert parse_run(s, "lbfgs").hyper["lr"] == 1.0
    assert parse_run(s, "sgd").hyper["lr"] == 0.001


def test_lbfgs_on_rosenbrock_now_arrives_and_run_says_where_its_lr_came_from(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "run", "rosenbrock", "--optimizer", "lbfgs", "--steps", "100")
    assert code == 0, err
    assert "lr           1 (torch's default for LBFGS)" in out.splitlines()
    code, out, err = cli(capsys, "run", "rosenbrock", "--optimizer", "lbfgs", "--steps", "100", "--format", "json")
    result = strict(out)
    assert result["optimizer"]["lr"] == 1 and result["lr_from"] == "torch's default for LBFGS"
    assert result["final_loss"] < 1e-6  # 5.07 at rosenbrock's SGD rate of 0.001


def test_an_lr_given_by_flag_has_no_origin_to_say(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "run", "rosenbrock", "--optimizer", "lbfgs", "--lr", "0.5", "--steps", "2", "--format", "json")
    assert code == 0 and strict(out)["lr_from"] is None
    code, out, err = cli(capsys, "run", "rosenbrock", "--optimizer", "lbfgs", "--lr", "0.5", "--steps", "2")
    assert not [line for line in out.splitlines() if line.startswith("lr ")]
