"""The main plot: a coloured map (the surface's height, or the class a model predicts) with the
trajectory or the data points drawn over it.

The widget draws its own axes, braille lines and markers straight into Textual strips. A frame
at full speed is about a millisecond: the painted background (map colours and axes) is kept per
widget size and only the rows the path and markers touch are made again. (plotext, which drew
these plots before, rebuilt its whole canvas in Python on every frame: ~10 ms a plot, taken
from the training thread's share of the GIL.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

# a dark-to-light ramp (viridis-like), dim enough that the white path stays readable
HEAT = [
    (38, 16, 58), (49, 35, 94), (52, 56, 120), (46, 78, 132), (38, 98, 138), (32, 117, 140),
    (29, 136, 138), (34, 154, 131), (58, 171, 114), (98, 186, 90), (144, 196, 64), (190, 203, 48),
]
CLASS_DIM = [(72, 38, 30), (24, 52, 86), (36, 72, 40), (84, 70, 20), (64, 40, 80), (30, 74, 74), (90, 50, 60), (60, 60, 60), (80, 60, 30), (40, 40, 90)]
CLASS_BRIGHT = [(255, 138, 101), (100, 181, 246), (129, 199, 132), (255, 213, 79), (186, 104, 200), (77, 208, 225), (240, 98, 146), (200, 200, 200), (255, 171, 64), (121, 134, 203)]
BRAILLE = 0x2800
# braille dot bits by (dot row 0-3, dot column 0-1) inside a cell
_DOT_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)
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
Line = tuple[list[float], list[float], tuple[int, int, int]]


class MapPlot(Widget):
    """A 2D map with fixed axes: nothing jumps while the path grows."""

    DEFAULT_CSS = "MapPlot { width: 1fr; height: 1fr; }"
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
        self._mark_cells: tuple[list[Mark], tuple[int, int], np.ndarray, np.ndarray, np.ndarray] | None = None
        self._lines: list[Line] = []
        self._base: tuple[object, _Base] | None = None  # axes and map colours, per size
        self._strips: tuple[object, list[Strip]] | None = None

    def configure(self, xlim: tuple[float, float], ylim: tuple[float, float], background: Background | None, palette: list[tuple[int, int, int]]) -> None:
        """A new map (new scenario): axes, how to colour a grid, and the colours."""
        self.xlim, self.ylim = xlim, ylim
        self._background = background
        self._palette = palette
        self._styles = [Style(bgcolor=Color.from_rgb(*c)) for c in palette]
        self._grid_cache = None
        self._base = None
        self._mark_cells = None
        self._version = object()
        self._strips = None
        self.refresh()

    def show(self, lines: list[Line], marks: list[Mark], version: object = None) -> None:
        """What to draw over the map; a new `version` recomputes the map's colours."""
        self._lines = lines
        self._marks = marks
        if version is not None and version != self._version:
            self._version = version
            self._grid_cache = None
        self._strips = None
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

    # ------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        strips = self._frame()
        return strips[y] if 0 <= y < len(strips) else Strip.blank(self.size.width)

    def render(self) -> _Cells:  # type: ignore[override]
        """The frame as a Rich renderable (for tests and screenshots; the screen uses render_line)."""
        return _Cells([list(strip) for strip in self._frame()])

    def _frame(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        key = (width, height, self._version)
        if self._strips is not None and self._strips[0] == key:
            return self._strips[1]
        base = self._base_for(width, height)
        strips = list(base.strips)
        if base.rows >= 2 and base.cols >= 2:
            for r, cells in self._overlay(base).items():
                strips[r] = base.row(r, cells)
        self._strips = (key, strips)
        return strips

    def _base_for(self, width: int, height: int) -> _Base:
        key = (width, height, self._version, self.xlim, self.ylim)
        if self._base is not None and self._base[0] == key:
            return self._base[1]
        xt, yt = _ticks(*self.xlim), _ticks(*self.ylim)
        axes = Axes.layout(width, height, yt[1], None, 1)
        grid = self._grid(axes.cols, axes.rows) if axes.rows >= 2 and axes.cols >= 2 else None
        base = _Base(axes, xt, yt, self.xlim, self.ylim, grid, self._styles)
        self._base = (key, base)
        return base

    def _overlay(self, base: _Base) -> dict[int, dict[int, tuple[str, Style]]]:
        """Per plot row, per column: (glyph, style) of the path and the markers."""
        cols, rows = base.cols, base.rows
        cells: dict[int, dict[int, tuple[str, Style]]] = {}
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        for xs, ys, colour in self._lines:
            if len(xs) == 0:
                continue
            u = (np.asarray(xs, dtype=float) - x0) / (x1 - x0) * (cols - 1)
            v = (y1 - np.asarray(ys, dtype=float)) / (y1 - y0) * (rows - 1)
            codes = braille(u, v, cols, rows)
            style = fg_style(colour, True)
            for r, c in zip(*np.nonzero(codes)):
                cells.setdefault(int(r), {})[int(c)] = (chr(BRAILLE + int(codes[r, c])), style)
        if self._marks:
            mark_cells = self._mark_cells
            if mark_cells is None or mark_cells[0] is not self._marks or mark_cells[1] != (cols, rows):
                mark_cells = self._place_marks(cols, rows)
            _, _, rr, cc, keep = mark_cells
            for i in keep:
                mark = self._marks[i]
                cells.setdefault(int(rr[i]), {})[int(cc[i])] = (mark.glyph, fg_style(mark.color, mark.bold))
        return cells

    def _place_marks(self, cols: int, rows: int) -> tuple[list[Mark], tuple[int, int], np.ndarray, np.ndarray, np.ndarray]:
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        mx = np.array([m.x for m in self._marks], dtype=float)
        my = np.array([m.y for m in self._marks], dtype=float)
        with np.errstate(invalid="ignore"):
            inside = np.isfinite(mx) & np.isfinite(my) & (mx >= x0) & (mx <= x1) & (my >= y0) & (my <= y1)
        cc = np.zeros(len(mx), dtype=int)
        rr = np.zeros(len(mx), dtype=int)
        cc[inside] = np.round((mx[inside] - x0) / (x1 - x0) * (cols - 1)).astype(int)
        rr[inside] = np.round((y1 - my[inside]) / (y1 - y0) * (rows - 1)).astype(int)
        placed = (self._marks, (cols, rows), rr, cc, np.nonzero(inside)[0])
        self._mark_cells = placed
        return placed

    def _cell(self, x: float, y: float, cols: int, rows: int) -> tuple[int | None, int]:
        (x0, x1), (y0, y1) = self.xlim, self.ylim
        if not (np.isfinite(x) and np.isfinite(y)) or not (x0 <= x <= x1 and y0 <= y <= y1):
            return None, 0
        return round((x - x0) / (x1 - x0) * (cols - 1)), round((y1 - y) / (y1 - y0) * (rows - 1))


class _Base:
    """A map's frame without what moves: axes, tick labels, and the plot rows in map colours.
    Rows are kept as colour runs, so a row the path crosses is cut, not painted cell by cell."""

    def __init__(self, axes: Axes, xt: tuple[list[float], list[str]], yt: tuple[list[float], list[str]], xlim: tuple[float, float], ylim: tuple[float, float], grid: np.ndarray | None, styles: list[Style]) -> None:
        self.axes, self.cols, self.rows = axes, axes.cols, axes.rows
        self.xlim = xlim
        self.runs: list[list[tuple[int, int, int]]] = []
        self.prefix = axes.left_labels(_positions(yt[0], ylim, axes.rows, flip=True), yt[1])
        for r in range(max(axes.rows, 0)):
            if grid is None:
                self.runs.append([(0, axes.cols, -1)])
                continue
            row = grid[r]
            cuts = np.flatnonzero(np.diff(row)) + 1
            starts = [0, *cuts.tolist()]
            stops = [*cuts.tolist(), axes.cols]
            self.runs.append([(a, b, int(row[a])) for a, b in zip(starts, stops)])
        self.styles = styles
        self.strips = [self.row(r, {}) for r in range(max(axes.rows, 0))]
        self.strips += axes.bottom(_positions(xt[0], xlim, axes.cols), xt[1])

    def _bg(self, colour: int) -> Style:
        return self.styles[colour] if colour >= 0 else _PLAIN

    def row(self, r: int, cells: dict[int, tuple[str, Style]]) -> Strip:
        """Plot row r with `cells` (column -> glyph, foreground style) over the map colours."""
        segs = [Segment(self.prefix[r])]
        cols = sorted(cells) if cells else []
        k = 0
        for a, b, colour in self.runs[r]:
            bg = self._bg(colour)
            pos = a
            while k < len(cols) and cols[k] < b:
                c = cols[k]
                k += 1
                if c < a:
                    continue
                if c > pos:
                    segs.append(Segment(" " * (c - pos), bg))
                glyph, style = cells[c]
                segs.append(Segment(glyph, bg + style))
                pos = c + 1
            if pos < b:
                segs.append(Segment(" " * (b - pos), bg))
        return Strip(segs, self.axes.width)


class Axes:
    """Where the plot area sits in a widget: y labels on the left (and, optionally, the right),
    the x axis and its labels below, and `extra` lines under those (an axis title)."""

    def __init__(self, width: int, height: int, left: int, right: int, cols: int, rows: int) -> None:
        self.width, self.height, self.left, self.right, self.cols, self.rows = width, height, left, right, cols, rows

    @classmethod
    def layout(cls, width: int, height: int, left_labels: list[str], right_labels: list[str] | None, extra: int) -> Axes:
        lw = max((len(s) for s in left_labels), default=0)
        left = lw + 1
        right = (max((len(s) for s in right_labels), default=0) + 1) if right_labels is not None else 0
        cols = width - left - right
        rows = height - 1 - extra
        return cls(width, height, left, right, cols, rows)

    def left_labels(self, rows: list[int], labels: list[str]) -> list[str]:
        """The text left of each plot row: a label and `┤` where a tick falls, else `│`."""
        w = self.left - 1
        out = [" " * w + "│"] * max(self.rows, 0)
        for r, label in zip(rows, labels):
            if 0 <= r < self.rows:
                out[r] = label.rjust(w)[-w:] + "┤" if w else "┤"
        return out

    def right_labels(self, rows: list[int], labels: list[str]) -> list[str]:
        w = self.right - 1
        out = ["│" + " " * w] * max(self.rows, 0)
        for r, label in zip(rows, labels):
            if 0 <= r < self.rows:
                out[r] = "├" + label.ljust(w)[:w]
        return out

    def bottom(self, cols: list[int], labels: list[str], title: str = "") -> list[Strip]:
        """The x axis with a `┬` at each tick, the labels centred under them, then `title`."""
        if self.rows < 0 or self.cols < 1:
            return [Strip.blank(self.width)] * max(self.height, 0)
        axis = ["─"] * self.cols
        text = [" "] * self.width
        end = -1
        for c, label in zip(cols, labels):
            if not 0 <= c < self.cols:
                continue
            axis[c] = "┬"
            start = min(max(self.left + c - (len(label) - 1) // 2, 0), self.width - len(label))
            if start > end:
                text[start : start + len(label)] = label
                end = start + len(label)
        corner = "└" if self.left else ""
        line = " " * (self.left - 1) + corner + "".join(axis) + ("┘" + " " * (self.right - 1) if self.right else "")
        lines = [line, "".join(text)]
        if title:
            pad = self.left + (self.cols - len(title)) // 2
            lines.append((" " * max(pad, 0) + title).ljust(self.width)[: self.width])
        out = [Strip([Segment(s[: self.width].ljust(self.width))], self.width) for s in lines]
        return out[: max(self.height - self.rows, 0)] + [Strip.blank(self.width)] * max(self.height - self.rows - len(out), 0)


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


def _positions(values: list[float], lim: tuple[float, float], n: int, flip: bool = False) -> list[int]:
    """The cell (column, or row counted from the top when `flip`) of each value on an axis of n cells."""
    lo, hi = lim
    span = hi - lo if hi != lo else 1.0
    out = []
    for v in values:
        t = (v - lo) / span
        out.append(round((1 - t if flip else t) * (n - 1)))
    return out


def braille(u: np.ndarray, v: np.ndarray, cols: int, rows: int) -> np.ndarray:
    """A polyline through cell coordinates (u across, v down; cell centres at whole numbers) as
    braille codes, shape (rows, cols), 0 where no dot is set. Segments are sampled at every
    dot they cross; parts outside the plot are left out."""
    out = np.zeros((rows, cols), dtype=np.uint8)
    finite = np.isfinite(u) & np.isfinite(v)
    u, v = u[finite], v[finite]
    if len(u) == 0 or rows < 1 or cols < 1:
        return out
    # dot coordinates, clipped to a margin around the plot (a diverging run's far points would
    # otherwise cost a sample per dot all the way out there)
    du = np.clip((u + 0.5) * 2, -2 * cols, 4 * cols)
    dv = np.clip((v + 0.5) * 4, -4 * rows, 8 * rows)
    if len(du) == 1:
        pu, pv = du, dv
    else:
        steps = np.ceil(np.maximum(np.abs(np.diff(du)), np.abs(np.diff(dv)))).astype(int) + 1
        seg = np.repeat(np.arange(len(steps)), steps)
        first = np.repeat(np.cumsum(steps) - steps, steps)
        t = (np.arange(int(steps.sum())) - first) / np.maximum(np.repeat(steps - 1, steps), 1)
        pu = du[seg] + t * (du[seg + 1] - du[seg])
        pv = dv[seg] + t * (dv[seg + 1] - dv[seg])
    iu, iv = np.floor(pu).astype(int), np.floor(pv).astype(int)
    ok = (iu >= 0) & (iu < 2 * cols) & (iv >= 0) & (iv < 4 * rows)
    iu, iv = iu[ok], iv[ok]
    np.bitwise_or.at(out, (iv // 4, iu // 2), _DOT_BITS[iv % 4, iu % 2])
    return out


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
