"""The code behind the run (`v`): the selected lane as a plain torch script, highlighted. `e` to a
name ending in .py writes the same text."""

from __future__ import annotations

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


class CodeScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "close", priority=True),
        Binding("v", "dismiss", "close", show=False, priority=True),
    ]

    def __init__(self, code: str, lane: str = "") -> None:
        super().__init__()
        self.code = code
        self.lane = lane

    def action_close(self) -> None:  # q, over the playground, closes this screen (the app's quit)
        self.dismiss()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="code-body") as body:
            body.border_title = f"{self.lane}the code behind the run, in plain torch"
            body.border_subtitle = f"escape closes it; then e with a name ending in .py {'downloads' if self.app.is_web else 'writes'} it"
            yield Static(Syntax(self.code, "python", theme="monokai", line_numbers=True, word_wrap=True), id="code")
