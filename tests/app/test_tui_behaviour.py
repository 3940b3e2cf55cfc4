"""How auto-run ends by itself (divergence, convergence, the step budget) and resizing."""

from __future__ import annotations

import math
import re

import pytest
from tui_helpers import eventually, main_screen, open_app, press, resize, settled, shown_step, status, type_into, wait_stopped, wait_until

from playground.session import SPEEDS
from playground.widgets.loss_curve import LossCurve
from playground.widgets.map_plot import MapPlot


def render_plots(app, screenshot: bool = True) -> None:  # noqa: ANN001
    """Build both plots now, as a frame would (plotext raises on infinities), and the screen."""
    screen = main_screen(app)
    screen.query_one(MapPlot).render()
    screen.query_one(LossCurve).render()
    if screenshot:
        app.export_screenshot()


async def test_divergence_pauses_says_so_and_r_recovers() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await type_into(pilot, "#field-lr", "0.1", typed=True)
        assert app.session.run.lr == 0.1
        await press(pilot, "escape", "space")
        await wait_until(pilot, lambda: not app.session.running, timeout=10, what="the run to diverge")
        run = app.session.run
        match = re.search(r"diverged at step (\d+)", app.session.state)
        assert match and int(match.group(1)) == run.diverged_at, app.session.state
        assert f"diverged at step {run.diverged_at}" in status(app)
        assert "press r" in status(app)
        assert shown_step(app) == run.step_count
        assert not math.isfinite(run.history.loss.last())

        # the plots keep showing the finite part
        render_plots(app)
        for xs, ys, _ in main_screen(app).query_one(MapPlot)._lines:
            assert all(map(math.isfinite, xs)) and all(map(math.isfinite, ys))
        await press(pilot, "l")
        render_plots(app)
        await press(pilot, "l")

        # nothing moves a diverged run on
        await press(pilot, "s")
        assert run.step_count == run.diverged_at and "diverged" in app.session.state
        await press(pilot, "space")
        await pilot.pause(0.1)  # a wait that shows nothing happens: space does not run a diverged run
        assert not app.session.running and run.step_count == run.diverged_at

        await press(pilot, "r")
        assert run.step_count == 0 and app.session.state == "paused" and not run.diverged
        assert "step 0 " in status(app) and "diverged" not in status(app)
        await type_into(pilot, "#field-lr", "0.001")
        await press(pilot, "escape", "s")
        assert shown_step(app) == 1 and math.isfinite(run.history.loss.last())
        render_plots(app)

        # again by doubling the lr, with the loss curve on a log scale: the person's choice (l
        # twice above: log by itself, then linear, then log) sticks through r
        await press(pilot, "r")
        await settled(pilot)
        assert main_screen(app).query_one(LossCurve).log_scale
        await press(pilot, *["right_square_bracket"] * 7)  # 0.001 * 2**7 = 0.128
        assert app.session.run.lr == 0.128
        await press(pilot, "space")
        await wait_until(pilot, lambda: not app.session.running, timeout=10, what="the run to diverge")
        assert app.session.state.startswith("diverged at step ")
        assert main_screen(app).query_one(LossCurve).log_scale
        render_plots(app)
        await pilot.pause(0.2)  # a wait that shows nothing happens: a few frames of the timer, which would fail the test on an error
        await press(pilot, "r")
        assert app.session.run.step_count == 0


async def test_auto_run_stops_when_converged() -> None:
    async with open_app("himmelblau") as (app, pilot):
        app.session.speed_index = SPEEDS.index(1000)
        await press(pilot, "space")
        await wait_until(pilot, lambda: not app.session.running, timeout=15, what="convergence")
        run = app.session.run
        assert app.session.state == "converged" and "converged" in status(app)
        assert run.history.grad_norm.last() < run.scenario.defaults.grad_tolerance
        assert 0 < run.step_count < run.config.steps
        assert shown_step(app) == run.step_count
        await wait_stopped(pilot, app)


