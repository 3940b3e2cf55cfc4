"""A race: up to six runs (lanes) on one scenario, from the same start and seed, stepping in
lockstep; and the scoreboard that says who got where. No UI here: `playground compare` and the
TUI's compare mode both drive a Race.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from playground import limits
from playground.engine import Run
from playground.errors import ConfigError
from playground.scenarios import Scenario
from playground.settings import RunConfig, describe

SURFACE_TOLERANCE = 1e-6  # relative: of the distance from the start loss to the lowest known minimum
DATASET_TOLERANCE = 1e-2  # relative: of the start loss

# Four lanes a person reaches for first: the same problem, from plain SGD to Adam. The learning
# rate is the scenario's for each optimizer.
PRESET = ("sgd", "sgd momentum=0.9", "sgd momentum=0.9 nesterov=true", "adam")


@dataclass(frozen=True)
class Score:
    lane: int
    label: str
    final_loss: float
    reached_at: int | None  # the first step whose loss is within the tolerance
    diverged_at: int | None
    steps: int


class Race:
    def __init__(self, scenario: Scenario, configs: list[RunConfig], start: tuple[float, float] | None = None, full_history: bool = True, compact: bool = False) -> None:
        if not 1 <= len(configs) <= limits.LANES:
            raise ConfigError("run", f"a race takes 1 to {limits.LANES} lanes, not {len(configs)}")
        self.scenario = scenario
        self.full_history = full_history
        self.compact = compact
        self.lanes = [Run(scenario, c, start, full_history, compact) for c in configs]
        self._reached: list[_Reach] = [_Reach() for _ in self.lanes]

    @classmethod
    def of(cls, runs: list[Run]) -> Race:
        """A race of runs already made (a single run is a race of one lane)."""
        race = cls.__new__(cls)
        first = runs[0]
        race.scenario, race.full_history, race.compact = first.scenario, first.full_history, first.compact
        race.lanes = list(runs)
        race._reached = [_Reach() for _ in race.lanes]
        return race

    @property
    def start(self) -> tuple[float, float] | None:
        return self.lanes[0].start

    @property
    def step_count(self) -> int:
        return max(lane.step_count for lane in self.lanes)

    @property
    def running(self) -> list[Run]:
        """The lanes still going: a lane that diverged or raised stops; the others go on."""
        return [lane for lane in self.lanes if lane.diverged_at is None]

    def labels(self) -> list[str]:
        return [describe(lane.config) for lane in self.lanes]

    def step(self, n: int = 1) -> int:
        """n updates of every lane still going; returns the most any lane made."""
        return max((lane.step(n) for lane in self.running), default=0)

    def reset(self, start: tuple[float, float] | None = None) -> None:
        for lane in self.lanes:
            lane.reset(start)
        self._reached = [_Reach() for _ in self.lanes]

    def add(self, config: RunConfig) -> Run:
        """A new lane; the race starts over so that every lane runs from step 0 together."""
        if len(self.lanes) >= limits.LANES:
            raise ConfigError("lanes", f"a race has at most {limits.LANES} lanes; remove one first")
        lane = Run(self.scenario, config, self.start, self.full_history, self.compact)
        self.lanes.append(lane)
        self.reset()
        return lane

    def remove(self, index: int) -> Run:
        if len(self.lanes) <= 1:
            raise ConfigError("lanes", "the last lane stays; a race needs one")
        lane = self.lanes.pop(index)
        self._reached.pop(index)
        return lane

    # ------------------------------------------------------------ the scoreboard

    def tolerance(self) -> tuple[float, float]:
        """(target, tolerance) for the race's start loss (see arrival)."""
        return arrival(self.scenario, self.lanes[0].history.loss[0])

    def scores(self) -> list[Score]:
        target, tol = self.tolerance()
        out = []
        for i, (lane, reach) in enumerate(zip(self.lanes, self._reached)):
            out.append(Score(i, describe(lane.config), lane.history.loss.last(), reach.update(lane, target + tol), lane.diverged_at, lane.step_count))
        return out


def arrival(s: Scenario, start_loss: float) -> tuple[float, float]:
    """(target, tolerance): a run has arrived when its loss - target <= tolerance. The scenario's
    [defaults] tolerance is an absolute loss; otherwise surfaces aim at their lowest known minimum
    (0 if none is known) within 1e-6 of the way there from `start_loss`, and datasets at 1% of
    `start_loss`."""
    if s.defaults.tolerance is not None:
        return 0.0, s.defaults.tolerance
    if s.surface is not None:
        target = min((_value_at(s, m) for m in s.surface.minima), default=0.0)
        return target, SURFACE_TOLERANCE * abs(start_loss - target)
    return 0.0, DATASET_TOLERANCE * abs(start_loss)


class _Reach:
    """The first step whose loss is at or below a bound, found by scanning only new rows."""

    def __init__(self) -> None:
        self.scanned = 0
        self.at: int | None = None
        self.bound: float | None = None

    def update(self, run: Run, bound: float) -> int | None:
        if bound != self.bound:
            self.scanned, self.at, self.bound = 0, None, bound
        if self.at is not None:
            return self.at
        loss = run.history.loss
        n = len(loss)
        if n > self.scanned:
            if not run.full_history:
                hit = loss.last() <= bound
                self.at = n - 1 if hit else None
            else:
                new = loss.array(self.scanned, n)
                hits = np.flatnonzero(new <= bound)
                if len(hits):
                    self.at = self.scanned + int(hits[0])
            self.scanned = n
        return self.at


def _value_at(scenario: Scenario, point: tuple[float, float]) -> float:
    assert scenario.surface is not None
    with np.errstate(all="ignore"):
        v = float(scenario.surface.formula.numpy(np.float64(point[0]), np.float64(point[1])))
    return v if math.isfinite(v) else 0.0
