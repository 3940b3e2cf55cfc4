"""The learning-rate sweep screen (`w`): the current settings at log-spaced learning rates, each
run for a number of steps from the current start, and the final loss plotted against lr.

The sweep runs in a thread worker that appends each finished point to a list; a timer redraws
from that list a few times a second, so keys are never kept waiting. Escape cancels the sweep
(between two steps of a run) and closes the screen; enter in a field starts it again.
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
from playground.formatting import short as _fmt
from playground.settings import RunConfig, describe
from playground.widgets.sweep_plot import SweepPlot

if TYPE_CHECKING:
    from playground.scenarios import Scenario
    from playground.sweep import SweepPoint

DEFAULT_POINTS = 20


class SweepScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "cancel and close", priority=True)]

    def __init__(self, scenario: Scenario, config: RunConfig, start: tuple[float, float] | None = None, ready: Callable[[], bool] = lambda: True) -> None:
        """`ready` says whether torch is loaded: until then the sweep waits (a worker thread that
        waited for the import would hold up quitting, which waits for every worker)."""
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
        self.points: list[SweepPoint] = []
        self.rates: list[float] = []
        self.done = False
        self.error = ""
        self._drawn = -1

    def compose(self) -> ComposeResult:
        with Vertical(id="sweep-body"):
            yield Label(f"Learning-rate sweep · {self.scenario.name} · {describe(self.config)}", id="sweep-title")
            with Horizontal(id="sweep-fields"):
                for name, label, value in (
                    ("lr_min", "lr min", _fmt(self.lr_min)),
                    ("lr_max", "lr max", _fmt(self.lr_max)),
                    ("points", "points", str(self.count)),
                    ("steps", "steps each", str(self.steps)),
                ):
                    with Vertical(classes="sweep-field"):
                        yield Label(label, classes="field-label")
                        yield Input(value, id=f"sweep-{name}", compact=True, select_on_focus=False)
                yield Button("run", id="sweep-run", compact=True)
            yield SweepPlot(self.lr_now, id="sweep-plot")
            yield Static("", id="sweep-status")

    def on_mount(self) -> None:
        self.set_interval(0.1, self._tick)
        self.run_sweep()

    # ------------------------------------------------------------ running

    def run_sweep(self) -> None:
        """Read the fields and start the sweep (stopping one under way)."""
        try:
            self._read_fields()
            from playground.sweep import learning_rates

            rates = learning_rates(self.lr_min, self.lr_max, self.count)
        except ConfigError as exc:
            self.error = f"{exc.field}: {exc.message}"
            self._show_status()
            return
        self.error = ""
        self.workers.cancel_group(self, "sweep")
        self.rates, self.points, self.done, self._drawn = rates, [], False, -1
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

    @work(thread=True, exclusive=True, group="sweep", exit_on_error=False)
    def _sweep(self, rates: list[float], config: RunConfig) -> None:
        from playground.sweep import sweep

        worker = get_current_worker()
        points = self.points
        try:
            for point in sweep(self.scenario, config, rates, self.start, cancelled=lambda: worker.is_cancelled):
                if worker.is_cancelled:
                    return
                points.append(point)
        except Exception as exc:  # noqa: BLE001 - shown on the screen, which stays usable
            self.error = f"the sweep failed: {type(exc).__name__}: {exc}".splitlines()[0][:200]
        if not worker.is_cancelled and points is self.points:
            self.done = True

    def cancel(self) -> None:
        self._waiting = None
        self.workers.cancel_group(self, "sweep")

    def action_close(self) -> None:
        self.cancel()
        self.dismiss()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
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
        if len(self.points) != self._drawn or self.error:
            self._redraw()

    def _redraw(self) -> None:
        points = list(self.points)
        self._drawn = len(points)
        self.query_one(SweepPlot).show(self.rates, points)
        self._show_status()

    def _show_status(self) -> None:
        points = self.points
        parts = [f"{len(points)} / {len(self.rates)} points"]
        if self.done:
            parts[0] += " · done"
        elif self._waiting is not None:
            parts[0] += " · waiting for torch to load"
        elif self.rates and not self.error:
            parts[0] += " · running"
        good = [p for p in points if not p.diverged and math.isfinite(p.final_loss)]
        if good:
            best = min(good, key=lambda p: p.final_loss)
            parts.append(f"lowest final loss {_fmt(best.final_loss)} at lr {best.lr:.3g}")
        diverged = [p for p in points if p.diverged or not math.isfinite(p.final_loss)]
        if diverged:
            parts.append(f"{len(diverged)} diverged (x), from lr {min(p.lr for p in diverged):.3g}")
        running = self.rates and not self.done and not self.error
        parts.append("enter: sweep again · " + ("escape: cancel and close" if running else "escape: close"))
        line = Text("  ·  ".join(parts))
        if self.error:  # may quote what was typed: plain text, never markup
            line = Text.assemble((self.error, "bold red"), "\n", line)
        self.query_one("#sweep-status", Static).update(line)

