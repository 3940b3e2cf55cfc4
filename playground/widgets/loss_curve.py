"""The loss curve: loss against step (linear or log10), accuracy beside it, the learning rate
(a green line scaled into the plot, labelled under it, where it changes: a schedule, or a
setting), and a marker at each step where a setting changed. In a race, each lane's loss in the
lane's colour.

plotext draws it all: frame, ticks and labels, the lines (braille) and the change markers
(vertical lines). Long histories are first thinned (keeping spikes) to two points a column, then
to the points that change the picture (see plot_kit.thin_polyline), so that a build stays a few
milliseconds even when, while auto-running, the curve changes every frame. The widget reads
plotext's character matrix rather than its ANSI text, and is built again only when what it
shows moved by a dot.
"""

from __future__ import annotations

import math
from itertools import groupby
from typing import Any

import numpy as np
from rich.segment import Segment
from textual.strip import Strip

from playground.formatting import first_fitting, tick_labels
from playground.history import downsample
from playground.widgets.plain_text import border_room
from playground.widgets.plot_kit import Area, Plot, build_matrix, fg_style, inside_frame, nice_ticks, one_per_row, plotext_colour, rows_of, thin_polyline

LOSS, ACCURACY, EVENT, LR, AVERAGE = 3, 6, 5, 2, 4  # ANSI colours: orange (the theme's yellow), cyan, magenta, green, blue
SHARPNESS, EDGE = 1, 7  # red: the sharpness; white: 2/lr, the edge of stability
_COLOUR_STYLE: dict[Any, Any] = {c: fg_style(c) for c in (LOSS, ACCURACY, EVENT, LR, AVERAGE, SHARPNESS, EDGE)}
AVERAGE_LEGEND = "━ ASGD's average"


class _Scene:
    """What a frame shows, thinned for a plot area of a given size; `key` is equal for two
    scenes that look the same."""

    def __init__(self, key: tuple[Any, ...], lines: list[tuple[np.ndarray, np.ndarray, Any, str]], xlim: tuple[float, float], ylim: tuple[float, float], yticks: tuple[list[float], list[str]], rticks: tuple[list[float], list[str]] | None, xticks: list[int], events: list[int], legend: str = "", note: str = "", averaged: bool = False, rlim: tuple[float, float] = (0.0, 1.0)) -> None:
        self.key, self.lines, self.xlim, self.ylim, self.rlim = key, lines, xlim, ylim, rlim
        self.yticks, self.rticks, self.xticks, self.events = yticks, rticks, xticks, events
        self.legend = legend  # the learning rate's, under the plot
        self.averaged = averaged  # ASGD's average is drawn: its name goes under the plot too
        self.note = note  # what the plot cannot show, in its top border
        self.marks: list[tuple[float, float, Any]] = []  # (x, y, colour): where a diverged lane's line ends


