"""Snapshot tests for issue 5's views in the TUI: the inside-the-optimizer panel and the sweep
screen. Deterministic as in test_tui_snapshots.py: runs built here with fixed seeds, stepped
synchronously, the sweep waited for, and no text cursor in focus."""

from __future__ import annotations

from tui_helpers import handed_over, main_screen, press, screen_ready, settled, sweep_status, wait_until

from playground import scenarios
from playground.app import PlaygroundApp
from playground.engine import Run
from playground.screens.sweep_screen import SweepScreen
from playground.settings import resolve
from playground.widgets.controls import ControlPanel
from playground.widgets.inside_panel import InsidePanel


def test_inside_the_optimizer_on_the_ill_conditioned_bowl(snap_compare) -> None:  # noqa: ANN001
    scenario = scenarios.load("ill_conditioned")
    app = PlaygroundApp(scenario, load_engine=False)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await screen_ready(pilot)
        await handed_over(pilot, Run(scenario, resolve(scenario, hyper={"momentum": 0.5})))
        main_screen(app).query_one(ControlPanel).rebuild(app.session.scenario, app.session.config)  # show momentum 0.5
        app.session.run.step(8)
        main_screen(app).query_one("#map").focus()
        await press(pilot, "g")
        panel = main_screen(app).query_one(InsidePanel)
        await wait_until(pilot, lambda: panel.display and "condition number" in str(panel.render()), what="the panel's curvature")
        app.main.redraw(force=True)
        await settled(pilot)
        main_screen(app).query_one("#controls").scroll_home(animate=False)
        await wait_until(pilot, lambda: main_screen(app).query_one("#controls").scroll_y == 0, what="the settings at their top")

    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))


def test_sweep_screen_on_rosenbrock(snap_compare) -> None:  # noqa: ANN001
    scenario = scenarios.load("rosenbrock")
    app = PlaygroundApp(scenario, load_engine=False)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await screen_ready(pilot)
        await handed_over(pilot, Run(scenario, resolve(scenario)))
        main_screen(app).query_one("#map").focus()
        await press(pilot, "w")
        screen = app.screen
        assert isinstance(screen, SweepScreen)
        screen.query_one("#sweep-points").value = "12"
        screen.query_one("#sweep-steps").value = "300"
        screen.query_one("#sweep-steps").focus()
        await press(pilot, "enter")
        await wait_until(pilot, lambda: "12 points · done" in sweep_status(screen), timeout=30, what="the sweep, drawn whole")
        screen.set_focus(None)  # no blinking cursor in the picture
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))
