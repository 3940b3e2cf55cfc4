"""The only module that reaches into plotext's private details, each for speed, with the public
way beside it.

The plots want plotext's picture as cells (a character and its colour each) and where the plot
area lies. textual-plotext's public `PlotextPlot.render()` sizes the figure to the widget and
gives the picture as text (plotext's ANSI, read by Rich), which `_from_text` reads back into
cells; plotext's private matrix holds the same cells already, and building it is all of
`build()` but the text, which costs a few milliseconds a frame at 120x40. The private way is
taken only on the plotext releases it was read from (`WRITTEN_FOR`, checked at run time), and
never with PLAYGROUND_PLAIN_PLOTEXT=1 in the environment: then everything goes through
`render()`, and the cells are the same (tests/app/test_plotext_internals.py checks both ways).
"""

from __future__ import annotations

import os
from typing import Any

WRITTEN_FOR = ("5.3.",)  # plotext releases whose internals this was read from

Cells = tuple[list[list[str]], list[list[Any]], tuple[int, int, int, int, int, int]]


def _version() -> str:
    """plotext's own `__version__` (its package metadata would cost importlib.metadata and zipfile,
    25 ms of the first frame)."""
    import plotext

    return str(getattr(plotext, "__version__", ""))


_VERSION = _version()


def active() -> bool:
    """Whether the private way applies: a known plotext, PLAYGROUND_PLAIN_PLOTEXT not set to 1."""
    if os.environ.get("PLAYGROUND_PLAIN_PLOTEXT", "") == "1":
        return False
    return _VERSION.startswith(WRITTEN_FOR)


def set_size(plt: Any, width: int, height: int) -> None:
    """The figure's size, after the public `plotsize`: textual-plotext's widget also sets it
    privately, without which a plot larger than the terminal keeps the terminal's size
    (textual-plotext issue 5); its `render()` does that itself on the public way."""
    plt.plotsize(width, height)
    if active() and hasattr(plt, "_set_size"):
        plt._set_size(width, height)


def cells(widget: Any, width: int, height: int) -> Cells | None:
    """The picture of a textual-plotext widget's figure, `width` x `height` (its size), as rows
    top first: the characters, their foreground colours (an ANSI number, an (r, g, b) or
    "default"), and the plot area inside the frame as (width, height, left, right, top,
    bottom); None where plotext drew no frame. The figure's theme is plotext's "clear"."""
    if active():
        try:
            return _from_matrix(widget.plt)
        except AttributeError:  # not the plotext this was read from, after all
            pass
    from textual_plotext import PlotextPlot

    widget.theme = "clear"  # render() applies the widget's theme: the one the figure was drawn for
    return _from_text(PlotextPlot.render(widget), width, height)


def _from_matrix(plt: Any) -> Cells | None:
    plt._set_sizes()
    plt._build_matrix()
    m = plt.monitor.matrix
    cols, rows = m.Cols_canvas, m.Rows_canvas
    if not rows or not cols:
        return None
    return m.marker[::-1], m.fullground[::-1], (m.cols, m.rows, cols.start, cols.stop, m.rows - rows.stop, m.rows - rows.start)


def _from_text(text: Any, width: int, height: int) -> Cells | None:
    """Cells read back from the figure as Rich text: each character with its colour."""
    markers: list[list[str]] = []
    colours: list[list[Any]] = []
    for line in text.split("\n", allow_blank=True)[:height]:
        row = list(line.plain)
        fg: list[Any] = ["default"] * len(row)
        for span in line.spans:
            colour = _colour(span.style)
            if colour != "default":
                fg[span.start : span.end] = [colour] * (min(span.end, len(row)) - span.start)
        markers.append(row)
        colours.append(fg)
    while len(markers) < height:
        markers.append([])
        colours.append([])
    for y, (row, fg) in enumerate(zip(markers, colours)):
        markers[y], colours[y] = (row + [" "] * (width - len(row)))[:width], (fg + ["default"] * (width - len(fg)))[:width]
    top = next((y for y, row in enumerate(markers) if "┌" in row), None)
    bottom = next((y for y, row in enumerate(markers) if "└" in row), None)
    if top is None or bottom is None or bottom <= top + 1:
        return None
    left = markers[top].index("┌") + 1
    right = "".join(markers[top]).rfind("┐")
    if right <= left:
        return None
    return markers, colours, (width, height, left, right, top + 1, bottom)


def _colour(style: Any) -> Any:
    """plotext's name for the foreground colour of a Rich style: the ANSI number it wrote, or
    (r, g, b), or "default"."""
    color = getattr(style, "color", None)
    if color is None or color.is_default:
        return "default"
    if color.number is not None:
        return color.number
    if color.triplet is not None:
        return tuple(color.triplet)
    return "default"
