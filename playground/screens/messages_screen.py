"""The message history (`M`): everything the message line said, whole, with the step it was said
at, the latest last; and any internal error with where its traceback is. The message line cuts a
long message at the terminal's edge: here it wraps."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from playground.keys import with_keys
from playground.widgets.plain_text import plain


class MessagesScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "close", priority=True),
        Binding("M", "dismiss", "close", show=False, priority=True),
    ]

    def __init__(self, said: list[tuple[int, str]], faults: list[str]) -> None:
        super().__init__()
        lines = [f"at step {step} · {with_keys(text)}" for step, text in said] or ["nothing said yet"]
        lines += [f"internal error: {fault}" for fault in faults]
        self.text = "\n".join(lines)

    def action_close(self) -> None:  # q, over the playground, closes this screen (the app's quit)
        self.dismiss()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="messages-body"):
            yield Label("Messages, the latest last · escape closes", classes="title")
            yield Static(plain(self.text), id="messages-text")

    def on_mount(self) -> None:
        self.query_one("#messages-body", VerticalScroll).scroll_end(animate=False)
