"""A sweep's worker processes: they end when the process that started them ends, however it
ends (SIGTERM, SIGKILL), from the command line (forked) and from the app (a forkserver); one
killed from outside (as the out-of-memory killer does) is not a bug: its cells are run again and
every cell comes back; the app's sweeps use at most PLAYGROUND_WORKERS processes."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from playground import scenarios
from playground.settings import resolve
from playground.sweep import cells, learning_rates, sweep
from playground.workers import WORKERS_ENV, app_workers, cores


def _children(pid: int) -> set[int]:
    """Every process below `pid` (children, their children, ...)."""
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.add(k)
            todo.append(k)
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _end_all(proc: subprocess.Popen) -> None:
    """A test's process and everything below it, ended whatever the test found."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    for p in _children(proc.pid):
        os.kill(p, signal.SIGKILL)


def wait_until(condition, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


# the app's way: a thread running besides (so the sweep takes a forkserver), then the sweep
APP_LIKE = textwrap.dedent(
    """
    import threading, time
    from playground import scenarios
    from playground.settings import resolve
    from playground.sweep import learning_rates, sweep
    threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
    s = scenarios.load("moons")
    for point in sweep(s, resolve(s, steps=20000), learning_rates(1e-3, 1.0, 12), workers=2):
        pass
    """
)


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or cores() < 2, reason="needs /proc and two cores")
@pytest.mark.parametrize(("how", "sig"), [("command line", signal.SIGTERM), ("command line", signal.SIGKILL), ("app", signal.SIGKILL)])
def test_workers_end_when_their_sweep_ends_however_it_ends(how: str, sig: int, tmp_path: Path) -> None:
    if how == "command line":
        argv = [sys.executable, "-m", "playground", "sweep", "moons", "--points", "10", "--momentum-points", "5", "--momentum-min", "0.5", "--momentum-max", "0.9", "--steps", "20000", "--workers", "2", "--format", "json"]
    else:
        argv = [sys.executable, "-c", APP_LIKE]
    proc = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        want = 2 if how == "command line" else 3  # the workers; and the forkserver
        wait_until(lambda: len(_children(proc.pid)) >= want, 120, f"{want} worker processes")
        below = _children(proc.pid)
        proc.send_signal(sig)
        proc.wait(30)
        wait_until(lambda: not any(_alive(p) for p in below), 20, f"{[p for p in below if _alive(p)]} to end after the sweep got signal {sig}")
    finally:
        _end_all(proc)


@pytest.mark.skipif(cores() < 2, reason="needs two cores")
def test_a_worker_killed_from_outside_costs_no_cell_and_is_not_called_a_bug() -> None:
    s = scenarios.load("moons")
    config = resolve(s, steps=3000)
    rates = learning_rates(1e-3, 1.0, 8)
    told: list[str] = []
    points = []
    for point in sweep(s, config, rates, workers=2, told=told.append):
        if not points:  # the first cell is done: a worker dies, as the out-of-memory killer kills
            workers = [p for p in multiprocessing.active_children() if p.is_alive()]
            assert workers, "no worker processes to kill"
            os.kill(workers[0].pid, signal.SIGKILL)
        points.append(point)
    assert sorted(p.lr for p in points) == sorted(lr for lr, _ in cells(rates, None))  # every cell, once
    assert len(told) == 1 and "killed from outside" in told[0] and "not by a bug" in told[0]


def test_the_apps_sweeps_use_at_most_the_processes_they_are_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(WORKERS_ENV, raising=False)
    assert app_workers() == cores()
    monkeypatch.setenv(WORKERS_ENV, "1")
    assert app_workers() == 1
    monkeypatch.setenv(WORKERS_ENV, "64")
    assert app_workers() == cores()
    from playground.web.server import app_command

    assert f"{WORKERS_ENV}=1 " in app_command(["moons"]) and f"{WORKERS_ENV}=3 " in app_command(["moons"], sweep_workers=3)


@pytest.mark.skipif(not Path("/proc/self/stat").exists() or cores() < 2, reason="needs /proc and two cores")
def test_ctrl_c_stops_a_tuned_comparison_its_workers_and_writes_nothing_half_done(tmp_path: Path) -> None:
    out = tmp_path / "tuned.json"
    argv = [sys.executable, "-m", "playground", "compare", "moons", "--run", "sgd", "--run", "adam", "--steps", "20000", "--tune", "40", "--workers", "2", "--format", "json", "--output", str(out)]
    proc = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_until(lambda: len(_children(proc.pid)) >= 2, 120, "2 worker processes")
        below = _children(proc.pid)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130 and stdout == b"" and b"Traceback" not in stderr, stderr
        assert not out.exists() and not list(tmp_path.iterdir())
        wait_until(lambda: not any(_alive(p) for p in below), 20, "the workers to end after Ctrl+C")
    finally:
        _end_all(proc)
