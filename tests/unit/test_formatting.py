"""The one module of number formats: what a reading, a summary figure, an axis label and a
typed setting look like, wherever they are shown."""

from __future__ import annotations

import math

from playground.formatting import change, num, precise, setting, short


def test_a_reading_keeps_four_significant_digits_and_goes_scientific_outside_a_readable_span() -> None:
    assert num(12.5) == "12.5" and num(0.0331) == "0.0331" and num(0) == "0"
    assert num(0.000123) == "1.230e-04" and num(123456.0) == "1.235e+05"
    assert num(math.inf) == "inf" and num(math.nan) == "nan" and num(None) == "…"


def test_a_summary_figure_keeps_six_digits_and_writes_pairs_in_parentheses() -> None:
    assert precise(1 / 3) == "0.333333" and precise(True) == "true"
    assert precise((1.0, 1.0)) == "(1, 1)" and precise(500) == "500"


def test_a_setting_is_written_back_as_it_is_typed() -> None:
    assert setting(0.9) == "0.9" and setting(1e-3) == "0.001" and setting((0.9, 0.99)) == "0.9,0.99"
    assert setting(True) == "true" and setting(None) == "none" and setting("adam") == "adam"
    assert change((0.9, 0.999)) == "(0.9, 0.999)" and change(0.5) == "0.5"
    assert short(0.0331234) == "0.0331" and short(math.inf) == "inf"


def test_tick_labels_tell_the_ticks_apart() -> None:
    """Issue 19, polish: `170`/`170` on himmelblau at step 0, `241`/`240`/`240`, `1e1.5`."""
    from playground.formatting import tick_labels

    assert [s.strip() for s in tick_labels([169.5, 170.0, 170.5])] == ["169.5", "170", "170.5"]
    assert len({s.strip() for s in tick_labels([240.2, 240.4, 240.6, 240.8])}) == 4
    log = [s.strip() for s in tick_labels([1.0, 1.5, 2.0], log=True)]
    assert log == ["1e1", "31.6", "1e2"] or log == ["1e1", "32", "1e2"], log
    assert len({len(s) for s in tick_labels([0.0, 10.0, 1000.0])}) == 1  # of equal width


def test_counts_say_one_thing_in_the_singular():
    """'its 1 steps are done', 'speed 1/s (1 steps/s)': a count of one reads in the singular."""
    from playground.formatting import count, rate

    assert [count(n, "step") for n in (0, 1, 2, 12000)] == ["0 steps", "1 step", "2 steps", "12,000 steps"]
    assert [rate(r, "step") for r in (0.4, 1.2, 2, 2400.4)] == ["0 step/s", "1 step/s", "2 steps/s", "2,400 steps/s"]

