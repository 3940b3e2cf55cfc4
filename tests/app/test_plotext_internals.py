"""plotext's private matrix is read in one module only (playground/plotext_internals.py), on the
release it was read from; the public way (textual-plotext's render, read back) gives the same
cells, so the plots are the same either way."""

from __future__ import annotations

import pytest
from tui_helpers import main_screen, open_app, press, settled

from playground import plotext_internals
from playground.widgets.loss_curve import LossCurve
from playground.widgets.map_plot import MapPlot


@pytest.mark.parametrize(("name", "size"), [("rosenbrock", (120, 40)), ("moons", (80, 24)), ("ill_conditioned", (100, 30))])
async def test_the_public_way_gives_the_private_matrixs_cells(name: str, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLAYGROUND_PLAIN_PLOTEXT", raising=False)  # the suite may run the plain way
    assert plotext_internals.active()
    async with open_app(name, size=size) as (app, pilot):
        app.session.steps(40)
        await press(pilot, "c", "l")  # a race, on a log scale: lane colours (r, g, b) and ANSI ones
        app.session.steps(40)
        await settled(pilot)
        for widget in (main_screen(app).query_one(MapPlot), main_screen(app).query_one(LossCurve)):
            width, height = widget.size
            if not width:  # a short race's map takes the loss curve's rows
                continue
            fast = plotext_internals.cells(widget, width, height)
            monkeypatch.setenv("PLAYGROUND_PLAIN_PLOTEXT", "1")
            assert not plotext_internals.active()
            plain = plotext_internals.cells(widget, width, height)
            monkeypatch.delenv("PLAYGROUND_PLAIN_PLOTEXT")
            assert fast is not None and plain is not None, widget
            assert plain[2] == fast[2], widget  # the plot area
            assert ["".join(row) for row in plain[0]] == ["".join(row) for row in fast[0]], widget
            assert plain[1] == fast[1], widget  # every cell's colour
            if isinstance(widget, LossCurve):  # the lanes' coloured lines were compared
                assert len({c for row in plain[1] for c in row} - {"default"}) >= (3 if name == "rosenbrock" else 1)


async def test_with_plain_plotext_the_app_draws_and_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_PLAIN_PLOTEXT", "1")
    async with open_app("rosenbrock", size=(100, 30)) as (app, pilot):
        await press(pilot, "s", "s", "c")
        await settled(pilot)
        plot = main_screen(app).query_one(MapPlot)
        text = "\n".join("".join(seg.text for seg in row) for row in plot.render().rows)
        assert "○" in text and "×" in text  # the start and the minimum, drawn through the public way


def test_a_different_plotext_takes_the_public_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLAYGROUND_PLAIN_PLOTEXT", raising=False)
    monkeypatch.setattr(plotext_internals, "_VERSION", "6.0.0")
    assert not plotext_internals.active()
    monkeypatch.setattr(plotext_internals, "_VERSION", "5.3.2")
    assert plotext_internals.active()


def test_text_without_a_frame_is_none() -> None:
    from rich.text import Text

    assert plotext_internals._from_text(Text(""), 0, 0) is None
    assert plotext_internals._from_text(Text("just text\nno frame"), 20, 2) is None
