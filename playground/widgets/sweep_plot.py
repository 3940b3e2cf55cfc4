"""The sweep's plot: final loss against learning rate, one `o` per run, joined by a line, with an
`x` along the top for each run that diverged and a grey line at the run's own rate.

plotext places a one-character marker on the row nearest its value but a braille line at four
dots a row, scaled a little differently, so a flat stretch of the line can sit a row away from
its own markers. The plot is drawn when it renders, at its real height: the line is moved onto
the markers' rows, and the y axis is labelled at row centres, so every label is the value of
the row it stands on and a marker's value is within half a row of it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from textual.app import RenderResult
from textual_plotext import PlotextPlot

if TYPE_CHECKING:
    from playground.sweep import SweepPoint

# Rows of the plot's height outside its data area: the title, the frame's top and bottom, the
# lr tick labels and the axis labels (tests/unit/test_sweep_plot.py checks this against plotext).
CHROME_ROWS = 5


class SweepPlot(PlotextPlot):
    def __init__(self, lr_now: float, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.lr_now = lr_now
        self.rates: list[float] = []
        self.points: list[SweepPoint] = []
        self.plt.title(f"final loss against learning rate (grey line: the run's lr {lr_now:g})")
        self.plt.xlabel("lr (log scale)")

    def show(self, rates: list[float], points: list[SweepPoint]) -> None:
        self.rates, self.points = list(rates), list(points)
        self.refresh()

    def render(self) -> RenderResult:
        draw(self.plt, max(self.size.height - CHROME_ROWS, 1), self.rates, self.points, self.lr_now)
        return super().render()


def draw(plt: Any, rows: int, rates: list[float], points: list[SweepPoint], lr_now: float) -> None:
    """Draw the sweep on a plotext figure whose data area is `rows` tall."""
    plt.clear_data()
    if rates:
        lo, hi = math.log10(rates[0]), math.log10(rates[-1])
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        pad = 0.04 * (hi - lo)  # room at each end: the end labels stand centred under their ticks, the end runs' markers inside the frame
        plt.xlim(lo - pad, hi + pad)
        ticks = decade_ticks(lo, hi)
        plt.xticks([t for t, _ in ticks], [label for _, label in ticks])
        if lr_now > 0 and lo <= math.log10(lr_now) <= hi:
            plt.vline(math.log10(lr_now), "gray")
    good = [p for p in points if not p.diverged and math.isfinite(p.final_loss)]
    bad = [p for p in points if p.diverged or not math.isfinite(p.final_loss)]
    use_log = bool(good) and all(p.final_loss > 0 for p in good)
    plt.ylabel("final loss" + (" (log scale)" if use_log else ""))
    bottom, top = 0.0, 1.0
    if good:
        xs = [math.log10(p.lr) for p in good]
        ys = [math.log10(p.final_loss) if use_log else p.final_loss for p in good]
        ymin, ymax = min(ys), max(ys)
        if ymax - ymin < 1e-12:
            ymin, ymax = ymin - 1, ymax + 1
        bottom, top = ymin - 0.05 * (ymax - ymin), ymax + 0.1 * (ymax - ymin)
        plt.ylim(bottom, top)
        plt.plot(xs, [_onto_rows(y, bottom, top, rows) for y in ys], color="orange", marker="braille")
        plt.scatter(xs, ys, color="orange", marker="o")
        values, labels = row_ticks(bottom, top, rows, use_log)
        plt.yticks(values, labels)
    if bad:
        plt.scatter([math.log10(p.lr) for p in bad], [top] * len(bad), color="red", marker="x")


def _onto_rows(y: float, lo: float, hi: float, rows: int) -> float:
    """The height at which plotext's braille line passes through the middle of the row on which
    it puts a one-character marker of value `y`: a marker goes to row round((rows-1)·t), a braille
    dot to dot floor(0.5 + (4·rows-1)·t'), four dots a row."""
    if rows < 2:
        return y
    t = (y - lo) / (hi - lo)
    return lo + (hi - lo) * (4 * (rows - 1) * t + 1.5) / (4 * rows - 1)


def row_ticks(lo: float, hi: float, rows: int, log: bool) -> tuple[list[float], list[str]]:
    """Labels at the centres of about five rows, spread evenly, each the value of its row (10 to
    the power of it on a log axis), with as many digits as it takes to tell them apart."""
    if rows < 2:
        return [lo], [_label(lo, log, 2)]
    every = max(1, round((rows - 1) / 4))
    picked = sorted({*range(0, rows, every), rows - 1})
    if len(picked) > 2 and picked[-1] - picked[-2] < every / 2:
        picked.pop(-2)  # the top row is always labelled; keep labels apart
    values = [lo + (hi - lo) * r / (rows - 1) for r in picked]
    for digits in range(2, 7):
        labels = [_label(v, log, digits) for v in values]
        if len(set(labels)) == len(labels):
            break
    width = max(len(s) for s in labels)
    return values, [s.rjust(width) for s in labels]


def _label(v: float, log: bool, digits: int) -> str:
    return f"{10.0**v:.{digits}g}" if log else f"{v:.{digits}g}"


def decade_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """Ticks for an axis that holds log10 of the values: at whole decades where there are at
    least two, else at a few evenly spaced places, labelled with the values themselves."""
    decades = list(range(math.ceil(lo), math.floor(hi) + 1))
    if len(decades) >= 2:
        step = max(1, len(decades) // 6)
        return [(float(d), f"{10.0**d:g}") for d in decades[::step]]
    n = 4
    return [(lo + (hi - lo) * i / n, f"{10 ** (lo + (hi - lo) * i / n):.2g}") for i in range(n + 1)]
