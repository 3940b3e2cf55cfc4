"""The sweep screen's second axis (`momenta`): a phase diagram over (lr, momentum) whose cells run
in worker processes, drawn as a heat map with heavy ball's exact edge on a quadratic surface."""

from __future__ import annotations

from test_map_picture import cells
from tui_helpers import eventually, handed_over, main_screen, open_app, press, screen_ready, set_fields, sweep_status, wait_until

from playground import scenarios
from playground.app import PlaygroundApp
from playground.engine import Run
from playground.screens.sweep_screen import SweepScreen
from playground.settings import resolve
from playground.widgets.sweep_plot import DIVERGED, PhaseMap, SweepPlot


PHASE = {"lr_min": "0.001", "lr_max": "0.1", "points": "12", "steps": "300", "momenta": "8", "m_min": "0", "m_max": "0.9"}


async def test_the_phase_diagram_agrees_with_heavy_balls_edge_and_draws_it() -> None:
    async with open_app("ill_conditioned") as (app, pilot):
        await press(pilot, "w")
        screen = app.screen
        assert isinstance(screen, SweepScreen)
        await set_fields(pilot, screen, **PHASE)
        await wait_until(pilot, lambda: screen.job.done, timeout=120, what="the phase diagram")
        await eventually(pilot, lambda: "96 / 96 cells · done" in sweep_status(screen))
        assert not screen.query_one(SweepPlot).display and screen.query_one(PhaseMap).display
        inside = outside = 0
        for p in screen.job.points:
            edge = 2 * (1 + p.momentum) / 100  # the Hessian's eigenvalues are 1 and 100
            if p.lr < 0.9 * edge:
                inside += 1
                assert not p.diverged, p
            elif p.lr > 1.1 * edge:
                outside += 1
                assert p.diverged, p
        assert inside > 20 and outside > 20
        plot = screen.query_one(PhaseMap)
        drawn = cells(plot)
        glyphs = [ch for row in drawn for ch, _, _ in row]
        assert "★" in glyphs and "●" in glyphs  # the best pair and the run's own settings
        assert any(bg == DIVERGED or fg == DIVERGED for row in drawn for _, fg, bg in row)
        assert len(plot.lines) == 1  # the edge, handed to the map to draw
        assert "edge lr·λ = 2(1+m)" in str(plot.border_subtitle)


async def test_a_saddles_phase_diagram_draws_no_edge_and_counts_a_run_falling_away_as_diverged() -> None:
    """x^2 - y^2: nothing converges, so no edge is drawn (the legend says why); a run that leaves the
    map below anything on it is on its way to minus infinity: red, not the lowest final loss."""
    async with open_app("saddle") as (app, pilot):
        await press(pilot, "w")
        screen = app.screen
        await set_fields(pilot, screen, lr_min="0.001", lr_max="0.5", points="8", steps="300", momenta="4", m_min="0", m_max="0.9")
        await wait_until(pilot, lambda: screen.job.done, timeout=120, what="the phase diagram")
        plot = screen.query_one(PhaseMap)
        assert len(plot.lines) == 0  # no edge handed to the map
        assert "no edge" in str(plot.border_subtitle) and "edge lr·λ" not in str(plot.border_subtitle)
        surface = app.session.scenario.surface
        fell = [p for p in screen.job.points if p.diverged and p.diverged_at is None]
        assert fell and all(p.final_loss < surface.lowest_on_map for p in fell)
        best = screen.job.best()
        assert best is not None and not best.diverged and best.final_loss >= surface.lowest_on_map


async def test_the_momentum_axis_refuses_what_cannot_run() -> None:
    async with open_app("moons") as (app, pilot):  # SGD with Nesterov
        await press(pilot, "w")
        screen = app.screen
        await set_fields(pilot, screen, momenta="3", m_min="0")
        assert "m min: Nesterov momentum needs a momentum above 0" in sweep_status(screen)
        await set_fields(pilot, screen, momenta="3", m_min="0.5", m_max="0.2")
        assert "m max: 0.2 is below m min 0.5" in sweep_status(screen)  # the field changed last
        await set_fields(pilot, screen, m_max="0.6", m_min="0.9")
        assert "m min: 0.9 is above m max 0.6" in sweep_status(screen)
        await set_fields(pilot, screen, m_min="0.1", lr_max="0.0001")
        assert "lr max: 0.0001 is below lr min" in sweep_status(screen) and "lr_" not in sweep_status(screen)
        await set_fields(pilot, screen, momenta="x")
        assert "momenta:" in sweep_status(screen)
    async with open_app("rosenbrock", optimizer="adam") as (app, pilot):
        await press(pilot, "w")
        screen = app.screen
        await set_fields(pilot, screen, momenta="3")
        assert "adam has no momentum to sweep" in sweep_status(screen)


async def test_escape_stops_the_worker_processes() -> None:
    """A sweep far too long to finish: escape closes the screen, and the sweep's thread ends soon
    after, which it can only do once every worker process has stopped its cell."""
    async with open_app("ill_conditioned") as (app, pilot):
        await press(pilot, "w")
        screen = app.screen
        await set_fields(pilot, screen, lr_min="1e-5", lr_max="1e-4", points="8", steps="100000", momenta="4", m_min="0", m_max="0.5")
        job = screen.job
        await wait_until(pilot, lambda: job.running and not job.wait(0), what="the sweep to start")
        await press(pilot, "escape")
        assert len(app.screen_stack) == 1
        await wait_until(pilot, lambda: job.wait(0), timeout=30, what="the sweep's thread to end")
        assert len(job.points) < 32 and not job.done


def test_phase_diagram_snapshot_120x40(snap_compare) -> None:  # noqa: ANN001
    """ill_conditioned, plain heavy ball: 12 rates × 8 momenta, the exact edge and the best pair."""
    scenario = scenarios.load("ill_conditioned")
    app = PlaygroundApp(scenario, load_engine=False)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await screen_ready(pilot)
        await handed_over(pilot, Run(scenario, resolve(scenario)))
        await pilot.pause()
        await press(pilot, "w")
        screen = app.screen
        await set_fields(pilot, screen, **PHASE)
        await wait_until(pilot, lambda: "96 / 96 cells · done" in sweep_status(screen), timeout=120, what="the phase diagram, drawn whole")
        screen.query_one("#sweep-run").focus()
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))
