"""The plot toolkit every plot here draws with, and their one base (Plot).

plotext lays out a figure (the frame, the axes, the ticks, the lines in braille); a plot reads
plotext's character matrix (build_matrix, through playground.plotext_internals), keeps its rows as
strips until something on them changes (Plot.frame), and asks Textual to repaint only the rows
that did (Plot.repaint_rows). The helpers place ticks where plotext puts them, thin a polyline to the
points that change its picture, and keep styles so that a frame does not make hundreds of equal
ones.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual_plotext import PlotextPlot

from playground import plotext_internals
from playground.formatting import tick_labels


class Plot(PlotextPlot):
    """A plotext plot drawn from the strips `frame()` returns and keeps: a subclass builds them
    (`frame`) and, when what it shows changes, asks for them again (repaint_rows)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self._area: Area | None = None  # where the last build put the plot area
        self._drawn: object = None  # what the strips on screen show
        self._scene: Any = None  # what to draw, thinned for the plot area (the subclass's)
        self._strips: tuple[object, list[Strip]] | None = None  # (what they were drawn for, the rows)

    def frame(self) -> list[Strip]:
        """The widget's rows as drawn now, top first: kept until something on them changes."""
        raise NotImplementedError

    @property
    def area(self) -> Area | None:
        """Where the plot area is inside the widget, as last drawn (None before a frame)."""
        return self._area

    def drop_cache(self) -> None:
        """Forget what was drawn: the next frame builds it all again (for benchmarks)."""
        self._scene = None
        self._strips = None
        self._drawn = None

    def figure(self, width: int, height: int) -> Any:
        """plotext's figure, emptied and sized to the widget, to draw a new frame on."""
        plt = self.plt
        plotext_internals.set_size(plt, width, height)
        plt.theme("clear")
        plt.clear_data()
        return plt

    def repaint_rows(self, before: tuple[object, list[Strip]] | None) -> None:
        """Draw the new frame now and ask Textual to repaint only the rows that changed. A new
        frame usually moves the path's tip and a marker by a cell: repainting the whole plot 20
        times a second took most of the UI thread's time while auto-running, which the training
        thread then waited for. `before` is the (state, strips) on screen, if any."""
        if before is None:
            self.refresh()
            return
        rows = self.frame()
        old = before[1]
        if len(old) != len(rows) or self._strips is None or self._strips[0] != before[0]:
            self.refresh()
            return
        changed = [y for y, (a, b) in enumerate(zip(old, rows)) if a is not b and a != b]
        width = self.size.width
        for _, run in groupby(enumerate(changed), lambda iy: iy[1] - iy[0]):  # runs of adjacent rows
            ys = [y for _, y in run]
            self.refresh(Region(0, ys[0], width, len(ys)))

    def render_line(self, y: int) -> Strip:
        # under the plot's own colours, the theme's (a light theme draws light plots)
        strips = self.frame()
        return (strips[y] if 0 <= y < len(strips) else Strip.blank(self.size.width)).apply_style(self.rich_style)

    def render(self) -> Cells:  # type: ignore[override]
        """The frame as a Rich renderable (for tests and screenshots; the screen uses render_line)."""
        return Cells([list(strip) for strip in self.frame()])


class Area:
    """Where plotext put the plot area inside the widget: columns [left, right), rows [top, bottom)
    counted from the widget's top left."""

    def __init__(self, width: int, height: int, left: int, right: int, top: int, bottom: int) -> None:
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        self.cols, self.rows = right - left, bottom - top


def build_matrix(widget: Any, width: int, height: int) -> tuple[list[list[str]], list[list[Any]], Area] | None:
    """Let plotext lay out and draw its figure (see playground.plotext_internals). Returns the
    rows top first (characters, foreground colours) and the plot area, or None if plotext drew
    no frame."""
    built = plotext_internals.cells(widget, width, height)
    if built is None:
        return None
    markers, colours, area = built
    return markers, colours, Area(*area)


