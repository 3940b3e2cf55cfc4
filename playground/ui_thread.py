"""A change told from any thread (the loading thread, the auto-run loop, a job's thread), shown on
the UI thread: once the telling is over, and once for a burst of tellings. The faces' one way to
hear the session and its jobs (app.py, the sweep screen)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable


def teller(show: Callable[[], None]) -> Callable[[], None]:
    """A listener to give the session (or a job): each call has `show` run on the UI thread
    (the one calling this, in its running event loop) soon after, one run for all the calls
    made before it starts; none once the loop is closed."""
    loop, ui_thread = asyncio.get_running_loop(), threading.get_ident()
    pending = threading.Event()

    def shown() -> None:
        pending.clear()
        show()

    def changed() -> None:
        if pending.is_set() or loop.is_closed():
            return
        pending.set()
        if threading.get_ident() == ui_thread:
            loop.call_soon(shown)
        else:
            loop.call_soon_threadsafe(shown)

    return changed
