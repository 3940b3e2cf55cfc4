"""One limit, every door: a scenario file, a flag, a run string (`compare --run`) and a field
typed in the app take the same values and refuse the same ones in the same words, each naming
the range the number must be in."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from playground import limits, scenarios
from playground.cli import main
from playground.session import Session

SURFACE = """[scenario]
name = "Limits"
kind = "surface"
[surface]
formula = "(1 - x)**2 + 100*(y - x**2)**2"
x = [-2.0, 2.0]
y = [-1.0, 3.0]
start = [-1.5, 2.0]
[defaults]
optimizer = "sgd"
lr = 0.001
"""
LARGEST_SEED = str(2**32 - 1)


def scenario_file(tmp_path: Path, extra: str) -> str:
    path = tmp_path / f"limits{abs(hash(extra)) % 10**8}.toml"
    path.write_text(SURFACE + extra)
    return str(path)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_budget_of_zero_steps_evaluates_the_start_through_every_door(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from_file = cli(capsys, "run", scenario_file(tmp_path, "steps = 0\n"), "--format", "json")
    from_flag = cli(capsys, "run", scenario_file(tmp_path, "steps = 5\n"), "--steps", "0", "--format", "json")
    for code, out, err in (from_file, from_flag):
        assert code == 0, err
        record = json.loads(out)
        assert record["steps"] == 0 and record["loss"] == [12.5] and record["trajectory"] == [[-1.5, 2.0]]
    code, out, err = cli(capsys, "run", "rosenbrock", "--steps", "0")
    assert code == 0 and "steps        0 in" in out
    assert "steps/s" not in out  # no rate for no steps (it printed "inf steps/s")
    code, out, err = cli(capsys, "compare", "rosenbrock", "--preset", "--steps", "0")
    assert code == 0 and "0 steps" in out


@pytest.mark.parametrize("value", ["-1", str(limits.STEPS.high + 1)])
def test_a_budget_out_of_range_is_refused_alike_in_a_file_and_a_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    code_file, _, err_file = cli(capsys, "run", scenario_file(tmp_path, f"steps = {value}\n"))
    code_flag, _, err_flag = cli(capsys, "run", "rosenbrock", "--steps", value)
    want = f"{value} is out of range: it must be from 0 to {limits.STEPS.high}"
    assert code_file == code_flag == 2
    assert "defaults.steps: " + want in err_file
    assert "--steps: " + want in err_flag


def test_a_seed_past_the_largest_is_refused_alike_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = str(2**32)
    want = f"{big} is out of range: it must be from 0 to {LARGEST_SEED}"
    doors = {
        "the file": cli(capsys, "run", scenario_file(tmp_path, f"seed = {big}\n")),
        "--seed": cli(capsys, "run", "moons", "--seed", big),
        "compare --run": cli(capsys, "compare", "moons", "--run", f"sgd seed={big}"),
        "sweep --seed": cli(capsys, "sweep", "moons", "--seed", big),
    }
    for door, (code, out, err) in doors.items():
        assert code == 2 and want in err and out == "", (door, err)
    session = Session(scenarios.load("moons"))
    session.load_engine(background=False)
    assert session.edit("seed", big) == want  # the app's seed field
    assert session.edit("seed", LARGEST_SEED) is None and session.config.seed == 2**32 - 1


def test_every_limit_names_its_range_when_it_refuses() -> None:
    for limit in (limits.STEPS, limits.SEED, limits.SAMPLES, limits.BATCH_SIZE, limits.CLASSES, limits.WIDTH, limits.SWEEP_POINTS, limits.SWEEP_STEPS):
        with pytest.raises(limits.LimitError, match=rf"it must be from {limit.low} to {limit.high}$"):
            limit.parse(str(limit.high + 1))
        assert limit.parse(str(limit.low)) == limit.low
    for limit, bad, words in (
        (limits.CLIP, "-1", "it must be >= 0"),
        (limits.LEARNING_RATE, "0", "it must be > 0"),
        (limits.NOISE, "11", "it must be from 0 to 10"),
        (limits.TEST_FRACTION, "0.95", "it must be from 0 to 0.9"),
    ):
        with pytest.raises(limits.LimitError, match=words):
            limit.parse(bad)
    with pytest.raises(limits.LimitError, match="'fast' is not a number"):
        limits.CLIP.parse("fast")
    with pytest.raises(limits.LimitError, match="'1.5' is not a whole number"):
        limits.STEPS.parse("1.5")


def test_the_command_lines_help_names_what_the_registries_hold(capsys: pytest.CaptureFixture[str]) -> None:
    """The choices a person reads in `playground run --help` are the registries' own: an
    optimizer, loss or schedule added to its registry shows there without a second list."""
    from playground.losses import LOSSES
    from playground.optimizers import OPTIMIZERS
    from playground.schedules import SCHEDULES

    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    names = [*OPTIMIZERS, *(n for losses in LOSSES.values() for n in losses), *SCHEDULES]
    assert len(names) > 20
    for name in names:
        assert re.search(rf"\b{name}\b", text), name
