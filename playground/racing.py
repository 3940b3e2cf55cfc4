"""A race's lanes as a person changes them: add one (a copy of the selected lane), remove one,
select one, the preset race (SGD, momentum, Nesterov, Adam), a race saved in a scenario file, and
a race carried to another scenario; on a surface, where every lane starts. Each is the body of a
session operation (Session.add_lane, ...), working on the session through Stage (stage.py).
No UI here."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from playground import limits
from playground.autorun import PAUSED
from playground.errors import PlaygroundError
from playground.formatting import short
from playground.settings import describe, resolve
from playground.tuning import momentum_of

if TYPE_CHECKING:
    from playground.scenarios import Scenario
    from playground.stage import Stage
    from playground.tuning import Comparison

NUDGE = 1 / 40  # an arrow key moves the start by this share of the domain
NO_RACE = "one run, no race: {key:add_lane} adds a lane; {key:preset} races SGD, momentum, Nesterov and Adam"


def select(s: Stage, index: int, message: str | None = None) -> None:
    """Show and edit lane `index`: the settings and the map's colours follow it."""
    assert s.race is not None
    s.run = s.race.lanes[index]
    s.config = s.run.config
    if message is not None:
        s.message = message
    s.changed(layout=True)


def add_lane(s: Stage) -> None:
    """A new lane with the selected lane's settings; the race starts over at step 0."""

    if not s.engine_ready():
        return
    assert s.race is not None
    if len(s.lanes) >= limits.LANES:
        s.say(f"a race has at most {limits.LANES} lanes: {{key:remove_lane}} removes the selected one")
        return
    if s.running:
        s.pause()
    with s.step_lock:
        s.race.add(s.config)
    n = len(s.lanes)
    s.state = PAUSED
    select(s, n - 1, f"lane {n} added with the same settings; every lane starts over together; the settings shown are lane {n}'s")


def remove_lane(s: Stage) -> None:
    if not s.racing:
        s.say(NO_RACE)
        return
    assert s.race is not None
    index = s.lane_index
    with s.step_lock:
        gone = s.race.remove(index)
    if len(s.lanes) == 1:
        if s.running:
            s.pause()
        select(s, 0, f"removed lane {index + 1} ({describe(gone.config)}): one run left")
        return
    select(s, min(index, len(s.lanes) - 1), f"removed lane {index + 1} ({describe(gone.config)}); {len(s.lanes)} lanes race on")


def select_lane(s: Stage, index: int) -> None:
    if not s.racing:
        s.say(NO_RACE)
        return
    if not 0 <= index < len(s.lanes):
        s.say(f"the race has {len(s.lanes)} lanes: {{key:select_lane(0)}} to {{key:select_lane({len(s.lanes) - 1})}} select one")
        return
    select(s, index, f"lane {index + 1} selected: the settings shown are its own")


def preset(s: Stage) -> None:
    """SGD vs momentum vs Nesterov vs Adam, from the same start (and seed)."""
    from playground.race import PRESET, Race
    from playground.settings import parse_run

    if not s.engine_ready():
        return
    assert s.run is not None
    c = s.config
    extra = "" if s.scenario.kind == "surface" else f" loss={c.loss} seed={c.seed} batch_size={c.batch_size}"
    configs = [parse_run(s.scenario, text + extra, c.steps) for text in PRESET]
    race = Race(s.scenario, configs, s.run.start, compact=True)
    if s.running:
        s.pause()
    s.race = race
    s.state = PAUSED
    select(s, 0, "SGD vs momentum vs Nesterov vs Adam from the same start: {key:toggle_run} runs them together")


def open_saved_race(s: Stage) -> None:
    """The race a scenario file's [race] table holds (ctrl+s in a race writes it)."""
    from playground.settings import parse_run

    scenario = s.scenario
    configs = [parse_run(scenario, text, s.config.steps) for text in scenario.lanes]
    s.lesson_lanes(configs, None)
    if s.racing:
        select(s, scenario.selected - 1, f"the race saved in {Path(scenario.source).name}: {len(configs)} lanes; {{key:toggle_run}} runs them together")


