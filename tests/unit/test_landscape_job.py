"""The landscape view's plane is a session job: the session computes it in a thread of its own
when the view is shown and the run paused, with no face at all, and says how far it has got."""

from __future__ import annotations

import time

from playground import scenarios
from playground.session import Session


def wait_until(condition, timeout: float = 60.0) -> None:  # noqa: ANN001
    t0 = time.perf_counter()
    while not condition():
        assert time.perf_counter() - t0 < timeout, "timed out"
        time.sleep(0.01)


def test_m_on_a_paused_session_computes_the_plane_in_the_background_and_again_after_steps() -> None:
    s = Session(scenarios.load("moons"))
    s.load_engine(background=False)
    progress: list[float] = []
    s.listeners.append(lambda: progress.append(s.landscape.progress) if s.landscape.progress is not None else None)
    s.steps(20)
    s.toggle_landscape()  # pca directions: the path has moved
    assert s.landscape.mode == "pca"
    wait_until(lambda: s.landscape.found is not None and s.landscape.progress is None)
    first = s.landscape.found
    assert s.landscape.current(s.run) and first.step == 20 and progress and progress == sorted(progress)
    s.steps(10)  # the run moved on, paused: the plane is computed again, at its new step
    wait_until(lambda: s.landscape.found is not first and s.landscape.progress is None)
    assert s.landscape.found.step == 30 and s.landscape.current(s.run)
    s.close()


def test_nothing_is_computed_while_the_view_shows_the_map() -> None:
    s = Session(scenarios.load("moons"))
    s.load_engine(background=False)
    s.steps(5)
    assert s.landscape.mode == "map" and not s.landscape.claim(s.run, s.running)
    assert s.landscape.progress is None and s.landscape.found is None
