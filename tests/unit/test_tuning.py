"""Fair comparisons (tuning.py): the trials' settings, the seeds, the interval, the verdict, and
the whole protocol on a surface, checked against plain runs."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from playground import scenarios, tuning
from playground.errors import ConfigError
from playground.settings import parse_run
from playground.tuning import Protocol

ROSENBROCK = scenarios.load("rosenbrock")


def lane(text: str, steps: int = 60) -> tuple[str, object]:
    return text, parse_run(ROSENBROCK, text, steps)


# ---------------------------------------------------------------- the trials' settings


def test_sobol_points_are_the_same_for_a_seed_and_fill_the_unit_square() -> None:
    a, b, c = tuning.sobol(16, 2, 7), tuning.sobol(16, 2, 7), tuning.sobol(16, 2, 8)
    assert a == b and a != c
    assert all(0 <= v < 1 for p in a for v in p)
    # a scrambled Sobol net: each of 16 strips of either axis holds exactly one of the 16 points
    for axis in (0, 1):
        assert sorted(int(p[axis] * 16) for p in a) == list(range(16))


def test_every_lane_tries_its_start_then_the_same_places_of_its_own_range() -> None:
    p = Protocol(trials=8, tune_seed=3)
    sgd, adam = parse_run(ROSENBROCK, "sgd"), parse_run(ROSENBROCK, "adam")
    s, a = tuning.trial_settings(p, sgd), tuning.trial_settings(p, adam)
    assert len(s) == len(a) == 8
    assert s[0] == (0.001, None) and a[0] == (0.05, None)  # trial 0: the starting setting
    places = [[round(tuning.place(lr, *tuning.lr_range(p, c)), 12) for lr, _ in t] for t, c in ((s, sgd), (a, adam))]
    assert places[0] == places[1] and places[0][0] == 0.5
    assert all(1e-5 <= lr <= 0.1 for lr, _ in s) and all(5e-4 <= lr <= 5 for lr, _ in a)
    assert [u for u in places[0][1:]] == [round(q[0], 12) for q in tuning.sobol(7, 1, 3)]


def test_a_range_that_leaves_out_the_start_is_all_sobol_points() -> None:
    p = Protocol(trials=16, lr_range=(1e-7, 1e-6))
    settings = tuning.trial_settings(p, parse_run(ROSENBROCK, "sgd"))
    assert len(settings) == 16 and all(1e-7 <= lr <= 1e-6 for lr, _ in settings)
    assert max(tuning.place(lr, 1e-7, 1e-6) for lr, _ in settings) >= 15 / 16  # one point in the top strip


def test_momentum_is_tuned_as_momentum_or_adams_beta1_and_left_alone_where_there_is_none() -> None:
    p = Protocol(trials=6, momentum=True)
    sgd, adam, lbfgs = (parse_run(ROSENBROCK, t) for t in ("sgd momentum=0.5", "adam", "lbfgs"))
    for config, name in ((sgd, "momentum"), (adam, "betas"), (lbfgs, None)):
        settings = tuning.trial_settings(p, config)
        assert tuning.momentum_name(config) == name
        if name is None:
            assert all(m is None for _, m in settings)
            continue
        assert all(0 <= m <= tuning.MOMENTUM_MAX for _, m in settings)
        tuned = tuning.with_setting(config, *settings[3])
        assert tuning.momentum_of(tuned) == settings[3][1] and tuned.hyper["lr"] == settings[3][0]
    assert tuning.with_setting(adam, 0.01, 0.5).hyper["betas"] == (0.5, 0.999)
    assert tuning.trial_settings(p, sgd)[0] == (0.001, 0.5)


def test_a_surfaces_seeds_start_within_two_percent_of_its_domain_around_its_start() -> None:
    (x0, x1), (y0, y1) = ROSENBROCK.surface.x, ROSENBROCK.surface.y
    sx, sy = ROSENBROCK.surface.start
    starts = [tuning.seed_start(ROSENBROCK, s) for s in range(20)]
    assert len(set(starts)) == 20 and starts == [tuning.seed_start(ROSENBROCK, s) for s in range(20)]
    for x, y in starts:
        assert abs(x - sx) <= 0.02 * (x1 - x0) and abs(y - sy) <= 0.02 * (y1 - y0)
    assert tuning.seed_start(scenarios.load("moons"), 3) is None


def test_the_edge_flag_marks_the_lowest_and_highest_tenth() -> None:
    assert [tuning.at_edge(u) for u in (0.0, 0.1, 0.11, 0.5, 0.89, 0.9, 1.0)] == ["low", "low", None, None, None, "high", "high"]


# ---------------------------------------------------------------- reading the seeds


def test_the_median_is_the_middle_value_or_the_mean_of_the_two_middle_ones() -> None:
    assert tuning.median([3.0, 1.0, 2.0]) == 2.0
    assert tuning.median([4.0, 1.0, 2.0, 3.0]) == 2.5
    assert tuning.median([1.0, math.inf, math.inf]) == math.inf
    assert tuning.median([1.0, 2.0, 3.0, math.inf]) == 2.5


def test_the_interval_is_a_percentile_bootstrap_of_the_median() -> None:
    values = [0.3, 0.1, 0.7, 0.2, 0.5, 0.4, 0.9]
    rng = np.random.default_rng(tuning.BOOTSTRAP_SEED)
    medians = np.median(np.asarray(values)[rng.integers(0, 7, size=(2000, 7))], axis=1)
    want = tuple(np.percentile(medians, [2.5, 97.5]))
    assert tuning.interval(values) == pytest.approx(want, rel=1e-12)
    low, high = tuning.interval(values)
    assert min(values) <= low <= tuning.median(values) <= high <= max(values)
    assert tuning.interval(values) == tuning.interval(values)


def test_diverged_seeds_count_as_infinite_in_the_interval() -> None:
    low, high = tuning.interval([0.1, 0.2, math.inf])
    assert low == 0.1 and high == math.inf
    assert tuning.interval([math.inf] * 3) == (math.inf, math.inf)
    assert tuning.interval([0.5] * 4) == (0.5, 0.5)


def test_a_winner_only_when_its_interval_lies_below_every_other_lanes() -> None:
    clear = tuning.verdict([(0.5, 0.4, 0.6), (0.1, 0.05, 0.2), (1.0, 0.7, 2.0)])
    assert clear.ranks == [2, 1, 3] and clear.winner == 1 and clear.tie == []
    touching = tuning.verdict([(0.5, 0.2, 0.6), (0.1, 0.05, 0.2), (1.0, 0.7, 2.0)])  # closed intervals: 0.2 meets 0.2
    assert touching.winner is None and touching.tie == [1, 0]
    apart = tuning.verdict([(0.5, 0.3, 0.6), (0.1, 0.05, 0.35), (0.4, 0.36, 2.0)])
    assert apart.winner is None and apart.tie == [1, 0]  # lane 2 overlaps lane 0, not the best
    nan = tuning.verdict([(math.nan, math.nan, math.nan), (1.0, 0.5, 2.0)])
    assert nan.ranks == [2, 1] and nan.winner == 1
    same = tuning.verdict([(0.0, 0.0, 0.0), (0.0, 0.0, 0.0)])
    assert same.ranks == [1, 1] and same.winner is None and same.tie == [0, 1]


# ---------------------------------------------------------------- the protocol


def plain_final_loss(config, start=None) -> float:  # noqa: ANN001
    from playground.engine import Run

    run = Run(ROSENBROCK, config, start)
    run.step(config.steps)
    return run.history.loss.last()


def test_the_protocol_on_rosenbrock_tunes_each_lane_and_runs_its_best_setting_over_seeds() -> None:
    runs = [lane("sgd"), lane("adam")]
    result = tuning.compare(ROSENBROCK, runs, Protocol(trials=5, seeds=3))
    assert result is not None and [l.run for l in result.lanes] == ["sgd", "adam"]
    for l, (_, config) in zip(result.lanes, runs):
        assert len(l.trials) == 5 and len(l.seeds) == 3
        # trial 0 is the lane untuned, exactly; the tuned setting is the best trial, so never worse
        assert l.trials[0].lr == config.hyper["lr"] and l.trials[0].outcome.final_loss == plain_final_loss(config)
        feasible = [t for t in l.trials if not t.outcome.diverged]
        assert l.trials[l.best].outcome.final_loss == min(t.outcome.final_loss for t in feasible)
        assert l.tuned_lr == l.trials[l.best].lr and l.tuned.hyper["lr"] == l.tuned_lr
        # each seed: the tuned setting from that seed's start, as a plain run gives it
        for seed, outcome in l.seeds:
            assert outcome.final_loss == plain_final_loss(replace(l.tuned, seed=seed), tuning.seed_start(ROSENBROCK, seed))
        assert [s for s, _ in l.seeds] == [0, 1, 2]
        assert l.median == tuning.median([o.final_loss for _, o in l.seeds]) and l.low <= l.median <= l.high
        assert l.diverged_share == sum(t.outcome.diverged for t in l.trials) / 5
    v = tuning.verdict([(l.median, l.low, l.high) for l in result.lanes])
    assert (result.winner, result.tie, [l.rank for l in result.lanes]) == (v.winner, v.tie, v.ranks)


def test_the_numbers_do_not_depend_on_the_order_the_cells_run_in() -> None:
    runs = [lane("sgd", 40), lane("adam", 40)]

    def backwards(cells):  # noqa: ANN001, ANN202 - as workers finishing in another order would
        done = {i: tuning.run_cell(ROSENBROCK, cells[i]) for i in reversed(range(len(cells)))}
        return [done[i] for i in range(len(cells))]

    a = tuning.compare(ROSENBROCK, runs, Protocol(trials=4, seeds=2))
    b = tuning.compare(ROSENBROCK, runs, Protocol(trials=4, seeds=2), backwards)
    assert [(l.tuned, l.median, l.low, l.high, [t.outcome for t in l.trials]) for l in a.lanes] == [(l.tuned, l.median, l.low, l.high, [t.outcome for t in l.trials]) for l in b.lanes]


def test_two_worker_processes_give_the_same_numbers_as_one() -> None:
    runs = [lane("sgd", 40), lane("adam", 40)]
    here = tuning.compare(ROSENBROCK, runs, Protocol(trials=3, seeds=2))
    pooled = tuning.compare(ROSENBROCK, runs, Protocol(trials=3, seeds=2), tuning.in_pool(ROSENBROCK, 2))
    assert [(l.tuned, l.median, l.low, l.high, [t.outcome for t in l.trials], l.seeds) for l in here.lanes] == [(l.tuned, l.median, l.low, l.high, [t.outcome for t in l.trials], l.seeds) for l in pooled.lanes]


def test_diverged_trials_are_infeasible_and_a_lane_with_no_other_keeps_its_start() -> None:
    result = tuning.compare(ROSENBROCK, [lane("sgd", 40)], Protocol(trials=3, seeds=2, lr_range=(5.0, 50.0)))
    (l,) = result.lanes
    assert l.diverged_share == 1.0 and l.best is None and l.tuned_lr == 0.001
    assert all(t.outcome.diverged for t in l.trials) and all(5.0 <= t.lr <= 50.0 for t in l.trials)


def test_the_steps_objective_counts_a_trial_that_never_arrives_as_the_budget_plus_one() -> None:
    never = tuning.Outcome(0.5, False, None, None)
    arrived = tuning.Outcome(0.9, False, 30, None)
    assert tuning.score(never, "steps", 60) == 61 and tuning.score(arrived, "steps", 60) == 30
    assert tuning.best([never, arrived], "steps", 60) == 1 and tuning.best([never, arrived], "loss", 60) == 0
    assert tuning.score(tuning.Outcome(math.inf, True, None, None), "loss", 60) == math.inf


def test_a_cancelled_comparison_gives_nothing() -> None:
    assert tuning.compare(ROSENBROCK, [lane("sgd", 40)], Protocol(trials=2, seeds=1), lambda cells: [None for _ in cells]) is None


@pytest.mark.parametrize(
    ("protocol", "field"),
    [
        (Protocol(trials=0), "tune"),
        (Protocol(trials=4, seeds=0), "seeds"),
        (Protocol(trials=4, lr_range=(1.0, 0.1)), "lr_range"),
        (Protocol(trials=4, lr_range=(-1.0, 0.1)), "lr_range"),
        (Protocol(trials=4, objective="time"), "objective"),
        (Protocol(trials=4, momentum=True), "tune_momentum"),
        (Protocol(trials=1000, seeds=100), "tune"),
    ],
)
def test_a_protocol_out_of_its_limits_is_refused_naming_the_setting(protocol: Protocol, field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        tuning.compare(ROSENBROCK, [lane("lbfgs"), lane("lbfgs lr=0.5")] * 3, protocol)
    assert caught.value.field == field