def carry(s: Stage, scenario: Scenario) -> str:
    """A new scenario: the same lanes on it, each at the scenario's learning rate for its
    optimizer. Returns what to add to the status message."""
    from playground.engine import Run
    from playground.race import Race
    from playground.settings import parse_run

    texts = [" ".join(w for w in describe(lane.config).split() if not w.startswith("lr=")) for lane in s.lanes]
    index = s.lane_index
    try:
        s.race = Race(scenario, [parse_run(scenario, t) for t in texts], compact=True)
    except PlaygroundError:
        run = Run(scenario, resolve(scenario), compact=True)
        s.race, s.run, s.config = Race.of([run]), run, run.config
        return " (the race's lanes do not fit this scenario: one run)"
    s.run = s.race.lanes[index]
    s.config = s.run.config
    return f" · the {len(s.lanes)} lanes race here, each at this scenario's lr"


# ------------------------------------------------------------ where every lane starts (surfaces)


def move_start(s: Stage, point: tuple[float, float]) -> None:
    """Start every lane at `point` (data coordinates), from step 0."""
    surface = s.scenario.surface
    if surface is None or not s.engine_ready():
        return
    assert s.race is not None
    x, y = float(point[0]), float(point[1])
    value = surface.value(x, y)
    if not np.isfinite(value):
        s.say(f"the surface is not finite at ({x:.4g}, {y:.4g}): the start stays")
        return
    if s.running:
        s.pause()
    with s.step_lock:
        s.race.reset((x, y))
    if s.lesson is not None:
        s.lesson.started_over()
    s.state = PAUSED
    mine = (x, y) == tuple(surface.start)
    where = "the scenario's own start" if mine else "start"
    s.say(f"{where} ({x:.4g}, {y:.4g}), loss {value:.4g}: the run starts over from here" + ("" if mine else " · {key:original_start}: the original start"))


def nudge(s: Stage, dx: int, dy: int) -> None:
    surface = s.scenario.surface
    if surface is None or s.run is None:
        return
    (x0, x1), (y0, y1) = surface.x, surface.y
    sx, sy = s.run.start or surface.start
    move_start(s, (min(max(sx + dx * (x1 - x0) * NUDGE, x0), x1), min(max(sy + dy * (y1 - y0) * NUDGE, y0), y1)))


def original_start(s: Stage) -> None:
    surface = s.scenario.surface
    if surface is None:
        s.say("a dataset's model starts from its seed: there is no start point to move")
        return
    move_start(s, surface.start)


# ------------------------------------------------------------ a fair comparison (T)


def take_tuned(s: Stage, comparison: Comparison) -> None:
    """A finished fair comparison of the race: every lane takes its tuned setting and the race
    starts over; the message says each lane's change and the verdict."""
    from playground.tuning import verdict_text

    assert s.race is not None
    if len(comparison.lanes) != len(s.lanes):
        return
    if s.running:
        s.pause()
    changes = []
    with s.step_lock:
        for i, (lane, tuned) in enumerate(zip(s.race.lanes, comparison.lanes), 1):
            before = lane.config
            assert tuned.tuned is not None
            lane.apply(tuned.tuned)
            change = f"lr {short(before.hyper['lr'])} → {short(tuned.tuned_lr)}"
            if tuned.tuned_momentum is not None:
                change += f", momentum {short(momentum_of(before) or 0.0)} → {short(tuned.tuned_momentum)}"
            changes.append(f"lane {i} {change}" if tuned.best is not None else f"lane {i} kept (every trial diverged)")
        s.race.reset()
    assert s.run is not None
    s.config = s.run.config
    s.state = PAUSED
    s.tuned = comparison
    s.say(f"tuned on {comparison.protocol.trials} trials, {comparison.protocol.seeds} seeds: " + "; ".join(changes) + f" · {verdict_text(comparison)}")
