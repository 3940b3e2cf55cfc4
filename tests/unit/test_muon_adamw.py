"""Muon on a network: Muon takes the weight matrices between hidden layers, AdamW the rest (the
biases, the first and the last layer), as torch's documentation recommends. The pair equals the
plain loop that steps torch.optim.Muon and torch.optim.AdamW built from the JSON's two objects,
exactly; a schedule and an edited setting reach the right optimizer."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from playground import scenarios
from playground.engine import Run
from playground.errors import ConfigError
from playground.report import result, sweep_result
from playground.settings import resolve


def plain_loop(scenario, optimizer: dict, steps: int, seed: int = 0, schedule=None):  # noqa: ANN001, ANN201
    """What someone would write: the MLP by hand, Muon on its hidden matrix, AdamW on the rest."""
    pts = scenario.points()
    x, y = torch.from_numpy(pts.train_x), torch.from_numpy(pts.train_y)
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 2))
    hidden = [model[2].weight]
    rest = [model[0].weight, model[0].bias, model[2].bias, model[4].weight, model[4].bias]
    as_torch = lambda d: {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}  # noqa: E731
    muon = torch.optim.Muon(hidden, **as_torch(optimizer["muon"]))
    adamw = torch.optim.AdamW(rest, **as_torch(optimizer["adamw"]))
    schedulers = [schedule(muon), schedule(adamw)] if schedule else []
    losses = []
    for _ in range(steps):
        muon.zero_grad()
        adamw.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        losses.append(loss.item())
        loss.backward()
        muon.step()
        adamw.step()
        for s in schedulers:
            s.step()
    with torch.no_grad():
        losses.append(nn.functional.cross_entropy(model(x), y).item())
    return model, losses, (muon, adamw)


def test_muon_and_adamw_on_moons_equal_the_plain_loop_exactly():
    s = scenarios.load("moons")
    run = Run(s, resolve(s, optimizer="muon", hyper={"lr": 0.02, "adamw_lr": 0.01, "adamw_betas": (0.8, 0.99)}, steps=60))
    run.step(60)
    out = json.loads(json.dumps(result(run)))
    optimizer = out["optimizer"]
    assert set(optimizer) == {"name", "matrices", "muon", "adamw"} and optimizer["name"] == "muon"
    assert optimizer["matrices"] == "hidden"  # moons' MLP has a matrix between its hidden layers
    assert optimizer["muon"]["lr"] == 0.02 and optimizer["adamw"] == {"lr": 0.01, "betas": [0.8, 0.99], "eps": 1e-8, "weight_decay": 0.01, "amsgrad": False}
    assert "adamw_lr" not in optimizer["muon"]
    model, losses, _ = plain_loop(s, optimizer, 60)
    assert run.history.loss.tolist() == losses
    for mine, theirs in zip(run.model.parameters(), model.parameters(), strict=True):
        assert torch.equal(mine, theirs)
    assert losses[-1] < 0.5 * losses[0]


def test_a_schedule_moves_both_rates_and_an_edit_reaches_only_its_optimizer():
    s = scenarios.load("moons")
    config = resolve(s, optimizer="muon", hyper={"lr": 0.02, "adamw_lr": 0.01}, steps=40, schedule="step step_size=10 gamma=0.5")
    run = Run(s, config)
    run.step(40)
    optimizer = result(run)["optimizer"]
    model, losses, (muon, adamw) = plain_loop(s, optimizer, 40, schedule=lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=10, gamma=0.5))
    assert run.history.loss.tolist() == losses
    pair = run.optimizer
    assert pair.parts[0].param_groups[0]["lr"] == muon.param_groups[0]["lr"] == 0.02 / 16
    assert pair.parts[1].param_groups[0]["lr"] == adamw.param_groups[0]["lr"] == 0.01 / 16
    # AdamW's rate doubled under the schedule: AdamW's rates scale, Muon's stay
    run.apply(resolve(s, optimizer="muon", hyper={"lr": 0.02, "adamw_lr": 0.02}, steps=40, schedule="step step_size=10 gamma=0.5"))
    assert pair.parts[1].param_groups[0]["lr"] == 0.02 / 16 and pair.parts[0].param_groups[0]["lr"] == 0.02 / 16
    run.apply(resolve(s, optimizer="muon", hyper={"lr": 0.02, "adamw_lr": 0.02, "adamw_weight_decay": 0.5, "momentum": 0.8}, steps=40, schedule="step step_size=10 gamma=0.5"))
    assert pair.parts[1].param_groups[0]["weight_decay"] == 0.5 and pair.parts[0].param_groups[0]["weight_decay"] == 0.1
    assert pair.parts[0].param_groups[0]["momentum"] == 0.8 and "momentum" not in pair.parts[1].param_groups[0]


def test_a_model_with_one_hidden_layer_has_no_matrix_between_hidden_layers_so_muon_takes_every_one():
    """Everyday 2, item 10: Muon was refused on every bundled set with one hidden layer. There it
    takes every weight matrix (torch's documentation's own example), AdamW the biases: equal to
    that plain loop; `matrices = hidden` is still refused, naming the setting, and the run keeps
    its optimizer."""
    s = scenarios.load("blobs")  # hidden = [8]
    config = resolve(s, optimizer="muon", hyper={"lr": 0.02}, steps=30)
    assert config.hyper["matrices"] == "all"
    run = Run(s, config)
    run.step(30)
    optimizer = json.loads(json.dumps(result(run)))["optimizer"]
    assert optimizer["matrices"] == "all"
    pts = s.points()
    x, y = torch.from_numpy(pts.train_x), torch.from_numpy(pts.train_y)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, s.dataset.classes))
    muon = torch.optim.Muon([model[0].weight, model[2].weight], **{k: tuple(v) if isinstance(v, list) else v for k, v in optimizer["muon"].items()})
    adamw = torch.optim.AdamW([model[0].bias, model[2].bias], **{k: tuple(v) if isinstance(v, list) else v for k, v in optimizer["adamw"].items()})
    for _ in range(30):
        muon.zero_grad()
        adamw.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        muon.step()
        adamw.step()
    for mine, theirs in zip(run.model.parameters(), model.parameters(), strict=True):
        assert torch.equal(mine, theirs)

    with pytest.raises(ConfigError, match="matrices: .*this model has one hidden layer, so none; set matrices to all"):
        Run(s, resolve(s, optimizer="muon", hyper={"matrices": "hidden"}))
    run = Run(s, resolve(s))
    run.step(3)
    with pytest.raises(ConfigError):
        run.apply(resolve(s, optimizer="muon", hyper={"matrices": "hidden"}))
    assert run.config.optimizer == "sgd" and type(run.optimizer).__name__ == "SGD"
    run.step(1)
    assert run.step_count == 4


def test_a_change_of_matrices_builds_muon_anew_on_the_others() -> None:
    s = scenarios.load("moons")
    run = Run(s, resolve(s, optimizer="muon", steps=10))
    run.step(5)
    said = run.apply(resolve(s, optimizer="muon", hyper={"matrices": "all"}, steps=10))
    assert "Muon on all matrices from step 5: fresh optimizer state" in said
    assert len(run.optimizer.parts[0].param_groups[0]["params"]) == 3  # every layer's weight


def test_on_a_surface_muon_is_alone_and_its_json_rebuilds_it():
    s = scenarios.load("rosenbrock")
    run = Run(s, resolve(s, optimizer="muon", steps=3))
    run.step(3)
    optimizer = result(run)["optimizer"]
    assert not any(k.startswith("adamw") for k in optimizer)
    torch.optim.Muon([torch.zeros(1, 2, requires_grad=True)], **{k: tuple(v) if isinstance(v, list) else v for k, v in optimizer.items() if k != "name"})


def test_a_sweep_of_muon_on_a_network_varies_muons_lr_only():
    s = scenarios.load("moons")
    optimizer = sweep_result(s, resolve(s, optimizer="muon"), [])["optimizer"]
    assert "lr" not in optimizer["muon"] and optimizer["adamw"]["lr"] == 0.001


def test_the_pairs_state_is_both_states_and_reading_it_adds_nothing():
    """What the inside-the-optimizer panel (g) reads: Muon's momentum buffer over its matrix and
    AdamW's moments over the rest; looking a parameter up leaves each torch state as it was."""
    s = scenarios.load("moons")
    run = Run(s, resolve(s, optimizer="muon"))
    run.step(3)
    muon, adamw = run.optimizer.parts
    sizes = {k: len(v) for k, v in run.optimizer_state().items() if isinstance(v, list) and len(v) > 1}
    assert sizes == {"momentum_buffer": 16 * 16, "exp_avg": 2 * 16 + 16 + 16 + 16 * 2 + 2, "exp_avg_sq": 98}
    assert len(muon.state) == 1 and len(adamw.state) == 5
