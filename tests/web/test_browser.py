"""`playground serve` in a real browser: Debian's Chromium driven by Playwright for Python.

The page loads, its terminal font comes from the server (nothing is fetched from elsewhere), the
playground draws `step 0`, a key pressed in the page reaches it (`step 1`), and the page is saved
as a PNG under artifacts/ (PLAYGROUND_ARTIFACTS to put it elsewhere) for a person to look at.

xterm.js draws on a canvas, so the page's DOM holds no terminal text: what the terminal shows
is read from the frames its websocket receives, which is what xterm.js draws.

Where Chromium or Playwright is missing the test skips, saying what to install; under CI (the
CI variable set) it fails instead, since `scripts/test` installs both there.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from serving import ANSI, START, serving

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("PLAYGROUND_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts"))


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright; scripts/test installs it)"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium; scripts/test installs it where it can)"
    return None


def test_the_page_shows_the_playground_and_a_key_pressed_in_it_takes_a_step(tmp_path: Path) -> None:
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser test cannot run in CI: {missing}")
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with serving(cwd=tmp_path) as served, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            drawn: list[str] = []
            requested: list[str] = []
            page.on("request", lambda request: requested.append(request.url))
            page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: drawn.append(frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame)))

            def shows(text: str, since: int = 0, timeout: float = START) -> float:
                """Let the page run until the terminal has drawn `text`; the seconds it took."""
                t0 = time.monotonic()
                while text not in ANSI.sub("", "".join(drawn[since:])):
                    assert time.monotonic() - t0 < timeout, f"the page did not show {text!r} within {timeout:.0f} s; it drew {ANSI.sub('', ''.join(drawn[since:]))[-300:]!r}"
                    page.wait_for_timeout(50)  # lets Playwright deliver the frames: the wait is for the text
                return time.monotonic() - t0

            page.goto(served.url + "/")
            first_frame = shows("step 0")
            shows("palette")  # the footer's keys, from the start (Textual's web driver starts an app blurred)
            assert page.title() == "playground: rosenbrock"
            assert page.evaluate("document.fonts.check('16px \"Roboto Mono\"')"), "the terminal's font did not load from the server"
            foreign = [url for url in requested if not url.startswith(served.url) and not url.startswith(("ws://127.0.0.1", "data:"))]
            assert foreign == [], f"the page fetched from elsewhere: {foreign}"

            # no click first: the page gives its terminal the focus once the playground has drawn
            assert page.evaluate("document.activeElement.className") == "xterm-helper-textarea"
            since = len(drawn)
            page.keyboard.press("s")
            shows("step 1", since)
            since = len(drawn)
            page.keyboard.press("s")
            shows("step 2", since)

            # the mouse: a click on the map starts the run over from there (the map's middle, near (0, 1))
            box = page.locator(".xterm-screen").bounding_box()
            since = len(drawn)
            page.mouse.click(box["x"] + box["width"] * 0.63, box["y"] + box["height"] * 0.3)
            shows("the run starts over from here", since)
            since = len(drawn)
            page.keyboard.press("s")
            shows("step 1", since)
            page.keyboard.press("s")
            shows("step 2", since)

            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            png = ARTIFACTS / "serve-browser.png"
            page.screenshot(path=str(png))
            assert png.stat().st_size > 20_000  # a drawn page, not an empty one
            (ARTIFACTS / "serve-browser.txt").write_text(f"page opened to step 0 drawn: {first_frame:.2f} s\n")
            assert re.search(r"step 2\b", ANSI.sub("", "".join(drawn)))
            since = len(drawn)  # the palette opens over it, and closes
            page.keyboard.press("Control+p")
            shows("Search for commands", since)
            page.keyboard.press("Escape")
        finally:
            browser.close()
