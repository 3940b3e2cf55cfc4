"""The map as a person reads it: two colour samples per character cell (half blocks), the level
boundaries traced as lighter contour lines, and the path drawn over the colours."""

from __future__ import annotations

import re

import numpy as np
import pytest
from textual.app import App, ComposeResult
from tui_helpers import main_screen, open_app, press, settled

from playground import scenarios
from playground.screens.map_scene import surface_background
from playground.widgets.loss_curve import LossCurve
from playground.widgets.map_plot import HALF_BLOCK, HEAT, Mark, MapPlot, contour_colour, contours


class OneMap(App[None]):
    def compose(self) -> ComposeResult:
        yield MapPlot(id="map")


def cells(plot: MapPlot) -> list[list[tuple[str, tuple | None, tuple | None]]]:
    """Every cell of the plot area: (character, foreground rgb, background rgb)."""
    area = plot.area
    assert area is not None
    rows = []
    for strip in plot.frame()[area.top:area.bottom]:
        row = []
        for segment in strip:
            style = segment.style
            fg = style.color.get_truecolor() if style and style.color else None
            bg = style.bgcolor.get_truecolor() if style and style.bgcolor else None
            row += [(ch, tuple(fg) if fg else None, tuple(bg) if bg else None) for ch in segment.text]
        rows.append(row[area.left:area.right])
    return rows


async def test_a_map_has_two_samples_a_cell_and_its_level_boundary_lies_between_halves() -> None:
    """A surface whose level steps at y = 0 on [-1, 1]²: with an odd number of rows, the row
    through y = 0 is split, its upper half one level and its lower half the next."""
    app = OneMap()
    async with app.run_test(size=(60, 22)) as pilot:
        plot = app.query_one(MapPlot)
        plot.configure((-1.0, 1.0), (-1.0, 1.0), lambda xs, ys: np.where(ys[:, None] > 0, 3, 8) + 0 * xs[None, :], HEAT)
        plot.show([], [])
        await pilot.pause()
        grid = cells(plot)
        area = plot.area
        assert area.rows % 2 == 1, "the test wants a row centred on y = 0"
        assert all(ch == HALF_BLOCK for row in grid for ch, _, _ in row)  # every cell of the map
        middle = grid[area.rows // 2]
        # upper half above 0 (level 3), lower half below (level 8, on the contour: lighter)
        assert {(fg, bg) for _, fg, bg in middle} == {(HEAT[3], contour_colour(HEAT[8]))}
        assert {(fg, bg) for _, fg, bg in grid[0]} == {(HEAT[3], HEAT[3])}
        assert {(fg, bg) for _, fg, bg in grid[-1]} == {(HEAT[8], HEAT[8])}


def test_contours_trace_the_higher_side_of_each_level_boundary() -> None:
    levels = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2]])
    assert contours(levels).astype(int).tolist() == [[0, 0, 1, 0], [0, 0, 1, 0], [1, 1, 1, 1]]
    assert not contours(np.full((3, 3), 4)).any()


async def test_a_marker_and_the_path_stand_over_the_map_colours() -> None:
    app = OneMap()
    async with app.run_test(size=(60, 21)) as pilot:
        plot = app.query_one(MapPlot)
        plot.configure((-1.0, 1.0), (-1.0, 1.0), lambda xs, ys: np.zeros((len(ys), len(xs)), dtype=int) + 5, HEAT)
        plot.show([([-0.8, 0.8], [-0.5, -0.5], (255, 255, 255))], [Mark(0.0, 0.5, "●", (255, 0, 0))])
        await pilot.pause()
        grid = cells(plot)
        area = plot.area
        # the marker: in the cell of (0, 0.5), on the map's colour
        row = area.rows - 1 - int(0.5 + 0.75 * (area.rows - 1))  # as plotext rounds: half up, from the bottom
        col = int(0.5 + 0.5 * (area.cols - 1))
        assert grid[row][col] == ("●", (255, 0, 0), HEAT[5])
        # the path: braille dots in its colour, on the map's colour, along y = -0.5
        path = area.rows - 1 - int(0.5 + 0.25 * (area.rows - 1))
        dots = [c for c in grid[path] if 0x2800 < ord(c[0]) <= 0x28FF]
        assert len(dots) > area.cols // 2
        assert {(fg, bg) for _, fg, bg in dots} == {((255, 255, 255), HEAT[5])}
        assert sum(ch == HALF_BLOCK for r in grid for ch, _, _ in r) > 0.9 * area.rows * area.cols


