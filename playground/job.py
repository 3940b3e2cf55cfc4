"""What a session job is (a sweep, a fair comparison): work in a thread of its own that tells its
listeners when it changes, says what it was told that is not a result (`note`) and why it failed
(`error`), and stops between two chunks of steps when cancelled. No UI here."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Job:
    def __init__(self) -> None:
        self.error = ""
        self.note = ""  # what the work told that is not a result (a worker killed from outside)
        self.listeners: list[Callable[[], None]] = []  # told, from any thread, of each change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _launch(self, target: Callable[..., None], *args: object, name: str) -> None:
        """Run `target(*args, stop)` in a thread of its own, with a new stop event."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=target, args=(*args, self._stop), name=name, daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop between two chunks of steps (what is done so far stays)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Until the job's thread has ended (headless use); whether it has."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _told(self, text: str) -> None:
        self.note = text
        self._changed()

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener()
