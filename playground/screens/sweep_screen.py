"""The sweep screen (`w`): the current settings at log-spaced learning rates, each run for a
number of steps from the current start, and the final loss plotted against lr. A number in the
`momenta` field adds a second axis: every rate at that many momenta, and the plot becomes a phase
diagram, a heat map of the final loss over (lr, momentum) with the diverged cells in red, the
current settings marked, and on a quadratic surface with plain heavy ball, the exact edge of
convergence and the best pair.

The sweep runs in a thread worker that appends each finished point to a list (a large one runs
its cells on every core, in worker processes); a timer redraws from that list a few times a
second, so keys are never kept waiting. Escape cancels the sweep (between two chunks of steps)
and closes the screen; enter in an edited field starts it again, and enter once it is done, with
nothing edited since, takes its best point (lowest final loss) for the run and closes the screen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static
from textual.worker import get_current_worker

from playground import limits
from playground.errors import ConfigError
from playground.formatting import first_fitting
from playground.formatting import short as _fmt
from playground.settings import RunConfig, describe
from playground.widgets.map_plot import Mark
from playground.widgets.sweep_plot import BEST_COLOUR, EDGE, NOW_COLOUR, PhaseMap, SweepPlot, heavy_ball_edge
from playground.widgets.plain_text import border_room, plain

if TYPE_CHECKING:
    from playground.problems import Curvature
    from playground.scenarios import Scenario
    from playground.sweep import SweepPoint

DEFAULT_POINTS = 20
BAR = 20  # the progress bar's cells
FIELDS = {"momentum_points": "momenta", "momentum_min": "m min", "momentum_max": "m max"}  # an axis's setting by the field that shows it


class SweepScreen(ModalScreen["SweepPoint | None"]):
    BINDINGS = [Binding("escape", "close", "cancel and close", priority=True)]

    def __init__(self, scenario: Scenario, config: RunConfig, start: tuple[float, float] | None = None, ready: Callable[[], bool] = lambda: True, curvature: Curvature | None = None) -> None:
        """`ready` says whether torch is loaded: until then the sweep waits (a worker thread that
        waited for the import would hold up quitting, which waits for every worker). `curvature`:
        the surface's at the start, for heavy ball's exact edge where the surface is quadratic."""
        super().__init__()
        self.scenario = scenario
        self.ready = ready
        self._waiting: tuple[list[float], RunConfig] | None = None  # a sweep to start once ready
        self.config = config
        self.start = start
        lr = float(config.hyper.get("lr") or 1e-3)
        self.lr_now = float(config.hyper.get("lr") or 0.0)  # marked on the plot
        self.lr_min, self.lr_max = lr / 100, lr * 10
        self.count = DEFAULT_POINTS
        self.steps = max(limits.SWEEP_STEPS.low, min(config.steps, limits.SWEEP_STEPS.high))
        self.curvature = curvature
        self.momentum_now = config.hyper.get("momentum")
        self.m_min, self.m_max, self.m_count = 0.0, 0.99, 0  # no momentum axis until asked for
        self.points: list[SweepPoint] = []
        self.rates: list[float] = []
        self.moms: list[float] | None = None
        self.done = False
        self.error = ""
        self.note = ""  # what the sweep told that is not a point (a worker killed from outside)
        self._edited = ""  # the field changed last: a min above its max names it
        self._swept: tuple[str, ...] = ()  # the fields as they were for the sweep shown
        self._drawn: tuple[int, bool] = (-1, False)  # (points, done) as last drawn

    def compose(self) -> ComposeResult:
        with Vertical(id="sweep-body"):
            yield Label(plain(f"Learning-rate sweep · {self.scenario.name} · {describe(self.config)}"), id="sweep-title")
            with Horizontal(id="sweep-fields"):
                for name, label, value in (
                    ("lr_min", "lr min", _fmt(self.lr_min)),
                    ("lr_max", "lr max", _fmt(self.lr_max)),
                    ("points", "points", str(self.count)),
                    ("steps", "steps each", str(self.steps)),
                    ("momenta", "momenta", str(self.m_count)),
                    ("m_min", "m min", _fmt(self.m_min)),
                    ("m_max", "m max", _fmt(self.m_max)),
                ):
                    with Vertical(classes="sweep-field") as box:
                        box.styles.min_width = len(label) + 1  # its label whole, and a space
                        yield Label(label, classes="field-label")
                        yield Input(value, id=f"sweep-{name}", compact=True, select_on_focus=False)
                yield Button("run", id="sweep-run", compact=True)
            yield SweepPlot(self.lr_now, id="sweep-plot")
            yield PhaseMap(id="sweep-phase")
            yield Static("", id="sweep-status")

    def on_mount(self) -> None:
        self.query_one(PhaseMap).display = False
        self.set_interval(0.1, self._tick)
        self.run_sweep()

    # ------------------------------------------------------------ running

    def run_sweep(self) -> None:
        """Read the fields and start the sweep (stopping one under way)."""
        try:
            self._read_fields()
            from playground.sweep import learning_rates

            rates = learning_rates(self.lr_min, self.lr_max, self.count)
            moms = self._momenta()
        except ConfigError as exc:
            self.error = self._said(exc)
            self._show_status()
            return
        self.error = self.note = ""
        self._swept = self._typed()
        self.workers.cancel_group(self, "sweep")
        self.rates, self.moms, self.points, self.done, self._drawn = rates, moms, [], False, (-1, False)
        self.query_one(SweepPlot).display = moms is None
        self.query_one(PhaseMap).display = moms is not None
        self._waiting = (rates, replace(self.config, steps=self.steps))
        self._start_when_ready()
        self._redraw()

    def _start_when_ready(self) -> None:
        if self._waiting is not None and self.ready():
            rates, config = self._waiting
            self._waiting = None
            self._sweep(rates, config)

    def _read_fields(self) -> None:
        def read(name: str, limit: limits.Whole | limits.Number) -> Any:
            return limits.setting(name, limit, self.query_one(f"#sweep-{name}", Input).value, typed=True)

        self.lr_min, self.lr_max = read("lr_min", limits.LEARNING_RATE), read("lr_max", limits.LEARNING_RATE)
        self.count = read("points", limits.SWEEP_POINTS)
        self.steps = read("steps", limits.SWEEP_STEPS)
        self.m_count = read("momenta", limits.MOMENTA)
        self.m_min, self.m_max = read("m_min", limits.MOMENTUM), read("m_max", limits.MOMENTUM)

    def _typed(self) -> tuple[str, ...]:
        return tuple(i.value.strip() for i in self.query("#sweep-fields Input").results(Input))

    def best(self) -> SweepPoint | None:
        """The point with the lowest final loss of those that did not diverge."""
        good = [p for p in self.points if not p.diverged and math.isfinite(p.final_loss)]
        return min(good, key=lambda p: p.final_loss) if good else None

    def _taking(self) -> bool:
        """Whether enter now takes the best point: the sweep is done and nothing was edited since."""
        return self.done and not self.error and self.best() is not None and self._typed() == self._swept

    def _momenta(self) -> list[float] | None:
        """The momentum axis, or None for a sweep of lr alone (momenta 0)."""
        if not self.m_count:
            return None
        from playground.sweep import momentum_axis

        return momentum_axis(self.config.optimizer, self.config.hyper, self.m_min, self.m_max, self.m_count)

    @work(thread=True, exclusive=True, group="sweep", exit_on_error=False)
    def _sweep(self, rates: list[float], config: RunConfig) -> None:
        from playground.sweep import app_workers, sweep

        worker = get_current_worker()
        points = self.points
        try:
            for point in sweep(self.scenario, config, rates, self.start, cancelled=lambda: worker.is_cancelled, moms=self.moms, workers=app_workers(), told=self._told):
                if worker.is_cancelled:
                    return
                points.append(point)
        except Exception as exc:  # noqa: BLE001 - shown on the screen, which stays usable
            self.error = f"the sweep failed: {type(exc).__name__}: {exc}".splitlines()[0][:200]
        if not worker.is_cancelled and points is self.points:
            self.done = True

    def _told(self, text: str) -> None:
        """From the sweep's thread: shown with the status when it is next drawn."""
        self.note = text

    def cancel(self) -> None:
        self._waiting = None
        self.workers.cancel_group(self, "sweep")

    def action_close(self) -> None:
        self.cancel()
        self.dismiss()

    def _said(self, exc: ConfigError) -> str:
        """A refused setting in the words of the fields on screen. An axis whose min is above its
        max names the field the person changed last (it blamed lr min for an edited lr max)."""
        axes = {"lr_min": ("lr min", "lr max", self.lr_min, self.lr_max, "lr_max"), "momentum_min": ("m min", "m max", self.m_min, self.m_max, "m_max")}
        if exc.field in axes:
            low_name, high_name, low, high, high_id = axes[exc.field]
            if low > high:
                if self._edited == high_id:
                    return f"{high_name}: {high:g} is below {low_name} {low:g}"
                return f"{low_name}: {low:g} is above {high_name} {high:g}"
        return f"{FIELDS.get(exc.field, exc.field.replace('_', ' '))}: {exc.message}"

    @on(Input.Changed)
    def _edited_field(self, event: Input.Changed) -> None:
        self._edited = (event.input.id or "").removeprefix("sweep-")
        self._show_status()  # what enter does now

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._taking():
            self.cancel()
            self.dismiss(self.best())
        else:
            self.run_sweep()

    @on(Button.Pressed, "#sweep-run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.run_sweep()

    # ------------------------------------------------------------ drawing

    def _tick(self) -> None:
        if self._waiting is not None:
            self._start_when_ready()
            if self._waiting is None:
                self._show_status()
        if (len(self.points), self.done) != self._drawn or self.error:  # the last point may come a tick before `done`
            self._redraw()

    def _redraw(self) -> None:
        points = list(self.points)
        self._drawn = (len(points), self.done)
        if self.moms is None:
            self.query_one(SweepPlot).show(self.rates, sorted(points, key=lambda p: p.lr))
        elif self.rates:
            self._draw_phase(points)
        self._show_status()

    def _draw_phase(self, points: list[SweepPoint]) -> None:
        """The heat map, the current settings (●), and on a quadratic surface with plain heavy
        ball its exact edge (white) and its best pair (★)."""
        assert self.moms is not None
        plot = self.query_one(PhaseMap)
        lines: list[Any] = []
        marks: list[Mark] = []
        edge = self._edge()
        full, short = ["red: diverged", "grey: to run", "colour: final loss (log)", "● your settings"], ["red diverged", "colour final loss", "● yours"]
        if edge is not None and edge.low <= 0:  # a saddle: no (lr, momentum) converges, so no edge to draw
            full.append(f"no edge: curvature {_fmt(edge.low)} falls away, nothing converges")
            short.append("no edge: nothing converges")
        elif edge is not None:
            lines.append((*heavy_ball_edge(edge.high, self.moms), EDGE))
            full.append("white: edge lr·λ = 2(1+m)")
            short.append("white edge lr·λ = 2(1+m)")
            if edge.best_lr is not None and edge.best_momentum is not None:
                marks.append(Mark(math.log10(edge.best_lr), edge.best_momentum, "★", BEST_COLOUR))
                full.append("★ best")
                short.append("★ best")
        room = border_room(plot)
        legend = first_fitting(["  ".join(full), "  ".join(p for p in full if p != "grey: to run"), " · ".join(short), " ".join(short)], room)
        if self.lr_now > 0 and self.momentum_now is not None:
            marks.append(Mark(math.log10(self.lr_now), float(self.momentum_now), "●", NOW_COLOUR))
        plot.border_title = first_fitting(["final loss over (lr, momentum): lr across (log scale), momentum up", "final loss: lr across (log), momentum up"], room)
        plot.border_subtitle = legend
        plot.show_phase(self.rates, self.moms, points, lines, marks)

    def _edge(self) -> Curvature | None:
        """The curvature, where heavy ball's edge holds exactly: a quadratic surface, SGD with
        momentum and no Nesterov, dampening or weight decay, and a constant lr."""
        c, h = self.curvature, self.config.hyper
        if c is None or not c.quadratic or c.high <= 0 or self.config.optimizer != "sgd":
            return None
        if h.get("nesterov") or h.get("dampening") or h.get("weight_decay") or self.config.schedule != "constant":
            return None
        return c

    def _show_status(self) -> None:
        points = self.points
        cells = len(self.rates) * (len(self.moms) if self.moms else 1)
        done = int(BAR * len(points) / cells) if cells else 0
        bar = f"{'█' * done}{'░' * (BAR - done)} " if self.moms else ""
        parts = [f"{bar}{len(points)} / {cells} {'cells' if self.moms else 'points'}"]
        if self.done:
            parts[0] += " · done"
        elif self._waiting is not None:
            parts[0] += " · waiting for torch to load"
        elif self.rates and not self.error:
            parts[0] += " · running"
        best = self.best()
        at = ""
        if best is not None:
            at = f"lr {best.lr:.3g}" + (f", momentum {best.momentum:.3g}" if best.momentum is not None else "")
            parts.append(f"lowest final loss {_fmt(best.final_loss)} at {at}")
        diverged = [p for p in points if p.diverged or not math.isfinite(p.final_loss)]
        if diverged:
            parts.append(f"{len(diverged)} diverged ({'red' if self.moms else 'x'}), from lr {min(p.lr for p in diverged):.3g}")
        running = self.rates and not self.done and not self.error
        enter = f"enter: take {at} for the run (edit a field to sweep again)" if self._taking() else "enter: sweep again"
        parts.append(f"{enter} · " + ("escape: cancel and close" if running else "escape: close"))
        line = Text("  ·  ".join(parts))
        if self.error:  # may quote what was typed: plain text, never markup
            line = Text.assemble((self.error, "bold red"), "\n", line)
        elif self.note:
            line = Text.assemble((self.note, "yellow"), "\n", line)
        self.query_one("#sweep-status", Static).update(line)

