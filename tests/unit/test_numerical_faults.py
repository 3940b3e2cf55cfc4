"""Numerical faults: divergence at absurd learning rates, gradients at points where the function
is not differentiable, overflow inside a formula, an optimizer that raises. In each case the run
stops and says why (stop_reason), `run --format json` stays strict JSON (null for what is not
finite), the text and CSV outputs hold no nan/inf, and `playground run` exits 0: the run happened,
and its output says how it ended (exit 2 is for bad input only).
"""

from __future__ import annotations

from dataclasses import replace

import csv
import io
import json
import math
import re
from pathlib import Path

import pytest

from playground import engine, report, scenarios
from playground.cli import main
from playground.engine import Run
from playground.errors import ConfigError
from playground.optimizers import OPTIMIZERS
from playground.settings import resolve


def strict_json(text: str):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def surface(tmp_path: Path, formula: str, start: tuple[float, float], domain: float = 2.0, extra: str = "") -> scenarios.Scenario:
    path = tmp_path / "s.toml"
    path.write_text(
        f'[scenario]\nname = "S"\nkind = "surface"\n[surface]\nformula = "{formula}"\n'
        f"x = [-{domain}, {domain}]\ny = [-{domain}, {domain}]\nstart = [{start[0]}, {start[1]}]\n{extra}"
    )
    return scenarios.load_file(path)


def assert_reported_cleanly(run: Run) -> dict:
    """JSON strict and consistent with the run; CSV and text hold no nan or inf."""
    text = report.to_json(run)
    assert not re.search(r"\b(NaN|Infinity)\b", text)
    d = strict_json(text)
    assert d["diverged"] is run.diverged
    assert d["diverged_at"] == run.diverged_at
    assert d["stop_reason"] == run.stop_reason
    assert len(d["loss"]) == d["steps"] + 1
    if run.diverged:
        assert d["steps"] == d["diverged_at"]
        assert isinstance(d["stop_reason"], str) and d["stop_reason"] and "\n" not in d["stop_reason"]
    for key in ("loss", "grad_norm", "lr"):
        assert all(v is None or (isinstance(v, float | int) and math.isfinite(v)) for v in d[key]), key
    for point in d.get("trajectory", []):
        assert all(v is None or math.isfinite(v) for v in point)
    assert d["final_loss"] is None or math.isfinite(d["final_loss"])
    table = list(csv.reader(io.StringIO(report.to_csv(run))))
    assert len(table) == d["steps"] + 2
    assert not any(cell.lower() in ("nan", "inf", "-inf") for row in table for cell in row)
    summary = report.to_text(run)
    if run.diverged:
        assert run.stop_reason in summary
    return d


# ---------------------------------------------------------------- absurd learning rates, every optimizer


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_an_absurd_learning_rate_on_a_surface_stops_the_run_and_says_why(name):
    s = scenarios.load("rosenbrock")
    run = Run(s, resolve(s, optimizer=name, hyper={"lr": 1e300}, steps=100))
    run.step(100)
    d = assert_reported_cleanly(run)
    if name == "rprop":
        # Rprop's step is clamped to step_sizes (at most 50): it cannot blow up, whatever lr says
        assert not run.diverged and all(abs(b - a) <= 50 for a, b in zip(d["trajectory"][-2], d["trajectory"][-1]))
    elif name == "adafactor":
        # Adafactor's rate is min(lr, 1/sqrt(t)): any lr >= 1 is lr = 1, as its explanation says
        same = Run(s, resolve(s, optimizer=name, hyper={"lr": 1.0}, steps=100))
        same.step(100)
        assert not run.diverged and d["trajectory"] == same.history.trajectory().tolist()
        assert "above 1 is the same as 1" in OPTIMIZERS[name].when
    else:
        assert run.diverged and run.diverged_at <= 3
        if "too large" in run.stop_reason:  # pytorch-optimizer's arithmetic overflows first (Schedule-Free's lr², Prodigy's d·lr)
            assert OPTIMIZERS[name].zoo
            assert d["final_loss"] == run.history.loss.last()  # refused before it moved: the loss where it stands
        else:
            assert re.search(r"became (inf|-inf|nan)", run.stop_reason), run.stop_reason
            assert d["final_loss"] is None


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_an_absurd_learning_rate_on_a_dataset_stops_the_run_and_says_why(name):
    s = scenarios.load("moons")
    run = Run(s, resolve(s, optimizer=name, hyper={"lr": 1e300}, steps=20))
    run.step(20)
    assert_reported_cleanly(run)
    if name == "adafactor":  # its rate is min(lr, 1/sqrt(t)): lr = 1e300 is lr = 1
        same = Run(s, resolve(s, optimizer=name, hyper={"lr": 1.0}, steps=20))
        same.step(20)
        assert not run.diverged and run.history.loss.tolist() == same.history.loss.tolist()
        return
    assert run.diverged
    # float32 weights cannot take lr = 1e300 at all, or the loss blows up
    assert "float32" in run.stop_reason or "became" in run.stop_reason or "overflowed inside the optimizer" in run.stop_reason, run.stop_reason


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop", "adagrad"])
def test_a_large_but_representable_learning_rate_on_a_dataset_diverges_with_the_loss_named(name):
    s = scenarios.load("sine")
    run = Run(s, resolve(s, optimizer=name, hyper={"lr": 1e30}, steps=50))
    run.step(50)
    assert_reported_cleanly(run)
    assert run.diverged and "became" in run.stop_reason


