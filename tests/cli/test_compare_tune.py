"""`playground compare --tune`: a fair comparison's JSON and text, read against the protocol it
describes (tuning.py) and against plain `compare` and `run`, and its refusals."""

from __future__ import annotations

import math

import pytest

from cli_helpers import cli, one_error, strict

from playground import tuning

TUNED = ["compare", "rosenbrock", "--run", "sgd", "--run", "adam", "--steps", "80", "--tune", "5", "--seeds", "3"]


def test_the_json_gives_each_lanes_trials_seeds_interval_and_a_verdict_the_intervals_bear_out(capsys):
    code, out, _ = cli(capsys, *TUNED, "--workers", "1", "--format", "json")
    assert code == 0
    doc = strict(out)
    assert doc["protocol"]["trials"] == 5 and doc["protocol"]["seeds"] == 3 and doc["protocol"]["objective"] == "loss" and doc["protocol"]["tune_seed"] == 0
    _, plain, _ = cli(capsys, "compare", "rosenbrock", "--run", "sgd", "--run", "adam", "--steps", "80", "--format", "json")
    plain = strict(plain)["lanes"]
    lanes = doc["lanes"]
    assert [l["run"] for l in lanes] == ["sgd", "adam"] and [l["optimizer"]["name"] for l in lanes] == ["sgd", "adam"]
    places = []
    for lane, untuned, (lo, hi) in zip(lanes, plain, doc["protocol"]["ranges"]):
        lr0 = untuned["optimizer"]["lr"]
        assert (lo, hi) == pytest.approx((lr0 / 100, lr0 * 100))
        trials = lane["trials"]
        assert len(trials) == 5 and all(lo <= t["lr"] <= hi for t in trials)
        # trial 0 is the lane as plain `compare` runs it, to the bit: tuning never makes a lane worse
        assert lane["starting_trial"] and trials[0]["lr"] == lr0 and trials[0]["final_loss"] == untuned["final_loss"]
        feasible = [t for t in trials if not t["diverged"]]
        best = min(t["final_loss"] for t in feasible)
        assert lane["tuned"]["lr"] in {t["lr"] for t in feasible if t["final_loss"] == best} and best <= untuned["final_loss"]
        places.append([round(tuning.place(t["lr"], lo, hi), 9) for t in trials])
        seeds = [s["final_loss"] for s in lane["seeds"]]
        assert [s["seed"] for s in lane["seeds"]] == [0, 1, 2] and all(len(s["start"]) == 2 for s in lane["seeds"])
        fl = lane["final_loss"]
        assert fl["median"] == sorted(seeds)[1] and min(seeds) <= fl["low"] <= fl["median"] <= fl["high"] <= max(seeds)
        assert lane["diverged_share"] == sum(t["diverged"] for t in trials) / 5
        assert lane["at_edge"] == tuning.at_edge(tuning.place(lane["tuned"]["lr"], lo, hi))
    assert places[0] == places[1]  # the same points of every lane's range
    (a, b) = lanes
    better, worse = (a, b) if a["final_loss"]["median"] < b["final_loss"]["median"] else (b, a)
    assert (better["rank"], worse["rank"]) == (1, 2)
    apart = better["final_loss"]["high"] < worse["final_loss"]["low"]
    assert doc["verdict"] == ({"winner": better["run"], "tie": []} if apart else {"winner": None, "tie": [better["run"], worse["run"]]})


def test_the_numbers_are_the_same_on_one_worker_and_on_two(capsys):
    _, one, _ = cli(capsys, *TUNED, "--workers", "1", "--format", "json")
    _, two, _ = cli(capsys, *TUNED, "--workers", "2", "--format", "json")
    assert strict(one) == strict(two)


