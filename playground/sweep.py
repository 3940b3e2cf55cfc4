"""A learning-rate sweep: the same scenario and optimizer at log-spaced learning rates, and where
each ends. No UI here: `playground sweep` and the TUI's sweep screen both use it.

torch is imported only by `sweep` itself: the sweep screen reads its limits and learning rates
on the UI thread, which must not wait for torch while the app is still loading it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from playground import limits
from playground.errors import ConfigError
from playground.scenarios import Scenario
from playground.settings import RunConfig

# A run whose loss ends this many times above where it began diverged, even if it has not yet
# overflowed: the sweep's budget is often too short for a slow blow-up to reach infinity.
BLOW_UP = 1e3
CHUNK = 25  # steps between two looks at `cancelled`: a dataset step can take milliseconds


@dataclass(frozen=True)
class SweepPoint:
    lr: float
    final_loss: float  # may be inf or nan where the run diverged
    diverged: bool
    diverged_at: int | None
    steps: int


def learning_rates(lr_min: float, lr_max: float, points: int) -> list[float]:
    """`points` learning rates spaced evenly on a log scale, the first lr_min and the last lr_max."""
    for name, limit, v in (("lr_min", limits.LEARNING_RATE, lr_min), ("lr_max", limits.LEARNING_RATE, lr_max), ("points", limits.SWEEP_POINTS, points)):
        limits.setting(name, limit, v)
    if lr_min > lr_max:
        raise ConfigError("lr_min", f"{lr_min:g} is above lr_max {lr_max:g}")
    if points == 1:
        return [float(lr_min)]
    lo, hi = math.log(lr_min), math.log(lr_max)
    rates = [math.exp(lo + (hi - lo) * i / (points - 1)) for i in range(points)]
    rates[0], rates[-1] = float(lr_min), float(lr_max)  # exact ends, not exp(log(x))
    return rates


def sweep(scenario: Scenario, config: RunConfig, rates: list[float], start: tuple[float, float] | None = None, cancelled: Callable[[], bool] = lambda: False) -> Iterator[SweepPoint]:
    """Run `config` at each rate for config.steps steps; yields each point as it is done."""
    from playground.engine import Run

    for lr in rates:
        if cancelled():
            return
        run = Run(scenario, replace(config, hyper={**config.hyper, "lr": lr}), start, full_history=False)
        done = 0
        while done < config.steps and not cancelled():
            made = run.step(min(CHUNK, config.steps - done))
            if not made:
                break
            done += made
        first, last = run.history.loss[0], run.history.loss.last()
        blew_up = math.isfinite(last) and math.isfinite(first) and last > BLOW_UP * max(abs(first), 1e-12)
        yield SweepPoint(lr, last, run.diverged or blew_up, run.diverged_at, run.step_count)
