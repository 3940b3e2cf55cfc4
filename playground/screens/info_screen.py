"""The explanation screen (`i`): how the selected optimizer and loss work, and the values in use."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from playground import explanations
from playground.screens.page import Page
from playground.settings import RunConfig


def explain(kind: str, config: RunConfig) -> str:
    """The optimizer and the loss in use, with the values in use (explanations.py has the texts)."""
    return explanations.explain(kind, config.optimizer, config.hyper, config.loss) + "\n\nPress `escape` to close."


class InfoScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "close", priority=True),
        Binding("i", "dismiss", "close", show=False, priority=True),
    ]

    def __init__(self, kind: str, config: RunConfig) -> None:
        super().__init__()
        self.text = explain(kind, config)

    def action_close(self) -> None:  # q, over the playground, closes this screen (the app's quit)
        self.dismiss()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="info-body"):
            yield Page(self.text)
