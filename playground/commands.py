"""The command palette (ctrl+p): switch scenario, optimizer or loss, and every action that has
a palette title in the key table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

from playground import keys, lessons
from playground.losses import LOSSES
from playground.optimizers import offered
from playground.widgets.plain_text import escaped


def palette_commands(app: Any) -> list[tuple[str, str, Callable[[], Any]]]:
    """(title, help, callback) for `app`, a PlaygroundApp."""
    session = app.session
    out: list[tuple[str, str, Callable[[], Any]]] = []
    for name in session.paths:
        out.append((f"Scenario: {name}", "switch scenario (starts over)", lambda n=name: app.pick("scenario", n)))
    for spec in offered():
        out.append((f"Optimizer: {spec.label}", spec.summary, lambda n=spec.name: app.pick("optimizer", n)))
    for path in lessons.list_lessons():
        out.append((f"Lesson: {path.stem}", lessons.title_of(path), lambda p=path: app.open_lesson(p)))
    for spec in LOSSES.get(session.scenario.kind, {}).values():
        out.append((f"Loss: {spec.torch_name}", spec.summary, lambda n=spec.name: app.pick("loss", n)))
    for title, key, action in keys.palette_commands():
        out.append((title, key, lambda a=action: app.run_action(a)))
    return out


class PlaygroundCommands(Provider):
    async def discover(self) -> Hits:
        for name, help_text, callback in palette_commands(self.app):
            yield DiscoveryHit(escaped(name), callback, help=escaped(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in palette_commands(self.app):
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(escaped(name)), callback, help=escaped(help_text))
