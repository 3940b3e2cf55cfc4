"""The auto-run loop: a race's steps in the background, paced at a speed, until it is paused or
ends by itself (the budget, every lane converged or diverged). No UI here: a face hands the loop
to a worker of its own (`runner`), or it runs in a thread.

Each start and each pause makes a new generation; a loop steps only while its generation is the
current one, so an old loop ends at its next step, and its late word that it ended (`ended`) is
dropped rather than stopping the run started after it.
"""

from __future__ import annotations

import enum
import functools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from playground.formatting import count

if TYPE_CHECKING:
    from playground.race import Race

SPEEDS: list[int | None] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, None]  # None: unthrottled
DEFAULT_SPEED = SPEEDS.index(100)


class Phase(enum.Enum):
    PAUSED = "paused"
    RUNNING = "running"
    CONVERGED = "converged"
    DIVERGED = "diverged"
    ALL_DIVERGED = "every lane diverged"


class State(str):
    """Where the session is: a Phase, and for a divergence the step it happened at. It is also
    its text ("paused", "diverged at step 12"), which is what the status line shows."""

    phase: Phase
    step: int | None

    def __new__(cls, phase: Phase, step: int | None = None) -> State:
        state = super().__new__(cls, f"diverged at step {step}" if phase is Phase.DIVERGED else phase.value)
        state.phase, state.step = phase, step
        return state

    def __repr__(self) -> str:
        return f"State({str(self)!r})"


PAUSED, RUNNING = State(Phase.PAUSED), State(Phase.RUNNING)


class Host(Protocol):
    """What the loop needs of a session: the race it steps, the lock a step holds, the speed
    chosen, when to stop, and whom to tell."""

    race: Race | None
    step_lock: Any
    speed_index: int

    def stop_state(self, past_converged: bool = False) -> tuple[Any, str]: ...

    def finished(self, state: Any, message: str) -> None: ...

    def fault(self, exc: BaseException) -> None: ...


class AutoRun:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.running = False
        self.rate: float | None = None  # steps a second while running
        self.generation = 0  # a new one at each start and pause: an old loop ends
        # how a face runs the loop in the background (the TUI: a worker of its own); None: a
        # thread of its own, for a face with no workers (tests, scripts)
        self.runner: Callable[[Callable[[], None]], object] | None = None
        self.lock = threading.RLock()  # the generation and running change together
        self._loops = 0  # loops started and not yet ended (a paused one ends its slice)
        self._loops_ended = threading.Condition()
        self._loop_threads: set[int] = set()  # the threads running a loop now

    def start(self, budget: int | None, done: str = "", past_converged: bool = False) -> None:
        """Run until paused, step `budget` (None: no budget) or a stop (`past_converged`: not
        at a convergence already seen). `done`: what to say at the budget."""
        with self.lock:
            self.generation += 1
            generation = self.generation
            self.running, self.rate = True, None
        with self._loops_ended:
            self._loops += 1
        job = functools.partial(self.loop, generation, budget, done, past_converged)
        if self.runner is None:
            threading.Thread(target=job, name="auto-run", daemon=True).start()
        else:
            self.runner(job)

    def halt(self) -> None:
        """Stop: the loop ends after the step it is in."""
        with self.lock:
            self.generation += 1
            self.running, self.rate = False, None

    def ended(self, generation: int, state: Any, message: str) -> None:
        """The loop of `generation` stopped by itself: the host hears of it, unless a pause or a
        newer start came first."""
        with self.lock:
            if generation != self.generation:
                return
            self.halt()
            self.host.finished(state, message)

    def wait_stopped(self, timeout: float = 5.0) -> None:
        """Until the loop has ended its slice (after a pause, or to quit)."""
        if threading.get_ident() in self._loop_threads:  # not from inside a loop itself
            return
        with self._loops_ended:
            self._loops_ended.wait_for(lambda: self._loops == 0, timeout)

    def loop(self, generation: int, budget: int | None, done: str = "", past_converged: bool = False) -> None:
        """The loop itself, a plain function that blocks until the run pauses or ends."""
        me = threading.get_ident()
        self._loop_threads.add(me)
        try:
            self._pace(generation, budget, done, past_converged)
        except Exception as exc:  # noqa: BLE001 - our own bug: the host pauses and says so
            if generation == self.generation:
                self.host.fault(exc)
        finally:
            self._loop_threads.discard(me)
            with self._loops_ended:
                self._loops -= 1
                self._loops_ended.notify_all()

    def _pace(self, generation: int, budget: int | None, done: str, past_converged: bool) -> None:
        host = self.host
        race = host.race
        assert race is not None
        lock = host.step_lock
        chunk = 1
        next_time = time.perf_counter()
        rate_time, rate_steps = next_time, race.step_count

        def going() -> bool:
            return generation == self.generation

        while going():
            speed = SPEEDS[host.speed_index]
            n = chunk if speed is None else max(1, speed // 50)
            if budget is not None:
                n = min(n, budget - race.step_count)
                if n <= 0:
                    what = "the race reached" if len(race.lanes) > 1 else "reached"  # not the lane the status line shows
                    self.ended(generation, PAUSED, done or f"{what} the budget of {count(budget, 'step')}; space runs on past it, until paused")
                    return
            t0 = time.perf_counter()
            # one step at a time, so a pause takes effect after the current step: while the UI
            # thread draws, a slice of a few steps can take 100+ ms waiting for the GIL
            for _ in range(n):
                with lock:
                    made = race.step(1) if going() else 0
                if not made:
                    break
                state, why = host.stop_state(past_converged)
                if state is not None:
                    self.ended(generation, state, why)
                    return
            t1 = time.perf_counter()
            if speed is None:  # aim at slices of ~10 ms: short enough to pause at once
                chunk = max(1, min(chunk * 2, int(chunk * 0.01 / max(t1 - t0, 1e-6))))
            if t1 - rate_time >= 0.5:
                self.rate = (race.step_count - rate_steps) / (t1 - rate_time)
                rate_time, rate_steps = t1, race.step_count
            if speed is not None:
                next_time += n / speed
                now = time.perf_counter()
                if next_time < now - 0.25:  # fell behind: do not try to catch up
                    next_time = now
                while going() and (wait := next_time - time.perf_counter()) > 0:
                    time.sleep(min(wait, 0.02))
