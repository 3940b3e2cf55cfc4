"""Render the README's screenshots: `python scripts/screenshots.py [NAME...]` writes
screenshots/NAME.svg and, drawn from it by Chromium, screenshots/NAME.png (the README shows the PNGs).

Each view is driven through Textual's pilot with a run built in this process (fixed seeds), so
the pictures are the same every time they are made.

Pictures that show what a terminal shows: Textual's SVG puts each run of cells in a text element
stretched to its cells' width (`textLength`), but without `xml:space="preserve"` a renderer
drops a run's leading spaces and stretches the rest over their place, so tick labels slid off
their ticks; the SVGs here carry it. The PNGs come from Debian's Chromium (through Playwright,
as the browser test drives it), which honours `textLength`, so braille, whatever font draws it,
keeps to its cells. Without Chromium or Playwright only the SVGs are written.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from playground import lessons, scenarios
from playground.app import PlaygroundApp
from playground.engine import Run
from playground.settings import resolve

OUT = Path(__file__).resolve().parent.parent / "screenshots"


async def shoot(
    name: str,
    scenario: str,
    keys: list[str],
    size: tuple[int, int] = (120, 40),
    steps: int = 0,
    until: Callable[[PlaygroundApp], bool] | None = None,
    before: Callable[[PlaygroundApp], None] | None = None,
    after: Callable[[PlaygroundApp], None] | None = None,
    **config: object,
) -> Path | None:
    """`before`: what a person did first (a race's lanes); `after`: what they did after the keys
    (fields filled in); `until`: wait for this before the picture (a sweep to finish). With names
    on the command line, only those pictures are made."""
    if len(sys.argv) > 1 and name not in sys.argv[1:]:
        return None
    lesson = lessons.load(scenario) if scenario in [p.stem for p in lessons.list_lessons()] else None
    s = lesson.scenario if lesson is not None else scenarios.load(scenario)
    app = PlaygroundApp(s, load_engine=False, lesson=lesson)
    async with app.run_test(size=size) as pilot:
        app.session.use(Run(s, resolve(s, **config), compact=True))  # type: ignore[arg-type]  # as the app builds it
        if before is not None:
            before(app)
        if steps:
            for lane in app.session.lanes:
                lane.step(steps)
            app.main.redraw(force=True)
        for key in keys:
            await pilot.press(key)
        if after is not None:
            after(app)
        for _ in range(1200):
            if until is None or until(app):
                break
            await pilot.pause(0.05)
        await pilot.pause()
        await pilot.pause(0.2)
        path = OUT / f"{name}.svg"
        app.save_screenshot(str(path))
    svg = path.read_text(encoding="utf-8")
    if 'xml:space="preserve"' not in svg:
        path.write_text(svg.replace("<svg ", '<svg xml:space="preserve" ', 1), encoding="utf-8")
    return path


CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def pngs(svgs: list[Path]) -> None:
    """Each SVG drawn by Chromium at its own size, to a PNG beside it."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("scripts/screenshots.py: no Playwright (pip install playwright): SVGs only", file=sys.stderr)
        return
    if not CHROMIUM.exists():
        print(f"scripts/screenshots.py: no Chromium at {CHROMIUM} (apt-get install chromium): SVGs only", file=sys.stderr)
        return
    import re

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        for svg in svgs:
            width, height = (float(v) for v in re.search(r'viewBox="0 0 ([0-9.]+) ([0-9.]+)"', svg.read_text(encoding="utf-8")).groups())
            page = browser.new_page(viewport={"width": round(width), "height": round(height)})
            page.goto(svg.resolve().as_uri())
            page.screenshot(path=str(svg.with_suffix(".png")))
            page.close()
            print(svg.with_suffix(".png"))
        browser.close()


def answered_and_trained(app: PlaygroundApp) -> None:
    """A lesson's first part, its question answered and its steps trained."""
    app.session.answer(1)
    app.session.lesson.train()  # type: ignore[union-attr]


def muon_against_adamw(app: PlaygroundApp) -> None:
    """A race: Muon (with AdamW on the rest) in lane 1, AdamW alone in lane 2; lane 1 selected."""
    app.session.add_lane()
    app.pick("optimizer", "adamw")
    app.session.select_lane(0)


def sharpness_on(app: PlaygroundApp) -> None:
    app.session.toggle_sharpness()


def phase_fields(app: PlaygroundApp) -> None:
    """The sweep screen's fields for a phase diagram over (lr, momentum), and run."""
    from textual.widgets import Input

    screen = app.screen
    for name, value in {"lr_min": "0.001", "lr_max": "0.1", "points": "24", "steps": "300", "momenta": "16", "m_min": "0", "m_max": "0.95"}.items():
        screen.query_one(f"#sweep-{name}", Input).value = value
    screen.run_sweep()  # type: ignore[attr-defined]


def raced(app: PlaygroundApp) -> None:
    app.session.preset()


def tune_fields(app: PlaygroundApp) -> None:
    """The fair comparison's fields (12 trials, 3 seeds), and run."""
    from textual.widgets import Input

    screen = app.screen
    screen.query_one("#tune-trials", Input).value = "12"
    screen.query_one("#tune-seeds", Input).value = "3"
    screen.run_comparison()  # type: ignore[attr-defined]


def tuned(app: PlaygroundApp) -> bool:
    job = app.session.tune
    return job is not None and job.result is not None


def plane_ready(app: PlaygroundApp) -> bool:
    view = app.session.landscape
    return view.found is not None and view.progress is None


async def main() -> list[Path]:
    OUT.mkdir(exist_ok=True)
    shots = [
        shoot("rosenbrock-nesterov", "rosenbrock", [], steps=150),
        shoot("beale-adam", "beale", [], steps=300),
        shoot("moons", "moons", [], steps=200),
        shoot("sine", "sine", [], steps=600),
        shoot("help", "rosenbrock", ["question_mark"]),
        shoot("explain-adam", "beale", ["i"]),
        shoot("small-80x24", "himmelblau", [], size=(80, 24), steps=40),
        shoot("inside-ill-conditioned", "ill_conditioned", ["g"], steps=25),
        shoot("sweep-rosenbrock", "rosenbrock", ["w"], until=lambda app: getattr(app.screen, "done", False)),
        shoot("lesson-momentum", "momentum", [], before=answered_and_trained),
        shoot("digits-muon-vs-adamw", "digits", [], steps=150, before=muon_against_adamw, optimizer="muon"),
        shoot("landscape-moons", "moons", ["m"], steps=150, until=plane_ready),
        shoot("phase-ill-conditioned", "ill_conditioned", ["w"], after=phase_fields, until=lambda app: getattr(app.screen, "done", False)),
        shoot("tune-rosenbrock", "rosenbrock", ["T"], size=(140, 45), before=raced, after=tune_fields, until=tuned),
        shoot("sharpness-sine", "sine", [], steps=400, before=sharpness_on, optimizer="sgd", hyper={"lr": 0.1, "momentum": 0.0, "nesterov": False}),
    ]
    made = []
    for coro in shots:
        path = await coro
        if path is not None:
            print(path)
            made.append(path)
    return made


if __name__ == "__main__":
    pngs(asyncio.run(main()))
