"""A lesson's part above the plots: the lesson's title and `part K/N`, what the part says, its
question with the choices (marked once answered), and once its steps are trained, the
explanation and whether the expectation held (with the values it read)."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from playground.formatting import count, first_fitting
from playground.lessons import Player
from playground.widgets.plain_text import border_room, plain

RIGHT, WRONG, ASK = Style(color="#69f0ae", bold=True), Style(color="#ff5252", bold=True), Style(color="#ffd740", bold=True)


class LessonPanel(VerticalScroll):
    """Its text scrolls (the wheel) where a short terminal gives it fewer rows than it needs: the
    map keeps its rows first (MainScreen.fit_plots), and no word of the lesson is cut off."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.can_focus = False  # the keys stay with the map and the question
        self._shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="lesson-text")

    @property
    def text(self) -> str:
        """What the panel says, as plain text."""
        return str(self.query_one("#lesson-text", Static).render())

    def show(self, player: Player | None) -> None:
        """The open part, with its question's answers as picked; before torch is there to open
        it, part 1 as it will open."""
        self.display = player is not None
        if player is None:
            return
        answered, highlighted, tried = player.answered, player.highlighted, player.tried
        index = player.shown
        done = player.done()
        verdict = player.check() if done else None
        key = (index, answered, highlighted, tried, done, verdict, player.to_go(), self.outer_size.width)  # the width: which subtitle fits
        if key == self._shown:
            return
        self._shown = key
        self.query_one("#lesson-text", Static).update(render(player, answered, done, verdict, highlighted, tried))
        lesson = player.lesson
        part, room = f"part {index + 1}/{len(lesson.parts)}", border_room(self)
        self.border_title = plain(first_fitting([f"{lesson.title} · {part}", f"{lesson.title.split(':')[0]} · {part}", part], room))
        asking = lesson.parts[index].choices and answered is None
        self.border_subtitle = first_fitting(["n next · p back" + (" · 1-9, or arrows and enter: answer" if asking else ""), "n next · p back" + (" · 1-9 or ↑↓ enter: answer" if asking else "")], room)


def render(player: Player, answered: int | None, done: bool, verdict: tuple[bool, str] | None, highlighted: int = 0, tried: int | None = None) -> Text:
    """What the part says, asks and, once trained, explains. `tried`: a first wrong answer,
    marked wrong while the question stays open for one more try."""
    part = player.lesson.parts[player.shown]
    out = Text()
    out.append(part.say + "\n")
    if part.choices:
        out.append("\n" + part.ask + "\n", ASK)
        for k, choice in enumerate(part.choices, start=1):
            mark = "  "
            style = Style()
            if answered is None and k == highlighted:  # the arrows' cursor
                mark, style = "› ", Style(reverse=True)
            elif answered is None and k == tried:
                mark, style = "✗ ", WRONG
            if answered is not None and k == part.answer:
                mark, style = "✓ ", RIGHT
            elif answered == k:
                mark, style = "✗ ", WRONG
            out.append(f"{mark}{k}  {choice}\n", style)
    left = player.to_go()
    if left and not done:
        out.append(f"\nspace trains this part's {count(part.run, 'step')} ({left:,} to go)\n", Style(dim=True))
    if done:
        if part.explain:
            out.append("\n" + part.explain + "\n")
        if part.expect is not None and verdict is not None:
            held, shown = verdict
            out.append(f"\nexpected {part.expect.text}: ", Style(dim=True))
            out.append("holds" if held else "does not hold", RIGHT if held else WRONG)
            out.append(f" ({shown})\n", Style(dim=True))
    out.rstrip()
    return out
