"""The settings as a person changes them: a choice from a list (scenario, optimizer, loss,
schedule), a field typed or switched, a sweep's point taken, the lr scaled, another optimizer or
scenario. Each is the body of a session operation (Session.pick, Session.edit, ...), working on
the session through Stage (stage.py). No UI here."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from playground import limits, racing, scenarios
from playground.autorun import PAUSED
from playground.errors import ConfigError, PlaygroundError
from playground.formatting import short
from playground.optimizers import get_optimizer
from playground.schedules import get_schedule
from playground.settings import RunConfig, resolve, setting, spoken

if TYPE_CHECKING:
    from playground.stage import Stage


def pick(s: Stage, which: str, value: str) -> None:
    """A choice from a list: scenario, optimizer, loss or schedule."""
    if which == "scenario" and value != s.scenario.name:
        switch_scenario(s, value)
    elif which == "optimizer" and value != s.config.optimizer:
        switch_optimizer(s, value)
    elif which == "loss" and value != s.config.loss and s.scenario.kind != "surface":
        apply(s, replace(s.config, loss=value), layout=True)
    elif which == "schedule" and value != s.config.schedule:
        spec = get_schedule(value)
        apply(s, replace(s.config, schedule=spec.name, schedule_params=spec.validate({})), layout=True)


def edit(s: Stage, name: str, value: str | bool) -> str | None:
    """Set field `name` from what was typed (or switched): None when it took, else why not
    (the setting stays as it was)."""
    try:
        config = setting(s.config, name).put(s.config, value)
        if config != s.config:
            if config.seed != s.config.seed and s.running:
                s.pause()
            apply(s, config)
    except (ConfigError, limits.LimitError, ValueError) as exc:
        why = str(getattr(exc, "message", exc))
        # the message line says it too: the field's own line may be out of sight
        s.say(f"{spoken(name)} not changed: {why}")
        return why
    except Exception as exc:  # noqa: BLE001 - our own bug
        s.fault(exc)
        return "internal error"
    return None


def take_point(s: Stage, lr: float, momentum: float | None = None) -> None:
    """A sweep's point for the run: its lr, and its momentum from a phase diagram."""
    c = s.config
    changes = {"lr": lr, **({"momentum": momentum} if momentum is not None else {})}
    try:
        config = replace(c, hyper=get_optimizer(c.optimizer).validate({**c.hyper, **changes}))
    except ConfigError as exc:
        s.say(f"the sweep's point not taken: {exc}")
        return
    apply(s, config)
    words = " and ".join(f"{k} {short(v)}" for k, v in changes.items())
    s.say(f"{words}: the sweep's lowest final loss, now the run's")


def scale_lr(s: Stage, factor: float) -> None:
    error = edit(s, "lr", repr(s.config.hyper.get("lr", 0.0) * factor))
    if error:
        s.say(f"lr: {error}")


def apply(s: Stage, config: RunConfig, layout: bool = False) -> None:
    """`config` for the selected lane (every lane, for a new seed in a race: they share it)."""
    run, before = s.run, s.step_count
    if s.racing and run is not None and config.seed != run.config.seed:
        # a race runs every lane from the same seed: a new one restarts them all together
        assert s.race is not None
        with s.step_lock:
            for lane in s.race.lanes:
                lane.apply(replace(config if lane is run else lane.config, seed=config.seed))
            s.race.reset()
        s.config = run.config
        s.message = f"seed {config.seed}: every lane started over"
    elif run is not None:
        with s.step_lock:
            message = run.apply(config)
        s.config = run.config
        if message:
            s.message = message
    else:
        s.config = config
    if s.lesson is not None and s.step_count < before:  # a new seed started it over
        s.lesson.started_over()
    s.changed(layout)


def switch_optimizer(s: Stage, name: str) -> None:
    c = s.config
    try:
        config = resolve(s.scenario, optimizer=name, loss=c.loss, seed=c.seed, batch_size=c.batch_size, steps=c.steps)
    except ConfigError as exc:
        s.message = exc.message if exc.field == "optimizer" else f"{name}: {exc}"
        s.changed(layout=True)  # the picker goes back to the optimizer in force
        return
    # the schedule and the clipping belong to the run, not to the optimizer: keep them
    apply(s, replace(config, schedule=c.schedule, schedule_params=c.schedule_params, clip=c.clip), layout=True)


def switch_scenario(s: Stage, name: str) -> None:
    try:
        scenario = scenarios.load(s.paths.get(name, name))
        config = resolve(scenario)
    except PlaygroundError as exc:
        s.message = str(exc)
        s.changed(layout=True)  # the picker goes back to the scenario shown
        return
    if s.running:
        s.pause()
    s.paths.setdefault(scenario.name, scenario.source)
    s.lesson = None  # another scenario ends a lesson
    note = ""
    if s.racing:
        note = racing.carry(s, scenario)
    elif s.race is not None:
        from playground.engine import Run
        from playground.race import Race

        try:
            run = Run(scenario, config, compact=True)
        except PlaygroundError as exc:
            s.say(str(exc))
            return
        s.race, s.run = Race.of([run]), run
    if not s.racing:
        s.config = s.run.config if s.run is not None else config
    s.scenario = scenario
    s.state = PAUSED
    s.landscape.reset()
    s.message = f"{scenario.title}: {scenario.description}{note}"
    if scenario.lanes and s.run is not None:  # a saved race: its lanes, not the carried ones
        s.open_saved_race()
    s.changed(layout=True)
