"""Text from files (a scenario's name, a lesson's title, a file's name) as the app shows it:
never read as markup. Textual reads a str given to a border title, a Label, a dropdown's option
or the command palette as markup, where `[/]` raises (and ended the app) and `[link=...]` makes a
link. Every such text goes through one of these two."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.markup import escape


def plain(text: str) -> Content:
    """`text` exactly as written: for a border title, a Label, a Static, a dropdown's option."""
    return Content(text)


def escaped(text: str) -> str:
    """`text` for a place that takes markup only (the command palette's hits and help)."""
    return escape(text)


def border_room(widget: Any) -> int:
    """The characters a border's title or legend has on `widget`: its width less the corners and
    the dashes beside the text; unbounded before the first layout (the text is fitted again then)."""
    width = widget.outer_size.width
    return width - 6 if width else 1000
