"""The playground App: a Session on the main screen, its keys, and the dialogs.

The first frame shows without torch and without the settings' widgets: the scenario is read and
the surface drawn with numpy; once that frame is out (Textual's Ready) the settings panel fills,
then the session imports torch and builds the run in a thread; keys pressed meanwhile are kept
and done once it is ready. Auto-run trains in the session's thread; the main screen redraws
from the run's history about 20 times a second, so input never waits for training.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, OptionList, Select

from playground import exports, keys, textual_fixes
from playground.commands import PlaygroundCommands
from playground.formatting import count
from playground.scenarios import Scenario
from playground.screens.main_screen import MainScreen, field_value
from playground.session import Session
from playground.settings import RunConfig
from playground.ui_thread import teller
from playground.widgets.controls import ControlPanel
from playground.widgets.inside_panel import InsidePanel
from playground.widgets.loss_curve import LossCurve
from playground.widgets.map_plot import MapPlot

textual_fixes.apply()

if TYPE_CHECKING:
    from playground.lessons import Lesson
    from playground.sweep import SweepPoint


def bindings() -> list[Binding]:
    """The key table's presses, each a priority binding: under a burst of keys a binding that
    waits for the key to bubble up from the focused widget acts after later priority keys
    (escape r s gave r s escape)."""
    out = [Binding(p.key, p.action, p.label, show=bool(p.label), priority=True, **({"key_display": p.display} if p.display else {})) for p in keys.presses()]
    # an open dropdown's paging; elsewhere these keys go on to the focused widget
    return out + [Binding("pageup", "page(-1)", show=False, priority=True), Binding("pagedown", "page(1)", show=False, priority=True)]


class PlaygroundApp(App[None]):
    TITLE = "playground"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {PlaygroundCommands}
    BINDINGS = bindings()

    def __init__(self, scenario: Scenario, config: RunConfig | None = None, load_engine: bool = True, lesson: Lesson | None = None, present: bool = False) -> None:
        super().__init__()
        self.present = present  # presenter mode: the main screen opens without its panel and footer
        if lesson is not None and config is None:  # the first frame shows part 1's settings
            config = lesson.parts[0].configs[0]
        self.session = Session(scenario, config)
        if lesson is not None:  # its first part opens once torch is there
            from playground.lessons import Player

            self.session.lesson = Player(lesson, self.session)
        self._load_engine_now = load_engine
        self._faults_told = 0  # how many of the session's faults have been notified

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands, except its "Keys" panel (which escape does not close): the
        palette's Keys opens the playground's help screen, which lists every key."""
        for command in super().get_system_commands(screen):
            if command.title != "Keys":
                yield command
        yield SystemCommand("Keys", "Every key of the playground and what it does (?)", self.action_help)

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.session, self.present)

    @property
    def main(self) -> MainScreen:
        """The screen with the plots, even under a dialog."""
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        assert isinstance(screen, MainScreen)
        return screen

    def on_mount(self) -> None:
        # the session's one way to say it changed, from any thread: shown on the UI thread once
        # the operation (or a burst of them) is over, never in the middle of one
        self.session.listeners.append(teller(self._show_changes))
        # the auto-run loop in a worker of the app's own (a thread: it steps torch)
        self.session.autorun.runner = lambda job: self.run_worker(job, name="auto-run", group="auto-run", thread=True, exit_on_error=False)
        if self.is_web:  # Textual's web driver starts an app blurred, its footer empty; the page
            # (web/page.html) gives the terminal the focus as soon as it draws: so does the app
            self.call_after_refresh(self.post_message, events.AppFocus())

    async def on_ready(self) -> None:
        """The first frame is out (Textual's Ready): the settings panel fills, then, once it is
        drawn, torch loads in the session's thread. Either, started sooner, delays the first
        frame: the panel's widgets took a third of its time, torch's import holds the
        interpreter. Side by side, the two took turns at the interpreter and the panel came
        0.33 s after the first frame instead of 0.11 s, for no sooner an engine."""
        await self.main.query_one(ControlPanel).fill()
        if self._load_engine_now:
            self.call_after_refresh(self.session.load_engine)

    def watch_app_focus(self, focus: bool) -> None:
        """In a browser a key gives the app the focus back without a word to the footer, which
        hid its keys when the page's terminal lost the focus: shown again."""
        if focus and self.screen_stack:
            self.screen.refresh_bindings()

    def on_unmount(self) -> None:
        self.session.close()

    def _show_changes(self) -> None:
        """What the session changed: the panel and the status line now, the plots at the next frame."""
        if self.screen_stack and self.is_running and not self._exit:
            self.main.sync()
            self._tell_faults()

    def _tell_faults(self) -> None:
        """A bug of ours, in full where it cannot be missed: the message line may cut the path of
        its traceback. The session has paused; r and every setting still work."""
        faults = self.session.faults
        for text in faults[self._faults_told :]:
            self.notify(f"{text}\na bug in playground, not in your settings: r resets, the settings still work", title="internal error", severity="error", timeout=60, markup=False)
        self._faults_told = len(faults)

    def open_lesson(self, path: Path) -> None:
        """The palette's Lessons: play that lesson here (a bad file is said, as any scenario's)."""
        from playground import lessons
        from playground.errors import PlaygroundError

        try:
            lesson = lessons.load(str(path))
        except PlaygroundError as exc:
            self.session.say(str(exc))
        else:
            self.session.open_lesson(lesson)
            self.main.query_one(MapPlot).focus()  # its keys (arrows, enter) to the playground

    def pick(self, which: str, value: str) -> None:
        self.session.pick(which, value)

    # ------------------------------------------------------------ which keys apply where

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        dialog = len(self.screen_stack) > 1
        if action == "page":  # only to guard an open dropdown; elsewhere the key goes on
            return isinstance(self.focused, OptionList)
        if action in keys.MAIN_ACTIONS and dialog:
            return False
        if action == "leave_field":  # a dialog closes on its own escape
            return not dialog
        if action in ("nudge", "choose") and self.session.asking and not dialog:
            # a lesson's open question takes the arrows and enter, unless a field or a list has them
            return not isinstance(self.focused, (Input, Select, OptionList))
        if action == "choose":  # otherwise enter goes on to the focused widget
            return False
        if action == "nudge":  # arrows move the start only while the map has the focus
            return isinstance(self.focused, MapPlot) and self.session.scenario.surface is not None and not dialog
        if action in keys.TYPED_ACTIONS:
            if dialog or isinstance(self.focused, Input):  # a dialog's keys, or a field takes the characters
                return False
        return True

    async def action_quit(self) -> None:
        """q quits from the playground; over it (help, explanation, sweep, a dialog) q closes that
        screen as escape does, and the run is still there."""
        close = getattr(self.screen, "action_close", None) if len(self.screen_stack) > 1 else None
        if close is not None:
            close()
            return
        await super().action_quit()

    # ------------------------------------------------------------ the session's operations

    def action_toggle_run(self) -> None:
        self.session.toggle_run()

    def action_step(self) -> None:
        self.session.step()

    def action_reset(self) -> None:
        self.session.reset()

    def action_lr(self, factor: float) -> None:
        self.session.scale_lr(factor)

    def action_speed(self, delta: int) -> None:
        self.session.set_speed(delta)

    def action_add_lane(self) -> None:
        self.session.add_lane()

    def action_remove_lane(self) -> None:
        self.session.remove_lane()

    def action_preset(self) -> None:
        self.session.preset()

    def action_select_lane(self, index: int) -> None:
        if self.session.asking:  # a lesson's open question: the digits answer it
            self.session.answer(index + 1)
        else:
            self.session.select_lane(index)

    def action_lesson_part(self, delta: int) -> None:
        player = self.session.lesson
        self.session.open_part((player.shown if player is not None else 0) + delta)

    def action_nudge(self, dx: int, dy: int) -> None:
        if self.session.asking:  # up and down move between the question's choices
            self.session.move_choice(-dy)
        else:
            self.session.nudge(dx, dy)

    def action_choose(self) -> None:
        if self.session.lesson is not None:
            self.session.answer(self.session.lesson.highlighted)

    def action_original_start(self) -> None:
        self.session.original_start()

    # ------------------------------------------------------------ the view and the dialogs

    def action_log(self) -> None:
        curve = self.main.query_one(LossCurve)
        curve.log_scale = not curve.log_scale
        self.session.say("loss on a log scale" if curve.log_scale else "loss on a linear scale")

    def action_x_axis(self) -> None:
        curve = self.main.query_one(LossCurve)
        curve.by_evaluations = not curve.by_evaluations
        self.session.say("loss against evaluations of the loss and gradient (LBFGS: many a step; t: steps)" if curve.by_evaluations else "loss against steps")

    def action_sharpness(self) -> None:
        self.session.toggle_sharpness()

    def action_present(self) -> None:
        self.main.toggle_presenting()

    def action_landscape(self) -> None:
        self.session.toggle_landscape()

    def action_inside(self) -> None:
        panel = self.main.query_one(InsidePanel)
        panel.display = not panel.display
        self.main.fit_plots()
        instead = "" if self.main.query_one("#controls").display else " in place of the settings"
        self.session.say(f"inside the optimizer: shown{instead} (g hides it)" if panel.display else "inside the optimizer: hidden")

    def action_code(self) -> None:
        from playground.screens.code_screen import CodeScreen

        s = self.session
        if s.run is None:
            s.say("no run yet: the engine is still loading")
            return
        self.push_screen(CodeScreen(exports.code_text(s), f"lane {s.lane_index + 1}: " if s.racing else ""))

    def action_info(self) -> None:
        from playground.screens.info_screen import InfoScreen

        self.push_screen(InfoScreen(self.session.scenario.kind, self.session.config))

    def action_messages(self) -> None:
        from playground.screens.messages_screen import MessagesScreen

        self.push_screen(MessagesScreen(list(self.session.said), list(self.session.faults)))

    def action_help(self) -> None:
        from playground.screens.help_screen import HelpScreen

        self.push_screen(HelpScreen())

    def action_sweep(self) -> None:
        from playground.screens.sweep_screen import SweepScreen

        s = self.session
        if s.running:  # the sweep wants the cores; the run waits for it
            s.pause("paused for the sweep; space goes on")
        self.push_screen(SweepScreen(s.sweep_job()), self._took_sweep_point)

    def action_tune(self) -> None:
        from playground.screens.map_scene import LANE_COLOURS
        from playground.screens.tune_screen import TuneScreen

        s = self.session
        job = s.tune_job()
        if job is None:  # no race, or torch still loading: said
            return
        if s.running:  # the comparison wants the cores; the race waits for it
            s.pause("paused for the comparison; space goes on")
        self.push_screen(TuneScreen(job, list(LANE_COLOURS)))

    def _took_sweep_point(self, point: SweepPoint | None) -> None:
        """Enter on a finished sweep: its best point is the run's lr (and momentum)."""
        if point is not None:
            self.session.take_point(point.lr, point.momentum)

    def action_export(self) -> None:
        """Write the run (or every lane of a race) to a JSON or CSV file."""
        from playground.screens.save_screen import SaveScreen

        s = self.session
        if s.run is None:
            s.say("nothing to export yet: the engine is still loading")
            return
        if s.running:  # what is written is what the name says: the run as it is now
            s.pause("paused for the export; space goes on")
            s.wait_stopped()  # the step under way, if any, ends
        if s.racing:  # the .py is one lane's code: which one, said before it is written
            from playground.settings import describe

            lane = s.lane_index + 1
            title = f"Export all {len(s.lanes)} lanes, or lane {lane}'s code"
            hint = f"a name ending in .json or .csv writes every lane; .py the code of lane {lane} ({describe(s.config)}), the one selected"
        else:
            title = f"Export the run ({count(s.step_count, 'step')})"
            hint = "a name ending in .json or .csv (the run), or .py (its code): the format follows it"
        if caveat := exports.code_caveat(s):
            hint += f". The .py cannot replay this run: {caveat}"
        self.push_screen(SaveScreen(title, exports.export_name(s), functools.partial(exports.export_text, s), hint), self._saved)

    def action_save_scenario(self) -> None:
        """Save the scenario with the current settings and start as a TOML file that
        `playground FILE` opens the same way."""
        from playground.screens.save_screen import SaveScreen

        s = self.session
        text = exports.scenario_text(s)
        if s.racing:
            title, name = f"Save the race ({len(s.lanes)} lanes) as a scenario file", f"{s.scenario.name}-race.toml"
            hint = "playground FILE opens the race again: every lane's settings, the start, the selected lane"
        else:
            title, name = "Save the settings as a scenario file", f"{s.scenario.name}-{s.config.optimizer}.toml"
            hint = "playground FILE opens it with these settings: optimizer, hyperparameters, schedule, clipping, start"
        self.push_screen(SaveScreen(title, name, lambda path: text, hint), self._saved)

    def _saved(self, path: Path | None) -> None:
        if path is not None:
            self.session.say(f"sent {path.name} to the browser as a download" if self.is_web else f"wrote {path}")

    def action_page(self, direction: int) -> None:
        options = self.focused
        assert isinstance(options, OptionList)
        try:
            options.action_page_down() if direction > 0 else options.action_page_up()
        except KeyError:  # textual 8.2.8: paging a dropdown before its first layout raises
            pass

    def action_leave_field(self) -> None:
        """Close an open dropdown (its picker keeps the focus) or leave a field for the map. At
        once, not after the next refresh as `focus()` would: the keys typed next must find it so."""
        screen = self.main
        field = self.focused
        if isinstance(field, Input) and field.id and field.id.startswith("field-"):
            # escape leaves without applying what was typed (enter or tab applies it): the field
            # shows the value in force again, so leaving it changes nothing
            name = field.id.removeprefix("field-")
            screen.query_one(ControlPanel).show_value(name, field_value(self.session, name))
        opened = [select for select in screen.query(Select) if select.expanded]
        for select in opened:
            select.expanded = False
        screen.set_focus(opened[0] if opened else screen.query_one(MapPlot), scroll_visible=False)