def test_a_diverged_run_can_be_reset_and_run_again():
    s = scenarios.load("rosenbrock")
    run = Run(s, resolve(s, optimizer="sgd", hyper={"lr": 1.0}, steps=50))
    run.step(50)
    assert run.diverged
    assert run.step(5) == 0  # stepping a stopped run does nothing
    run.apply(replace(run.config, hyper={**run.config.hyper, "lr": 1e-4}))
    run.reset()
    assert not run.diverged and run.stop_reason is None
    assert run.step(20) == 20 and not run.diverged


# ---------------------------------------------------------------- points where the gradient is not defined


def test_sqrt_at_its_kink_stops_at_step_0_naming_the_gradient(tmp_path):
    """sqrt(x**2 + y**2) at (0, 0): the value is 0, the gradient is 0 * inf = nan."""
    s = surface(tmp_path, "sqrt(x**2 + y**2)", (0.0, 0.0))
    run = Run(s, resolve(s, optimizer="sgd", hyper={"lr": 0.1}, steps=10))
    run.step(10)
    d = assert_reported_cleanly(run)
    assert run.diverged_at == 0 and d["steps"] == 0
    assert "gradient" in run.stop_reason and "differentiable" in run.stop_reason
    assert d["loss"] == [0.0] and d["grad_norm"] == [None]
    assert d["trajectory"] == [[0.0, 0.0]]


def test_sqrt_at_a_kink_reached_during_the_run(tmp_path):
    """Started on the x axis, plain SGD on sqrt(x**2) lands exactly on 0 after one step."""
    s = surface(tmp_path, "sqrt(x**2) + y**2", (0.5, 0.0))
    run = Run(s, resolve(s, optimizer="sgd", hyper={"lr": 0.5}, steps=10))
    run.step(10)
    assert_reported_cleanly(run)
    assert run.diverged_at == 1 and "gradient" in run.stop_reason


def test_abs_at_its_kink_has_a_zero_subgradient_and_counts_as_converged(tmp_path):
    s = surface(tmp_path, "abs(x) + abs(y)", (0.0, 0.0))
    run = Run(s, resolve(s, optimizer="adam", steps=5))
    run.step(5)
    d = assert_reported_cleanly(run)
    assert not run.diverged and run.converged
    assert d["trajectory"][-1] == [0.0, 0.0]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_on_a_kinked_surface_never_raises_and_reports_cleanly(tmp_path, name):
    s = surface(tmp_path, "abs(x) + sqrt(abs(y)) + max(x, y)", (0.3, -0.2))
    run = Run(s, resolve(s, optimizer=name, steps=60))
    run.step(60)
    assert_reported_cleanly(run)
    assert run.stop_reason is None or "raised" not in run.stop_reason


# ---------------------------------------------------------------- overflow inside a formula


def test_overflow_in_a_formula_stops_the_run(tmp_path):
    """-exp(exp(x)) falls without bound: the loss overflows to -inf within a few steps."""
    s = surface(tmp_path, "-exp(exp(x)) + y**2", (1.0, 0.5), domain=3.0)
    run = Run(s, resolve(s, optimizer="sgd", hyper={"lr": 0.01}, steps=100))
    run.step(100)
    d = assert_reported_cleanly(run)
    assert run.diverged and "the loss became -inf" in run.stop_reason
    assert d["loss"][-1] is None and d["loss"][0] == pytest.approx(-math.exp(math.e) + 0.25)


