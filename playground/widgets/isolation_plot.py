"""A fair comparison's isolation plot: each lane's trials as final loss against lr (both on log
scales where they can be), in the lane's colour, its chosen trial a ★, the diverged trials an x
along the top. Drawn when it renders, at its real height, as the sweep's plot is."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from textual.app import RenderResult
from textual_plotext import PlotextPlot

from playground.widgets.sweep_plot import CHROME_ROWS, decade_ticks, row_ticks

if TYPE_CHECKING:
    from playground.tuning import Lane

Colour = tuple[int, int, int]


class IsolationPlot(PlotextPlot):
    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.lanes: list[tuple[Lane, Colour]] = []
        self.plt.xlabel("lr (log scale)")

    def show(self, lanes: list[tuple[Lane, Colour]]) -> None:
        self.lanes = list(lanes)
        self.refresh()

    def render(self) -> RenderResult:
        draw(self.plt, max(self.size.height - CHROME_ROWS, 1), self.lanes)
        return super().render()


def draw(plt: Any, rows: int, lanes: list[tuple[Lane, Colour]]) -> None:
    """Draw every lane's trials on a plotext figure whose data area is `rows` tall."""
    plt.clear_data()
    trials = [(t, colour, i == lane.best) for lane, colour in lanes for i, t in enumerate(lane.trials)]
    if not trials:
        return
    xs = [math.log10(t.lr) for t, _, _ in trials]
    lo, hi = min(xs), max(xs)
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    pad = 0.04 * (hi - lo)
    plt.xlim(lo - pad, hi + pad)
    ticks = decade_ticks(lo, hi)
    plt.xticks([t for t, _ in ticks], [label for _, label in ticks])
    good = [(t, c, chosen) for t, c, chosen in trials if not t.outcome.diverged and math.isfinite(t.outcome.final_loss)]
    use_log = bool(good) and all(t.outcome.final_loss > 0 for t, _, _ in good)
    plt.ylabel("final loss" + (" (log scale)" if use_log else ""))
    top = 1.0
    if good:
        ys = [math.log10(t.outcome.final_loss) if use_log else t.outcome.final_loss for t, _, _ in good]
        ymin, ymax = min(ys), max(ys)
        if ymax - ymin < 1e-12:
            ymin, ymax = ymin - 1, ymax + 1
        bottom, top = ymin - 0.05 * (ymax - ymin), ymax + 0.1 * (ymax - ymin)
        plt.ylim(bottom, top)
        drawn = sorted(zip(good, ys), key=lambda g: g[0][2])  # the chosen ones last: on top
        for (t, colour, chosen), y in drawn:
            plt.scatter([math.log10(t.lr)], [y], color=colour, marker="★" if chosen else "•")
        values, labels = row_ticks(bottom, top, rows, use_log)
        plt.yticks(values, labels)
    for t, colour, _ in trials:
        if t.outcome.diverged or not math.isfinite(t.outcome.final_loss):
            plt.scatter([math.log10(t.lr)], [top], color=colour, marker="x")
