"""The history's storage and its thinning for the screen: a long run is drawn from a bounded
summary, spikes and the newest point survive, and the app's compact history halves memory."""

from __future__ import annotations

import numpy as np
import pytest

from playground.history import BLOCK, History, Series, downsample


def _series(values: np.ndarray, compact: bool = False) -> Series:
    s = Series(compact=compact)
    for v in values:
        s.append(float(v))
    return s


@pytest.mark.parametrize("n", [10, 3 * BLOCK + 17, 200_000])
def test_thin_keeps_spikes_the_extremes_and_the_newest_point(n: int) -> None:
    rng = np.random.default_rng(n)
    values = np.exp(-np.linspace(0, 8, n)) + rng.normal(0, 1e-3, n)
    spike = n * 3 // 5
    values[spike] = 40.0
    values[n // 2] = np.nan
    values[n // 3] = np.inf
    s = _series(values)
    idx, vals = s.thin(300)
    assert len(idx) <= 310 and (np.diff(idx) >= 0).all()
    assert np.isfinite(vals).all()
    assert spike in idx and vals.max() == 40.0
    finite = values[np.isfinite(values)]
    assert vals.min() == finite.min()
    assert idx[-1] == n - 1 and vals[-1] == values[-1]
    assert np.array_equal(vals, s.sample(idx))  # each kept value is the one at its step


def test_thin_of_a_long_series_agrees_with_thinning_the_whole_array() -> None:
    values = np.sin(np.linspace(0, 60, 150_000)) * np.linspace(1, 3, 150_000)
    s = _series(values)
    idx, vals = s.thin(200)
    ref_idx, ref_vals = downsample(values, 200)
    assert vals.max() == ref_vals.max() and vals.min() == ref_vals.min()
    assert abs(len(idx) - len(ref_idx)) <= 4


def test_sample_and_path_read_across_blocks() -> None:
    h = History.make("surface", False)
    n = 2 * BLOCK + 5
    for i in range(n):
        h.loss.append(float(i))
        h.grad_norm.append(0.0)
        h.lr.append(0.1)
        h.x.append(float(i))  # type: ignore[union-attr]
        h.y.append(-float(i))  # type: ignore[union-attr]
    xs, ys = h.path(50)
    assert xs[0] == 0 and xs[-1] == n - 1 and len(xs) <= 2 * 50  # even spread, plus the extremes
    assert np.array_equal(ys, -xs)
    assert np.array_equal(h.x.sample(np.array([BLOCK - 1, BLOCK, n - 1])), [BLOCK - 1, BLOCK, n - 1])  # type: ignore[union-attr]


def test_a_compact_history_draws_from_four_bytes_a_value_and_exports_exact_values() -> None:
    full, compact = History.make("surface", False), History.make("surface", False, compact=True)
    values = np.random.default_rng(3).normal(size=BLOCK * 4 + 11) / 3.0
    for h in (full, compact):
        for v in values:
            h.loss.append(float(v))
    assert compact.loss._blocks[0].nbytes * 2 == full.loss._blocks[0].nbytes  # type: ignore[union-attr]
    # what an export reads is the value to the bit, in every block and the newest
    assert np.array_equal(compact.loss.array(), values) and np.array_equal(full.loss.array(), values)
    assert compact.loss[5] == values[5] and compact.loss[BLOCK * 2 + 1] == values[BLOCK * 2 + 1]
    assert compact.loss.last() == values[-1]


def test_set_last_replaces_only_the_newest_value() -> None:
    s = _series(np.arange(BLOCK + 3, dtype=float), compact=True)
    s.set_last(-1.0)
    assert s.last() == -1.0 and s[BLOCK + 1] == BLOCK + 1 and len(s) == BLOCK + 3
    h = History.make("surface", False)
    for lr in (0.1, 0.1, 0.1):
        h.lr.append(lr)
    h.lr.changes()  # cached, then invalidated by the change
    h.lr.set_last(0.2)
    assert h.lr.tolist() == [0.1, 0.1, 0.2]
    assert h.lr.changes()[0].tolist() == [0, 2] and h.lr.changes()[1].tolist() == [0.1, 0.2]
    h.lr.set_last(0.1)
    assert h.lr.tolist() == [0.1, 0.1, 0.1] and h.lr.changes()[0].tolist() == [0]


@pytest.mark.parametrize("compact", [False, True])
def test_a_long_path_keeps_its_early_excursion(compact: bool) -> None:
    """Issue 19: on Rosenbrock the first steps went left to x = -1.66; after 3035 steps that
    excursion was gone from the map. Thinning keeps each stretch's furthest points."""
    h = History.make("surface", False, compact=compact)
    n = 5 * BLOCK + 123
    rng = np.random.default_rng(0)
    xs = np.linspace(-1.5, 1.0, n) + rng.normal(0, 1e-3, n)
    xs[7] = -1.66  # the excursion: a single early step, between two evenly spread points
    ys = np.sin(np.arange(n) / 300.0)
    ys[n // 2 + 3] = 2.5
    for x, y in zip(xs, ys):
        h.loss.append(0.0)
        h.grad_norm.append(0.0)
        h.lr.append(0.1)
        h.x.append(float(x))  # type: ignore[union-attr]
        h.y.append(float(y))  # type: ignore[union-attr]
    px, py = h.path(200)
    assert len(px) <= 400 and px[0] == pytest.approx(xs[0]) and px[-1] == pytest.approx(xs[-1])
    assert px.min() == pytest.approx(-1.66, abs=1e-6) and py.max() == pytest.approx(2.5, abs=1e-6)


def test_thinning_for_the_screen_never_reads_the_spill_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """The loss curve and the map thin every frame: a compact history draws from what it keeps
    in memory, not from its double-precision file (a read per block per frame)."""
    import os

    values = np.random.default_rng(5).normal(size=BLOCK + BLOCK // 2)
    s = _series(values, compact=True)

    def no_read(*_: object) -> bytes:
        raise AssertionError("thin read the spill file")

    monkeypatch.setattr(os, "pread", no_read)
    idx, got = s.thin(100)
    assert idx[-1] == len(values) - 1 and got[-1] == values[-1]
    assert got.max() == pytest.approx(values.max(), rel=1e-6) and got.min() == pytest.approx(values.min(), rel=1e-6)
