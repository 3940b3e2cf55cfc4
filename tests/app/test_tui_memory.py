"""Screens opened and closed many times leave the app's memory where it was: the help screen
grew it 0.6-0.8 MB an opening (Textual's StylesCache.get_inner_outer cached each closed widget,
textual_fixes._styles_cache_keeps_no_widget), the code and the palette about 0.2 MB."""

from __future__ import annotations

import gc

import pytest
from tui_helpers import open_app, press, wait_until

from playground import textual_fixes


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not textual_fixes.active(), reason="the fix reaches into Textual 8.2's StylesCache; with plain Textual its cache keeps up to 1,024 widgets")
async def test_screens_opened_and_closed_300_times_leave_memory_where_it_was() -> None:
    async with open_app("moons") as (app, pilot):

        async def cycle(key: str) -> None:
            await press(pilot, key)
            await wait_until(pilot, lambda: len(app.screen_stack) == 2, what=f"{key} opened a screen")
            await press(pilot, "escape")
            await wait_until(pilot, lambda: len(app.screen_stack) == 1, what="the screen closed")

        for key in ("question_mark", "v", "i", "ctrl+p"):  # each screen's first opening builds what lasts
            for _ in range(5):
                await cycle(key)
        gc.collect()
        before = _rss_mb()
        for _ in range(300):
            await cycle("question_mark")
        for key in ("v", "i", "ctrl+p"):
            for _ in range(50):
                await cycle(key)
        gc.collect()
        grown = _rss_mb() - before
        assert grown < 10, f"450 screens opened and closed grew the app's memory by {grown:.1f} MB"


test_screens_opened_and_closed_300_times_leave_memory_where_it_was.seconds = 600  # type: ignore[attr-defined]
