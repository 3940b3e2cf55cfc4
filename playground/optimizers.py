"""The optimizer registry: the one place that knows each torch.optim optimizer's hyperparameters.

The CLI's flags, the TUI's fields, the scenario loader and the engine all read this table, so a
name, a default or a valid range is written once. Defaults equal torch's own (a test checks them
against the constructors' signatures). Nothing here imports torch until an optimizer is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from playground.errors import ConfigError, closest


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter: torch's keyword name, its default and what values it may take.

    kind: "float", "int", "bool", "pair" (two floats, e.g. betas) or "choice" (from `choices`).
    The range [low, high] is closed unless low_open / high_open say otherwise.
    """

    name: str
    default: Any
    kind: str = "float"
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    help: str = ""
    choices: tuple[Any, ...] = ()
    optional: bool = False  # None is a valid value (LBFGS's max_eval)

    def bounds(self) -> str:
        lo = "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        hi = "" if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        return " and ".join(b for b in (lo, hi) if b)

    def describe_range(self) -> str:
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return " or ".join("none" if c is None else str(c) for c in self.choices)
        what = {"int": "a whole number", "pair": "two numbers", "float": "a number"}[self.kind]
        bounds = self.bounds()
        if not bounds:
            return what
        return f"{what}, each {bounds}" if self.kind == "pair" else f"{what} {bounds}"

    def parse(self, text: str) -> Any:
        """A value typed by a person (flag, field, --param) -> a checked value, or ValueError."""
        raw = text.strip()
        if self.optional and raw.lower() in ("none", "null", ""):
            return None
        if self.kind == "bool":
            low = raw.lower()
            if low in ("true", "yes", "on", "1"):
                return True
            if low in ("false", "no", "off", "0"):
                return False
            raise ValueError(f"{raw!r} is not true or false")
        if self.kind == "choice":
            for c in self.choices:
                if raw.lower() == ("none" if c is None else str(c)).lower():
                    return c
            raise ValueError(f"{raw!r} is not one of {self.describe_range()}")
        if self.kind == "pair":
            parts = [p for p in raw.strip("()[]").replace(";", ",").split(",") if p.strip()]
            if len(parts) != 2:
                raise ValueError(f"{raw!r} is not two numbers such as 0.9,0.999")
            return self.check(tuple(_number(p) for p in parts))
        if self.kind == "int":
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"{raw!r} is not a whole number") from None
            return self.check(value)
        return self.check(_number(raw))

    def check(self, value: Any) -> Any:
        """A value from a file or code -> the same value, normalised, or ValueError saying why."""
        if self.optional and (value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null"))):
            return None  # TOML has no null: a file writes "none"
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{value!r} is not true or false")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(f"{value!r} is not one of {self.describe_range()}")
            return value
        if self.kind == "pair":
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise ValueError(f"{value!r} is not a pair of numbers")
            return tuple(self._in_range(_as_float(v)) for v in value)
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ValueError(f"{value!r} is not a whole number")
            return int(self._in_range(value))
        return self._in_range(_as_float(value))

    def _in_range(self, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError(f"{v} is not a finite number")
        too_low = self.low is not None and (v <= self.low if self.low_open else v < self.low)
        too_high = self.high is not None and (v >= self.high if self.high_open else v > self.high)
        if too_low or too_high:
            raise ValueError(f"{v:g} is out of range: it must be {self.bounds()}")
        return v


def _number(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()!r} is not a finite number")
    return value


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return value


@dataclass(frozen=True)
class OptimizerSpec:
    """One torch.optim optimizer as the playground offers it."""

    name: str  # what people type: "sgd", "adam"
    torch_name: str  # the class in torch.optim
    hyper: tuple[Hyper, ...]
    summary: str  # one line: what it is
    rule: str  # the update rule, in plain text
    when: str  # when people choose it
    needs_closure: bool = False
    # torch's multi-tensor ("foreach") version does the same arithmetic on every element as the
    # plain loop, so the numbers are the same to the bit (tests/unit/test_engine.py checks): one
    # call for all of a model's tensors instead of one each. Not so for every optimizer: NAdam's,
    # RAdam's and ASGD's multi-tensor versions round differently.
    foreach: bool = False

    def hyper_named(self, name: str) -> Hyper:
        for h in self.hyper:
            if h.name == name:
                return h
        raise ConfigError(
            name, f"{self.name} has no hyperparameter {name!r}; it accepts {', '.join(self.names())}"
        )

    def names(self) -> list[str]:
        return [h.name for h in self.hyper]

    def defaults(self) -> dict[str, Any]:
        return {h.name: h.default for h in self.hyper}

    def build(self, params: Any, hyper: dict[str, Any]) -> Any:
        import torch

        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in hyper.items()}
        if self.foreach:
            kwargs["foreach"] = True
        return getattr(torch.optim, self.torch_name)(params, **kwargs)

    def validate(self, hyper: dict[str, Any]) -> dict[str, Any]:
        """Check a full set of values together (e.g. Nesterov needs momentum); ConfigError if wrong."""
        out = {}
        for h in self.hyper:
            try:
                out[h.name] = h.check(hyper.get(h.name, h.default))
            except ValueError as exc:
                raise ConfigError(h.name, str(exc)) from None
        if out.get("nesterov") and (out.get("momentum", 0) <= 0 or out.get("dampening", 0) != 0):
            raise ConfigError("nesterov", "Nesterov needs momentum > 0 and dampening = 0")
        if self.name == "rprop":
            lo, hi = out["etas"]
            if not (0 < lo < 1 < hi):
                raise ConfigError("etas", f"etas must satisfy 0 < {lo:g} < 1 < {hi:g}")
            if out["step_sizes"][0] > out["step_sizes"][1]:
                raise ConfigError("step_sizes", "the smallest step size is larger than the largest")
        return out


LR = "learning rate: how far each update moves"
WD = "L2 penalty added to the gradient (weight decay)"
EPS = "added to the denominator so it never divides by zero"
BETAS = "decay rates of the running averages of the gradient and of its square"


def _lr(default: float) -> Hyper:
    return Hyper("lr", default, low=0.0, low_open=True, help=LR)


def _wd(default: float = 0.0) -> Hyper:
    return Hyper("weight_decay", default, low=0.0, help=WD)


def _eps(default: float) -> Hyper:
    return Hyper("eps", default, low=0.0, help=EPS)


def _betas() -> Hyper:
    return Hyper("betas", (0.9, 0.999), kind="pair", low=0.0, high=1.0, high_open=True, help=BETAS)


OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (
        OptimizerSpec(
            "sgd",
            "SGD",
            (
                _lr(0.001),
                Hyper("momentum", 0.0, low=0.0, high=1.0, help="how much of the previous step carries into the next"),
                Hyper("dampening", 0.0, low=0.0, high=1.0, help="shrinks the new gradient's share of the momentum buffer"),
                _wd(),
                Hyper("nesterov", False, kind="bool", help="look ahead: use the gradient plus the momentum step"),
            ),
            summary="Gradient descent, optionally with (Nesterov) momentum.",
            rule=(
                "g = grad + weight_decay*p\n"
                "momentum > 0:  v = momentum*v + (1 - dampening)*g   (v = g on the first step)\n"
                "               g = g + momentum*v if nesterov, else g = v\n"
                "p = p - lr*g"
            ),
            when=(
                "Plain SGD is the baseline every other method is measured against. Momentum speeds it "
                "along shallow valleys and damps zig-zags across steep ones; Nesterov corrects the "
                "momentum step with the gradient at where it is heading, which overshoots less. "
                "Well-tuned SGD with momentum still trains many vision models."
            ),
            foreach=True,
        ),
        OptimizerSpec(
            "adam",
            "Adam",
            (_lr(0.001), _betas(), _eps(1e-8), _wd(), Hyper("amsgrad", False, kind="bool", help="use the largest v seen so far")),
            summary="Adaptive moments: momentum plus a per-parameter step size.",
            rule=(
                "m = beta1*m + (1 - beta1)*g          (first moment: mean of gradients)\n"
                "v = beta2*v + (1 - beta2)*g^2        (second moment: mean of squares)\n"
                "m_hat = m/(1 - beta1^t),  v_hat = v/(1 - beta2^t)   (bias correction)\n"
                "p = p - lr*m_hat/(sqrt(v_hat) + eps)"
            ),
            when=(
                "The common default for neural networks: each coordinate gets its own step size, so "
                "badly scaled problems need little tuning. Steps are roughly lr in size whatever the "
                "gradient's scale, which makes it robust but can keep it hopping near a minimum."
            ),
        ),
        OptimizerSpec(
            "adamw",
            "AdamW",
            (_lr(0.001), _betas(), _eps(1e-8), _wd(0.01), Hyper("amsgrad", False, kind="bool", help="use the largest v seen so far")),
            summary="Adam with weight decay applied to the weights, not mixed into the gradient.",
            rule="p = p*(1 - lr*weight_decay), then the Adam step on the plain gradient",
            when="Training networks with regularisation: decoupled decay behaves as intended under Adam's scaling.",
        ),
        OptimizerSpec(
            "nadam",
            "NAdam",
            (
                _lr(0.002),
                _betas(),
                _eps(1e-8),
                _wd(),
                Hyper("momentum_decay", 0.004, low=0.0, help="how fast the momentum schedule warms up"),
                Hyper("decoupled_weight_decay", False, kind="bool", help="apply weight decay as AdamW does"),
            ),
            summary="Adam with Nesterov momentum.",
            rule=(
                "mu_t = beta1*(1 - 0.5*0.96^(t*momentum_decay))\n"
                "the Adam step, with the first moment replaced by a Nesterov look-ahead mixing mu_(t+1)*m and (1 - mu_t)*g"
            ),
            when="Where Adam works but overshoots: the look-ahead often settles faster.",
        ),
        OptimizerSpec(
            "radam",
            "RAdam",
            (_lr(0.001), _betas(), _eps(1e-8), _wd(), Hyper("decoupled_weight_decay", False, kind="bool", help="apply weight decay as AdamW does")),
            summary="Rectified Adam: no warm-up needed.",
            rule=(
                "while the variance estimate is unreliable (early steps): p = p - lr*m_hat\n"
                "afterwards: the Adam step scaled by a rectification term r_t"
            ),
            when="Instead of Adam with a learning-rate warm-up: it is cautious for the first steps by itself.",
        ),
        OptimizerSpec(
            "adamax",
            "Adamax",
            (_lr(0.002), _betas(), _eps(1e-8), _wd()),
            summary="Adam with an infinity norm in place of the second moment.",
            rule="m = beta1*m + (1 - beta1)*g;  u = max(beta2*u, |g| + eps);  p = p - lr/(1 - beta1^t) * m/u",
            when="Where gradients are sparse or have rare large entries.",
        ),
        OptimizerSpec(
            "rmsprop",
            "RMSprop",
            (
                _lr(0.01),
                Hyper("alpha", 0.99, low=0.0, high=1.0, help="decay rate of the running mean of squared gradients"),
                _eps(1e-8),
                _wd(),
                Hyper("momentum", 0.0, low=0.0, high=1.0, help="momentum applied to the scaled step"),
                Hyper("centered", False, kind="bool", help="divide by the variance instead of the raw second moment"),
            ),
            summary="Divides each step by a running root-mean-square of recent gradients.",
            rule=(
                "v = alpha*v + (1 - alpha)*g^2     (centered: subtract the squared mean of g)\n"
                "momentum > 0:  b = momentum*b + g/(sqrt(v) + eps);  p = p - lr*b\n"
                "otherwise:     p = p - lr*g/(sqrt(v) + eps)"
            ),
            when="Non-stationary problems and recurrent networks; the ancestor of Adam without bias correction.",
        ),
        OptimizerSpec(
            "adagrad",
            "Adagrad",
            (
                _lr(0.01),
                Hyper("lr_decay", 0.0, low=0.0, help="shrinks lr as lr/(1 + (t-1)*lr_decay)"),
                _wd(),
                Hyper("initial_accumulator_value", 0.0, low=0.0, help="starting value of the sum of squares"),
                _eps(1e-10),
            ),
            summary="Step sizes shrink with the sum of all past squared gradients.",
            rule="s = s + g^2;  p = p - lr*g/(sqrt(s) + eps)",
            when="Sparse features (rare coordinates keep large steps); its steps only ever shrink, so long runs stall.",
        ),
        OptimizerSpec(
            "adadelta",
            "Adadelta",
            (
                Hyper("lr", 1.0, low=0.0, low_open=True, help="scales the computed update (1 in the paper)"),
                Hyper("rho", 0.9, low=0.0, high=1.0, help="decay rate of both running averages"),
                _eps(1e-6),
                _wd(),
            ),
            summary="Adagrad's fix: running averages, and a step with units of the parameters.",
            rule=(
                "v = rho*v + (1 - rho)*g^2\n"
                "d = sqrt(u + eps)/sqrt(v + eps) * g;  u = rho*u + (1 - rho)*d^2\n"
                "p = p - lr*d"
            ),
            when="When you would rather not choose a learning rate at all.",
        ),
        OptimizerSpec(
            "rprop",
            "Rprop",
            (
                _lr(0.01),
                Hyper("etas", (0.5, 1.2), kind="pair", low=0.0, low_open=True, help="(shrink, grow) factors of the step size"),
                Hyper("step_sizes", (1e-6, 50.0), kind="pair", low=0.0, help="(smallest, largest) step size"),
            ),
            summary="Uses only the sign of the gradient, with a step size per coordinate.",
            rule=(
                "same sign as last step: step = min(step*etas[1], max step)\n"
                "sign flipped:           step = max(step*etas[0], min step), and this step is skipped\n"
                "p = p - step*sign(g)   (the first step size is lr)"
            ),
            when="Full-batch problems; ignoring the gradient's size makes it immune to bad scaling.",
        ),
        OptimizerSpec(
            "asgd",
            "ASGD",
            (
                _lr(0.01),
                Hyper("lambd", 1e-4, low=0.0, help="decay term"),
                Hyper("alpha", 0.75, low=0.0, help="power of the learning-rate decay"),
                Hyper("t0", 1e6, low=0.0, help="the step from which iterates are averaged"),
                _wd(),
            ),
            summary="Averaged SGD: SGD with a decaying step that also keeps an average of its iterates.",
            rule="eta = lr/(1 + lambd*lr*t)^alpha;  p = p*(1 - lambd*eta) - eta*g;  average the p's after step t0",
            when="Convex problems with noisy gradients, where the average converges faster than the last iterate.",
        ),
        OptimizerSpec(
            "lbfgs",
            "LBFGS",
            (
                Hyper("lr", 1.0, low=0.0, low_open=True, help="scales each quasi-Newton step"),
                Hyper("max_iter", 20, kind="int", low=1, high=10_000, help="inner iterations per step"),
                Hyper("max_eval", None, kind="int", low=1, high=100_000, optional=True, help="most loss evaluations per step (none: max_iter*1.25)"),
                Hyper("tolerance_grad", 1e-7, low=0.0, help="stop when the gradient is this small"),
                Hyper("tolerance_change", 1e-9, low=0.0, help="stop when the loss or step changes less than this"),
                Hyper("history_size", 100, kind="int", low=1, high=10_000, help="how many past steps shape the curvature estimate"),
                Hyper("line_search_fn", None, kind="choice", choices=(None, "strong_wolfe"), optional=True, help="none or strong_wolfe"),
            ),
            summary="Limited-memory BFGS: a quasi-Newton method that estimates curvature from recent steps.",
            rule=(
                "d = -H*g, where H approximates the inverse Hessian from the last history_size steps\n"
                "p = p + lr*d (or a strong-Wolfe line search); up to max_iter such moves per step"
            ),
            when="Small, smooth, full-batch problems, where it needs far fewer steps than first-order methods.",
            needs_closure=True,
        ),
    )
}


def get_optimizer(name: str) -> OptimizerSpec:
    key = name.strip().lower()
    if key in OPTIMIZERS:
        return OPTIMIZERS[key]
    raise ConfigError("optimizer", f"unknown optimizer {name!r} ({closest(key, list(OPTIMIZERS))})")


def all_hyper_names() -> set[str]:
    return {h.name for spec in OPTIMIZERS.values() for h in spec.hyper}
