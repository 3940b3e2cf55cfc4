"""The loss curve: loss against step (linear or log10), accuracy beside it, and a marker at each
step where a setting changed.

plotext draws it all: frame, ticks and labels, the lines (braille) and the change markers
(vertical lines). Long histories are first thinned (keeping spikes) to two points a column, then
to the points that change the picture (see map_plot.thin_polyline), so that a build stays a few
milliseconds even when, while auto-running, the curve changes every frame. The widget reads
plotext's character matrix rather than its ANSI text, and is built again only when what it
shows moved by a dot.
"""

from __future__ import annotations

import math
from itertools import groupby
from typing import Any

import numpy as np
from rich.segment import Segment
from textual.strip import Strip
from textual_plotext import PlotextPlot

from playground.history import downsample
from playground.widgets.map_plot import Area, _Cells, build_matrix, fg_style, nice_ticks, thin_polyline

LOSS, ACCURACY, EVENT, LR = 3, 6, 5, 2  # ANSI colours: orange (the theme's yellow), cyan, magenta, green
_COLOUR_STYLE = {c: fg_style(c) for c in (LOSS, ACCURACY, EVENT, LR)}


class _Scene:
    """What a frame shows, thinned for a plot area of a given size; `key` is equal for two
    scenes that look the same."""

    def __init__(self, key: tuple[Any, ...], lines: list[tuple[np.ndarray, np.ndarray, int, str]], xlim: tuple[float, float], ylim: tuple[float, float], yticks: tuple[list[float], list[str]], rticks: tuple[list[float], list[str]] | None, xticks: list[int], events: list[int]) -> None:
        self.key, self.lines, self.xlim, self.ylim = key, lines, xlim, ylim
        self.yticks, self.rticks, self.xticks, self.events = yticks, rticks, xticks, events


