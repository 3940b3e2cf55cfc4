"""A fair comparison of a race's lanes (the app's `T`) as a session job: started with a protocol,
run in a thread of its own over worker processes, told to its listeners as runs finish, cancelled
between two chunks of steps, read when done (tuning.Comparison). No UI here: the session starts it
and gives the lanes their tuned settings; the tune screen only draws it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from playground.errors import ConfigError
from playground.job import Job
from playground.tuning import Comparison, Protocol

if TYPE_CHECKING:
    from playground.scenarios import Scenario
    from playground.settings import RunConfig


class TuneJob(Job):
    """start(protocol), then done/total runs, result (a Comparison), error; its listeners are
    told of each run that finishes and of the end, from the job's thread."""

    def __init__(self, scenario: Scenario, runs: Sequence[tuple[str, RunConfig]], workers: int | None = None) -> None:
        super().__init__()
        self.scenario, self.runs, self.workers = scenario, list(runs), workers
        self.protocol: Protocol | None = None
        self.finished = 0  # runs done so far
        self.total = 0  # runs in all: every lane's trials and seeds
        self.result: Comparison | None = None
        self.ended = False  # finished, failed or cancelled

    @property
    def running(self) -> bool:
        return self._thread is not None and not self.ended

    def start(self, protocol: Protocol) -> None:
        """Tune every lane with `protocol` (stopping a job under way); ConfigError, and nothing
        starts, when the protocol is out of its limits."""
        from playground.tuning import check_runs

        protocol.check()
        check_runs(self.runs, protocol)
        self.cancel()
        self.protocol, self.result, self.error, self.note, self.ended = protocol, None, "", "", False
        self.finished, self.total = 0, (protocol.trials + protocol.seeds) * len(self.runs)
        self._launch(self._run, protocol, name="tune")
        self._changed()

    def _run(self, protocol: Protocol, stop: threading.Event) -> None:
        from playground.tuning import compare, in_pool
        from playground.workers import app_workers

        def one_more() -> None:
            if stop is self._stop:  # not a job stopped for a new one
                self.finished += 1
                self._changed()

        error, result = "", None
        try:
            result = compare(self.scenario, self.runs, protocol, in_pool(self.scenario, self.workers or app_workers(), stop.is_set, self._told, one_more))
        except ConfigError as exc:
            error = str(exc)
        except Exception as exc:  # noqa: BLE001 - said where the job is shown, which stays usable
            error = f"the comparison failed: {type(exc).__name__}: {exc}".splitlines()[0][:200]
        if stop is not self._stop:  # a new comparison started meanwhile: this one's end is not news
            return
        self.error = error
        self.result = result if not stop.is_set() else None
        self.ended = True
        self._changed()
