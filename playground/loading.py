"""torch loading while a face shows its first frame: the run built in a thread of its own, handed
to the session once there, and the keys pressed meanwhile (space, s) done in order. Each is the
body of a session operation (Session.load_engine, Session.use), working on the session through
Stage. No UI here."""

from __future__ import annotations

import gc
import sys
from typing import TYPE_CHECKING

from playground.autorun import PAUSED, SPEEDS
from playground.errors import PlaygroundError

if TYPE_CHECKING:
    from playground.engine import Run
    from playground.stage import Stage


def load(s: Stage) -> Run | None:
    """Import torch and build the run for the session's scenario and settings; None when it
    could not start (said, and kept in `engine_error`)."""
    # Importing torch reads hundreds of files, and every read lets go of the GIL. While the
    # UI thread is busy (keys, resizes), getting the GIL back would take a whole switch
    # interval each time (5 ms by default): under a storm of keys the import starved for
    # ten seconds. Short turns while it runs give it its share.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    try:
        from playground.engine import Run, warm_up

        warm_up()
        run = Run(s.scenario, s.config, compact=True)
    except PlaygroundError as exc:
        with s.lock:
            s.engine_error = str(exc)
            s.say(f"the engine could not start: {exc}")
    except Exception as exc:  # noqa: BLE001 - shown, and the session stays usable
        with s.lock:
            s.engine_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
            s.fault(exc)
    else:
        return run
    finally:
        sys.setswitchinterval(interval)
    if s.sweep is not None:  # a sweep that waited for torch says why it cannot run
        s.sweep.poll()
    return None


def use(s: Stage, run: Run) -> None:
    """Show and train `run` (the loading thread's, or one a test built)."""
    from playground.engine import Run as RunClass
    from playground.race import Race

    with s.lock:
        if not gc.get_freeze_count():
            # torch, Textual and the app are loaded: some 185,000 objects that live as long
            # as the process. Out of the collector's sight, its full passes take
            # milliseconds instead of 0.15-0.25 s, a stutter every few seconds of auto-run.
            gc.freeze()
        if run.scenario.name != s.scenario.name:  # the scenario changed while torch loaded
            run = RunClass(s.scenario, s.config, compact=True)
        elif s.run is None and s.config is not s.first_config and run.config != s.config:
            s.message = run.apply(s.config)  # settings typed while torch loaded
        s.scenario, s.config = run.scenario, run.config
        s.race = Race.of([run])
        s.run = run
        queued, s.queued = s.queued, []
        if s.lesson is not None and s.lesson.index < 0:
            s.open_part(0)
        elif s.scenario.lanes:
            s.open_saved_race()
        replay(s, queued)
        if s.sweep is not None:  # a sweep asked for while torch loaded starts now
            s.sweep.poll()
        s.changed(layout=True)


def replay(s: Stage, keys: list[str]) -> None:
    """Do what was pressed while torch loaded (space, s, a lesson's n and p). A run that was
    started and stopped again before the engine was there still makes one slice of steps, as a
    short run would."""
    assert s.race is not None
    running = False
    for key in keys:
        if key == "step":
            s.race.step(1)
            running = False
        elif key == "toggle":
            if running:
                s.race.step(max(1, (SPEEDS[s.speed_index] or 1000) // 50))
            running = not running
        elif key.startswith("part "):  # n or p in a lesson: its part, opened as it is now
            s.open_part(int(key.split()[1]))
    s.state = s.stop_state()[0] or PAUSED
    if running:
        s.start()


def queue(s: Stage, key: str) -> bool:
    """Keep `key` for when torch is there; False when it is there already."""
    with s.lock:  # not between the loading thread's replay and its hand-over
        if s.race is not None:
            return False
        s.queued.append(key)
        s.changed()
        return True
