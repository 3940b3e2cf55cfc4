"""The TUI under abuse: thousands of random keys while auto-running, and training that raises.

Whatever is pressed, the app must not die, and afterwards it must still answer `s` and `r` the
way the status line promises. Exports and saved scenarios a random `enter` may write land in a
temporary folder."""

from __future__ import annotations

import asyncio
import os
import random
import time

import pytest
from tui_helpers import _send_key as send_key
from tui_helpers import app_ended, app_failed, main_screen, open_app, press, resize, shown_step, status, wait_for_screen, wait_stopped, wait_until

from playground.app import PlaygroundApp

# letters (but q, which quits), digits, punctuation, moving and editing keys, ctrl combinations
KEYS = [
    *"abcdefghijklmnoprstuvwxyz0123456789",
    *".-+=[]/;,",
    "up", "down", "left", "right", "tab", "shift+tab", "enter", "escape", "backspace", "space",
    "home", "end", "pageup", "pagedown", "ctrl+a", "ctrl+e", "ctrl+k", "ctrl+u", "ctrl+w",
    "ctrl+p", "ctrl+s", "f2", "f5", "question_mark",
]  # fmt: skip
# 2,000 keys in all: 1,000 on a surface, 1,000 on a dataset (MASH_KEYS=N for a longer run)
KEY_COUNT = int(os.environ.get("MASH_KEYS", "1000"))
SIZES = [(40, 12), (60, 20), (80, 24), (120, 40), (200, 60)]


async def _back_to_the_main_view(pilot, app: PlaygroundApp) -> None:
    for _ in range(6):  # close every dialog and leave any field
        if len(app.screen_stack) == 1 and app.focused is None:
            break
        await press(pilot, "escape")
    await wait_until(pilot, lambda: len(app.screen_stack) == 1, what="every dialog closed")
    if app.session.running:
        await press(pilot, "space")
    await wait_stopped(pilot, app)


