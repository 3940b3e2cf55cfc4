"""The main plot: a coloured map (the surface's height, or the class a model predicts) with the
trajectory or the data points drawn over it.

plotext draws the plot: the frame, the axes, the ticks and their labels, and the lines (braille).
This widget reads plotext's character matrix (skipping the ANSI text plotext would make of it and
Textual's parse of that text), paints the plot area's cells with the map colours, which are kept
per widget size, and places the markers, whose cells it computes with numpy.

What keeps a frame cheap:
- `show` compares what would be drawn (the lines as braille dots, the markers' cells) with what
  is on screen, and asks for a new frame only when something moved by a dot or a cell;
- plotext gets only the points that change the picture: consecutive points in the same dot, and
  points in the middle of a straight run of dots, are left out (a plotext build costs about
  20 microseconds a point);
- rows the lines and markers do not touch reuse their cached strips;
- Textual repaints only the rows that changed (`Plot.repaint_rows`, plot_kit.py), usually one or two a frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.message import Message
from textual.strip import Strip

from playground.widgets.plot_kit import Area, Plot, axis_ticks, build_matrix, fg_style, inside_frame, onto_cells, plotext_colour, thin_polyline

# a dark-to-light ramp (viridis-like), dim enough that the white path stays readable
HEAT = [
    (38, 16, 58), (49, 35, 94), (52, 56, 120), (46, 78, 132), (38, 98, 138), (32, 117, 140),
    (29, 136, 138), (34, 154, 131), (58, 171, 114), (98, 186, 90), (144, 196, 64), (190, 203, 48),
]
CLASS_DIM = [(72, 38, 30), (24, 52, 86), (36, 72, 40), (84, 70, 20), (64, 40, 80), (30, 74, 74), (90, 50, 60), (60, 60, 60), (80, 60, 30), (40, 40, 90)]
CLASS_BRIGHT = [(255, 138, 101), (100, 181, 246), (129, 199, 132), (255, 213, 79), (186, 104, 200), (77, 208, 225), (240, 98, 146), (200, 200, 200), (255, 171, 64), (121, 134, 203)]
HALF_BLOCK = "\u2580"  # ▀: a map cell's upper half in the foreground colour, its lower half in the background
_PLAIN = Style()


@dataclass(frozen=True)
class Mark:
    """A glyph at a data point: start, current point, minimum, a data point."""

    x: float
    y: float
    glyph: str
    color: tuple[int, int, int]
    bold: bool = True


Background = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (xs, ys) -> (rows, cols) palette indices
Line = tuple[Sequence[float], Sequence[float], Any]  # xs, ys, colour: (r, g, b) or an ANSI number


class MapPlot(Plot):
    """A 2D map with fixed axes: nothing jumps while the path grows."""

    can_focus = True

    class Clicked(Message):
        """A click on the plot area, at the data point (x, y) under it."""

        def __init__(self, x: float, y: float) -> None:
            super().__init__()
            self.x, self.y = x, y

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.xlim = (0.0, 1.0)
        self.ylim = (0.0, 1.0)
        self._background: Background | None = None
        self._palette: list[tuple[int, int, int]] = HEAT
        self._colours: list[tuple[int, int, int]] = HEAT  # the palette, then its contour shades
        self._version: object = None
        self._grid_cache: tuple[object, np.ndarray] | None = None
        self._styles: list[Style] = []
        self._halves: dict[tuple[int, int], Style] = {}
        self._marks: list[Mark] = []
        self._lines: list[Line] = []
        self._scene: tuple[object, list[Line], tuple[np.ndarray, np.ndarray, np.ndarray]] | None = None
        self._rows: tuple[object, list[list[tuple[int, int, int]]], dict[tuple[int, str, str], Strip]] | None = None

    def configure(self, xlim: tuple[float, float], ylim: tuple[float, float], background: Background | None, palette: list[tuple[int, int, int]]) -> None:
        """A new map (new scenario): axes, how to colour a grid, and the colours."""
        self.xlim, self.ylim = xlim, ylim
        self._background = background
        self._palette = palette
        self._colours = palette + [contour_colour(c) for c in palette]
        self._styles = [Style(bgcolor=Color.from_rgb(*c)) for c in self._colours]
        self._halves = {}
        self._grid_cache = None
        self._rows = None
        self._version = object()
        self._invalidate()

    def show(self, lines: list[Line], marks: list[Mark], version: object = None, hold: bool = False) -> bool:
        """What to draw over the map; a new `version` recomputes the map's colours. The widget
        is drawn again only if this changes what is on screen by at least a dot or a cell, and
        not now if `hold` (a later `show` draws it). Returns whether it will be drawn again."""
        self._lines = lines
        self._marks = marks
        if version is not None and version != self._version:
            self._version = version
            self._grid_cache = None
            self._rows = None
        if self._area is None or self._area.width != self.size.width or self._area.height != self.size.height:
            self._invalidate()
            return True
        scene = self._make_scene(self._area)
        if scene[0] == self._drawn:
            return False
        if hold:
            return False
        before, self._scene, self._strips = self._strips, scene, None
        self.repaint_rows(before)
        return True

    def drop_cache(self) -> None:
        """Forget everything drawn and cached but the plot area's place: the next frame builds
        it all again, as after a new scenario (for benchmarks)."""
        super().drop_cache()
        self._grid_cache = None
        self._rows = None

    def _invalidate(self) -> None:
        Plot.drop_cache(self)
        self.refresh()

    def canvas_to_data(self, col: int, row: int, cols: int, rows: int) -> tuple[float, float]:
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        x = x0 + (x1 - x0) * col / max(cols - 1, 1)
        y = y1 - (y1 - y0) * row / max(rows - 1, 1)
        return x, y

    def data_at(self, col: int, row: int) -> tuple[float, float] | None:
        """The point under the widget's content cell (col, row), or None off the plot area."""
        self.frame()
        area = self._area
        if area is None or not (area.left <= col < area.right and area.top <= row < area.bottom):
            return None
        return self.canvas_to_data(col - area.left, row - area.top, area.cols, area.rows)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        point = self.data_at(offset.x, offset.y) if offset is not None else None
        if point is not None:
            self.post_message(self.Clicked(*point))

    def _grid(self, cols: int, rows: int) -> np.ndarray | None:
        """The map's palette indices, two samples per cell (2·rows, cols): each cell's upper and
        lower half, a quarter of a row above and below the cell's centre (a cell's centre is
        where a marker of its value goes)."""
        if self._background is None or cols < 2 or rows < 2:
            return None
        key = (cols, rows, self._version)
        if self._grid_cache is not None and self._grid_cache[0] == key:
            return self._grid_cache[1]
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        xs = np.linspace(x0, x1, cols)
        centres = np.arange(rows, dtype=float)
        halves = np.stack([centres - 0.25, centres + 0.25], axis=1).ravel()
        ys = y1 - (y1 - y0) * halves / (rows - 1)
        grid = np.clip(self._background(xs, ys), 0, len(self._palette) - 1).astype(int)
        grid = grid + len(self._palette) * contours(grid)
        self._grid_cache = (key, grid)
        return grid

    # ------------------------------------------------------------ what to draw

    def _make_scene(self, area: Area) -> tuple[object, list[Line], tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(key, the lines' points that matter, the markers' cells) for a plot area. Two scenes
        with equal keys look the same on screen."""
        cols, rows = area.cols, area.rows
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        sx, sy = (x1 - x0) or 1.0, (y1 - y0) or 1.0
        key: list[object] = [area.width, area.height, self._version, self.xlim, self.ylim]
        thinned: list[Line] = []
        for xs, ys, colour in self._lines:
            # plotext interpolates a segment dot by dot: a point far outside the axes (a
            # diverging run) would cost millions of dots, so keep points near the map
            x = np.clip(np.asarray(xs, dtype=float), x0 - sx, x1 + sx)
            y = np.clip(np.asarray(ys, dtype=float), y0 - sy, y1 + sy)
            x, y = onto_cells(x, x0, sx, cols, 2), onto_cells(y, y0, sy, rows, 4)
            u = (x - x0) / sx * (2 * cols - 1)
            v = (y1 - y) / sy * (4 * rows - 1)
            keep = thin_polyline(u, v)
            thinned.append((x[keep], y[keep], colour))
            key += [colour, np.rint(u[keep]).astype(np.int32).tobytes(), np.rint(v[keep]).astype(np.int32).tobytes()]
        cells = self._place_marks(cols, rows)
        rr, cc, keep = cells
        if len(self._marks) > 32:
            key += [id(self._marks), len(self._marks)]  # many marks (data points): the app keeps the list
        else:
            key.append(tuple((m.glyph, m.color, m.bold) for m in self._marks))
        key += [rr.tobytes(), cc.tobytes(), keep.tobytes()]
        return tuple(key), thinned, cells

    def _place_marks(self, cols: int, rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The markers' plot rows and columns, and which of them fall inside the plot."""
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        mx = np.array([m.x for m in self._marks], dtype=float)
        my = np.array([m.y for m in self._marks], dtype=float)
        with np.errstate(invalid="ignore"):
            inside = np.isfinite(mx) & np.isfinite(my) & (mx >= x0) & (mx <= x1) & (my >= y0) & (my <= y1)
        cc = np.zeros(len(mx), dtype=np.int32)
        rr = np.zeros(len(mx), dtype=np.int32)
        # as plotext rounds (half up, rows counted from the bottom), so that a marker and a line's
        # dot of the same value share a cell (onto_cells)
        cc[inside] = np.floor(0.5 + (mx[inside] - x0) / (x1 - x0) * (cols - 1))
        rr[inside] = rows - 1 - np.floor(0.5 + (my[inside] - y0) / (y1 - y0) * (rows - 1))
        return rr, cc, np.flatnonzero(inside)

    # ------------------------------------------------------------ rendering

    @property
    def lines(self) -> list[Line]:
        """The lines the map was last given to draw over its colours (paths, an edge)."""
        return self._lines

    def frame(self) -> list[Strip]:
        """The widget's rows as drawn now, top first: kept until something on them changes."""
        width, height = self.size.width, self.size.height
        if self._strips is not None and self._strips[0] == (width, height) and self._scene is not None:
            return self._strips[1]
        area = self._area
        if self._scene is None or area is None or (area.width, area.height) != (width, height):
            # the plot area's place depends on plotext's layout: build once to learn it
            built = self._build(width, height, [(np.empty(0), np.empty(0), None)])
            area = built[2] if built else None
            self._area = area
            if area is None:
                self._strips = ((width, height), [Strip.blank(width)] * height)
                return self._strips[1]
            self._scene = self._make_scene(area)
        key, thinned, cells = self._scene
        built = self._build(width, height, thinned)
        if built is None:
            self._strips = ((width, height), [Strip.blank(width)] * height)
            return self._strips[1]
        strips = self._paint(*built, cells)
        self._area = built[2]
        self._drawn = key
        self._strips = ((width, height), strips)
        return strips

    def _build(self, width: int, height: int, lines: list[Line]) -> tuple[list[list[str]], list[list[Any]], Area] | None:
        if width < 8 or height < 5:
            return None
        plt = self.figure(width, height)
        for xs, ys, colour in lines:
            if len(xs):
                plt.plot(np.asarray(xs, dtype=float).tolist(), np.asarray(ys, dtype=float).tolist(), marker="braille", color=plotext_colour(colour))
        plt.scatter([self.xlim[0]], [self.ylim[0]], marker=" ")  # plotext draws no axes without data
        plt.xlim(*self.xlim)
        plt.ylim(*self.ylim)
        area = self._area
        if area is None or (area.width, area.height) != (width, height):  # a guess until laid out
            area = Area(width, height, 6, width - 1, 1, height - 2)
        plt.xticks(*inside_frame(*self.x_ticks(area.cols), *self.xlim, area.cols))
        plt.yticks(*axis_ticks(*self.ylim, area.rows))
        return build_matrix(self, width, height)

    def x_ticks(self, cols: int) -> tuple[list[float], list[str]]:
        """The x axis's tick values and labels for a plot area `cols` wide (a subclass whose x
        holds log10 of its values labels them with the values)."""
        return axis_ticks(*self.xlim, cols // 4)

    def _row_cache(self, area: Area) -> tuple[list[list[tuple[int, int, int, int]]], dict[tuple[int, str, str], Strip]]:
        """Per plot row, its map colours as runs (start, stop, upper half's palette index, lower
        half's), and a cache of the rows that nothing is drawn on."""
        key = (area.cols, area.rows, self._version, self.xlim, self.ylim)
        if self._rows is not None and self._rows[0] == key:
            return self._rows[1], self._rows[2]
        grid = self._grid(area.cols, area.rows)
        runs = []
        for r in range(area.rows):
            if grid is None:
                runs.append([(0, area.cols, -1, -1)])
                continue
            upper, lower = grid[2 * r], grid[2 * r + 1]
            cuts = (np.flatnonzero((np.diff(upper) != 0) | (np.diff(lower) != 0)) + 1).tolist()
            runs.append([(a, b, int(upper[a]), int(lower[a])) for a, b in zip([0, *cuts], [*cuts, area.cols])])
        self._rows = (key, runs, {})
        return runs, self._rows[2]

    def _paint(self, markers: list[list[str]], colours: list[list[Any]], area: Area, cells: tuple[np.ndarray, np.ndarray, np.ndarray]) -> list[Strip]:
        runs, blank_rows = self._row_cache(area)
        left, right, top = area.left, area.right, area.top
        line_styles = {plotext_colour(c): fg_style(plotext_colour(c), True) for _, _, c in self._lines if c is not None}
        marked: dict[int, dict[int, tuple[str, Style]]] = {}
        rr, cc, keep = cells
        for i in keep.tolist():
            mark = self._marks[i]
            marked.setdefault(int(rr[i]), {})[int(cc[i])] = (mark.glyph, fg_style(mark.color, mark.bold))
        strips = []
        width = area.width
        for y, row in enumerate(markers):
            r = y - top
            text = "".join(row)
            if not 0 <= r < area.rows:
                strips.append(Strip([Segment(text)], width))
                continue
            prefix, inside, suffix = text[:left], text[left:right], text[right:]
            over = marked.get(r)
            if over is None and inside.isspace():
                found = blank_rows.get((r, prefix, suffix))
                if found is None:
                    found = blank_rows[(r, prefix, suffix)] = self._row(r, runs[r], prefix, suffix, {}, width)
                strips.append(found)
                continue
            drawn: dict[int, tuple[str, Style]] = {}
            fg = colours[y]
            for c, ch in enumerate(inside):
                if ch != " ":
                    drawn[c] = (ch, line_styles.get(fg[left + c], _PLAIN))
            if over:
                drawn.update(over)
            strips.append(self._row(r, runs[r], prefix, suffix, drawn, width))
        return strips

    def _row(self, r: int, runs: list[tuple[int, int, int, int]], prefix: str, suffix: str, cells: dict[int, tuple[str, Style]], width: int) -> Strip:
        """Plot row r: the map in half blocks (▀: the upper half's colour over the lower's), and
        `cells` (column -> glyph, foreground style) over the level colour of the cell's upper half."""
        segs = [Segment(prefix)]
        cols = sorted(cells)
        k = 0
        for a, b, upper, lower in runs:
            # a glyph stands on its cell's level colour, never on a contour's lighter shade, where
            # a light path or marker would fade
            fill, glyph_bg, char = (self._half(upper, lower), self._styles[upper % len(self._palette)], HALF_BLOCK) if upper >= 0 else (_PLAIN, _PLAIN, " ")
            pos = a
            while k < len(cols) and cols[k] < b:
                c = cols[k]
                k += 1
                if c < a:
                    continue
                if c > pos:
                    segs.append(Segment(char * (c - pos), fill))
                glyph, style = cells[c]
                segs.append(Segment(glyph, glyph_bg + style))
                pos = c + 1
            if pos < b:
                segs.append(Segment(char * (b - pos), fill))
        segs.append(Segment(suffix))
        return Strip(segs, width)

    def _half(self, upper: int, lower: int) -> Style:
        """The style of a half-block cell: the upper half's colour on the lower half's."""
        style = self._halves.get((upper, lower))
        if style is None:
            style = self._halves[(upper, lower)] = Style(color=Color.from_rgb(*self._colours[upper]), bgcolor=Color.from_rgb(*self._colours[lower]))
        return style


def contours(levels: np.ndarray) -> np.ndarray:
    """Where a map's level changes: the samples (of a grid of palette indices) with a lower
    level beside them, across or down. Drawn in a lighter shade, they trace the level
    boundaries as contour lines one sample thick, on the higher level's side."""
    edge = np.zeros(levels.shape, dtype=bool)
    edge[:, :-1] |= levels[:, :-1] > levels[:, 1:]
    edge[:, 1:] |= levels[:, 1:] > levels[:, :-1]
    edge[:-1, :] |= levels[:-1, :] > levels[1:, :]
    edge[1:, :] |= levels[1:, :] > levels[:-1, :]
    return edge


def contour_colour(colour: tuple[int, int, int], towards_white: float = 0.25) -> tuple[int, int, int]:
    """A level's colour on its contour line: lighter, so the line reads against both levels."""
    return tuple(round(c + (255 - c) * towards_white) for c in colour)  # type: ignore[return-value]