def test_a_formula_that_is_nan_beyond_its_domain_stops_the_run(tmp_path):
    """log(x) with a step that crosses 0: nan, not an exception."""
    s = surface(tmp_path, "log(x) + x + y**2", (0.5, 0.0))
    run = Run(s, resolve(s, optimizer="sgd", hyper={"lr": 1.0}, steps=10))
    run.step(10)
    assert_reported_cleanly(run)
    assert run.diverged and "nan" in run.stop_reason


def test_a_drawing_of_an_overflowing_surface_has_no_exception(tmp_path):
    import numpy as np

    s = surface(tmp_path, "exp(exp(x))", (0.0, 0.0), domain=8.0)
    xs = np.linspace(-8, 8, 50)
    with np.errstate(all="ignore"):
        grid = s.surface.formula.numpy(*np.meshgrid(xs, xs))
    assert np.isinf(grid).any() and np.isfinite(grid).any()


# ---------------------------------------------------------------- an optimizer that raises


class Boom(RuntimeError):
    pass


def _raising_step(optimizer):
    def step(closure=None):
        raise Boom("the optimizer gave up\nsecond line")

    return step


@pytest.mark.parametrize("scenario", ["rosenbrock", "moons"])
def test_an_optimizer_that_raises_stops_the_run_with_its_message(monkeypatch, scenario):
    monkeypatch.setattr(engine.torch_internals, "plain_step", _raising_step)
    s = scenarios.load(scenario)
    run = Run(s, resolve(s, steps=10))
    assert run.step(10) == 0
    d = assert_reported_cleanly(run)
    assert run.stop_reason == "training raised Boom: the optimizer gave up"
    assert d["steps"] == 0 and d["loss"][0] is not None


def test_an_optimizer_that_raises_through_the_cli_gives_strict_json_and_exit_0(monkeypatch, capsys):
    monkeypatch.setattr(engine.torch_internals, "plain_step", _raising_step)
    monkeypatch.setattr(engine, "warm_up", lambda: None)  # it steps a throwaway optimizer too
    assert main(["run", "rosenbrock", "--steps", "5", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    d = strict_json(out)
    assert d["diverged"] is True and d["stop_reason"] == "training raised Boom: the optimizer gave up"
    assert "Traceback" not in err


# ---------------------------------------------------------------- the CLI: strict JSON after any of these, exit 0


@pytest.mark.parametrize(
    "args",
    [
        ["rosenbrock", "--lr", "1e300", "--steps", "20"],
        ["rosenbrock", "--optimizer", "adam", "--lr", "1e300", "--steps", "20"],
        ["rosenbrock", "--optimizer", "lbfgs", "--lr", "1e300", "--steps", "5"],
        ["moons", "--lr", "1e300", "--steps", "5"],
        ["sine", "--optimizer", "adam", "--lr", "1e30", "--steps", "20"],
    ],
)
def test_the_cli_after_divergence_prints_strict_json_and_exits_0(args, capsys):
    assert main(["run", *args, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert not re.search(r"\b(NaN|Infinity)\b", out)
    d = strict_json(out)
    assert d["diverged"] is True and d["stop_reason"]
    assert err == ""


def test_the_cli_text_summary_says_where_and_why_it_stopped(capsys):
    assert main(["run", "rosenbrock", "--lr", "1e300", "--steps", "20"]) == 0
    out, _ = capsys.readouterr()
    assert re.search(r"stopped\s+at step 1: the loss became inf", out), out


def test_the_cli_on_a_kinked_start_reports_the_gradient(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cone.toml").write_text(
        '[scenario]\nname = "Cone"\nkind = "surface"\n[surface]\nformula = "sqrt(x**2 + y**2)"\n'
        "x = [-1.0, 1.0]\ny = [-1.0, 1.0]\nstart = [0.0, 0.0]\n"
    )
    assert main(["run", "cone.toml", "--format", "json"]) == 0
    d = strict_json(capsys.readouterr().out)
    assert d["diverged_at"] == 0 and "gradient" in d["stop_reason"]
    assert d["grad_norm"] == [None] and d["loss"] == [0.0]
