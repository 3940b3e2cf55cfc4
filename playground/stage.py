"""Stage: what the session's operations that live in modules of their own (racing.py, loading.py,
editing.py, lesson_parts.py) read and change of a session, and no more. They take a Stage, not a
Session, so that none of them imports the session: the session imports them."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from playground.autorun import State
    from playground.engine import Run
    from playground.landscape_view import LandscapeView
    from playground.lessons import Player
    from playground.race import Race
    from playground.scenarios import Scenario
    from playground.settings import RunConfig
    from playground.sweep_job import SweepJob
    from playground.tuning import Comparison


class Stage(Protocol):
    scenario: Scenario
    config: RunConfig
    first_config: RunConfig  # the settings the session began with, before torch loaded
    run: Run | None
    race: Race | None
    state: State
    step_lock: threading.Lock
    lock: threading.RLock
    message: str
    paths: dict[str, str]
    queued: list[str]
    engine_error: str | None
    speed_index: int
    lesson: Player | None
    landscape: LandscapeView
    sweep: SweepJob | None
    tuned: Comparison | None  # the last fair comparison whose tuned settings the lanes took

    @property
    def lanes(self) -> list[Run]: ...

    @property
    def lane_index(self) -> int: ...

    @property
    def racing(self) -> bool: ...

    @property
    def running(self) -> bool: ...

    @property
    def step_count(self) -> int: ...

    def engine_ready(self) -> bool: ...

    def start(self, until: int | None = None, done: str = "") -> None: ...

    def pause(self, message: str | None = None) -> None: ...

    def stop_state(self, past_converged: bool = False) -> tuple[State | None, str]: ...

    def say(self, message: str) -> None: ...

    def fault(self, exc: BaseException) -> None: ...

    def changed(self, layout: bool = False) -> None: ...

    def open_part(self, index: int) -> None: ...

    def open_saved_race(self) -> None: ...

    def lesson_lanes(self, configs: list[RunConfig], start: tuple[float, float] | None) -> None: ...

