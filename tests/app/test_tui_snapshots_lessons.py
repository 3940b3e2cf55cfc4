"""Snapshots of issue 13's views: a lesson's part after its question was answered and its steps
trained, and the code behind a run. Built as test_tui_snapshots.py builds its views: the run made
in the test and stepped synchronously, the focus on the map."""

from __future__ import annotations

from tui_helpers import handed_over, main_screen, screen_ready

from playground import lessons, scenarios
from playground.app import PlaygroundApp
from playground.engine import Run
from playground.settings import resolve


def test_a_lesson_part_answered_and_trained(snap_compare) -> None:  # noqa: ANN001
    lesson = lessons.load("momentum")
    app = PlaygroundApp(lesson.scenario, load_engine=False, lesson=lesson)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await screen_ready(pilot)
        await handed_over(pilot, Run(lesson.scenario, resolve(lesson.scenario)))  # the first part opens on it
        app.session.answer(1)
        app.session.lesson.train()
        main_screen(app).query_one("#map").focus()
        app.main.redraw(force=True)
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))


def test_the_code_behind_a_run(snap_compare) -> None:  # noqa: ANN001
    scenario = scenarios.load("rosenbrock")
    app = PlaygroundApp(scenario, load_engine=False)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await screen_ready(pilot)
        await handed_over(pilot, Run(scenario, resolve(scenario, optimizer="adam", schedule="cosine", clip=1.0)))
        await pilot.press("v")
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))
