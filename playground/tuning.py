"""Fair comparisons: every lane tuned on the same budget, its best setting run over seeds, and a
verdict that can say "tie". No UI here: `compare --tune` and the app both use it.

The protocol, for each lane (an optimizer and its settings):
- N trials, each the scenario's step budget at one setting, from the scenario's own start and its
  own seed. Trial 0 is the lane's starting setting when it lies inside the range (the default
  range, lr/100 to 100*lr around it, always holds it, in its middle); the others are scrambled
  Sobol points (a fixed tune seed), the same points for every lane, mapped onto the lane's log-lr
  range (and, with momentum, onto [0, 0.99] for its momentum or Adam's beta1). So a tuned lane is
  never worse than the lane untuned.
- The objective: the final training loss, or the steps to the scenario's tolerance (never
  reaching it counts as the budget + 1). A diverged trial is infeasible: worst, and counted.
- The best trial's setting then runs over K seeds: on a dataset the model's initialisation and
  the minibatch order; on a surface the start point, drawn uniformly within 2% of the domain's
  width (and height) of the scenario's start.
- Per lane the median final loss over the seeds, with a 95% interval: a percentile bootstrap of
  the median (2,000 resamples, a fixed bootstrap seed; a diverged seed counts as +inf).
- The verdict: lanes ranked by median; a winner only when its interval lies wholly below every
  other lane's, else no winner and a tie of the best lane and every lane whose interval overlaps
  the best one's.

The runs are cells (`Cell`), independent of one another: the protocol hands each phase's cells
to `run_cells` (here, worker processes, or a cluster) and reads their outcomes back in order, so
the numbers are the same whoever runs them. torch is imported only where a cell runs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from playground import limits
from playground.errors import ConfigError
from playground.scenarios import Scenario
from playground.settings import RunConfig

SPAN = 100.0  # the default range: from lr/SPAN to SPAN*lr around a lane's starting lr
MOMENTUM_MAX = 0.99  # --tune-momentum: momentum (or beta1) from 0 to this
START_JITTER = 0.02  # a surface's seeds: starts within this share of the domain around its start
RESAMPLES = 2000  # the bootstrap's resamples of the seeds
BOOTSTRAP_SEED = 0
EDGE = 0.1  # a tuned lr in the lowest or highest tenth of its log range: "widen the range"
OBJECTIVES = ("loss", "steps")
CHUNK = 25  # steps between two looks at `cancelled`


@dataclass(frozen=True)
class Protocol:
    trials: int
    seeds: int = 5
    tune_seed: int = 0
    objective: str = "loss"
    lr_range: tuple[float, float] | None = None  # None: each lane's own, around its starting lr
    momentum: bool = False  # tune momentum (or beta1) too

    def check(self) -> Protocol:
        """This protocol, or a ConfigError naming the setting that is out of its limit."""
        limits.setting("tune", limits.TUNE_TRIALS, self.trials)
        limits.setting("seeds", limits.TUNE_SEEDS, self.seeds)
        limits.setting("tune_seed", limits.SEED, self.tune_seed)
        if self.objective not in OBJECTIVES:
            raise ConfigError("objective", f"{self.objective!r} is not one of {', '.join(OBJECTIVES)}")
        if self.lr_range is not None:
            lo, hi = self.lr_range
            for v in (lo, hi):
                limits.setting("lr_range", limits.LEARNING_RATE, v)
            if not lo < hi:
                raise ConfigError("lr_range", f"MIN {lo:g} is not below MAX {hi:g}")
        return self


# ---------------------------------------------------------------- the settings a lane tries


def sobol(n: int, dims: int, seed: int) -> list[tuple[float, ...]]:
    """The first `n` points of a scrambled Sobol sequence in [0, 1)^dims: the same for the same seed."""
    if n <= 0:
        return []
    from torch.quasirandom import SobolEngine

    points = SobolEngine(dimension=dims, scramble=True, seed=seed).draw(n, dtype=_float64())
    return [tuple(float(v) for v in row) for row in points.tolist()]


def _float64() -> Any:
    import torch

    return torch.float64


def momentum_name(config: RunConfig) -> str | None:
    """The hyperparameter --tune-momentum tunes for this lane: "momentum", "betas" (its beta1), or None."""
    if "momentum" in config.hyper:
        return "momentum"
    if isinstance(config.hyper.get("betas"), (tuple, list)):
        return "betas"
    return None


def momentum_of(config: RunConfig) -> float | None:
    name = momentum_name(config)
    if name is None:
        return None
    return float(config.hyper["momentum"] if name == "momentum" else config.hyper["betas"][0])


def lr_range(protocol: Protocol, config: RunConfig) -> tuple[float, float]:
    """The lane's log-lr range: the protocol's, or from lr/100 to 100*lr around its starting lr."""
    if protocol.lr_range is not None:
        return protocol.lr_range
    lr = float(config.hyper["lr"])
    return lr / SPAN, lr * SPAN


def lr_at(u: float, lo: float, hi: float) -> float:
    """The lr at place `u` (0 to 1) of the log range [lo, hi]."""
    return lo * (hi / lo) ** u


def place(lr: float, lo: float, hi: float) -> float:
    """Where lr lies in [lo, hi] on a log scale: 0 at lo, 1 at hi."""
    return math.log(lr / lo) / math.log(hi / lo)


def at_edge(u: float) -> str | None:
    """"low" or "high" when a tuned lr lies in the lowest or highest tenth of its range (the
    best may lie outside it), else None."""
    return "low" if u <= EDGE else "high" if u >= 1 - EDGE else None


def with_setting(config: RunConfig, lr: float, momentum: float | None) -> RunConfig:
    """`config` at this lr (and momentum, or beta1), everything else as it was."""
    hyper = {**config.hyper, "lr": lr}
    name = momentum_name(config)
    if momentum is not None and name == "momentum":
        hyper["momentum"] = momentum
    elif momentum is not None and name == "betas":
        hyper["betas"] = (momentum, *tuple(config.hyper["betas"])[1:])
    return replace(config, hyper=hyper)


def starts_inside(protocol: Protocol, config: RunConfig) -> bool:
    """Whether the lane's starting setting lies inside its range: then it is trial 0."""
    lo, hi = lr_range(protocol, config)
    m0 = momentum_of(config)
    tune_momentum = protocol.momentum and momentum_name(config) is not None
    return lo <= float(config.hyper["lr"]) <= hi and (not tune_momentum or (m0 is not None and 0 <= m0 <= MOMENTUM_MAX))


