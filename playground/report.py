"""A finished run as JSON, CSV or a short text summary (what `playground run` prints)."""

from __future__ import annotations

import json
import math
from typing import Any

from playground.engine import Run


def _clean(values: list[float]) -> list[float | None]:
    isfinite = math.isfinite
    return [v if isfinite(v) else None for v in values]


def _num(v: float) -> float | None:
    return v if math.isfinite(v) else None


def result(run: Run) -> dict[str, Any]:
    """The `run --format json` object: keys in the documented order; non-finite numbers as null."""
    h = run.history
    hyper = {k: (list(v) if isinstance(v, tuple) else v) for k, v in run.config.hyper.items()}
    out: dict[str, Any] = {
        "scenario": run.scenario.name,
        "kind": run.scenario.kind,
        "optimizer": {"name": run.config.optimizer, **hyper},
        "loss_fn": run.config.loss,
        "seed": run.config.seed,
        "steps": h.steps,
        "loss": _clean(h.loss.tolist()),
    }
    if h.x is not None and h.y is not None:
        xs, ys = h.x.tolist(), h.y.tolist()
        out["trajectory"] = [[_num(a), _num(b)] for a, b in zip(xs, ys)]
    if h.accuracy is not None:
        out["accuracy"] = _clean(h.accuracy.tolist())
    if h.test_accuracy is not None:
        out["test_accuracy"] = _clean(h.test_accuracy.tolist())
    out["final_loss"] = _num(h.loss.last())
    out["diverged"] = run.diverged
    out["diverged_at"] = run.diverged_at
    out["stop_reason"] = run.stop_reason
    out["batch_size"] = run.config.batch_size
    out["grad_norm"] = _clean(h.grad_norm.tolist())
    out["lr"] = _clean(h.lr.tolist())
    out["events"] = [{"step": s, "change": text} for s, text in h.events]
    out["seconds"] = round(run.elapsed, 6)
    return out


def to_json(run: Run) -> str:
    return json.dumps(result(run), allow_nan=False) + "\n"


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


def to_text(run: Run) -> str:
    h = run.history
    s = run.scenario
    cfg = run.config
    hyper = ", ".join(f"{k}={_fmt(v)}" for k, v in cfg.hyper.items())
    lines = [f"{s.name} ({s.kind}): {cfg.optimizer} ({hyper})" + (f", loss {cfg.loss}" if cfg.loss else "")]
    rate = h.steps / run.elapsed if run.elapsed > 0 else float("inf")
    lines.append(f"steps        {h.steps} in {run.elapsed:.2f} s ({rate:,.0f} steps/s)")
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
    if run.diverged:
        lines.append(f"stopped      at step {run.diverged_at}: {run.stop_reason}")
    return "\n".join(lines) + "\n"


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, tuple):
        return "(" + ", ".join(_fmt(x) for x in v) + ")"
    return str(v)