def test_the_text_is_a_table_and_a_verdict_line(capsys):
    code, out, _ = cli(capsys, *TUNED, "--workers", "1")
    lines = out.splitlines()
    assert code == 0 and "tuned on 5 trials of 80 steps" in lines[0] and "trial 1 is its starting setting" in lines[0]
    assert lines[1].split()[:3] == ["#", "run", "tuned"] and lines[2].split()[1] == "sgd" and lines[3].split()[1] == "adam"
    assert lines[-1].startswith("verdict: ") and ("wins" in lines[-1] or "tie" in lines[-1])


def test_a_range_whose_top_holds_the_best_lr_says_to_widen_it(capsys):
    code, out, _ = cli(capsys, "compare", "rosenbrock", "--run", "sgd", "--steps", "50", "--tune", "16", "--seeds", "2", "--lr-range", "1e-7", "1e-6", "--workers", "1", "--format", "json")
    lane = strict(out)["lanes"][0]
    assert code == 0 and not lane["starting_trial"] and all(1e-7 <= t["lr"] <= 1e-6 for t in lane["trials"])
    assert lane["at_edge"] == "high"
    code, out, _ = cli(capsys, "compare", "rosenbrock", "--run", "sgd", "--steps", "50", "--tune", "16", "--seeds", "2", "--lr-range", "1e-7", "1e-6", "--workers", "1")
    assert "widen the range" in out and "trial 1" not in out.splitlines()[0]


def test_momentum_is_tuned_where_a_lane_has_it(capsys):
    code, out, _ = cli(capsys, "compare", "rosenbrock", "--run", "sgd momentum=0.5", "--run", "lbfgs", "--steps", "40", "--tune", "4", "--seeds", "2", "--tune-momentum", "--workers", "1", "--format", "json")
    sgd, lbfgs = strict(out)["lanes"]
    assert code == 0 and all(0 <= t["momentum"] <= 0.99 for t in sgd["trials"]) and "momentum" in sgd["tuned"]
    assert sgd["trials"][0]["momentum"] == 0.5 and all("momentum" not in t for t in lbfgs["trials"])


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--tune", "0"], "--tune"),
        (["--tune", "4", "--seeds", "0"], "--seeds"),
        (["--tune", "4", "--lr-range", "1", "0.1"], "--lr-range"),
        (["--tune", "4", "--lr-range", "0", "0.1"], "--lr-range"),
        (["--tune", "4", "--lr-range", "x", "0.1"], "--lr-range"),
        (["--tune", "four"], "--tune"),
        (["--tune", "4", "--workers", "0"], "--workers"),
        (["--seeds", "3"], "--seeds"),
        (["--tune", "4", "--format", "csv"], "--format"),
        (["--tune", "4", "--start", "0,0"], "--start"),
        (["--tune", "1000", "--seeds", "100", "--run", "sgd", "--run", "sgd", "--run", "sgd"], "--tune"),
    ],
)
def test_a_bad_tuning_flag_is_one_line_naming_it(capsys, flags, named):
    line = one_error(capsys, "compare", "rosenbrock", "--run", "sgd", "--run", "adam", *flags)
    assert named in line


def test_tune_momentum_with_no_lane_that_has_one_is_refused(capsys):
    assert "--tune-momentum" in one_error(capsys, "compare", "rosenbrock", "--run", "lbfgs", "--tune", "4", "--tune-momentum")


def test_the_steps_objective_ranks_trials_by_when_they_arrive(capsys):
    code, out, _ = cli(capsys, "compare", "rosenbrock", "--run", "adam", "--steps", "300", "--tune", "6", "--seeds", "2", "--objective", "steps", "--workers", "1", "--format", "json")
    doc = strict(out)
    (lane,) = doc["lanes"]
    assert code == 0 and doc["protocol"]["objective"] == "steps"

    def steps(t):  # noqa: ANN001, ANN202
        return math.inf if t["diverged"] else t["steps_to_tolerance"] if t["steps_to_tolerance"] is not None else 301

    chosen = min(steps(t) for t in lane["trials"])
    assert steps(next(t for t in lane["trials"] if t["lr"] == lane["tuned"]["lr"])) == chosen
