"""The settings panel: scenario, optimizer, loss, every hyperparameter of the chosen optimizer
(from the registry), and for datasets the batch size and seed.

The panel only reports what a person typed or picked (`Picked`, `Edited`); the App decides
whether it is valid and answers with `show_error`, so the rules live in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, Select, Static, Switch

from playground.formatting import setting as format_value
from playground.losses import LOSSES
from playground.optimizers import OPTIMIZERS, offered
from playground.scenarios import Entry, Scenario
from playground.schedules import SCHEDULES
from playground.settings import RunConfig, Setting, lr_origin, panel_settings
from playground.widgets.plain_text import plain

def show_text(node: Static, text: str) -> None:
    """Put plain `text` (never markup: it may quote what was typed) in `node`, only if it is not
    there already: every update re-lays out the whole screen, and leaving a field re-reports
    each field's (usually empty) message."""
    if str(node.content) != text:
        node.update(Text(text))


def _picker(options: list[tuple[str | Content, str]], value: str, id: str, disabled: bool = False) -> Select[str]:
    """A dropdown whose open list leaves letters to the app's keys (q quits, s steps) rather
    than searching itself with them: a list left open swallowed them, which looked like a hung
    app. Arrows, enter and escape pick and close; only a text field takes letters."""
    return Select(options, value=value, allow_blank=False, id=id, disabled=disabled, compact=True, type_to_search=False)


