"""The "inside the optimizer" panel (`g`): the gradient at the current parameters, the optimizer's
own state (momentum buffer, Adam's moment estimates, its step count) read from
`optimizer.state`, and on a surface the Hessian there with the step size and momentum that are
best for it (Goh, "Why Momentum Really Works", Distill 2017).

The App reads the numbers from the run (`Inside.read`, under the run's lock, only while the
panel is shown, at the redraw rate) and hands them to the panel, which only formats them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.widgets import Static

from playground.formatting import num as _num

if TYPE_CHECKING:
    from playground.engine import Run
    from playground.problems import Curvature

# what torch calls each piece of state, in a person's words
# in the letters of the explanations' rules (optimizers.py), torch's names beside them
STATE_NAMES = {
    "momentum_buffer": "b: momentum_buffer",
    "exp_avg": "m: exp_avg (mean of g)",
    "exp_avg_sq": "v: exp_avg_sq (mean of g²)",
    "max_exp_avg_sq": "v_max: max_exp_avg_sq",
    "square_avg": "v: square_avg (mean of g²)",
    "grad_avg": "ḡ: grad_avg (mean of g)",
    "acc_delta": "u: acc_delta (mean of d²)",
    "sum": "s: sum (of g²)",
    "exp_inf": "u: exp_inf (decayed max |g|)",
    "prev": "g_prev: prev",
    "step_size": "s: step_size",
    "ax": "ax: the average of p",
    "eta": "η: eta",
    "mu": "μ: mu",
    "mu_product": "Π: mu_product",
    "step": "t: step",
    "variance": "v: variance (mean of g²)",
    "row_var": "r: row_var (mean of g² per row)",
    "col_var": "c: col_var (mean of g² per column)",
    # the zoo's (pytorch-optimizer)
    "z": "z: z (the sequence steps are taken from)",
    "s": "s: s (decayed sum of d·lr·g)",
    "p0": "p0: p0 (the start)",
    "exp_avg_slow": "m_slow: exp_avg_slow (slow mean of g)",
    "GG": "L, R: GG (Shampoo's factors)",
    "Q": "Q_L, Q_R: Q (their eigenvectors)",
    "precondition_frequency": "precondition_frequency: precondition_frequency",
    "shampoo_beta": "β: shampoo_beta",
}
PAD = " "
SHOWN = 6  # the most numbers of one vector written out; longer ones show their size and norm


@dataclass(frozen=True)
class Inside:
    """What the panel shows, read from a run in one go."""

    step: int
    surface: bool
    gradient: tuple[float, ...]
    state: dict[str, Any] = field(default_factory=dict)
    curvature: Curvature | None = None
    lr: float | None = None
    momentum: float | None = None
    optimizer: str = ""

    @classmethod
    def read(cls, run: Run) -> Inside:
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
                optimizer=run.config.optimizer,
            )


def _no_state(info: Inside) -> str:
    """Why the state is empty: plain SGD keeps none; the others make theirs at the first step."""
    if info.optimizer == "sgd" and not info.momentum:
        return "none: plain SGD (momentum 0) steps by the gradient alone\n"
    return "empty: made at the first step\n" if info.step == 0 else "none kept\n"


def _vector(values: list[float] | tuple[float, ...]) -> str:
    if len(values) <= SHOWN:
        return "(" + ", ".join(_num(v) for v in values) + ")"
    norm = math.sqrt(sum(v * v for v in values))
    return f"{len(values)} numbers, norm {_num(norm)}"


def _state_value(key: str, value: Any) -> str:
    """One entry of optimizer.state as words: numbers, a vector, or (L-BFGS keeps lists of past
    vectors) how many there are."""
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], (int, float)):
        value = value[0]  # a count kept as a tensor (Adam's step)
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(int(value)) if key == "step" and float(value).is_integer() else _num(float(value))
    if isinstance(value, list):
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            return _vector(value)
        return f"{len(value)} saved vectors"
    return str(value)[:40]


GRADIENT_COLOUR = (255, 171, 64)  # the map's arrows, and the panel's words for them
MOMENTUM_COLOUR = (234, 128, 252)


def _rgb(colour: tuple[int, int, int]) -> str:
    return "rgb({},{},{})".format(*colour)


ARROWS = "→↗↑↖←↙↓↘"  # by the on-screen angle, in eighths of a turn from east, anticlockwise
ARROW_LENGTH = 0.12  # of the map's shorter side


@dataclass(frozen=True)
class Arrow:
    """A short segment from the current point in a direction, as the map draws it: the line's
    points and a head glyph at its end."""

    name: str  # "gradient" or "momentum"
    xs: tuple[float, float]
    ys: tuple[float, float]
    glyph: str


def arrow(
    name: str,
    point: tuple[float, float],
    vector: tuple[float, float],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    aspect: float = 0.5,
) -> Arrow | None:
    """An arrow from `point` along `vector`, of the same length on screen whatever the vector's
    size. `aspect` is the map's height over its width on screen, so the head points the way the
    line goes there (a cell is about twice as tall as it is wide: aspect ~ 2 * rows / cols)."""
    x0, y0 = point
    sx, sy = xlim[1] - xlim[0], ylim[1] - ylim[0]
    if not (sx > 0 and sy > 0 and aspect > 0 and all(map(math.isfinite, (x0, y0, *vector)))):
        return None
    u, v = vector[0] / sx, vector[1] / sy * aspect  # on-screen units: the width is 1
    size = math.hypot(u, v)
    if size == 0:
        return None
    t = ARROW_LENGTH * min(1.0, aspect) / size
    turn = math.atan2(v, u) / (2 * math.pi)
    glyph = ARROWS[round(turn * 8) % 8]
    return Arrow(name, (x0, x0 + t * vector[0]), (y0, y0 + t * vector[1]), glyph)


def arrows(
    info: Inside, point: tuple[float, float], xlim: tuple[float, float], ylim: tuple[float, float], aspect: float = 0.5
) -> list[Arrow]:
    """On a surface: where plain gradient descent would go (−g) and where the optimizer's
    momentum pushes (−b for SGD's momentum buffer b, −m for Adam's first moment)."""
    out = []
    if len(info.gradient) == 2:
        out.append(arrow("gradient", point, (-info.gradient[0], -info.gradient[1]), xlim, ylim, aspect))
    for key in MOMENTA:
        value = info.state.get(key)
        if isinstance(value, list) and len(value) == 2:
            out.append(arrow("momentum", point, (-float(value[0]), -float(value[1])), xlim, ylim, aspect))
            break
    return [a for a in out if a is not None]


MOMENTA = ("momentum_buffer", "exp_avg")  # the state that carries the optimizer's direction


class InsidePanel(Static):
    """The numbers inside the optimizer at the current point."""

    def on_mount(self) -> None:
        self.border_title = "inside the optimizer"
        self.border_subtitle = "g hides"

    _shown: Text | None = None

    def show(self, info: Inside | None, loading: bool = False) -> None:
        text = Text(no_wrap=False)
        if info is None:
            text.append("waiting for the engine…" if loading else "no run", style="italic")
            self._put(text)
            return
        self._heading(text, "Gradient here" if info.surface else "Gradient, all weights")
        text.append(f"g = {_vector(info.gradient)}\n" if info.gradient else "none yet\n")
        if info.surface and len(info.gradient) == 2:
            text.append(f"|g| = {_num(math.hypot(*info.gradient))}\n", style="dim")
            text.append("−g: the arrow on the map\n", style=_rgb(GRADIENT_COLOUR))
        self._heading(text, "Optimizer state" + ("" if info.surface else ", all weights"))
        if not info.state:
            text.append(_no_state(info), style="dim")
        for key, value in info.state.items():
            label = STATE_NAMES.get(key, key)
            shown = _state_value(key, value)
            text.append(f"{label}\n", style="bold")
            text.append(f"{PAD * 2}{shown}\n")
            if info.surface and key == next((k for k in MOMENTA if k in info.state), None):
                text.append(f"−{'b' if key == 'momentum_buffer' else 'm'}: the arrow on the map\n", style=_rgb(MOMENTUM_COLOUR))
        if info.surface:
            self._curvature(text, info)
        self._put(text)

    def _put(self, text: Text) -> None:
        """Shown at every frame while running: a layout of the whole screen (15 ms and more)
        only when the panel's lines change in number or may wrap; else a repaint."""
        shown = self._shown
        if shown is not None and text == shown:
            return
        lines = text.plain.splitlines()
        wraps = any(len(line) > max(self.content_size.width, 1) for line in lines)
        self.update(text, layout=shown is None or wraps or len(lines) != len(shown.plain.splitlines()))
        self._shown = text

    def _heading(self, text: Text, title: str) -> None:
        if text.plain:
            text.append("\n")
        text.append(title + "\n", style="bold cyan")

    def _curvature(self, text: Text, info: Inside) -> None:
        self._heading(text, "Curvature (Hessian H)")
        c = info.curvature
        if c is None:
            text.append("not finite at this point\n", style="dim")
            return
        (a, b), (_, d) = c.hessian
        text.append(f"H = [{_num(a)}, {_num(b)};\n{PAD * 5}{_num(b)}, {_num(d)}]\n")
        text.append(f"eigenvalues λ1 = {_num(c.low)}\n{PAD * 12}λn = {_num(c.high)}\n")
        if c.condition is None:
            if c.low < 0:
                text.append("not convex here (λ1 < 0):\nno best step size, momentum\n", style="dim")
            else:  # λ1 = 0: convex, but not strongly: no finite κ
                text.append("convex, not strongly (λ1 = 0):\nno best step size, momentum\n", style="dim")
            return
        text.append(f"condition number κ = {c.condition:.4g}\n")
        kappa, low, high = c.condition, c.low, c.high
        text.append("Best plain GD (momentum 0)\n", style="bold")
        text.append(f"lr = 2/(λ1+λn) = {2 / (low + high):.3g}\n")
        text.append(f"rate (κ−1)/(κ+1) = {(kappa - 1) / (kappa + 1):.3g}\n")
        text.append("Best heavy ball (Goh 2017)\n", style="bold")
        text.append("SGD, momentum β, dampening 0,\nno Nesterov\n", style="dim")
        assert c.best_lr is not None and c.best_momentum is not None
        text.append(f"α = (2/(√λ1+√λn))² = {c.best_lr:.3g}\n")
        text.append(f"β = ((√κ−1)/(√κ+1))² = {c.best_momentum:.3g}\n")
        text.append(f"rate √β = {math.sqrt(c.best_momentum):.3g}\n")
        if kappa > 3 + 2 * math.sqrt(2):  # then α·λn > 2: α alone, without β, diverges
            text.append(f"α with momentum 0 diverges:\n|1 − α·λn| = {abs(1 - c.best_lr * high):.3g} > 1\n", style="yellow")
        now = f"now lr {_num(info.lr)}" if info.lr is not None else ""
        if now and info.momentum is not None:
            now += f", momentum {_num(info.momentum)}"
        if now:
            text.append(now + "\n", style="dim")
        if c.quadratic:
            text.append("exact: the surface is quadratic\n", style="green")
        else:
            text.append("a local estimate: H changes\nfrom point to point\n", style="yellow")
