"""`playground compare`, `playground sweep`, `--record`, `--schedule`, `--clip` and `--start`,
through the CLI's main() in this process (the subprocess contract itself is covered by
test_cli.py's console-script test; torch is imported once here)."""

from __future__ import annotations

import json
import math

import pytest

from cli_helpers import cli, one_error, strict

from playground.cli import main


def test_compare_json_lanes_equal_single_runs(capsys):
    code, out, _ = cli(capsys, "compare", "rosenbrock", "--run", "sgd lr=0.001", "--run", "sgd lr=0.001 momentum=0.9 nesterov=true", "--run", "adam lr=0.05", "--steps", "100", "--format", "json")
    assert code == 0
    doc = strict(out)
    assert doc["scenario"] == "rosenbrock" and len(doc["lanes"]) == 3
    assert [lane["lane"] for lane in doc["lanes"]] == [0, 1, 2]
    assert doc["lanes"][0]["optimizer"]["momentum"] == 0.0  # a lane is what its text says
    singles = [
        ["--optimizer", "sgd", "--lr", "0.001", "--momentum", "0", "--no-nesterov"],
        ["--optimizer", "sgd", "--lr", "0.001", "--momentum", "0.9", "--nesterov"],
        ["--optimizer", "adam", "--lr", "0.05"],
    ]
    for lane, flags in zip(doc["lanes"], singles):
        _, single, _ = cli(capsys, "run", "rosenbrock", *flags, "--steps", "100", "--format", "json")
        single = strict(single)
        assert len(lane["trajectory"]) == 101 and lane["trajectory"] == single["trajectory"]
        assert lane["loss"] == single["loss"] and lane["optimizer"] == single["optimizer"]


def test_compare_text_ranks_the_lanes_and_names_the_diverged_one(capsys):
    code, out, _ = cli(capsys, "compare", "rosenbrock", "--run", "sgd", "--run", "adam", "--run", "sgd lr=0.01", "--steps", "2000")
    assert code == 0
    rows = out.splitlines()[2:]
    assert "adam lr=0.05" in rows[0] and "arrived" in rows[0]
    assert "sgd lr=0.01" in rows[-1] and "diverged at step" in rows[-1]
    assert "on its way" in rows[1]
    # lanes numbered from 1, as the app numbers them (adam was the second --run)
    assert rows[0].split()[0] == "2" and rows[-1].split()[0] == "3"
    code, out, _ = cli(capsys, "compare", "rosenbrock", "--run", "sgd", "--steps", "5")
    assert "1 lane, 5 steps" in out.splitlines()[0]


def test_compare_preset_and_csv(capsys):
    code, out, _ = cli(capsys, "compare", "himmelblau", "--preset", "--steps", "20", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("lane,step,loss,x,y")
    assert {line.split(",")[0] for line in lines[1:]} == {"1", "2", "3", "4"}  # lanes are numbered from 1, as the app does
    assert len(lines) == 1 + 4 * 21


def test_compare_bad_command_lines(capsys):
    assert "--run" in one_error(capsys, "compare", "rosenbrock")
    assert "at most 6" in one_error(capsys, "compare", "rosenbrock", *["--run", "sgd"] * 7)
    line = one_error(capsys, "compare", "rosenbrock", "--run", "sgd", "--run", "adam lr=-1")
    assert "--run 'adam lr=-1'" in line and "lr" in line
    assert "did you mean 'adam'" in one_error(capsys, "compare", "rosenbrock", "--run", "adm")
    assert "momentum" in one_error(capsys, "compare", "rosenbrock", "--run", "sgd nesterov=true")


def test_sweep_json_covers_the_range_and_is_strict(capsys):
    code, out, _ = cli(capsys, "sweep", "rosenbrock", "--optimizer", "sgd", "--lr-min", "1e-5", "--lr-max", "1", "--points", "11", "--steps", "50", "--format", "json")
    assert code == 0
    doc = strict(out)
    assert doc["scenario"] == "rosenbrock" and doc["optimizer"]["name"] == "sgd" and "lr" not in doc["optimizer"]
    lrs = [p["lr"] for p in doc["points"]]
    assert len(lrs) == 11 and lrs[0] == 1e-5 and lrs[-1] == 1.0
    ratios = [b / a for a, b in zip(lrs, lrs[1:])]
    assert max(ratios) == pytest.approx(min(ratios))  # log-spaced
    diverged = [p["diverged"] for p in doc["points"]]
    assert diverged[0] is False and diverged[-1] is True
    assert all(p["final_loss"] is None for p in doc["points"] if p["diverged"])
    assert all(isinstance(p["final_loss"], float) for p in doc["points"] if not p["diverged"])


def test_sweep_text_has_a_row_per_rate_and_the_best_one(capsys):
    # on this quadratic (largest curvature 100) gradient descent converges only below lr = 0.02
    code, out, _ = cli(capsys, "sweep", "ill_conditioned", "--optimizer", "sgd", "--lr-min", "0.001", "--lr-max", "0.032", "--points", "6", "--steps", "100")
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith("lr ")]
    assert len(rows) == 6
    assert "diverged" in rows[-1] and "diverged" not in rows[-2]  # 0.032 blows up slowly: still finite
    assert "lowest final loss" in out and "at lr 0.016" in out


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--lr-min", "1", "--lr-max", "0.1"], "--lr-min"),
        (["--lr-min", "0"], "--lr-min"),
        (["--lr-max", "nan"], "--lr-max"),
        (["--points", "0"], "--points"),
        (["--points", "1000"], "--points"),
        (["--points", "x"], "--points"),
        (["--param", "lr=0.1"], "--lr-min"),
        (["--optimizer", "sgdd"], "did you mean"),
        (["--momentum", "-1"], "--momentum"),
        (["--steps", "-3"], "--steps"),
        (["--format", "csv"], "invalid choice"),
    ],
)
def test_sweep_bad_flags(capsys, flags, fragment):
    assert fragment in one_error(capsys, "sweep", "rosenbrock", *flags)