def trial_settings(protocol: Protocol, config: RunConfig) -> list[tuple[float, float | None]]:
    """The lane's N trials as (lr, momentum) (momentum None when it is not tuned): its starting
    setting first when it lies inside the range, then the Sobol points."""
    lo, hi = lr_range(protocol, config)
    tune_momentum = protocol.momentum and momentum_name(config) is not None
    lr0, m0 = float(config.hyper["lr"]), momentum_of(config)
    first = starts_inside(protocol, config)
    dims = 2 if protocol.momentum else 1  # the same sequence for every lane, whether it has momentum or not
    points = sobol(protocol.trials - (1 if first else 0), dims, protocol.tune_seed)
    out: list[tuple[float, float | None]] = [(lr0, m0 if tune_momentum else None)] if first else []
    for p in points:
        out.append((lr_at(p[0], lo, hi), p[1] * MOMENTUM_MAX if tune_momentum else None))
    return out


# ---------------------------------------------------------------- cells: the runs the protocol reads


@dataclass(frozen=True)
class Cell:
    """One run: lane `lane`'s trial `trial`, or its tuned setting at seed `seed` (trial None)."""

    lane: int
    trial: int | None
    seed: int
    config: RunConfig  # its lr (and momentum) and seed in
    start: tuple[float, float] | None  # a surface's start point (None: the scenario's)


@dataclass(frozen=True)
class Outcome:
    """What the protocol reads of a cell: nothing per step."""

    final_loss: float  # inf or nan where it diverged
    diverged: bool
    steps_to_tolerance: int | None  # the first step whose loss is within the tolerance
    test_accuracy: float | None  # the seeds' runs on a classification set with a test split


