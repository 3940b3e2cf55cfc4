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

import numpy as np
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from playground.widgets.map_plot import HEAT, MapPlot, Mark
from playground.widgets.plot_kit import inside_frame, rows_of

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


# ------------------------------------------------------------------ the phase diagram

MISSING = (70, 70, 70)  # a cell not yet run
DIVERGED = (150, 30, 40)  # a cell that diverged
EDGE = (255, 255, 255)  # heavy ball's exact edge on a quadratic
NOW_COLOUR = (255, 82, 82)
BEST_COLOUR = (255, 234, 0)


class PhaseMap(MapPlot):
    """The sweep's second axis as a heat map: lr across (log scale), momentum up, each cell the
    final loss of its run (log scale), red where it diverged, grey until it has run."""

    def x_ticks(self, cols: int) -> tuple[list[float], list[str]]:
        lo, hi = self.xlim
        ticks = decade_ticks(lo, hi)
        values, labels = [t for t, _ in ticks], [label for _, label in ticks]
        used: set[int] = set()
        keep = []
        for value, label, col in zip(values, labels, rows_of(values, lo, hi, cols)):
            if all(abs(col - other) > len(label) for other in used):
                used.add(col)
                keep.append((value, label))
        return inside_frame([v for v, _ in keep], [label for _, label in keep], lo, hi, cols)

    def show_phase(self, rates: list[float], moms: list[float], points: list[SweepPoint], lines: list[Any], marks: list[Mark]) -> None:
        """Colour the cells from `points` (any order, some still missing) and draw `lines` (in
        log10 lr, momentum) and `marks` over them."""
        lo, hi = _log_range(rates)
        m_lo, m_hi = _range(moms)
        if (self.xlim, self.ylim) != ((lo, hi), (m_lo, m_hi)):
            self.configure((lo, hi), (m_lo, m_hi), None, [*HEAT, MISSING, DIVERGED])
        self._background = phase_background(rates, moms, points)
        self.show(lines, marks, version=(len(points), tuple(rates), tuple(moms)))


def _log_range(rates: list[float]) -> tuple[float, float]:
    lo, hi = math.log10(rates[0]), math.log10(rates[-1])
    if hi - lo < 1e-9:
        return lo - 0.5, hi + 0.5
    pad = 0.5 * (hi - lo) / max(len(rates) - 1, 1)  # half a cell beyond the first and last rate
    return lo - pad, hi + pad


def _range(moms: list[float]) -> tuple[float, float]:
    if len(moms) < 2 or moms[-1] - moms[0] < 1e-12:
        return moms[0] - 0.05, moms[0] + 0.05
    pad = 0.5 * (moms[-1] - moms[0]) / (len(moms) - 1)
    return moms[0] - pad, moms[-1] + pad


def phase_background(rates: list[float], moms: list[float], points: list[SweepPoint]) -> Any:
    """(xs in log10 lr, ys in momentum) -> the palette index of the nearest cell: HEAT by final
    loss on a log scale, then MISSING, then DIVERGED."""
    levels = len(HEAT)
    index = np.full((len(rates), len(moms)), levels, dtype=int)  # missing
    at = {(p.lr, p.momentum): p for p in points}
    good = [p.final_loss for p in points if not p.diverged and math.isfinite(p.final_loss) and p.final_loss > 0]
    lo, hi = (math.log10(min(good)), math.log10(max(good))) if good else (0.0, 1.0)
    for i, lr in enumerate(rates):
        for j, m in enumerate(moms):
            p = at.get((lr, m))
            if p is None:
                continue
            if p.diverged or not math.isfinite(p.final_loss):
                index[i, j] = levels + 1
            else:
                share = 0.0 if p.final_loss <= 0 or hi <= lo else (math.log10(p.final_loss) - lo) / (hi - lo)
                index[i, j] = min(levels - 1, max(0, round(share * (levels - 1))))
    logs = np.log10(np.asarray(rates, dtype=float))
    moms_arr = np.asarray(moms, dtype=float)

    def background(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        i = np.abs(np.asarray(xs)[:, None] - logs[None, :]).argmin(axis=1)
        j = np.abs(np.asarray(ys)[:, None] - moms_arr[None, :]).argmin(axis=1)
        return index[i[None, :], j[:, None]]

    return background


def heavy_ball_edge(largest: float, moms: list[float]) -> tuple[list[float], list[float]]:
    """Heavy ball's edge on a quadratic whose largest Hessian eigenvalue is `largest`: it converges
    for 0 < lr·λ < 2(1 + m) (Goh, "Why Momentum Really Works", 2017), so the edge is
    lr = 2(1 + m)/largest; as (log10 lr, m) points across the momentum axis."""
    m_lo, m_hi = _range(moms)
    ms = np.linspace(m_lo, m_hi, 50)
    return [math.log10(2 * (1 + m) / largest) for m in ms], ms.tolist()