def thin_polyline(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Indices of the points of a polyline (in dot coordinates: u across, v down) that change
    its picture: a point in the same dot as the one before, or in the middle of a run of equal
    steps between dots, adds nothing. Non-finite points are left out."""
    finite = np.flatnonzero(np.isfinite(u) & np.isfinite(v))
    if len(finite) < 3:
        return finite
    iu, iv = np.rint(u[finite]).astype(np.int64), np.rint(v[finite]).astype(np.int64)
    moved = np.ones(len(iu), dtype=bool)
    moved[1:] = (iu[1:] != iu[:-1]) | (iv[1:] != iv[:-1])
    moved[-1] = True
    keep = finite[moved]
    iu, iv = iu[moved], iv[moved]
    if len(keep) < 3:
        return keep
    du, dv = np.diff(iu), np.diff(iv)
    bend = np.ones(len(keep), dtype=bool)
    bend[1:-1] = (du[1:] != du[:-1]) | (dv[1:] != dv[:-1])
    return keep[bend]


_FG: dict[tuple[object, bool], Style] = {}


def fg_style(colour: tuple[int, int, int] | int, bold: bool = False) -> Style:
    """A foreground style: an (r, g, b) colour, or an ANSI colour number (drawn in the theme's
    shade of it), kept so that a frame does not make hundreds of equal styles."""
    key = (colour, bold)
    style = _FG.get(key)
    if style is None:
        c = Color.from_ansi(colour) if isinstance(colour, int) else Color.from_rgb(*colour)
        style = _FG[key] = Style(color=c, bold=bold)
    return style


def plotext_colour(colour: Any) -> Any:
    """A colour as plotext takes it, and keeps in its matrix: (r, g, b) as a tuple (a list would
    be read as one colour per point), an ANSI number as is."""
    return tuple(colour) if isinstance(colour, (tuple, list)) else colour


def axis_ticks(lo: float, hi: float, cells: int) -> tuple[list[float], list[str]]:
    """Round tick values (1, 2 or 5 times a power of ten apart) inside [lo, hi], about one for
    every two rows (or eight columns) of the `cells` the axis spans, never two in one cell."""
    values = one_per_row(nice_ticks(lo, hi, min(5, max(3, cells // 2 + 1))), lo, hi, cells)
    return values, tick_labels(values)


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


def onto_cells(values: np.ndarray, lo: float, span: float, cells: int, dots: int) -> np.ndarray:
    """Move a braille line's points so that each lands, dot-wise, in the cell where a marker of
    the same value goes. plotext puts a one-character marker in cell round((cells-1)·t) and a
    braille dot at floor(0.5 + (dots·cells-1)·t), `dots` to a cell: left alone, a path's end can
    sit a row away from its ● and a one-point path shows a stray dot beside the ○."""
    if cells < 2:
        return values
    t = (values - lo) / span
    return lo + span * (dots * (cells - 1) * t + (dots - 1) / 2) / (dots * cells - 1)


def rows_of(ticks: list[float], lo: float, hi: float, rows: int) -> list[int]:
    """The row (or column) of `rows` on which plotext puts each tick."""
    return [round((t - lo) / (hi - lo) * (rows - 1)) if rows > 1 and hi > lo else 0 for t in ticks]


def inside_frame(ticks: list[float], labels: list[str], lo: float, hi: float, cols: int) -> tuple[list[float], list[str]]:
    """The x ticks whose label, centred under its tick, ends inside the plot's `cols` columns.
    plotext moves a label that would cross the frame's right edge to the left, away from its
    tick, where it reads as another value: such a tick is better left unlabelled, and out."""
    keep = [(t, label) for t, label, col in zip(ticks, labels, rows_of(ticks, lo, hi, cols)) if col + (len(label) - 1) // 2 <= cols - 1]
    return [t for t, _ in keep], [label for _, label in keep]


def one_per_row(ticks: list[float], lo: float, hi: float, rows: int) -> list[float]:
    """Drop ticks that would share a row of the plot (`rows` tall) with a lower one: plotext
    would print just one of their labels, and which one changes with Python's hash seed."""
    out: list[float] = []
    used: set[int] = set()
    for t, row in zip(ticks, rows_of(ticks, lo, hi, rows)):
        if row not in used:
            used.add(row)
            out.append(t)
    return out


class Cells:
    """Rows of segments as a Rich renderable."""

    def __init__(self, rows: list[list[Segment]]) -> None:
        self.rows = rows

    def __rich_console__(self, console, options):  # noqa: ANN001
        for i, row in enumerate(self.rows):
            yield from row
            if i < len(self.rows) - 1:
                yield Segment.line()
