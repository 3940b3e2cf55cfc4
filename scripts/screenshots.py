"""Render the README's screenshots: `python scripts/screenshots.py` writes screenshots/*.svg.

Each view is driven through Textual's pilot with a run built in this process (fixed seeds), so
the pictures are the same every time they are made.
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
    **config: object,
) -> Path | None:
    """`before`: what a person did first (a race's lanes); `until`: wait for this before the
    picture (a sweep to finish). With names on the command line, only those pictures are made."""
    if len(sys.argv) > 1 and name not in sys.argv[1:]:
        return None
    lesson = lessons.load(scenario) if scenario in [p.stem for p in lessons.list_lessons()] else None
    s = lesson.scenario if lesson is not None else scenarios.load(scenario)
    app = PlaygroundApp(s, load_engine=False, lesson=lesson)
    async with app.run_test(size=size) as pilot:
        app.set_run(Run(s, resolve(s, **config)))  # type: ignore[arg-type]
        if before is not None:
            before(app)
        if steps:
            for lane in app.session.lanes:
                lane.step(steps)
            app.main.redraw(force=True)
        for key in keys:
            await pilot.press(key)
        for _ in range(1200):
            if until is None or until(app):
                break
            await pilot.pause(0.05)
        await pilot.pause()
        await pilot.pause(0.2)
        path = OUT / f"{name}.svg"
        app.save_screenshot(str(path))
    return path


def answered_and_trained(app: PlaygroundApp) -> None:
    """A lesson's first part, its question answered and its steps trained."""
    app.session.answer(1)
    app.session.lesson.train()  # type: ignore[union-attr]


def muon_against_adamw(app: PlaygroundApp) -> None:
    """A race: Muon (with AdamW on the rest) in lane 1, AdamW alone in lane 2; lane 1 selected."""
    app.session.add_lane()
    app.pick("optimizer", "adamw")
    app.session.select_lane(0)


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    shots = [
        shoot("rosenbrock-nesterov", "rosenbrock", [], steps=150),
        shoot("beale-adam", "beale", ["l"], steps=300),
        shoot("moons", "moons", [], steps=200),
        shoot("sine", "sine", [], steps=600),
        shoot("help", "rosenbrock", ["question_mark"]),
        shoot("explain-adam", "beale", ["i"]),
        shoot("small-80x24", "himmelblau", [], size=(80, 24), steps=40),
        shoot("inside-ill-conditioned", "ill_conditioned", ["g"], steps=25),
        shoot("sweep-rosenbrock", "rosenbrock", ["w"], until=lambda app: getattr(app.screen, "done", False)),
        shoot("lesson-momentum", "momentum", [], before=answered_and_trained),
        shoot("digits-muon-vs-adamw", "digits", [], steps=150, before=muon_against_adamw, optimizer="muon"),
    ]
    for coro in shots:
        path = await coro
        if path is not None:
            print(path)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
