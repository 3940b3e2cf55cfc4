"""The playground App: settings on the left, the map and the loss curve on the right, a status
line and the footer below.

The first frame shows without torch: the scenario is read and the surface drawn with numpy
while a thread imports torch and builds the run; keys pressed meanwhile are kept and done once
it is ready. Auto-run trains in a thread worker in short slices; a timer redraws from the run's
history at about 15 frames a second, so input never waits for training.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from contextlib import ExitStack, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.message import Message
from textual.widgets import Input, OptionList, Select, Static
from textual.worker import Worker, WorkerState, get_current_worker

from playground import scenarios, textual_fixes
from playground.datasets import Points
from playground.errors import ConfigError, PlaygroundError
from playground.losses import LOSSES
from playground.optimizers import OPTIMIZERS, get_optimizer
from playground.scenarios import Scenario
from playground.schedules import get_schedule
from playground.settings import RunConfig, resolve
from playground.widgets.controls import SCHEDULE_PREFIX, ControlPanel
from playground.widgets.internals import GRADIENT_COLOUR, MOMENTUM_COLOUR, Internals, InternalsPanel, arrows
from playground.widgets.key_footer import KeyFooter
from playground.widgets.loss_curve import LossCurve
from playground.widgets.map_plot import CLASS_BRIGHT, CLASS_DIM, HEAT, MapPlot, Mark
from playground.widgets.scoreboard import Row, Scoreboard
from playground.widgets.status_line import StatusLine

textual_fixes.apply()

if TYPE_CHECKING:
    from playground.engine import Run
    from playground.race import Race

SPEEDS: list[int | None] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, None]  # None: unthrottled
DEFAULT_SPEED = SPEEDS.index(100)
FRAME_SECONDS = 1 / 20
PATH_POINTS = 200  # the most trajectory points drawn per frame (plotext cost grows with them)
KEY_ACTIONS = {"toggle_run", "step", "reset", "lr", "speed", "log", "info", "help", "internals", "sweep", "export"}
DIALOG_ACTIONS = {"save_scenario"}  # keys that a text field does not take, but a dialog does
MIN_WIDTH, MIN_HEIGHT = 60, 16
NARROW_WIDTH, SHORT_HEIGHT = 100, 30  # below these the panels close up
NARROW_CONTROLS = 26  # the settings panel's width in a narrow terminal (34 in app.tcss otherwise)
RACE_ACTIONS = {"add_lane", "remove_lane", "preset", "select_lane", "original_start"}
NUDGE = 1 / 40  # an arrow key moves the start by this share of the domain
# the lanes of a race, in order: distinct on the map's colours and on the dark loss panel
LANE_COLOURS = [(255, 255, 255), (255, 145, 0), (255, 64, 129), (64, 196, 255), (255, 234, 0), (179, 136, 255)]

PATH = (255, 255, 255)
START = (0, 229, 255)
NOW = (255, 82, 82)
MINIMUM = (118, 255, 3)


class AutoRunEnded(Message):
    """Auto-run stopped by itself: the budget was reached, the run converged or diverged. Posted
    by the training thread, which never waits for the UI: quitting waits for every worker, and
    one blocked in `call_from_thread` as the app closed held the app open."""

    def __init__(self, worker: Worker, state: str, message: str) -> None:
        super().__init__()
        self.worker, self.state, self.message = worker, state, message


class PlaygroundCommands(Provider):
    """ctrl+p: switch scenario, optimizer or loss, and the main actions."""

    def _commands(self) -> list[tuple[str, str, Any]]:
        app = self.app
        assert isinstance(app, PlaygroundApp)
        return app.palette_commands()

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class PlaygroundApp(App[None]):
    TITLE = "playground"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {PlaygroundCommands}
    BINDINGS = [
        Binding("space", "toggle_run", "run", priority=True),
        Binding("s", "step", "step", priority=True),
        Binding("r", "reset", "reset", priority=True),
        Binding("left_square_bracket", "lr(0.5)", "lr÷2", priority=True),
        Binding("right_square_bracket", "lr(2)", "lr×2", priority=True),
        Binding("minus", "speed(-1)", "slower", priority=True),
        Binding("plus,equals_sign", "speed(1)", "faster", priority=True, key_display="+"),
        Binding("l", "log", "log", priority=True),
        Binding("i", "info", "explain", priority=True),
        Binding("question_mark", "help", "help", priority=True),
        # in the help screen and the palette; the footer has no room left for them
        Binding("g", "internals", "inside", priority=True, show=False),
        Binding("w", "sweep", "sweep", priority=True, show=False),
        Binding("e", "export", "export", priority=True, show=False),
        Binding("ctrl+s", "save_scenario", "save", priority=True, show=False),
        Binding("a", "add_lane", "add lane", show=False, priority=True),
        Binding("x", "remove_lane", "remove lane", show=False, priority=True),
        Binding("c", "preset", "compare", priority=True),
        Binding("o", "original_start", "original start", show=False, priority=True),
        *[Binding(str(k), f"select_lane({k - 1})", f"lane {k}", show=False, priority=True) for k in range(1, 7)],
        Binding("up", "nudge(0, 1)", show=False, priority=True),
        Binding("down", "nudge(0, -1)", show=False, priority=True),
        Binding("left", "nudge(-1, 0)", show=False, priority=True),
        Binding("right", "nudge(1, 0)", show=False, priority=True),
        Binding("q", "quit", "quit", priority=True),
        # Priority, like r and s: under a burst of keys a binding that waits for the key to bubble
        # up from the focused widget acts after later priority keys (escape r s gave r s escape)
        Binding("escape", "leave_field", "leave field", show=False, priority=True),
        Binding("pageup", "page(-1)", show=False, priority=True),
        Binding("pagedown", "page(1)", show=False, priority=True),
    ]

    def __init__(self, scenario: Scenario, config: RunConfig | None = None, load_engine: bool = True) -> None:
        super().__init__()
        self.scenario = scenario
        self.config = config or resolve(scenario)
        self.run_: Run | None = None  # the run shown and edited: in a race, the selected lane
        self.race: Race | None = None  # compare mode: two or more lanes; None for a single run
        self._step_lock = threading.Lock()  # held by auto-run around each step, so that no step falls between a pause and a reset
        self.running = False
        self._train: Worker | None = None  # the auto-run under way, if any
        self.speed_index = DEFAULT_SPEED
        self.state = "paused"
        self.message = ""
        self.rate: float | None = None
        self._queued: list[str] = []  # keys pressed while torch loads, done in order when ready
        self._drawn: tuple[Any, ...] | None = None
        self._shape: tuple[bool, bool] | None = None  # (narrow, short) as last laid out
        self.frames = 0  # redraws made, for the benchmark's frame rate
        self._dirty = False  # something changed that the plots do not show yet
        self.engine_error: str | None = None
        self._early_points: tuple[Scenario, Points] | None = None
        self._load_engine_now = load_engine
        self._paths = {e.name: str(e.path) for e in scenarios.list_entries()}
        self._paths.setdefault(scenario.name, scenario.source)

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        entries = scenarios.list_entries()
        with Horizontal(id="main"):
            yield ControlPanel(entries, self.scenario, self.config, id="controls")
            with Vertical(id="plots"):
                yield MapPlot(id="map")
                yield Scoreboard(id="scoreboard")
                yield LossCurve(id="loss")
            yield InternalsPanel(id="internals")
        yield Static("The terminal is too small: make it at least 60 x 16.", id="too-small")
        yield StatusLine(id="status")
        yield KeyFooter()

    @property
    def _main_screen(self):  # noqa: ANN202 - the screen with the plots, even under a dialog
        return self.screen_stack[0] if self.screen_stack else self.screen

    def on_mount(self) -> None:
        self._configure_map()
        self._fit_layout()
        self._redraw(force=True)
        self._frame_timer = self.set_interval(FRAME_SECONDS, self._tick)
        if self._load_engine_now:
            # after the first frame is out, so the first frame does not wait for torch
            self.set_timer(0.05, self._load_engine)

    def on_resize(self, event: events.Resize) -> None:
        # this handler runs before App._on_resize records the new size: use the event's
        self._fit_layout(event.size)

    def _fit_layout(self, size: Size | None = None) -> None:
        w, h = size or self.size
        screen = self._main_screen
        main = screen.query_one("#main")
        shape = (w < NARROW_WIDTH, h < SHORT_HEIGHT)
        if shape != self._shape:
            # Inline widths and classes on single widgets: a class on #main would restyle every
            # widget under it, about 0.1 s on each resize
            self._shape = narrow, short = shape
            controls = screen.query_one(ControlPanel)
            controls.styles.width = NARROW_CONTROLS if narrow else None
            controls.fit(short)
            screen.query_one(InternalsPanel).set_class(narrow, "-narrow")
            screen.query_one(LossCurve).set_class(short, "-short")
            screen.query_one(Scoreboard).set_class(short, "-short")
        tiny = w < MIN_WIDTH or h < MIN_HEIGHT
        if tiny and main.display:
            # nothing hidden may keep the keys: close open dropdowns and drop the focus
            for select in main.query(Select):
                select.expanded = False
            self._main_screen.set_focus(None)
        main.display = not tiny
        self._main_screen.query_one("#too-small").display = tiny

    # ------------------------------------------------------------ the engine

    def _load_engine(self) -> None:
        """Import torch and build the run in a thread of its own (not the worker pool, which
        auto-run uses), then hand the run to the UI thread."""
        threading.Thread(target=self._engine_thread, name="load-engine", daemon=True).start()

    def _engine_thread(self) -> None:
        # Importing torch reads hundreds of files, and every read lets go of the GIL. While the
        # UI thread is busy (keys, resizes), getting the GIL back would take a whole switch
        # interval each time (5 ms by default): under a storm of keys the import starved for
        # ten seconds. Short turns while it runs give it its share.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(0.001)
        try:
            from playground.engine import Run, warm_up

            warm_up()
            run = Run(self.scenario, self.config, compact=True)
        except Exception as exc:  # noqa: BLE001 - shown in the app, which stays usable
            self._from_thread(self._engine_failed, f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
            return
        finally:
            sys.setswitchinterval(interval)
        self._from_thread(self._engine_ready, run)

    def _engine_failed(self, why: str) -> None:
        self.engine_error = why
        self.message = f"the engine could not start: {why}"
        self._changed()

    def _from_thread(self, callback: Any, *args: Any) -> None:
        try:
            self.call_from_thread(callback, *args)
        except Exception as exc:  # noqa: BLE001 - the app is closing, or the callback failed
            if self.is_running and not self._exit:
                self.call_from_thread(self._say, f"error: {type(exc).__name__}: {exc}".splitlines()[0][:200])

    def _engine_ready(self, run: Run) -> None:
        if not gc.get_freeze_count():
            # torch, Textual and the app are loaded: some 185,000 objects that live as long as
            # the process. Out of the collector's sight, its full passes take milliseconds
            # instead of 0.15-0.25 s, a stutter every few seconds of auto-run.
            gc.freeze()
        if run.scenario is not self.scenario:  # the scenario changed while torch loaded
            from playground.engine import Run as RunClass

            run = RunClass(self.scenario, self.config, compact=True)
        elif run.config != self.config:
            self.message = run.apply(self.config)
        self.run_ = run
        self._configure_map()
        self._replay(self._queued)
        self._queued = []
        self._redraw(force=True)

    def _replay(self, keys: list[str]) -> None:
        """Do what was pressed while torch loaded. A run that was started and stopped again
        before the engine was there still makes one slice of steps, as a short run would."""
        run = self.run_
        assert run is not None
        running = False
        for key in keys:
            if key == "step":
                run.step(1)
                running = False
            elif key == "toggle":
                if running:
                    run.step(max(1, (SPEEDS[self.speed_index] or 1000) // 50))
                running = not running
        self.state = self._state_after_stop() or "paused"
        if running:
            self._start()

    def set_run(self, run: Run) -> None:
        """Use `run` (tests build one directly instead of loading in a thread)."""
        self.scenario, self.config = run.scenario, run.config
        self.race = None
        self._engine_ready(run)

    # ------------------------------------------------------------ keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "page":  # only to guard an open dropdown; elsewhere the key goes on
            return isinstance(self.focused, OptionList)
        if action in DIALOG_ACTIONS and len(self.screen_stack) > 1:
            return False
        if action == "leave_field":  # a dialog closes on its own escape
            return len(self.screen_stack) == 1
        if action == "nudge":  # arrows move the start only while the map has the focus
            return isinstance(self.focused, MapPlot) and self.scenario.surface is not None and len(self.screen_stack) == 1
        if action in RACE_ACTIONS and (len(self.screen_stack) > 1 or isinstance(self.focused, Input)):
            return False
        if action in KEY_ACTIONS:
            if len(self.screen_stack) > 1:  # a dialog is open: its own keys apply
                return False
            if isinstance(self.focused, Input):  # a text field takes the characters
                return False
        return True

    def action_toggle_run(self) -> None:
        if self.run_ is None:
            self._queued.append("toggle")
            self._changed()
            return
        if self.running:
            self._pause("paused")
        else:
            self._start()

    def action_step(self) -> None:
        if self.run_ is None:
            self._queued.append("step")
            self._changed()
            return
        if self.running:
            self._pause("paused")
        self._do_steps(1)

    def action_reset(self) -> None:
        self._queued: list[str] = []  # keys pressed while torch loads, done in order when ready
        if self.running:
            self._pause("paused")
        racer = self._racer()
        if racer is not None:
            with self._step_lock:
                racer.reset()
        self.state = "paused"
        self.message = "reset to the start" if self.race is None else f"all {len(self.race.lanes)} lanes reset to the start"
        self._changed()

    # ------------------------------------------------------------ compare (race) mode

    def _engine_there(self) -> bool:
        if self.run_ is None:
            self._say("the engine is still loading: try again in a moment")
            return False
        return True

    def _lane_index(self) -> int:
        race = self.race
        if race is None:
            return 0
        return next((i for i, lane in enumerate(race.lanes) if lane is self.run_), 0)

    def _enter_race(self, race: Race, selected: int, message: str) -> None:
        self.race = race
        self.state = "paused"
        self.message = message
        self._select(selected)

    def _select(self, index: int) -> None:
        """Show and edit lane `index`: the settings panel, the status line and (datasets) the
        map's colours follow it."""
        assert self.race is not None
        self.run_ = self.race.lanes[index]
        self.config = self.run_.config
        self._main_screen.query_one(ControlPanel).rebuild(self.scenario, self.config)
        self._configure_map()
        self._changed()

    def action_add_lane(self) -> None:
        """A new lane with the selected lane's settings; the race starts over at step 0."""
        if not self._engine_there():
            return
        from playground.race import MAX_LANES, Race

        if self.race is not None and len(self.race.lanes) >= MAX_LANES:
            self._say(f"a race has at most {MAX_LANES} lanes: x removes the selected one")
            return
        if self.running:
            self._pause("paused")
        assert self.run_ is not None
        try:
            with self._step_lock:
                if self.race is None:
                    race = Race(self.scenario, [self.config, self.config], self.run_.start, compact=True)
                else:
                    race = self.race
                    race.add(self.config)
        except PlaygroundError as exc:
            self._say(str(exc))
            return
        n = len(race.lanes)
        self._enter_race(race, n - 1, f"lane {n} added with the same settings; every lane starts over together. Its settings are on the left")

    def action_remove_lane(self) -> None:
        race = self.race
        if race is None:
            self._say("one run, no race: a adds a lane; c races SGD, momentum, Nesterov and Adam")
            return
        index = self._lane_index()
        with self._step_lock:
            gone = race.remove(index)
        from playground.settings import describe

        if len(race.lanes) == 1:  # back to a single run: the one left
            if self.running:
                self._pause("paused")
            self.race = None
            self.run_ = race.lanes[0]
            self.config = self.run_.config
            self.message = f"removed lane {index + 1} ({describe(gone.config)}): one run left"
            self._main_screen.query_one(ControlPanel).rebuild(self.scenario, self.config)
            self._configure_map()
            self._changed()
            return
        self.message = f"removed lane {index + 1} ({describe(gone.config)}); {len(race.lanes)} lanes race on"
        self._select(min(index, len(race.lanes) - 1))

    def action_preset(self) -> None:
        """SGD vs momentum vs Nesterov vs Adam, from the same start (and seed)."""
        if not self._engine_there():
            return
        from playground.race import PRESET, Race
        from playground.settings import parse_run

        assert self.run_ is not None
        c = self.config
        extra = "" if self.scenario.kind == "surface" else f" loss={c.loss} seed={c.seed} batch_size={c.batch_size}"
        try:
            configs = [parse_run(self.scenario, text + extra, c.steps) for text in PRESET]
            race = Race(self.scenario, configs, self.run_.start, compact=True)
        except PlaygroundError as exc:
            self._say(str(exc))
            return
        if self.running:
            self._pause("paused")
        self._enter_race(race, 0, "SGD vs momentum vs Nesterov vs Adam from the same start: space runs them together")

    def action_select_lane(self, index: int) -> None:
        race = self.race
        if race is None:
            self._say("one run, no race: a adds a lane; c races SGD, momentum, Nesterov and Adam")
            return
        if not 0 <= index < len(race.lanes):
            self._say(f"the race has {len(race.lanes)} lanes: 1 to {len(race.lanes)} select one")
            return
        self.message = f"lane {index + 1} selected: the settings on the left are its own"
        self._select(index)

    @on(Scoreboard.Selected)
    def _lane_clicked(self, event: Scoreboard.Selected) -> None:
        self.action_select_lane(event.lane)

    @on(MapPlot.Clicked)
    def _map_clicked(self, event: MapPlot.Clicked) -> None:
        """A click on a surface's map: every lane starts there."""
        if self.scenario.surface is not None and len(self.screen_stack) == 1:
            self.move_start((event.x, event.y))

    def _carry_race(self, scenario: Scenario) -> str:
        """A new scenario: the same lanes on it, each at the scenario's learning rate for its
        optimizer. Returns what to add to the status message."""
        from playground.race import Race
        from playground.settings import describe, parse_run

        race = self.race
        assert race is not None
        texts = [" ".join(w for w in describe(lane.config).split() if not w.startswith("lr=")) for lane in race.lanes]
        index = self._lane_index()
        try:
            self.race = Race(scenario, [parse_run(scenario, t) for t in texts], compact=True)
        except PlaygroundError:
            self.race = None
            return " (the race's lanes do not fit this scenario: one run)"
        self.run_ = self.race.lanes[index]
        self.config = self.run_.config
        return f" · the {len(self.race.lanes)} lanes race here, each at this scenario's lr"

    # ------------------------------------------------------------ where to start (surfaces)

    def move_start(self, point: tuple[float, float]) -> None:
        """Start every lane at `point` (data coordinates), from step 0."""
        surface = self.scenario.surface
        if surface is None or not self._engine_there():
            return
        x, y = float(point[0]), float(point[1])
        value = surface.value(x, y)
        if not np.isfinite(value):
            self._say(f"the surface is not finite at ({x:.4g}, {y:.4g}): the start stays")
            return
        if self.running:
            self._pause("paused")
        racer = self._racer()
        assert racer is not None
        with self._step_lock:
            racer.reset((x, y))
        self.state = "paused"
        mine = (x, y) == tuple(surface.start)
        where = "the scenario's own start" if mine else "start"
        self.message = f"{where} ({x:.4g}, {y:.4g}), loss {value:.4g}: the run starts over from here" + ("" if mine else " · o: the original start")
        self._changed()

    def action_nudge(self, dx: int, dy: int) -> None:
        surface = self.scenario.surface
        if surface is None or self.run_ is None:
            return
        (x0, x1), (y0, y1) = surface.x, surface.y
        sx, sy = self.run_.start or surface.start
        x = min(max(sx + dx * (x1 - x0) * NUDGE, x0), x1)
        y = min(max(sy + dy * (y1 - y0) * NUDGE, y0), y1)
        self.move_start((x, y))

    def action_original_start(self) -> None:
        surface = self.scenario.surface
        if surface is None:
            self._say("a dataset's model starts from its seed: there is no start point to move")
            return
        self.move_start(surface.start)

    def action_lr(self, factor: float) -> None:
        lr = self.config.hyper.get("lr", 0.0) * factor
        self._edit_hyper("lr", lr)

    def action_speed(self, delta: int) -> None:
        self.speed_index = max(0, min(len(SPEEDS) - 1, self.speed_index + delta))
        self._changed()

    def action_log(self) -> None:
        curve = self._main_screen.query_one(LossCurve)
        curve.log_scale = not curve.log_scale
        self.message = "loss on a log scale" if curve.log_scale else "loss on a linear scale"
        self._changed()

    def action_info(self) -> None:
        from playground.screens.info_screen import InfoScreen

        self.push_screen(InfoScreen(self.scenario.kind, self.config))

    def action_internals(self) -> None:
        panel = self._main_screen.query_one(InternalsPanel)
        panel.display = not panel.display
        self.message = "inside the optimizer: shown (g hides it)" if panel.display else "inside the optimizer: hidden"
        self._changed()

    def _show_internals(self) -> None:
        """Only while the panel is shown: reading the Hessian and the state costs a little."""
        panel = self._main_screen.query_one(InternalsPanel)
        self._internals = None
        if not panel.display:
            return
        run = self.run_
        self._internals = Internals.read(run) if run is not None else None
        panel.show(self._internals, loading=self.engine_error is None)

    def _add_arrows(self, lines: list[Any], marks: list[Mark], point: tuple[float, float]) -> None:
        """While the inside-the-optimizer panel is shown: −g and the momentum's direction as
        short arrows from the current point on the map."""
        info = getattr(self, "_internals", None)
        if info is None or not info.surface:
            return
        plot = self._main_screen.query_one(MapPlot)
        width, height = plot.size
        aspect = 2 * height / width if width and height else 0.5  # a cell is about twice as tall as wide
        for a in arrows(info, point, plot.xlim, plot.ylim, aspect):
            colour = GRADIENT_COLOUR if a.name == "gradient" else MOMENTUM_COLOUR
            lines.append((list(a.xs), list(a.ys), colour))
            marks.append(Mark(a.xs[1], a.ys[1], a.glyph, colour))

    def action_sweep(self) -> None:
        from playground.screens.sweep_screen import SweepScreen

        if self.running:  # the sweep wants the cores; the run waits for it
            self._pause("paused")
            self.message = "paused for the sweep; space goes on"
        start = self.run_.start if self.run_ is not None else None
        self.push_screen(SweepScreen(self.scenario, self.config, start, ready=lambda: self.run_ is not None or self.engine_error is not None))

    def action_export(self) -> None:
        """Write the run (or every lane of a race) to a JSON or CSV file."""
        from playground.screens.save_screen import SaveScreen

        if self.run_ is None:
            self._say("nothing to export yet: the engine is still loading")
            return
        if self.running:  # what is written is what the name says: the run as it is now
            self._pause("paused")
            self.message = "paused for the export; space goes on"
            with getattr(self, "_step_lock", nullcontext()):  # the step under way, if any, ends
                pass
        race = self._race()
        who = "race" if race is not None else self.config.optimizer
        steps = race.step_count if race is not None else self.run_.step_count
        title = f"Export all {len(race.lanes)} lanes" if race is not None else f"Export the run ({steps} steps)"
        default = f"{self.scenario.name}-{who}-step{steps}.json"
        self.push_screen(SaveScreen(title, default, self._export_text, "a name ending in .json or .csv: the format follows it"), self._saved)

    def _race(self) -> Any:
        """The race, when the app has one with lanes (race mode); else None."""
        race = getattr(self, "race", None)
        return race if race is not None and getattr(race, "lanes", None) else None

    def _export_text(self, path: Path) -> str:
        from playground import report

        suffix = path.suffix.lower()
        if suffix not in (".json", ".csv"):
            raise PlaygroundError(f"{path.name}: end the name in .json or .csv, the format to write")
        race = self._race()
        runs = race.lanes if race is not None else [self.run_]
        with ExitStack() as held:  # a consistent picture while auto-run goes on
            for run in runs:
                held.enter_context(run.lock)
            if race is not None:
                return report.race_to_json(race) if suffix == ".json" else report.race_to_csv(race)
            return report.to_json(self.run_) if suffix == ".json" else report.to_csv(self.run_)

    def action_save_scenario(self) -> None:
        """Save the scenario with the current settings and start as a TOML file that
        `playground FILE` opens the same way."""
        from playground.scenario_file import to_toml
        from playground.screens.save_screen import SaveScreen

        scenario, config = self.scenario, self.config
        start = self.run_.start if self.run_ is not None else None
        default = f"{scenario.name}-{config.optimizer}.toml"
        hint = "playground FILE opens it with these settings: optimizer, hyperparameters, schedule, clipping, start"
        self.push_screen(SaveScreen("Save the settings as a scenario file", default, lambda path: to_toml(scenario, config, start), hint), self._saved)

    def _saved(self, path: Path | None) -> None:
        if path is not None:
            self._say(f"wrote {path}")

    def action_help(self) -> None:
        from playground.screens.help_screen import HelpScreen

        self.push_screen(HelpScreen())

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
        screen = self._main_screen
        opened = [select for select in screen.query(Select) if select.expanded]
        for select in opened:
            select.expanded = False
        screen.set_focus(opened[0] if opened else screen.query_one(MapPlot), scroll_visible=False)

    # ------------------------------------------------------------ stepping and auto-run

    @property
    def speed(self) -> str:
        s = SPEEDS[self.speed_index]
        return "max" if s is None else f"{s}/s"

    def _racer(self) -> Run | Race | None:
        """What space, s and r act on: the race (every lane, in lockstep) or the single run."""
        return self.race if self.race is not None else self.run_

    def _do_steps(self, n: int) -> None:
        racer = self._racer()
        assert racer is not None
        if not all_diverged(racer):
            with self._step_lock:
                racer.step(n)
        self.state = self._state_after_stop() or "paused"
        self._changed()

    def _state_after_stop(self) -> str | None:
        racer = self._racer()
        assert racer is not None
        stop = stop_state(racer)
        if stop is None:
            return None
        if all_diverged(racer):
            self.message = stop[1]
        return stop[0]

    def _start(self) -> None:
        racer = self._racer()
        assert racer is not None
        if all_diverged(racer):
            self._do_steps(0)
            return
        steps = max(lane.config.steps for lane in lanes_of(racer))
        budget = steps if racer.step_count < steps else None
        self.running = True
        self.state = "running"
        self.rate = None
        self._train = self._auto_run(budget)
        self._changed()

    def _pause(self, state: str) -> None:
        self.running = False
        self.workers.cancel_group(self, "train")
        self.state = state
        self.rate = None
        self._changed()

    @on(AutoRunEnded)
    def _auto_stopped(self, event: AutoRunEnded) -> None:
        state, message = event.state, event.message
        if not self.running or event.worker is not self._train:  # paused, or a newer run goes on
            return
        self.running = False
        event.worker.cancel()  # it has ended (or ends at its next step)
        self.state = state
        self.rate = None
        if message:
            self.message = message
        self._changed()

    @work(thread=True, exclusive=True, group="train", exit_on_error=False)
    def _auto_run(self, budget: int | None) -> None:
        worker = get_current_worker()
        run = self._racer()  # a race steps every lane still going, in lockstep
        assert run is not None
        lock = self._step_lock
        chunk = 1
        next_time = time.perf_counter()
        rate_time, rate_steps = next_time, run.step_count
        while not worker.is_cancelled:
            speed = SPEEDS[self.speed_index]
            n = chunk if speed is None else max(1, speed // 50)
            if budget is not None:
                n = min(n, budget - run.step_count)
                if n <= 0:
                    self.post_message(AutoRunEnded(worker, "paused", f"reached the budget of {budget} steps; space goes on"))
                    return
            t0 = time.perf_counter()
            # one step at a time, so a pause takes effect after the current step: while the UI
            # thread draws, a slice of a few steps can take 100+ ms waiting for the GIL
            for _ in range(n):
                with lock:
                    made = 0 if worker.is_cancelled else run.step(1)
                if not made:
                    break
            t1 = time.perf_counter()
            if speed is None:  # aim at slices of ~10 ms: short enough to pause at once
                chunk = max(1, min(chunk * 2, int(chunk * 0.01 / max(t1 - t0, 1e-6))))
            if t1 - rate_time >= 0.5:
                self.rate = (run.step_count - rate_steps) / (t1 - rate_time)
                rate_time, rate_steps = t1, run.step_count
            stop = stop_state(run)
            if stop is not None:
                self.post_message(AutoRunEnded(worker, *stop))
                return
            if speed is not None:
                next_time += n / speed
                now = time.perf_counter()
                if next_time < now - 0.25:  # fell behind: do not try to catch up
                    next_time = now
                while not worker.is_cancelled and (wait := next_time - time.perf_counter()) > 0:
                    time.sleep(min(wait, 0.02))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.running = False
            self.state = "paused"
            self.message = f"error: {type(error).__name__}: {error}".splitlines()[0][:200]
            self._changed()

    # ------------------------------------------------------------ settings

    @on(ControlPanel.Picked)
    def _picked(self, event: ControlPanel.Picked) -> None:
        if not self.is_running:  # shutting down: the panel is gone
            return
        if event.which == "scenario" and event.value != self.scenario.name:
            self.switch_scenario(event.value)
        elif event.which == "optimizer" and event.value != self.config.optimizer:
            self.switch_optimizer(event.value)
        elif event.which == "loss" and event.value != self.config.loss:
            self.switch_loss(event.value)
        elif event.which == "schedule" and event.value != self.config.schedule:
            self.switch_schedule(event.value)

    @on(ControlPanel.Edited)
    def _edited(self, event: ControlPanel.Edited) -> None:
        if not self.is_running:  # shutting down: a field blurred as the screen closed
            return
        name, value = event.name, event.value
        if name in ("batch_size", "seed", "steps"):
            self._edit_run_field(name, value)
            return
        if name == "clip":
            self._edit_clip(str(value))
            return
        if name.startswith(SCHEDULE_PREFIX):
            self._edit_schedule_param(name.removeprefix(SCHEDULE_PREFIX), str(value))
            return
        spec = get_optimizer(self.config.optimizer)
        try:
            hyper = spec.hyper_named(name)
            parsed = value if isinstance(value, bool) else hyper.parse(str(value))
        except (ValueError, ConfigError) as exc:
            self._main_screen.query_one(ControlPanel).show_error(name, str(getattr(exc, "message", exc)))
            return
        self._edit_hyper(name, parsed)

    def _edit_hyper(self, name: str, value: Any) -> None:
        panel = self._main_screen.query_one(ControlPanel)
        spec = get_optimizer(self.config.optimizer)
        try:
            hyper = spec.validate({**self.config.hyper, name: value})
        except ConfigError as exc:
            panel.show_error(name, exc.message)
            if name == "nesterov":
                panel.show_value("nesterov", self.config.hyper.get("nesterov"))
                panel.show_error(name, exc.message)
            return
        self._apply(replace(self.config, hyper=hyper))
        panel.config = self.config
        panel.show_value(name, hyper[name])
        panel.update_nesterov()

    def _edit_run_field(self, name: str, value: str | bool) -> None:
        panel = self._main_screen.query_one(ControlPanel)
        try:
            number = int(str(value).strip())
        except ValueError:
            panel.show_error(name, f"{str(value).strip()!r} is not a whole number")
            return
        low = 1 if name == "steps" else 0
        if not low <= number <= (scenarios.MAX_STEPS if name == "steps" else 2**32 - 1):
            panel.show_error(name, f"must be a whole number >= {low}")
            return
        if getattr(self.config, name) == number:
            panel.show_error(name, "")
            return
        if name == "seed" and self.running:
            self._pause("paused")
        self._apply(replace(self.config, **{name: number}))
        panel.config = self.config
        panel.show_value(name, number)

    def _edit_clip(self, text: str) -> None:
        panel = self._main_screen.query_one(ControlPanel)
        try:
            clip = float(text.strip() or "0")
        except ValueError:
            panel.show_error("clip", f"{text.strip()!r} is not a number")
            return
        if not (np.isfinite(clip) and clip >= 0):
            panel.show_error("clip", "must be a number >= 0 (0 = no clipping)")
            return
        self._apply(replace(self.config, clip=clip))
        panel.config = self.config
        panel.show_value("clip", clip)

    def switch_schedule(self, name: str) -> None:
        """Another lr schedule, with its default parameters: it starts from the current step."""
        spec = get_schedule(name)
        self._apply(replace(self.config, schedule=spec.name, schedule_params=spec.validate({})))
        self._main_screen.query_one(ControlPanel).show_schedule(self.config)

    def _edit_schedule_param(self, name: str, text: str) -> None:
        panel = self._main_screen.query_one(ControlPanel)
        field = SCHEDULE_PREFIX + name
        spec = get_schedule(self.config.schedule)
        try:
            value = spec.param_named(name).parse(text)
            params = spec.validate({**self.config.schedule_params, name: value})
        except (ValueError, ConfigError) as exc:
            panel.show_error(field, str(getattr(exc, "message", exc)))
            return
        self._apply(replace(self.config, schedule_params=params))
        panel.config = self.config
        panel.show_value(field, params[name])

    def _apply(self, config: RunConfig) -> None:
        race = self.race
        if race is not None and self.run_ is not None and config.seed != self.run_.config.seed:
            # a race runs every lane from the same seed: a new one restarts them all together
            with self._step_lock:
                for lane in race.lanes:
                    lane.apply(replace(config if lane is self.run_ else lane.config, seed=config.seed))
                race.reset()
            self.config = self.run_.config
            self.message = f"seed {config.seed}: every lane started over"
            self._changed()
            return
        if self.run_ is not None:
            message = self.run_.apply(config)
            self.config = self.run_.config
        else:
            message = ""
            self.config = config
        if message:
            self.message = message
        self._changed()

    def switch_optimizer(self, name: str) -> None:
        try:
            config = resolve(self.scenario, optimizer=name, loss=self.config.loss, seed=self.config.seed, batch_size=self.config.batch_size, steps=self.config.steps)
        except ConfigError as exc:
            self.message = f"{name}: {exc}"
            self._changed()
            return
        # the schedule and the clipping belong to the run, not to the optimizer: keep them
        config = replace(config, schedule=self.config.schedule, schedule_params=self.config.schedule_params, clip=self.config.clip)
        self._apply(config)
        self._main_screen.query_one(ControlPanel).rebuild(self.scenario, self.config)

    def switch_loss(self, name: str) -> None:
        if self.scenario.kind == "surface":
            return
        self._apply(replace(self.config, loss=name))
        self._main_screen.query_one(ControlPanel).rebuild(self.scenario, self.config)

    def switch_scenario(self, name: str) -> None:
        try:
            scenario = scenarios.load(self._paths.get(name, name))
            config = resolve(scenario)
        except PlaygroundError as exc:
            self.message = str(exc)
            self._main_screen.query_one(ControlPanel).rebuild(self.scenario, self.config)
            self._changed()
            return
        if self.running:
            self._pause("paused")
        self.scenario, self.config = scenario, config
        self._paths.setdefault(scenario.name, scenario.source)
        note = ""
        if self.run_ is not None and self.race is not None:
            note = self._carry_race(scenario)
        if self.run_ is not None and self.race is None:
            from playground.engine import Run

            try:
                self.run_ = Run(scenario, config, compact=True)
            except PlaygroundError as exc:
                self.message = str(exc)
        config = self.config if self.race is not None else config
        self.config = config
        self.state = "paused"
        self.message = f"{scenario.title}: {scenario.description}{note}"
        self._main_screen.query_one(ControlPanel).rebuild(scenario, config)
        self._configure_map()
        self._changed()

    def palette_commands(self) -> list[tuple[str, str, Any]]:
        out: list[tuple[str, str, Any]] = []
        for name in self._paths:
            out.append((f"Scenario: {name}", "switch scenario (starts over)", lambda n=name: self.switch_scenario(n)))
        for spec in OPTIMIZERS.values():
            out.append((f"Optimizer: {spec.torch_name}", spec.summary, lambda n=spec.name: self._palette_optimizer(n)))
        for spec in LOSSES.get(self.scenario.kind, {}).values():
            out.append((f"Loss: {spec.torch_name}", spec.summary, lambda n=spec.name: self._palette_loss(n)))
        out += [
            ("Run / pause", "space", self.action_toggle_run),
            ("Step", "s", self.action_step),
            ("Reset", "r", self.action_reset),
            ("Toggle log scale", "l", self.action_log),
            ("Compare: SGD vs momentum vs Nesterov vs Adam", "c: four lanes from the same start", self.action_preset),
            ("Add a lane with the selected lane's settings", "a", self.action_add_lane),
            ("Remove the selected lane", "x", self.action_remove_lane),
            ("Original start point", "o", self.action_original_start),
            ("Inside the optimizer: gradient, state, curvature", "g", self.action_internals),
            ("Learning-rate sweep", "w", self.action_sweep),
            ("Export the run (JSON or CSV)", "e", self.action_export),
            ("Save the settings as a scenario file", "ctrl+s", self.action_save_scenario),
            ("Explain optimizer and loss", "i", self.action_info),
            ("Keys and help", "?", self.action_help),
        ]
        return out

    def _palette_optimizer(self, name: str) -> None:
        if name != self.config.optimizer:
            self.switch_optimizer(name)

    def _palette_loss(self, name: str) -> None:
        if name != self.config.loss:
            self.switch_loss(name)

    # ------------------------------------------------------------ drawing

    def _configure_map(self) -> None:
        plot = self._main_screen.query_one(MapPlot)
        s = self.scenario
        plot.border_title = f"{s.title}"
        curve = self._main_screen.query_one(LossCurve)
        curve.border_title = "loss"
        curve.border_subtitle = "orange: loss  cyan: accuracy (right axis)" if s.kind == "classification" else "vertical lines: a setting changed"
        if s.surface is not None:
            plot.configure(s.surface.x, s.surface.y, surface_background(s), HEAT)
            plot.border_subtitle = "○ start  ● now  × minimum"
        else:
            xlim, ylim = self._points().bounds()
            run = self.run_
            if s.kind == "classification":
                background = (lambda xs, ys: run.predict_grid(xs, ys)) if run is not None else None
                plot.configure(xlim, ylim, background, CLASS_DIM)
                plot.border_subtitle = "● train  × test  (colour: predicted class)"
            else:
                plot.configure(xlim, ylim, None, HEAT)
                plot.border_subtitle = "● data  line: the model's fit"
        if self.race is not None:  # the scoreboard is the legend of both plots
            curve.border_subtitle = "each lane's loss in its colour (scoreboard)"
            if s.surface is not None:
                plot.border_subtitle = "○ start  ● each lane now  × minimum"
            elif s.kind == "classification":
                plot.border_subtitle = f"● train  × test  (colour: lane {self._lane_index() + 1}'s predicted class)"
            else:
                plot.border_subtitle = "● data  lines: each lane's fit, in its colour"

    def _points(self) -> Points:
        """The dataset's points: the run's, or (before torch is loaded) made here with numpy."""
        if self.run_ is not None and self.run_.points is not None:
            return self.run_.points
        if self._early_points is None or self._early_points[0] is not self.scenario:
            self._early_points = (self.scenario, self.scenario.points())
        return self._early_points[1]

    def _data_marks(self, pts: Points) -> list[Mark]:
        """Training points as dots and test points as crosses, coloured by class (or by split).
        The same list for the same points: the map then sees at once that they did not move."""
        cached = getattr(self, "_marks_of", None)
        if cached is not None and cached[0] is pts:
            return cached[1]
        self._marks_of = (pts, self._make_data_marks(pts))
        return self._marks_of[1]

    def _make_data_marks(self, pts: Points) -> list[Mark]:
        if pts.kind == "classification":
            def colour(c: int) -> tuple[int, int, int]:
                return CLASS_BRIGHT[int(c) % len(CLASS_BRIGHT)]

            marks = [Mark(float(a), float(b), "●", colour(c), False) for (a, b), c in zip(pts.train_x, pts.train_y)]
            return marks + [Mark(float(a), float(b), "×", colour(c)) for (a, b), c in zip(pts.test_x, pts.test_y)]
        marks = [Mark(float(a[0]), float(b), "●", CLASS_BRIGHT[1], False) for a, b in zip(pts.train_x, pts.train_y)]
        return marks + [Mark(float(a[0]), float(b), "×", CLASS_BRIGHT[0]) for a, b in zip(pts.test_x, pts.test_y)]

    def _changed(self) -> None:
        """After a key or a setting: the status line now, the plots at the next frame, so a
        burst of keys costs one plot rebuild per frame, not one per key."""
        self._dirty = True
        if self.screen_stack and not self._exit and self.is_running:
            self._show_status()

    def _tick(self) -> None:
        self._redraw(force=self._dirty)

    def _redraw(self, force: bool = False) -> None:
        if not self.screen_stack or self._exit or not self.is_running:  # not while shutting down
            return
        run = self.run_
        steps = run.history.steps if run is not None else 0
        race = self.race
        key = (id(run), steps, run.diverged_at if run else None, self.running, id(race), race.step_count if race else None, len(race.lanes) if race else 0)
        if not force and key == self._drawn:
            if self.running:
                self._show_status()
            return
        self._drawn = key
        self._dirty = False
        self.frames += 1
        with self.batch_update():
            self._show_status()
            self._show_internals()  # first: the map draws its arrows from what it read
            self._draw_plots()

    def _show_status(self) -> None:
        run = self.run_
        status = self._main_screen.query_one(StatusLine)
        if run is None:
            loss = self.scenario.surface.value(*self.scenario.surface.start) if self.scenario.surface else None
            queued = f" · {len(self._queued)} key(s) queued" if self._queued else ""
            state = "engine failed" if self.engine_error else f"loading torch…{queued}"
            status.show(0, loss, None, self.config.hyper.get("lr"), state, self.speed, None, self.message)
            return
        h = run.history
        acc = h.accuracy.last() if h.accuracy is not None and len(h.accuracy) else None
        race = self.race
        self._show_race()
        status.show(
            h.steps,
            h.loss.last(),
            h.grad_norm.last(),
            run.lr,
            self.state,
            self.speed,
            self.rate if self.running else None,
            self.message if race is None else f"lane {self._lane_index() + 1} of {len(race.lanes)} · {self.message}",
            acc,
        )

    def _show_race(self) -> None:
        """The scoreboard: shown in a race only, one row per lane in the lane's colour."""
        board = self._main_screen.query_one(Scoreboard)
        race = self.race
        if board.display != (race is not None):
            board.display = race is not None
        if race is None:
            return
        rows = [Row(sc.label, LANE_COLOURS[sc.lane % len(LANE_COLOURS)], sc.final_loss, sc.reached_at, sc.diverged_at) for sc in race.scores()]
        target, tol = race.tolerance()
        board.show(rows, self._lane_index(), f"reached: loss ≤ {target + tol:.3g}")

    def _draw_race(self, plot: MapPlot, curve: LossCurve) -> None:
        """Every lane in its colour: paths (surfaces) or fits (regression) on the map, the
        selected lane drawn last so that it is on top; the selected lane's predictions as the
        map's colours (classification); each lane's loss in the loss curve. The plots take
        turns while running, as in _draw_plots."""
        race, run = self.race, self.run_
        assert race is not None and run is not None
        s = self.scenario
        selected = self._lane_index()
        order = [i for i in range(len(race.lanes)) if i != selected] + [selected]
        colour = [LANE_COLOURS[i % len(LANE_COLOURS)] for i in range(len(race.lanes))]
        h = run.history
        curve_first = getattr(self, "_curve_first", False)
        self._curve_first = not curve_first
        events = [step for step, _ in h.events]
        losses = [(race.lanes[i].history.loss, colour[i]) for i in order]
        drawn = curve.show_lanes(losses, events, lr=h.lr) if curve_first else False
        hold = self.running and drawn
        if s.surface is not None:
            lines: list[Any] = []
            nows: list[Mark] = []
            for i in order:
                xs, ys = lane_path(race.lanes[i])
                lines.append((xs, ys, colour[i]))
                if len(xs):
                    nows.append(Mark(float(xs[-1]), float(ys[-1]), "●", colour[i]))
            sx, sy = run.start or s.surface.start
            marks = [Mark(mx, my, "×", MINIMUM) for mx, my in s.surface.minima]
            marks = [*marks, *nows, Mark(sx, sy, "○", START)]  # the start on top: every lane leaves from it
            if nows:
                self._add_arrows(lines, marks, (nows[-1].x, nows[-1].y))
            drawn = plot.show(lines, marks, hold=hold) or drawn
        elif run.points is not None:
            marks = self._data_marks(run.points)
            if s.kind == "classification":
                drawn = plot.show([], marks, version=(id(run), h.steps), hold=hold) or drawn
            else:
                grid = np.linspace(*plot.xlim, 200)
                fits = [(grid, race.lanes[i].predict_grid(grid, grid), colour[i]) for i in order]
                drawn = plot.show(fits, marks, hold=hold) or drawn
        if not curve_first:
            curve.show_lanes(losses, events, hold=self.running and drawn, lr=h.lr)

    def _draw_plots(self) -> None:
        run = self.run_
        plot = self._main_screen.query_one(MapPlot)
        curve = self._main_screen.query_one(LossCurve)
        s = self.scenario
        if run is None:
            if s.surface is not None:
                x, y = s.surface.start
                plot.show([], self._surface_marks(x, y, x, y))
            else:
                plot.show([], self._data_marks(self._points()))
            return
        if self.race is not None:
            self._draw_race(plot, curve)
            return
        h = run.history
        # While auto-running, plotext builds at most one plot a frame: the plots take turns at
        # going first, and the second waits for the next frame if the first is drawn again.
        # Each plot still follows at half the frame rate or better; paused, both draw at once.
        curve_first = getattr(self, "_curve_first", False)
        self._curve_first = not curve_first
        acc = h.accuracy  # history columns: the curve thins them without copying a long run
        events = [step for step, _ in h.events]
        drawn = curve.show(h.loss, acc, events, lr=h.lr) if curve_first else False
        hold = self.running and drawn
        if s.surface is not None:
            xs, ys = lane_path(run)
            sx, sy = run.start or s.surface.start
            cx, cy = (float(xs[-1]), float(ys[-1])) if len(xs) else (sx, sy)
            lines, marks = [(xs, ys, PATH)], self._surface_marks(sx, sy, cx, cy)
            self._add_arrows(lines, marks, (cx, cy))
            drawn = plot.show(lines, marks, hold=hold) or drawn
        elif run.points is not None:
            marks = self._data_marks(run.points)
            if s.kind == "classification":
                drawn = plot.show([], marks, version=(id(run), h.steps), hold=hold) or drawn
            else:
                grid = np.linspace(*plot.xlim, 200)
                fit = run.predict_grid(grid, grid)
                drawn = plot.show([(grid, fit, CLASS_BRIGHT[3])], marks, hold=hold) or drawn
        if not curve_first:
            curve.show(h.loss, acc, events, hold=self.running and drawn, lr=h.lr)

    def _surface_marks(self, sx: float, sy: float, cx: float, cy: float) -> list[Mark]:
        s = self.scenario.surface
        assert s is not None
        marks = [Mark(mx, my, "×", MINIMUM) for mx, my in s.minima]
        marks.append(Mark(sx, sy, "○", START))
        marks.append(Mark(cx, cy, "●", NOW))
        return marks

    def _say(self, message: str) -> None:
        self.message = message
        self._changed()


def lane_path(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """A surface run's path as drawn: at most PATH_POINTS points, the finite ones."""
    xs, ys = run.history.path(PATH_POINTS)  # spread along the whole run, without copying it
    finite = np.isfinite(xs) & np.isfinite(ys)
    return xs[finite], ys[finite]


def lanes_of(racer: Run | Race) -> list[Run]:
    return list(getattr(racer, "lanes", [racer]))


def all_diverged(racer: Run | Race) -> bool:
    return all(lane.diverged for lane in lanes_of(racer))


def stop_state(run: Run | Race) -> tuple[str, str] | None:
    """(state, why) for a run, or a race, that auto-run must stop, or None: the one wording of
    both. A race stops when every lane has diverged or converged."""
    if hasattr(run, "lanes"):
        going = [lane for lane in run.lanes if not lane.diverged]
        if not going:
            return "every lane diverged", "every lane diverged; press r to reset"
        if all(lane.converged for lane in going):
            return "converged", "every lane converged (or diverged)"
        return None
    if run.diverged:
        return f"diverged at step {run.diverged_at}", f"{run.stop_reason}; press r to reset"
    if run.converged:
        return "converged", "the gradient norm fell below the tolerance"
    return None


def surface_background(scenario: Scenario):  # noqa: ANN201
    """(xs, ys) -> palette indices of the surface's height, on a log scale where it spans decades."""
    surface = scenario.surface
    assert surface is not None
    levels = len(HEAT)

    def background(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        gx, gy = np.meshgrid(xs, ys)
        with np.errstate(all="ignore"):
            z = np.broadcast_to(np.asarray(surface.formula.numpy(gx, gy), dtype=float), gx.shape)
            finite = np.isfinite(z)
            if not finite.any():
                return np.zeros(gx.shape, dtype=int)
            q = z - z[finite].min()
            span = float(q[finite].max())
            use_log = surface.levels == "log" or (surface.levels == "auto" and span > 100 * max(float(np.median(q[finite])), 1e-12))
            if use_log:
                q = np.log10(q + max(span, 1e-12) * 1e-6)
            lo, hi = np.percentile(q[finite], [0, 99])
            v = (q - lo) / max(hi - lo, 1e-12)
            v = np.where(finite, v, 1.0)
        return np.clip((v * (levels - 1)).round(), 0, levels - 1).astype(int)

    return background


def main(scenario: Scenario) -> None:
    PlaygroundApp(scenario).run()

