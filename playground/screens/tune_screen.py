"""The fair comparison's screen (`T` in a race): its fields (trials, seeds, momentum too), then a
progress bar while the session's job (tune_job.TuneJob) tunes every lane on every core, then the
isolation plot: each lane's trials as final loss against lr, the chosen ones marked, and the
verdict. When the job ends the lanes have already taken their tuned settings (the session gives
them); escape before that cancels it and keeps the lanes as they were. This screen only starts
the job from its fields and draws it when the job says it changed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Static

from playground import limits
from playground.errors import ConfigError
from playground.formatting import hex_colour, short
from playground.tuning import Protocol, momentum_name, verdict_text
from playground.ui_thread import teller
from playground.widgets.isolation_plot import IsolationPlot
from playground.widgets.plain_text import plain

if TYPE_CHECKING:
    from playground.tune_job import TuneJob

TRIALS, SEEDS = 16, 5  # the fields' first values


class TuneScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "cancel and close", priority=True)]

    def __init__(self, job: TuneJob, colours: list[tuple[int, int, int]]) -> None:
        """`job`: the session's comparison of the race's lanes (Session.tune_job); `colours`:
        the lanes' colours, as the scoreboard shows them."""
        super().__init__()
        self.job = job
        self.colours = colours
        self.error = ""
        self._listener: Any = None

    def compose(self) -> ComposeResult:
        job = self.job
        with Vertical(id="tune-body"):
            yield Label(plain(f"Fair comparison · {job.scenario.name} · {len(job.runs)} lanes, each tuned on the same budget, then run over seeds"), id="tune-title")
            with Horizontal(id="tune-fields"):
                for name, label, value in (("trials", "trials per lane", str(TRIALS)), ("seeds", "seeds", str(SEEDS))):
                    with Vertical(classes="tune-field"):
                        yield Label(label, classes="field-label")
                        yield Input(value, id=f"tune-{name}", compact=True, select_on_focus=False)
                has_momentum = any(momentum_name(config) for _, config in job.runs)
                yield Checkbox("momentum too", value=False, id="tune-momentum", compact=True, disabled=not has_momentum)
                yield Button("run", id="tune-run", compact=True)
            yield ProgressBar(total=1, show_eta=False, id="tune-progress")
            yield IsolationPlot(id="tune-plot")
            yield Static("", id="tune-status")

    def on_mount(self) -> None:
        self._listener = teller(self._job_changed)  # the job's one way to say it changed
        self.job.listeners.append(self._listener)
        self.query_one("#tune-trials", Input).focus()
        self._show()

    def on_unmount(self) -> None:
        if self._listener in self.job.listeners:
            self.job.listeners.remove(self._listener)

    # ------------------------------------------------------------ running

    def run_comparison(self) -> None:
        """Read the fields and start the comparison (stopping one under way)."""
        try:
            trials = limits.setting("trials", limits.TUNE_TRIALS, self.query_one("#tune-trials", Input).value, typed=True)
            seeds = limits.setting("seeds", limits.TUNE_SEEDS, self.query_one("#tune-seeds", Input).value, typed=True)
            self.job.start(Protocol(trials=trials, seeds=seeds, momentum=self.query_one("#tune-momentum", Checkbox).value))
        except ConfigError as exc:
            self.error = str(exc)
        else:
            self.error = ""
        self._show()

    def action_close(self) -> None:
        if not self.job.ended:
            self.job.cancel()
        self.dismiss()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.job.result is not None and not self.job.running:
            self.dismiss()
        else:
            self.run_comparison()

    @on(Button.Pressed, "#tune-run")
    def _run_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.run_comparison()

    # ------------------------------------------------------------ drawing

    def _job_changed(self) -> None:
        if self.is_mounted:
            self._show()

    def _show(self) -> None:
        job = self.job
        bar = self.query_one(ProgressBar)
        bar.update(total=max(job.total, 1), progress=job.finished)
        result = job.result
        if result is not None:
            self.query_one(IsolationPlot).show([(lane, self.colours[i % len(self.colours)]) for i, lane in enumerate(result.lanes)])
        self.query_one("#tune-status", Static).update(self._status())

    def _status(self) -> Text:
        job, result = self.job, self.job.result
        if self.error or job.error:
            return Text(self.error or job.error, "bold red")
        if job.protocol is None:
            return Text("each lane: its starting setting, then Sobol points of its lr range (lr/100 to 100·lr); the best then runs at each seed · enter or run: start · escape: close")
        if result is None:
            state = "cancelled" if job.ended else f"{job.finished} / {job.total} runs on every core"
            return Text(f"{state} · escape: {'close' if job.ended else 'cancel and close (the lanes keep their settings)'}" + (f"\n{job.note}" if job.note else ""))
        text = Text(f"{verdict_text(result)} · every lane now has its tuned setting · enter or escape: close")
        for i, lane in enumerate(result.lanes):
            setting = f"lr {short(lane.tuned_lr)}" + (f", momentum {short(lane.tuned_momentum)}" if lane.tuned_momentum is not None else "")
            edge = f" · at the {lane.at_edge} end of its range: widen it (compare --lr-range)" if lane.at_edge else ""
            text.append("\n")
            text.append(f"{i + 1} {lane.run}", Style(color=hex_colour(self.colours[i % len(self.colours)]), bold=True))  # the plot's legend
            text.append(f": {setting} · median final loss {short(lane.median)} [{short(lane.low)}, {short(lane.high)}] · {sum(t.outcome.diverged for t in lane.trials)}/{len(lane.trials)} diverged{edge}")
        return text
