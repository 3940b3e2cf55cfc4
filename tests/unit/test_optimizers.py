"""The optimizer registry against torch itself: same defaults, same trajectories as a plain loop."""

from __future__ import annotations

from dataclasses import replace

import inspect

import numpy as np
import pytest
import torch

from playground import scenarios, torch_internals
from playground.engine import Run
from playground.errors import ConfigError
from playground.optimizers import OPTIMIZERS, get_optimizer
from playground.settings import resolve

EXPECTED = {"sgd", "adam", "adamw", "nadam", "radam", "adamax", "rmsprop", "adagrad", "adadelta", "rprop", "asgd", "lbfgs"}
STEPS = 50
LBFGS_STEPS = 8  # each LBFGS step is up to 20 inner iterations


def test_registry_offers_every_optimizer_the_issue_names():
    assert set(OPTIMIZERS) >= EXPECTED
    for spec in OPTIMIZERS.values():  # torch's, and the zoo's from pytorch-optimizer (the test extra installs it)
        assert spec.library in ("torch.optim", "pytorch_optimizer") and isinstance(spec.optimizer_class(), type)
    assert {"lion", "schedulefree_adamw", "prodigy", "soap", "adopt", "ademamix"} <= {n for n, spec in OPTIMIZERS.items() if spec.zoo}
    names = {n: set(OPTIMIZERS[n].names()) for n in OPTIMIZERS}
    assert {"lr", "momentum", "dampening", "nesterov", "weight_decay"} <= names["sgd"]
    assert "amsgrad" in names["adam"]
    assert {"alpha", "momentum", "centered"} <= names["rmsprop"]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_registry_defaults_equal_torch_constructor_defaults(name):
    spec = OPTIMIZERS[name]
    for h in spec.hyper:  # a partner's settings (Muon's adamw_lr) are the partner's own (AdamW's lr)
        if h.takes:  # the playground's (which matrices Muon takes), not a keyword of the class
            continue
        owner = OPTIMIZERS[h.group] if h.group else spec
        params = inspect.signature(owner.optimizer_class().__init__).parameters
        keyword = h.name.removeprefix(f"{h.group}_")
        assert keyword in params, f"{owner} has no keyword {keyword}"
        torch_default = params[keyword].default
        assert torch_default is not inspect.Parameter.empty
        if isinstance(torch_default, tuple):
            assert tuple(h.default) == torch_default, h.name
        else:
            assert h.default == torch_default, h.name
    # a registry-built optimizer has torch's own defaults in its param group
    shape = (1, 2) if spec.matrix_only else (2,)  # Muon takes 2-D parameters only
    p = torch.zeros(shape, requires_grad=True)
    built = spec.build([p], spec.defaults())
    plain = spec.optimizer_class()([torch.zeros(shape, requires_grad=True)])
    for h in spec.shown(surface=True):
        assert built.param_groups[0][h.name] == plain.param_groups[0][h.name], h.name


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_default_is_inside_its_own_valid_range(name):
    spec = OPTIMIZERS[name]
    assert spec.validate({}) == spec.defaults()


def test_unknown_optimizer_suggests_closest():
    with pytest.raises(ConfigError, match="did you mean 'adam'"):
        get_optimizer("adamm")
    assert get_optimizer(" Adam ").name == "adam"


# ---------------------------------------------------------------- trajectories against a plain loop


def plain_loop(scenario, optimizer_name, hyper, steps, start=None, changes=None):
    """What someone would write by hand: float64 point, zero_grad / loss / backward / step.
    `changes` maps a step index to {param_group key: value} applied before that step."""
    spec = OPTIMIZERS[optimizer_name]
    f = scenario.surface.formula.torch
    point = [list(start or scenario.surface.start)]  # Muon takes 2-D parameters only: one 1×2 matrix
    p = torch.tensor(point if spec.matrix_only else point[0], dtype=torch.float64, requires_grad=True)
    opt = spec.optimizer_class()([p], **{k: tuple(v) if isinstance(v, list) else v for k, v in spec.own(hyper).items()})

    def closure():
        opt.zero_grad()
        x, y = p.reshape(2)
        loss = f(x, y)
        loss.backward()
        return loss

    points = [p.detach().reshape(2).clone()]
    for k in range(steps):
        for key, value in (changes or {}).get(k, {}).items():
            opt.param_groups[0][key] = value
        if spec.needs_closure:
            opt.step(closure)
        else:
            closure()
            opt.step()
        points.append(p.detach().reshape(2).clone())
    return torch.stack(points).numpy()


