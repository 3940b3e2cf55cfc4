"""A sweep: the same scenario and optimizer at log-spaced learning rates, and optionally at
linearly spaced momenta too (a phase diagram: which (lr, momentum) pairs converge), and where each
cell ends. No UI here: `playground sweep` and the TUI's sweep screen both use it.

The cells are independent runs, so a large sweep spreads them over worker processes, one per
core (workers.py): a worker killed from outside is not a bug of ours, its cells run again, once.

torch is imported only by the functions that run cells: the sweep screen reads its limits and
learning rates on the UI thread, which must not wait for torch while the app is still loading it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from playground import limits
from playground.errors import ConfigError
from playground.scenarios import Scenario
from playground.settings import RunConfig

# A run whose loss ends this many times above where it began diverged, even if it has not yet
# overflowed: the sweep's budget is often too short for a slow blow-up to reach infinity.
BLOW_UP = 1e3
CHUNK = 25  # steps between two looks at `cancelled`: a dataset step can take milliseconds
# Below this many steps in all a sweep runs in this process: starting the pool's server costs
# about as much as this many steps on a surface (it imports torch).
POOL_FROM = 20_000


@dataclass(frozen=True)
class SweepPoint:
    lr: float
    final_loss: float  # may be inf or nan where the run diverged
    diverged: bool
    diverged_at: int | None
    steps: int
    momentum: float | None = None  # a phase diagram's second axis; None in a sweep of lr alone


def learning_rates(lr_min: float, lr_max: float, points: int) -> list[float]:
    """`points` learning rates spaced evenly on a log scale, the first lr_min and the last lr_max."""
    return _spaced("lr", limits.LEARNING_RATE, lr_min, lr_max, points, log=True)


def momenta(m_min: float, m_max: float, points: int) -> list[float]:
    """`points` momenta spaced evenly from m_min to m_max (both exact)."""
    return _spaced("momentum", limits.MOMENTUM, m_min, m_max, points, log=False)


def momentum_axis(optimizer: str, hyper: dict[str, Any], m_min: float, m_max: float, points: int) -> list[float]:
    """A phase diagram's momenta for `optimizer` with its other settings `hyper`: refused where it
    has no momentum, or where Nesterov would meet a momentum of 0 (torch refuses that pair)."""
    from playground.optimizers import get_optimizer

    if "momentum" not in get_optimizer(optimizer).names():
        raise ConfigError("momentum_points", f"{optimizer} has no momentum to sweep; sweep lr alone")
    if m_min == 0 and hyper.get("nesterov"):
        raise ConfigError("momentum_min", "Nesterov momentum needs a momentum above 0: start above 0, or switch Nesterov off")
    return momenta(m_min, m_max, points)


def _spaced(name: str, limit: limits.Number, low: float, high: float, points: int, log: bool) -> list[float]:
    """An axis of the sweep: `points` values from `low` to `high`, both exact, evenly spaced (on
    a log scale if `log`), each checked against `limit` under the fields' names (lr_min, ...)."""
    for field, each, v in ((f"{name}_min", limit, low), (f"{name}_max", limit, high), ("points" if name == "lr" else f"{name}_points", limits.SWEEP_POINTS, points)):
        limits.setting(field, each, v)
    if low > high:
        raise ConfigError(f"{name}_min", f"{low:g} is above {name}_max {high:g}")
    if points == 1:
        return [float(low)]
    lo, hi = (math.log(low), math.log(high)) if log else (low, high)
    values = [lo + (hi - lo) * i / (points - 1) for i in range(points)]
    if log:
        values = [math.exp(v) for v in values]
    values[0], values[-1] = float(low), float(high)  # exact ends, not exp(log(x))
    return values


def cells(rates: list[float], moms: list[float] | None = None) -> list[tuple[float, float | None]]:
    """The sweep's (lr, momentum) cells in lr-major order (momentum None: the config's own)."""
    return [(lr, m) for lr in rates for m in (moms if moms is not None else [None])]


def run_cell(scenario: Scenario, config: RunConfig, lr: float, momentum: float | None, start: tuple[float, float] | None, cancelled: Callable[[], bool] = lambda: False) -> SweepPoint | None:
    """One cell: `config` at this lr (and momentum) for config.steps steps. None when cancelled."""
    from playground.engine import Run

    hyper = {**config.hyper, "lr": lr} if momentum is None else {**config.hyper, "lr": lr, "momentum": momentum}
    run = Run(scenario, replace(config, hyper=hyper), start, full_history=False)
    done = 0
    while done < config.steps:
        if cancelled():
            return None
        made = run.step(min(CHUNK, config.steps - done))
        if not made:
            break
        done += made
    first, last = run.history.loss[0], run.history.loss.last()
    blew_up = math.isfinite(last) and math.isfinite(first) and last > BLOW_UP * max(abs(first), 1e-12)
    return SweepPoint(lr, last, run.diverged or blew_up or fell_away(scenario, run), run.diverged_at, run.step_count, momentum)


def fell_away(scenario: Scenario, run: Any) -> bool:
    """A surface with no bottom (a saddle's x^2 - y^2): the run left the map below anything on it,
    on its way to minus infinity. Diverged too, not the lowest final loss."""
    surface = scenario.surface
    if surface is None or run.diverged:
        return False
    x, y = run.point
    return not surface.on_map(x, y) and run.history.loss.last() < surface.lowest_on_map


def sweep(scenario: Scenario, config: RunConfig, rates: list[float], start: tuple[float, float] | None = None, cancelled: Callable[[], bool] = lambda: False, moms: list[float] | None = None, workers: int = 1, told: Callable[[str], None] = lambda text: None) -> Iterator[SweepPoint]:
    """Run `config` at each cell for config.steps steps; yields each point as it is done. With one
    worker (or a small sweep) in lr-major order, here; with more, in the order they finish, from a
    pool of that many processes (sort by `cells()` for the grid's order). `told` hears what a
    person should know that is not a point: a worker that died and the cells run again."""
    grid = cells(rates, moms)
    if workers > 1 and len(grid) > 1 and len(grid) * config.steps >= POOL_FROM:
        yield from _pooled(scenario, config, grid, start, cancelled, min(workers, len(grid)), told)
        return
    for lr, m in grid:
        if cancelled():
            return
        point = run_cell(scenario, config, lr, m, start, cancelled)
        if point is None:
            return
        yield point


def _pooled(scenario: Scenario, config: RunConfig, grid: list[tuple[float, float | None]], start: tuple[float, float] | None, cancelled: Callable[[], bool], workers: int, told: Callable[[str], None]) -> Iterator[SweepPoint]:
    """The cells over a pool of `workers` processes (workers.py), in the order they finish."""
    from playground.workers import pooled

    for _, point in pooled(run_cell, [(scenario, config, lr, m, start) for lr, m in grid], workers, cancelled, told, "sweep"):
        if point is not None:
            yield point
