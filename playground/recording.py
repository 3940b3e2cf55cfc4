"""`--record FILE`: one JSON object per line as training goes, so a crash keeps what was done.

Each line is a point of a run, from step 0: step, loss, grad_norm, lr, the parameters x and y
on surfaces, accuracy on classification sets, and `lane` (the lane's index) in a race.
Non-finite numbers are written as null, so every line is strict JSON.

A new file is created exclusively (an existing one is never touched without force). With force,
the record goes to a temporary file beside the target and replaces it when the run ends, so the
earlier file stays whole until then; if the process dies, the temporary file holds the lines.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import IO

from playground.engine import Run
from playground.files import WriteError, check_target, mode_for


class Recorder:
    def __init__(self, path: str | Path, force: bool = False) -> None:
        self.target = Path(path)
        self._tmp: Path | None = None
        self._written: dict[int | None, int] = {}
        self._fh: IO[str] = self._open(force)

    def _open(self, force: bool) -> IO[str]:
        target = self.target
        folder = check_target(target, force)
        try:
            if target.exists():  # with force: replaced when the record is complete
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
                self._tmp = Path(tmp)
                os.fchmod(fd, mode_for(target))  # mkstemp makes it private (0600): keep the replaced file's
                return os.fdopen(fd, "w", encoding="utf-8")
            return open(target, "x", encoding="utf-8")
        except FileExistsError:
            raise WriteError(f"{target}: the file exists; use --force to replace it") from None
        except OSError as exc:
            raise WriteError(f"{target}: cannot write here ({exc.strerror or exc})") from None

    def write(self, run: Run, lane: int | None = None) -> int:
        """Write the points `run` made since the last call; returns how many lines."""
        h = run.history
        start, stop = self._written.get(lane, 0), len(h.loss)
        if stop <= start:
            return 0
        columns = {"loss": h.loss, "x": h.x, "y": h.y, "accuracy": h.accuracy, "grad_norm": h.grad_norm, "lr": h.lr}
        data = {k: c.array(start, stop).tolist() for k, c in columns.items() if c is not None}
        lines = []
        for i in range(stop - start):
            row: dict[str, object] = {} if lane is None else {"lane": lane}
            row["step"] = start + i
            for k, values in data.items():
                v = values[i]
                row[k] = v if math.isfinite(v) else None
            lines.append(json.dumps(row, allow_nan=False))
        try:
            self._fh.write("\n".join(lines) + "\n")
            self._fh.flush()
        except OSError as exc:
            raise WriteError(f"{self.target}: the record stopped ({exc.strerror or exc}); the lines before are kept") from None
        self._written[lane] = stop
        return len(lines)

    def close(self) -> None:
        try:
            self._fh.close()
            if self._tmp is not None:
                os.replace(self._tmp, self.target)
        except OSError as exc:
            where = f" (the record is in {self._tmp})" if self._tmp is not None else ""
            raise WriteError(f"{self.target}: the record could not be finished ({exc.strerror or exc}){where}") from None
