"""Snapshot tests (pytest-textual-snapshot): the pictures issue 3 asks for.

Each view is made deterministic: the run is built in the test with the scenario's fixed seeds and
stepped synchronously (no auto-run, so no steps per second on screen), and the focus is on the
map, so no text cursor blinks. Update with `pytest tests/app --snapshot-update` after looking at
the report.
"""

from __future__ import annotations

import pytest
from tui_helpers import handed_over, main_screen, screen_ready

from playground import scenarios
from playground.app import PlaygroundApp
from playground.engine import Run
from playground.settings import resolve


def prepared(name: str, steps: int = 0, keys: tuple[str, ...] = ()):  # noqa: ANN201
    """(app, run_before): `name` with its defaults, `steps` made before the picture."""
    scenario = scenarios.load(name)
    app = PlaygroundApp(scenario, load_engine=False)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await screen_ready(pilot)
        await handed_over(pilot, Run(scenario, resolve(scenario)))
        if steps:
            app.session.run.step(steps)
        main_screen(app).query_one("#map").focus()
        app.main.redraw(force=True)
        await pilot.pause()
        if keys:
            await pilot.press(*keys)
        await pilot.pause()

    return app, run_before


def test_rosenbrock_at_the_start(snap_compare) -> None:  # noqa: ANN001
    app, run_before = prepared("rosenbrock")
    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))


def test_rosenbrock_after_50_steps_of_nesterov(snap_compare) -> None:  # noqa: ANN001
    app, run_before = prepared("rosenbrock", steps=50)
    config = resolve(scenarios.load("rosenbrock"))
    assert config.optimizer == "sgd" and config.hyper["nesterov"] and config.hyper["momentum"] == 0.9
    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))


def test_moons_after_100_steps(snap_compare) -> None:  # noqa: ANN001
    app, run_before = prepared("moons", steps=100)
    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))


def test_help_screen(snap_compare) -> None:  # noqa: ANN001
    app, run_before = prepared("rosenbrock", keys=("question_mark",))
    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))


def test_small_terminal_80x24(snap_compare) -> None:  # noqa: ANN001
    app, run_before = prepared("rosenbrock", steps=50)
    assert snap_compare(app, run_before=run_before, terminal_size=(80, 24))


@pytest.mark.parametrize(("name", "steps", "size"), [("moons", 100, (80, 24)), ("beale", 200, (200, 60)), ("spiral", 50, (200, 60))])
def test_half_block_maps_at_small_and_large_sizes(snap_compare, name: str, steps: int, size: tuple[int, int]) -> None:  # noqa: ANN001
    """A dataset at 80x24; a surface on log levels (Beale) and a dataset at 200x60. Spiral at 50
    steps, long before its loss falls steeply: from step 60 on, the last bits of a matrix product,
    which differ between CPUs' kernels (AVX-512 against the default), showed in its figures."""
    app, run_before = prepared(name, steps=steps)
    assert snap_compare(app, run_before=run_before, terminal_size=size)
