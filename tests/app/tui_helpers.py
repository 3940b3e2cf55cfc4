"""Driving the playground TUI through Textual's pilot, deterministically: the run is built in the
test (`load_engine=False`, then `app.session.use`, as the loading thread hands its run over),
not in the app's loading thread. The tests' only reach into Textual's private details (its
pilot's screen wait, its driver, key names, an app's exception and exit flag) is here.

`press` stands in for `pilot.press`: the pilot waits, after each key, until the process's CPU
time stops advancing (`wait_for_idle`, up to 1 s, twice), which never happens while a training
thread works, so each key would cost 2 s during auto-run. `press` sends the same key events and
waits only until the app, the screen and its widgets have handled the key.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Any

from textual import events
from textual.geometry import Size
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot

from playground import scenarios
from playground.app import PlaygroundApp
from playground.engine import Run
from playground.settings import resolve


@asynccontextmanager
async def open_app(name: str, size: tuple[int, int] = (120, 40), **config: Any):
    """The app on scenario `name`, with a run built here (not in the loading thread)."""
    scenario = scenarios.load(name)
    app = PlaygroundApp(scenario, load_engine=False)
    async with app.run_test(size=size) as pilot:
        app.session.use(Run(scenario, resolve(scenario, **config)))
        await settings_filled(pilot)
        await settled(pilot)
        yield app, pilot


async def handed_over(pilot: Pilot, run: Run) -> None:
    """`run` handed to the session as the loading thread hands its run over, until the screen
    shows it."""
    pilot.app.session.use(run)
    await settled(pilot)


async def settings_filled(pilot: Pilot) -> None:
    """The settings panel fills just after the first frame (`ControlPanel.fill`): wait for it,
    laid out (a click finds its fields)."""
    panel = main_screen(pilot.app).query_one("#controls")
    await wait_until(pilot, lambda: panel.filled and all(f.size.width for f in panel.query(".field")), what="the settings panel to fill")


def main_screen(app: PlaygroundApp):  # noqa: ANN201
    return app.screen_stack[0]


def status(app: PlaygroundApp) -> str:
    """The status line as shown (both of its lines)."""
    return str(main_screen(app).query_one("#status").render())


def shown_step(app: PlaygroundApp) -> int:
    match = re.search(r"\bstep (\d+)\b", status(app))
    assert match, status(app)
    return int(match.group(1))


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 10.0, what: str = "") -> float:
    """Let the app run until `condition()` holds, then, unless it runs, until the main screen shows
    the session as it now is (a thread's change reaches the screen at its next frame); returns the
    seconds the condition took."""
    t0 = time.perf_counter()
    while not condition():
        if time.perf_counter() - t0 > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await pilot.pause(0.02)
    took = time.perf_counter() - t0
    app = pilot.app
    while app.screen_stack and not app.session.running and not app.main.caught_up and time.perf_counter() - t0 < timeout:
        await pilot.pause(0.02)
    return took


async def eventually(pilot: Pilot, check: Callable[[], Any], timeout: float = 10.0, what: str = "") -> None:
    """Let the app run until `check()` passes: returns without an AssertionError (and not
    False). On a timeout, the check's own last AssertionError is raised, as strict as it is."""
    failed: list[AssertionError] = []

    def passes() -> bool:
        try:
            ok = check() is not False
        except AssertionError as exc:
            failed[:] = [exc]
            return False
        if not ok:
            failed[:] = [AssertionError(f"{what or check} is False")]
        return ok

    try:
        await wait_until(pilot, passes, timeout, what)
    except AssertionError:
        if failed:
            raise failed[0] from None
        raise


async def settled(pilot: Pilot) -> None:
    """Until the main screen shows the session as it now is (its next frame, after a change)."""
    await wait_until(pilot, lambda: pilot.app.main.caught_up, what="the screen to show the session")


async def app_ended(app: PlaygroundApp, timeout: float = 30.0) -> None:
    """Until the app has ended (or failed): after q, on a loaded machine, that takes a while.
    Polls without the pilot, whose screens may be gone."""
    import asyncio

    t0 = time.perf_counter()
    while app.return_code is None and time.perf_counter() - t0 < timeout:
        await asyncio.sleep(0.02)


async def screen_ready(pilot: Pilot) -> None:
    """Until the main screen's widgets are there, the settings too: a snapshot's `run_before`
    begins as the app starts, before the default screen has composed."""
    app = pilot.app
    await wait_until(pilot, lambda: bool(app.screen_stack) and bool(app.screen_stack[0].query("#map")), what="the main screen")
    await settings_filled(pilot)


async def resize(pilot: Pilot, width: int, height: int) -> None:
    """`pilot.resize_terminal` without its wait for an idle process (1 s while training runs)."""
    app = pilot.app
    size = Size(width, height)
    app.post_message(events.Resize(size, size))
    for _ in range(3):
        await pilot._wait_for_screen()


async def wait_still(pilot: Pilot, value: Callable[[], Any], quiet: float = 0.2, timeout: float = 5.0, what: str = "") -> None:
    """Wait until `value()` stays the same for `quiet` seconds (a thread that was told to stop
    may still be ending its slice)."""
    t0 = time.perf_counter()
    while True:
        before = value()
        await pilot.pause(quiet)
        if value() == before:
            return
        if time.perf_counter() - t0 > timeout:
            raise AssertionError(f"{what or value} does not settle")


async def wait_stopped(pilot: Pilot, app: PlaygroundApp, quiet: float = 0.2, timeout: float = 5.0) -> None:
    """Wait until the run makes no step for `quiet` seconds (a cancelled thread worker counts as
    finished at once, while its thread may still be ending its slice)."""
    t0 = time.perf_counter()
    while True:
        n = app.session.run.step_count
        await pilot.pause(quiet)
        if app.session.run.step_count == n:
            return
        if time.perf_counter() - t0 > timeout:
            raise AssertionError("the run does not stop")


async def type_into(pilot: Pilot, selector: str, text: str, typed: bool = False) -> None:
    """Focus a field, put `text` in it and press enter. `typed`: key by key, as a person would
    (about 60 ms a key here); otherwise the text is set at once, which is all the app sees of it
    when enter is pressed."""
    app = pilot.app
    field = main_screen(app).query_one(selector)
    field.focus()
    await pilot.pause(0.01)
    if typed:
        await press(pilot, "home", "ctrl+k", *text)  # to the start, delete to the end, type
    else:
        field.value = text
    await press(pilot, "enter")
    await pilot.pause(0.01)


def _send_key(app: PlaygroundApp, key: str) -> None:
    """What `pilot.press` sends for one key, as if typed on the terminal."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    original = REPLACED_KEYS.get(key, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
    except KeyError:
        char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    app.post_message(event)


def app_failed(app: PlaygroundApp) -> bool:
    """An exception is ending the app (Textual's return code 1; run_test raises it as it closes)."""
    return app.return_code == 1


def quitting(app: PlaygroundApp) -> bool:
    """The app was asked to exit (it has a return code from then on)."""
    return app.return_code is not None


async def wait_for_screen(pilot: Pilot) -> None:
    """Until every widget on the screen has handled its queued messages (the pilot's own wait)."""
    await pilot._wait_for_screen()


async def press(pilot: Pilot, *keys: str) -> None:
    """Press keys as `pilot.press` does, without waiting for the whole process to go idle."""
    for key in keys:
        _send_key(pilot.app, key)
        # the app hands a key to the screen, the screen to the focused widget, which may bubble
        # it back up: wait for each hop, so the next key meets the state this one left
        for _ in range(4):
            await pilot._wait_for_screen()


async def key_latency(pilot: Pilot, key: str, done: Callable[[], bool], timeout: float = 5.0) -> float:
    """Seconds from typing `key` until `done()` holds (the key's action took effect)."""
    import asyncio

    t0 = time.perf_counter()
    _send_key(pilot.app, key)
    while not done():
        if time.perf_counter() - t0 > timeout:
            raise AssertionError(f"{key!r} had no effect after {timeout} s")
        await asyncio.sleep(0.002)
    return time.perf_counter() - t0


async def set_fields(pilot: Pilot, screen: Any, **values: str) -> None:
    """The sweep screen's fields set to `values` (by name: lr_min, points, momenta, ...), then
    enter, which sweeps again."""
    from textual.widgets import Input

    for name, value in values.items():
        screen.query_one(f"#sweep-{name}", Input).value = value
        await pilot.pause()  # its Changed handled before the next field's, as when a person types
    screen.query_one("#sweep-steps", Input).focus()
    await press(pilot, "enter")


def sweep_status(screen: Any) -> str:
    return str(screen.query_one("#sweep-status").render())
