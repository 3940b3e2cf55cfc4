"""Learning-rate schedules, gradient clipping, races (compare mode) and curvature, in the engine.

Every trajectory is checked against a plain torch loop written out here, so the playground shows
what torch does."""

from __future__ import annotations

import math
from dataclasses import replace
import warnings

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler

from playground import scenarios
from playground.engine import Run
from playground.errors import ConfigError
from playground.limits import LANES as MAX_LANES
from playground.race import PRESET, Race
from playground.schedules import SCHEDULES, get_schedule, parse_schedule
from playground.settings import describe, parse_run, resolve

ROSEN = scenarios.load("rosenbrock")


def rosen(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


def bare(schedule, clip: float, steps: int = 60, lr: float = 1e-3):
    """A plain torch loop: SGD with momentum 0.9, the schedule stepped after each update."""
    p = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=0.9)
    make = {
        "constant": lambda: None,
        "step": lambda: lr_scheduler.StepLR(opt, step_size=10, gamma=0.5),
        "exponential": lambda: lr_scheduler.ExponentialLR(opt, gamma=0.95),
        "cosine": lambda: lr_scheduler.CosineAnnealingLR(opt, T_max=steps),
        "onecycle": lambda: lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=20, cycle_momentum=False),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sched = make[schedule]()
    points, lrs = [p.tolist()], [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.zero_grad()
        rosen(p).backward()
        if clip:
            torch.nn.utils.clip_grad_norm_([p], clip)
        opt.step()
        if sched is not None and (schedule != "onecycle" or sched.last_epoch < 19):
            sched.step()
        points.append(p.tolist())
        lrs.append(opt.param_groups[0]["lr"])
    return np.array(points), np.array(lrs)


SPECS = {
    "constant": "constant",
    "step": "step step_size=10 gamma=0.5",
    "exponential": "exponential gamma=0.95",
    "cosine": "cosine",
    "onecycle": "onecycle total_steps=20",
}


@pytest.mark.parametrize("clip", [0.0, 1.0])
@pytest.mark.parametrize("name", list(SPECS))
def test_schedules_and_clipping_follow_a_plain_torch_loop(name, clip):
    config = resolve(ROSEN, optimizer="sgd", hyper={"lr": 1e-3, "momentum": 0.9, "nesterov": False}, steps=60, schedule=SPECS[name], clip=clip)
    run = Run(ROSEN, config)
    assert run.step(60) == 60
    want, want_lr = bare(name, clip)
    assert np.abs(run.history.trajectory() - want).max() < 1e-12
    assert np.allclose(run.history.lr.array(), want_lr, rtol=1e-12, atol=0)


def test_step_schedule_halves_the_rate_every_step_size_steps():
    run = Run(ROSEN, resolve(ROSEN, steps=40, schedule="step step_size=10 gamma=0.5"))
    run.step(40)
    lr = run.history.lr.array()
    base = run.config.hyper["lr"]
    assert lr[0] == base and lr[9] == base and lr[10] == base / 2 and lr[40] == base / 16


def test_onecycle_holds_its_last_rate_past_the_cycle_instead_of_raising():
    run = Run(ROSEN, resolve(ROSEN, optimizer="adam", hyper={"lr": 0.05}, steps=30, schedule="onecycle total_steps=30"))
    assert run.step(100) == 100 and not run.diverged
    lr = run.history.lr.array()
    peak = lr.max()
    assert peak == pytest.approx(0.05)
    assert lr[-1] == pytest.approx(0.05 / 25 / 1e4) and lr[-1] == lr[40]


def test_clipping_caps_the_first_step():
    config = resolve(ROSEN, optimizer="sgd", hyper={"lr": 0.01, "momentum": 0.0, "nesterov": False}, clip=0.5)
    run = Run(ROSEN, config)
    run.step(1)
    (x0, y0), (x1, y1) = run.history.trajectory()[:2]
    assert math.hypot(x1 - x0, y1 - y0) == pytest.approx(0.01 * 0.5, rel=1e-5)  # the gradient's norm is ~163
    assert run.history.grad_norm[0] > 100  # the history shows the gradient as it is, unclipped


def test_changing_lr_under_a_schedule_scales_the_schedule_and_a_new_schedule_starts_now():
    config = resolve(ROSEN, steps=100, schedule="step step_size=10 gamma=0.5")
    run = Run(ROSEN, config)
    run.step(15)  # one cut made: lr is base/2
    base = config.hyper["lr"]
    assert run.lr == base / 2
    msg = run.apply(replace(config, hyper={**config.hyper, "lr": base * 4}))
    assert "lr" in msg
    assert run.lr == pytest.approx(base * 2)  # the same point of the schedule, four times higher
    run.step(5)
    assert run.lr == pytest.approx(base)  # the next cut at step 20

    newer = replace(run.config, schedule="exponential", schedule_params={"gamma": 0.9})
    assert "schedule exponential" in run.apply(newer)
    assert run.lr == pytest.approx(base * 4)  # starts from the run's lr again
    run.step(2)
    assert run.lr == pytest.approx(base * 4 * 0.81)
    assert any("schedule" in text for _, text in run.history.events)


def test_schedule_names_and_parameters_are_checked():
    assert parse_schedule("one-cycle pct_start=0.5")[0] == "onecycle"
    for bad, field in [("stepp", "schedule"), ("step gamma=0", "gamma"), ("step step_size=0", "step_size"), ("cosine foo=1", "foo"), ("step gamma", "schedule"), ("", "schedule")]:
        with pytest.raises(ConfigError) as exc:
            parse_schedule(bad)
        assert exc.value.field == field
    assert "did you mean 'step'" in str(pytest.raises(ConfigError, parse_schedule, "stepp").value)
    for spec in SCHEDULES.values():  # every default is valid
        spec.validate({})
    assert get_schedule("cosine").describe({"T_max": 0, "eta_min": 0.0}) == "cosine T_max=0 eta_min=0"


# ------------------------------------------------------------------ races


def test_each_lane_equals_the_same_run_alone():
    texts = ["sgd lr=0.001", "sgd lr=0.001 momentum=0.9 nesterov=true", "adam lr=0.05", "rmsprop lr=0.001 schedule=cosine clip=5"]
    configs = [parse_run(ROSEN, t, steps=150) for t in texts]
    race = Race(ROSEN, configs)
    for _ in range(3):
        race.step(50)
    for lane, config in zip(race.lanes, configs):
        alone = Run(ROSEN, config)
        alone.step(150)
        assert lane.step_count == 150
        assert np.array_equal(lane.history.trajectory(), alone.history.trajectory())


def test_a_lane_is_what_its_text_says():
    plain = parse_run(ROSEN, "sgd")  # the scenario starts SGD with Nesterov momentum; a lane does not
    assert plain.hyper["momentum"] == 0 and plain.hyper["nesterov"] is False
    assert plain.hyper["lr"] == resolve(ROSEN).hyper["lr"]  # lr: the scenario's
    assert describe(parse_run(ROSEN, "sgd momentum=0.9 nesterov=true lr=0.002")) == "sgd lr=0.002 momentum=0.9 nesterov=true"
    assert describe(parse_run(ROSEN, "adam schedule=step gamma=0.3 clip=1")) == "adam lr=0.05 clip=1 schedule=step gamma=0.3"
    for text in ["", "sgdd", "sgd lr", "sgd lr=0", "sgd foo=1", "sgd gamma=0.3", "sgd lr=1 lr=2", "sgd seed=x", "sgd clip=-1"]:
        with pytest.raises(ConfigError):
            parse_run(ROSEN, text)


def test_the_scoreboard_says_when_each_lane_arrived_and_which_diverged():
    race = Race(ROSEN, [parse_run(ROSEN, t, steps=2000) for t in ("sgd", "sgd momentum=0.9 nesterov=true", "adam", "sgd lr=0.01")])
    race.step(2000)
    target, tol = race.tolerance()
    assert target == 0.0 and tol == pytest.approx(12.5e-6)  # the start loss is 12.5, the minimum 0
    scores = race.scores()
    assert [s.label for s in scores] == race.labels()
    plain, nesterov, adam, fast = scores
    assert plain.reached_at is None and plain.diverged_at is None
    loss = race.lanes[1].history.loss.array()
    assert nesterov.reached_at == int(np.flatnonzero(loss <= tol)[0])
    assert adam.reached_at is not None
    assert fast.diverged_at is not None and fast.steps == fast.diverged_at
    assert race.lanes[0].step_count == 2000  # the others went on after one diverged


def test_adding_restarts_the_race_and_lanes_are_limited():
    race = Race(ROSEN, [parse_run(ROSEN, "sgd")])
    race.step(30)
    race.add(parse_run(ROSEN, "adam"))
    assert [lane.step_count for lane in race.lanes] == [0, 0]
    race.reset((0.5, 0.5))
    assert all(lane.point == (0.5, 0.5) for lane in race.lanes)
    for text in PRESET:
        if len(race.lanes) < MAX_LANES:
            race.add(parse_run(ROSEN, text))
    with pytest.raises(ConfigError):
        race.add(parse_run(ROSEN, "sgd"))
    assert race.start == (0.5, 0.5) and all(lane.point == (0.5, 0.5) for lane in race.lanes)
    race.remove(0)
    assert len(race.lanes) == MAX_LANES - 1
    while len(race.lanes) > 1:
        race.remove(0)
    with pytest.raises(ConfigError):
        race.remove(0)


def test_dataset_race_arrives_at_one_percent_of_the_start_loss():
    moons = scenarios.load("moons")
    race = Race(moons, [parse_run(moons, t, steps=300) for t in ("sgd", "adam")])
    race.step(300)
    _, tol = race.tolerance()
    assert tol == pytest.approx(0.01 * race.lanes[0].history.loss[0])
    adam = race.scores()[1]
    assert adam.reached_at is not None and race.lanes[1].history.loss[adam.reached_at] <= tol


# ------------------------------------------------------------------ curvature


def test_curvature_of_a_quadratic_gives_goh_s_optimal_step_and_momentum():
    s = scenarios.load("ill_conditioned")
    run = Run(s, resolve(s))
    c = run.curvature()
    assert c is not None and c.quadratic
    assert (c.low, c.high, c.condition) == pytest.approx((1.0, 100.0, 100.0))
    assert c.best_lr == pytest.approx((2 / (1 + 10)) ** 2)
    assert c.best_momentum == pytest.approx((9 / 11) ** 2)


def test_curvature_where_the_hessian_is_not_positive_definite():
    run = Run(ROSEN, resolve(ROSEN))
    c = run.curvature()
    assert c is not None and not c.quadratic
    assert c.hessian[1][1] == pytest.approx(200.0)
    assert c.hessian[0][0] == pytest.approx(1200 * 1.5**2 - 400 * 2.0 + 2)
    saddle = scenarios.load("saddle")
    s = Run(saddle, resolve(saddle)).curvature()
    assert s is not None and s.low < 0 < s.high and s.condition is None and s.best_lr is None
    assert Run(scenarios.load("moons"), resolve(scenarios.load("moons"))).curvature() is None


def test_gradient_is_the_one_the_next_step_uses():
    run = Run(ROSEN, resolve(ROSEN))
    gx, gy = run.gradient
    x, y = -1.5, 2.0
    assert gx == pytest.approx(-2 * (1 - x) - 400 * x * (y - x * x))
    assert gy == pytest.approx(200 * (y - x * x))


def test_a_length_of_0_is_the_step_budget_and_the_text_prints_the_number_used(capsys) -> None:  # noqa: ANN001
    """Issue 19: `onecycle total_steps=0` was printed as is; 0 means the budget, so say the
    number torch got, and say it beside the field."""
    from playground.cli import main
    from playground.schedules import get_schedule

    onecycle, cosine = get_schedule("onecycle"), get_schedule("cosine")
    assert onecycle.budget_param == "total_steps" and cosine.budget_param == "T_max" and get_schedule("step").budget_param is None
    assert cosine.describe({"T_max": 0, "eta_min": 0.0}, 300) == "cosine T_max=300 eta_min=0"
    assert cosine.describe({"T_max": 0, "eta_min": 0.0}) == "cosine T_max=0 eta_min=0"  # a file keeps the 0
    assert main(["run", "rosenbrock", "--schedule", "onecycle", "--steps", "50"]) == 0
    out = capsys.readouterr().out
    assert "onecycle total_steps=50 " in out and "total_steps=0" not in out
    scenario = scenarios.load("rosenbrock")
    run = Run(scenario, resolve(scenario, steps=50, schedule="onecycle"))
    assert run.scheduler.total_steps == 50  # what torch was given
