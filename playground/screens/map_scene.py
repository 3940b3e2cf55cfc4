"""What the main map shows, worked out apart from drawing it: a surface's paths and marks, a
network's landscape plane, a dataset's points, and the colours and legends they come in. No
widget is touched here: the main screen hands the result to the map."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from playground.datasets import Points
from playground.formatting import first_fitting
from playground.scenarios import Scenario
from playground.widgets.map_plot import CLASS_BRIGHT, HEAT, Mark

if TYPE_CHECKING:
    from playground.engine import Run

PATH_POINTS = 200  # the most trajectory points drawn per frame (plotext cost grows with them)
# the lanes of a race, in order: distinct on the map's colours and on the dark loss panel
LANE_COLOURS = [(255, 255, 255), (255, 145, 0), (255, 64, 129), (64, 196, 255), (255, 234, 0), (179, 136, 255)]
PATH = (255, 255, 255)
START = (0, 229, 255)
NOW = (255, 82, 82)
MINIMUM = (118, 255, 3)


def surface_scene(s: Scenario, lanes: list[Run], order: list[int], start: tuple[float, float]) -> tuple[list[Any], list[Mark], str, tuple[float, float]]:
    """Every lane's path in its colour (a single run's in the path's white), drawn in `order`
    (the selected lane last, on top), the minima, the start, each lane's point now and ASGD's
    average: (lines, marks, the legend, where the selected lane is now)."""
    one = len(lanes) == 1
    sx, sy = start
    lines: list[Any] = []
    nows: list[Mark] = []
    averages: list[Mark] = []
    for i in order:
        colour = LANE_COLOURS[i % len(LANE_COLOURS)]
        xs, ys = lane_path(lanes[i])
        lines.append((xs, ys, PATH if one else colour))
        average = lanes[i].history.average
        if average is not None and average.x is not None and average.y is not None and len(average.x):
            averages.append(Mark(average.x.last(), average.y.last(), AVERAGE_GLYPH, NOW if one else colour))
        if len(xs):
            nows.append(Mark(float(xs[-1]), float(ys[-1]), "●", NOW if one else colour))
    first = Mark(sx, sy, "○", START)
    if one:
        marks = [*minima(s), first, *averages, *(nows or [Mark(sx, sy, "●", NOW)])]
    else:  # the start on top: every lane leaves from it
        marks = [*minima(s), *averages, *nows, first]
    legend = map_legend(not one, bool(averages), bool(s.surface and s.surface.minima))
    return lines, marks, legend, (nows[-1].x, nows[-1].y) if nows else (sx, sy)


def landscape_scene(found: Any, lanes: list[Run], order: list[int], selected: int) -> tuple[list[Any], list[Mark]]:
    """Each lane's path projected onto the selected lane's plane, in its colour (a single run's
    in the path's white); the start, and the weights now at the centre."""
    one = len(lanes) == 1
    lines: list[Any] = []
    for i in order:
        path = found.trajectory if i == selected or one else found.onto(lanes[i])
        path = path[:: max(1, len(path) // PATH_POINTS)] if len(path) > PATH_POINTS else path
        lines.append((path[:, 0], path[:, 1], PATH if one else LANE_COLOURS[i % len(LANE_COLOURS)]))
    first = found.trajectory[0]
    return lines, [Mark(float(first[0]), float(first[1]), "○", START), Mark(0.0, 0.0, "●", NOW)]


def landscape_subtitle(view: Any, moved_on: bool, room: int = 1000) -> str:
    """The landscape's legend, or how far its computation is, in `room` characters."""
    if view.progress is not None:
        done = int(view.progress * 20)
        return f"computing the landscape {'█' * done}{'░' * (20 - done)} {view.progress:.0%}"
    if view.error:
        return first_fitting([f"no landscape: {view.error}", f"no landscape: {view.error.split(' (')[0]}", "no landscape (M says why)"], room)
    if moved_on:
        return first_fitting(["the run has moved on: this plane is from the step above, computed again when paused", "the run moved on: this plane is from the step above", "moved on: an older plane"], room)
    return first_fitting(["○ start  ● the weights now (centre)  colour: training loss (log)  m: next view", "○ start  ● now (centre)  colour: loss (log)  m: next"], room)


def plane_background(found: Any):  # noqa: ANN201
    """(xs, ys) -> palette indices of the plane's loss at the nearest grid cell, on a log scale
    (a diverged cell at the top)."""
    loss = np.asarray(found.loss, dtype=float)
    finite = np.isfinite(loss) & (loss > 0)
    levels = len(HEAT)
    if finite.any():
        logs = np.log10(np.where(finite, loss, np.nan))
        lo, hi = float(np.nanmin(logs)), float(np.nanpercentile(logs, 99))
    else:
        logs, lo, hi = np.zeros_like(loss), 0.0, 1.0
    scaled = np.where(finite, (logs - lo) / max(hi - lo, 1e-12), 1.0)
    indices = np.clip((scaled * (levels - 1)).round(), 0, levels - 1).astype(int)
    n, span = len(found.alpha), found.span

    def background(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        i = np.clip(np.round((np.asarray(xs) + span) / (2 * span) * (n - 1)), 0, n - 1).astype(int)
        j = np.clip(np.round((np.asarray(ys) + span) / (2 * span) * (n - 1)), 0, n - 1).astype(int)
        return indices[i[None, :], j[:, None]]  # rows: y (beta), columns: x (alpha)

    return background


def minima(s: Scenario) -> list[Mark]:
    assert s.surface is not None
    return [Mark(mx, my, "×", MINIMUM) for mx, my in s.surface.minima]


AVERAGE_GLYPH = "◇"  # ASGD's average of the iterates, beside its current point


def map_legend(racing: bool, averaged: bool, minima: bool = True) -> str:
    """The map's legend: only what it may show (no × where the scenario knows no minimum)."""
    now = "● each lane now" if racing else "● now"
    parts = ["○ start", now, *([f"{AVERAGE_GLYPH} ASGD's average"] if averaged else []), *(["× minimum"] if minima else [])]
    return "  ".join(parts)


def lane_path(run: Run) -> tuple[np.ndarray, np.ndarray]:
    """A surface run's path as drawn: at most PATH_POINTS points, the finite ones."""
    xs, ys = run.history.path(PATH_POINTS)  # spread along the whole run, without copying it
    finite = np.isfinite(xs) & np.isfinite(ys)
    return xs[finite], ys[finite]


def data_marks(pts: Points) -> list[Mark]:
    if pts.kind == "classification":
        def colour(c: int) -> tuple[int, int, int]:
            return CLASS_BRIGHT[int(c) % len(CLASS_BRIGHT)]

        marks = [Mark(float(a), float(b), "●", colour(c), False) for (a, b), c in zip(pts.train_x, pts.train_y)]
        return marks + [Mark(float(a), float(b), "×", colour(c)) for (a, b), c in zip(pts.test_x, pts.test_y)]
    marks = [Mark(float(a[0]), float(b), "●", CLASS_BRIGHT[1], False) for a, b in zip(pts.train_x, pts.train_y)]
    return marks + [Mark(float(a[0]), float(b), "×", CLASS_BRIGHT[0]) for a, b in zip(pts.test_x, pts.test_y)]


def surface_background(scenario: Scenario):  # noqa: ANN201
    """(xs, ys) -> palette indices of the surface's height, on a log scale where it spans decades."""
    surface = scenario.surface
    assert surface is not None
    levels = len(HEAT)

    def background(xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        gx, gy = np.meshgrid(xs, ys)
        with np.errstate(all="ignore"):
            z = np.broadcast_to(np.asarray(surface.formula.numpy(gx, gy), dtype=float), gx.shape)
            finite = np.isfinite(z)
            if not finite.any():
                return np.zeros(gx.shape, dtype=int)
            q = z - z[finite].min()
            span = float(q[finite].max())
            use_log = surface.levels == "log" or (surface.levels == "auto" and span > 100 * max(float(np.median(q[finite])), 1e-12))
            if use_log:
                q = np.log10(q + max(span, 1e-12) * 1e-6)
            lo, hi = np.percentile(q[finite], [0, 99])
            v = (q - lo) / max(hi - lo, 1e-12)
            v = np.where(finite, v, 1.0)
        return np.clip((v * (levels - 1)).round(), 0, levels - 1).astype(int)

    return background
