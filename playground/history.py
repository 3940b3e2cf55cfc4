"""What a run remembers, and how a long history is thinned for plotting.

A Series stores floats in fixed-size numpy blocks: appending is cheap, memory is 8 bytes a value
with no doubling copies, and a full block never changes again, so readers on another thread
(the TUI's redraw timer) can use it while training appends.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BLOCK = 8192


class Series:
    """An append-only column of float values, exact to float64.

    `compact` (the TUI's history, where a million steps must stay within a few tens of MB)
    keeps full blocks in memory in single precision, for drawing, and writes each one in
    double precision to a temporary file, which exports and reports read back: what a person
    saves from the app is the same, to the bit, as what `playground run` prints. The newest
    block is always in memory in double precision."""

    __slots__ = ("_blocks", "_current", "_fill", "_len", "_compact", "_spill", "_summaries")

    def __init__(self, compact: bool = False) -> None:
        self._compact = compact
        self._spill: Any = None  # compact: the file holding every full block in float64 (made at the first)
        self._blocks: list[np.ndarray] = []
        self._current = np.empty(BLOCK, np.float64)
        self._fill = 0
        self._len = 0
        self._summaries: list[np.ndarray] = []  # per full block: (4, BLOCK // SPAN) lo-index, lo, hi-index, hi

    def append(self, value: float) -> None:
        if self._fill == BLOCK:  # the block is retired only now: the newest value stays in `_current`
            self._retire()
        self._current[self._fill] = value
        self._fill += 1
        self._len += 1

    def set_last(self, value: float) -> None:
        """Replace the newest value (a setting changed what the current point records)."""
        if self._len:
            self._current[self._fill - 1] = value

    def _retire(self) -> None:
        block = self._current
        if self._compact:
            self._write(block)
            kept = block.astype(np.float32)
        else:
            kept = block
        self._current = np.empty(BLOCK, np.float64)
        self._fill = 0
        self._blocks.append(kept)

    def _write(self, block: np.ndarray) -> None:
        if self._spill is False:  # a write failed before: single precision from here on
            return
        try:
            if self._spill is None:
                self._spill = tempfile.TemporaryFile(prefix="playground-history-")
            self._spill.write(block.tobytes())
            self._spill.flush()
        except OSError:
            self._spill = False

    def _exact_block(self, b: int) -> np.ndarray:
        """Full block `b` in float64: from memory, or from the spill file."""
        block = self._blocks[b]
        if block.dtype == np.float64:
            return block
        spill = self._spill
        if spill:
            try:
                raw = os.pread(spill.fileno(), BLOCK * 8, b * BLOCK * 8)
                if len(raw) == BLOCK * 8:
                    return np.frombuffer(raw, dtype=np.float64)
            except OSError:
                pass
        return block.astype(np.float64)

    def __len__(self) -> int:
        return self._len

    def last(self) -> float:
        if self._len == 0:
            return math.nan
        return self[self._len - 1]

    def __getitem__(self, i: int) -> float:
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError(i)
        b, r = divmod(i, BLOCK)
        block = self._exact_block(b) if b < len(self._blocks) else self._current
        return float(block[r])

    def array(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """A copy of values [start, stop) as one numpy array, exact (float64)."""
        n = self._len if stop is None else min(stop, self._len)
        if start >= n:
            return np.empty(0)
        first, last = start // BLOCK, (n - 1) // BLOCK
        full = len(self._blocks)
        parts = [self._exact_block(b) if b < full else self._current for b in range(first, last + 1)]
        whole = np.concatenate(parts) if len(parts) > 1 else parts[0]
        offset = first * BLOCK
        return np.array(whole[start - offset : n - offset], dtype=np.float64)

    def tolist(self) -> list[float]:
        return self.array().tolist()

    def sample(self, indices: np.ndarray) -> np.ndarray:
        """The values at the given indices (each < len), gathered block by block: no copy of
        the whole column, however long it is."""
        indices = np.asarray(indices, dtype=np.int64)
        out = np.empty(len(indices), dtype=np.float64)
        blocks = indices // BLOCK
        # the current block first, then the count of full ones: a block that fills meanwhile is
        # then found among the full ones (another thread may be appending)
        current = self._current
        full = len(self._blocks)
        for b in np.unique(blocks):
            block = self._blocks[b] if b < full else current
            where = blocks == b
            out[where] = block[indices[where] - b * BLOCK]
        return out

    def _drawn(self) -> np.ndarray:
        """Every value as kept in memory for drawing (full blocks in single precision when
        compact), never read back from the spill file: the screen asks for it every frame."""
        return np.concatenate([*self._blocks, self._current[: self._fill]]).astype(np.float64)

    def thin(self, points: int) -> tuple[np.ndarray, np.ndarray]:
        """(indices, values): about `points` values or fewer that keep each stretch's lowest and
        highest finite value (so spikes survive) and always the newest value. Full blocks are
        summarised once, so the work and the memory do not grow with the run's length beyond a
        few numbers per SPAN values."""
        n = self._len
        if n <= max(2 * BLOCK, 4 * points):
            return downsample(self._drawn(), points)
        for b in range(len(self._summaries), len(self._blocks)):
            self._summaries.append(_summarise(self._blocks[b], b * BLOCK))
        parts = list(self._summaries)
        if self._fill:
            parts.append(_summarise(self._current[: self._fill], len(self._blocks) * BLOCK))
        lo_i, lo, hi_i, hi = np.concatenate(parts, axis=1)
        keep = np.isfinite(lo)
        lo_i, lo, hi_i, hi = lo_i[keep], lo[keep], hi_i[keep], hi[keep]
        spans = len(lo)
        buckets = max(1, points // 2)
        if spans > buckets:  # merge neighbouring spans: the lowest of the lows, the highest of the highs
            size = math.ceil(spans / buckets)
            pad = (-spans) % size
            lo_b = np.concatenate([lo, np.full(pad, np.inf)]).reshape(-1, size)
            hi_b = np.concatenate([hi, np.full(pad, -np.inf)]).reshape(-1, size)
            rows = np.arange(len(lo_b))
            a, z = lo_b.argmin(axis=1), hi_b.argmax(axis=1)
            lo_i = np.concatenate([lo_i, np.zeros(pad)]).reshape(-1, size)[rows, a]
            hi_i = np.concatenate([hi_i, np.zeros(pad)]).reshape(-1, size)[rows, z]
            lo, hi = lo_b[rows, a], hi_b[rows, z]
        idx = np.stack([lo_i, hi_i], axis=1).ravel()
        vals = np.stack([lo, hi], axis=1).ravel()
        order = np.argsort(idx, kind="stable")
        idx, vals = idx[order].astype(np.int64), vals[order]
        last = self.last()
        if math.isfinite(last) and (len(idx) == 0 or idx[-1] != n - 1):
            idx, vals = np.append(idx, n - 1), np.append(vals, last)
        return idx, vals


SPAN = 64  # values per summary entry of a full block


def _summarise(values: np.ndarray, offset: int) -> np.ndarray:
    """Per SPAN values: the index and value of the lowest and of the highest finite one (nan
    where a stretch has none)."""
    n = len(values)
    pad = (-n) % SPAN
    v = np.concatenate([values.astype(np.float64), np.full(pad, np.nan)]).reshape(-1, SPAN)
    finite = np.isfinite(v)
    low = np.where(finite, v, np.inf)
    high = np.where(finite, v, -np.inf)
    rows = np.arange(len(v))
    a, z = low.argmin(axis=1), high.argmax(axis=1)
    any_finite = finite.any(axis=1)
    base = offset + rows * SPAN
    lo = np.where(any_finite, low[rows, a], np.nan)
    hi = np.where(any_finite, high[rows, z], np.nan)
    return np.stack([base + a, lo, base + z, hi]).astype(np.float64)


class Stepwise:
    """A column that changes rarely (the learning rate): stored as change points only."""

    __slots__ = ("_starts", "_values", "_len", "_arrays")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._values: list[float] = []
        self._len = 0
        self._arrays: tuple[np.ndarray, np.ndarray] = (np.empty(0, dtype=np.int64), np.empty(0))

    def changes(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values): where the value changed, and to what. Kept between calls and only
        extended with what came since, so that a plot can read it every frame."""
        m = min(len(self._starts), len(self._values))  # the training thread may be appending
        steps, values = self._arrays
        k = len(steps)
        if m > k:
            steps = np.concatenate([steps, np.array(self._starts[k:m], dtype=np.int64)])
            values = np.concatenate([values, np.array(self._values[k:m], dtype=np.float64)])
            self._arrays = (steps, values)
        return steps, values

    def append(self, value: float) -> None:
        if not self._values or (value != self._values[-1] and not (value != value and self._values[-1] != self._values[-1])):
            self._starts.append(self._len)
            self._values.append(value)
        self._len += 1

    def __len__(self) -> int:
        return self._len

    def set_last(self, value: float) -> None:
        """Replace the newest value (a setting changed at the current point)."""
        if not self._len:
            return
        if self._starts and self._starts[-1] == self._len - 1:  # the newest value began a stretch
            self._starts.pop()
            self._values.pop()
        self._len -= 1
        self._arrays = (np.empty(0, dtype=np.int64), np.empty(0))  # rebuilt at the next read
        self.append(value)

    def last(self) -> float:
        return self._values[-1] if self._values else math.nan

    def __getitem__(self, i: int) -> float:
        if i < 0:
            i += self._len
        if not 0 <= i < self._len:
            raise IndexError(i)
        import bisect

        return self._values[bisect.bisect_right(self._starts, i) - 1]

    def array(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        n = self._len if stop is None else min(stop, self._len)
        if start >= n:
            return np.empty(0)
        whole = np.repeat(np.array(self._values, dtype=np.float64), np.diff([*self._starts, self._len]))
        return whole[start:n]

    def tolist(self) -> list[float]:
        return self.array().tolist()


class Ends:
    """Only the first and the last value: for a run whose caller asked for a summary (the
    headless text output), so a run of any length takes no memory for its history."""

    __slots__ = ("_first", "_last", "_len")

    def __init__(self) -> None:
        self._first = self._last = math.nan
        self._len = 0

    def append(self, value: float) -> None:
        if self._len == 0:
            self._first = value
        self._last = value
        self._len += 1

    def __len__(self) -> int:
        return self._len

    def set_last(self, value: float) -> None:
        if self._len == 1:
            self._first = value
        if self._len:
            self._last = value

    def last(self) -> float:
        return self._last

    def __getitem__(self, i: int) -> float:
        if i < 0:
            i += self._len
        if i == 0 and self._len:
            return self._first
        if i == self._len - 1:
            return self._last
        raise IndexError(f"{i}: this history keeps only its first and last values")

    def array(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        raise ValueError("this history keeps only its first and last values")

    def tolist(self) -> list[float]:
        return self.array().tolist()


Column = Series | Stepwise | Ends


@dataclass
class Average:
    """ASGD's average of the iterates (its state `ax`), from the first step that averaged: torch
    keeps it apart from the parameters, which are what the path and the loss show. Row k of
    these columns is history row `start + k`."""

    start: int
    loss: Column
    x: Column | None = None  # surfaces: where the average is
    y: Column | None = None


class Evaluations:
    """How many evaluations of the loss and its gradient the optimizer had made by each row:
    one per update, except where an optimizer calls the closure itself (LBFGS: up to max_eval
    a step), which notes its count here. Only those steps are stored, so the record costs
    nothing for a first-order optimizer. Row 0, the start, has 0."""

    __slots__ = ("_rows", "_extra")

    def __init__(self) -> None:
        self._rows: list[int] = []  # rows reached by an update that made more or fewer than one
        self._extra: list[int] = []  # the running total of (evaluations - 1) up to that row

    def note(self, row: int, used: int) -> None:
        """The update that led to `row` made `used` evaluations."""
        if used != 1:
            self._rows.append(row)
            self._extra.append((self._extra[-1] if self._extra else 0) + used - 1)

    def at(self, rows: np.ndarray) -> np.ndarray:
        """The evaluations made by each of `rows` (an array of row indices)."""
        rows = np.asarray(rows)
        m = min(len(self._rows), len(self._extra))  # the training thread may be appending
        if not m:
            return rows.astype(np.float64)
        where = np.searchsorted(np.array(self._rows[:m]), rows, side="right")
        extra = np.concatenate([[0], np.array(self._extra[:m])])
        return rows + extra[where].astype(np.float64)

    def tolist(self, n: int) -> list[int]:
        """Rows 0 to n - 1."""
        return [int(v) for v in self.at(np.arange(n))]


@dataclass
class History:
    """Everything a run records, one row per point: index k is the state after k updates."""

    loss: Column = field(default_factory=Series)
    grad_norm: Column = field(default_factory=Series)
    lr: Column = field(default_factory=Stepwise)
    x: Column | None = None  # surfaces: the trajectory
    y: Column | None = None
    accuracy: Column | None = None  # classification
    test_accuracy: Column | None = None  # classification with a test split

    @classmethod
    def make(cls, kind: str, test_points: bool, full: bool = True, compact: bool = False) -> History:
        """The columns a run of this kind records; `full=False` keeps only first and last values;
        `compact` (the TUI, where a million steps must stay within a few tens of MB) draws from
        single precision and keeps the exact values on disk (see Series)."""
        column = (lambda: Series(compact=compact)) if full else Ends
        h = cls(loss=column(), grad_norm=column(), lr=Stepwise() if full else Ends(), column=column)
        if kind == "surface":
            h.x, h.y = column(), column()
        elif kind == "classification":
            h.accuracy = column()
            if test_points:
                h.test_accuracy = column()
        return h

    events: list[tuple[int, str]] = field(default_factory=list)  # (step, what changed)
    average: Average | None = None  # ASGD, once it averages
    column: Any = field(default=Series, repr=False)  # makes a column like the others
    evaluations: Evaluations = field(default_factory=Evaluations)

    def begin_average(self, row: int, surface: bool) -> Average:
        self.average = Average(row, self.column(), self.column() if surface else None, self.column() if surface else None)
        return self.average

    @property
    def steps(self) -> int:
        """Updates recorded: one fewer than the points."""
        return len(self.loss) - 1

    def path(self, points: int) -> tuple[np.ndarray, np.ndarray]:
        """Surfaces: about `points` positions spread evenly along the trajectory, the start and
        the newest included, and each stretch's furthest points in x and in y, so that an early
        excursion stays on the map however long the run grows; read without copying the whole
        history."""
        assert self.x is not None and self.y is not None
        n = min(len(self.x), len(self.y))
        if n == 0:
            return np.empty(0), np.empty(0)
        even = np.linspace(0, n - 1, min(n, points)).astype(np.int64)
        if n > points:
            extremes = [self.x.thin(points // 2)[0], self.y.thin(points // 2)[0]]
            even = np.concatenate([even, *(e[e < n] for e in extremes)])
        idx = np.unique(even)
        return self.x.sample(idx), self.y.sample(idx)

    def trajectory(self) -> np.ndarray:
        assert self.x is not None and self.y is not None
        n = len(self.loss)
        return np.stack([self.x.array(0, n), self.y.array(0, n)], axis=1)


def downsample(values: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, values) with at most about max_points entries, keeping each bucket's min and max,
    so spikes survive thinning. Non-finite values are dropped."""
    n = len(values)
    idx = np.arange(n)
    finite = np.isfinite(values)
    if not finite.all():
        idx, values = idx[finite], values[finite]
        n = len(values)
    if n <= max_points:
        return idx, values
    buckets = max(1, max_points // 2)
    size = math.ceil(n / buckets)
    pad = buckets * size - n
    v = np.concatenate([values, np.full(pad, values[-1])]).reshape(buckets, size)
    i = np.concatenate([idx, np.full(pad, idx[-1])]).reshape(buckets, size)
    lo, hi = v.argmin(axis=1), v.argmax(axis=1)
    first, second = np.minimum(lo, hi), np.maximum(lo, hi)
    rows = np.arange(buckets)
    out_i = np.stack([i[rows, first], i[rows, second]], axis=1).ravel()
    out_v = np.stack([v[rows, first], v[rows, second]], axis=1).ravel()
    out_i[-1], out_v[-1] = idx[-1], values[-1]  # the newest point is always shown
    return out_i, out_v
