"""The scoreboard of a race (compare mode): one row per lane, in the lane's colour, so that it is
also the legend of the map and the loss curve. Each row says the lane's settings, its loss now,
the step at which it first came within the race's tolerance, and whether (and when) it diverged;
after a fair comparison (T), while the lanes keep its settings, each lane's median final loss over
the seeds with its 95% interval, and the verdict under the table.

Clicking a row selects that lane (the settings panel then edits it); so do the keys 1 to 6.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Static

from playground.formatting import hex_colour, num


@dataclass(frozen=True)
class Row:
    """What the scoreboard shows of one lane."""

    label: str
    colour: tuple[int, int, int]
    final_loss: float
    reached_at: int | None
    diverged_at: int | None
    over_seeds: str = ""  # after a fair comparison (T): "median [low, high]" of its seeds' final losses


COLUMNS = (11, 10, 10)  # the widths of loss, reached and diverged, after the label
NARROW = (10, 8, 9)  # the same where the label would get less than LABEL_MIN
LABEL_MIN = 30
SHORTER = (("momentum=", "mom="), ("nesterov=true", "nesterov"), ("weight_decay=", "wd="), ("schedule=", "sched="))


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
        self._tolerance = ""
        self._verdict = ""
        self._lines = 0  # rows drawn, with the header: the widget's height follows them

    def show(self, rows: list[Row], selected: int, tolerance: str = "", verdict: str = "") -> None:
        """`verdict`: a fair comparison's, when the rows carry its medians (over_seeds)."""
        key = (tuple(rows), selected, tolerance, verdict, self.size.width)
        if key == self._shown:
            return
        self._shown = key
        self._tolerance, self._verdict = tolerance, verdict
        self.rows, self.selected = rows, selected
        self.border_title = f"race: {len(rows)} lanes" + (f" · {tolerance}" if tolerance else "")
        self.border_subtitle = verdict or "click a row or press 1-6 to select · a add · x remove"
        width = max(self.content_region.width, 20)
        seeds_w = max((len(row.over_seeds) for row in rows), default=0)
        seeds_w = seeds_w + 2 if seeds_w and width - 5 - seeds_w - sum(NARROW) >= 18 else 0
        seeds_w = max(seeds_w, len("seeds: median [95%]") + 2) if seeds_w else 0
        loss_w, reached_w, diverged_w = COLUMNS if width - 5 - seeds_w - sum(COLUMNS) >= LABEL_MIN else NARROW
        if width - 5 - seeds_w - loss_w - reached_w - diverged_w < 18:  # too narrow to tell lanes apart: loss only
            reached_w = diverged_w = 0
        label_w = max(8, width - 5 - seeds_w - loss_w - reached_w - diverged_w)
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append("     " + "lane".ljust(label_w), Style(dim=True, bold=True))
        head.append(("seeds: median [95%]".rjust(seeds_w) if seeds_w else "") + "loss".rjust(loss_w) + ("reached".rjust(reached_w) + "diverged".rjust(diverged_w) if reached_w else ""), Style(dim=True, bold=True))
        lines = [head]
        for i, row in enumerate(rows):
            mine = i == selected
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append("▶" if mine else " ", Style(bold=True))
            line.append("━━", Style(color=hex_colour(row.colour), bold=True))
            line.append(f"{i + 1} ", Style(bold=mine))
            line.append(fit_label(row.label, label_w - 1).ljust(label_w), Style(color=hex_colour(row.colour), bold=mine))
            if seeds_w:
                line.append(row.over_seeds.rjust(seeds_w), Style(bold=mine))
            line.append(num(row.final_loss).rjust(loss_w), Style(bold=mine))
            if not reached_w:
                if row.diverged_at is not None:
                    line.append(" ✗", Style(color="red", bold=True))
                lines.append(line)
                continue
            line.append((f"{row.reached_at}" if row.reached_at is not None else "-").rjust(reached_w))
            if row.diverged_at is not None:
                line.append(f"at {row.diverged_at}".rjust(diverged_w), Style(color="red", bold=True))
            else:
                line.append("no".rjust(diverged_w))
            lines.append(line)
        table = Text("\n", no_wrap=True, overflow="ellipsis").join(lines)
        table.no_wrap, table.overflow = True, "ellipsis"
        # shown at every frame of a race: the whole screen is laid out again only for a new row
        self.update(table, layout=len(lines) != self._lines)
        self._lines = len(lines)

    def on_resize(self, event: events.Resize) -> None:
        # the columns fit the width: lay them out again (the first show may come before layout)
        if self.rows:
            self.show(self.rows, self.selected, self._tolerance, self._verdict)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        lane = offset.y - 1  # the first line is the header
        if 0 <= lane < len(self.rows):
            event.stop()
            self.post_message(self.Selected(lane))


def fit_label(label: str, width: int) -> str:
    """A lane's settings in `width` characters: long names shortened first, then the middle cut
    (the optimizer and its rate kept, and as many of the last settings as fit), so that two
    lanes that differ only at the end still read apart."""
    for long, short in SHORTER:
        if len(label) > width:
            label = label.replace(long, short)
    if len(label) <= width:
        return label
    for last_resort in ({}, {"nesterov": "nest."}):
        words = [last_resort.get(word, word) for word in label.split(" ")]
        head, tail = " ".join(words[:2]), ""
        for word in reversed(words[2:]):
            wider = f"{word} {tail}".strip()
            if len(head) + 1 + len(wider) > width:
                break
            tail = wider
        if tail and len(head) + 1 + len(tail) <= width:
            return f"{head}…{tail}"
    return label[: width - 1] + "…"

