"""The main plot: a coloured map (the surface's height, or the class a model predicts) with the
trajectory or the data points drawn over it.

plotext draws the frame, the axes and the trajectory (braille line) in plain text; this widget
then paints each cell of the plot area with its map colour and places the markers. Painting
cells ourselves keeps a frame at a few milliseconds, where a plotext scatter of one coloured
point per cell costs ~100 ms to build and parse, and leaves no gaps between cells.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual_plotext import PlotextPlot

# a dark-to-light ramp (viridis-like), dim enough that the white path stays readable
HEAT = [
    (38, 16, 58), (49, 35, 94), (52, 56, 120), (46, 78, 132), (38, 98, 138), (32, 117, 140),
    (29, 136, 138), (34, 154, 131), (58, 171, 114), (98, 186, 90), (144, 196, 64), (190, 203, 48),
]
CLASS_DIM = [(72, 38, 30), (24, 52, 86), (36, 72, 40), (84, 70, 20), (64, 40, 80), (30, 74, 74), (90, 50, 60), (60, 60, 60), (80, 60, 30), (40, 40, 90)]
CLASS_BRIGHT = [(255, 138, 101), (100, 181, 246), (129, 199, 132), (255, 213, 79), (186, 104, 200), (77, 208, 225), (240, 98, 146), (200, 200, 200), (255, 171, 64), (121, 134, 203)]
BRAILLE_LO, BRAILLE_HI = 0x2800, 0x28FF


@dataclass(frozen=True)
class Mark:
    """A glyph at a data point: start, current point, minimum, a data point."""

    x: float
    y: float
    glyph: str
    color: tuple[int, int, int]
    bold: bool = True


Background = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (xs, ys) -> (rows, cols) palette indices


class MapPlot(PlotextPlot):
    """A 2D map with fixed axes: nothing jumps while the path grows."""

    can_focus = True

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.xlim = (0.0, 1.0)
        self.ylim = (0.0, 1.0)
        self._background: Background | None = None
        self._palette: list[tuple[int, int, int]] = HEAT
        self._version: object = None
        self._grid_cache: tuple[object, np.ndarray] | None = None
        self._styles: list[Style] = []
        self._marks: list[Mark] = []
        self._lines: list[tuple[list[float], list[float], tuple[int, int, int]]] = []

    def configure(self, xlim: tuple[float, float], ylim: tuple[float, float], background: Background | None, palette: list[tuple[int, int, int]]) -> None:
        """A new map (new scenario): axes, how to colour a grid, and the colours."""
        self.xlim, self.ylim = xlim, ylim
        self._background = background
        self._palette = palette
        self._styles = [Style(bgcolor=Color.from_rgb(*c)) for c in palette]
        self._grid_cache = None
        self._version = object()

    def show(self, lines: list[tuple[list[float], list[float], tuple[int, int, int]]], marks: list[Mark], version: object = None) -> None:
        """What to draw over the map; a new `version` recomputes the map's colours."""
        self._lines = lines
        self._marks = marks
        if version is not None and version != self._version:
            self._version = version
            self._grid_cache = None
        self.refresh()

    def canvas_to_data(self, col: int, row: int, cols: int, rows: int) -> tuple[float, float]:
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        x = x0 + (x1 - x0) * col / max(cols - 1, 1)
        y = y1 - (y1 - y0) * row / max(rows - 1, 1)
        return x, y

    def _grid(self, cols: int, rows: int) -> np.ndarray | None:
        if self._background is None or cols < 2 or rows < 2:
            return None
        key = (cols, rows, self._version)
        if self._grid_cache is not None and self._grid_cache[0] == key:
            return self._grid_cache[1]
        xs = np.linspace(*self.xlim, cols)
        ys = np.linspace(self.ylim[1], self.ylim[0], rows)
        grid = np.clip(self._background(xs, ys), 0, len(self._palette) - 1).astype(int)
        self._grid_cache = (key, grid)
        return grid

    def render(self):  # type: ignore[override]
        width, height = self.size.width, self.size.height
        plt = self.plt
        plt.plotsize(width, height)
        plt._set_size(width, height)
        plt.theme("clear")
        plt.clear_data()
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        for xs, ys, _ in self._lines:
            if xs:
                # plotext interpolates a segment pixel by pixel: a point far outside the axes
                # (a diverging run) would cost millions of pixels, so keep points near the map
                cx = np.clip(xs, x0 - (x1 - x0), x1 + (x1 - x0)).tolist()
                cy = np.clip(ys, y0 - (y1 - y0), y1 + (y1 - y0)).tolist()
                plt.plot(cx, cy, marker="braille")
        plt.scatter([self.xlim[0]], [self.ylim[0]], marker=" ")  # plotext draws no axes without data
        plt.xlim(*self.xlim)
        plt.ylim(*self.ylim)
        plt.xticks(*_ticks(*self.xlim))
        plt.yticks(*_ticks(*self.ylim))
        text = plt.build().replace("\x1b[0m", "")
        return _Cells(self._paint(text.split("\n")[:height]))

    def _paint(self, lines: list[str]) -> list[list[Segment]]:
        top = next((i for i, line in enumerate(lines) if "┌" in line), None)
        bottom = next((i for i, line in enumerate(lines) if "└" in line), None)
        if top is None or bottom is None or bottom - top < 3:
            return [[Segment(line)] for line in lines]
        left = lines[top].index("┌") + 1
        right = lines[top].index("┐")
        cols, rows = right - left, bottom - top - 1
        grid = self._grid(cols, rows)
        glyphs: dict[tuple[int, int], Mark] = {}
        for mark in self._marks:
            c, r = self._cell(mark.x, mark.y, cols, rows)
            if c is not None:
                glyphs[(r, c)] = mark
        path_style = Style(color=Color.from_rgb(*self._lines[-1][2]), bold=True) if self._lines else Style()
        plain = Style()
        styles: dict[tuple[int, object], Style] = {}  # (map colour, glyph kind) -> combined style

        def style_of(colour: int, kind: object) -> Style:
            key = (colour, kind)
            found = styles.get(key)
            if found is None:
                bg = self._styles[colour] if colour >= 0 else plain
                if kind is None:
                    found = bg
                elif kind == "path":
                    found = bg + path_style
                else:
                    found = bg + Style(color=Color.from_rgb(*kind.color), bold=kind.bold)  # type: ignore[attr-defined]
                styles[key] = found
            return found

        out: list[list[Segment]] = []
        for i, line in enumerate(lines):
            r = i - top - 1
            if not 0 <= r < rows:
                out.append([Segment(line)])
                continue
            segs = [Segment(line[:left])]
            row_colours = grid[r] if grid is not None else None
            run_text: list[str] = []
            run_style: Style | None = None
            for c in range(cols):
                ch = line[left + c] if left + c < len(line) else " "
                colour = int(row_colours[c]) if row_colours is not None else -1
                mark = glyphs.get((r, c))
                if mark is not None:
                    ch, style = mark.glyph, style_of(colour, mark)
                elif BRAILLE_LO < ord(ch) <= BRAILLE_HI:
                    style = style_of(colour, "path")
                else:
                    ch, style = " ", style_of(colour, None)
                if style is not run_style and run_text:
                    segs.append(Segment("".join(run_text), run_style))
                    run_text = []
                run_style = style
                run_text.append(ch)
            if run_text:
                segs.append(Segment("".join(run_text), run_style))
            segs.append(Segment(line[right:]))
            out.append(segs)
        return out

    def _cell(self, x: float, y: float, cols: int, rows: int) -> tuple[int | None, int]:
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        if not (np.isfinite(x) and np.isfinite(y)) or not (x0 <= x <= x1 and y0 <= y <= y1):
            return None, 0
        return round((x - x0) / (x1 - x0) * (cols - 1)), round((y1 - y) / (y1 - y0) * (rows - 1))


def _ticks(lo: float, hi: float, n: int = 5) -> tuple[list[float], list[str]]:
    """Round tick values (1, 2 or 5 times a power of ten apart) inside [lo, hi], labels of equal width."""
    values = nice_ticks(lo, hi, n)
    labels = [f"{v:.4g}" for v in values]
    width = max(len(s) for s in labels)
    return values, [s.rjust(width) for s in labels]


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    span = hi - lo
    if not np.isfinite(span) or span <= 0:
        return [lo]
    raw = span / max(n - 1, 1)
    power = 10 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = np.ceil(lo / step) * step
    values = [float(v) for v in np.arange(first, hi + step * 1e-9, step)]
    return [0.0 if abs(v) < step * 1e-9 else v for v in values] or [lo]


class _Cells:
    """Rows of segments as a Rich renderable."""

    def __init__(self, rows: list[list[Segment]]) -> None:
        self.rows = rows

    def __rich_console__(self, console, options):  # noqa: ANN001
        for i, row in enumerate(self.rows):
            yield from row
            if i < len(self.rows) - 1:
                yield Segment.line()
