"""The loss curve: loss against step (linear or log10), accuracy beside it, and a marker at each
step where a setting changed. Long histories are thinned (keeping spikes) to two points per
column, then drawn as braille straight into Textual strips (see map_plot)."""

from __future__ import annotations

import math

import numpy as np
from rich.segment import Segment
from textual.strip import Strip
from textual.widget import Widget

from playground.history import downsample
from playground.widgets.map_plot import BRAILLE, Axes, _Cells, _positions, braille, fg_style, nice_ticks

LOSS, ACCURACY, EVENT = 3, 6, 5  # ANSI colours: orange (the theme's yellow), cyan, magenta
_LAYER_STYLE = {1: fg_style(EVENT), 2: fg_style(ACCURACY), 3: fg_style(LOSS)}


class LossCurve(Widget):
    DEFAULT_CSS = "LossCurve { width: 1fr; height: 1fr; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.log_scale = False
        self._loss = np.empty(0)
        self._accuracy: np.ndarray | None = None
        self._events: list[int] = []
        self._strips: tuple[object, list[Strip]] | None = None

    def show(self, loss: np.ndarray, accuracy: np.ndarray | None, events: list[int]) -> None:
        self._loss = loss
        self._accuracy = accuracy
        self._events = events
        self._strips = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        strips = self._frame()
        return strips[y] if 0 <= y < len(strips) else Strip.blank(self.size.width)

    def render(self) -> _Cells:  # type: ignore[override]
        """The frame as a Rich renderable (for tests; the screen uses render_line)."""
        return _Cells([list(strip) for strip in self._frame()])

    def _frame(self) -> list[Strip]:
        width, height = self.size.width, self.size.height
        key = (width, height, self.log_scale)
        if self._strips is None or self._strips[0] != key:
            self._strips = (key, self._build(width, height))
        return self._strips[1]

    def _build(self, width: int, height: int) -> list[Strip]:
        loss = self._loss
        n = len(loss)
        values = loss
        if self.log_scale:
            with np.errstate(all="ignore"):
                values = np.where(loss > 0, np.log10(np.abs(loss)), np.nan)
        # a first guess at the plot's width, for thinning; the labels' width is known after
        budget = max(20, 2 * width)
        idx, vals = downsample(values, budget)
        acc = self._accuracy if self._accuracy is not None and len(self._accuracy) else None

        lo = hi = 0.0
        left: list[float] = []
        left_text: list[str] = []
        if len(vals):
            lo, hi = float(np.min(vals)), float(np.max(vals))
            if not np.isfinite(hi - lo):  # values near the float limits: show what fits
                lo, hi = max(lo, -1e300), min(hi, 1e300)
            if hi - lo < 1e-12:
                lo, hi = lo - 0.5, hi + 0.5
            rows_guess = max(1, height - 3)
            left = _one_per_row(nice_ticks(lo, hi, 4), lo, hi, rows_guess)
            left_text = [_power(t) for t in left] if self.log_scale else [f"{t:.3g}" for t in left]
        quarters = [0.0, 0.25, 0.5, 0.75, 1.0] if height - 3 >= 9 else [0.0, 0.5, 1.0]
        right = _one_per_row(quarters, 0.0, 1.0, max(1, height - 3)) if acc is not None else []
        axes = Axes.layout(width, height, left_text or [""], [f"{t:.2f}" for t in right] if acc is not None else None, 2)
        cols, rows = axes.cols, axes.rows
        if cols < 2 or rows < 1:
            return [Strip([Segment(" " * width)], width) for _ in range(height)]

        last = max(n - 1, 1)
        layer = np.zeros((rows, cols), dtype=np.uint8)  # what each cell shows: 0 nothing, 1 event, 2 accuracy, 3 loss
        codes = np.zeros((rows, cols), dtype=np.uint8)

        def draw(u: np.ndarray, v: np.ndarray, which: int) -> None:
            dots = braille(u, v, cols, rows)
            hit = dots > 0
            codes[hit] |= dots[hit]
            layer[hit] = which

        for step in self._events[-20:]:
            u = np.full(2, step / last * (cols - 1))
            draw(u, np.array([-0.5, rows - 0.51]), 1)
        if acc is not None:
            aidx, avals = downsample(acc.astype(float), 2 * cols)
            draw(aidx / last * (cols - 1), (1.0 - avals) * (rows - 1), 2)
        if len(vals):
            with np.errstate(all="ignore"):
                draw(idx / last * (cols - 1), (hi - vals) / (hi - lo) * (rows - 1), 3)

        prefix = axes.left_labels(_positions(left, (lo, hi), rows, flip=True), left_text)
        suffix = axes.right_labels(_positions(right, (0.0, 1.0), rows, flip=True), [f"{t:.2f}" for t in right]) if acc is not None else None
        strips = []
        for r in range(rows):
            segs = [Segment(prefix[r])]
            row_layer, row_codes = layer[r], codes[r]
            cuts = [0, *(np.flatnonzero(np.diff(row_layer)) + 1).tolist(), cols]
            for a, b in zip(cuts, cuts[1:]):
                which = int(row_layer[a])
                if which == 0:
                    segs.append(Segment(" " * (b - a)))
                else:
                    segs.append(Segment("".join(map(chr, (row_codes[a:b].astype(np.int32) + BRAILLE).tolist())), _LAYER_STYLE[which]))
            if suffix is not None:
                segs.append(Segment(suffix[r]))
            strips.append(Strip(segs, width))
        xt = sorted({int(round(t)) for t in nice_ticks(0, last, 5)})
        strips += axes.bottom(_positions([float(t) for t in xt], (0.0, float(last)), cols), [str(t) for t in xt], "step")
        return strips[:height]


def _power(t: float) -> str:
    if not math.isfinite(t):
        return ""
    return f"1e{t:.1f}" if abs(t - round(t)) > 0.05 else f"1e{round(t)}"


def _one_per_row(ticks: list[float], lo: float, hi: float, rows: int) -> list[float]:
    """Drop ticks that would share a row of the plot (`rows` tall) with a lower one, so that
    every label shown sits on its own row."""
    out: list[float] = []
    used: set[int] = set()
    for t in ticks:
        row = round((t - lo) / (hi - lo) * (rows - 1)) if rows > 1 and hi > lo else 0
        if row not in used:
            used.add(row)
            out.append(t)
    return out
