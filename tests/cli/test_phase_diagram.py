"""The sweep's second axis (`--momentum-min/-max/-points`): a phase diagram of which (lr,
momentum) pairs converge, checked against heavy ball's exact boundary on a quadratic, and its
process pool against the same cells run one by one."""

from __future__ import annotations

import json
import threading

import pytest

from playground import scenarios, sweep as sweep_module
from cli_helpers import cli, one_error
from playground.settings import resolve
from playground.sweep import cells, learning_rates, momenta, sweep

PHASE = ["sweep", "ill_conditioned", "--optimizer", "sgd", "--no-nesterov", "--lr-min", "0.001", "--lr-max", "0.1", "--points", "9", "--momentum-min", "0", "--momentum-max", "0.95", "--momentum-points", "6", "--steps", "300"]


def test_phase_diagram_json_is_lr_major_with_momentum_beside_lr(capsys):
    code, out, _ = cli(capsys, *PHASE, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert "momentum" not in doc["optimizer"] and "lr" not in doc["optimizer"]
    points = doc["points"]
    assert len(points) == 54 and list(points[0]) == ["lr", "momentum", "final_loss", "diverged", "diverged_at"]
    assert [(p["lr"], p["momentum"]) for p in points] == cells(learning_rates(0.001, 0.1, 9), momenta(0.0, 0.95, 6))
    assert points[0]["momentum"] == 0.0 and points[5]["momentum"] == 0.95 and points[6]["lr"] > points[5]["lr"]


def test_the_cells_agree_with_heavy_balls_boundary_on_the_ill_conditioned_bowl(capsys):
    """0 < lr·λ < 2(1 + m) for the Hessian's eigenvalues 1 and 100 (Goh, 2017): a cell 10% inside
    never diverges, a cell 10% outside always does."""
    code, out, _ = cli(capsys, *PHASE, "--points", "15", "--momentum-points", "8", "--format", "json")
    assert code == 0
    inside = outside = 0
    for p in json.loads(out)["points"]:
        edge = 2 * (1 + p["momentum"]) / 100
        if p["lr"] < 0.9 * edge:
            inside += 1
            assert not p["diverged"], p
        elif p["lr"] > 1.1 * edge:
            outside += 1
            assert p["diverged"], p
    assert inside >= 30 and outside >= 30


def test_phase_diagram_text_draws_the_grid(capsys):
    code, out, _ = cli(capsys, *PHASE)
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("m ")]
    assert len(rows) == 6 and rows[0].startswith("m 0.95") and rows[-1].startswith("m 0 ")
    cells_drawn = [row[9::2] for row in rows]
    assert all(len(row) == 9 for row in cells_drawn)
    assert all(row.endswith("x") for row in cells_drawn) and not any(row.startswith("x") for row in cells_drawn)
    assert "cells diverged" in out.splitlines()[-1]


def test_the_pool_gives_the_cells_a_single_process_gives(monkeypatch):
    s = scenarios.load("moons")
    config = resolve(s, optimizer="sgd", hyper={"nesterov": False}, steps=30)
    rates, moms = learning_rates(0.01, 3.0, 3), momenta(0.0, 0.9, 2)
    alone = list(sweep(s, config, rates, moms=moms, workers=1))
    monkeypatch.setattr(sweep_module, "POOL_FROM", 0)
    pooled = sorted(sweep(s, config, rates, moms=moms, workers=2), key=lambda p: cells(rates, moms).index((p.lr, p.momentum)))
    assert pooled == alone

    found = []  # from a process running threads, as the app does: the forkserver's workers
    thread = threading.Thread(target=lambda: found.extend(sweep(s, config, rates, moms=moms, workers=2)))
    thread.start()
    thread.join(timeout=120)
    assert sorted(found, key=lambda p: cells(rates, moms).index((p.lr, p.momentum))) == alone


def test_a_cancelled_pool_stops_and_yields_no_more(monkeypatch):
    s = scenarios.load("ill_conditioned")
    config = resolve(s, steps=100_000)
    monkeypatch.setattr(sweep_module, "POOL_FROM", 0)
    calls = [0]

    def cancelled():
        calls[0] += 1
        return calls[0] > 3

    assert list(sweep(s, config, learning_rates(0.001, 0.01, 4), cancelled=cancelled, workers=2)) == []


def test_momentum_axis_refusals_name_the_flag(capsys):
    assert "--momentum-points" in one_error(capsys, "sweep", "ill_conditioned", "--momentum-min", "0.1")
    assert "adam has no momentum" in one_error(capsys, "sweep", "ill_conditioned", "--optimizer", "adam", "--momentum-points", "3")
    assert "leave out --momentum" in one_error(capsys, "sweep", "ill_conditioned", "--momentum", "0.5", "--momentum-points", "3")
    assert "--momentum-max" in one_error(capsys, "sweep", "ill_conditioned", "--momentum-max", "1", "--momentum-points", "3")
    assert "--momentum-min: 0.5 is above --momentum-max 0.2" in one_error(capsys, "sweep", "ill_conditioned", "--momentum-min", "0.5", "--momentum-max", "0.2", "--momentum-points", "3")
    assert "Nesterov" in one_error(capsys, "sweep", "moons", "--momentum-points", "3")
    assert "--workers" in one_error(capsys, "sweep", "ill_conditioned", "--workers", "0")


@pytest.mark.parametrize("count", [1, 2, 7])
def test_momenta_are_even_with_exact_ends(count):
    values = momenta(0.1, 0.9, count)
    assert len(values) == count and values[0] == 0.1 and (count == 1 or values[-1] == 0.9)
