"""A setting as a person types it: its name, its kind, its range, how it is read and shown.

One type for every setting (an optimizer's hyperparameters, a schedule's parameters, the run's
steps, seed, batch size and clipping), shared by the settings panel, the session, the command line
and the scenario reader. Ranges are checked by limits.py's Whole and Number only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from playground import limits
from playground.errors import ConfigError
from playground.formatting import setting as format_value


@dataclass(frozen=True)
class Field:
    """One setting a person can type: an optimizer's hyperparameter (torch's keyword name), a
    schedule's parameter or one of the run's own (steps, seed, batch size, clip): its default and
    what values it may take.

    kind: "float", "int", "bool", "pair" (two floats, e.g. betas), "triple" (three, Muon's
    ns_coefficients) or "choice" (from `choices`).
    The range [low, high] is closed unless low_open / high_open say otherwise; `limit` (a limits
    Whole or Number) checks it, one check for every setting.
    """

    name: str
    default: Any
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    help: str = ""
    choices: tuple[Any, ...] = ()
    optional: bool = False  # None is a valid value (LBFGS's max_eval)
    note: str = ""  # what the settings panel says under the field (a surprise worth seeing)
    first_optional: bool = False  # a pair whose first number may be None (Adafactor's eps)
    group: str = ""  # a partner optimizer's setting (Muon's AdamW on a network): the partner's name
    # the playground's, not a keyword of the class: which of a network's parameters the optimizer
    # takes (Muon's matrices); shown on a network only, and a change builds the optimizer anew
    takes: bool = False
    label: str = ""  # what the settings panel calls it, when not its name
    network: bool = False  # applies on a network only (a surface has no seed, no batches)
    blank: str = ""  # what an empty entry means ("0": no clipping), when it may be left empty
    bounded: limits.Whole | limits.Number | None = None  # a limit of limits.py's, instead of low and high

    @property
    def limit(self) -> limits.Whole | limits.Number:
        """The range a value must be in."""
        return self.bounded or limits.Number(self.low, self.high, self.low_open, self.high_open)

    @property
    def applies_on_surface(self) -> bool:
        """Shown on a surface too: not a network's own (a partner's settings, which parameters an
        optimizer takes, the seed, the batch size)."""
        return not (self.network or self.group or self.takes)

    def format(self, value: Any) -> str:
        """A value as its field shows it (and a file or a command line takes it back)."""
        return format_value(value)

    def bounds(self) -> str:
        limit = self.limit
        return limit.bounds() if isinstance(limit, limits.Number) else f"from {limit.low} to {limit.high}"

    def describe_range(self) -> str:
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return " or ".join("none" if c is None else str(c) for c in self.choices)
        what = {"int": "a whole number", "pair": "two numbers", "triple": "three numbers", "float": "a number"}[self.kind]
        bounds = self.bounds()
        if not bounds:
            return what
        if self.kind in TUPLES:
            return f"{what}, each {bounds}" + (" (the first may be none)" if self.first_optional else "")
        return f"{what} {bounds}"

    def parse(self, text: str) -> Any:
        """A value typed by a person (flag, field, --param) -> a checked value, or ValueError."""
        raw = text.strip()
        if self.optional and (not raw or _is_none(raw)):
            return None
        if self.kind == "bool":
            low = raw.lower()
            if low in ("true", "yes", "on", "1"):
                return True
            if low in ("false", "no", "off", "0"):
                return False
            raise ValueError(f"{raw!r} is not true or false")
        if self.kind == "choice":
            for c in self.choices:
                if raw.lower() == ("none" if c is None else str(c)).lower():
                    return c
            raise ValueError(f"{raw!r} is not one of {self.describe_range()}")
        if self.kind in TUPLES:
            size, typed, _ = TUPLES[self.kind]
            parts = [p for p in raw.strip("()[]").replace(";", ",").split(",") if p.strip()]
            if len(parts) != size:
                raise ValueError(f"{raw!r} is not {typed}")
            return self.check(tuple(None if self._none_at(i, p) else _number(p) for i, p in enumerate(parts)))
        if self.kind == "int":
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"{raw!r} is not a whole number") from None
            return self.check(value)
        return self.check(_number(raw))

    def check(self, value: Any) -> Any:
        """A value from a file or code -> the same value, normalised, or ValueError saying why."""
        if self.optional and _is_none(value):
            return None  # TOML has no null: a file writes "none"
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{value!r} is not true or false")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(f"{value!r} is not one of {self.describe_range()}")
            return value
        if self.kind in TUPLES:
            size, _, what = TUPLES[self.kind]
            if not isinstance(value, (list, tuple)) or len(value) != size:
                raise ValueError(f"{value!r} is not {what}")
            return tuple(None if self._none_at(i, v) else self._in_range(_as_float(v)) for i, v in enumerate(value))
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ValueError(f"{value!r} is not a whole number")
            return int(self._in_range(value))
        return self._in_range(_as_float(value))

    def _none_at(self, i: int, value: Any) -> bool:
        """Is item `i` of a tuple the None that `first_optional` allows there ("none" in a file)?"""
        return i == 0 and self.first_optional and _is_none(value)

    def _in_range(self, v: float) -> float:
        return self.limit.check(v)


def checked(fields: tuple[Field, ...], values: dict[str, Any]) -> dict[str, Any]:
    """Each field's value in `values` (its default where missing), checked and normalised; the
    ConfigError names the field that is wrong."""
    out = {}
    for f in fields:
        try:
            out[f.name] = f.check(values.get(f.name, f.default))
        except ValueError as exc:
            raise ConfigError(f.name, str(exc)) from None
    return out


# the kinds that hold a tuple of numbers: (size, what a typed value should be, what a value should be)
TUPLES = {
    "pair": (2, "two numbers such as 0.9,0.999", "a pair of numbers"),
    "triple": (3, "three numbers such as 3.4445,-4.775,2.0315", "three numbers"),
}


def _is_none(value: Any) -> bool:
    """None, or how a person or a TOML file (which has no null) writes it."""
    return value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null"))


def _number(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{limits.quote(text.strip())} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{limits.quote(text.strip())} is not a finite number")
    return value


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    try:
        value = float(value)
    except OverflowError:
        raise ValueError("a number this large is not a finite number") from None
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return value


# the run's own settings, beside the optimizer's and the schedule's (limits.py holds their ranges)
RUN = {
    "batch_size": Field("batch_size", 0, "int", bounded=limits.BATCH_SIZE, label="batch size (0 = all)", network=True, help="points per update; 0 = the whole training set"),
    "seed": Field("seed", 0, "int", bounded=limits.SEED, label="seed", network=True, help="seed for the model's initial weights and the minibatch order"),
    "steps": Field("steps", 0, "int", bounded=limits.STEPS, label="step budget", help="number of updates"),
    "clip": Field("clip", 0.0, "float", bounded=limits.CLIP, label="clip gradient norm (0 = off)", blank="0", help="clip the gradient's norm to this before each update (0 = off)"),
}