@pytest.mark.parametrize("name", ["rosenbrock", "spiral"])
async def test_a_thousand_random_keys_while_auto_running(name, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    rng = random.Random(f"mash-{name}{os.environ.get('MASH_SEED', '')}")
    async with open_app(name, steps=10_000_000) as (app, pilot):
        # q is not mashed, but ctrl+p, a few letters and enter can pick the palette's "Quit",
        # which ends the app as asked: count those instead of ending the test with them
        quits: list[int] = []
        app.action_quit = lambda: quits.append(app.session.run.step_count)  # type: ignore[method-assign]
        await press(pilot, "space")
        await wait_until(pilot, lambda: app.session.run.step_count > 0)
        t0 = time.perf_counter()
        for i in range(KEY_COUNT):
            # as fast as a person mashing: each key is handed over, not waited for to the end
            send_key(app, rng.choice(KEYS))
            await wait_for_screen(pilot)
            if i % 250 == 125:
                await resize(pilot, *rng.choice(SIZES))
            if i % 100 == 0 and not app.session.running and rng.random() < 0.5 and len(app.screen_stack) == 1:
                await press(pilot, "space")  # keep training going under the keys, most of the time
        print(f"{KEY_COUNT} keys in {time.perf_counter() - t0:.1f} s; quit asked {len(quits)} times")
        assert not app_failed(app)
        assert app.is_running
        await resize(pilot, 120, 40)
        await _back_to_the_main_view(pilot, app)
        await press(pilot, "r")
        await wait_until(pilot, lambda: shown_step(app) == 0, what="step 0 after r")
        await press(pilot, "s")
        await wait_until(pilot, lambda: shown_step(app) == 1, what="step 1 after s")
        assert app.session.run.step_count == 1 and "paused" in status(app)


test_a_thousand_random_keys_while_auto_running.seconds = 600  # type: ignore[attr-defined]


async def test_an_exception_inside_training_pauses_and_shows_it() -> None:
    async with open_app("rosenbrock", steps=10_000_000) as (app, pilot):
        run = app.session.run
        real_step = run.step

        def broken(n: int = 1) -> int:
            if run.step_count >= 20:
                raise RuntimeError("the disk fell off")
            return real_step(n)

        run.step = broken
        await press(pilot, "space")
        await wait_until(pilot, lambda: not app.session.running, what="the run to pause")
        await wait_until(pilot, lambda: "RuntimeError: the disk fell off" in status(app), what="the error said")
        assert app.is_running and app.session.state == "paused"
        assert "RuntimeError: the disk fell off" in status(app)
        run.step = real_step
        await press(pilot, "r")
        await wait_until(pilot, lambda: shown_step(app) == 0)
        await press(pilot, "s", "s")
        await wait_until(pilot, lambda: shown_step(app) == 2)
        assert main_screen(app).query_one("#main").display


async def test_the_command_palette_survives_being_closed_and_paged_at_once() -> None:
    """Textual 8.2.8 races a key mash found (playground/textual_fixes.py): a search that starts
    after the palette closed, paging its list before it is laid out, and opening it again while
    the last one closes."""
    import asyncio

    async with open_app("rosenbrock") as (app, pilot):
        for i in range(60):
            send_key(app, "ctrl+p")
            for _ in range(i % 4):
                await wait_for_screen(pilot)
            send_key(app, "x")
            send_key(app, "pagedown" if i % 2 else "pageup")
            for _ in range((i // 4) % 3):
                await asyncio.sleep(0)
            send_key(app, "escape")
            send_key(app, "ctrl+p")  # again while the last one closes
            send_key(app, "escape")
            await wait_for_screen(pilot)
            assert app.is_running and not app_failed(app)
        await wait_until(pilot, lambda: len(app.screen_stack) == 1 or app_failed(app), what="the palettes closed")
        assert app.is_running and not app_failed(app) and len(app.screen_stack) == 1
        await press(pilot, "s")
        await wait_until(pilot, lambda: shown_step(app) == 1)


async def test_keys_typed_faster_than_a_dropdown_opens_and_closes_are_not_lost() -> None:
    """A dropdown opened and closed by keys that arrive in one burst (up, escape, escape) must
    not leave the keyboard focus on its hidden list, where `r` and `s` would vanish."""
    from textual.widgets import Select

    async with open_app("rosenbrock") as (app, pilot):
        screen = main_screen(app)
        picker = screen.query_one("#pick-optimizer", Select)
        for burst in (["up", "escape"], ["up", "escape", "escape"], ["enter", "escape", "escape", "escape"], ["up", "down", "escape"]):
            picker.focus()
            await wait_until(pilot, lambda: picker.has_focus, what="the picker focused")
            for key in [*burst, "r", "s"]:
                send_key(app, key)
            await wait_until(pilot, lambda: not picker.expanded and shown_step(app) == 1, what=f"{burst}: closed and one step shown")
            assert not picker.expanded, burst
            assert app.focused is not None and app.focused.display and app.focused.parent.display, (burst, app.focused)
            assert shown_step(app) == 1, (burst, shown_step(app), app.focused)
            await press(pilot, "r")


async def test_keys_typed_just_after_q_end_the_app_cleanly() -> None:
    """A mashing hand does not stop at q: keys that reach the app after its screens are gone
    must not end it with a traceback (ScreenStackError, in Textual 8.2.8)."""
    async with open_app("spiral", steps=10_000_000) as (app, pilot):
        await press(pilot, "space")
        await wait_until(pilot, lambda: app.session.run.step_count > 0)
        send_key(app, "q")
        for _ in range(100):
            send_key(app, "ctrl+a")
            send_key(app, "s")
        await app_ended(app)
    # run_test raises the app's exception as it closes; this says which one if it does not
    assert not app_failed(app) and app.return_code == 0


async def test_a_late_end_of_run_notice_does_not_stop_the_run_after_it() -> None:
    """The training thread says it stopped (budget, convergence) without waiting for the UI; a
    notice from a run that space has since paused must leave the run started after it going."""
    from playground.session import PAUSED, Phase, State

    async with open_app("rosenbrock", steps=10_000_000) as (app, pilot):
        session = app.session
        await press(pilot, "space")
        await wait_until(pilot, lambda: session.run.step_count > 0)
        earlier = session.autorun.generation
        await press(pilot, "space", "space")  # pause, and run again: a new auto-run
        await wait_until(pilot, lambda: session.running and session.autorun.generation > earlier + 1)
        session.autorun.ended(earlier, PAUSED, "reached the budget of 10 steps")
        made = session.run.step_count
        await wait_until(pilot, lambda: session.run.step_count > made + 5, what="the newer run going on")
        assert session.running and "reached the budget" not in status(app)
        session.autorun.ended(session.autorun.generation, State(Phase.CONVERGED), "converged: the loss stopped falling")
        await wait_until(pilot, lambda: not session.running, what="the current run's own notice to stop it")
        await wait_until(pilot, lambda: "converged" in status(app), what="the status line")
        await wait_stopped(pilot, app)


@pytest.mark.parametrize("how", ["s", "space"])
async def test_a_bug_of_ours_pauses_the_app_shows_the_error_and_its_traceback_file_and_it_goes_on(how: str, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    """Redesign 2/3: an exception from our own code is an internal error, never a divergence:
    the app pauses, says so with the path of the traceback's file (in full, in a notification),
    and stays usable."""
    from playground.history import Series

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    async with open_app("rosenbrock", steps=10_000_000) as (app, pilot):
        await press(pilot, "s")
        await wait_until(pilot, lambda: shown_step(app) == 1)
        told: list[str] = []
        monkeypatch.setattr(app, "notify", lambda message, **_: told.append(message))
        append = Series.append
        monkeypatch.setattr(Series, "append", None)  # the engine's own code now fails
        await press(pilot, how)
        await wait_until(pilot, lambda: "internal error: TypeError" in status(app), what="the error said")
        assert not app.session.running and app.session.state == "paused" and not app.session.run.diverged
        files = list((tmp_path / "playground").glob("internal-error-*.txt"))
        assert len(files) == 1 and "Traceback" in files[0].read_text()
        assert len(told) == 1 and f"traceback in {files[0]}" in told[0] and "internal error: TypeError" in told[0]
        monkeypatch.setattr(Series, "append", append)
        await press(pilot, "r")
        await wait_until(pilot, lambda: shown_step(app) == 0, what="r to reset")
        await press(pilot, "s", "s")
        await wait_until(pilot, lambda: shown_step(app) == 2, what="steps again")
        assert app.is_running and len(told) == 1  # told once
