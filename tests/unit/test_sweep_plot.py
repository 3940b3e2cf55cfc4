"""The sweep's plot reads true: each `o` stands on the row whose label is its value (within half a
row), and the line joining the markers runs through their rows, not a row above or below."""

from __future__ import annotations

import math
import re

import pytest
from textual_plotext.plot import Plot

from playground.sweep import SweepPoint, learning_rates
from playground.widgets.sweep_plot import CHROME_ROWS, draw

BRAILLE = re.compile("[\u2800-\u28ff]")


@pytest.fixture(autouse=True)
def _big_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """plotext keeps a figure inside the terminal it finds (80x24 when there is none): in the app
    the widget sets its size; here the environment says the terminal is big enough."""
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("LINES", "60")


def _picture(width: int, height: int, points: list[SweepPoint], rates: list[float]) -> list[str]:
    plt = Plot()
    plt.title("final loss against learning rate")
    plt.xlabel("lr (log scale)")
    plt.plotsize(width, height)
    draw(plt, height - CHROME_ROWS, rates, points, 1e-3)
    text = re.sub(r"\x1b\[[0-9;]*m", "", plt.build())
    return text.splitlines()


def _area(lines: list[str]) -> tuple[list[str], int]:
    """The data rows (top first) and the column where the frame's left edge is."""
    top = next(i for i, s in enumerate(lines) if "┌" in s)
    bottom = next(i for i, s in enumerate(lines) if "└" in s)
    return lines[top + 1 : bottom], lines[top].index("┌")


def _flat_sweep() -> tuple[list[float], list[SweepPoint]]:
    """The issue's picture: plain SGD on Rosenbrock, most rates ending near 5.8, a few lower."""
    rates = learning_rates(1e-5, 1e-2, 20)
    losses = [5.9, 5.85, 5.8, 5.8, 5.75, 5.7, 5.6, 5.5, 5.2, 4.8, 4.1, 3.0, 1.9, 1.4]
    points = [SweepPoint(lr, loss, False, None, 500) for lr, loss in zip(rates, losses)]
    points += [SweepPoint(lr, math.inf, True, 3, 3) for lr in rates[len(losses) :]]
    return rates, points


@pytest.mark.parametrize("height", [12, 14, 17, 20, 30])
def test_the_data_area_is_the_height_less_the_chrome(height: int) -> None:
    rates, points = _flat_sweep()
    rows, _ = _area(_picture(72, height, points, rates))
    assert len(rows) == height - CHROME_ROWS


@pytest.mark.parametrize(("width", "height"), [(72, 12), (72, 14), (76, 17), (120, 30)])
def test_markers_stand_on_the_row_their_labels_name_and_the_line_runs_through_them(width: int, height: int) -> None:
    rates, points = _flat_sweep()
    rows, left = _area(_picture(width, height, points, rates))
    labelled = {}
    for r, line in enumerate(rows):
        label = line[:left].strip().rstrip("┤").strip()
        if label:
            labelled[r] = float(label)
    assert len(labelled) >= 2
    good = [p for p in points if not p.diverged]
    spacing = (math.log10(max(labelled.values())) - math.log10(min(labelled.values()))) / (max(labelled) - min(labelled))
    marker_rows = [r for r, line in enumerate(rows) for _ in range(line[left:].count("o"))]
    assert len(marker_rows) == len(good)
    # markers come left to right in the order of the rates: read each marker's row by column
    by_column = sorted((line.index("o", c), r) for r, line in enumerate(rows) for c in [m.start() for m in re.finditer("o", line)])
    for (col, r), p in zip(by_column, good):
        # the value of row r, read from the labels (evenly spaced in log10 from the top row down)
        top_row = min(labelled)
        row_value = math.log10(labelled[top_row]) - (r - top_row) * spacing
        # half a row, and a little for the labels' two digits: a row off is 1.0
        assert abs(math.log10(p.final_loss) - row_value) <= 0.7 * spacing, (p, r, labelled)
        # the line reaches each marker from the one before it: along the marker's own row where
        # the two stand on one row (a flat stretch, the picture the issue showed a row apart)
        if col > by_column[0][0]:
            before = by_column[by_column.index((col, r)) - 1][1]
            near = [r] if before == r else [r - 1, r, r + 1]
            reached = [q for q in near if 0 <= q < len(rows) and (BRAILLE.match(rows[q][col - 1]) or rows[q][col - 1] == "│")]
            assert reached, f"the line does not reach the marker at row {r}, column {col}:\n" + "\n".join(rows)
    # every diverged run is an x on the top row
    assert rows[0].count("x") == sum(p.diverged for p in points)
