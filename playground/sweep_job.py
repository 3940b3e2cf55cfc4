"""A sweep as the session runs it: a job with a start, its progress (the points as they come), a
cancel and a result (the best point). An lr sweep, or with a momentum axis a phase diagram. No
UI here: the sweep screen draws a job; a test starts one, waits for it and reads it, headless.

The cells run in a thread of the job's own (and from there on every core, sweep.sweep), never on
the UI thread; so does the curvature that heavy ball's exact edge needs. A job asked to start
before torch is loaded waits, and starts on the first `poll` once it is.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from playground import limits
from playground.errors import ConfigError
from playground.job import Job
from playground.settings import RunConfig

if TYPE_CHECKING:
    from playground.problems import Curvature
    from playground.scenarios import Scenario
    from playground.sweep import SweepPoint

DEFAULT_POINTS = 20


@dataclass(frozen=True)
class Axes:
    """What a sweep covers: lr_min to lr_max in `points` log-spaced rates, each run `steps` steps;
    with momenta > 0, that many momenta from m_min to m_max at every rate (a phase diagram)."""

    lr_min: float
    lr_max: float
    points: int = DEFAULT_POINTS
    steps: int = 500
    momenta: int = 0
    m_min: float = 0.0
    m_max: float = 0.99

    @classmethod
    def around(cls, config: RunConfig) -> Axes:
        """The axes a sweep of `config` opens with: from lr/100 to lr·10, at the run's budget."""
        lr = float(config.hyper.get("lr") or 1e-3)
        return cls(lr / 100, lr * 10, DEFAULT_POINTS, max(limits.SWEEP_STEPS.low, min(config.steps, limits.SWEEP_STEPS.high)))

    @classmethod
    def typed(cls, fields: dict[str, str]) -> Axes:
        """Axes from what was typed in the sweep's fields (lr_min, lr_max, points, steps, momenta,
        m_min, m_max); ConfigError names the field that is wrong."""

        def read(name: str, limit: limits.Whole | limits.Number) -> Any:
            return limits.setting(name, limit, fields[name], typed=True)

        return cls(
            read("lr_min", limits.LEARNING_RATE),
            read("lr_max", limits.LEARNING_RATE),
            read("points", limits.SWEEP_POINTS),
            read("steps", limits.SWEEP_STEPS),
            read("momenta", limits.MOMENTA),
            read("m_min", limits.MOMENTUM),
            read("m_max", limits.MOMENTUM),
        )


class SweepJob(Job):
    """One sweep of `config` from `start`: start(axes), then points, done, error, note, best();
    its listeners are told of each point and of the end."""

    def __init__(self, scenario: Scenario, config: RunConfig, start: tuple[float, float] | None = None, ready: Callable[[], bool] = lambda: True, curvature: Callable[[], Curvature | None] = lambda: None, workers: int | None = None) -> None:
        """`ready`: torch is loaded (until then the job waits); `curvature`: the surface's at the
        start, for heavy ball's exact edge (computed in the job's thread); `workers`: processes
        for the cells (None: the app's share of the cores)."""
        super().__init__()
        self.scenario, self.config, self.start_point = scenario, config, start
        self.ready, self._curvature, self.workers = ready, curvature, workers
        self.axes = Axes.around(config)
        self.rates: list[float] = []
        self.moms: list[float] | None = None
        self.points: list[SweepPoint] = []
        self.done = False
        self.curvature: Curvature | None = None
        self.waiting = False  # asked to start before torch was there

    @property
    def running(self) -> bool:
        return bool(self.rates) and not self.done and not self.error and not self.waiting

    @property
    def cells(self) -> int:
        return len(self.rates) * (len(self.moms) if self.moms else 1)

    def start(self, axes: Axes) -> None:
        """Sweep `axes` (stopping a sweep under way); ConfigError, and nothing changes, when an
        axis is wrong (a min above its max)."""
        from playground.sweep import learning_rates, momentum_axis

        rates = learning_rates(axes.lr_min, axes.lr_max, axes.points)
        moms = momentum_axis(self.config.optimizer, self.config.hyper, axes.m_min, axes.m_max, axes.momenta) if axes.momenta else None
        self.cancel()
        self.axes, self.rates, self.moms = axes, rates, moms
        self.points, self.done, self.error, self.note = [], False, "", ""
        self.waiting = True
        self.poll()

    def poll(self) -> None:
        """Start a waiting sweep if torch is there (the session polls it when torch arrives)."""
        if self.waiting and self.ready():
            self.waiting = False
            self._launch(self._run, replace(self.config, steps=self.axes.steps), self.rates, self.moms, self.points, name="sweep")
            self._changed()

    def cancel(self) -> None:
        """Stop the sweep between two chunks of steps (its points so far stay)."""
        self.waiting = False
        super().cancel()

    def _run(self, config: RunConfig, rates: list[float], moms: list[float] | None, points: list[SweepPoint], stop: threading.Event) -> None:
        from playground.sweep import sweep
        from playground.workers import app_workers

        try:
            if self.moms is not None and self.curvature is None:
                self.curvature = self._curvature()
            workers = self.workers or app_workers()
            for point in sweep(self.scenario, config, rates, self.start_point, cancelled=stop.is_set, moms=moms, workers=workers, told=self._told):
                if stop.is_set():
                    return
                points.append(point)
                self._changed()
        except Exception as exc:  # noqa: BLE001 - said where the sweep is shown, which stays usable
            if not stop.is_set():
                self.error = f"the sweep failed: {type(exc).__name__}: {exc}".splitlines()[0][:200]
                self._changed()
            return
        if not stop.is_set() and points is self.points:
            self.done = True
            self._changed()

    def best(self) -> SweepPoint | None:
        """The point with the lowest final loss of those that did not diverge."""
        good = [p for p in self.points if not p.diverged and math.isfinite(p.final_loss)]
        return min(good, key=lambda p: p.final_loss) if good else None

    def edge(self) -> Curvature | None:
        """The curvature, where heavy ball's edge holds exactly: a quadratic surface, SGD with
        momentum and no Nesterov, dampening or weight decay, and a constant lr."""
        c, h = self.curvature, self.config.hyper
        if c is None or not c.quadratic or c.high <= 0 or self.config.optimizer != "sgd":
            return None
        if h.get("nesterov") or h.get("dampening") or h.get("weight_decay") or self.config.schedule != "constant":
            return None
        return c


def refused(exc: ConfigError, axes: Axes, edited: str) -> str:
    """An axis refused, in the words of the sweep's fields. An axis whose min is above its max
    names the field the person changed last (`edited`: it blamed lr min for an edited lr max)."""
    names = {"momentum_points": "momenta", "momentum_min": "m min", "momentum_max": "m max"}
    spans = {"lr_min": ("lr min", "lr max", axes.lr_min, axes.lr_max, "lr_max"), "momentum_min": ("m min", "m max", axes.m_min, axes.m_max, "m_max")}
    if exc.field in spans:
        low_name, high_name, low, high, high_id = spans[exc.field]
        if low > high:
            if edited == high_id:
                return f"{high_name}: {high:g} is below {low_name} {low:g}"
            return f"{low_name}: {low:g} is above {high_name} {high:g}"
    return f"{names.get(exc.field, exc.field.replace('_', ' '))}: {exc.message}"