async def test_auto_run_stops_at_the_step_budget_and_space_goes_on() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await type_into(pilot, "#field-steps", "30")
        assert app.session.config.steps == 30 and app.session.run.config.steps == 30
        app.session.speed_index = SPEEDS.index(500)
        await press(pilot, "escape", "space")
        await wait_until(pilot, lambda: not app.session.running, timeout=10, what="the budget")
        assert app.session.run.step_count == 30 and shown_step(app) == 30
        assert app.session.state == "paused" and "budget" in status(app)
        await press(pilot, "space")
        assert app.session.running
        await wait_until(pilot, lambda: app.session.run.step_count > 35)
        await press(pilot, "space")
        assert not app.session.running


async def test_the_panels_close_up_in_a_small_terminal_and_open_again() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        screen = main_screen(app)
        controls, loss = screen.query_one("#controls"), screen.query_one("#loss")

        def layout() -> tuple[int, int, int]:
            """The settings panel's width, the rows from the scenario picker to the next heading
            (2 with a blank line between), and the loss plot's least height."""
            below = screen.query(".heading")[1].region.y - screen.query_one("#pick-scenario").region.y
            return controls.outer_size.width, below, loss.styles.min_height.value

        assert layout() == (34, 2, 7)
        for size, expected in (((80, 24), (26, 1, 8)), ((80, 40), (26, 2, 7)), ((120, 24), (34, 1, 8)), ((120, 40), (34, 2, 7))):
            await resize(pilot, *size)
            await eventually(pilot, lambda: layout() == expected, what=f"the layout at {size}")
            assert layout() == expected, size


async def test_resizing_while_running() -> None:
    async with open_app("rosenbrock", steps=100_000) as (app, pilot):
        await press(pilot, "space")
        too_small = main_screen(app).query_one("#too-small")
        main = main_screen(app).query_one("#main")
        for size, tiny in (((80, 24), False), ((200, 60), False), ((40, 12), True), ((120, 40), False)):
            n = app.session.run.step_count
            await resize(pilot, *size)
            await wait_until(pilot, lambda: app.size == size and app.session.run.step_count > n and too_small.display == tiny, what=f"running on at {size}")
            assert app.size == size
            assert too_small.display == tiny and main.display != tiny, size
            assert app.session.running and app.session.run.step_count > n, size
            render_plots(app, screenshot=False)
            if tiny:
                assert "too small" in str(too_small.render())
        await press(pilot, "space")
        assert not app.session.running
        await wait_stopped(pilot, app)
        assert shown_step(app) == app.session.run.step_count

        # a dataset: the class map is recomputed at each size
        app.pick("scenario", "moons")
        await press(pilot, "space")
        await resize(pilot, 80, 24)
        await wait_until(pilot, lambda: app.size == (80, 24) and app.session.run.step_count > 0, what="moons running at 80x24")
        render_plots(app, screenshot=False)
        assert app.session.running and app.session.run.step_count > 0
        await press(pilot, "space")
        await wait_stopped(pilot, app)


@pytest.mark.parametrize("name", ["rosenbrock", "moons"])
async def test_plots_repainted_row_by_row_while_running_show_what_a_full_repaint_shows(name) -> None:  # noqa: ANN001
    """While auto-running, the map and the loss curve ask Textual to repaint only the rows that
    changed: the screen must end up as a full repaint of the same frame would draw it."""
    async with open_app(name, steps=10_000_000) as (app, pilot):
        plots = [main_screen(app).query_one(MapPlot), main_screen(app).query_one(LossCurve)]
        await press(pilot, "space")
        await wait_until(pilot, lambda: app.session.run.step_count > 300)
        await press(pilot, "space")
        await wait_stopped(pilot, app)
        await settled(pilot)
        shown = app.export_screenshot()
        for plot in plots:
            plot.refresh()  # every row drawn again from the frame
        await pilot.pause(0.2)  # a wait that shows nothing changes: the repaint draws the same screen
        assert app.export_screenshot() == shown


