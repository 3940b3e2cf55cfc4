"""The scoreboard of a race (compare mode): one row per lane, in the lane's colour, so that it is
also the legend of the map and the loss curve. Each row says the lane's settings, its loss now,
the step at which it first came within the race's tolerance, and whether (and when) it diverged.

Clicking a row selects that lane (the settings panel then edits it); so do the keys 1 to 6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Static


@dataclass(frozen=True)
class Row:
    """What the scoreboard shows of one lane."""

    label: str
    colour: tuple[int, int, int]
    final_loss: float
    reached_at: int | None
    diverged_at: int | None


def _loss(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    return f"{v:.4g}" if 1e-3 <= abs(v) < 1e5 or v == 0 else f"{v:.3e}"


LOSS_W, REACHED_W, DIVERGED_W = 11, 10, 10  # column widths after the label


class Scoreboard(Static):
    """The lanes of a race, the selected one marked with ▶."""

    class Selected(Message):
        """A lane's row was clicked: `lane` is its index."""

        def __init__(self, lane: int) -> None:
            super().__init__()
            self.lane = lane

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id, classes=classes)
        self.rows: list[Row] = []
        self.selected = 0
        self._shown: tuple[object, ...] | None = None

    def show(self, rows: list[Row], selected: int, tolerance: str = "") -> None:
        key = (tuple(rows), selected, tolerance, self.size.width)
        if key == self._shown:
            return
        self._shown = key
        self.rows, self.selected = rows, selected
        self.border_title = f"race: {len(rows)} lanes" + (f" · {tolerance}" if tolerance else "")
        self.border_subtitle = "click a row or press 1-6 to select · a add · x remove"
        width = max(self.content_region.width, 40)
        label_w = max(8, width - 5 - LOSS_W - REACHED_W - DIVERGED_W)
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append("     " + "lane".ljust(label_w), Style(dim=True, bold=True))
        head.append("loss".rjust(LOSS_W) + "reached".rjust(REACHED_W) + "diverged".rjust(DIVERGED_W), Style(dim=True, bold=True))
        lines = [head]
        for i, row in enumerate(rows):
            mine = i == selected
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append("▶" if mine else " ", Style(bold=True))
            line.append("━━", Style(color=_hex(row.colour), bold=True))
            line.append(f"{i + 1} ", Style(bold=mine))
            label = row.label if len(row.label) <= label_w - 1 else row.label[: label_w - 2] + "…"
            line.append(label.ljust(label_w), Style(color=_hex(row.colour), bold=mine))
            line.append(_loss(row.final_loss).rjust(LOSS_W), Style(bold=mine))
            line.append((f"{row.reached_at}" if row.reached_at is not None else "—").rjust(REACHED_W))
            if row.diverged_at is not None:
                line.append(f"at {row.diverged_at}".rjust(DIVERGED_W), Style(color="red", bold=True))
            else:
                line.append("no".rjust(DIVERGED_W))
            lines.append(line)
        table = Text("\n", no_wrap=True, overflow="ellipsis").join(lines)
        table.no_wrap, table.overflow = True, "ellipsis"
        self.update(table)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        lane = offset.y - 1  # the first line is the header
        if 0 <= lane < len(self.rows):
            event.stop()
            self.post_message(self.Selected(lane))


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)
