"""The save dialog: a path (with a sensible default), written atomically, never replacing a file
without asking first. Used for exporting a run (`e`) and for saving the settings as a scenario
file (`ctrl+s`).

In a browser (`playground serve`) the file goes to the person, not the server: the name's last
part is the download's name, and the text is delivered with Textual's `deliver_text`.

A write that fails (a missing or read-only folder) says why and leaves the dialog open, and the
earlier file, if any, as it was (`files.write_atomic` writes a temporary file, then renames it).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from playground.errors import PlaygroundError
from playground.files import check_target, write_atomic


MIME_TYPES = {".json": "application/json", ".csv": "text/csv", ".toml": "application/toml", ".py": "text/x-python"}


class SaveScreen(ModalScreen[Path | None]):
    """Ask for a path and write `make_text(path)` there; dismissed with the path written, or None."""

    BINDINGS = [Binding("escape", "cancel", "cancel", priority=True)]

    def __init__(self, title: str, default: str, make_text: Callable[[Path], str], hint: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.make_text = make_text
        self.hint = hint
        self._confirmed: Path | None = None  # the existing file the person agreed to replace

    def compose(self) -> ComposeResult:
        with Vertical(id="save-body"):
            yield Label(self.title_text, id="save-title")
            yield Label("download as" if self.app.is_web else "file", classes="field-label")
            yield Input(self.default, id="save-path", compact=True)
            yield Static(self.hint, id="save-hint", classes="note")
            yield Static("", id="save-message")
            with Horizontal(id="save-buttons"):
                yield Button("save", id="save-ok", variant="primary", compact=True)
                yield Button("cancel", id="save-cancel", compact=True)

    def on_mount(self) -> None:
        box = self.query_one("#save-path", Input)
        box.focus()
        box.cursor_position = len(box.value)

    @property
    def path(self) -> Path:
        return Path(self.query_one("#save-path", Input).value.strip()).expanduser()

    def _say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#save-message", Static)
        message.set_class(error, "-error")
        message.update(Text(text))  # it may quote a path: plain text, never markup

    @on(Input.Changed, "#save-path")
    def _path_changed(self, event: Input.Changed) -> None:
        if self._confirmed is not None and self.path != self._confirmed:
            self._confirmed = None
            self.query_one("#save-ok", Button).label = "save"
            self._say("")

    @on(Input.Submitted, "#save-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.save()

    @on(Button.Pressed, "#save-ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        self.save()

    @on(Button.Pressed, "#save-cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    action_close = action_cancel  # q, when the name field does not have it, closes the dialog

    def save(self) -> None:
        if not self.query_one("#save-path", Input).value.strip():
            self._say("type a file name", error=True)
            return
        if self.app.is_web:
            self.download()
            return
        path = self.path
        exists = path.exists() and not path.is_dir()
        if exists and path != self._confirmed:
            self._confirmed = path
            self.query_one("#save-ok", Button).label = "replace"
            self._say(f"{path} exists. Press enter again (or replace) to replace it; escape keeps it.", error=True)
            return
        try:
            check_target(path, force=True)  # a folder is said to be one, before any talk of formats
            text = self.make_text(path)
            write_atomic(path, text, force=exists)
        except PlaygroundError as exc:
            self._say(str(exc).replace("; use --force to replace it", ""), error=True)
            return
        except OSError as exc:  # anything the atomic write does not word itself
            self._say(f"{path}: {exc.strerror or exc}", error=True)
            return
        self.dismiss(path)

    def download(self) -> None:
        """Deliver the text to the browser as a download named after the name typed."""
        name = Path(self.query_one("#save-path", Input).value.strip()).name
        if not name:
            self._say("type a file name", error=True)
            return
        try:
            text = self.make_text(Path(name))
        except PlaygroundError as exc:
            self._say(str(exc), error=True)
            return
        self.app.deliver_text(io.StringIO(text), save_filename=name, mime_type=MIME_TYPES.get(Path(name).suffix.lower(), "text/plain"))
        self.dismiss(Path(name))
