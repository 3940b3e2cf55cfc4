"""The playground as one object that any face drives: the TUI, tests, lessons, a browser.

A Session holds the scenario, the lanes (a single run is a race of one lane), the selected lane,
the speed and the state, and does every operation a person can: pick a scenario, an optimizer,
a loss or a schedule; set a hyperparameter from text; step, run, pause, reset; add, remove and
select lanes; move the start point. It knows nothing of Textual. A face reads its attributes
and redraws when `version` moves on; `layout` moves on when the settings' fields or the map's
set-up change (another scenario, optimizer, loss or lane).

Each operation's name, guard and change notice are here; the bodies of the larger ones live in
modules of their own that work on the session through stage.Stage and never import it:
editing.py (the settings), racing.py (the lanes, the start), lesson_parts.py (a lesson's parts),
loading.py (torch in the background); the auto-run loop is autorun.py's.

torch is imported only inside the operations that need it, so that a face can show its first
frame before torch is loaded: `load_engine` builds the run in a thread, and keys pressed before
it is ready (space, s) are queued and done in order once it is.
"""

from __future__ import annotations

import collections
import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from playground import editing, lesson_parts, limits, loading, racing, scenarios
from playground.autorun import DEFAULT_SPEED, PAUSED, RUNNING, SPEEDS, AutoRun, Phase, State  # noqa: F401  (a run's states, read from here too)
from playground.errors import PlaygroundError, report_internal
from playground.formatting import count
from playground.landscape_view import LandscapeView
from playground.scenarios import Scenario
from playground.settings import RunConfig, describe, resolve

if TYPE_CHECKING:
    from playground.engine import Run
    from playground.lessons import Lesson, Player
    from playground.race import Race
    from playground.sweep_job import SweepJob
    from playground.tune_job import TuneJob
    from playground.tuning import Comparison

Op = TypeVar("Op", bound=Callable[..., Any])


def operation(fn: Op) -> Op:
    """A bug of ours inside an operation does not end the session: the run pauses, the status
    line says "internal error" and where the traceback was written, and everything stays usable."""

    @functools.wraps(fn)
    def guarded(self: Session, *args: Any, **kwargs: Any) -> Any:
        try:
            result = fn(self, *args, **kwargs)
        except PlaygroundError as exc:
            self.say(str(exc))
        except Exception as exc:  # noqa: BLE001 - our own bug: reported, never a crash
            self.fault(exc)
        else:
            self.changed()  # every operation ends by telling the faces (a face shows it once per burst)
            return result
        return None

    return guarded  # type: ignore[return-value]


