"""A finished run as JSON, CSV or a short text summary (what `playground run` prints)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from playground.engine import Run
from playground.landscape import Landscape
from playground.formatting import precise as _fmt
from playground.formatting import rate as per_second
from playground.optimizers import get_optimizer
from playground.race import Race
from playground.scenarios import Scenario
from playground.settings import RunConfig, lr_origin
from playground.sweep import SweepPoint
from playground.tuning import Comparison, Outcome, starts_inside, verdict_text
from playground.tuning import seed_start as tuning_seed_start


def _clean(values: list[float]) -> list[float | None]:
    isfinite = math.isfinite
    return [v if isfinite(v) else None for v in values]


def _num(v: float) -> float | None:
    return v if math.isfinite(v) else None


def optimizer_object(name: str, hyper: dict[str, Any], surface: bool, leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON `optimizer` object: the name and every hyperparameter under the library's own
    keyword names (tuples as lists), so that `Optimizer(params, **those)` rebuilds it. An optimizer
    with a partner on a network (Muon and AdamW) gives each its own object, named by the partner."""
    spec = get_optimizer(name)

    def listed(values: dict[str, Any], leave_out: tuple[str, ...] = ()) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in values.items() if k not in leave_out}

    own = listed(spec.own(hyper), leave_out)  # what leaves out (a sweep's lr) is the optimizer's own
    if spec.partner and not surface:
        return {"name": name, "matrices": hyper.get("matrices"), name: own, spec.partner: listed(spec.partners(hyper))}
    return {"name": name, **own}


class Streamed:
    """A per-step array of the JSON, made a block of rows at a time as it is written (to_json),
    so that a run of a million steps never holds its arrays as Python lists, nor its JSON as one
    string: `rows(start, stop)` gives the JSON values of rows [start, stop)."""

    BLOCK = 8192

    def __init__(self, length: int, rows: Callable[[int, int], list[Any]]) -> None:
        self.length = length
        self.rows = rows

    def tolist(self) -> list[Any]:
        return self.rows(0, self.length)

    def pieces(self) -> Iterator[str]:
        yield "["
        for start in range(0, self.length, self.BLOCK):
            text = json.dumps(self.rows(start, min(start + self.BLOCK, self.length)), allow_nan=False)
            yield (", " if start else "") + text[1:-1]
        yield "]"


def _column(column: Any) -> Streamed:
    return Streamed(len(column), lambda a, b: _clean(column.array(a, b).tolist()))


def _pairs(xs: Any, ys: Any) -> Streamed:
    def rows(a: int, b: int) -> list[Any]:
        return [[_num(x), _num(y)] for x, y in zip(xs.array(a, b).tolist(), ys.array(a, b).tolist())]

    return Streamed(min(len(xs), len(ys)), rows)


def result(run: Run, sharpness: list[tuple[int, float]] | None = None, streamed: bool = False) -> dict[str, Any]:
    """The `run --format json` object: keys in the documented order; non-finite numbers as null.
    `sharpness` (run --sharpness K): (step, value) pairs, added as the last key. `streamed`: the
    per-step arrays as Streamed, made as they are written (to_json), not as lists."""
    h = run.history

    def array(values: Streamed) -> Any:
        return values if streamed else values.tolist()

    out: dict[str, Any] = {
        "scenario": run.scenario.name,
        "kind": run.scenario.kind,
        "optimizer": optimizer_object(run.config.optimizer, run.config.hyper, run.scenario.kind == "surface"),
        "lr_from": lr_origin(run.scenario, run.config),
        "loss_fn": run.config.loss,
        "seed": run.config.seed,
        "steps": h.steps,
        "loss": array(_column(h.loss)),
    }
    if h.x is not None and h.y is not None:
        out["trajectory"] = array(_pairs(h.x, h.y))
    if h.accuracy is not None:
        out["accuracy"] = array(_column(h.accuracy))
    if h.test_accuracy is not None:
        out["test_accuracy"] = array(_column(h.test_accuracy))
    out["final_loss"] = _num(h.loss.last())
    out["diverged"] = run.diverged
    out["diverged_at"] = run.diverged_at
    out["stop_reason"] = run.stop_reason
    out["batch_size"] = run.config.batch_size
    out["schedule"] = {"name": run.config.schedule, **run.config.schedule_params}
    out["clip"] = run.config.clip or None
    out["grad_norm"] = array(_column(h.grad_norm))
    out["lr"] = array(_column(h.lr))
    out["events"] = [{"step": s, "change": text} for s, text in h.events]
    evaluations = h.evaluations
    out["evaluations"] = array(Streamed(len(h.loss), lambda a, b: [int(v) for v in evaluations.at(np.arange(a, b))]))
    out["average"] = _average(h.average)
    out["seconds"] = round(run.elapsed, 6)
    if sharpness is not None:
        out["sharpness"] = [[step, _num(value)] for step, value in sharpness]
    return out