def seed_start(scenario: Scenario, seed: int) -> tuple[float, float] | None:
    """A surface's start for `seed`: uniform within START_JITTER of the domain's width (and
    height) around the scenario's start; None on a dataset (the seed draws the model instead)."""
    surface = scenario.surface
    if surface is None:
        return None
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surface.x, surface.y
    dx, dy = rng.uniform(-1.0, 1.0, 2)
    sx, sy = surface.start
    return float(sx + dx * START_JITTER * (x1 - x0)), float(sy + dy * START_JITTER * (y1 - y0))


def seeds(config: RunConfig, k: int) -> list[int]:
    """The K seeds a tuned setting runs at: the lane's own seed and the next K - 1."""
    return [(config.seed + i) % (limits.SEED.high + 1) for i in range(k)]


def run_cell(scenario: Scenario, cell: Cell, cancelled: Callable[[], bool] = lambda: False) -> Outcome | None:
    """Run one cell for its step budget; None when cancelled."""
    from playground.engine import Run
    from playground.race import arrival
    from playground.sweep import BLOW_UP, fell_away

    run = Run(scenario, cell.config, cell.start)
    done = 0
    while done < cell.config.steps:
        if cancelled():
            return None
        made = run.step(min(CHUNK, cell.config.steps - done))
        if not made:
            break
        done += made
    h = run.history
    first, last = h.loss[0], h.loss.last()
    blew_up = math.isfinite(last) and math.isfinite(first) and last > BLOW_UP * max(abs(first), 1e-12)
    diverged = run.diverged or blew_up or fell_away(scenario, run)
    target, tol = arrival(scenario, first)
    hits = np.flatnonzero(h.loss.array(0, len(h.loss)) <= target + tol)
    reached = int(hits[0]) if len(hits) and not diverged else None
    accuracy = None
    if cell.trial is None and h.test_accuracy is not None and len(h.test_accuracy):
        accuracy = float(h.test_accuracy.last())
    return Outcome(last, diverged, reached, accuracy)


def locally(scenario: Scenario, cancelled: Callable[[], bool] = lambda: False, each: Callable[[], None] = lambda: None) -> Callable[[Sequence[Cell]], list[Outcome | None]]:
    """Run cells one after another, here; `each` is told as each one ends."""

    def run_cells(cells: Sequence[Cell]) -> list[Outcome | None]:
        out: list[Outcome | None] = []
        for c in cells:
            out.append(None if cancelled() else run_cell(scenario, c, cancelled))
            each()
        return out

    return run_cells


def in_pool(scenario: Scenario, workers: int, cancelled: Callable[[], bool] = lambda: False, told: Callable[[str], None] = lambda text: None, each: Callable[[], None] = lambda: None) -> Callable[[Sequence[Cell]], list[Outcome | None]]:
    """Run cells over `workers` processes (workers.py), one a core; here when one is enough.
    `each` is told as each one ends."""
    from playground.workers import pooled

    def run_cells(cells: Sequence[Cell]) -> list[Outcome | None]:
        if workers <= 1 or len(cells) < 2:
            return locally(scenario, cancelled, each)(cells)
        out: list[Outcome | None] = [None] * len(cells)
        for i, outcome in pooled(run_cell, [(scenario, c) for c in cells], min(workers, len(cells)), cancelled, told, "compare --tune"):
            out[i] = outcome
            each()
        return out

    return run_cells


# ---------------------------------------------------------------- reading the outcomes


def score(outcome: Outcome, objective: str, steps: int) -> float:
    """A trial's objective, lower better; a diverged trial is infeasible (+inf)."""
    if outcome.diverged or not math.isfinite(outcome.final_loss):
        return math.inf
    if objective == "steps":
        return float(outcome.steps_to_tolerance if outcome.steps_to_tolerance is not None else steps + 1)
    return outcome.final_loss


def best(outcomes: Sequence[Outcome], objective: str, steps: int) -> int | None:
    """The index of the best feasible trial (the first of equals: a lower loss first when the
    objective is steps), or None when every trial diverged."""
    feasible = [i for i, o in enumerate(outcomes) if math.isfinite(score(o, objective, steps))]
    if not feasible:
        return None
    return min(feasible, key=lambda i: (score(outcomes[i], objective, steps), outcomes[i].final_loss, i))


