"""`playground landscape` and `run --sharpness`: their contracts, through main() in this process."""

from __future__ import annotations

import json

import pytest

from cli_helpers import cli, one_error


KEYS = ["scenario", "directions", "grid", "span", "alpha", "beta", "loss", "trajectory", "final_loss", "explained_variance"]


@pytest.mark.parametrize("directions", ["pca", "random"])
def test_landscape_json_is_the_documented_object(capsys, directions):
    code, out, _ = cli(capsys, "landscape", "moons", "--steps", "60", "--grid", "7", "--span", "0.5", "--directions", directions, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert list(doc) == KEYS
    assert doc["scenario"] == "moons" and doc["directions"] == directions and doc["grid"] == 7 and doc["span"] == 0.5
    assert doc["alpha"] == doc["beta"] == [-0.5, -1 / 3, -1 / 6, 0.0, 1 / 6, 1 / 3, 0.5]
    assert len(doc["loss"]) == 7 and all(len(row) == 7 for row in doc["loss"])
    assert len(doc["trajectory"]) == 61 and doc["trajectory"][-1] == [0.0, 0.0]
    _, run, _ = cli(capsys, "run", "moons", "--steps", "60", "--format", "json")
    assert doc["loss"][3][3] == doc["final_loss"] == json.loads(run)["final_loss"]  # the weights `run` ends at
    if directions == "pca":
        first, second = doc["explained_variance"]
        assert 1 >= first >= second >= 0 and first + second <= 1
    else:
        assert doc["explained_variance"] is None
    assert cli(capsys, "landscape", "moons", "--steps", "60", "--grid", "7", "--span", "0.5", "--directions", directions, "--format", "json")[1] == out


def test_landscape_takes_run_flags_and_its_text_draws_the_plane(capsys):
    code, out, _ = cli(capsys, "landscape", "xor", "--optimizer", "adam", "--lr", "0.02", "--steps", "40", "--grid", "9")
    assert code == 0
    lines = out.splitlines()
    assert "adam, 40 steps" in lines[0] and "pca directions" in lines[0]
    grid = lines[2:11]
    cells = [row[2::2] for row in grid]  # a cell, then a space
    assert len(cells) == 9 and all(len(row) == 9 for row in cells)
    assert cells[4][4] == "X" and sum(row.count("X") for row in cells) == 1  # the final weights, in the middle
    assert sum(row.count("o") for row in cells) >= 3  # the path that led there
    assert lines[-1].startswith("final loss ")


def test_landscape_refusals_name_the_flag(capsys):
    assert "a surface" in one_error(capsys, "landscape", "rosenbrock")
    assert "--grid: 10 is even" in one_error(capsys, "landscape", "moons", "--grid", "10")
    assert "--grid" in one_error(capsys, "landscape", "moons", "--grid", "1")
    assert "--span" in one_error(capsys, "landscape", "moons", "--span", "0")
    assert "--span" in one_error(capsys, "landscape", "moons", "--span", "nan")
    assert "--directions" in one_error(capsys, "landscape", "moons", "--directions", "diagonal")
    assert "--directions: pca: pca needs a trajectory" in one_error(capsys, "landscape", "moons", "--steps", "0")
    assert "--steps" in one_error(capsys, "landscape", "digits", "--steps", "100000000")
    assert "--lr" in one_error(capsys, "landscape", "moons", "--lr", "-1")


def test_landscape_output_file(capsys, tmp_path):
    target = tmp_path / "plane.json"
    code, out, err = cli(capsys, "landscape", "moons", "--steps", "5", "--grid", "3", "--directions", "random", "--format", "json", "--output", str(target))
    assert code == 0 and out == "" and "wrote" in err
    assert json.loads(target.read_text())["grid"] == 3


def test_run_sharpness_is_added_to_the_json_every_k_steps(capsys):
    code, out, _ = cli(capsys, "run", "ill_conditioned", "--steps", "45", "--sharpness", "10", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert list(doc)[-1] == "sharpness"
    assert [step for step, _ in doc["sharpness"]] == [0, 10, 20, 30, 40]
    assert all(abs(value - 100) <= 1e-6 for _, value in doc["sharpness"])
    _, plain, _ = cli(capsys, "run", "ill_conditioned", "--steps", "45", "--format", "json")
    assert "sharpness" not in json.loads(plain) and json.loads(plain)["trajectory"] == doc["trajectory"]


def test_run_sharpness_text_against_two_over_lr(capsys):
    code, out, _ = cli(capsys, "run", "moons", "--steps", "30", "--sharpness", "15", "--lr", "0.5")
    assert code == 0
    line = next(row for row in out.splitlines() if row.startswith("sharpness"))
    assert "at step 30 against 2/lr = 4" in line and "3 measured" in line
    assert "--sharpness" in one_error(capsys, "run", "moons", "--sharpness", "0")


def test_run_sharpness_with_csv_says_it_is_not_measured_there(capsys):
    code, out, err = cli(capsys, "run", "ill_conditioned", "--steps", "5", "--sharpness", "2", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("step,loss")
    assert "--sharpness: measured for --format json and text only, not for csv" in err


def test_a_landscape_after_the_run_diverged_says_so_with_nothing_on_stdout(capsys):
    """No plane exists around weights that are not finite, or so large that directions scaled to
    them overflow: exit 1 and one line saying the run diverged (it was an internal error, exit
    70, with LAPACK's DLASCL complaints written to the process's stdout)."""
    import subprocess
    import sys

    for lr in ("1e38", "1e30"):  # the loss became inf; the weights reached about 1e30
        for directions in ("random", "pca") if lr == "1e38" else ("random",):
            proc = subprocess.run(
                [sys.executable, "-m", "playground", "landscape", "moons", "--lr", lr, "--steps", "50", "--grid", "5", "--directions", directions],
                capture_output=True, text=True, timeout=120,
            )
            assert proc.returncode == 1, (lr, directions, proc.stdout, proc.stderr)
            assert proc.stdout == ""
            lines = proc.stderr.splitlines()
            assert len(lines) == 1 and lines[0].startswith("playground: landscape moons: the run diverged"), proc.stderr
