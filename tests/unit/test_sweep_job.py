"""A sweep is a session job (sweep_job.SweepJob): started, watched, cancelled and read headless,
without Textual, and its points are the same as `playground sweep`'s."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from playground import scenarios
from playground.errors import ConfigError
from playground.session import Session
from playground.sweep import learning_rates, sweep
from playground.sweep_job import Axes, SweepJob, refused


def _session(name: str = "rosenbrock") -> Session:
    s = Session(scenarios.load(name))
    s.load_engine(background=False)
    return s


def test_a_sessions_sweep_runs_headless_and_gives_the_same_points_as_the_command_line() -> None:
    s = _session()
    job = s.sweep_job()
    assert s.sweep is job
    axes = Axes(1e-4, 1e-2, points=5, steps=40)
    job.start(axes)
    assert job.wait(60) and job.done and not job.error and job.cells == 5
    direct = list(sweep(s.scenario, replace(s.config, steps=40), learning_rates(1e-4, 1e-2, 5), s.run.start))
    assert sorted(job.points, key=lambda p: p.lr) == direct
    best = job.best()
    assert best is not None and best.final_loss == min(p.final_loss for p in direct if not p.diverged)


def test_a_phase_diagram_on_a_quadratic_bowl_knows_heavy_balls_edge_from_its_own_thread() -> None:
    s = _session("ill_conditioned")
    job = s.sweep_job()
    job.start(Axes(1e-3, 1e-1, points=3, steps=20, momenta=2, m_min=0.0, m_max=0.9))
    assert job.wait(60) and job.done and job.cells == 6 and len(job.points) == 6
    edge = job.edge()
    assert edge is not None and edge.quadratic and edge.high > 0
    assert job.curvature is not None and threading.current_thread() is threading.main_thread()


def test_a_job_waits_for_torch_and_starts_on_the_first_poll_after() -> None:
    loaded = threading.Event()
    scenario = scenarios.load("rosenbrock")
    from playground.settings import resolve

    job = SweepJob(scenario, resolve(scenario), ready=loaded.is_set, workers=1)
    job.start(Axes(1e-4, 1e-3, points=2, steps=5))
    assert job.waiting and not job.running and job.points == []
    job.poll()
    assert job.waiting
    loaded.set()
    job.poll()
    assert not job.waiting and job.wait(60) and job.done and len(job.points) == 2


def test_a_job_tells_its_listeners_of_each_point_and_of_its_end() -> None:
    s = _session()
    job = s.sweep_job()
    seen: list[tuple[int, bool]] = []
    job.listeners.append(lambda: seen.append((len(job.points), job.done)))
    job.start(Axes(1e-4, 1e-2, points=3, steps=10))
    assert job.wait(60) and job.done
    counts = [n for n, _ in seen]
    assert counts == sorted(counts) and {1, 2, 3} <= set(counts)  # told as each point came
    assert seen[-1] == (3, True)  # the last telling: every point, and done


def test_a_sweep_asked_for_while_torch_loads_starts_when_the_session_gets_its_run() -> None:
    from playground.engine import Run

    s = Session(scenarios.load("rosenbrock"))  # torch not loaded by the session yet
    job = s.sweep_job()
    told = threading.Event()
    job.listeners.append(told.set)
    job.start(Axes(1e-4, 1e-3, points=2, steps=5))
    assert job.waiting and not told.is_set()
    s.use(Run(s.scenario, s.config, compact=True))  # what the loading thread hands over
    assert not job.waiting and told.is_set()
    assert job.wait(60) and job.done and len(job.points) == 2


def test_cancel_stops_a_sweep_between_chunks_and_keeps_its_points() -> None:
    s = _session("moons")
    job = s.sweep_job()
    job.start(Axes(1e-3, 1.0, points=40, steps=2000))
    job.cancel()
    assert job.wait(60) and not job.done and len(job.points) < 40


def test_an_axis_the_wrong_way_round_is_refused_naming_the_field_last_edited() -> None:
    job = _session().sweep_job()
    axes = Axes(0.1, 0.01, points=3, steps=5)
    with pytest.raises(ConfigError) as exc:
        job.start(axes)
    assert job.rates == [] and job.points == []
    assert refused(exc.value, axes, "lr_max") == "lr max: 0.01 is below lr min 0.1"
    assert refused(exc.value, axes, "lr_min") == "lr min: 0.1 is above lr max 0.01"
    with pytest.raises(ConfigError, match="is not a number"):
        Axes.typed({"lr_min": "fast", "lr_max": "1", "points": "3", "steps": "5", "momenta": "0", "m_min": "0", "m_max": "0.9"})