def losses_of(scenario, trajectory):
    return np.array([scenario.surface.value(x, y) for x, y in trajectory])


@pytest.mark.parametrize("torch_path", ["fast", "plain"])
@pytest.mark.parametrize("surface", ["rosenbrock", "himmelblau", "ill_conditioned"])
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_trajectory_equals_plain_torch_loop(surface, name, torch_path, monkeypatch):
    """Both ways of stepping: torch_internals' shortcuts, and torch's public API only
    (PLAYGROUND_PLAIN_TORCH=1), give the same trajectory as a hand-written loop."""
    monkeypatch.setenv("PLAYGROUND_PLAIN_TORCH", "1" if torch_path == "plain" else "0")
    if torch_internals.mode() != torch_path:
        pytest.skip(f"torch {torch.__version__}: the shortcuts are written for {torch_internals.WRITTEN_FOR}")
    s = scenarios.load(surface)
    # at torch's lr (0.01) ASGD leaves rosenbrock's valley in 7 steps: compared where it stays
    config = resolve(s, optimizer=name, hyper={"lr": 0.001} if (name, surface) == ("asgd", "rosenbrock") else None)
    steps = LBFGS_STEPS if OPTIMIZERS[name].needs_closure else STEPS
    run = Run(s, config)
    assert run.step(steps) == steps
    traj = run.history.trajectory()
    ref = plain_loop(s, name, config.hyper, steps)
    assert traj.shape == ref.shape == (steps + 1, 2)
    assert np.isfinite(ref).all()
    assert np.abs(ref[-1] - ref[0]).max() > 1e-4  # the test means something only if the point moves
    np.testing.assert_allclose(traj, ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(run.history.loss.array(), losses_of(s, ref), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "hyper"),
    [
        ("sgd", {"lr": 0.001, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}),
        ("sgd", {"lr": 0.0005, "momentum": 0.5, "nesterov": True}),
        ("adam", {"lr": 0.05, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.01}),
        ("rmsprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True}),
        ("nadam", {"lr": 0.02, "decoupled_weight_decay": True, "weight_decay": 0.1}),
        ("rprop", {"lr": 0.05, "etas": (0.4, 1.5), "step_sizes": (1e-5, 1.0)}),
        ("lbfgs", {"lr": 0.5, "line_search_fn": "strong_wolfe", "history_size": 5}),
        ("adafactor", {"lr": 0.05, "beta2_decay": -0.5, "eps": (1e-20, 1e-2), "d": 2.0, "weight_decay": 0.1}),
    ],
    ids=lambda v: v if isinstance(v, str) else "-".join(map(str, v)),
)
def test_non_default_hyperparameters_match_plain_loop(name, hyper):
    s = scenarios.load("rosenbrock")
    config = resolve(s, optimizer=name, hyper=hyper)
    for k, v in hyper.items():
        assert config.hyper[k] == v
    steps = LBFGS_STEPS if name == "lbfgs" else STEPS
    run = Run(s, config)
    run.step(steps)
    np.testing.assert_allclose(run.history.trajectory(), plain_loop(s, name, config.hyper, steps), rtol=0, atol=1e-9)


def test_custom_start_point():
    s = scenarios.load("himmelblau")
    config = resolve(s, optimizer="adam")
    run = Run(s, config, start=(-1.0, -1.0))
    run.step(STEPS)
    np.testing.assert_allclose(
        run.history.trajectory(), plain_loop(s, "adam", config.hyper, STEPS, start=(-1.0, -1.0)), atol=1e-9
    )


# ---------------------------------------------------------------- changing settings mid-run


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("sgd", {"lr": 0.0002}),
        ("sgd", {"momentum": 0.5}),
        ("adam", {"lr": 0.005}),
        ("rmsprop", {"lr": 0.003}),
        ("adam", {"betas": (0.5, 0.9)}),
    ],
)
def test_mid_run_hyperparameter_change_keeps_optimizer_state(name, change):
    s = scenarios.load("rosenbrock")
    config = resolve(s, optimizer=name)
    run = Run(s, config)
    run.step(20)
    state_before = run.optimizer_state()
    message = run.apply(replace(config, hyper={**config.hyper, **change}))
    assert message and "20" in message
    assert run.optimizer_state() == state_before  # same state object, untouched by the change
    for k, v in change.items():
        assert run.optimizer.param_groups[0][k] == v
    run.step(30)
    ref = plain_loop(s, name, config.hyper, 50, changes={20: change})
    np.testing.assert_allclose(run.history.trajectory(), ref, rtol=0, atol=1e-9)
    # a fresh optimizer at step 20 would have gone elsewhere: the state mattered
    fresh = plain_loop(s, name, replace(config, hyper={**config.hyper, **change}).hyper, 30, start=tuple(ref[20]))
    assert np.abs(fresh[-1] - ref[-1]).max() > 1e-6
    assert run.history.lr[19] == config.hyper["lr"]
    assert run.history.lr[50] == change.get("lr", config.hyper["lr"])
    assert run.history.events and run.history.events[-1][0] == 20