def median(values: Sequence[float]) -> float:
    """The middle value, or the mean of the two middle ones (+inf counts as the largest)."""
    s = sorted(values)
    n = len(s)
    if n == 0:
        return math.nan
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def interval(values: Sequence[float], resamples: int = RESAMPLES, seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """A 95% interval for the median: the 2.5th and 97.5th percentiles of the medians of
    `resamples` resamples (with replacement) of `values`; +inf (a diverged seed) stays +inf."""
    v = np.asarray(values, dtype=np.float64)
    n = len(v)
    if n == 0:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    draws = np.sort(v[rng.integers(0, n, size=(resamples, n))], axis=1)
    medians = draws[:, n // 2] if n % 2 else _mean_of_middles(draws[:, n // 2 - 1], draws[:, n // 2])
    low, high = (_percentile(np.sort(medians), q) for q in (2.5, 97.5))
    m = median(list(v))
    return min(low, m), max(high, m)  # the sample's median lies inside (it does for any K here)


def _mean_of_middles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        out = (a + b) / 2
    out[np.isinf(a) | np.isinf(b)] = np.inf
    return out


def _percentile(ordered: np.ndarray, q: float) -> float:
    """numpy's linear percentile of sorted values, where a neighbour of +inf gives +inf."""
    pos = (len(ordered) - 1) * q / 100
    i, frac = int(math.floor(pos)), pos - math.floor(pos)
    a, b = float(ordered[i]), float(ordered[min(i + 1, len(ordered) - 1)])
    if math.isinf(a) or (frac and math.isinf(b)):
        return math.inf
    return a + (b - a) * frac


@dataclass(frozen=True)
class Verdict:
    ranks: list[int]  # 1 for the lowest median; equal medians share a rank
    winner: int | None  # a lane's index, only when its interval lies below every other's
    tie: list[int]  # with no winner: the best lane and every lane whose interval overlaps it


def verdict(spans: Sequence[tuple[float, float, float]]) -> Verdict:
    """From each lane's (median, low, high) (nan read as +inf): the ranks and the verdict."""

    def inf(v: float) -> float:
        return v if math.isfinite(v) or v == -math.inf else math.inf

    med = [inf(m) for m, _, _ in spans]
    lo = [inf(low) for _, low, _ in spans]
    hi = [inf(high) for _, _, high in spans]
    ranks = [1 + sum(other < m for other in med) for m in med]
    b = min(range(len(spans)), key=lambda i: (med[i], i))
    others = [j for j in range(len(spans)) if j != b]
    if others and all(hi[b] < lo[j] for j in others):
        return Verdict(ranks, b, [])
    return Verdict(ranks, None, [b] + [j for j in others if lo[j] <= hi[b] and lo[b] <= hi[j]])


# ---------------------------------------------------------------- the whole protocol


@dataclass
class Trial:
    lr: float
    momentum: float | None  # None when momentum was not tuned
    outcome: Outcome


@dataclass
class Lane:
    run: str  # the lane as given (`--run` text)
    config: RunConfig  # its starting settings
    range: tuple[float, float]
    trials: list[Trial] = field(default_factory=list)
    best: int | None = None  # the chosen trial (None: every trial diverged, the start kept)
    tuned: RunConfig | None = None
    seeds: list[tuple[int, Outcome]] = field(default_factory=list)
    median: float = math.nan
    low: float = math.nan
    high: float = math.nan
    rank: int = 0

    @property
    def diverged_share(self) -> float:
        return sum(t.outcome.diverged for t in self.trials) / max(1, len(self.trials))

    @property
    def tuned_lr(self) -> float:
        assert self.tuned is not None
        return float(self.tuned.hyper["lr"])

    @property
    def tuned_momentum(self) -> float | None:
        """The tuned momentum (or beta1), when momentum was tuned for this lane."""
        return self.trials[self.best].momentum if self.best is not None else None

    @property
    def at_edge(self) -> str | None:
        return at_edge(place(self.tuned_lr, *self.range))


@dataclass
class Comparison:
    scenario: str
    protocol: Protocol
    lanes: list[Lane]
    winner: int | None
    tie: list[int]
    steps: int


def check_runs(runs: Sequence[tuple[str, RunConfig]], protocol: Protocol) -> None:
    """A ConfigError when the protocol does not fit these lanes: --tune-momentum with no lane
    that has momentum, or more runs in all than the limit."""
    if protocol.momentum and not any(momentum_name(c) for _, c in runs):
        raise ConfigError("tune_momentum", "no lane has a momentum (or Adam's beta1) to tune")
    cells = (protocol.trials + protocol.seeds) * len(runs)
    if cells > limits.TUNE_CELLS:
        raise ConfigError("tune", f"{len(runs)} lanes of {protocol.trials} trials and {protocol.seeds} seeds are {cells} runs; at most {limits.TUNE_CELLS}: lower the trials or the seeds")


def compare(scenario: Scenario, runs: Sequence[tuple[str, RunConfig]], protocol: Protocol, run_cells: Callable[[Sequence[Cell]], Sequence[Outcome | None]] | None = None) -> Comparison | None:
    """The protocol on each (run text, config) lane: trials, then the best trial over seeds,
    then the verdict. `run_cells` runs a phase's cells and returns their outcomes in order (None
    where cancelled: then the whole comparison is None). A ConfigError names a setting out of
    its limit: the protocol's, or --tune-momentum with no lane that has momentum."""
    protocol.check()
    check_runs(runs, protocol)
    run_cells = run_cells or locally(scenario)
    lanes = [Lane(text, c, lr_range(protocol, c)) for text, c in runs]
    settings = [trial_settings(protocol, lane.config) for lane in lanes]
    cells = [Cell(i, t, lane.config.seed, with_setting(lane.config, lr, m), None) for i, lane in enumerate(lanes) for t, (lr, m) in enumerate(settings[i])]
    outcomes = list(run_cells(cells))
    if any(o is None for o in outcomes):
        return None
    for cell, outcome in zip(cells, outcomes):
        lr, m = settings[cell.lane][cell.trial or 0]
        lanes[cell.lane].trials.append(Trial(lr, m, outcome))  # type: ignore[arg-type]
    steps = lanes[0].config.steps if lanes else 0
    for lane in lanes:
        lane.best = best([t.outcome for t in lane.trials], protocol.objective, lane.config.steps)
        chosen = lane.trials[lane.best] if lane.best is not None else None
        lane.tuned = with_setting(lane.config, chosen.lr, chosen.momentum) if chosen is not None else lane.config
    cells = [Cell(i, None, s, replace(lane.tuned, seed=s), seed_start(scenario, s)) for i, lane in enumerate(lanes) for s in seeds(lane.config, protocol.seeds)]  # type: ignore[arg-type]
    outcomes = list(run_cells(cells))
    if any(o is None for o in outcomes):
        return None
    for cell, outcome in zip(cells, outcomes):
        lanes[cell.lane].seeds.append((cell.seed, outcome))  # type: ignore[arg-type]
    for lane in lanes:
        losses = [o.final_loss if not o.diverged and math.isfinite(o.final_loss) else math.inf for _, o in lane.seeds]
        lane.median = median(losses)
        lane.low, lane.high = interval(losses)
    v = verdict([(lane.median, lane.low, lane.high) for lane in lanes])
    for lane, rank in zip(lanes, v.ranks):
        lane.rank = rank
    return Comparison(scenario.name, protocol, lanes, v.winner, v.tie, steps)


def verdict_text(comparison: Comparison) -> str:
    """The verdict in words: a winner only when its interval lies below every other lane's."""
    runs = [lane.run for lane in comparison.lanes]
    if comparison.winner is not None:
        return f"{runs[comparison.winner]} wins: its interval lies below every other lane's"
    tie = [runs[i] for i in comparison.tie]
    if len(runs) == 1:
        return f"one lane ({runs[0]}): nothing to compare it with"
    return f"no winner: {', '.join(tie[:-1])} and {tie[-1]} tie (their intervals overlap {runs[comparison.tie[0]]}'s, the best median)"


def over_seeds(comparison: Comparison | None, configs: Sequence[RunConfig]) -> list[str] | None:
    """Each lane's "median [low, high]" over the seeds, when `comparison` tuned these lanes and
    they still have its settings (a scoreboard shows it); else None."""
    if comparison is None or [lane.tuned for lane in comparison.lanes] != list(configs):
        return None
    from playground.formatting import short

    return [f"{short(lane.median)} [{short(lane.low)}, {short(lane.high)}]" for lane in comparison.lanes]