def test_record_writes_a_line_per_point_as_it_goes(capsys, tmp_path):
    rec = tmp_path / "steps.jsonl"
    code, _, err = cli(capsys, "run", "rosenbrock", "--steps", "600", "--record", str(rec))
    assert code == 0 and "recorded" in err
    rows = [strict(line) for line in rec.read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(601))
    assert rows[0]["x"] == -1.5 and rows[0]["y"] == 2.0 and rows[0]["loss"] == 12.5
    assert set(rows[-1]) >= {"step", "loss", "x", "y", "grad_norm", "lr"} and "lane" not in rows[-1]


def test_record_keeps_an_existing_file_unless_forced(capsys, tmp_path):
    rec = tmp_path / "steps.jsonl"
    rec.write_text("precious\n")
    assert "--force" in one_error(capsys, "run", "rosenbrock", "--steps", "5", "--record", str(rec))
    assert rec.read_text() == "precious\n"
    assert cli(capsys, "run", "rosenbrock", "--steps", "5", "--record", str(rec), "--force")[0] == 0
    assert [strict(line)["step"] for line in rec.read_text().splitlines()] == [0, 1, 2, 3, 4, 5]
    assert list(tmp_path.iterdir()) == [rec]  # no temporary file left behind
    assert "does not exist" in one_error(capsys, "run", "rosenbrock", "--record", str(tmp_path / "no" / "r.jsonl"))


def test_record_of_a_race_and_of_a_dataset(capsys, tmp_path):
    rec = tmp_path / "race.jsonl"
    assert cli(capsys, "compare", "rosenbrock", "--preset", "--steps", "300", "--record", str(rec))[0] == 0
    rows = [strict(line) for line in rec.read_text().splitlines()]
    assert len(rows) == 4 * 301
    for lane in range(4):
        assert [r["step"] for r in rows if r["lane"] == lane] == list(range(301))
    rec2 = tmp_path / "moons.jsonl"
    assert cli(capsys, "run", "moons", "--steps", "10", "--record", str(rec2))[0] == 0
    rows = [strict(line) for line in rec2.read_text().splitlines()]
    assert len(rows) == 11 and "accuracy" in rows[-1] and "x" not in rows[-1]


def test_record_of_a_diverging_run_stays_strict(capsys, tmp_path):
    rec = tmp_path / "blowup.jsonl"
    assert cli(capsys, "run", "rosenbrock", "--lr", "1", "--steps", "50", "--record", str(rec))[0] == 0
    rows = [strict(line) for line in rec.read_text().splitlines()]
    assert rows[-1]["loss"] is None  # the loss overflowed: null, not Infinity
    assert all(math.isfinite(row["loss"]) for row in rows[:-1])
    assert len(rows) < 51  # it stopped where it diverged


def test_schedule_clip_and_start_reach_the_run(capsys):
    code, out, _ = cli(capsys, "run", "rosenbrock", "--schedule", "step step_size=5 gamma=0.1", "--clip", "2", "--start", "0.5,0.5", "--steps", "12", "--format", "json")
    assert code == 0
    doc = strict(out)
    assert doc["schedule"] == {"name": "step", "step_size": 5, "gamma": 0.1} and doc["clip"] == 2.0
    assert doc["trajectory"][0] == [0.5, 0.5]
    lr = doc["lr"]
    assert lr[4] == pytest.approx(10 * lr[5]) and lr[9] == pytest.approx(10 * lr[10])


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--schedule", "stepp"], "did you mean 'step'"),
        (["--schedule", "step gamma=0"], "--schedule: gamma"),
        (["--schedule", "cosine T_max=-1"], "T_max"),
        (["--clip", "-1"], "--clip"),
        (["--clip", "inf"], "--clip"),
        (["--start", "1"], "--start"),
        (["--start", "a,b"], "--start"),
    ],
)
def test_bad_schedule_clip_start(capsys, flags, fragment):
    assert fragment in one_error(capsys, "run", "rosenbrock", *flags)