async def test_a_marker_on_a_contour_stands_on_its_level_colour_not_the_lighter_line() -> None:
    app = OneMap()
    async with app.run_test(size=(60, 21)) as pilot:
        plot = app.query_one(MapPlot)
        plot.configure((-1.0, 1.0), (-1.0, 1.0), lambda xs, ys: np.where(xs[None, :] > 0, 8, 3) + 0 * ys[:, None], HEAT)
        plot.show([], [])
        await pilot.pause()
        area = plot.area
        xs = np.linspace(-1.0, 1.0, area.cols)
        edge = int(np.argmax(xs > 0))  # the first column right of 0: on the contour, both halves
        assert cells(plot)[0][edge] == (HALF_BLOCK, contour_colour(HEAT[8]), contour_colour(HEAT[8]))
        plot.show([], [Mark(float(xs[edge]), 1.0, "●", (255, 0, 0))])
        await pilot.pause()
        assert cells(plot)[0][edge] == ("●", (255, 0, 0), HEAT[8])


@pytest.mark.parametrize(("name", "size"), [("rosenbrock", (80, 24)), ("moons", (120, 40))])
async def test_half_blocks_fill_the_bundled_maps(name: str, size: tuple[int, int]) -> None:
    async with open_app(name, size=size) as (app, pilot):
        app.session.steps(30)
        await settled(pilot)
        grid = cells(main_screen(app).query_one(MapPlot))
        share = sum(ch == HALF_BLOCK for row in grid for ch, _, _ in row) / sum(len(row) for row in grid)
        assert share > 0.6, share