class ControlPanel(VerticalScroll):
    """Everything a person can set, top to bottom in the order they usually set it."""

    class Picked(Message):
        """A choice in a dropdown: which (scenario, optimizer, loss) and the value."""

        def __init__(self, which: str, value: str) -> None:
            super().__init__()
            self.which = which
            self.value = value

    class Edited(Message):
        """A field was committed (Enter, leaving it, or a switch flipped): name and text or bool."""

        def __init__(self, name: str, value: str | bool) -> None:
            super().__init__()
            self.name = name
            self.value = value

    def __init__(self, entries: list[Entry], scenario: Scenario, config: RunConfig, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.entries = entries
        self.scenario = scenario
        self.config = config
        self.can_focus = False
        self.short = False  # a short terminal: headings without the blank line above them
        self._made: dict[str, object] = {}  # which fields each box holds (see `_fill`)
        self.filled = False  # the fields are mounted (`fill`, just after the first frame)

    def _scenario_names(self) -> list[str]:
        names = [e.name for e in self.entries]
        return names if self.scenario.name in names else [*names, self.scenario.name]

    def _scenario_options(self) -> list[tuple[Content, str]]:
        """The scenario picker's entries; a lesson's file shows the surface or data it runs on
        (its scenario's title: "Ill-conditioned bowl", not "training-loop")."""
        def label(name: str) -> str:
            return self.scenario.title if name == self.scenario.name and self.scenario.lesson is not None else name

        return [(plain(label(n)), n) for n in self._scenario_names()]

    async def fill(self) -> None:
        """Mount the settings. The App calls this as soon as the first frame is out: the panel's
        dozens of widgets were a third of the time to it (about 0.1 s), and the plots and the
        status line need none of them. Until then the panel is an empty frame holding its place,
        and what it is told (`rebuild`, `show_value`, ...) waits in `scenario` and `config`."""
        if self.filled:
            return
        scenario, config = self.scenario, self.config
        await self.mount_all(list(self._contents()))  # made showing these
        self.filled = True
        if self.scenario is not scenario or self.config is not config:  # told of a change meanwhile
            self.rebuild(self.scenario, self.config)
        self.update_nesterov()  # now, in the same layout as the mount
        if self.screen.focused is None and self.display:  # where the focus starts, as before
            self.query_one("#pick-scenario", Select).focus()

    def _contents(self) -> ComposeResult:
        """The panel's widgets showing `scenario` and `config`, each box of fields already filled:
        mounted at once, they cost one layout of the screen (a box filled after the mount cost one
        more layout each), and no `rebuild` after them unless the session moved on during the
        mount (one put the same values in again: 5-8 ms)."""
        surface = self.scenario.kind == "surface"
        boxes = {}
        for box_id, fields, make, _ in self._field_sets(self.scenario, self.config):
            self._made[box_id] = fields
            boxes[box_id] = Vertical(*make(), id=box_id.removeprefix("#"))
        yield self._heading("Scenario")
        yield _picker(self._scenario_options(), self.scenario.name, "pick-scenario")
        yield self._heading("Optimizer")
        yield _picker([(s.label, s.name) for s in offered()], self.config.optimizer, "pick-optimizer")
        yield self._heading("Loss")
        yield _picker(self._loss_options(), self.config.loss or "surface", "pick-loss", disabled=surface)
        loss_note = Static("a surface is its own loss", id="loss-note", classes="note")
        loss_note.display = surface
        yield loss_note
        yield boxes["#hyper"]
        yield self._heading("Learning-rate schedule")
        yield _picker([(name, name) for name in SCHEDULES], self.config.schedule, "pick-schedule")
        yield Static(Text(SCHEDULES[self.config.schedule].summary), id="schedule-note", classes="note")
        yield boxes["#schedule-fields"]
        yield boxes["#run-fields"]

    def _field_sets(self, scenario: Scenario, config: RunConfig) -> list[tuple[str, object, Callable[[], list[Any]], dict[str, Any]]]:
        """The three boxes of fields, each as (its id, which fields it holds: made anew when that
        changes, how to make them, their values)."""
        boxes = panel_settings(config, scenario.kind == "surface")

        def box(box_id: str, which: str, heading: str | None) -> tuple[str, object, Callable[[], list[Any]], dict[str, Any]]:
            shown = boxes[which]
            return box_id, tuple(s.key for s in shown), lambda: self._fields(shown, config, heading), {s.key: s.value(config) for s in shown}

        return [
            box("#hyper", "hyper", f"{OPTIMIZERS[config.optimizer].torch_name} hyperparameters"),
            box("#run-fields", "run", "Run"),
            box("#schedule-fields", "schedule", None),
        ]

    def _heading(self, text: str) -> Label:
        return Label(text, classes="heading -short" if self.short else "heading")

    def fit(self, short: bool) -> None:
        """Close up the headings in a short terminal. The class goes on each heading rather than
        on the panel, whose many widgets would all be restyled (about 0.1 s)."""
        self.short = short
        for heading in self.query(".heading"):
            heading.set_class(short, "-short")

    def _loss_options(self) -> list[tuple[str, str]]:
        table = LOSSES.get(self.scenario.kind)
        if table is None:
            return [("the surface itself", "surface")]
        return [(f"{spec.torch_name}", spec.name) for spec in table.values()]

    def rebuild(self, scenario: Scenario, config: RunConfig) -> None:
        """Show `config` for `scenario`. Fields are made anew only where their set changes (another
        optimizer, schedule or kind of scenario); otherwise they take the new values in place:
        mounting the fields again cost 0.1-0.2 s, on every lane picked in a race."""
        was = self.scenario
        self.scenario, self.config = scenario, config
        if not self.filled:  # `fill` shows them
            return
        with self.app.batch_update():
            pick = self.query_one("#pick-scenario", Select)
            with pick.prevent(Select.Changed):
                if scenario.name not in [e.name for e in self.entries]:  # a file opened later (a lesson from the palette)
                    self.entries = [*self.entries, Entry(scenario.name, Path(scenario.source), "user")]
                    pick.set_options(self._scenario_options())
                elif scenario.name != was.name and (scenario.lesson is not None or was.lesson is not None):
                    pick.set_options(self._scenario_options())  # a lesson's label comes or goes
                pick.value = scenario.name
            opt = self.query_one("#pick-optimizer", Select)
            with opt.prevent(Select.Changed):
                opt.value = config.optimizer
            loss = self.query_one("#pick-loss", Select)
            with loss.prevent(Select.Changed):
                loss.set_options(self._loss_options())
                loss.disabled = scenario.kind == "surface"
                loss.value = config.loss or "surface"
            self.query_one("#loss-note").display = scenario.kind == "surface"
            for box in self._field_sets(scenario, config):
                self._fill(*box)
            self._show_schedule_pick(config)
            self._show_lr_from()
        self.call_after_refresh(self.update_nesterov)

    def _fill(self, box_id: str, fields: object, make: Any, values: dict[str, Any]) -> None:
        """The fields in `box_id`: kept, with `values` put in, while they are the same `fields`
        (an optimizer's name, a schedule's, the run's field names); else made anew by `make`."""
        box = self.query_one(box_id, Vertical)
        if self._made.get(box_id) == fields:
            for name, value in values.items():
                self.show_value(name, value)
            return
        self._made[box_id] = fields
        box.remove_children()
        box.mount_all(make())

    def _show_schedule_pick(self, config: RunConfig) -> None:
        """The schedule picker and what the chosen schedule does (its fields are a box of
        `_field_sets`)."""
        spec = SCHEDULES[config.schedule]
        pick = self.query_one("#pick-schedule", Select)
        with pick.prevent(Select.Changed):
            pick.value = spec.name
        show_text(self.query_one("#schedule-note", Static), spec.summary)

    def _fields(self, shown: list[Setting], config: RunConfig, heading: str | None) -> list[Any]:
        """A box's fields under its heading; a partner's settings under a heading of their own."""
        out: list[Any] = [self._heading(heading)] if heading else []
        group = ""
        for s in shown:
            if s.field.group != group:
                group = s.field.group
                out.append(self._heading(f"{OPTIMIZERS[group].torch_name}: every other parameter"))
            out.append(self._field(s, s.value(config)))
        return out

    def _field(self, s: Setting, value: Any) -> Vertical:
        name, f = s.key, s.field
        if f.kind == "bool":
            row = Horizontal(Switch(bool(value), id=f"field-{name}"), Label(s.label, classes="switch-label"), classes="switch-row")
            return Vertical(row, Static("", id=f"error-{name}", classes="error"), classes="field")
        box = Input(f.format(value), id=f"field-{name}", placeholder=f.describe_range(), select_on_focus=False, compact=True)
        box.tooltip = f.help or None
        parts = [Label(s.label, classes="field-label"), box, Static("", id=f"error-{name}", classes="error")]
        if f.note:
            parts.append(Static(f.note, id=f"note-{name}", classes="note"))
        if name == "lr":  # where its value came from, while it is the library's default
            said = self._lr_from()
            note = Static(said, id="from-lr", classes="note")
            note.display = bool(said)  # an empty Static still takes a row
            parts.append(note)
        return Vertical(*parts, classes="field")

    def _show_lr_from(self) -> None:
        text = self._lr_from()
        for node in self.query("#from-lr"):
            show_text(node, text)
            node.display = bool(text)

    def _lr_from(self) -> str:
        """The library's default lr says so (the scenario gave this optimizer none); the
        scenario's own rate, or one that was set, goes without a word."""
        return lr_origin(self.scenario, self.config, library_only=True) or ""

    # ------------------------------------------------------------ what the App tells the panel

    def show_error(self, name: str, message: str, reveal: bool = False) -> None:
        """Mark a field invalid with a one-line message (the run keeps its last valid value);
        `reveal` scrolls the message into sight."""
        for node in self.query(f"#error-{name}"):
            if message:
                node.set_classes("error")
            show_text(node, message)
            if reveal:
                node.scroll_visible(animate=False)
        for node in self.query(f"#field-{name}"):
            node.set_class(bool(message), "-invalid")

    def show_value(self, name: str, value: Any) -> None:
        """Put the value in force back into a field (after a change from a key such as `]`)."""
        for node in self.query(f"#field-{name}"):
            if isinstance(node, Input):
                with node.prevent(Input.Changed):
                    node.value = format_value(value)
            elif isinstance(node, Switch):
                with node.prevent(Switch.Changed):
                    node.value = bool(value)
        if name == "lr":
            self._show_lr_from()
        self.show_error(name, "")

    def update_nesterov(self) -> None:
        """Nesterov is offered only where momentum > 0."""
        momentum = self.config.hyper.get("momentum")
        for node in self.query("#field-nesterov"):
            allowed = momentum is not None and momentum > 0
            node.disabled = not allowed and not self.config.hyper.get("nesterov")
            for error in self.query("#error-nesterov"):  # none while a rebuild is mounting it
                # why the switch is off, not a mistake: a muted note, not the error's red
                error.set_class(not allowed, "note")
                error.set_class(allowed, "error")
                show_text(error, "" if allowed else "needs momentum > 0")

    # ------------------------------------------------------------ what the person did

    @on(Select.Changed)
    def _picked(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL or event.select.id is None or event.value != event.select.value:
            # a picker says its value as it mounts: when that message comes, the session may
            # have moved on (a key, a lane) and the picker with it; not a person's pick
            return
        self.post_message(self.Picked(event.select.id.removeprefix("pick-"), str(event.value)))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id:
            self.post_message(self.Edited(event.input.id.removeprefix("field-"), event.value))

    @on(Input.Blurred)
    def _blurred(self, event: Input.Blurred) -> None:
        if event.input.id:
            self.post_message(self.Edited(event.input.id.removeprefix("field-"), event.value))

    @on(Switch.Changed)
    def _switched(self, event: Switch.Changed) -> None:
        event.stop()
        if event.switch.id:
            self.post_message(self.Edited(event.switch.id.removeprefix("field-"), event.value))