def test_start_on_a_dataset_is_refused(capsys):
    assert "--start" in one_error(capsys, "run", "moons", "--start", "0,0")


def test_user_scenarios_appear_in_list_and_check(capsys, tmp_path, monkeypatch):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "bowl.toml").write_text('[scenario]\nname = "My bowl"\nkind = "surface"\n[surface]\nformula = "x**2 + 3*y**2"\nx = [-2.0, 2.0]\ny = [-2.0, 2.0]\nstart = [1.5, 1.0]\n')
    (user / "broken.toml").write_text('[scenario]\nname = "Broken"\nkind = "surfce"\n')
    monkeypatch.setenv("PLAYGROUND_SCENARIOS", str(user))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    code, out, _ = cli(capsys, "list")
    assert code == 0 and "bowl" in out and f"[user: {user / 'bowl.toml'}]" in out and "rosenbrock" in out
    code, out, err = cli(capsys, "check")
    assert code == 2
    assert f"{user / 'bowl.toml'}: ok" in out and "rosenbrock.toml: ok" in out
    assert err.count("playground: error:") == 1 and "broken.toml: scenario.kind" in err
    code, out, _ = cli(capsys, "run", "bowl", "--steps", "3", "--format", "json")
    assert code == 0 and strict(out)["scenario"] == "bowl"


def test_no_control_character_of_a_shared_file_reaches_the_terminal(capsys, tmp_path, monkeypatch):
    """A description holding a terminal's escape (a new window title) and a bell, and a file name
    holding an escape: list, check and an error show each as its escape, `\\x1b`, and still list
    the scenario."""
    user = tmp_path / "mine"
    user.mkdir()
    evil = "Bowl \\u001b]0;PWNED\\u0007 \\u009b31m red \\r back"
    (user / "bowl.toml").write_text(f'[scenario]\nname = "{evil}"\nkind = "surface"\ndescription = "{evil}"\n[surface]\nformula = "x**2 + 3*y**2"\nx = [-2.0, 2.0]\ny = [-2.0, 2.0]\nstart = [1.5, 1.0]\n')
    (user / "bad\x1b[2Jname.toml").write_text('[scenario]\nname = "Broken"\nkind = "surfce"\n')
    monkeypatch.setenv("PLAYGROUND_SCENARIOS", str(user))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    for command in (["list"], ["check"], ["check", str(user / "bad\x1b[2Jname.toml")], ["run", "bowl", "--steps", "2"]):
        _, out, err = cli(capsys, *command)
        for stream in (out, err):
            assert not any(ch in stream for ch in "\x1b\x07\x9b\r"), (command, stream)
        if command == ["list"]:
            assert "bowl" in out and "Bowl \\x1b]0;PWNED\\x07" in out
        if command[0] == "check" and len(command) == 2:
            assert "bad\\x1b[2Jname.toml" in err


def test_a_scenario_file_with_a_race_is_checked_and_compare_runs_its_lanes(tmp_path, capsys) -> None:  # noqa: ANN001
    """Everyday 2, item 7: the [race] table ctrl+s writes in a race: `check` reads every lane, and
    `compare FILE` without --run races them."""
    from pathlib import Path

    from playground import scenarios

    base = (Path(scenarios.__file__).parents[1] / "scenarios" / "rosenbrock.toml").read_text()
    good = tmp_path / "race.toml"
    good.write_text(base + '\n[race]\nlanes = ["sgd lr=0.001", "lbfgs"]\nselected = 2\n')
    assert main(["check", str(good)]) == 0
    capsys.readouterr()
    assert main(["compare", str(good), "--steps", "50", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [lane["label"] for lane in out["lanes"]] == ["sgd lr=0.001", "lbfgs lr=1"]
    for text, field, said in (
        ('lanes = ["sgd lr=-1", "adam"]', "race.lanes[1]", "lr: -1 is out of range"),
        ('lanes = ["adam"]', "race.lanes", "a race has 2 to 6 lanes, not 1"),
        ('lanes = ["adam", 3]', "race.lanes[2]", "must be a run's text"),
        ('lanes = ["adam", "sgd"]\nselected = 3', "race.selected", "1 to 2, not 3"),
        ('lanes = ["adam", "sgd"]\nwho = 1', "race.who", "unknown key"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(base + f"\n[race]\n{text}\n")
        assert main(["check", str(bad)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and f"bad.toml: {field}: " in err[0] and said in err[0], err