class LossCurve(Plot):
    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id, classes=classes)
        self.scale_choice: bool | None = None  # the person's (l): log or linear; None: automatic
        self._auto_log = False  # the automatic choice: log when the loss spans more than three decades
        self._caption: tuple[str, ...] = ()  # what the lines mean, under the plot after the scale
        self._subject: object = None  # the scenario the scale choice was made for
        self.by_evaluations = False  # x: the evaluations of the loss and gradient, not the steps
        self._evaluations: list[Any] = []  # per series, the history's Evaluations (or None)
        self._average: Any = None  # ASGD's average (playground.history.Average) of the last series
        self._loss = np.empty(0)
        self._accuracy: np.ndarray | None = None
        self._sharpness: list[tuple[int, float]] | None = None
        self._events: list[int] = []
        self._lr: Any = None  # the history's lr column (playground.history.Stepwise) or an array
        self._lanes: list[tuple[Any, tuple[int, int, int]]] | None = None  # a race: (loss, colour) per lane
        self._diverged: list[bool] = []  # a race: whether each lane diverged (its line ends with ✗)
        self._scene: _Scene | None = None

    @property
    def log_scale(self) -> bool:
        """Whether the loss is drawn on a log scale: the person's choice (`l`), else by itself
        when the loss drawn spans more than three decades (a race, Rosenbrock, Beale)."""
        return self.scale_choice if self.scale_choice is not None else self._auto_log

    @log_scale.setter
    def log_scale(self, value: bool) -> None:
        self.scale_choice = value
        self._say_scale()

    def caption(self, text: str | tuple[str, ...], subject: object) -> None:
        """What the lines mean, said under the plot after the scale (ways to say it, the fullest
        first: the longest that fits is said); a new `subject` (another scenario) lets the scale
        choose itself again."""
        if subject is not self._subject:
            self._subject, self.scale_choice = subject, None
        self._caption = (text,) if isinstance(text, str) else text
        self._say_scale()

    def _say_scale(self) -> None:
        scale = "log" if self.log_scale else "linear"
        auto = " (auto)" if self.scale_choice is None else ""
        scales = (f"{scale} scale{auto}", f"{scale} scale", scale)
        if self._caption:  # each caption with the scale said in full, then briefly; the shortest last
            said = [f"{a} · {c}" for c in self._caption for a in scales[:2]] + [f"{scales[2]} · {self._caption[-1]}"]
        else:
            said = list(scales)
        text = first_fitting(said, border_room(self))
        if self.border_subtitle != text:
            self.border_subtitle = text

    def on_resize(self) -> None:
        self._say_scale()  # the legend that fits the new width

    def show(self, loss: Any, accuracy: Any | None, events: list[int], hold: bool = False, lr: Any = None, evaluations: Any = None, average: Any = None, sharpness: list[tuple[int, float]] | None = None) -> bool:
        """The history to plot: arrays, or history columns (playground.history.Series), which
        are thinned without copying a long run. The widget is drawn again only if it looks
        different, and not now if `hold` (a later `show` draws it). Returns whether it will be
        drawn again. `sharpness`: (step, value) pairs, drawn on the right axis in accuracy's
        place, with 2/lr beside them."""
        self._loss = loss
        self._accuracy = accuracy
        self._sharpness = sharpness
        self._lanes = None
        self._diverged = []
        self._evaluations = [evaluations]
        self._average = average
        return self._update(events, lr, hold)

    def show_lanes(self, lanes: list[tuple[Any, tuple[int, int, int]]], events: list[int], hold: bool = False, lr: Any = None, evaluations: list[Any] | None = None, diverged: list[bool] | None = None) -> bool:
        """A race: each lane's loss in its colour, the last drawn on top; `events` and `lr` are
        the selected lane's (the last); `evaluations` each lane's. `diverged`: each lane's; the
        y range follows the lanes still running, and a diverged lane's line ends with ✗ at its
        last finite loss (on the top edge where that is above the range). Otherwise as `show`."""
        self._lanes = lanes
        self._diverged = list(diverged or [False] * len(lanes))
        self._evaluations = list(evaluations or [None] * len(lanes))
        self._average = None
        self._loss = lanes[-1][0] if lanes else np.empty(0)
        self._accuracy = None
        self._sharpness = None
        return self._update(events, lr, hold)

    def _update(self, events: list[int], lr: Any, hold: bool) -> bool:
        self._events = events
        self._lr = lr
        scene = self._make_scene(self.size.width, self.size.height)
        self._say_scale()
        if scene.key == self._drawn or hold:
            return False
        before, self._scene, self._strips = self._strips, scene, None
        self.repaint_rows(before)
        return True

    # ------------------------------------------------------------ what to draw

    def _make_scene(self, width: int, height: int) -> _Scene:
        area = self._area
        if area is not None and (area.width, area.height) == (width, height):
            cols, rows = area.cols, area.rows
        else:  # a guess until plotext has laid the plot out at this size
            cols, rows = max(width - 10, 2), max(height - 4, 1)
        series = self._lanes if self._lanes is not None else [(self._loss, LOSS)]
        counts = self._evaluations if self.by_evaluations else []

        def at(i: int, idx: np.ndarray) -> np.ndarray:
            """Where rows `idx` of series i stand on the x-axis: the step, or the evaluations."""
            ev = counts[i] if i < len(counts) else None
            return ev.at(idx) if ev is not None else np.asarray(idx, dtype=np.float64)

        mine = len(series) - 1  # the lr and the events are the last series' (the selected lane's)
        # each loss column thinned (min and max per stretch: the extremes, and log10 of them, kept)
        columns = [_thin(loss, max(20, 2 * cols)) for loss, _ in series]
        gone = [i < len(self._diverged) and self._diverged[i] for i in range(len(series))]
        live = [column for column, out in zip(columns, gone) if not out] or columns  # a diverged lane picks no scale
        self._auto_log = spans_decades([vals for _, vals in live], 3)
        not_positive = False  # a log scale cannot draw a loss <= 0: say so rather than draw nothing

        def points(idx: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """A thinned loss column as drawn: log10 of it on a log scale."""
            nonlocal not_positive
            if self.log_scale:
                not_positive = not_positive or bool(np.any(vals <= 0))
                with np.errstate(all="ignore"):
                    vals = np.where(vals > 0, np.log10(np.abs(vals)), np.nan)
                keep = np.isfinite(vals)
                idx, vals = idx[keep], vals[keep]
            return idx, vals

        thinned = []
        for i, ((_, colour), column) in enumerate(zip(series, columns)):
            idx, vals = points(*column)
            keep = np.isfinite(vals)  # a diverged lane's inf or nan: its line ends before it
            thinned.append((at(i, idx[keep]), vals[keep], colour))
        ends = [(thinned[i][0][-1], thinned[i][1][-1], thinned[i][2]) if gone[i] and len(thinned[i][1]) else None for i in range(len(series))]
        average = self._average if self._average is not None and len(self._average.loss) else None
        if average is not None:  # beside the loss it averages, in its rows, under it
            idx, vals = points(*_thin(average.loss, max(20, 2 * cols)))
            thinned.insert(0, (at(mine, idx + average.start), vals, AVERAGE))
        n = max((len(loss) for loss, _ in series), default=0)
        last = max(max((float(at(i, np.array([len(loss) - 1]))[0]) for i, (loss, _) in enumerate(series) if len(loss)), default=0.0), 1.0)
        lo, hi = 0.0, 1.0
        yticks: tuple[list[float], list[str]] = ([], [])
        lines = []
        key: list[Any] = [width, height, self._mode()]
        # the range follows the lanes still running: one diverged lane must not flatten the rest
        offset = 1 if average is not None else 0  # the lanes' lines come after the average's
        running = [vals for (_, vals, _), out in zip(thinned[offset:], gone) if len(vals) and not out]
        shown = [vals for (_, vals, _), out in zip(thinned, [False] * offset + gone) if len(vals) and (not out or not running)]
        legend = ""
        marks: list[tuple[float, float, Any]] = []
        if shown:
            lo, hi = float(min(np.min(v) for v in shown)), float(max(np.max(v) for v in shown))
            if not np.isfinite(hi - lo):  # values near the float limits: show what fits
                lo, hi = max(lo, -1e300), min(hi, 1e300)
            if hi - lo < 1e-12:
                lo, hi = lo - 0.5, hi + 0.5
            if running:
                thinned, marks = _cut_diverged(thinned, gone, ends, lo, hi, offset)
            ticks = one_per_row(nice_ticks(lo, hi, 4), lo, hi, rows)
            yticks = (ticks, tick_labels(ticks, log=self.log_scale))
            key += [tuple(yticks[1]), tuple(rows_of(ticks, lo, hi, rows))]
            rate = _lr_line(self._lr, n, 2 * cols)
            if rate is not None:  # first, so that the losses are drawn over it
                ridx, heights, legend = rate
                thinned.insert(0, (at(mine, ridx.astype(np.int64)), lo + heights * (hi - lo), LR))
            elif self._lr is not None and len(self._lr):
                legend = f"lr {self._lr[0]:.3g}, constant"
            for idx, vals, colour in thinned:
                with np.errstate(all="ignore"):
                    u = idx / last * (2 * cols - 1)
                    v = (hi - vals) / (hi - lo) * (4 * rows - 1)
                keep = thin_polyline(u, v)
                lines.append((idx[keep], vals[keep], colour, "left"))
                key += [colour, np.rint(u[keep]).astype(np.int32).tobytes(), np.rint(v[keep]).astype(np.int32).tobytes()]
            key += [legend, average is not None]
        note = "loss ≤ 0 is not drawn on a log scale (l: linear)" if not_positive else ""
        key.append(note)
        rticks = None
        rlim = (0.0, 1.0)
        acc = self._accuracy
        sharp = self._sharpness
        if sharp:
            rlim, rticks = self._sharpness_lines(sharp, lines, key, at, mine, last, cols, rows)
        elif acc is not None and len(acc):
            aidx, avals = _thin(acc, 2 * cols)
            aidx = at(0, aidx)
            u = aidx / last * (2 * cols - 1)
            v = (1.0 - avals) * (4 * rows - 1)
            keep = thin_polyline(u, v)
            lines.append((aidx[keep], avals[keep], ACCURACY, "right"))
            key += [np.rint(u[keep]).astype(np.int32).tobytes(), np.rint(v[keep]).astype(np.int32).tobytes()]
            quarters = one_per_row([0.0, 0.25, 0.5, 0.75, 1.0] if rows >= 9 else [0.0, 0.5, 1.0], 0.0, 1.0, rows)
            rticks = (quarters, [f"{t:.2f}" for t in quarters])
        events = [float(x) for x in at(mine, np.array([step for step in self._events[-20:] if 0 <= step < n], dtype=np.int64))]
        key.append(tuple(round(step / last * (2 * cols - 1)) for step in events))
        xticks = sorted({int(round(t)) for t in nice_ticks(0, last, 5)})
        xticks = [int(t) for t in inside_frame(xticks, [str(t) for t in xticks], 0.0, float(last), cols)[0]]
        key.append(tuple(xticks))
        key.append(tuple(round(t / last * (cols - 1)) for t in xticks))
        key.append(tuple((round(x / last * (2 * cols - 1)), round((hi - y) / (hi - lo) * (4 * rows - 1))) for x, y, _ in marks))
        scene = _Scene(tuple(key), lines, (0.0, float(last)), (lo, hi), yticks, rticks, xticks, events, legend, note, average is not None, rlim)
        scene.marks = marks
        return scene

    def _sharpness_lines(self, sharp: list[tuple[int, float]], lines: list[Any], key: list[Any], at: Any, mine: int, last: float, cols: int, rows: int) -> tuple[tuple[float, float], tuple[list[float], list[str]]]:
        """The sharpness (red) and 2/lr (white) on the right axis, from 0 to a little above the
        larger of them: with full-batch gradient descent the first rises to the second and
        swings around it (the edge of stability)."""
        steps = np.array([step for step, _ in sharp], dtype=np.int64)
        values = np.array([value for _, value in sharp], dtype=float)
        series = [(at(mine, steps), values, SHARPNESS)]
        if self._lr is not None and len(self._lr):
            idx, rates = _thin(self._lr, 2 * cols)
            with np.errstate(all="ignore"):
                edge = np.where(rates > 0, 2.0 / rates, np.nan)
            series.insert(0, (at(mine, idx), edge, EDGE))
        finite = [v[np.isfinite(v)] for _, v, _ in series]
        top = max((float(v.max()) for v in finite if len(v)), default=1.0)
        top = top * 1.1 if top > 0 else 1.0
        for xs, vals, colour in series:
            keep_finite = np.isfinite(vals)
            xs, vals = xs[keep_finite], np.clip(vals[keep_finite], 0.0, top)
            u = xs / last * (2 * cols - 1)
            v = (top - vals) / top * (4 * rows - 1)
            keep = thin_polyline(u, v)
            lines.append((xs[keep], vals[keep], colour, "right"))
            key += [colour, np.rint(u[keep]).astype(np.int32).tobytes(), np.rint(v[keep]).astype(np.int32).tobytes()]
        ticks = one_per_row(nice_ticks(0.0, top, 4), 0.0, top, rows)
        key.append(tuple(ticks))
        return (0.0, top), (ticks, tick_labels(ticks))

    # ------------------------------------------------------------ rendering

    def frame(self) -> list[Strip]:
        """The widget's rows as drawn now, top first: kept until something on them changes."""
        width, height = self.size.width, self.size.height
        state = (width, height, self._mode())
        if self._strips is not None and self._strips[0] == state:
            return self._strips[1]
        scene = self._scene
        if scene is None or tuple(scene.key[:3]) != state:
            scene = self._scene = self._make_scene(width, height)
        built = self._build(width, height, scene)
        if built is None:
            strips = [Strip.blank(width)] * height
        else:
            area = built[2]
            guessed = self._area is None or (self._area.width, self._area.height) != (width, height)
            self._area = area
            if guessed:  # thinned for a guessed plot area: thin again for the real one
                scene = self._scene = self._make_scene(width, height)
                built = self._build(width, height, scene) or built
            strips = _paint(*built)
            if scene.legend or scene.averaged:
                strips[-1] = _legend(built[0][-1], scene.legend, built[2], AVERAGE_LEGEND if scene.averaged else "")
            if scene.note:
                strips[0] = _note(built[0][0], scene.note, built[2])
        self._drawn = scene.key
        self._strips = (state, strips)
        return strips

    def _mode(self) -> tuple[bool, bool]:
        return (self.log_scale, self.by_evaluations)

    def _build(self, width: int, height: int, scene: _Scene) -> tuple[list[list[str]], list[list[Any]], Area] | None:
        if width < 10 or height < 5:
            return None
        plt = self.figure(width, height)
        plt.xlabel("evaluations" if self.by_evaluations else "step")
        plt.title("")
        for xs, ys, colour, side in scene.lines:
            if len(xs):
                plt.plot(xs.tolist(), ys.tolist(), marker="braille", color=plotext_colour(colour), yside=side)
        if not any(len(line[0]) for line in scene.lines):
            plt.scatter([0.0], [scene.ylim[0]], marker=" ")  # plotext draws no axes without data
        for x, y, colour in scene.marks:
            plt.scatter([x], [y], marker="✗", color=plotext_colour(colour))
        for step in scene.events:
            plt.vline(step, color=EVENT)
        plt.xlim(*scene.xlim)
        plt.ylim(*scene.ylim)
        if scene.yticks[0]:
            plt.yticks(*scene.yticks)
        if scene.rticks is not None:
            plt.ylim(*scene.rlim, yside="right")
            plt.yticks(*scene.rticks, yside="right")
        plt.xticks(scene.xticks, [str(t) for t in scene.xticks])
        return build_matrix(self, width, height)


def _cut_diverged(thinned: list[Any], gone: list[bool], ends: list[Any], lo: float, hi: float, offset: int) -> tuple[list[Any], list[tuple[float, float, Any]]]:
    """Each diverged lane's line up to where it leaves the range [lo, hi] (the running lanes'),
    and a mark where it ends: at its last finite loss, or on the top edge where it left upwards.
    `offset`: lines in `thinned` before the lanes' (ASGD's average)."""
    out, marks = list(thinned), []
    for i, end in enumerate(ends):
        if not gone[i] or end is None:
            continue
        xs, ys, colour = out[i + offset]
        above = np.flatnonzero(ys > hi)
        if len(above):
            first = int(above[0])
            out[i + offset] = (xs[:first], ys[:first], colour)
            marks.append((float(xs[first]), hi, colour))
        else:
            marks.append((float(end[0]), float(max(end[1], lo)), colour))
    return out, marks


def _paint(markers: list[list[str]], colours: list[list[Any]], area: Area) -> list[Strip]:
    """plotext's rows as strips, each run of cells in one of our colours as one segment."""
    strips = []
    width = area.width
    for y, row in enumerate(markers):
        text = "".join(row)
        if not area.top <= y < area.bottom or text[area.left : area.right].isspace():
            strips.append(Strip([Segment(text)], width))
            continue
        segs = []
        pos = 0
        for colour, run in groupby(colours[y]):
            n = sum(1 for _ in run)
            segs.append(Segment(text[pos : pos + n], _style(colour)))
            pos += n
        strips.append(Strip(segs, width))
    return strips


def _style(colour: Any) -> Any:
    """Our style for a colour in plotext's matrix: an ANSI number, or a lane's (r, g, b)."""
    if isinstance(colour, int):
        return _COLOUR_STYLE.get(colour)
    if isinstance(colour, tuple) and len(colour) == 3:
        style = _COLOUR_STYLE.get(colour)
        if style is None:
            style = _COLOUR_STYLE[colour] = fg_style(colour)
        return style
    return None


def spans_decades(columns: list[np.ndarray], decades: float) -> bool:
    """Whether the positive finite values of the (thinned) loss columns span more than `decades`
    decades."""
    with np.errstate(all="ignore"):
        positive = [vals[np.isfinite(vals) & (vals > 0)] for vals in columns]
    positive = [vals for vals in positive if len(vals)]
    if not positive:
        return False
    lo, hi = min(float(vals.min()) for vals in positive), max(float(vals.max()) for vals in positive)
    return hi > lo * 10.0**decades


def _legend(row: list[str], legend: str, area: Area, left: str = "") -> Strip:
    """The bottom row (the axis title, `step`) with the lr legend at its right end, in the lr
    line's colour, and `left` (ASGD's average's name) at its left end, in that line's colour,
    each where it does not cover the title."""
    text = "".join(row)
    width = area.width
    text = text[:width].ljust(width)
    title = text.strip()
    title_start = text.find(title) if title else width
    title_end = len(text.rstrip())
    pieces: list[tuple[int, str, Any]] = []  # (column, text, style)
    if left and area.left + 1 + len(left) < title_start - 1:
        pieces.append((area.left + 1, left, _COLOUR_STYLE[AVERAGE]))
    start = width - len(legend) - 1
    if legend and start > title_end + 1:
        pieces.append((start, legend, fg_style(LR)))
    if not pieces:
        return Strip([Segment(text)], width)
    segments, pos = [], 0
    for column, piece, style in pieces:
        segments += [Segment(text[pos:column]), Segment(piece, style)]
        pos = column + len(piece)
    segments.append(Segment(text[pos:]))
    return Strip(segments, width)


def _note(row: list[str], note: str, area: Area) -> Strip:
    """The top row (the plot's border) with `note` set into it, cut to fit."""
    text = "".join(row)[: area.width].ljust(area.width)
    start = text.find("─") + 1 if "─" in text else 0
    room = max(0, area.width - start - 2)
    shown = f" {note} "[:room]
    return Strip([Segment(text[:start]), Segment(shown, _COLOUR_STYLE[EVENT]), Segment(text[start + len(shown) :])], area.width)


def _lr_line(lr: Any, n: int, points: int) -> tuple[np.ndarray, np.ndarray, str] | None:
    """(steps, heights in [0, 1], legend) of a learning rate that changed during the run; None
    for a constant one (a flat line would only hide the loss). Rates that span more than a
    decade are drawn on a log scale. `lr` is a history column (read by its change points,
    without expanding a long run) or an array."""
    if lr is None or n < 2:
        return None
    if hasattr(lr, "changes"):
        steps, values = lr.changes()
    else:
        values = np.asarray(lr, dtype=float)
        steps = np.arange(len(values))
    finite = np.isfinite(values)
    steps, values = steps[finite], values[finite]
    if len(values) < 2:
        return None
    lo, hi = float(values.min()), float(values.max())
    if not hi > lo:
        return None
    log = lo > 0 and hi / lo > 10
    if len(values) > 2 * points:  # a schedule: it changes at every step
        keep, _ = downsample(values, points)
        xs, ys = steps[keep].astype(float), values[keep]
    else:  # a few changes: a step function
        ends = np.append(steps[1:] - 1, n - 1)
        xs = np.stack([steps, ends], axis=1).ravel().astype(float)
        ys = np.repeat(values, 2)
    if xs[-1] < n - 1:
        xs, ys = np.append(xs, n - 1), np.append(ys, ys[-1])
    scaled = np.log10(ys) if log else ys
    a, b = (math.log10(lo), math.log10(hi)) if log else (lo, hi)
    first, now = float(values[0]), float(values[-1])
    legend = f"━ lr {first:.3g} → {now:.3g}" + (" (log scale)" if log else "")
    return xs, (scaled - a) / (b - a), legend


def _thin(values: Any, points: int) -> tuple[np.ndarray, np.ndarray]:
    """A history column's own thinning (bounded work on a run of any length), or an array's."""
    if hasattr(values, "thin"):
        return values.thin(points)
    return downsample(np.asarray(values, dtype=float), points)
