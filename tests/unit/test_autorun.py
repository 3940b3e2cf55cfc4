"""The auto-run loop on its own (autorun.AutoRun), driven headless through a session."""

from __future__ import annotations

import time

from playground import scenarios
from playground.autorun import PAUSED, SPEEDS, Phase, State
from playground.session import Session


def _session() -> Session:
    s = Session(scenarios.load("rosenbrock"))
    s.load_engine(background=False)
    s.speed_index = 0  # 1 step a second: the loop is slow enough to catch going
    return s


def wait_until(condition, timeout: float = 30.0) -> bool:  # noqa: ANN001
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.01)
    return True


def test_a_late_word_from_a_paused_loop_does_not_stop_the_loop_started_after_it() -> None:
    s = _session()
    s.start()
    old = s.autorun.generation
    s.pause()
    s.start()
    assert s.running and s.autorun.generation > old
    s.autorun.ended(old, PAUSED, "reached the budget of 10 steps")
    assert s.running and "budget" not in s.message
    s.autorun.ended(s.autorun.generation, State(Phase.CONVERGED), "converged here")
    assert not s.running and s.state.phase is Phase.CONVERGED and s.message == "converged here"
    s.wait_stopped()


def test_the_loop_stops_at_the_budget_and_says_so() -> None:
    s = _session()
    s.speed_index = SPEEDS.index(None)  # unthrottled
    s.edit("steps", "25")
    s.start()
    assert wait_until(lambda: not s.running), "the loop never stopped"
    s.wait_stopped()
    assert s.step_count == 25 and s.state == PAUSED and "reached the budget of 25 steps" in s.message
    assert s.rate is None  # no rate once it has stopped

