"""The history's storage and its thinning for the screen: a long run is drawn from a bounded
summary, spikes and the newest point survive, and the app's compact history halves memory."""

from __future__ import annotations

import numpy as np
import pytest

from playground.history import BLOCK, History, Series, downsample


def _series(values: np.ndarray, dtype: type = np.float64) -> Series:
    s = Series(dtype)
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
    assert xs[0] == 0 and xs[-1] == n - 1 and len(xs) <= 50
    assert np.array_equal(ys, -xs)
    assert np.array_equal(h.x.sample(np.array([BLOCK - 1, BLOCK, n - 1])), [BLOCK - 1, BLOCK, n - 1])  # type: ignore[union-attr]


def test_a_compact_history_stores_four_bytes_a_value() -> None:
    full, compact = History.make("surface", False), History.make("surface", False, compact=True)
    for h in (full, compact):
        for _ in range(BLOCK * 4):
            h.loss.append(1.0 / 3.0)
    assert compact.loss._blocks[0].nbytes * 2 == full.loss._blocks[0].nbytes  # type: ignore[union-attr]
    assert compact.loss.last() == pytest.approx(1 / 3, rel=1e-7) and full.loss.last() == 1 / 3