def _average(average: Any) -> dict[str, Any] | None:
    """ASGD's average (its state ax), from the first step that averaged; null otherwise."""
    if average is None:
        return None
    out: dict[str, Any] = {"from_step": average.start, "loss": _clean(average.loss.tolist())}
    if average.x is not None and average.y is not None:
        out["trajectory"] = [[_num(a), _num(b)] for a, b in zip(average.x.tolist(), average.y.tolist())]
    return out


def to_json(run: Run, sharpness: list[tuple[int, float]] | None = None) -> str:
    return "".join(json_pieces(run, sharpness))


def json_pieces(run: Run, sharpness: list[tuple[int, float]] | None = None) -> Iterator[str]:
    """The JSON text of `result`, in pieces, its per-step arrays made a block at a time as they
    are written: the same text as json.dumps(result(run)), without holding it whole."""
    out = result(run, sharpness, streamed=True)
    yield "{"
    for i, (key, value) in enumerate(out.items()):
        yield (", " if i else "") + json.dumps(key) + ": "
        if isinstance(value, Streamed):
            yield from value.pieces()
        else:
            yield json.dumps(value, allow_nan=False)
    yield "}\n"


def csv_columns(run: Run) -> list[str]:
    h = run.history
    cols = ["step", "loss"]
    if h.x is not None:
        cols += ["x", "y"]
    if h.accuracy is not None:
        cols.append("accuracy")
    if h.test_accuracy is not None:
        cols.append("test_accuracy")
    return [*cols, "grad_norm", "lr"]


def to_csv(run: Run) -> str:
    h = run.history
    series = {"loss": h.loss, "x": h.x, "y": h.y, "accuracy": h.accuracy, "test_accuracy": h.test_accuracy, "grad_norm": h.grad_norm, "lr": h.lr}
    cols = csv_columns(run)
    data = [list(range(len(h.loss)))] + [series[c].tolist() for c in cols[1:]]  # type: ignore[union-attr]
    lines = [",".join(cols)]
    for row in zip(*data):
        lines.append(",".join(str(row[0]) if i == 0 else _cell(v) for i, v in enumerate(row)))
    return "\n".join(lines) + "\n"


def _cell(v: float) -> str:
    return repr(v) if math.isfinite(v) else ""