def test_switching_optimizer_keeps_the_parameters_and_starts_fresh_state():
    s = scenarios.load("rosenbrock")
    sgd = resolve(s, optimizer="sgd")
    run = Run(s, sgd)
    run.step(25)
    here = run.point
    adam = resolve(s, optimizer="adam")
    run.apply(adam)
    assert run.point == here
    assert run.optimizer_state() == {}
    assert run.config.optimizer == "adam" and isinstance(run.optimizer, torch.optim.Adam)
    run.step(25)
    traj = run.history.trajectory()
    assert traj.shape == (51, 2)
    np.testing.assert_allclose(traj[:26], plain_loop(s, "sgd", sgd.hyper, 25), atol=1e-9)
    np.testing.assert_allclose(traj[25:], plain_loop(s, "adam", adam.hyper, 25, start=here), atol=1e-9)


def test_switching_to_lbfgs_mid_run():
    s = scenarios.load("himmelblau")
    run = Run(s, resolve(s, optimizer="sgd"))
    run.step(3)
    here = run.point
    lbfgs = resolve(s, optimizer="lbfgs")
    run.apply(lbfgs)
    run.step(4)
    np.testing.assert_allclose(run.history.trajectory()[3:], plain_loop(s, "lbfgs", lbfgs.hyper, 4, start=here), atol=1e-9)


def test_applying_the_same_config_changes_nothing():
    s = scenarios.load("rosenbrock")
    config = resolve(s)
    run = Run(s, config)
    run.step(5)
    assert run.apply(config) == ""
    assert run.history.events == []


def test_adafactors_eps_pair_takes_none_first_only() -> None:
    eps = OPTIMIZERS["adafactor"].hyper_named("eps")
    assert eps.parse("none,0.01") == (None, 0.01) and eps.parse("1e-30, 1e-3") == (1e-30, 1e-3)
    assert eps.check(["none", 0.001]) == (None, 0.001)  # as a TOML file writes it
    for bad in ("0.1,none", "none", "-1,0.1"):
        with pytest.raises(ValueError):
            eps.parse(bad)
    assert "the first may be none" in eps.describe_range()
    with pytest.raises(ValueError):
        OPTIMIZERS["adam"].hyper_named("betas").parse("none,0.9")  # only where torch takes it
