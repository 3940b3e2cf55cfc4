"""The Session without any face: what the TUI, a lesson or a browser drives, tested directly
(no Textual, no pilot). Each test is something a person would see go wrong in the app."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
import torch

from playground import exports, scenarios
from playground.keys import with_keys
from playground.engine import Run
from playground.session import PAUSED, SPEEDS, Phase, Session


def loaded(name: str = "rosenbrock", **config: object) -> Session:
    from playground.settings import resolve

    scenario = scenarios.load(name)
    session = Session(scenario, resolve(scenario, **config) if config else None)
    session.load_engine(background=False)
    assert session.race is not None and session.run is not None, session.message
    return session


def wait_until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    t0 = time.perf_counter()
    while not condition():
        if time.perf_counter() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.005)


def plain_sgd(n: int, lr: float, momentum: float, nesterov: bool, start: tuple[float, float]) -> list[float]:
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr, momentum=momentum, nesterov=nesterov)
    for _ in range(n):
        opt.zero_grad()
        x, y = p
        ((1 - x) ** 2 + 100 * (y - x**2) ** 2).backward()
        opt.step()
    return p.tolist()


def test_stepping_the_session_is_stepping_torch() -> None:
    session = loaded()
    for _ in range(3):
        session.step()
    session.steps(7)
    c = session.config
    assert session.step_count == 10 and session.state == PAUSED
    want = plain_sgd(10, c.hyper["lr"], c.hyper["momentum"], c.hyper["nesterov"], session.scenario.surface.start)
    assert session.run.point == pytest.approx(want, abs=1e-6)


def test_auto_run_stops_at_the_budget_and_says_so() -> None:
    session = loaded(steps=40)
    session.speed_index = len(SPEEDS) - 1
    seen: list[int] = []
    session.listeners.append(lambda: seen.append(session.version))
    session.toggle_run()
    assert session.running and session.state == "running"
    wait_until(lambda: not session.running, what="the budget")
    assert session.step_count == 40 and session.state == PAUSED
    assert "budget of 40 steps" in session.message
    assert seen, "no listener was told the run ended"


def test_pause_stops_the_thread_and_no_step_follows() -> None:
    session = loaded(steps=10_000_000, hyper={"lr": 1e-5})
    session.speed_index = len(SPEEDS) - 1
    session.start()
    wait_until(lambda: session.step_count > 20)
    session.toggle_run()
    session.wait_stopped()
    made = session.step_count
    time.sleep(0.05)  # a stopped thread would step here if it went on
    assert session.step_count == made and not session.running


def test_a_diverging_run_ends_in_the_diverged_state_with_its_step() -> None:
    session = loaded(hyper={"lr": 0.1})
    session.speed_index = len(SPEEDS) - 1
    session.start()
    wait_until(lambda: not session.running, what="the divergence")
    run = session.run
    assert run.diverged and session.state.phase is Phase.DIVERGED
    assert session.state == f"diverged at step {run.diverged_at}" and "press r to reset" in with_keys(session.message)
    session.reset()
    assert session.step_count == 0 and not session.run.diverged and session.state == PAUSED


def test_keys_pressed_before_torch_loads_are_done_once_it_is_there() -> None:
    scenario = scenarios.load("rosenbrock")
    session = Session(scenario)
    session.step()
    session.step()
    assert session.queued == ["step", "step"] and session.run is None
    session.load_engine(background=False)
    assert session.step_count == 2 and session.queued == []


def test_a_lessons_next_part_asked_for_before_torch_loads_opens_once_it_is_there() -> None:
    from playground import lessons

    lesson = lessons.load("momentum")
    s = Session(lesson.scenario)
    s.lesson = lessons.Player(lesson, s)
    s.open_part(s.lesson.shown + 1)  # n, while torch loads: part 2
    assert s.lesson.index == -1 and s.message == "part 2 opens once torch has loaded"
    s.use(Run(lesson.scenario, s.config, compact=True))
    assert s.lesson.index == 1 and s.message.startswith("part 2/4")
    assert [lane.config for lane in s.lanes] == list(lesson.parts[1].configs)


def test_a_typed_setting_is_checked_once_and_the_bad_one_leaves_the_run_alone() -> None:
    session = loaded()
    assert session.edit("lr", "0.0005") is None
    assert session.run.lr == 0.0005 and session.config.hyper["lr"] == 0.0005
    for name, text, why in [("lr", "fast", "'fast' is not a number"), ("steps", "-1", "must be from 0 to 100000000"), ("seed", str(2**32), "must be from 0 to 4294967295"), ("clip", "-1", "must be >= 0")]:
        error = session.edit(name, text)
        assert error is not None and why in error, (name, error)
        assert session.message == f"{name} not changed: {error}"  # the message line says it too
    assert session.run.lr == 0.0005 and session.config.steps == 500 and session.config.clip == 0


def test_a_race_is_lanes_of_one_session_and_a_lane_is_edited_on_its_own() -> None:
    session = loaded()
    session.preset()
    assert session.racing and len(session.lanes) == 4 and session.lane_index == 0
    session.select_lane(3)
    assert session.config.optimizer == "adam"
    session.edit("lr", "0.01")
    assert [lane.lr for lane in session.lanes][-1] == 0.01 and session.lanes[0].lr != 0.01
    session.steps(5)
    assert all(lane.step_count == 5 for lane in session.lanes)
    session.remove_lane()
    assert len(session.lanes) == 3 and session.lane_index == 2
    session.select_lane(7)
    assert "1 to 3" in with_keys(session.message)


def test_moving_the_start_starts_every_lane_there() -> None:
    session = loaded()
    session.steps(3)
    session.move_start((0.5, -0.5))
    assert session.step_count == 0 and session.run.point == pytest.approx([0.5, -0.5])
    session.original_start()
    assert session.run.point == pytest.approx(list(session.scenario.surface.start))


def test_switching_scenario_and_optimizer() -> None:
    session = loaded()
    session.pick("optimizer", "adam")
    assert session.run.config.optimizer == "adam" and session.run.lr == session.config.hyper["lr"]
    session.pick("scenario", "moons")
    assert session.scenario.name == "moons" and session.run.scenario.name == "moons" and session.step_count == 0
    session.pick("scenario", "no_such_scenario")
    assert session.scenario.name == "moons" and "no_such_scenario" in session.message


def test_a_bug_of_ours_pauses_and_says_internal_error_with_the_traceback_kept(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    session = loaded()
    monkeypatch.setattr(Run, "reset", lambda self, start=None: {}["no such key"])
    session.reset()
    assert session.message.startswith("internal error: KeyError")
    files = list((tmp_path / "playground").glob("internal-error-*.txt"))
    assert len(files) == 1 and str(files[0]) in session.message
    assert "Traceback" in files[0].read_text()
    session.step()  # and the session goes on
    assert session.step_count == 1


def test_a_bug_in_the_engine_is_not_called_a_divergence(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    session = loaded()
    monkeypatch.setattr(type(session.run.history.loss), "append", None)  # the engine's own code now fails
    session.step()
    assert not session.run.diverged
    assert session.message.startswith("internal error: TypeError")


def test_an_export_after_changing_lr_is_the_command_lines_run_to_the_bit(tmp_path) -> None:  # noqa: ANN001
    """Issue 19: the app's export held single-precision losses (large finite ones as null) and
    an lr no update used ([0.001, 0.032, ...]); it must be what `run --lr 0.032` prints."""
    import json

    from playground import report
    from playground.settings import resolve

    session = loaded()
    for _ in range(5):
        session.scale_lr(2)  # ] five times: 0.001 -> 0.032, before any step
    session.steps(10)
    assert session.state.phase is Phase.DIVERGED and session.step_count == 5
    got = json.loads(exports.export_text(session, tmp_path / "run.json"))
    scenario = scenarios.load("rosenbrock")
    plain = Run(scenario, resolve(scenario, hyper={"lr": 0.032}))
    plain.step(10)
    want = json.loads(report.to_json(plain))
    assert got["loss"] == want["loss"] and got["loss"][4] > 1e169  # finite, in double precision
    assert got["lr"] == want["lr"] == [0.032] * 6
    assert got["trajectory"] == want["trajectory"]


def test_the_lr_recorded_at_a_change_mid_run_is_the_rate_the_next_update_uses() -> None:
    session = loaded()
    session.steps(3)
    session.edit("lr", "0.0005")
    session.steps(2)
    lr = session.run.history.lr
    assert [lr[i] for i in range(len(lr))] == [0.001, 0.001, 0.001, 0.0005, 0.0005, 0.0005]


def test_auto_run_at_top_speed_stops_at_the_first_step_below_the_tolerance() -> None:
    """Issue 19: at speed max the app said converged at 3029 and 3035, at 1000/s at 3020; the
    gradient norms say 3019. The step does not depend on the speed."""
    scenario = scenarios.load("rosenbrock")
    from playground.settings import resolve

    plain = Run(scenario, resolve(scenario, steps=5000))
    plain.step(5000)
    tol = scenario.defaults.grad_tolerance
    norms = plain.history.grad_norm
    want = next(i for i in range(len(norms)) if norms[i] < tol)
    for speed in (len(SPEEDS) - 1, SPEEDS.index(1000)):
        session = loaded(steps=5000)
        session.speed_index = speed
        session.toggle_run()
        wait_until(lambda s=session: not s.running, timeout=120, what="auto-run to stop")
        assert session.state.phase is Phase.CONVERGED, session.state
        assert session.step_count == want, (SPEEDS[speed], session.step_count, want)


def test_a_message_says_how_long_ago_it_was_said_once_the_run_moves_on() -> None:
    """Issue 19: 'reset to the start' still showed at step 72, 'reached the budget' while running."""
    session = loaded()
    session.steps(3)
    session.reset()
    assert session.told() == "reset to the start"
    session.steps(72)
    assert session.told() == "reset to the start (72 steps ago)"
    assert not re.search(r"\bstep\s*\d", session.told())  # the status line's `step N` stays the only one
    session.edit("lr", "0.002")
    assert session.told().startswith("lr 0.001 -> 0.002") and "(at step" not in session.told()


def test_a_face_runs_the_auto_run_loop_where_it_likes_and_waiting_covers_it() -> None:
    """Redesign 3/3: the pacing loop is a plain function a face runs in its own worker (the TUI
    a Textual worker); `wait_stopped` waits for it however it runs."""
    import threading

    session = loaded()
    jobs: list[threading.Thread] = []

    def runner(job: Callable[[], None]) -> None:  # a face's worker: here a thread of the test's
        thread = threading.Thread(target=job)
        jobs.append(thread)
        thread.start()

    session.autorun.runner = runner
    session.start()
    wait_until(lambda: session.step_count > 20, what="steps in the face's worker")
    assert len(jobs) == 1 and jobs[0].is_alive()
    session.toggle_run()  # pause
    session.wait_stopped()
    assert not jobs[0].is_alive()  # the loop ended its slice before wait_stopped returned
    made = session.step_count
    session.start()
    session.toggle_run()
    session.start()  # space, space, space: loops overlap for a moment
    wait_until(lambda: session.step_count > made + 20, what="running again")
    session.toggle_run()
    session.wait_stopped()
    assert len(jobs) == 3 and not any(job.is_alive() for job in jobs)


def test_space_after_a_convergence_stop_runs_on_as_after_the_budget() -> None:
    """space on a converged run took one step and stopped again, so it looked as if space did
    nothing: it runs on past convergence, until paused or the budget, and says so."""
    session = loaded(steps=5000)
    session.speed_index = len(SPEEDS) - 1
    session.toggle_run()
    wait_until(lambda: not session.running, timeout=120, what="auto-run to stop")
    assert session.state.phase is Phase.CONVERGED and "space runs on past it" in with_keys(session.message)
    stopped_at = session.step_count
    session.toggle_run()
    assert "running on past convergence" in session.message
    wait_until(lambda: session.step_count >= stopped_at + 50 or not session.running, timeout=60, what="50 more steps")
    assert session.step_count >= stopped_at + 50, (stopped_at, session.step_count, session.state)
    session.pause()
    session.wait_stopped()
