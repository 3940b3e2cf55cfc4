"""`T` in a race: the fair comparison's dialog tunes every lane in the background, the lanes take
their tuned settings, the scoreboard shows each lane's median over the seeds and the verdict, and
escape before the end keeps the lanes as they were."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tui_helpers import eventually, main_screen, open_app, press, status, wait_until

from playground import tuning
from playground.screens.tune_screen import TuneScreen
from playground.widgets.scoreboard import Scoreboard


@pytest.fixture(autouse=True)
def one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_WORKERS", "1")  # the runs in the job's thread: quick to start


async def opened(app, pilot) -> TuneScreen:  # noqa: ANN001
    """The preset race (c), then T: the tune screen."""
    await press(pilot, "c")
    await eventually(pilot, lambda: len(app.session.lanes) == 4, what="the preset race")
    await press(pilot, "T")
    await wait_until(pilot, lambda: isinstance(app.screen, TuneScreen), what="the tune screen")
    return app.screen


def tune_status(screen: TuneScreen) -> str:
    return str(screen.query_one("#tune-status").render())


async def test_t_tunes_every_lane_and_the_scoreboard_shows_the_seeds_and_the_verdict() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        screen = await opened(app, pilot)
        before = [lane.config for lane in app.session.lanes]
        assert "trials" in str(screen.query_one(".field-label").render()) and "enter or run: start" in tune_status(screen)
        screen.query_one("#tune-trials", Input).value = "3"
        screen.query_one("#tune-seeds", Input).value = "2"
        await pilot.pause()
        await press(pilot, "enter")
        await wait_until(pilot, lambda: screen.job.result is not None, timeout=120, what="the comparison to end")
        result = screen.job.result
        await eventually(pilot, lambda: "every lane now has its tuned setting" in tune_status(screen), what="the verdict on the tune screen")
        assert tuning.verdict_text(result) in tune_status(screen)
        # the lanes took the settings the protocol gives them, from where they were
        want = tuning.compare(app.session.scenario, [(lane.run, c) for lane, c in zip(result.lanes, before)], tuning.Protocol(trials=3, seeds=2))
        assert [lane.config for lane in app.session.lanes] == [lane.tuned for lane in want.lanes]
        await press(pilot, "escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, TuneScreen), what="the tune screen to close")
        board = main_screen(app).query_one(Scoreboard)
        await eventually(pilot, lambda: board.border_subtitle == tuning.verdict_text(result), what="the verdict under the scoreboard")
        table = str(board.render())
        assert "seeds: median [95%]" in table
        for lane, row in zip(result.lanes, tuning.over_seeds(result, [lane.config for lane in app.session.lanes])):
            assert row in table
        assert "tuned on 3 trials, 2 seeds: lane 1 lr 0.001 → " in status(app)
        # a setting changed by hand: the medians no longer describe the lanes, and go
        app.session.scale_lr(0.5)
        await eventually(pilot, lambda: "seeds: median" not in str(board.render()), what="the medians to go")


async def test_escape_during_the_comparison_cancels_it_and_keeps_the_lanes() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        screen = await opened(app, pilot)
        before = [lane.config for lane in app.session.lanes]
        screen.query_one("#tune-trials", Input).value = "200"
        await pilot.pause()
        await press(pilot, "enter")
        await wait_until(pilot, lambda: screen.job.finished > 0, timeout=60, what="the first run")
        await press(pilot, "escape")
        await wait_until(pilot, lambda: screen.job.ended, timeout=60, what="the job to stop")
        assert screen.job.result is None and [lane.config for lane in app.session.lanes] == before


async def test_t_without_a_race_says_what_it_needs() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await press(pilot, "T")
        await eventually(pilot, lambda: "tunes a race's lanes" in status(app), what="the message")
        assert not isinstance(app.screen, TuneScreen)


async def test_a_bad_number_of_trials_is_refused_on_the_screen() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        screen = await opened(app, pilot)
        screen.query_one("#tune-trials", Input).value = "0"
        await pilot.pause()
        await press(pilot, "enter")
        await eventually(pilot, lambda: "trials" in tune_status(screen) and "out of range" in tune_status(screen), what="the refusal")
        assert screen.job.protocol is None
