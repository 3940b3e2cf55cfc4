"""The main view's landscape (`m`): which picture the map area shows, the plane last computed for
the selected lane, and whether it still describes the run. No UI here: the session switches it
and computes its plane in a thread of its own when one is wanted (claim); the main screen draws it.

`m` goes from the map to the landscape on the trajectory's principal directions, then on random
filter-normalised ones, then back to the map. The plane is computed when the view is shown and
the run is paused (never every frame): after the run moved on, it is computed again at the next
pause; while it runs the last plane stays, said to be from its step."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from playground.errors import ConfigError

if TYPE_CHECKING:  # torch is imported by `compute` only: the first frame does not wait for it
    from playground.engine import Run
    from playground.landscape import Landscape

MODES = ("map", "pca", "random")


class LandscapeView:
    def __init__(self) -> None:
        self.mode = "map"
        self.found: Landscape | None = None
        self.progress: float | None = None  # while a plane is being computed: how far, 0 to 1
        self.error = ""  # why the last plane could not be made (pca before the run has moved)
        self._key: object = None  # what `found` was computed from
        self._tried: object = None  # what the last computation (made or failed) was for
        self._lock = threading.Lock()  # claim: one computation at a time, whichever thread asks

    @property
    def shown(self) -> bool:
        return self.mode != "map"

    def next_mode(self) -> str:
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        self.error = ""
        return self.mode

    def reset(self) -> None:
        """A new scenario: back to the map, no plane."""
        self.mode, self.found, self.error, self._key, self._tried = "map", None, "", None, None

    @staticmethod
    def _key_of(run: Run, mode: str) -> object:
        h = run.history  # a reset makes a new history; a setting a new config
        return (id(run), id(h), len(h.loss), run.config, mode)

    def current(self, run: Run | None) -> bool:
        """The plane shown is the selected lane's, at its step, in the chosen directions."""
        return run is not None and self.found is not None and self._key == self._key_of(run, self.mode)

    def wanted(self, run: Run | None, running: bool) -> bool:
        """A plane should be computed now: shown, paused, out of date and not already tried."""
        if run is None or not self.shown or running or self.progress is not None:
            return False
        key = self._key_of(run, self.mode)
        return key != self._key and key != self._tried

    def claim(self, run: Run | None, running: bool) -> bool:
        """Whether a plane should be computed now; if so it counts as being computed from here
        on, so that no second thread starts it (the session computes it in a thread of its own)."""
        with self._lock:
            if not self.wanted(run, running):
                return False
            self.progress = 0.0
            return True

    def compute(self, run: Run, cancelled: Callable[[], bool], changed: Callable[[], Any]) -> None:
        """Compute the plane for `run` (a worker thread); `changed` is told of progress and the end."""
        from playground.landscape import GRID, SPAN, landscape

        mode = self.mode
        key = self._key_of(run, mode)
        self._tried, self.progress = key, 0.0
        changed()
        found = None

        def progress(done: float) -> None:
            self.progress = done
            changed()

        try:
            found = landscape(run, mode, GRID, None if mode == "pca" else SPAN, progress, lambda: cancelled() or self.mode != mode)
        except ConfigError as exc:
            self.error = exc.message
        finally:
            self.progress = None
        if found is not None and self.mode == mode:
            self.found, self._key, self.error = found, key, ""
        elif self.mode != mode or cancelled():
            self._tried = None  # cancelled: not tried
        changed()
