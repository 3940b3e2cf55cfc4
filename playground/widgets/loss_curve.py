"""The loss curve: loss against step (linear or log10), accuracy beside it, and a marker at each
step where a setting changed. Long histories are thinned (keeping spikes) before plotting."""

from __future__ import annotations

import math

import numpy as np
from textual_plotext import PlotextPlot

from playground.history import downsample
from playground.widgets.map_plot import nice_ticks


class LossCurve(PlotextPlot):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.log_scale = False
        self._steps = np.empty(0)
        self._loss = np.empty(0)
        self._accuracy: np.ndarray | None = None
        self._events: list[int] = []

    def show(self, loss: np.ndarray, accuracy: np.ndarray | None, events: list[int]) -> None:
        self._loss = loss
        self._accuracy = accuracy
        self._events = events
        self.refresh()

    def render(self):  # type: ignore[override]
        plt = self.plt
        plt.clear_data()
        width = max(self.size.width, 10)
        budget = max(20, width)  # about a point per column: what braille can show
        loss = self._loss
        n = len(loss)
        values = loss
        if self.log_scale:
            with np.errstate(all="ignore"):
                values = np.where(loss > 0, np.log10(np.abs(loss)), np.nan)
        idx, vals = downsample(values, budget)
        plt.xlabel("step")
        plt.title("")
        if len(vals):
            plt.plot(idx.tolist(), vals.tolist(), marker="braille", color="orange")
            lo, hi = float(np.min(vals)), float(np.max(vals))
            if not np.isfinite(hi - lo):  # values near the float limits: show what fits
                lo, hi = max(lo, -1e300), min(hi, 1e300)
            if hi - lo < 1e-12:
                lo, hi = lo - 0.5, hi + 0.5
            plt.ylim(lo, hi)
            ticks = _one_per_row(nice_ticks(lo, hi, 4), lo, hi, max(1, self.size.height - 4))
            if self.log_scale:
                labels = [_power(t) for t in ticks]
            else:
                labels = [f"{t:.3g}" for t in ticks]
            w = max(len(s) for s in labels)
            plt.yticks(ticks, [s.rjust(w) for s in labels])
            for step in self._events[-20:]:
                plt.vline(step, color="magenta")
        if self._accuracy is not None and len(self._accuracy):
            aidx, avals = downsample(self._accuracy, budget)
            plt.plot(aidx.tolist(), avals.tolist(), marker="braille", color="cyan", yside="right")
            plt.ylim(0, 1, yside="right")
        last = max(n - 1, 1)
        plt.xlim(0, last)
        xt = sorted({int(round(t)) for t in nice_ticks(0, last, 5)})
        plt.xticks(xt, [str(t) for t in xt])
        return super().render()


def _power(t: float) -> str:
    if not math.isfinite(t):
        return ""
    return f"1e{t:.1f}" if abs(t - round(t)) > 0.05 else f"1e{round(t)}"


def _one_per_row(ticks: list[float], lo: float, hi: float, rows: int) -> list[float]:
    """Drop ticks that would share a row of the plot (`rows` tall) with a lower one: plotext
    would print just one of their labels, and which one changes with Python's hash seed."""
    out: list[float] = []
    used: set[int] = set()
    for t in ticks:
        row = round((t - lo) / (hi - lo) * (rows - 1)) if rows > 1 and hi > lo else 0
        if row not in used:
            used.add(row)
            out.append(t)
    return out
