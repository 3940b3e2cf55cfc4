"""The sharpness in the app (`h`, and a lesson that reads it): measured every few steps as the run
goes, drawn in the loss panel on the right axis against 2/lr."""

from __future__ import annotations

from tui_helpers import eventually, main_screen, open_app, press, settled, status, wait_until

from playground import lessons
from playground.app import PlaygroundApp
from playground.sharpness import EVERY
from playground.widgets.loss_curve import EDGE, SHARPNESS, LossCurve


def curve_lines(app: PlaygroundApp) -> list:
    return main_screen(app).query_one(LossCurve)._scene.lines  # noqa: SLF001 - what the curve was built from


async def test_h_measures_the_sharpness_as_the_run_goes_and_draws_it_against_two_over_lr() -> None:
    async with open_app("ill_conditioned") as (app, pilot):
        await press(pilot, "h")
        run = app.session.run
        assert run.sharpness is not None and len(run.sharpness.values) == 1
        assert run.sharpness.values[0][0] == 0 and abs(run.sharpness.values[0][1] - 100) < 1e-6
        assert "sharpness every 10 steps" in status(app)
        app.session.steps(35)
        await settled(pilot)
        assert [step for step, _ in run.sharpness.values] == [0, 10, 20, 30]
        assert all(abs(value - 100) <= 1e-6 for _, value in run.sharpness.values)  # the bowl's curvature
        lines = curve_lines(app)
        colours = [colour for _, _, colour, side in lines if side == "right"]
        assert SHARPNESS in colours and EDGE in colours
        edge = next(vals for _, vals, colour, _ in lines if colour == EDGE)
        assert abs(float(edge[0]) - 2 / run.lr) < 1e-9  # 2/lr, the edge of stability
        assert "red: sharpness, white: 2/lr" in str(main_screen(app).query_one(LossCurve).border_subtitle)
        await press(pilot, "r")
        await settled(pilot)
        assert [step for step, _ in run.sharpness.values] == [0]  # measured again from the start
        await press(pilot, "h")
        await settled(pilot)
        assert run.sharpness is None and "sharpness: off" in status(app)
        assert SHARPNESS not in [colour for _, _, colour, _ in curve_lines(app)]


async def test_sharpness_while_auto_running_follows_every_ten_steps() -> None:
    async with open_app("moons") as (app, pilot):
        await press(pilot, "h", "space")
        await wait_until(pilot, lambda: app.session.step_count >= 60, what="60 steps")
        await press(pilot, "space")
        run = app.session.run
        await eventually(pilot, lambda: [s for s, _ in run.sharpness.values] == list(range(0, run.step_count + 1, EVERY)))


async def test_the_edge_of_stability_lesson_shows_the_sharpness() -> None:
    lesson = lessons.load("edge-of-stability")
    app = PlaygroundApp(lesson.scenario, lesson=lesson, load_engine=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.session.load_engine(background=False)
        await eventually(pilot, lambda: app.session.run is not None and app.session.lesson is not None)
        await press(pilot, "n")
        await eventually(pilot, lambda: app.session.run.sharpness is not None, what="the lesson to measure the sharpness")
        await settled(pilot)
        assert SHARPNESS in [colour for _, _, colour, _ in curve_lines(app)]