def _axes(lines: list[str]) -> tuple[int, int, int, int, dict[int, float], dict[int, float]]:
    """The plot frame (top, bottom, left, right: the rows and columns of its corners) and where
    its ticks stand: x value by column (from the labels under ┬) and y value by row (┤)."""
    top = next(i for i, line in enumerate(lines) if "┐" in line)
    bottom = next(i for i, line in enumerate(lines) if "┘" in line)
    left, right = lines[bottom].index("└"), lines[bottom].index("┘")
    xs: dict[int, float] = {}
    labels = lines[bottom + 1]
    for m in re.finditer(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", labels):
        centre = (m.start() + m.end() - 1) / 2
        ticks = [c for c in range(left, right + 1) if lines[bottom][c] == "┬"]
        tick = min(ticks, key=lambda c: abs(c - centre))
        assert abs(tick - centre) <= 1, f"x label {m.group()!r} stands {abs(tick - centre)} columns from its tick"
        xs[tick] = float(m.group())
    ys: dict[int, float] = {}
    for r in range(top, bottom + 1):
        if lines[r][left] == "┤":
            ys[r] = float(lines[r][:left].strip())
    return top, bottom, left, right, xs, ys


def _read(ticks: dict[int, float], at: int) -> float:
    """The value at a column (or row) by the axis's ticks, linearly."""
    (c0, v0), (c1, v1) = sorted(ticks.items())[0], sorted(ticks.items())[-1]
    return v0 + (v1 - v0) * (at - c0) / (c1 - c0)


SURFACES = [path.stem for path in sorted(scenarios.BUNDLED_DIR.glob("*.toml")) if scenarios.load_file(path).surface is not None]


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)])
async def test_a_point_drawn_at_x_y_reads_as_x_y_on_the_axes_of_every_surface(size: tuple[int, int]) -> None:
    """Every bundled surface, at three sizes: the frame's edges are the domain's, each x label
    stands under its tick, and a marker at the start (and at each minimum) reads back from the
    rendered screen as its coordinates, to within a cell; nothing stands right of the frame."""
    app = OneMap()
    async with app.run_test(size=size) as pilot:
        plot = app.query_one(MapPlot)
        for name in SURFACES:
            scenario = scenarios.load(name)
            surface = scenario.surface
            points = [surface.start, *surface.minima]
            plot.configure(surface.x, surface.y, surface_background(scenario), HEAT)
            plot.show([], [Mark(x, y, "@", (255, 255, 255)) for x, y in points])
            await pilot.pause()
            lines = ["".join(segment.text for segment in strip) for strip in plot.frame()]
            top, bottom, left, right, xs, ys = _axes(lines)
            assert len(xs) >= 2 and len(ys) >= 2, (name, size)
            # the frame's edges are the domain's: the first and last plot column and row
            (x0, x1), (y0, y1) = surface.x, surface.y
            assert _read(xs, left + 1) == pytest.approx(x0, abs=(x1 - x0) / (right - left)), (name, size)
            assert _read(xs, right - 1) == pytest.approx(x1, abs=(x1 - x0) / (right - left)), (name, size)
            assert _read(ys, top + 1) == pytest.approx(y1, abs=(y1 - y0) / (bottom - top)), (name, size)
            assert _read(ys, bottom - 1) == pytest.approx(y0, abs=(y1 - y0) / (bottom - top)), (name, size)
            drawn = [(r, c) for r, line in enumerate(lines) for c, ch in enumerate(line) if ch == "@"]
            inside = [(x, y) for x, y in points if x0 <= x <= x1 and y0 <= y <= y1]
            assert 1 <= len(drawn) <= len(inside), (name, size)  # points in one cell share it
            for x, y in inside:  # each point has its @ within a cell of where the axes say it is
                cell_x, cell_y = (x1 - x0) / (right - left - 2), (y1 - y0) / (bottom - top - 2)
                assert any(abs(_read(xs, c) - x) <= cell_x * 1.01 and abs(_read(ys, r) - y) <= cell_y * 1.01 for r, c in drawn), (name, size, (x, y))
            for line in lines[top:bottom + 1]:
                assert not re.search(r"[\u2801-\u28ff@]", line[right + 1:]), (name, size, line)


async def test_the_loss_curve_takes_a_log_scale_by_itself_when_the_loss_spans_decades_and_l_sticks() -> None:
    async with open_app("rosenbrock", size=(120, 40)) as (app, pilot):
        curve = main_screen(app).query_one(LossCurve)
        await settled(pilot)
        assert not curve.log_scale and str(curve.border_subtitle).startswith("linear scale (auto) · ")
        loss = app.session.run.history.loss
        app.session.steps(300)  # momentum climbs to about 250, then down to about 0.01
        values = loss.array()
        assert values.max() / values.min() > 1e3
        app.main.sync()
        await settled(pilot)
        assert curve.log_scale and str(curve.border_subtitle).startswith("log scale (auto) · ")
        assert "1e" in "".join(segment.text for strip in curve.frame() for segment in strip)  # decade labels
        await press(pilot, "l")  # the person's choice: linear, and it sticks
        assert not curve.log_scale and str(curve.border_subtitle).startswith("linear scale · ")
        app.session.steps(100)
        app.main.sync()
        await settled(pilot)
        assert not curve.log_scale
        app.session.pick("scenario", "beale")  # another scenario: the scale chooses itself again
        app.main.sync()
        await settled(pilot)
        assert curve.scale_choice is None and str(curve.border_subtitle).startswith("linear scale (auto)")
