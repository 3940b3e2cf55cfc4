"""The main screen: the settings on the left, the map, the scoreboard and the loss curve on the
right, the status line and the footer below. It draws a Session and hands it what the person
did in the settings panel and on the plots; a timer redraws about 20 times a second, only when
the session has moved on.

While auto-running, plotext builds at most one plot a frame: the plots take turns at going
first, and the second waits for the next frame if the first was drawn again. Each plot still
follows at half the frame rate or better; paused, both draw at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from textual import events, on
from textual.binding import Binding
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Footer, Select, Static

from playground import scenarios
from playground.keys import with_keys
from playground.formatting import first_fitting
from playground.datasets import Points
from playground.scenarios import Scenario
from playground.session import Session
from playground.settings import setting
from playground.widgets.confusion_matrix import ConfusionMatrix
from playground.widgets.controls import ControlPanel
from playground.screens.map_scene import LANE_COLOURS, NOW, START, data_marks, landscape_scene, landscape_subtitle, map_legend, minima, plane_background, surface_background, surface_scene
from playground.widgets.inside_panel import GRADIENT_COLOUR, MOMENTUM_COLOUR, Inside, InsidePanel, arrows
from playground.widgets.key_footer import KeyFooter
from playground.widgets.lesson_panel import LessonPanel
from playground.widgets.loss_curve import LossCurve
from playground.widgets.map_plot import CLASS_BRIGHT, CLASS_DIM, HEAT, MapPlot, Mark
from playground.tuning import over_seeds, verdict_text
from playground.widgets.scoreboard import Row, Scoreboard
from playground.widgets.status_line import StatusLine
from playground.widgets.plain_text import border_room, plain


FRAME_SECONDS = 1 / 20
MIN_WIDTH, MIN_HEIGHT = 60, 16
NARROW_WIDTH, SHORT_HEIGHT = 100, 30  # below these the panels close up
STATUS_AND_FOOTER, LOSS_MIN, MAP_MIN = 3, 8, 11  # rows: below MAP_MIN a map is a few rows of dots
STATUS = 2  # rows: the status line without the footer (presenter mode)
RACE_MAP_MIN, RACE_LOSS_MIN = 7, 7  # rows a race's map keeps before its loss curve gives way, and the curve's (5 between the borders)
LESSON_MIN = 10  # rows a lesson keeps before the loss curve gives way to it
LESSON_SHARE, LESSON_SHARE_PRESENTING = 0.5, 0.6  # the most of the column a lesson takes where there is room
NARROW_CONTROLS = 26  # the settings panel's width in a narrow terminal (34 in app.tcss otherwise)


class MainScreen(Screen[None]):
    # presenter mode: tab brings the settings and the footer back (then it moves the focus again)
    BINDINGS = [Binding("tab", "stop_presenting", show=False, priority=True)]
    # the focus starts on the settings' first field, once they are there (ControlPanel.fill)
    AUTO_FOCUS = "#controls *"

    def __init__(self, session: Session, present: bool = False) -> None:
        super().__init__()
        self.session = session
        self.presenting = present  # for a projector: the plots and a lesson's text fill the screen
        self.frames = 0  # redraws made, for the benchmark's frame rate
        self._drawn: tuple[Any, ...] | None = None
        self._layout: int | None = None
        self._shape: tuple[bool, bool] | None = None  # (narrow, short) as last laid out
        self._curve_first = False
        self._early_points: tuple[Scenario, Points] | None = None
        self._marks_of: tuple[Points, list[Mark]] | None = None
        self._inside: Inside | None = None
        self._composed = False
        self._fitted_lanes = 0  # the lanes the layout was last fitted to (fit_plots)
        self._map_plot: MapPlot | None = None  # found once composed (its size is in the redraw key)
        self._plane_shown: object = None  # (mode, plane) the map was last configured for

    def compose(self) -> ComposeResult:
        s = self.session
        with Horizontal(id="main"):
            yield ControlPanel(scenarios.list_entries(), s.scenario, s.config, id="controls")
            with Vertical(id="plots"):
                yield LessonPanel(id="lesson")
                yield MapPlot(id="map")
                yield ConfusionMatrix(id="confusion")
                yield Scoreboard(id="scoreboard")
                yield LossCurve(id="loss")
            yield InsidePanel(id="inside")
        yield Static(f"The terminal is too small: make it at least {MIN_WIDTH} x {MIN_HEIGHT}.", id="too-small")
        yield StatusLine(id="status")
        yield KeyFooter(id="footer") if KeyFooter.available() else Footer(id="footer")

    def on_mount(self) -> None:
        self._composed = True  # the widgets are there: sync and redraw may reach them
        if self.presenting:
            self._present(True)
        if self.session.lesson is not None:  # the lesson's keys (arrows, enter) to the playground, not to a picker
            self.query_one(MapPlot).focus()
        self._layout = self.session.layout
        self.query_one(ControlPanel).rebuild(self.session.scenario, self.session.config)  # as it is now, for its fill
        self.configure_map()
        self.fit_layout(self.app.size)
        self.redraw(force=True)
        self.set_interval(FRAME_SECONDS, self._tick)

    def _present(self, on: bool) -> None:
        """Presenter mode: no settings panel and no footer; a lesson's text stands out."""
        self.presenting = on
        self.query_one("#footer").display = not on
        self.query_one(LessonPanel).set_class(on, "-present")
        self.fit_plots()

    def action_stop_presenting(self) -> None:
        if not self.presenting:  # tab as always: the next setting
            self.focus_next()
            return
        self.toggle_presenting()

    def toggle_presenting(self) -> None:
        """Presenter mode on or off (f, the palette; tab leaves it)."""
        on = not self.presenting
        if on and self.app.focused is not None and self.app.focused not in self.query(MapPlot):
            self.query_one(MapPlot).focus()  # the settings go: no hidden field keeps the keys
        self._present(on)
        self.session.say("presenter mode: the plots fill the screen; f or tab brings the settings and the keys back" if on else "presenter mode off: the settings and the keys are back")

    def on_resize(self, event: events.Resize) -> None:
        self.fit_layout(event.size)

    def fit_layout(self, size: Size) -> None:
        w, h = size
        main = self.query_one("#main")
        shape = (w < NARROW_WIDTH, h < SHORT_HEIGHT)
        if shape != self._shape:
            # Inline widths and classes on single widgets: a class on #main would restyle every
            # widget under it, about 0.1 s on each resize
            self._shape = narrow, short = shape
            controls = self.query_one(ControlPanel)
            controls.styles.width = NARROW_CONTROLS if narrow else None
            controls.fit(short)
            self.query_one(InsidePanel).set_class(narrow, "-narrow")
            self.query_one(LossCurve).set_class(short, "-short")
            self.query_one(Scoreboard).set_class(short, "-short")
        self.fit_plots()
        tiny = w < MIN_WIDTH or h < MIN_HEIGHT
        if tiny and main.display:
            # nothing hidden may keep the keys: close open dropdowns and drop the focus
            for select in main.query(Select):
                select.expanded = False
            self.set_focus(None)
        main.display = not tiny
        self.query_one("#too-small").display = tiny

    def fit_plots(self) -> None:
        """Give the map room where there is little: in a narrow terminal the optimizer's insides
        (g) take the settings panel's place; in a short one a lesson gives way to the map (its text
        scrolls) and then the loss curve does; a race keeps its loss curve above a tiny map."""
        w, h = self.app.size
        inside = self.query_one(InsidePanel)
        controls = self.query_one(ControlPanel)
        keep_controls = not self.presenting and not (inside.display and w < NARROW_WIDTH)
        if controls.display != keep_controls:
            if not keep_controls and self.focused is not None and controls in self.focused.ancestors:
                self.set_focus(None)
            controls.display = keep_controls
        curve, lesson = self.query_one(LossCurve), self.query_one(LessonPanel)
        rows = h - (STATUS if self.presenting else STATUS_AND_FOOTER)  # the plots' column
        if self.session.racing:
            rows -= (0 if h < SHORT_HEIGHT else 2) + 1 + len(self.session.lanes)  # the scoreboard
        show_curve = True
        if lesson.display:
            # the lesson gives way first: the map keeps MAP_MIN rows, the loss curve its own
            # while the lesson keeps LESSON_MIN, and the lesson's text scrolls in what is left
            room = rows - MAP_MIN
            show_curve = room - LOSS_MIN >= LESSON_MIN
            share = LESSON_SHARE_PRESENTING if self.presenting else LESSON_SHARE
            lesson.styles.max_height = max(3, min(int(rows * share), room - (LOSS_MIN if show_curve else 0)))
        elif self.session.racing:
            show_curve = rows - RACE_LOSS_MIN >= RACE_MAP_MIN  # the loss curve before a bigger map
        # a short race's loss curve takes no more than its 5 rows between the borders: the map the rest
        curve.styles.min_height = RACE_LOSS_MIN if self.session.racing and rows - LOSS_MIN < MAP_MIN else None
        if curve.display != show_curve:
            curve.display = show_curve

    # ------------------------------------------------------------ what the person did here

    @on(ControlPanel.Picked)
    def _picked(self, event: ControlPanel.Picked) -> None:
        self.session.pick(event.which, event.value)

    @on(ControlPanel.Edited)
    def _edited(self, event: ControlPanel.Edited) -> None:
        if not self.app.is_running:  # shutting down: a field blurred as the screen closed
            return
        session, panel = self.session, self.query_one(ControlPanel)
        name = event.name
        error = session.edit(name, event.value)
        if error is None:
            panel.config = session.config
            panel.show_value(name, field_value(session, name))
            panel.update_nesterov()
        else:
            if name == "nesterov":  # a switch cannot stay in a state that was refused
                panel.show_value(name, session.config.hyper.get("nesterov"))
            panel.show_error(name, error, reveal=True)  # the reason under the field, in sight
        self.sync()

    @on(Scoreboard.Selected)
    def _lane_clicked(self, event: Scoreboard.Selected) -> None:
        self.session.select_lane(event.lane)

    @on(MapPlot.Clicked)
    def _map_clicked(self, event: MapPlot.Clicked) -> None:
        """A click on a surface's map: every lane starts there."""
        if self.session.scenario.surface is not None and self.app.screen is self:
            self.session.move_start((event.x, event.y))

    # ------------------------------------------------------------ following the session

    def sync(self) -> None:
        """After a key or a setting: the settings panel and the status line now, the plots at
        the next frame, so a burst of keys costs one plot rebuild per frame, not one per key."""
        if not self._composed or not self.app.is_running:
            return
        s = self.session
        panel = self.query_one(ControlPanel)
        if s.layout != self._layout:
            self._layout = s.layout
            panel.rebuild(s.scenario, s.config)
            self.configure_map()
        elif panel.config is not s.config:
            panel.rebuild(s.scenario, s.config)
        if self._plane_key() != self._plane_shown:
            self.configure_map()
        self.show_status()

    def _tick(self) -> None:
        self.sync()
        self.redraw()

    def _plane_key(self) -> object:
        view = self.session.landscape
        return (view.mode, id(view.found), view.progress is not None, view.error) if view.shown else None

    def _key(self) -> tuple[object, ...]:
        s = self.session
        run = s.run
        # the map's size too: the arrows of the optimizer's insides are drawn for its shape
        return (s.version, run.history.steps if run is not None else 0, s.step_count, len(s.lanes), id(run), s.running, self._map_size(), self._plane_key(), s.landscape.progress)

    def _map_size(self) -> object:
        plot = self._map_plot
        if plot is None:
            found = self.query("#map")
            if not found:
                return None
            plot = self._map_plot = found.first()
        return plot.size

    @property
    def caught_up(self) -> bool:
        """The screen shows the session as it is now (tests wait for this)."""
        return self._drawn == self._key()

    def redraw(self, force: bool = False) -> None:
        if not self._composed or not self.app.is_running:  # not before the widgets, nor while shutting down
            return
        key = self._key()
        if not force and key == self._drawn:
            if self.session.running:
                self.show_status()
            return
        self._drawn = key
        self.frames += 1
        with self.app.batch_update():
            self.show_status()
            self._show_inside()  # first: the map draws its arrows from what it read
            self._draw_plots()

    # ------------------------------------------------------------ drawing

    def configure_map(self) -> None:
        s, session = self.session.scenario, self.session
        plot, curve = self.query_one(MapPlot), self.query_one(LossCurve)
        plot.border_title = plain(s.title)
        curve.border_title = "loss"
        racing = session.racing
        curve.caption(self._curve_caption(), s)
        self._plane_shown = self._plane_key()
        confusion = self.query_one(ConfusionMatrix)
        if s.surface is None and session.landscape.shown:
            plot.display, confusion.display = True, False
            self._configure_landscape(plot)
            return
        # a dataset of more than two columns has no plane to draw: the confusion matrix takes the map's place
        tabular = s.surface is None and self._points().features > 2
        plot.display, confusion.display = not tabular, tabular
        if s.surface is not None:
            plot.configure(s.surface.x, s.surface.y, surface_background(s), HEAT)
            plot.border_subtitle = map_legend(racing, False, bool(s.surface.minima))
            return
        points = self._points()
        columns = points.feature_names
        if tabular:
            lane = f" (lane {session.lane_index + 1})" if racing else ""
            confusion.border_title = plain(f"{s.title}: {points.features} columns, no map · confusion matrix{lane}")
            return
        if columns != ("x", "y"):  # a real set's two columns
            plot.border_title = plain(first_fitting([f"{s.title} · x: {columns[0]} · y: {columns[1]}", f"x: {columns[0]} · y: {columns[1]}", s.title], border_room(plot)))
        xlim, ylim = points.bounds()
        run = session.run
        if s.kind == "classification":
            background = (lambda xs, ys: run.predict_grid(xs, ys)) if run is not None else None
            plot.configure(xlim, ylim, background, CLASS_DIM)
            plot.border_subtitle = f"● train  × test  (colour: lane {session.lane_index + 1}'s predicted class)" if racing else "● train  × test  (colour: predicted class)"
        else:
            plot.configure(xlim, ylim, None, HEAT)
            plot.border_subtitle = "● data  lines: each lane's fit, in its colour" if racing else "● data  line: the model's fit"

    def _curve_caption(self) -> tuple[str, ...]:
        """What the loss panel's lines mean, the fullest first (the panel says what fits)."""
        session = self.session
        if session.racing:  # the scoreboard is the legend of both plots
            return ("each lane's loss in its colour (scoreboard)", "lane colours: scoreboard")
        run = session.run
        if run is not None and run.sharpness is not None:
            return ("orange: loss  red: sharpness, white: 2/lr (right axis)", "orange loss, red sharpness, white 2/lr", "red sharpness, white 2/lr")
        if session.scenario.kind == "classification":
            return ("orange: loss  cyan: accuracy (right axis)", "orange loss, cyan accuracy")
        return ("vertical lines: a setting changed", "│ a setting changed")

    def _configure_landscape(self, plot: MapPlot) -> None:
        """The map area as the loss landscape: the plane's losses as colours (log scale), its
        coefficients along d1 across and d2 up, the current weights at the centre."""
        view, s = self.session.landscape, self.session.scenario
        found = view.found
        if found is None:
            plot.configure((-1.0, 1.0), (-1.0, 1.0), None, HEAT)
            plot.border_title = plain(f"{s.title} · loss landscape")
            plot.border_subtitle = landscape_subtitle(view, False, border_room(plot))
            return
        span = found.span
        plot.configure((-span, span), (-span, span), plane_background(found), HEAT)
        shares = f" ({found.explained_variance[0]:.0%} + {found.explained_variance[1]:.0%} of the path)" if found.explained_variance else ""
        plot.border_title = plain(f"{s.title} · loss landscape at step {found.step} · {found.directions} directions{shares}")
        plot.border_subtitle = landscape_subtitle(view, not view.current(self.session.run), border_room(plot))

    def _points(self) -> Points:
        """The dataset's points: the run's, or (before torch is loaded) made here with numpy."""
        run, scenario = self.session.run, self.session.scenario
        if run is not None and run.points is not None and run.scenario is scenario:
            return run.points
        if self._early_points is None or self._early_points[0] is not scenario:
            self._early_points = (scenario, scenario.points())
        return self._early_points[1]

    def _data_marks(self, pts: Points) -> list[Mark]:
        """Training points as dots and test points as crosses, coloured by class (or by split).
        The same list for the same points: the map then sees at once that they did not move."""
        if self._marks_of is None or self._marks_of[0] is not pts:
            self._marks_of = (pts, data_marks(pts))
        return self._marks_of[1]

    def show_status(self) -> None:
        s = self.session
        run = s.run
        lesson = self.query_one(LessonPanel)
        shown = lesson.display
        lesson.show(s.lesson)
        if lesson.display != shown:  # a lesson opened or ended: the plots share the column anew
            self.fit_plots()
        status = self.query_one(StatusLine)
        self._show_scoreboard()
        if run is None:
            surface = s.scenario.surface
            loss = surface.value(*surface.start) if surface else None
            queued = f" · {len(s.queued)} key(s) queued" if s.queued else ""
            state = "engine failed" if s.engine_error else f"loading torch…{queued}"
            status.show(0, loss, None, s.config.hyper.get("lr"), state, s.speed, None, with_keys(s.told()))
            return
        h = run.history
        acc = h.accuracy.last() if h.accuracy is not None and len(h.accuracy) else None
        message = with_keys(s.told())  # the session names what to do; the keys are this face's
        if s.racing:  # the status line is the selected lane's: the message says so, and what it says of the race
            gone = f" diverged at step {run.diverged_at}" if run.diverged else ""
            message = f"lane {s.lane_index + 1} of {len(s.lanes)}{gone} · {message}"
        status.show(h.steps, h.loss.last(), h.grad_norm.last(), run.lr, str(s.state), s.speed, s.rate if s.running else None, message, acc)

    def _show_scoreboard(self) -> None:
        """Shown in a race only, one row per lane in the lane's colour."""
        board = self.query_one(Scoreboard)
        race = self.session.race if self.session.racing else None
        lanes = len(self.session.lanes) if race is not None else 0
        if board.display != (race is not None) or lanes != self._fitted_lanes:
            board.display = race is not None
            self._fitted_lanes = lanes
            self.fit_plots()
        if race is None:
            return
        tuned = self.session.tuned
        seeds = over_seeds(tuned, [lane.config for lane in race.lanes])  # a fair comparison's, while the lanes keep its settings
        rows = [Row(sc.label, LANE_COLOURS[sc.lane % len(LANE_COLOURS)], sc.final_loss, sc.reached_at, sc.diverged_at, seeds[sc.lane] if seeds else "") for sc in race.scores()]
        target, tol = race.tolerance()
        board.show(rows, self.session.lane_index, f"reached: loss ≤ {target + tol:.3g}", verdict_text(tuned) if seeds and tuned else "")

    def _show_inside(self) -> None:
        """Only while the panel is shown: reading the Hessian and the state costs a little."""
        panel = self.query_one(InsidePanel)
        self._inside = None
        if not panel.display:
            return
        run = self.session.run
        self._inside = Inside.read(run) if run is not None else None
        panel.show(self._inside, loading=self.session.engine_error is None)

    def _add_arrows(self, lines: list[Any], marks: list[Mark], point: tuple[float, float]) -> None:
        """While the inside-the-optimizer panel is shown: −g and the momentum's direction as
        short arrows from the current point on the map."""
        info = self._inside
        if info is None or not info.surface:
            return
        plot = self.query_one(MapPlot)
        width, height = plot.size
        aspect = 2 * height / width if width and height else 0.5  # a cell is about twice as tall as wide
        for a in arrows(info, point, plot.xlim, plot.ylim, aspect):
            colour = GRADIENT_COLOUR if a.name == "gradient" else MOMENTUM_COLOUR
            lines.append((list(a.xs), list(a.ys), colour))
            marks.append(Mark(a.xs[1], a.ys[1], a.glyph, colour))

    def _draw_plots(self) -> None:
        """Every lane in its colour (a single run in the path's white), the selected lane drawn
        last so that it is on top: paths (surfaces) or fits (regression) on the map, the
        selected lane's predictions as the map's colours (classification), each lane's loss in
        the loss curve."""
        session, s = self.session, self.session.scenario
        run = session.run
        plot, curve = self.query_one(MapPlot), self.query_one(LossCurve)
        if run is None:
            if s.surface is not None:
                x, y = s.surface.start
                plot.show([], [*minima(s), Mark(x, y, "○", START), Mark(x, y, "●", NOW)])
            elif self._points().features <= 2:
                plot.show([], self._data_marks(self._points()))
            return
        lanes, selected = session.lanes, session.lane_index
        one = len(lanes) == 1
        order = [i for i in range(len(lanes)) if i != selected] + [selected]
        colour = [LANE_COLOURS[i % len(LANE_COLOURS)] for i in range(len(lanes))]
        h = run.history
        events = [step for step, _ in h.events]

        def draw_curve(hold: bool) -> bool:
            if one:  # history columns: the curve thins them without copying a long run
                sharp = list(run.sharpness.values) if run.sharpness is not None else None
                curve.caption(self._curve_caption(), s)
                return curve.show(h.loss, h.accuracy, events, hold=hold, lr=h.lr, evaluations=h.evaluations, average=h.average, sharpness=sharp)
            return curve.show_lanes([(lanes[i].history.loss, colour[i]) for i in order], events, hold=hold, lr=h.lr, evaluations=[lanes[i].history.evaluations for i in order], diverged=[lanes[i].diverged for i in order])

        curve_first, self._curve_first = self._curve_first, not self._curve_first
        drawn = draw_curve(False) if curve_first else False
        hold = session.running and drawn
        if s.surface is None and session.landscape.shown:
            drawn = self._draw_landscape(plot, order, hold) or drawn
        elif s.surface is not None:
            lines, marks, legend, tip = surface_scene(s, lanes, order, run.start or s.surface.start)
            if plot.border_subtitle != legend:
                plot.border_subtitle = legend
            self._add_arrows(lines, marks, tip)
            drawn = plot.show(lines, marks, hold=hold) or drawn
        elif run.points is not None and run.points.features > 2:
            counts, split = run.confusion()
            self.query_one(ConfusionMatrix).show(counts, run.points.class_names, split)
        elif run.points is not None:
            marks = self._data_marks(run.points)
            if s.kind == "classification":
                drawn = plot.show([], marks, version=(id(run), h.steps), hold=hold) or drawn
            else:
                grid = np.linspace(*plot.xlim, 200)
                fits = [(grid, lanes[i].predict_grid(grid, grid), CLASS_BRIGHT[3] if one else colour[i]) for i in order]
                drawn = plot.show(fits, marks, hold=hold) or drawn
        if not curve_first:
            draw_curve(session.running and drawn)

    def _draw_landscape(self, plot: MapPlot, order: list[int], hold: bool) -> bool:
        """Each lane's path projected onto the selected lane's plane, in its colour (a single
        run's in the path's white); the start and the weights now (the centre)."""
        view, session = self.session.landscape, self.session
        found = view.found
        subtitle = landscape_subtitle(view, found is not None and not view.current(session.run), border_room(plot))
        if plot.border_subtitle != subtitle:
            plot.border_subtitle = subtitle
        if found is None:
            return plot.show([], [])
        lines, marks = landscape_scene(found, session.lanes, order, session.lane_index)
        return plot.show(lines, marks, version=id(found), hold=hold)


def field_value(session: Session, name: str) -> Any:
    """The value in force of settings field `name`."""
    return setting(session.config, name).value(session.config)
