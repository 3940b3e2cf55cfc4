"""A fair comparison of a race (the app's T) as a session job, driven headless: the lanes take
their tuned settings when it ends, and keep theirs when it is cancelled."""

from __future__ import annotations

import threading

import pytest

from playground import scenarios, tuning
from playground.session import Session
from playground.tuning import Protocol


@pytest.fixture(autouse=True)
def one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_WORKERS", "1")  # in this process: quick to start


def raced() -> Session:
    s = Session(scenarios.load("rosenbrock"))
    s.load_engine(background=False)
    s.preset()
    s.steps(30)
    return s


def test_a_finished_comparison_gives_every_lane_its_tuned_setting_and_says_so() -> None:
    s = raced()
    before = [lane.config for lane in s.lanes]
    job = s.tune_job()
    told = []
    job.listeners.append(lambda: told.append(job.finished))
    job.start(Protocol(trials=3, seeds=2))
    assert job.wait(120) and job.ended and not job.error and job.result is not None
    assert job.finished == job.total == 4 * 5 and told[-1] == 20 and told == sorted(told)
    # the same comparison, run directly, from the lanes as they were
    want = tuning.compare(s.scenario, [(r.run, c) for r, c in zip(job.result.lanes, before)], Protocol(trials=3, seeds=2))
    assert [lane.config for lane in s.lanes] == [lane.tuned for lane in want.lanes]
    assert s.tuned is job.result and s.step_count == 0 and s.config == s.run.config
    assert s.message.startswith("tuned on 3 trials, 2 seeds: lane 1 lr 0.001 → ") and tuning.verdict_text(job.result) in s.message


def test_a_cancelled_comparison_leaves_the_lanes_as_they_were() -> None:
    s = raced()
    before = [lane.config for lane in s.lanes]
    job = s.tune_job()
    started = threading.Event()
    job.listeners.append(lambda: started.set() if job.finished else None)
    job.start(Protocol(trials=40, seeds=5))
    assert started.wait(60)
    job.cancel()
    assert job.wait(60) and job.ended and job.result is None
    assert [lane.config for lane in s.lanes] == before and s.tuned is None and s.step_count == 30


def test_there_is_nothing_to_tune_without_a_race() -> None:
    s = Session(scenarios.load("rosenbrock"))
    s.load_engine(background=False)
    assert s.tune_job() is None and "race" in s.message
