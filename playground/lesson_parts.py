"""A lesson played on the session: the lesson opened, a part opened (its settings, from the
lesson's start), and what a part puts in place (its scenario, its lanes, or its settings on the
run as it stands). Each is the body of a session operation (Session.open_lesson, ...), working on
the session through Stage (stage.py); lessons.Player asks for them. No UI here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playground import editing, loading, racing
from playground.autorun import PAUSED
from playground.formatting import count

if TYPE_CHECKING:
    from playground.lessons import Lesson
    from playground.scenarios import Scenario
    from playground.settings import RunConfig
    from playground.stage import Stage


def open_part(s: Stage, index: int) -> None:
    """The lesson's part `index` (0-based): its settings, from the lesson's start as the
    lesson plays it (the same every time)."""
    player = s.lesson
    if player is None:
        s.say("not in a lesson: `playground lesson` lists them")
        return
    if 0 <= index < len(player.lesson.parts) and loading.queue(s, f"part {index}"):  # torch still loading
        s.say(f"part {index + 1} opens once torch has loaded")
        return
    if not s.engine_ready():
        return
    if not 0 <= index < len(player.lesson.parts):
        s.say("the lesson's last part: {key:lesson_part(-1)} goes back" if index > 0 else "the lesson's first part: {key:lesson_part(1)} goes on")
        return
    if s.running:
        s.pause()
    player.open(index)
    part = player.part
    steps = f"{{key:toggle_run}} trains its {count(part.run, 'step')}" if part.run else "{key:lesson_part(1)} goes on"
    s.say(f"part {index + 1}/{len(player.lesson.parts)}: {steps}")


def open_lesson(s: Stage, lesson: Lesson) -> None:
    """Play `lesson` here: its scenario, then its first part."""
    from playground.lessons import Player

    s.paths[lesson.name] = lesson.scenario.source
    editing.switch_scenario(s, lesson.name)
    if s.scenario.source != lesson.scenario.source:  # it could not be opened: said already
        return
    s.lesson = Player(lesson, s)
    if s.race is not None:
        s.open_part(0)


def lanes(s: Stage, configs: list[RunConfig], start: tuple[float, float] | None) -> None:
    """A lesson's part from the start: one run, or a race of `configs` (lane 1 selected)."""
    from playground.race import Race

    if not s.engine_ready():
        return
    if s.running:
        s.pause()
    with s.step_lock:
        s.race = Race(s.scenario, configs, start, compact=True)
    s.state = PAUSED
    racing.select(s, 0)


def scenario(s: Stage, there: Scenario) -> None:
    """A lesson's part on another scenario (the same bowl, turned): the lesson goes on there;
    the part's lanes follow (lanes)."""
    if s.running:
        s.pause()
    s.paths.setdefault(there.name, there.source)
    s.scenario = there
    s.landscape.reset()


def settings(s: Stage, config: RunConfig) -> None:
    """A lesson's part that goes on from where the last stopped, with its settings."""
    if not s.engine_ready():
        return
    if s.racing:  # the lesson's settings are one run's: lane 1 goes on alone
        assert s.race is not None
        with s.step_lock:
            while len(s.race.lanes) > 1:
                s.race.remove(len(s.race.lanes) - 1)
        racing.select(s, 0)
    if s.running:
        s.pause()
    editing.apply(s, config, layout=True)