class Session:
    def __init__(self, scenario: Scenario, config: RunConfig | None = None) -> None:
        self.scenario = scenario
        self.config = config or resolve(scenario)
        self.first_config = self.config
        self.run: Run | None = None  # the selected lane: what the settings show and edit
        self.race: Race | None = None  # every lane, the selected one included; None until torch loads
        self.step_lock = threading.Lock()  # held around each step: no step falls between a pause and a reset
        self.autorun = AutoRun(self)  # the auto-run loop (space), in the background
        self.speed_index = DEFAULT_SPEED
        self.state = PAUSED
        self.said: collections.deque[tuple[int, str]] = collections.deque(maxlen=limits.MESSAGES)  # (step, message), the latest last
        self.message = ""
        self.queued: list[str] = []  # keys pressed while torch loads
        self.engine_error: str | None = None
        self.version = 0
        self.layout = 0
        self.paths = {e.name: str(e.path) for e in scenarios.list_entries()}
        self.paths.setdefault(scenario.name, scenario.source)
        self.lock = threading.RLock()  # state changes from the loading thread
        self.listeners: list[Callable[[], None]] = []  # told after each change, from any thread
        self.faults: list[str] = []  # each bug of ours met, in full: what it was and where its traceback is
        self.lesson: Player | None = None  # a lesson being played (playground.lessons), opened once torch is there
        self.landscape = LandscapeView()  # the main view's landscape (m): mode, plane, progress
        self.sweep: SweepJob | None = None  # the latest sweep (w), running or done
        self.tune: TuneJob | None = None  # the latest fair comparison of the race (T)
        self.tuned: Comparison | None = None  # the one whose tuned settings the lanes took
        self.closed = False  # the face has gone (close): jobs stop

    # ------------------------------------------------------------ what a face reads

    @property
    def lanes(self) -> list[Run]:
        return list(self.race.lanes) if self.race is not None else []

    @property
    def racing(self) -> bool:
        """Two or more lanes."""
        return len(self.lanes) > 1

    @property
    def lane_index(self) -> int:
        return next((i for i, lane in enumerate(self.lanes) if lane is self.run), 0)

    @property
    def running(self) -> bool:
        return self.autorun.running

    @property
    def rate(self) -> float | None:
        """Steps a second while auto-running."""
        return self.autorun.rate

    @property
    def speed(self) -> str:
        s = SPEEDS[self.speed_index]
        return "max" if s is None else f"{s}/s"

    @property
    def step_count(self) -> int:
        return self.race.step_count if self.race is not None else 0

    @property
    def message(self) -> str:
        """The latest thing the session said (the status line's second row)."""
        return self._message

    @message.setter
    def message(self, text: str) -> None:
        self._message = text
        self.message_step = self.step_count
        if text and (not self.said or self.said[-1][1] != text):  # the history (M): each message whole
            self.said.append((self.step_count, text))

    def told(self) -> str:
        """The message as shown: once the run has moved on, how long ago it was said, so that
        'reset to the start' is not read as news 70 steps later. Never 'step N': the status
        line's `step N` is the only one on screen (scripts read it off)."""
        ago = self.step_count - self.message_step
        if not self._message or ago == 0:
            return self._message
        return f"{self._message} ({ago} step{'' if ago == 1 else 's'} ago)" if ago > 0 else f"{self._message} (before a reset)"

    def changed(self, layout: bool = False) -> None:
        self.version += 1
        if layout:
            self.layout += 1
        for listener in self.listeners:
            listener()
        if self.landscape.claim(self.run, self.running):  # shown, paused and out of date: a job of ours
            threading.Thread(target=self.compute_landscape, name="landscape", daemon=True).start()

    def say(self, message: str) -> None:
        self.message = message
        self.changed()

    def fault(self, exc: BaseException) -> None:
        """Our own bug: pause, and say where its traceback is."""
        self._halt(PAUSED)
        what = f"internal error: {type(exc).__name__}: {exc}"[:160].splitlines()[0]
        path = report_internal(exc)
        self.faults.append(f"{what}\ntraceback in {path}")
        self.say(f"{what} (traceback in {path})")

    # ------------------------------------------------------------ the engine

    def load_engine(self, background: bool = True) -> None:
        """Import torch and build the run: in a thread of its own, or here (loading.py)."""
        if background:
            threading.Thread(target=self._load, name="load-engine", daemon=True).start()
        else:
            self._load()

    def _load(self) -> None:
        run = loading.load(self)
        if run is not None:
            self.use(run)

    @operation
    def use(self, run: Run) -> None:
        """Show and train `run` (the loading thread's, or one a test built)."""
        loading.use(self, run)

    def engine_ready(self) -> bool:
        """Whether torch is there to run; if not, says so."""
        if self.race is None:
            self.say("the engine is still loading: try again in a moment")
            return False
        return True

    # ------------------------------------------------------------ stepping and auto-run

    @operation
    def toggle_run(self) -> None:
        if loading.queue(self, "toggle"):
            return
        if self.running:
            self.pause()
        elif self.lesson is not None and self.lesson.left() > 0:  # a lesson's part: its steps, then a pause
            part = self.lesson.index + 1
            steps = self.lesson.part.run
            self.start(self.lesson.target, f"part {part}: its {count(steps, 'step')} {'is' if steps == 1 else 'are'} done")
        else:
            self.start()

    @operation
    def step(self) -> None:
        if loading.queue(self, "step"):
            return
        if self.running:
            self.pause()
        self.steps(1)

    def steps(self, n: int) -> None:
        assert self.race is not None
        if not all(lane.diverged for lane in self.race.lanes):
            with self.step_lock:
                self.race.step(n)
        state, message = self.stop_state()
        self.state = state or PAUSED
        if state is not None and state.phase is not Phase.CONVERGED and message:
            self.message = message
        self.changed()

    @operation
    def reset(self) -> None:
        self.queued = []
        if self.running:
            self.pause()
        if self.race is not None:
            with self.step_lock:
                self.race.reset()
        if self.lesson is not None:
            self.lesson.started_over()
        self.state = PAUSED
        self.say("reset to the start" if not self.racing else f"all {len(self.lanes)} lanes reset to the start")

    def stop_state(self, past_converged: bool = False) -> tuple[State | None, str]:
        """(state, why) when auto-run must stop, else (None, ""): every lane diverged or
        converged (unless `past_converged`: space pressed after a convergence stop runs on).
        The one wording of both, for one lane and for many."""
        lanes = self.lanes
        going = [lane for lane in lanes if not lane.diverged]
        if len(lanes) == 1 and not going:
            lane = lanes[0]
            return State(Phase.DIVERGED, lane.diverged_at), f"{lane.stop_reason}; press {{key:reset}} to reset"
        if not going:
            return State(Phase.ALL_DIVERGED), "every lane diverged; press {key:reset} to reset"
        if all(lane.converged for lane in going) and not past_converged:
            one = len(lanes) == 1
            why = "the gradient norm fell below the tolerance" if one else "every lane converged (or diverged)"
            return State(Phase.CONVERGED), f"{why}; {{key:toggle_run}} runs on past it, until paused"
        return None, ""

    def start(self, until: int | None = None, done: str = "") -> None:
        """Auto-run in a thread of its own, paced at the chosen speed, until paused, the budget
        (the most steps of any lane, or step `until`) is reached, or every lane has converged or
        diverged. `done`: what to say at the budget."""
        assert self.race is not None
        if all(lane.diverged for lane in self.race.lanes):
            self.steps(0)
            return
        steps = until if until is not None else max(lane.config.steps for lane in self.race.lanes)
        budget = steps if self.race.step_count < steps else None
        past_converged = self.stop_state()[0] is not None  # converged already: run on, as past the budget
        if past_converged:
            self.message = "running on past convergence, until paused"
        self.state = RUNNING
        self.autorun.start(budget, done, past_converged)
        self.changed()

    def pause(self, message: str | None = None) -> None:
        self._halt(PAUSED)
        if message:
            self.message = message
        self.changed()

    def _halt(self, state: State) -> None:
        self.autorun.halt()
        self.state = state

    def wait_stopped(self, timeout: float = 5.0) -> None:
        """Until the auto-run loop has ended its slice (after a pause, or to quit)."""
        self.autorun.wait_stopped(timeout)

    def finished(self, state: State, message: str) -> None:
        """The auto-run loop stopped by itself (the budget, a convergence, a divergence)."""
        self.state = state
        if message:
            self.message = message
        self.changed()

    @operation
    def set_speed(self, delta: int) -> None:
        self.speed_index = max(0, min(len(SPEEDS) - 1, self.speed_index + delta))
        self.changed()

    # ------------------------------------------------------------ lanes (racing.py)

    @operation
    def add_lane(self) -> None:
        """A new lane with the selected lane's settings; the race starts over at step 0."""
        racing.add_lane(self)

    @operation
    def remove_lane(self) -> None:
        racing.remove_lane(self)

    @operation
    def select_lane(self, index: int) -> None:
        racing.select_lane(self, index)

    @operation
    def preset(self) -> None:
        """SGD vs momentum vs Nesterov vs Adam, from the same start (and seed)."""
        racing.preset(self)

    @operation
    def open_saved_race(self) -> None:
        """The race a scenario file's [race] table holds (ctrl+s in a race writes it)."""
        racing.open_saved_race(self)

    # ------------------------------------------------------------ a lesson (lesson_parts.py)

    @operation
    def open_part(self, index: int) -> None:
        """The lesson's part `index` (0-based): its settings, from the lesson's start."""
        lesson_parts.open_part(self, index)

    @operation
    def open_lesson(self, lesson: Lesson) -> None:
        """Play `lesson` here: its scenario, then its first part."""
        lesson_parts.open_lesson(self, lesson)

    @operation
    def answer(self, choice: int) -> None:
        """Pick answer `choice` (1-based) of the open part's question."""
        if self.lesson is not None and (said := self.lesson.answer(choice)):
            self.say(said)

    @operation
    def move_choice(self, delta: int) -> None:
        """The arrows, while a lesson's question is open: the cursor to the choice above or below."""
        if self.lesson is not None:
            self.lesson.move_choice(delta)

    @property
    def asking(self) -> bool:
        """A lesson's question is open: asked, not yet answered (the digit keys answer it)."""
        return self.lesson is not None and self.lesson.asking

    @operation
    def lesson_lanes(self, configs: list[RunConfig], start: tuple[float, float] | None) -> None:
        """A lesson's part from the start: one run, or a race of `configs` (lane 1 selected)."""
        lesson_parts.lanes(self, configs, start)

    def lesson_scenario(self, scenario: Scenario) -> None:
        """A lesson's part on another scenario: the lesson goes on there."""
        lesson_parts.scenario(self, scenario)

    @operation
    def lesson_settings(self, config: RunConfig) -> None:
        """A lesson's part that goes on from where the last stopped, with its settings."""
        lesson_parts.settings(self, config)

    # ------------------------------------------------------------ where to start (surfaces; racing.py)

    @operation
    def move_start(self, point: tuple[float, float]) -> None:
        """Start every lane at `point` (data coordinates), from step 0."""
        racing.move_start(self, point)

    @operation
    def nudge(self, dx: int, dy: int) -> None:
        racing.nudge(self, dx, dy)

    @operation
    def original_start(self) -> None:
        racing.original_start(self)

    # ------------------------------------------------------------ settings (editing.py)

    @operation
    def pick(self, which: str, value: str) -> None:
        """A choice from a list: scenario, optimizer, loss or schedule."""
        editing.pick(self, which, value)

    def edit(self, name: str, value: str | bool) -> str | None:
        """Set field `name` from what was typed (or switched): None when it took, else why not
        (the setting stays as it was)."""
        return editing.edit(self, name, value)

    @operation
    def take_point(self, lr: float, momentum: float | None = None) -> None:
        """A sweep's point for the run: its lr, and its momentum from a phase diagram."""
        editing.take_point(self, lr, momentum)

    @operation
    def scale_lr(self, factor: float) -> None:
        editing.scale_lr(self, factor)

    # ------------------------------------------------------------ jobs

    def close(self) -> None:
        """The face is going: the auto-run loop and any job stop."""
        self.closed = True
        self.pause()
        for job in (self.sweep, self.tune):
            if job is not None:
                job.cancel()
        self.wait_stopped(2.0)

    def sweep_job(self) -> SweepJob:
        """A sweep (or phase diagram) of the settings in force from the run's start: a job to
        start, read and cancel; it waits for torch if torch is still loading."""
        from playground.sweep_job import SweepJob

        self.sweep = SweepJob(
            self.scenario, self.config, self.run.start if self.run is not None else None,
            ready=lambda: self.run is not None or self.engine_error is not None,
            curvature=lambda: self.run.curvature() if self.run is not None else None,  # once torch is there
        )
        return self.sweep

    def tune_job(self) -> TuneJob | None:
        """A fair comparison of the race's lanes (T): a job to start, read and cancel; when it
        ends, every lane takes its tuned setting. None, said, when there is no race."""
        from playground.tune_job import TuneJob

        if not self.engine_ready():
            return None
        if not self.racing:
            self.say("a fair comparison tunes a race's lanes: {key:preset} or {key:add_lane} makes one")
            return None
        job = self.tune = TuneJob(self.scenario, [(describe(lane.config), lane.config) for lane in self.lanes])
        job.listeners.append(lambda: self._tuned(job))
        return job

    @operation
    def _tuned(self, job: TuneJob) -> None:
        if job.ended and job.result is not None and job is self.tune:
            racing.take_tuned(self, job.result)

    # ------------------------------------------------------------ the landscape view

    @operation
    def toggle_landscape(self) -> None:
        """m: the map, then the landscape on pca directions, then on random ones, then the map."""
        if self.scenario.surface is not None:
            self.say("a surface's map already is its whole landscape: {key:landscape} shows a network's, on a dataset")
            return
        if not self.engine_ready():
            return
        mode = self.landscape.next_mode()
        lanes = " (every lane's path on the selected lane's plane)" if self.racing else ""
        self.say({
            "pca": f"loss landscape around the weights, on the path's two principal directions{lanes}; {{key:landscape}}: random directions",
            "random": f"loss landscape on two random filter-normalised directions (Li et al. 2018){lanes}; {{key:landscape}}: back to the map",
            "map": "the map again; {key:landscape}: the loss landscape",
        }[mode])

    @operation
    def toggle_sharpness(self) -> None:
        """h: measure every lane's sharpness every few steps (the loss panel draws it against
        2/lr), or stop measuring it."""
        from playground.sharpness import EVERY

        if not self.engine_ready():
            return
        on = all(lane.sharpness is None for lane in self.lanes)
        with self.step_lock:
            for lane in self.lanes:
                lane.watch_sharpness(EVERY if on else None)
        if on:
            where = "the Hessian's largest eigenvalue" if self.scenario.surface is not None else "the training loss's Hessian's largest eigenvalue, by power iteration"
            self.say(f"sharpness every {EVERY} steps ({where}): red in the loss panel, against 2/lr in white; {{key:sharpness}}: off")
        else:
            self.say("sharpness: off")

    def compute_landscape(self) -> None:
        """Compute the selected lane's plane (in a thread of its own, started when the view wants
        one: it takes a moment); it stops when the run or the view's mode changes, or the face goes."""
        run = self.run
        if run is None:
            self.landscape.progress = None
            return
        try:
            self.landscape.compute(run, lambda: self.closed or self.run is not run, self.changed)
        except Exception as exc:  # noqa: BLE001 - our bug: said, and the session stays usable
            self.fault(exc)
            return
        if self.landscape.error:  # whole in the message history (M), where the map's legend may cut it short
            self.say(f"no landscape: {self.landscape.error}")