class LossCurve(PlotextPlot):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.log_scale = False
        self._loss = np.empty(0)
        self._accuracy: np.ndarray | None = None
        self._events: list[int] = []
        self._area: Area | None = None  # where the last build put the plot area
        self._scene: _Scene | None = None
        self._drawn: object = None
        self._strips: tuple[object, list[Strip]] | None = None

    def show(self, loss: Any, accuracy: Any | None, events: list[int], hold: bool = False) -> bool:
        """The history to plot: arrays, or history columns (playground.history.Series), which
        are thinned without copying a long run. The widget is drawn again only if it looks
        different, and not now if `hold` (a later `show` draws it). Returns whether it will be
        drawn again."""
        self._loss = loss
        self._accuracy = accuracy
        self._events = events
        scene = self._make_scene(self.size.width, self.size.height)
        if scene.key == self._drawn or hold:
            return False
        self._scene = scene
        self._strips = None
        self.refresh()
        return True

    def drop_cache(self) -> None:
        """Forget what was drawn: the next frame builds it all again (for benchmarks)."""
        self._scene = None
        self._strips = None
        self._drawn = None

    # ------------------------------------------------------------ what to draw

    def _make_scene(self, width: int, height: int) -> _Scene:
        area = self._area
        if area is not None and (area.width, area.height) == (width, height):
            cols, rows = area.cols, area.rows
        else:  # a guess until plotext has laid the plot out at this size
            cols, rows = max(width - 10, 2), max(height - 4, 1)
        loss = self._loss
        n = len(loss)
        idx, vals = _thin(loss, max(20, 2 * cols))  # min and max per stretch: log10 keeps them
        if self.log_scale:
            with np.errstate(all="ignore"):
                vals = np.where(vals > 0, np.log10(np.abs(vals)), np.nan)
            keep = np.isfinite(vals)
            idx, vals = idx[keep], vals[keep]
        last = max(n - 1, 1)
        lo, hi = 0.0, 1.0
        yticks: tuple[list[float], list[str]] = ([], [])
        lines = []
        key: list[Any] = [width, height, self.log_scale]
        if len(vals):
            lo, hi = float(np.min(vals)), float(np.max(vals))
            if not np.isfinite(hi - lo):  # values near the float limits: show what fits
                lo, hi = max(lo, -1e300), min(hi, 1e300)
            if hi - lo < 1e-12:
                lo, hi = lo - 0.5, hi + 0.5
            ticks = _one_per_row(nice_ticks(lo, hi, 4), lo, hi, rows)
            labels = [_power(t) for t in ticks] if self.log_scale else [f"{t:.3g}" for t in ticks]
            w = max(len(s) for s in labels)
            yticks = (ticks, [s.rjust(w) for s in labels])
            key += [tuple(yticks[1]), tuple(_rows_of(ticks, lo, hi, rows))]
            with np.errstate(all="ignore"):
                u = idx / last * (2 * cols - 1)
                v = (hi - vals) / (hi - lo) * (4 * rows - 1)
            keep = thin_polyline(u, v)
            lines.append((idx[keep], vals[keep], LOSS, "left"))
            key += [np.rint(u[keep]).astype(np.int32).tobytes(), np.rint(v[keep]).astype(np.int32).tobytes()]
        rticks = None
        acc = self._accuracy
        if acc is not None and len(acc):
            aidx, avals = _thin(acc, 2 * cols)
            u = aidx / last * (2 * cols - 1)
            v = (1.0 - avals) * (4 * rows - 1)
            keep = thin_polyline(u, v)
            lines.append((aidx[keep], avals[keep], ACCURACY, "right"))
            key += [np.rint(u[keep]).astype(np.int32).tobytes(), np.rint(v[keep]).astype(np.int32).tobytes()]
            quarters = _one_per_row([0.0, 0.25, 0.5, 0.75, 1.0] if rows >= 9 else [0.0, 0.5, 1.0], 0.0, 1.0, rows)
            rticks = (quarters, [f"{t:.2f}" for t in quarters])
        events = [step for step in self._events[-20:] if 0 <= step <= last]
        key.append(tuple(round(step / last * (2 * cols - 1)) for step in events))
        xticks = sorted({int(round(t)) for t in nice_ticks(0, last, 5)})
        key.append(tuple(xticks))
        key.append(tuple(round(t / last * (cols - 1)) for t in xticks))
        return _Scene(tuple(key), lines, (0.0, float(last)), (lo, hi), yticks, rticks, xticks, events)

    # ------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        strips = self._frame()
        return strips[y] if 0 <= y < len(strips) else Strip.blank(self.size.width)

    def render(self) -> _Cells:  # type: ignore[override]
        """The frame as a Rich renderable (for tests; the screen uses render_line)."""
        return _Cells([list(strip) for strip in self._frame()])

    def _frame(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        state = (width, height, self.log_scale)
        if self._strips is not None and self._strips[0] == state:
            return self._strips[1]
        scene = self._scene
        if scene is None or tuple(scene.key[:3]) != state:
            scene = self._scene = self._make_scene(width, height)
        built = self._build(width, height, scene)
        if built is None:
            strips = [Strip.blank(width)] * height
        else:
            area = built[2]
            guessed = self._area is None or (self._area.width, self._area.height) != (width, height)
            self._area = area
            if guessed:  # thinned for a guessed plot area: thin again for the real one
                scene = self._scene = self._make_scene(width, height)
                built = self._build(width, height, scene) or built
            strips = _paint(*built)
        self._drawn = scene.key
        self._strips = (state, strips)
        return strips

    def _build(self, width: int, height: int, scene: _Scene) -> tuple[list[list[str]], list[list[Any]], Area] | None:
        if width < 10 or height < 5:
            return None
        plt = self.plt
        plt.plotsize(width, height)
        plt._set_size(width, height)
        plt.theme("clear")
        plt.clear_data()
        plt.xlabel("step")
        plt.title("")
        for xs, ys, colour, side in scene.lines:
            if len(xs):
                plt.plot(xs.tolist(), ys.tolist(), marker="braille", color=colour, yside=side)
        if not scene.lines or not len(scene.lines[0][0]):
            plt.scatter([0.0], [scene.ylim[0]], marker=" ")  # plotext draws no axes without data
        for step in scene.events:
            plt.vline(step, color=EVENT)
        plt.xlim(*scene.xlim)
        plt.ylim(*scene.ylim)
        if scene.yticks[0]:
            plt.yticks(*scene.yticks)
        if scene.rticks is not None:
            plt.ylim(0, 1, yside="right")
            plt.yticks(*scene.rticks, yside="right")
        plt.xticks(scene.xticks, [str(t) for t in scene.xticks])
        return build_matrix(plt)


def _paint(markers: list[list[str]], colours: list[list[Any]], area: Area) -> list[Strip]:
    """plotext's rows as strips, each run of cells in one of our colours as one segment."""
    strips = []
    width = area.width
    for y, row in enumerate(markers):
        text = "".join(row)
        if not area.top <= y < area.bottom or text[area.left : area.right].isspace():
            strips.append(Strip([Segment(text)], width))
            continue
        segs = []
        pos = 0
        for colour, run in groupby(colours[y]):
            n = sum(1 for _ in run)
            segs.append(Segment(text[pos : pos + n], _COLOUR_STYLE.get(colour) if isinstance(colour, int) else None))
            pos += n
        strips.append(Strip(segs, width))
    return strips


def _power(t: float) -> str:
    if not math.isfinite(t):
        return ""
    return f"1e{t:.1f}" if abs(t - round(t)) > 0.05 else f"1e{round(t)}"


def _rows_of(ticks: list[float], lo: float, hi: float, rows: int) -> list[int]:
    return [round((t - lo) / (hi - lo) * (rows - 1)) if rows > 1 and hi > lo else 0 for t in ticks]


def _one_per_row(ticks: list[float], lo: float, hi: float, rows: int) -> list[float]:
    """Drop ticks that would share a row of the plot (`rows` tall) with a lower one: plotext
    would print just one of their labels, and which one changes with Python's hash seed."""
    out: list[float] = []
    used: set[int] = set()
    for t, row in zip(ticks, _rows_of(ticks, lo, hi, rows)):
        if row not in used:
            used.add(row)
            out.append(t)
    return out


def _thin(values: Any, points: int) -> tuple[np.ndarray, np.ndarray]:
    """A history column's own thinning (bounded work on a run of any length), or an array's."""
    if hasattr(values, "thin"):
        return values.thin(points)
    return downsample(np.asarray(values, dtype=float), points)
