"""Every limit the playground holds its input to, and the reading of a typed number against one.

Scenario files, the command line, the settings panel and the sweep screen all check here, so a
limit is written once and each kind of mistake is worded one way:

    'abc' is not a whole number
    0 is out of range: it must be from 1 to 100000000
    'fast' is not a number
    -1 is out of range: it must be >= 0
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from playground.errors import ConfigError


class LimitError(ValueError):
    """A value outside its limit, or text that is not a number; the message says which."""


@dataclass(frozen=True)
class Whole:
    """A whole number from `low` to `high`, both included."""

    low: int
    high: int

    def check(self, value: Any) -> int:
        """A value from a file or code (an int, or a float that is whole) -> the int."""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise LimitError(f"{quote(value)} is not a whole number")
        if not self.low <= value <= self.high:
            raise LimitError(f"{quote(value)} is out of range: it must be from {self.low} to {self.high}")
        return value

    def parse(self, text: str) -> int:
        """Typed text -> the int; LimitError says why not."""
        raw = str(text).strip()
        try:
            value = int(raw)
        except ValueError:
            raise LimitError(f"{raw!r} is not a whole number") from None
        return self.check(value)

    def describe(self) -> str:
        """What a field takes, for its placeholder: 'a whole number from 0 to 4294967295'."""
        return f"a whole number from {self.low} to {self.high}"


@dataclass(frozen=True)
class Number:
    """A finite number within optional bounds; `low_open`/`high_open` leave a bound out."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def bounds(self) -> str:
        if self.low is not None and self.high is not None and not (self.low_open or self.high_open):
            return f"from {self.low:g} to {self.high:g}"
        lo = "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        hi = "" if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        return " and ".join(b for b in (lo, hi) if b)

    def describe(self) -> str:
        """What a field takes, for its placeholder: 'a number >= 0'."""
        return f"a number {self.bounds()}".rstrip()

    def check(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise LimitError(f"{quote(value)} is not a number")
        try:
            value = float(value)
        except OverflowError:  # a whole number beyond any float: 1 and 400 zeros
            raise LimitError(f"a number this large is out of range: it must be {self.bounds()}") from None
        if not math.isfinite(value):
            raise LimitError(f"{value} is not a finite number")
        too_low = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        too_high = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        if too_low or too_high:
            raise LimitError(f"{value:g} is out of range: it must be {self.bounds()}")
        return value

    def parse(self, text: str) -> float:
        raw = str(text).strip()
        try:
            value = float(raw)
        except ValueError:
            raise LimitError(f"{quote(raw)} is not a number") from None
        if not math.isfinite(value):
            raise LimitError(f"{quote(raw)} is not a finite number")
        return self.check(value)


def quote(value: Any) -> str:
    """A value as a message quotes it: repr, cut to 40 characters (a 400-digit number too)."""
    if isinstance(value, int) and value.bit_length() > 128:
        return f"{str(value)[:37]}..." if value.bit_length() < 14000 else "a number this large"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


ANY_NUMBER = Number()  # any finite number (a coordinate)


def setting(name: str, limit: Whole | Number, value: Any, typed: bool = False) -> Any:
    """`value` of setting `name` within `limit`: checked, or with `typed` parsed from the text a
    person typed; the ConfigError names the setting."""
    try:
        return limit.parse(value) if typed else limit.check(value)
    except LimitError as exc:
        raise ConfigError(name, str(exc)) from None

# ---------------------------------------------------------------- a run

STEPS = Whole(0, 100_000_000)  # a run's step budget: auto-run stops there, `run` makes that many updates (0: the start only)
SEED = Whole(0, 2**32 - 1)  # numpy's seeds end at 2**32 - 1 (torch's at 2**64)
SAMPLES = Whole(2, 20_000)  # points in a dataset
BATCH_SIZE = Whole(0, SAMPLES.high)  # 0 = the whole training set
CLIP = Number(0.0)  # a gradient norm; 0 = no clipping
GRAD_TOLERANCE = Number(0.0)
TOLERANCE = Number(0.0, low_open=True)
LANES = 6  # the most runs in one race
MESSAGES = 500  # the message history (M) keeps the latest this many

# ---------------------------------------------------------------- a scenario file

FILE_BYTES = 1_000_000
CSV_BYTES = 4_000_000  # 20,000 rows of three numbers need far less
CLASSES = Whole(2, 10)
NOISE = Number(0.0, 10.0)
TEST_FRACTION = Number(0.0, 0.9)
LAYERS = 8  # hidden layers of a model
WIDTH = Whole(1, 512)  # units in a hidden layer
FORMULA_LENGTH = 1000  # characters
FORMULA_DEPTH = 60  # levels of nesting

# ---------------------------------------------------------------- serving in a browser

PORT = Whole(1, 65535)
SESSIONS = Whole(1, 64)  # app processes at once (`serve --max-sessions`): each holds torch in memory

# ---------------------------------------------------------------- a sweep

SWEEP_POINTS = Whole(1, 200)  # learning rates in one sweep
SWEEP_STEPS = Whole(1, 100_000)  # steps at each rate in the app's sweep screen: a sweep is many runs
LEARNING_RATE = Number(0.0, low_open=True)
WORKERS = Whole(1, 256)  # processes that run a sweep's cells at once
MOMENTA = Whole(0, SWEEP_POINTS.high)  # the app's sweep: momenta at each rate; 0 sweeps lr alone
MOMENTUM = Number(0.0, 1.0, high_open=True)  # a phase diagram's momentum axis: heavy ball converges only below 1

# ---------------------------------------------------------------- a fair comparison (compare --tune)

TUNE_TRIALS = Whole(1, 1000)  # settings each lane tries
TUNE_SEEDS = Whole(1, 100)  # seeds the tuned setting runs at
TUNE_CELLS = 5_000  # runs in one comparison: every lane's trials and seeds together

# ---------------------------------------------------------------- looking inside a network

LANDSCAPE_GRID = Whole(3, 201)  # cells a side of a landscape (odd: the weights are the centre)
LANDSCAPE_SPAN = Number(0.0, 1e6, low_open=True)  # the grid's half width, in units of the directions' norms
LANDSCAPE_BYTES = 1_000_000_000  # the weights of every step that `playground landscape` keeps for pca
SHARPNESS_EVERY = Whole(1, STEPS.high)  # steps between two measurements of the sharpness
