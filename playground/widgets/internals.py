"""The "inside the optimizer" panel (`g`): the gradient at the current parameters, the optimizer's
own state (momentum buffer, Adam's moment estimates, its step count) read from
`optimizer.state`, and on a surface the Hessian there with the step size and momentum that are
best for it (Goh, "Why Momentum Really Works", Distill 2017).

The App reads the numbers from the run (`Internals.read`, under the run's lock, only while the
panel is shown, at the redraw rate) and hands them to the panel, which only formats them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from playground.engine import Curvature, Run

# what torch calls each piece of state, in a person's words
STATE_NAMES = {
    "momentum_buffer": "momentum buffer v",
    "exp_avg": "exp_avg m (1st moment)",
    "exp_avg_sq": "exp_avg_sq s (2nd moment)",
    "max_exp_avg_sq": "max_exp_avg_sq (amsgrad)",
    "square_avg": "square_avg (mean of g²)",
    "grad_avg": "grad_avg (centered)",
    "acc_delta": "acc_delta (mean of Δ²)",
    "sum": "sum of g²",
    "exp_inf": "exp_inf (max of |g|)",
    "prev": "previous gradient",
    "step_size": "step sizes",
    "ax": "ax (averaged point)",
    "eta": "eta",
    "mu": "mu",
    "mu_product": "mu_product",
    "step": "step count t",
}
SHOWN = 6  # the most numbers of one vector written out; longer ones show their size and norm


@dataclass(frozen=True)
class Internals:
    """What the panel shows, read from a run in one go."""

    step: int
    surface: bool
    gradient: tuple[float, ...]
    state: dict[str, Any] = field(default_factory=dict)
    curvature: Curvature | None = None
    lr: float | None = None
    momentum: float | None = None

    @classmethod
    def read(cls, run: Run) -> Internals:
        with run.lock:
            surface = run.scenario.kind == "surface"
            return cls(
                step=run.step_count,
                surface=surface,
                gradient=run.gradient,
                state=run.optimizer_state(),
                curvature=run.curvature() if surface and not run.diverged else None,
                lr=run.lr,
                momentum=run.config.hyper.get("momentum"),
            )


def _num(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    if v == 0:
        return "0"
    return f"{v:.4g}" if 1e-3 <= abs(v) < 1e5 else f"{v:.2e}"


def _vector(values: list[float] | tuple[float, ...]) -> str:
    if len(values) <= SHOWN:
        return "(" + ", ".join(_num(v) for v in values) + ")"
    norm = math.sqrt(sum(v * v for v in values))
    return f"{len(values)} numbers, norm {_num(norm)}"


def direction(values: list[float] | tuple[float, ...]) -> tuple[float, float] | None:
    """A 2D vector scaled to length 1, or None (zero, not finite, not 2D)."""
    if len(values) != 2:
        return None
    x, y = float(values[0]), float(values[1])
    norm = math.hypot(x, y)
    if not math.isfinite(norm) or norm == 0:
        return None
    return x / norm, y / norm


class InternalsPanel(Static):
    """The numbers inside the optimizer at the current point."""

    def on_mount(self) -> None:
        self.border_title = "inside the optimizer"
        self.border_subtitle = "g hides"

    def show(self, info: Internals | None, loading: bool = False) -> None:
        text = Text(no_wrap=False)
        if info is None:
            text.append("waiting for the engine…" if loading else "no run", style="italic")
            self.update(text)
            return
        where = "at the current point" if info.surface else "over all the model's weights"
        self._heading(text, f"Gradient {where}")
        text.append(f"g = {_vector(info.gradient)}\n" if info.gradient else "none yet\n")
        if info.surface and len(info.gradient) == 2:
            text.append(f"|g| = {_num(math.hypot(*info.gradient))}\n", style="dim")
        self._heading(text, "Optimizer state" + ("" if info.surface else " (first layer's weights)"))
        if not info.state:
            text.append("empty: made at the first step\n" if info.step == 0 else "this optimizer keeps none\n", style="dim")
        for key, value in info.state.items():
            label = STATE_NAMES.get(key, key)
            if isinstance(value, list) and len(value) == 1:  # a count kept as a tensor (Adam's step)
                value = value[0]
            if isinstance(value, list):
                shown = _vector(value)
            elif isinstance(value, float) and value.is_integer() and key == "step":
                shown = str(int(value))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                shown = _num(float(value))
            else:
                shown = str(value)
            text.append(f"{label}\n", style="bold")
            text.append(f"  {shown}\n")
        if info.surface:
            self._curvature(text, info)
        self.update(text)

    def _heading(self, text: Text, title: str) -> None:
        if text.plain:
            text.append("\n")
        text.append(title + "\n", style="bold cyan")

    def _curvature(self, text: Text, info: Internals) -> None:
        self._heading(text, "Curvature here (Hessian)")
        c = info.curvature
        if c is None:
            text.append("not finite at this point\n", style="dim")
            return
        (a, b), (_, d) = c.hessian
        text.append(f"H = [[{_num(a)}, {_num(b)}], [{_num(b)}, {_num(d)}]]\n")
        text.append(f"eigenvalues λn = {_num(c.low)}, λ1 = {_num(c.high)}\n")
        if c.condition is None:
            text.append("not convex here (an eigenvalue ≤ 0):\nno best step size or momentum\n", style="dim")
            return
        text.append(f"condition number κ = {c.condition:.4g}\n")
        text.append("Best heavy ball (Goh 2017)\n", style="bold")
        assert c.best_lr is not None and c.best_momentum is not None
        text.append(f"  α = (2/(√λ1+√λn))² = {c.best_lr:.3g}\n")
        text.append(f"  β = ((√κ−1)/(√κ+1))² = {c.best_momentum:.3g}\n")
        now = f"  now: lr {_num(info.lr)}" if info.lr is not None else ""
        if now and info.momentum is not None:
            now += f", momentum {_num(info.momentum)}"
        if now:
            text.append(now + "\n", style="dim")
        if c.quadratic:
            text.append("exact: the surface is quadratic\n", style="green")
        else:
            text.append("a local estimate: the curvature\nchanges from point to point\n", style="yellow")
