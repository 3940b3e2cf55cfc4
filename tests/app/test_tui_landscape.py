"""The landscape view (`m`): the loss on a plane through the weights in the map's place, computed
in a worker when shown and paused, never every frame; each lane's path on the selected lane's
plane; and its snapshot."""

from __future__ import annotations

import numpy as np
from test_map_picture import cells
from tui_helpers import eventually, handed_over, main_screen, press, screen_ready, settled, status, wait_until

from playground import scenarios
from playground.app import PlaygroundApp
from playground.engine import Run
from playground.settings import resolve
from playground.widgets.map_plot import MapPlot


def app_on(name: str) -> PlaygroundApp:
    return PlaygroundApp(scenarios.load(name), load_engine=False)


async def started(app: PlaygroundApp, pilot, steps: int = 0) -> None:  # noqa: ANN001
    """The app's own kind of run (compact: it keeps a sample of its path for the landscape)."""
    scenario = app.session.scenario
    await handed_over(pilot, Run(scenario, resolve(scenario), compact=True))
    if steps:
        app.session.steps(steps)
    await settled(pilot)


def title(app: PlaygroundApp) -> str:
    return str(main_screen(app).query_one(MapPlot).border_title)


def subtitle(app: PlaygroundApp) -> str:
    return str(main_screen(app).query_one(MapPlot).border_subtitle)


async def test_m_shows_the_landscape_then_random_directions_then_the_map() -> None:
    app = app_on("moons")
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot, 100)
        view = app.session.landscape
        await press(pilot, "m")
        await eventually(pilot, lambda: view.found is not None and view.progress is None, what="the plane")
        await settled(pilot)
        run = app.session.run
        assert "loss landscape at step 100 · pca directions" in title(app) and "% of the path)" in title(app)
        assert view.found.loss[20, 20] == run.history.loss.last()  # the centre is the weights now
        assert "the weights now (centre)" in subtitle(app)
        assert "principal directions" in status(app)
        plot = main_screen(app).query_one(MapPlot)
        span = view.found.span
        assert plot.xlim == (-span, span) and plot.ylim == (-span, span)
        drawn = [ch for row in cells(plot) for ch, _, _ in row]
        assert "●" in drawn and "○" in drawn  # the weights now and where the path began
        assert sum(ch in "⠁⠂⠄⡀⠈⠐⠠⢀⣀⠤⠒⠉⡠⠔⠊⢄⡈⠑⢂⡐⠢⠌⣄⡤⠴⠚⠓⠙⠋⠉⠛" or 0x2800 <= ord(ch) <= 0x28FF for ch in drawn) > 5  # the path

        await press(pilot, "m")
        await eventually(pilot, lambda: view.found is not None and view.found.directions == "random", what="the random plane")
        await settled(pilot)
        assert "random directions" in title(app) and view.found.explained_variance is None

        await press(pilot, "m")
        await settled(pilot)
        assert view.mode == "map" and title(app).startswith("Two moons") and "landscape" not in title(app)


async def test_the_plane_is_computed_again_after_the_run_moved_on_not_while_it_runs() -> None:
    app = app_on("xor")
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot, 50)
        view = app.session.landscape
        await press(pilot, "m")
        await eventually(pilot, lambda: view.found is not None and view.found.step == 50, what="the plane at step 50")
        first = view.found
        await press(pilot, "space")
        await wait_until(pilot, lambda: app.session.step_count > 120, what="the run to move on")
        assert view.found is first  # not every frame: the plane stays while the run runs
        await eventually(pilot, lambda: "moved on" in subtitle(app), what="the note that the plane is old")
        await press(pilot, "space")
        await wait_until(pilot, lambda: not app.session.running)
        await eventually(pilot, lambda: view.found is not first and view.found.step == app.session.step_count, what="a new plane at the pause")
        assert "moved on" not in subtitle(app)


async def test_on_a_surface_m_says_the_map_is_the_landscape() -> None:
    app = app_on("rosenbrock")
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot, 10)
        before = title(app)
        await press(pilot, "m")
        await settled(pilot)
        assert "already is its whole landscape" in status(app)
        assert app.session.landscape.mode == "map" and title(app) == before


async def test_pca_at_step_0_says_why_and_random_still_works() -> None:
    app = app_on("moons")
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot, 0)
        view = app.session.landscape
        await press(pilot, "m")
        await eventually(pilot, lambda: "no landscape: pca needs a trajectory" in subtitle(app), what="the reason")
        await press(pilot, "m")
        await eventually(pilot, lambda: view.found is not None and view.found.directions == "random")


async def test_a_race_draws_each_lanes_path_on_the_selected_lanes_plane() -> None:
    app = app_on("moons")
    async with app.run_test(size=(120, 40)) as pilot:
        await started(app, pilot)
        await press(pilot, "c")
        await wait_until(pilot, lambda: len(app.session.lanes) == 4)
        app.session.steps(60)
        await press(pilot, "m")
        view = app.session.landscape
        await eventually(pilot, lambda: view.found is not None and view.progress is None)
        await settled(pilot)
        plot = main_screen(app).query_one(MapPlot)
        lines = plot.lines  # what the map was given to draw
        assert len(lines) == 4 and len({tuple(colour) for _, _, colour in lines}) == 4
        selected = lines[-1]  # drawn last, on top
        assert np.array_equal(selected[0], view.found.trajectory[:, 0])
        for (xs, ys, _), lane in zip(lines[:-1], [app.session.lanes[i] for i in range(4) if i != app.session.lane_index]):
            assert len(xs) == len(lane.problem.trail.rows) and np.isfinite(xs).all() and np.isfinite(ys).all()
        # another lane selected: its own plane
        await press(pilot, "2")
        await eventually(pilot, lambda: view.current(app.session.run), what="the second lane's plane")


def test_landscape_snapshot_moons_120x40(snap_compare) -> None:  # noqa: ANN001
    """Moons after 150 steps, `m`: the loss on the path's principal plane, the path over it."""
    app = app_on("moons")

    async def run_before(pilot) -> None:  # noqa: ANN001
        await screen_ready(pilot)
        scenario = app.session.scenario
        await handed_over(pilot, Run(scenario, resolve(scenario), compact=True))
        app.session.steps(150)
        main_screen(app).query_one("#map").focus()
        await press(pilot, "m")
        view = app.session.landscape
        await wait_until(pilot, lambda: view.found is not None and view.progress is None, what="the plane")
        app.main.redraw(force=True)
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))