async def test_a_log_scale_says_when_a_loss_at_or_below_0_cannot_be_drawn() -> None:
    """Issue 19: on `saddle`, `l` made the curve run off the bottom and vanish, unexplained."""
    async with open_app("saddle") as (app, pilot):
        curve = main_screen(app).query_one(LossCurve)

        def curve_text() -> str:
            return "\n".join("".join(seg.text for seg in row) for row in curve.render().rows)

        await press(pilot, "l")
        assert curve.log_scale and "not drawn on a log scale" not in curve_text()  # 3.24 > 0
        app.session.steps(400)  # down the saddle: the loss goes below 0
        assert app.session.run.history.loss.last() < 0
        await wait_until(pilot, lambda: "loss ≤ 0 is not drawn on a log scale" in curve_text(), what="the note under the curve")
        await press(pilot, "l")
        await wait_until(pilot, lambda: "not drawn" not in curve_text(), what="the note to go with the linear scale")


async def test_v_draws_the_loss_against_evaluations_so_lbfgs_races_fairly() -> None:
    """Issue 18 item 17: one LBFGS step() evaluates the loss up to max_iter times; against steps
    it looks far ahead of SGD, against evaluations it does not."""
    async with open_app("rosenbrock", optimizer="lbfgs", hyper={"max_iter": 20}) as (app, pilot):
        curve = main_screen(app).query_one(LossCurve)

        def curve_text() -> str:
            return "\n".join("".join(seg.text for seg in row) for row in curve.render().rows)

        app.session.add_lane()
        app.session.pick("optimizer", "sgd")  # the new lane, selected: plain SGD
        app.session.steps(4)
        lbfgs, sgd = app.session.lanes
        assert lbfgs.config.optimizer == "lbfgs" and sgd.config.optimizer == "sgd"
        made = lbfgs.history.evaluations.tolist(5)[-1]
        assert made == lbfgs.optimizer.state[lbfgs.optimizer.param_groups[0]["params"][0]]["func_evals"] > 4
        await wait_until(pilot, lambda: "step" in curve_text().splitlines()[-1], what="the curve against steps")

        def right_ends() -> list[float]:
            return sorted(float(xs.max()) for xs, _, colour, _ in curve._scene.lines if len(xs) and colour != 2)

        assert right_ends() == [4.0, 4.0]
        await press(pilot, "t")
        await wait_until(pilot, lambda: "evaluations" in curve_text().splitlines()[-1], what="the axis titled evaluations")
        assert right_ends() == [4.0, float(made)] and "loss against evaluations" in status(app)
        await press(pilot, "t")
        await wait_until(pilot, lambda: right_ends() == [4.0, 4.0], what="back to steps")


async def test_asgd_average_is_a_second_marker_and_a_second_loss_once_it_begins() -> None:
    """Issue 18 item 6: torch keeps ASGD's average apart from the parameters, which the path
    shows; once averaging begins (step t0 + 3) the map marks it and the curve draws its loss."""
    async with open_app("rosenbrock", optimizer="asgd", hyper={"t0": 5.0, "lr": 0.0015}) as (app, pilot):
        plot, curve = main_screen(app).query_one(MapPlot), main_screen(app).query_one(LossCurve)

        def text(widget) -> str:  # noqa: ANN001
            return "\n".join("".join(seg.text for seg in row) for row in widget.render().rows)

        app.session.steps(7)  # ax still follows p: nothing more to show
        await wait_until(pilot, lambda: "step 7" in status(app), what="step 7 shown")
        assert "◇" not in text(plot) and "average" not in str(plot.border_subtitle) and "average" not in text(curve)
        app.session.steps(60)
        await wait_until(pilot, lambda: "◇" in text(plot), what="the average's marker")
        assert "◇ ASGD's average" in str(plot.border_subtitle) and "ASGD's average" in text(curve)
        average = app.session.run.history.average
        assert average.start == 8 and len(average.loss) == 67 - 8 + 1
        await press(pilot, "r")
        await wait_until(pilot, lambda: "◇" not in text(plot), what="reset: no average")
        assert app.session.run.history.average is None
