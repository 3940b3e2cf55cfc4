"""How numbers and settings are written for a person: the one place every screen, message and
text output takes its formats from.

    num(0.000123)        '1.230e-04'   a reading: loss, gradient, state (4 significant digits)
    num(12.5)            '12.5'
    precise(1/3)         '0.333333'    a summary line of `playground run` (6 significant digits)
    short(0.0331)        '0.0331'      an axis label or a figure in a sentence (3 significant digits)
    setting(0.9)         '0.9'         a value as it is typed: fields, run strings, messages
    setting((0.9, 0.99)) '0.9,0.99'
"""

from __future__ import annotations

import math
from typing import Any


def num(v: float | None, digits: int = 4) -> str:
    """A reading: `digits` significant digits, in scientific form outside [1e-3, 1e5)."""
    if v is None:
        return "…"
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    return f"{v:.{digits}g}" if 1e-3 <= abs(v) < 1e5 else f"{v:.{digits - 1}e}"


def count(n: int, noun: str) -> str:
    """`n` things, the noun in the singular for one: count(1, "step") '1 step', count(0, "step")
    '0 steps', count(12000, "step") '12,000 steps'."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def rate(per_second: float, noun: str) -> str:
    """A rate, the noun in the singular up to one a second: '1 step/s', '2,400 steps/s'."""
    shown = f"{per_second:,.0f}"
    return f"{shown} {noun}/s" if shown in ("0", "1") else f"{shown} {noun}s/s"


def precise(v: Any) -> str:
    """A figure of a text summary: 6 significant digits; tuples in parentheses; None as 'none'."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(precise(x) for x in v) + ")"
    return str(v)


def short(v: float) -> str:
    """Three significant digits: axis labels, figures inside a sentence."""
    return f"{v:.3g}" if math.isfinite(v) else str(v)


def setting(v: Any) -> str:
    """A setting as a person types it back: shortest float form, pairs joined by a comma,
    booleans lower case, None as 'none'."""
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:g}"
    if isinstance(v, (tuple, list)):
        return ",".join(setting(x) for x in v)
    return str(v)


def change(v: Any) -> str:
    """A setting inside a message about a change ('betas (0.9, 0.999) -> (0.9, 0.99)')."""
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(setting(x) for x in v) + ")"
    return setting(v)


def tick_labels(values: list[float], digits: int = 3, log: bool = False) -> list[str]:
    """Labels for an axis's ticks, of equal width, with as many significant digits (from `digits`
    up to 8) as it takes to tell them apart; on a log axis (`values` hold log10 of the numbers)
    a whole power of ten reads 1e3, any other tick the number itself."""

    def label(v: float, d: int) -> str:
        if not math.isfinite(v):
            return ""
        if log:
            return f"1e{round(v)}" if abs(v - round(v)) < 1e-9 else f"{10.0**v:.{d}g}"
        return f"{0.0 if abs(v) < 1e-300 else v:.{d}g}"

    for d in range(digits, 9):
        labels = [label(v, d) for v in values]
        if len(set(labels)) == len(labels):
            break
    width = max((len(s) for s in labels), default=0)
    return [s.rjust(width) for s in labels]


def hex_colour(rgb: tuple[int, int, int]) -> str:
    """(r, g, b) as Rich and Textual write a colour: '#rrggbb'."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def printable(text: str, lines: bool = True) -> str:
    """Text from a file (a name, a description, a path) as it may reach a terminal: every control
    character (escape, bell, carriage return, C1 codes, line and paragraph separators) shown as
    its escape, `\\x1b`, so none can move the cursor, retitle the window or hide what follows.
    Newlines and tabs stay where `lines` allows them, and are escaped too in one-line text."""
    if text.isprintable():
        return text
    kept = "\n\t" if lines else ""
    return "".join(ch if ch.isprintable() or ch in kept or ch == " " else _escaped(ch) for ch in text)


def _escaped(ch: str) -> str:
    import unicodedata

    if unicodedata.category(ch) not in ("Cc", "Zl", "Zp"):
        return ch  # not printable, yet harmless: a format character such as a zero-width joiner
    return repr(ch)[1:-1]


def first_fitting(options: list[str] | tuple[str, ...], room: int) -> str:
    """The first of `options` (longest and fullest first) that fits in `room` characters, else
    the last: a legend or a border's words said whole rather than cut with …"""
    return next((o for o in options if len(o) <= room), options[-1])
