"""Worker processes, one per core, for runs that do not depend on one another: a sweep's cells, a
fair comparison's trials and seeds. No UI here.

The processes are forked from the command line (one thread, torch already imported, as torch's
DataLoader does), from a forkserver in the app (forking a process that runs threads is unsafe),
whose server imports torch once. Cancelling sets an event each worker reads between two chunks of
steps.

A worker ends when the process that runs the pool does, however that ends (SIGTERM, SIGKILL): the
kernel sends it SIGKILL then (a parent-death signal), or a thread watching that process ends it
(process_end.end_with). A worker killed from outside (the out-of-memory killer) is not a bug of
ours: the runs not yet done are run again, once, in a new pool, and the caller is told."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from playground.errors import PlaygroundError

WORKERS_ENV = "PLAYGROUND_WORKERS"  # the most processes the app's pools may use (`serve --sweep-workers`)
R = TypeVar("R")


class WorkersDied(PlaygroundError):
    """Worker processes were killed from outside twice in one pool: the runs not done are lost."""


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def app_workers() -> int:
    """The processes the app's pools use: a core each, at most PLAYGROUND_WORKERS (which
    `playground serve` gives each session: 1, one process, unless --sweep-workers says more)."""
    limit = os.environ.get(WORKERS_ENV, "").strip()
    return min(cores(), int(limit)) if limit.isdigit() and int(limit) >= 1 else cores()


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker, which the forkserver needs, with a real standard
    error: it hands the tracker sys.stderr's file descriptor, and under Textual sys.stderr is a
    capture without one ("bad value(s) in fds_to_keep"). Once running, it is not started again."""
    import sys
    from multiprocessing import resource_tracker

    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable or sys.__stderr__ is None:
        resource_tracker.ensure_running()
        return
    captured, sys.stderr = sys.stderr, sys.__stderr__
    try:
        resource_tracker.ensure_running()
    finally:
        sys.stderr = captured


_STOP: Any = None  # a worker's copy of the pool's cancel event


def _worker_start(stop: Any, owner: int) -> None:
    from playground.process_end import end_with

    global _STOP
    _STOP = stop
    end_with(owner)


def _worker_call(call: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    return call(*args, _STOP.is_set)


def pooled(call: Callable[..., R], items: Sequence[tuple[Any, ...]], workers: int, cancelled: Callable[[], bool], told: Callable[[str], None], what: str) -> Iterator[tuple[int, R]]:
    """`call(*item, cancelled)` for each item, over a pool of `workers` processes: yields (the
    item's index, its result) as each finishes. `call` is a module's function (it is pickled by
    name). A pool whose worker was killed from outside breaks: the items not yet done go to a new
    pool, once; a second death ends it with WorkersDied (`what` names the job in its message),
    the results already yielded kept by the caller."""
    import multiprocessing
    import threading
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    if threading.active_count() == 1:  # the command line: fork, as torch's DataLoader does; torch is already in
        context = multiprocessing.get_context("fork")
    else:  # the app, whose threads a fork would copy mid-flight: a fresh server forks the workers
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["playground.engine"])
        _start_resource_tracker()
    left = list(range(len(items)))  # the items not yet done
    for attempt in (1, 2):
        stop = context.Event()
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start, initargs=(stop, os.getpid()))
        try:
            pending = {pool.submit(_worker_call, call, items[i]): i for i in left}
            while pending:
                done, _ = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
                if cancelled():
                    return
                for future in done:
                    i = pending.pop(future)
                    result = future.result()  # a worker's exception (a bug of ours) is raised here
                    left.remove(i)
                    yield i, result
            return
        except BrokenProcessPool:
            if attempt == 2:
                raise WorkersDied(
                    f"{what}: worker processes were killed from outside twice (the out-of-memory killer does this); "
                    f"{len(left)} of {len(items)} cells are not done: try fewer workers"
                ) from None
            told(f"a worker process was killed from outside (the out-of-memory killer does this), not by a bug: its {len(left)} cells not yet done are run again")
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
