"""`playground explain [NAME]` (issue 18): the app's explanations on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cli import cli

from playground import explanations
from playground.optimizers import OPTIMIZERS


def test_explain_lists_every_optimizer_and_loss(tmp_path: Path) -> None:
    r = cli(["explain"], tmp_path)
    assert r.returncode == 0, r.stderr
    for name in explanations.names():
        assert f"  {name} " in r.stdout, name


@pytest.mark.parametrize("name", ["sgd", "adamw", "rprop", "lbfgs", "nll", "mse"])
def test_explain_name_prints_the_apps_text(name: str, tmp_path: Path) -> None:
    r = cli(["explain", name], tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == explanations.render_plain(explanations.text_for(name), 100)
    if name in OPTIMIZERS:
        spec = OPTIMIZERS[name]
        for line in spec.rule.splitlines():
            assert line.rstrip() in r.stdout  # the rule, as written
        for h in spec.hyper:
            assert any(row.lstrip(" │┃").startswith(h.name) for row in r.stdout.splitlines()), h.name
    if name == "rprop":  # lr's row says it sets only the first step size
        row = next(row for row in r.stdout.splitlines() if row.lstrip(" │┃").startswith("lr "))
        assert "first" in row


def test_an_unknown_name_is_one_line_with_the_closest(tmp_path: Path) -> None:
    r = cli(["explain", "adamm"], tmp_path)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "'adam'" in r.stderr and "Traceback" not in r.stderr


def test_a_schedule_on_rprop_is_a_warning_naming_the_rate_that_counts(tmp_path: Path) -> None:
    r = cli(["run", "rosenbrock", "--optimizer", "rprop", "--schedule", "cosine", "--steps", "3"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "warning: Rprop reads lr only for its first step" in r.stderr and "(lr 0.01)" in r.stderr  # torch's lr for Rprop
    quiet = cli(["run", "rosenbrock", "--optimizer", "rprop", "--steps", "3"], tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""
    race = cli(["compare", "rosenbrock", "--run", "rprop schedule=step", "--run", "sgd", "--steps", "3"], tmp_path)
    assert race.returncode == 0, race.stderr
    assert race.stderr.count("warning") == 1 and "lane 1: Rprop" in race.stderr
