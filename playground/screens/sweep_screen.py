"""The sweep screen (`w`): the current settings at log-spaced learning rates, each run for a
number of steps from the current start, and the final loss plotted against lr. A number in the
`momenta` field adds a second axis: every rate at that many momenta, and the plot becomes a phase
diagram, a heat map of the final loss over (lr, momentum) with the diverged cells in red, the
current settings marked, and on a quadratic surface with plain heavy ball, the exact edge of
convergence and the best pair.

The sweep is the session's job (sweep_job.SweepJob): it runs in a thread of its own, appending
each finished point to a list (a large one runs its cells on every core, in worker processes);
this screen only starts it from its fields and draws it when the job says it changed (on the UI
thread, once for a burst of points), so keys are never kept waiting. Escape cancels the sweep
(between two chunks of steps) and closes the screen; enter in an edited field starts it again, and enter once it is done, with
nothing edited since, takes its best point (lowest final loss) for the run and closes the screen.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from playground.errors import ConfigError
from playground.formatting import first_fitting
from playground.formatting import short as _fmt
from playground.settings import describe
from playground.sweep_job import Axes, SweepJob, refused
from playground.ui_thread import teller
from playground.widgets.map_plot import Mark
from playground.widgets.sweep_plot import BEST_COLOUR, EDGE, NOW_COLOUR, PhaseMap, SweepPlot, heavy_ball_edge
from playground.widgets.plain_text import border_room, plain

if TYPE_CHECKING:
    from playground.sweep import SweepPoint

BAR = 20  # the progress bar's cells


class SweepScreen(ModalScreen["SweepPoint | None"]):
    BINDINGS = [Binding("escape", "close", "cancel and close", priority=True)]

    def __init__(self, job: SweepJob) -> None:
        """`job`: the session's sweep of the current settings (Session.sweep_job), which this
        screen starts from its fields and draws."""
        super().__init__()
        self.job = job
        self.scenario, self.config = job.scenario, job.config
        self.lr_now = float(self.config.hyper.get("lr") or 0.0)  # marked on the plot
        self.momentum_now = self.config.hyper.get("momentum")
        self.error = ""  # a field refused
        self._edited = ""  # the field changed last: a min above its max names it
        self._swept: tuple[str, ...] = ()  # the fields as they were for the sweep shown
        self._drawn: tuple[int, bool, str] = (-1, False, "")  # (points, done, error) as last drawn
        self._listener: Any = None

    def compose(self) -> ComposeResult:
        a = self.job.axes
        with Vertical(id="sweep-body"):
            yield Label(plain(f"Learning-rate sweep · {self.scenario.name} · {describe(self.config)}"), id="sweep-title")
            with Horizontal(id="sweep-fields"):
                for name, label, value in (
                    ("lr_min", "lr min", _fmt(a.lr_min)),
                    ("lr_max", "lr max", _fmt(a.lr_max)),
                    ("points", "points", str(a.points)),
                    ("steps", "steps each", str(a.steps)),
                    ("momenta", "momenta", str(a.momenta)),
                    ("m_min", "m min", _fmt(a.m_min)),
                    ("m_max", "m max", _fmt(a.m_max)),
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
        self._listener = teller(self._job_changed)  # the job's one way to say it changed (a point, the end)
        self.job.listeners.append(self._listener)
        self.run_sweep()

    def on_unmount(self) -> None:
        if self._listener in self.job.listeners:
            self.job.listeners.remove(self._listener)

    # ------------------------------------------------------------ running

    def run_sweep(self) -> None:
        """Read the fields and start the sweep (stopping one under way)."""
        job = self.job
        fields = {(i.id or "").removeprefix("sweep-"): i.value for i in self.query("#sweep-fields Input").results(Input)}
        axes = job.axes
        try:
            axes = Axes.typed(fields)
            job.start(axes)
        except ConfigError as exc:
            self.error = refused(exc, axes, self._edited)
            self._show_status()
            return
        self.error = ""
        self._swept = self._typed()
        self.query_one(SweepPlot).display = job.moms is None
        self.query_one(PhaseMap).display = job.moms is not None
        self._redraw()

    def _typed(self) -> tuple[str, ...]:
        return tuple(i.value.strip() for i in self.query("#sweep-fields Input").results(Input))

    def _taking(self) -> bool:
        """Whether enter now takes the best point: the sweep is done and nothing was edited since."""
        return self.job.done and not self.error and self.job.best() is not None and self._typed() == self._swept

    def action_close(self) -> None:
        self.job.cancel()
        self.dismiss()

    @on(Input.Changed)
    def _edited_field(self, event: Input.Changed) -> None:
        self._edited = (event.input.id or "").removeprefix("sweep-")
        self._show_status()  # what enter does now

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._taking():
            self.job.cancel()
            self.dismiss(self.job.best())
        else:
            self.run_sweep()

    @on(Button.Pressed, "#sweep-run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.run_sweep()

    # ------------------------------------------------------------ drawing

    def _job_changed(self) -> None:
        if not self.is_mounted:
            return
        job = self.job
        if (len(job.points), job.done, job.error) != self._drawn:
            self._redraw()
        else:
            self._show_status()  # started once torch came, or a note

    def _redraw(self) -> None:
        job = self.job
        points = list(job.points)
        self._drawn = (len(points), job.done, job.error)
        if job.moms is None:
            self.query_one(SweepPlot).show(job.rates, sorted(points, key=lambda p: p.lr))
        elif job.rates:
            self._draw_phase(points)
        self._show_status()

    def _draw_phase(self, points: list[SweepPoint]) -> None:
        """The heat map, the current settings (●), and on a quadratic surface with plain heavy
        ball its exact edge (white) and its best pair (★)."""
        moms = self.job.moms
        assert moms is not None
        plot = self.query_one(PhaseMap)
        lines: list[Any] = []
        marks: list[Mark] = []
        edge = self.job.edge()
        full, short = ["red: diverged", "grey: to run", "colour: final loss (log)", "● your settings"], ["red diverged", "colour final loss", "● yours"]
        if edge is not None and edge.low <= 0:  # a saddle: no (lr, momentum) converges, so no edge to draw
            full.append(f"no edge: curvature {_fmt(edge.low)} falls away, nothing converges")
            short.append("no edge: nothing converges")
        elif edge is not None:
            lines.append((*heavy_ball_edge(edge.high, moms), EDGE))
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
        plot.show_phase(self.job.rates, moms, points, lines, marks)

    def _show_status(self) -> None:
        job = self.job
        points, cells, moms = job.points, job.cells, job.moms
        error = self.error or job.error
        done = int(BAR * len(points) / cells) if cells else 0
        bar = f"{'█' * done}{'░' * (BAR - done)} " if moms else ""
        parts = [f"{bar}{len(points)} / {cells} {'cells' if moms else 'points'}"]
        if job.done:
            parts[0] += " · done"
        elif job.waiting:
            parts[0] += " · waiting for torch to load"
        elif job.rates and not error:
            parts[0] += " · running"
        best = job.best()
        at = ""
        if best is not None:
            at = f"lr {best.lr:.3g}" + (f", momentum {best.momentum:.3g}" if best.momentum is not None else "")
            parts.append(f"lowest final loss {_fmt(best.final_loss)} at {at}")
        diverged = [p for p in points if p.diverged or not math.isfinite(p.final_loss)]
        if diverged:
            parts.append(f"{len(diverged)} diverged ({'red' if moms else 'x'}), from lr {min(p.lr for p in diverged):.3g}")
        running = job.rates and not job.done and not error
        enter = f"enter: take {at} for the run (edit a field to sweep again)" if self._taking() else "enter: sweep again"
        parts.append(f"{enter} · " + ("escape: cancel and close" if running else "escape: close"))
        line = Text("  ·  ".join(parts))
        if error:  # may quote what was typed: plain text, never markup
            line = Text.assemble((error, "bold red"), "\n", line)
        elif job.note:
            line = Text.assemble((job.note, "yellow"), "\n", line)
        self.query_one("#sweep-status", Static).update(line)

