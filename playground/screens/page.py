"""A page of text written in Markdown, for the help and explanation screens."""

from __future__ import annotations

from textual.widgets import Static

from playground.explanations import Page as Markdown


class Page(Static):
    """`source` drawn by Rich as one widget. Textual's Markdown widget builds a widget for each
    block and table cell: opening the explanation took 0.2 to 0.4 s, and under a burst of keys
    the app fell seconds behind."""

    def __init__(self, source: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(Markdown(source), id=id)
        self.source = source