def to_text(run: Run, sharpness: list[tuple[int, float]] | None = None) -> str:
    h = run.history
    s = run.scenario
    cfg = run.config
    shown = {h.name for h in get_optimizer(cfg.optimizer).shown(s.kind == "surface")}
    hyper = ", ".join(f"{k}={_fmt(v)}" for k, v in cfg.hyper.items() if k in shown)
    lines = [f"{s.name} ({s.kind}): {cfg.optimizer} ({hyper})" + (f", loss {cfg.loss}" if cfg.loss else "")]
    origin = lr_origin(s, cfg)
    if origin:
        lines.append(f"lr           {_fmt(cfg.hyper['lr'])} ({origin})")
    if cfg.schedule != "constant":
        from playground.schedules import get_schedule

        lines.append(f"schedule     {get_schedule(cfg.schedule).describe(cfg.schedule_params, cfg.steps)} (lr now {_fmt(h.lr.last())})")
    if cfg.clip:
        lines.append(f"clipping     the gradient's norm to {_fmt(cfg.clip)}")
    if h.steps and run.elapsed > 0:
        lines.append(f"steps        {h.steps} in {run.elapsed:.2f} s ({per_second(h.steps / run.elapsed, 'step')})")
    else:  # no update made (a budget of 0: the start evaluated), or too quick to time: no rate
        lines.append(f"steps        {h.steps} in {run.elapsed:.2f} s")
    lines.append(f"start loss   {_fmt(h.loss[0])}")
    lines.append(f"final loss   {_fmt(h.loss.last())}")
    if s.surface is not None:
        x, y = run.point
        lines.append(f"final point  ({_fmt(x)}, {_fmt(y)})")
        if s.surface.minima and math.isfinite(x) and math.isfinite(y):
            mx, my = min(s.surface.minima, key=lambda m: math.hypot(m[0] - x, m[1] - y))
            lines.append(f"nearest min  ({_fmt(mx)}, {_fmt(my)}) at distance {_fmt(math.hypot(mx - x, my - y))}")
    if h.accuracy is not None:
        lines.append(f"accuracy     {h.accuracy.last():.1%} on {len(run.points.train_x)} training points")  # type: ignore[union-attr]
    if h.test_accuracy is not None:
        lines.append(f"test acc.    {h.test_accuracy.last():.1%} on {len(run.points.test_x)} test points")  # type: ignore[union-attr]
    lines.append(f"grad norm    {_fmt(h.grad_norm.last())}" + ("  (converged)" if run.converged else ""))
    if sharpness:
        step, value = sharpness[-1]
        lr = h.lr.last()
        edge = f" against 2/lr = {_fmt(2 / lr)}" if lr > 0 else ""
        lines.append(f"sharpness    {_fmt(value)} at step {step}{edge} (largest {_fmt(max((v for _, v in sharpness if math.isfinite(v)), default=math.nan))}, {len(sharpness)} measured)")
    if run.diverged:
        lines.append(f"stopped      at step {run.diverged_at}: {run.stop_reason}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ races and sweeps


def race_result(race: Race) -> dict[str, Any]:
    """The `compare --format json` object: the scenario and one `run --format json` object per
    lane, each with its lane index, label and the step it reached the tolerance (or null)."""
    target, tol = race.tolerance()
    lanes = []
    for lane, score in zip(race.lanes, race.scores()):
        out = result(lane)
        out["lane"] = score.lane
        out["label"] = score.label
        out["reached_at"] = score.reached_at
        lanes.append(out)
    return {"scenario": race.scenario.name, "kind": race.scenario.kind, "target_loss": _num(target), "tolerance": _num(tol), "lanes": lanes}


def race_to_json(race: Race) -> str:
    return json.dumps(race_result(race), allow_nan=False) + "\n"


def race_to_csv(race: Race) -> str:
    """One table: the `run --format csv` columns after a `lane` column (numbered from 1, as the
    app and the text table number lanes), lane after lane."""
    blocks = []
    for i, lane in enumerate(race.lanes):
        lines = to_csv(lane).splitlines()
        if not blocks:
            blocks.append("lane," + lines[0])
        blocks += [f"{i + 1},{line}" for line in lines[1:]]
    return "\n".join(blocks) + "\n"


def race_to_text(race: Race) -> str:
    """The scoreboard, best first: final loss, when the tolerance was reached, divergence."""
    target, tol = race.tolerance()
    scores = sorted(race.scores(), key=lambda s: (s.diverged_at is not None, s.reached_at is None, s.reached_at or 0, s.final_loss if math.isfinite(s.final_loss) else math.inf))
    width = max(len(s.label) for s in scores)
    lines = [
        f"{race.scenario.name} ({race.scenario.kind}): {len(race.lanes)} lane{'s' if len(race.lanes) != 1 else ''}, {race.step_count} steps; "
        f"arrived = loss within {_fmt(tol)} of {_fmt(target)}",
        f"{'#':>2}  {'run':<{width}}  {'final loss':>12}  {'arrived':>10}  result",
    ]
    for s in scores:
        arrived = f"step {s.reached_at}" if s.reached_at is not None else "-"
        result_text = f"diverged at step {s.diverged_at}" if s.diverged_at is not None else ("arrived" if s.reached_at is not None else "on its way")
        lines.append(f"{s.lane + 1:>2}  {s.label:<{width}}  {_fmt(s.final_loss):>12}  {arrived:>10}  {result_text}")
    return "\n".join(lines) + "\n"


def sweep_result(scenario: Scenario, config: RunConfig, points: list[SweepPoint]) -> dict[str, Any]:
    """The `sweep --format json` object. The optimizer's settings leave out lr, which varies, and
    momentum too in a phase diagram, whose points then carry it beside lr."""
    two = any(p.momentum is not None for p in points)

    def point(p: SweepPoint) -> dict[str, Any]:
        axes = {"lr": p.lr, "momentum": p.momentum} if two else {"lr": p.lr}
        return {**axes, "final_loss": _num(p.final_loss), "diverged": p.diverged, "diverged_at": p.diverged_at}

    return {
        "scenario": scenario.name,
        "kind": scenario.kind,
        "optimizer": optimizer_object(config.optimizer, config.hyper, scenario.kind == "surface", leave_out=("lr", "momentum") if two else ("lr",)),
        "steps": config.steps,
        "points": [point(p) for p in points],
    }


def sweep_to_json(scenario: Scenario, config: RunConfig, points: list[SweepPoint]) -> str:
    return json.dumps(sweep_result(scenario, config, points), allow_nan=False) + "\n"


BAR = 40


def sweep_to_text(scenario: Scenario, config: RunConfig, points: list[SweepPoint]) -> str:
    """A table with a bar per learning rate: the bar's length is the final loss on a log scale
    (shorter is better); a diverged run shows a row of x. A phase diagram: a grid of shades."""
    if any(p.momentum is not None for p in points):
        return phase_to_text(scenario, config, points)
    finite = [p.final_loss for p in points if not p.diverged and math.isfinite(p.final_loss) and p.final_loss > 0]
    lo = math.log10(min(finite)) if finite else 0.0
    hi = math.log10(max(finite)) if finite else 1.0
    span = (hi - lo) or 1.0
    hyper = ", ".join(f"{k}={_fmt(v)}" for k, v in config.hyper.items() if k != "lr")
    lines = [f"{scenario.name}: {config.optimizer} ({hyper}), {config.steps} steps at each learning rate (bar: final loss, log scale)"]
    for p in points:
        if p.diverged or not math.isfinite(p.final_loss):
            why = f"at step {p.diverged_at}" if p.diverged_at is not None else f"(final loss {_fmt(p.final_loss)})"
            bar, loss = "x" * BAR, f"diverged {why}"
        else:
            share = 0.0 if p.final_loss <= 0 else (math.log10(p.final_loss) - lo) / span
            bar, loss = "█" * max(1, round(1 + share * (BAR - 1))), _fmt(p.final_loss)
        lines.append(f"lr {p.lr:<10.3g} {bar:<{BAR}}  {loss}")
    good = [p for p in points if not p.diverged and math.isfinite(p.final_loss)]
    if good:
        best = min(good, key=lambda p: p.final_loss)
        lines.append(f"lowest final loss {_fmt(best.final_loss)} at lr {best.lr:.3g}")
    return "\n".join(lines) + "\n"


def phase_to_text(scenario: Scenario, config: RunConfig, points: list[SweepPoint]) -> str:
    """A phase diagram in characters: momentum up, lr across; each cell a shade of its final loss
    (log scale, darker is higher), x where it diverged."""
    rates = sorted({p.lr for p in points})
    moms = sorted({p.momentum for p in points if p.momentum is not None}, reverse=True)
    at = {(p.lr, p.momentum): p for p in points}
    shades = Shades([p.final_loss for p in points if not p.diverged])

    def shade(p: SweepPoint | None) -> str:
        if p is None:
            return "?"
        return "x" if p.diverged or not math.isfinite(p.final_loss) else shades.of(p.final_loss)

    hyper = ", ".join(f"{k}={_fmt(v)}" for k, v in config.hyper.items() if k not in ("lr", "momentum"))
    lines = [
        f"{scenario.name}: {config.optimizer} ({hyper}), {config.steps} steps at each (lr, momentum)",
        f"momentum down the side, lr across ({rates[0]:.3g} to {rates[-1]:.3g}, log scale); shade: final loss from {_fmt(shades.low)} (' ') to {_fmt(shades.high)} ('@'), x: diverged",
    ]
    lines += [f"m {m:<6.3g} " + " ".join(shade(at.get((lr, m))) for lr in rates) for m in moms]
    good = [p for p in points if not p.diverged and math.isfinite(p.final_loss)]
    if good:
        best = min(good, key=lambda p: p.final_loss)
        lines.append(f"lowest final loss {_fmt(best.final_loss)} at lr {best.lr:.3g}, momentum {best.momentum:.3g}")
    lines.append(f"{sum(p.diverged for p in points)} of {len(points)} cells diverged")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ landscapes


def landscape_result(run: Run, found: Landscape) -> dict[str, Any]:
    """The `landscape --format json` object: loss[i][j] at (alpha[i], beta[j]); null where not finite."""
    return {
        "scenario": run.scenario.name,
        "directions": found.directions,
        "grid": found.grid,
        "span": found.span,
        "alpha": found.alpha,
        "beta": found.beta,
        "loss": [_clean(row) for row in found.loss.tolist()],
        "trajectory": [[_num(a), _num(b)] for a, b in found.trajectory.tolist()],
        "final_loss": _num(found.final_loss),
        "explained_variance": list(found.explained_variance) if found.explained_variance is not None else None,
    }


def landscape_to_json(run: Run, found: Landscape) -> str:
    return json.dumps(landscape_result(run, found), allow_nan=False) + "\n"


SHADES = " .:-=+*#%@"  # low to high loss


class Shades:
    """Characters for values on a log scale, from the lowest positive finite one of `values`
    (' ') to the highest ('@'); a value of 0 or below takes the lowest."""

    def __init__(self, values: list[float]) -> None:
        shown = [v for v in values if math.isfinite(v) and v > 0]
        self.any = bool(shown)
        self.low, self.high = (min(shown), max(shown)) if shown else (1.0, 10.0)
        self._lo = math.log10(self.low)
        self._span = (math.log10(self.high) - self._lo) or 1.0

    def of(self, v: float) -> str:
        if v <= 0:
            return SHADES[0]
        return SHADES[min(len(SHADES) - 1, max(0, int((math.log10(v) - self._lo) / self._span * len(SHADES))))]


def landscape_to_text(run: Run, found: Landscape) -> str:
    """The grid as characters, darker for higher loss on a log scale, the trajectory as o, the
    final weights as X; beta across, alpha down."""
    values = found.loss.tolist()
    shades = Shades([v for row in values for v in row])
    n = found.grid
    rows = [[shades.of(v) if math.isfinite(v) else "!" for v in row] for row in values]  # !: diverged there
    step = 2 * found.span / (n - 1)
    for a, b in found.trajectory.tolist():
        i, j = round(a / step) + n // 2, round(b / step) + n // 2
        if 0 <= i < n and 0 <= j < n:
            rows[i][j] = "o"
    rows[n // 2][n // 2] = "X"
    cfg = run.config
    shares = f", explaining {found.explained_variance[0]:.0%} and {found.explained_variance[1]:.0%} of the path's variance" if found.explained_variance else ""
    lines = [
        f"{run.scenario.name}: {cfg.optimizer}, {run.history.steps} steps; loss on the plane of {found.directions} directions{shares}",
        f"alpha down, beta across, each from {-found.span:g} to {found.span:g}; shade: loss from {_fmt(shades.low)} (' ') to {_fmt(shades.high)} ('@', log scale); o: the path, X: the final weights, !: not finite",
    ]
    lines += ["  " + " ".join(row) for row in rows]
    lines.append(f"final loss {_fmt(found.final_loss)}; lowest on the plane {_fmt(shades.low) if shades.any else 'none'}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- compare --tune


def tuned_result(scenario: Scenario, comparison: Comparison) -> dict[str, Any]:
    """The `compare --tune --format json` object: the protocol, each lane's trials, seeds,
    median and interval, and the verdict; non-finite numbers as null."""
    p = comparison.protocol
    surface = scenario.kind == "surface"

    def setting(lr: float, momentum: float | None) -> dict[str, Any]:
        return {"lr": lr, **({"momentum": momentum} if momentum is not None else {})}

    def seed(s: int, o: Outcome) -> dict[str, Any]:
        out: dict[str, Any] = {"seed": s, "final_loss": _num(o.final_loss), "diverged": o.diverged, "steps_to_tolerance": o.steps_to_tolerance}
        if surface:
            start = tuning_seed_start(scenario, s)
            out["start"] = list(start) if start is not None else None
        if scenario.kind == "classification":
            out["test_accuracy"] = o.test_accuracy
        return out

    lanes = []
    for lane in comparison.lanes:
        lanes.append({
            "run": lane.run,
            "optimizer": optimizer_object(lane.config.optimizer, lane.config.hyper, surface),
            "tuned": setting(lane.tuned_lr, lane.tuned_momentum),
            "trials": [{**setting(t.lr, t.momentum), "final_loss": _num(t.outcome.final_loss), "diverged": t.outcome.diverged, "steps_to_tolerance": t.outcome.steps_to_tolerance} for t in lane.trials],
            "seeds": [seed(s, o) for s, o in lane.seeds],
            "final_loss": {"median": _num(lane.median), "low": _num(lane.low), "high": _num(lane.high)},
            "starting_trial": starts_inside(p, lane.config),
            "diverged_share": lane.diverged_share,
            "at_edge": lane.at_edge,
            "rank": lane.rank,
        })
    runs = [lane.run for lane in comparison.lanes]
    return {
        "scenario": scenario.name,
        "kind": scenario.kind,
        "protocol": {
            "trials": p.trials,
            "seeds": p.seeds,
            "tune_seed": p.tune_seed,
            "objective": p.objective,
            "momentum": p.momentum,
            "steps": comparison.steps,
            "ranges": [list(lane.range) for lane in comparison.lanes],
            "trial_0": "a lane's starting setting, where it lies inside its range (its lane's `starting_trial`)",
        },
        "lanes": lanes,
        "verdict": {"winner": runs[comparison.winner] if comparison.winner is not None else None, "tie": [runs[i] for i in comparison.tie]},
    }


def tuned_to_json(scenario: Scenario, comparison: Comparison) -> str:
    return json.dumps(tuned_result(scenario, comparison), allow_nan=False) + "\n"


def tuned_to_text(scenario: Scenario, comparison: Comparison) -> str:
    """The table (lane, tuned setting, median [low, high], diverged share, edge, rank) and the
    verdict line."""
    from playground.formatting import short

    p = comparison.protocol
    lanes = comparison.lanes
    objective = "final loss" if p.objective == "loss" else "steps to the tolerance"
    rows = [("#", "run", "tuned", "median final loss [95% interval]", "diverged", "edge", "rank")]
    for i, lane in enumerate(lanes, 1):
        tuned = f"lr {short(lane.tuned_lr)}" + (f" m {short(lane.tuned_momentum)}" if lane.tuned_momentum is not None else "")
        if lane.best is None:
            tuned = "none (all diverged)"
        span = f"{short(lane.median)} [{short(lane.low)}, {short(lane.high)}]"
        diverged = f"{sum(t.outcome.diverged for t in lane.trials)}/{len(lane.trials)}"
        rows.append((str(i), lane.run, tuned, span, diverged, lane.at_edge or "-", str(lane.rank)))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    inside = [starts_inside(p, lane.config) for lane in lanes]
    first = "; trial 1 is its starting setting" if all(inside) else "; trial 1 is the starting setting of a lane whose range holds it" if any(inside) else ""
    lines = [f"{scenario.name} ({scenario.kind}): {len(lanes)} lanes, each tuned on {p.trials} trials of {comparison.steps} steps (best {objective}{first}), then run at {p.seeds} seeds"]
    for r in rows:
        lines.append("  ".join(cell.rjust(w) if c in (0, 4, 6) else cell.ljust(w) for c, (cell, w) in enumerate(zip(r, widths))).rstrip())
    edges = [f"{lane.run}'s tuned lr lies in the {lane.at_edge}est tenth of its range" for lane in lanes if lane.at_edge]
    if edges:
        lines.append("widen the range (--lr-range): " + "; ".join(edges) + ", and the best may lie outside it")
    lines.append("verdict: " + verdict_text(comparison))
    return "\n".join(lines) + "\n"
