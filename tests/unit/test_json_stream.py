"""`run --format json` is written as it is made: the per-step arrays a block of rows at a time,
never as Python lists nor as one string (a run of 300,000 steps held 388 MB), and the text is
exactly what json.dumps of the whole object gives."""

from __future__ import annotations

import json

import pytest

from playground import report, scenarios
from playground.engine import Run
from playground.settings import parse_run, resolve


@pytest.mark.parametrize(
    ("name", "text", "steps"),
    [
        ("rosenbrock", "sgd lr=0.001", 40),
        ("rosenbrock", "sgd lr=10", 40),  # diverges: nulls in the arrays
        ("moons", "adam", 25),  # accuracy and test accuracy
        ("himmelblau", "asgd lr=0.01 t0=5", 30),  # ASGD's average
        ("beale", "lbfgs", 6),  # evaluations other than one a step
    ],
)
def test_the_streamed_json_is_the_whole_objects_json(name: str, text: str, steps: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report.Streamed, "BLOCK", 7)  # many blocks, and a last one cut short
    s = scenarios.load(name)
    run = Run(s, parse_run(s, text, steps))
    run.step(steps)
    whole = json.dumps(report.result(run), allow_nan=False) + "\n"
    assert "".join(report.json_pieces(run)) == whole == report.to_json(run)
    assert json.loads(whole)["steps"] == run.history.steps


def test_no_piece_holds_more_than_a_block_of_rows() -> None:
    s = scenarios.load("rosenbrock")
    run = Run(s, resolve(s, steps=30_000))
    run.step(30_000)
    pieces = list(report.json_pieces(run))
    assert sum(map(len, pieces)) > 30_000 * 60  # loss, trajectory, grad_norm, lr, evaluations
    assert max(map(len, pieces)) < report.Streamed.BLOCK * 50  # a block of the widest array, [x, y] pairs
