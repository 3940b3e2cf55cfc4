"""Where a dataset has more than two input columns there is no decision map to draw: the map's
place shows the confusion matrix instead, one row per true class and one column per predicted
class, each cell shaded by its count (the largest cell brightest), and each class's accuracy (its diagonal cell
over its row) at the row's end."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widgets import Static

from playground.formatting import first_fitting, hex_colour
from playground.widgets.plain_text import border_room

SHADE_FROM, SHADE_TO = (30, 30, 46), (0, 150, 136)  # an empty cell, the largest cell
NAME_MAX = 14  # a class's name is cut to this on the left


class ConfusionMatrix(Static):
    """counts[true, predicted] on a split; `show` redraws only when they change."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id, classes=classes)
        self._shown: tuple[object, ...] | None = None

    def show(self, counts: np.ndarray, names: Sequence[str], split: str) -> None:
        key = (counts.tobytes(), tuple(names), split, self.outer_size.width)  # the width: which legend fits
        if key == self._shown:
            return
        self._shown = key
        total = int(counts.sum())
        right = int(np.trace(counts))
        share = f"{right / max(total, 1):.1%}"
        said = [f"{split} set: {right} of {total} right ({share}) · rows: true class · columns: predicted", f"{split}: {right}/{total} right ({share}) · rows true, columns predicted", f"{split}: {right}/{total} right ({share})"]
        self.border_subtitle = first_fitting(said, border_room(self))
        self.update(render(counts, names))


def render(counts: np.ndarray, names: Sequence[str]) -> Text:
    classes = len(counts)
    label = [str(c) for c in range(classes)]
    if len(names) == classes and [str(n) for n in names] != label:  # the column's number before the class's name
        label = [f"{c} {str(n)[:NAME_MAX]}" for c, n in enumerate(names)]
    name_w = max(len(n) for n in [*label, "true"])
    cell_w = max(4, len(str(int(counts.max(initial=0)))) + 2)
    top = max(int(counts.max(initial=0)), 1)
    dim = Style(dim=True, bold=True)
    out = Text(no_wrap=True, overflow="ellipsis")
    out.append(" " * (name_w + 1) + "predicted\n", dim)
    out.append("true".ljust(name_w + 1), dim)
    for c in range(classes):
        out.append(str(c).rjust(cell_w - 1) + " ", dim)
    out.append(" accuracy\n", dim)
    for t in range(classes):
        row = counts[t]
        size = int(row.sum())
        out.append(f"{label[t]:<{name_w}} ", Style(bold=True))
        for p in range(classes):
            share = row[p] / top
            colour = _mix(share)
            ink = (255, 255, 255) if share >= 0.35 or row[p] == 0 else (200, 200, 200)
            text = str(int(row[p])).rjust(cell_w - 1) + " "
            out.append(text, Style(bgcolor=hex_colour(colour), color=hex_colour(ink), bold=t == p and row[p] > 0, dim=row[p] == 0))
        accuracy = f"{row[t] / size:>9.0%}" if size else "        –"
        out.append(accuracy + f" of {size}\n")
    out.rstrip()
    return out


def _mix(share: float) -> tuple[int, int, int]:
    return tuple(round(a + (b - a) * share) for a, b in zip(SHADE_FROM, SHADE_TO))  # type: ignore[return-value]

