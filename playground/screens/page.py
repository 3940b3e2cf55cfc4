"""A page of text written in Markdown, for the help and explanation screens."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import Heading, Markdown
from textual.widgets import Static


class _Heading(Heading):
    """Headings at the left, as the rest of the app has them (Rich centres the first level)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        text = self.text.copy()
        text.justify = "left"
        yield text


class _Markdown(Markdown):
    elements: ClassVar = {**Markdown.elements, "heading_open": _Heading}


class Page(Static):
    """`source` drawn by Rich as one widget. Textual's Markdown widget builds a widget for each
    block and table cell: opening the explanation took 0.2 to 0.4 s, and under a burst of keys
    the app fell seconds behind."""

    def __init__(self, source: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(_Markdown(source, code_theme="ansi_dark", inline_code_theme="ansi_dark"), id=id)
        self.source = source
