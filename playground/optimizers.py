"""The optimizer registry: the one place that knows each torch.optim optimizer's hyperparameters.

The CLI's flags, the TUI's fields, the scenario loader and the engine all read this table, so a
name, a default or a valid range is written once. Defaults equal torch's own (a test checks them
against the constructors' signatures). Nothing here imports torch until an optimizer is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from playground import limits
from playground.errors import ConfigError, closest


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter: torch's keyword name, its default and what values it may take.

    kind: "float", "int", "bool", "pair" (two floats, e.g. betas), "triple" (three, Muon's
    ns_coefficients) or "choice" (from `choices`).
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
    note: str = ""  # what the settings panel says under the field (a surprise worth seeing)
    first_optional: bool = False  # a pair whose first number may be None (Adafactor's eps)
    group: str = ""  # a partner optimizer's setting (Muon's AdamW on a network): the partner's name
    # the playground's, not a keyword of the class: which of a network's parameters the optimizer
    # takes (Muon's matrices); shown on a network only, and a change builds the optimizer anew
    takes: bool = False

    def bounds(self) -> str:
        lo = "" if self.low is None else f"{'>' if self.low_open else '>='} {self.low:g}"
        hi = "" if self.high is None else f"{'<' if self.high_open else '<='} {self.high:g}"
        return " and ".join(b for b in (lo, hi) if b)

    def describe_range(self) -> str:
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return " or ".join("none" if c is None else str(c) for c in self.choices)
        what = {"int": "a whole number", "pair": "two numbers", "triple": "three numbers", "float": "a number"}[self.kind]
        bounds = self.bounds()
        if not bounds:
            return what
        if self.kind in TUPLES:
            return f"{what}, each {bounds}" + (" (the first may be none)" if self.first_optional else "")
        return f"{what} {bounds}"

    def parse(self, text: str) -> Any:
        """A value typed by a person (flag, field, --param) -> a checked value, or ValueError."""
        raw = text.strip()
        if self.optional and (not raw or _is_none(raw)):
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
        if self.kind in TUPLES:
            size, typed, _ = TUPLES[self.kind]
            parts = [p for p in raw.strip("()[]").replace(";", ",").split(",") if p.strip()]
            if len(parts) != size:
                raise ValueError(f"{raw!r} is not {typed}")
            return self.check(tuple(None if self._none_at(i, p) else _number(p) for i, p in enumerate(parts)))
        if self.kind == "int":
            try:
                value = int(raw)
            except ValueError:
                raise ValueError(f"{raw!r} is not a whole number") from None
            return self.check(value)
        return self.check(_number(raw))

    def check(self, value: Any) -> Any:
        """A value from a file or code -> the same value, normalised, or ValueError saying why."""
        if self.optional and _is_none(value):
            return None  # TOML has no null: a file writes "none"
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{value!r} is not true or false")
            return value
        if self.kind == "choice":
            if value not in self.choices:
                raise ValueError(f"{value!r} is not one of {self.describe_range()}")
            return value
        if self.kind in TUPLES:
            size, _, what = TUPLES[self.kind]
            if not isinstance(value, (list, tuple)) or len(value) != size:
                raise ValueError(f"{value!r} is not {what}")
            return tuple(None if self._none_at(i, v) else self._in_range(_as_float(v)) for i, v in enumerate(value))
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ValueError(f"{value!r} is not a whole number")
            return int(self._in_range(value))
        return self._in_range(_as_float(value))

    def _none_at(self, i: int, value: Any) -> bool:
        """Is item `i` of a tuple the None that `first_optional` allows there ("none" in a file)?"""
        return i == 0 and self.first_optional and _is_none(value)

    def _in_range(self, v: float) -> float:
        try:
            finite = math.isfinite(v)
        except OverflowError:  # a whole number beyond any float: 1 and 400 zeros
            raise ValueError(f"a number this large is out of range: it must be {self.bounds()}") from None
        if not finite:
            raise ValueError(f"{v} is not a finite number")
        too_low = self.low is not None and (v <= self.low if self.low_open else v < self.low)
        too_high = self.high is not None and (v >= self.high if self.high_open else v > self.high)
        if too_low or too_high:
            raise ValueError(f"{v:g} is out of range: it must be {self.bounds()}")
        return v


# the kinds that hold a tuple of numbers: (size, what a typed value should be, what a value should be)
TUPLES = {
    "pair": (2, "two numbers such as 0.9,0.999", "a pair of numbers"),
    "triple": (3, "three numbers such as 3.4445,-4.775,2.0315", "three numbers"),
}


def _is_none(value: Any) -> bool:
    """None, or how a person or a TOML file (which has no null) writes it."""
    return value is None or (isinstance(value, str) and value.strip().lower() in ("none", "null"))


def _number(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"{limits.quote(text.strip())} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{limits.quote(text.strip())} is not a finite number")
    return value


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{value!r} is not a number")
    try:
        value = float(value)
    except OverflowError:
        raise ValueError("a number this large is not a finite number") from None
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
    per_coordinate: bool = True  # False where a step mixes coordinates (LBFGS, Adafactor)
    matrix_only: bool = False  # takes 2-D parameters only (Muon): a surface's point is one 1×2 matrix
    # on a network, the optimizer of the parameters this one does not take (Muon: AdamW for the
    # biases and the first and last layers); its settings are in `hyper` as PARTNER_NAME
    partner: str = ""
    library: str = "torch.optim"  # the module whose class it is (playground.zoo: pytorch_optimizer)
    train_eval: bool = False  # needs optimizer.train() to step and .eval() to evaluate (Schedule-Free)
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

    def own(self, hyper: dict[str, Any]) -> dict[str, Any]:
        """This optimizer's own settings of `hyper`, under torch's names (no partner's, and not
        which parameters it takes: the keywords of its class)."""
        mine = {h.name for h in self.hyper if not h.group and not h.takes}
        return {k: v for k, v in hyper.items() if k in mine}

    def partners(self, hyper: dict[str, Any]) -> dict[str, Any]:
        """The partner's settings of `hyper`, under the partner's own torch names (lr, betas, ...)."""
        prefix = f"{self.partner}_"
        theirs = {h.name for h in self.hyper if h.group}
        return {k.removeprefix(prefix): v for k, v in hyper.items() if k in theirs}

    def shown(self, surface: bool) -> tuple[Hyper, ...]:
        """The settings that apply: a partner's, and which parameters it takes, only on a network."""
        return tuple(h for h in self.hyper if not (surface and (h.group or h.takes)))

    @property
    def zoo(self) -> bool:
        return self.library != "torch.optim"

    @property
    def label(self) -> str:
        """Its name in a picker: the class, and the zoo's marked as pytorch-optimizer's (and as
        needing the extra while it is not installed)."""
        if not self.zoo:
            return self.torch_name
        return f"{self.torch_name} (pytorch-optimizer)" if self.available() else f"{self.torch_name} (needs the zoo extra)"

    def available(self) -> bool:
        """Whether its library is installed (torch's always is)."""
        import importlib.util

        return not self.zoo or importlib.util.find_spec(self.library) is not None

    def require(self) -> None:
        """ConfigError saying how to install the library when it is missing."""
        if not self.available():
            from playground.zoo import install_command

            raise ConfigError("optimizer", f"{self.name} ({self.torch_name}) comes from the pytorch-optimizer package, which is not installed: {install_command()}")

    def optimizer_class(self) -> Any:
        import importlib

        return getattr(importlib.import_module(self.library), self.torch_name)

    def build(self, params: Any, hyper: dict[str, Any]) -> Any:
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in self.own(hyper).items()}
        if self.foreach:
            kwargs["foreach"] = True
        optimizer = self.optimizer_class()(params, **kwargs)
        if self.train_eval:
            optimizer.train()  # steps are taken in train mode; evaluation switches to eval
        return optimizer

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
RPROP_LR = "Rprop reads lr only for its first step"
MUON_MATRICES = (
    "which weight matrices Muon takes on a network (AdamW the rest): hidden, those between hidden "
    "layers; all, the first and the last layer's too; none: hidden where the network has such a "
    "matrix, else all (one hidden layer: torch's documentation's own example)"
)
WD = "L2 penalty: weight_decay·p is added to the gradient before anything else"
DECOUPLED_WD = "decoupled weight decay: p = p·(1 − lr·weight_decay) before the step; the gradient is untouched"
DECOUPLED_FLAG = "true: decay the weights as AdamW does (p = p·(1 − lr·weight_decay)) instead of adding weight_decay·p to g"
EPS = "added to the denominator so it never divides by zero"
BETAS = "(β1, β2): decay rates of the running means m of g and v of g²"
AMSGRAD = "divide by the largest v seen so far (v_max): the denominator never shrinks, though a step still grows back when m grows"


def _lr(default: float, help: str = LR) -> Hyper:  # noqa: A002
    return Hyper("lr", default, low=0.0, low_open=True, help=help)


def _wd(default: float = 0.0, help: str = WD) -> Hyper:  # noqa: A002
    return Hyper("weight_decay", default, low=0.0, help=help)


def _eps(default: float, help: str = EPS) -> Hyper:  # noqa: A002
    return Hyper("eps", default, low=0.0, help=help)


def _betas() -> Hyper:
    return Hyper("betas", (0.9, 0.999), kind="pair", low=0.0, high=1.0, high_open=True, help=BETAS)


# The rules use one notation on every screen (the explanation, the inside-the-optimizer panel, the
# README): p a parameter, g its gradient, t the step count from 1, b the momentum buffer, m the mean
# of g, v the mean of g², s Adagrad's sum of g², u the other running quantity (Adamax's maximum,
# Adadelta's mean of squared updates); torch's state names stand beside them.
OPTIMIZERS: dict[str, OptimizerSpec] = {
    spec.name: spec
    for spec in (
        OptimizerSpec(
            "sgd",
            "SGD",
            (
                _lr(0.001),
                Hyper("momentum", 0.0, low=0.0, high=1.0, help="how much of the buffer b carries into the next step"),
                Hyper("dampening", 0.0, low=0.0, high=1.0, help="shrinks the new gradient's share of b: (1 − dampening)·g"),
                _wd(),
                Hyper("nesterov", False, kind="bool", help="step with g + momentum·b instead of b (Sutskever's form of Nesterov)"),
            ),
            summary="Gradient descent, optionally with (Nesterov) momentum.",
            rule=(
                "g = grad + weight_decay·p\n"
                "momentum > 0:\n"
                "  b = g on the first step,\n"
                "  then b = momentum·b + (1 − dampening)·g      (momentum_buffer)\n"
                "  g = g + momentum·b if nesterov, else g = b\n"
                "p = p − lr·g"
            ),
            when=(
                "Plain SGD is the baseline every other method is measured against. Momentum speeds it "
                "along shallow valleys and damps zig-zags across steep ones. Nesterov in torch takes the "
                "gradient at the current parameters and steps with g + momentum·b: Sutskever's "
                "reformulation, in which the stored parameters are the look-ahead point. It overshoots "
                "less. Well-tuned SGD with momentum still trains many vision models."
            ),
            foreach=True,
        ),
        OptimizerSpec(
            "adam",
            "Adam",
            (_lr(0.001), _betas(), _eps(1e-8), _wd(), Hyper("amsgrad", False, kind="bool", help=AMSGRAD)),
            summary="Adaptive moments: momentum plus a per-parameter step size.",
            rule=(
                "g = grad + weight_decay·p\n"
                "m = β1·m + (1 − β1)·g          (exp_avg: mean of g)\n"
                "v = β2·v + (1 − β2)·g²         (exp_avg_sq: mean of g²)\n"
                "m̂ = m/(1 − β1^t),  v̂ = v/(1 − β2^t)   (bias correction)\n"
                "p = p − lr·m̂/(√v̂ + eps)"
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
            (_lr(0.001), _betas(), _eps(1e-8), _wd(0.01, DECOUPLED_WD), Hyper("amsgrad", False, kind="bool", help=AMSGRAD)),
            summary="Adam with weight decay applied to the weights, not mixed into the gradient.",
            rule=(
                "p = p·(1 − lr·weight_decay)     (decoupled: g is untouched)\n"
                "g = grad\n"
                "m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²\n"
                "m̂ = m/(1 − β1^t),  v̂ = v/(1 − β2^t)\n"
                "p = p − lr·m̂/(√v̂ + eps)"
            ),
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
                Hyper("momentum_decay", 0.004, low=0.0, help="how fast μ_t warms up towards β1"),
                Hyper("decoupled_weight_decay", False, kind="bool", help=DECOUPLED_FLAG),
            ),
            summary="Adam with Nesterov momentum.",
            rule=(
                "g = grad + weight_decay·p   (decoupled: p = p·(1 − lr·wd))\n"
                "μ_t = β1·(1 − 0.5·0.96^(t·momentum_decay))\n"
                "Π_t = μ_1·μ_2·…·μ_t                  (mu_product)\n"
                "m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²\n"
                "v̂ = v/(1 − β2^t)\n"
                "p = p − lr·(1 − μ_t)/(1 − Π_t)·g/(√v̂ + eps)\n"
                "      − lr·μ_(t+1)/(1 − Π_t·μ_(t+1))·m/(√v̂ + eps)"
            ),
            when=(
                "Where Adam works but overshoots: the look-ahead often settles faster. Its bias "
                "corrections use the products of μ (1 − Π), not 1 − β1^t."
            ),
        ),
        OptimizerSpec(
            "radam",
            "RAdam",
            (_lr(0.001), _betas(), _eps(1e-8), _wd(), Hyper("decoupled_weight_decay", False, kind="bool", help=DECOUPLED_FLAG)),
            summary="Rectified Adam: Adam that skips the division by √v̂ while v̂ is unreliable.",
            rule=(
                "g = grad + weight_decay·p   (decoupled: p = p·(1 − lr·wd))\n"
                "m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²\n"
                "m̂ = m/(1 − β1^t)\n"
                "ρ∞ = 2/(1 − β2) − 1;  ρ_t = ρ∞ − 2t·β2^t/(1 − β2^t)\n"
                "ρ_t > 5:  r_t = √((ρ_t−4)(ρ_t−2)ρ∞/((ρ∞−4)(ρ∞−2)ρ_t))\n"
                "          p = p − lr·r_t·m̂·√(1 − β2^t)/(√v + eps)\n"
                "ρ_t ≤ 5:  p = p − lr·m̂     (not normalised)"
            ),
            when=(
                "Instead of Adam with a learning-rate warm-up. It is not cautious at first: while "
                "ρ_t ≤ 5 (the first 5 steps at β2 = 0.999) it steps lr·m̂ without normalising, so "
                "the step grows with the gradient (g = 500, lr = 0.001: a first step of 0.5, where "
                "Adam's is 0.001). From ρ_t > 5 on it is Adam scaled by r_t < 1."
            ),
        ),
        OptimizerSpec(
            "adamax",
            "Adamax",
            (
                _lr(0.002),
                Hyper("betas", (0.9, 0.999), kind="pair", low=0.0, high=1.0, high_open=True, help="(β1, β2): decay rates of m, the running mean of g, and of u, the decayed maximum of |g|"),
                _eps(1e-8, "added to |g| before the maximum, so u is never 0"),
                _wd(),
            ),
            summary="Adam with a decayed maximum of |g| in place of the second moment.",
            rule=(
                "g = grad + weight_decay·p\n"
                "m = β1·m + (1 − β1)·g           (exp_avg)\n"
                "u = max(β2·u, |g| + eps)        (exp_inf: decayed max of |g|)\n"
                "p = p − lr/(1 − β1^t)·m/u"
            ),
            when="Where gradients are sparse or have rare large entries.",
        ),
        OptimizerSpec(
            "rmsprop",
            "RMSprop",
            (
                _lr(0.01),
                Hyper("alpha", 0.99, low=0.0, high=1.0, help="decay rate of v, the running mean of g²"),
                _eps(1e-8),
                _wd(),
                Hyper("momentum", 0.0, low=0.0, high=1.0, help="momentum of the buffer b of scaled steps"),
                Hyper("centered", False, kind="bool", help="divide by a standard deviation √(v − ḡ²) instead of √v"),
            ),
            summary="Divides each step by a running root-mean-square of recent gradients.",
            rule=(
                "g = grad + weight_decay·p\n"
                "v = α·v + (1 − α)·g²               (square_avg)\n"
                "centered: ḡ = α·ḡ + (1 − α)·g      (grad_avg)\n"
                "          d = √(v − ḡ²) + eps\n"
                "otherwise: d = √v + eps\n"
                "momentum > 0: b = momentum·b + g/d;  p = p − lr·b\n"
                "otherwise:    p = p − lr·g/d"
            ),
            when="Non-stationary problems and recurrent networks; the ancestor of Adam without bias correction.",
        ),
        OptimizerSpec(
            "adagrad",
            "Adagrad",
            (
                _lr(0.01),
                Hyper("lr_decay", 0.0, low=0.0, help="shrinks lr as lr/(1 + (t − 1)·lr_decay)"),
                _wd(),
                Hyper("initial_accumulator_value", 0.0, low=0.0, help="s₀: the starting value of s"),
                _eps(1e-10),
            ),
            summary="Each coordinate's rate shrinks with the sum of its past squared gradients.",
            rule=(
                "g = grad + weight_decay·p\n"
                "clr = lr/(1 + (t − 1)·lr_decay)\n"
                "s = s + g²       (sum; s starts at initial_accumulator_value)\n"
                "p = p − clr·g/(√s + eps)"
            ),
            when=(
                "Sparse features (rare coordinates keep large rates). What only shrinks is each "
                "coordinate's rate clr/(√s + eps), not the step, which also scales with g; long runs "
                "still slow down as s grows."
            ),
        ),
        OptimizerSpec(
            "adadelta",
            "Adadelta",
            (
                _lr(1.0, "scales the computed update d (1 in the paper)"),
                Hyper("rho", 0.9, low=0.0, high=1.0, help="decay rate of both running means, v and u"),
                _eps(1e-6, "inside both square roots; in √(u + eps), with u = 0 at first, it sets the first steps' size"),
                _wd(),
            ),
            summary="Adagrad's fix: running means, and a step with the units of the parameters.",
            rule=(
                "g = grad + weight_decay·p\n"
                "v = ρ·v + (1 − ρ)·g²              (square_avg)\n"
                "d = √(u + eps)/√(v + eps)·g\n"
                "u = ρ·u + (1 − ρ)·d²              (acc_delta, starts at 0)\n"
                "p = p − lr·d"
            ),
            when=(
                "When you would rather not choose a learning rate, with a caveat: eps sits in the "
                "numerator too, and since u starts at 0 the first steps are about "
                "lr·√eps/√(1 − ρ) per coordinate (0.0032 at eps = 1e-6, 0.032 at 1e-4): eps acts as "
                "a hidden learning rate."
            ),
        ),
        OptimizerSpec(
            "rprop",
            "Rprop",
            (
                Hyper(
                    "lr",
                    0.01,
                    low=0.0,
                    low_open=True,
                    help="only the first step size (state step_size, clamped to step_sizes); later changes to lr change nothing",
                    note=f"{RPROP_LR}: a change after step 1 does nothing",
                ),
                Hyper("etas", (0.5, 1.2), kind="pair", low=0.0, low_open=True, help="(shrink, grow) factors of the step size"),
                Hyper("step_sizes", (1e-6, 50.0), kind="pair", low=0.0, help="(smallest, largest) step size"),
            ),
            summary="Uses only the sign of the gradient, with a step size per coordinate.",
            rule=(
                "first step: s = lr, clamped to step_sizes   (step_size)\n"
                "g·g_prev > 0:  s = min(s·etas[1], step_sizes[1])\n"
                "g·g_prev < 0:  s = max(s·etas[0], step_sizes[0]); g = 0\n"
                "               (no move now, and g_prev becomes 0)\n"
                "g·g_prev = 0:  s unchanged\n"
                "p = p − s·sign(g);  g_prev = g              (prev)"
            ),
            when=(
                "Full-batch problems; ignoring the gradient's size makes it immune to bad scaling. "
                "lr matters once: it is the first step size, and a change of lr or a schedule later "
                "has no effect."
            ),
        ),
        OptimizerSpec(
            "asgd",
            "ASGD",
            (
                _lr(0.01),
                Hyper("lambd", 1e-4, low=0.0, help="decay term"),
                Hyper("alpha", 0.75, low=0.0, help="power of the step size's decay"),
                Hyper("t0", 1e6, low=0.0, help="when averaging starts: ax follows p until step t0 + 2 and averages from step t0 + 3"),
                _wd(),
            ),
            summary="Averaged SGD: SGD with a decaying step that also keeps an average of its iterates.",
            rule=(
                "η_t = lr/(1 + lambd·lr·(t − 1))^alpha   (eta)\n"
                "μ_t = 1/max(1, t − 1 − t0)              (mu)\n"
                "g = grad + weight_decay·p\n"
                "p = p·(1 − lambd·η_t) − η_t·g\n"
                "ax = ax + μ_t·(p − ax)     (ax: the average; = p\n"
                "                            while μ_t = 1)"
            ),
            when=(
                "Convex problems with noisy gradients, where the average converges faster than the "
                "last iterate. The average lives in the optimizer's state (ax) and is never written "
                "to the parameters, which are what the path and the loss show. It follows p until "
                "step t0 + 2 and averages from step t0 + 3 on: with the default t0 = 1e6, never "
                "within any bundled budget. Once it averages, ◇ marks it on a surface's map and the "
                "loss curve draws its loss (a line of its own, named under the curve) from a vertical line at that step."
            ),
        ),
        OptimizerSpec(
            "lbfgs",
            "LBFGS",
            (
                Hyper("lr", 1.0, low=0.0, low_open=True, help="scales each quasi-Newton move"),
                Hyper("max_iter", 20, kind="int", low=1, high=10_000, help="iterations within one step()"),
                Hyper("max_eval", None, kind="int", low=1, high=100_000, optional=True, help="most loss evaluations within one step() (none: max_iter·1.25)"),
                Hyper("tolerance_grad", 1e-7, low=0.0, help="stop when max |g_i| is at most this"),
                Hyper("tolerance_change", 1e-9, low=0.0, help="stop when the loss or the move changes less than this"),
                Hyper("history_size", 100, kind="int", low=1, high=10_000, help="how many past moves shape the curvature estimate"),
                Hyper("line_search_fn", None, kind="choice", choices=(None, "strong_wolfe"), optional=True, help="none or strong_wolfe"),
            ),
            summary="Limited-memory BFGS: a quasi-Newton method that estimates curvature from recent moves.",
            rule=(
                "d = −H·g: H approximates the inverse Hessian from the\n"
                "  last history_size moves (the two-loop recursion over\n"
                "  the whole gradient: it mixes coordinates)\n"
                "first move: p = p + min(1, 1/‖g‖₁)·lr·d\n"
                "then:       p = p + lr·d   (or a strong-Wolfe line search)\n"
                "one step() runs up to max_iter moves and max_eval\n"
                "  evaluations of the loss"
            ),
            when=(
                "Small, smooth, full-batch problems, where it needs far fewer steps than first-order "
                "methods. One step() is many evaluations of the loss and its gradient, so comparing "
                "it step for step with the others flatters it."
            ),
            needs_closure=True,
            per_coordinate=False,
        ),
        OptimizerSpec(
            "adafactor",
            "Adafactor",
            (
                _lr(0.01, "the relative step ρ_t = min(lr, 1/√t): a step's RMS is at most d·ρ_t·max(eps2, RMS(p)), so lr caps it only with d ≤ 1"),
                Hyper("beta2_decay", -0.8, high=0.0, help="how fast v forgets: β2_t = 1 − t^beta2_decay (0 at t = 1, so v = g²; then rising towards 1)"),
                Hyper(
                    "eps",
                    (None, 1e-3),
                    kind="pair",
                    low=0.0,
                    first_optional=True,
                    help="(eps1, eps2): eps1² floors v and eps1 the mean of r a matrix's v divides by (none: the dtype's machine epsilon); eps2 floors RMS(p) in the step size",
                ),
                Hyper("d", 1.0, low=1.0, help="clipping threshold: the update's RMS is held to at most d"),
                _wd(0.0, DECOUPLED_WD),
            ),
            summary="A memory-light Adam without momentum: a step relative to the parameters' size, and a factored second moment for matrices.",
            rule=(
                "ρ_t = min(lr, 1/√t);  α_t = max(eps2, RMS(p))·ρ_t\n"
                "p = p·(1 − lr·weight_decay)\n"
                "β2_t = 1 − t^beta2_decay   (0 at t = 1: v = g²)\n"
                "vector p:  v = β2_t·v + (1 − β2_t)·g²           (variance)\n"
                "matrix p:  r = β2_t·r + (1 − β2_t)·mean of g² per row    (row_var)\n"
                "           c = β2_t·c + (1 − β2_t)·mean of g² per column (col_var)\n"
                "           v = r·c / max(mean of r, eps1)\n"
                "u = g/√max(v, eps1²)\n"
                "p = p − α_t/max(1, RMS(u)/d)·u"
            ),
            when=(
                "Large models where Adam's second moment per weight costs too much memory: a matrix "
                "keeps a mean per row and per column instead. It has no momentum, and its step is "
                "relative: lr caps ρ_t, which the step multiplies by the parameters' RMS (at least "
                "eps2), so a parameter near 0 moves by about eps2·ρ_t and a large one by far more; since "
                "ρ_t is at most 1/√t, an lr above 1 is the same as 1 (with weight_decay 0). "
                "The update u is clipped to an RMS of d, and on a surface the point is one vector, "
                "so the whole step is scaled together: it mixes the coordinates through RMS(p) and "
                "RMS(u). Weight decay is decoupled, as in AdamW."
            ),
            per_coordinate=False,
        ),
        OptimizerSpec(
            "muon",
            "Muon",
            (
                _lr(0.001, "the step's length scale: each step moves an orthogonalised matrix by about lr (times the shape's factor)"),
                _wd(0.1, DECOUPLED_WD),
                Hyper("momentum", 0.95, low=0.0, high=1.0, help="how much of the buffer b carries into the next step"),
                Hyper("nesterov", True, kind="bool", help="orthogonalise (1 − momentum)·g + momentum·b instead of b"),
                Hyper("ns_coefficients", (3.4445, -4.775, 2.0315), kind="triple", help="(a, b, c) of the Newton–Schulz step X = a·X + (b·A + c·A²)·X, A = X·Xᵀ"),
                _eps(1e-7, "a floor on the norm that scales the update before Newton–Schulz: u/max(‖u‖, eps)"),
                Hyper("ns_steps", 5, kind="int", low=1, high=99, help="Newton–Schulz iterations (torch allows fewer than 100)"),
                Hyper(
                    "adjust_lr_fn",
                    None,
                    kind="choice",
                    choices=(None, "original", "match_rms_adamw"),
                    optional=True,
                    help="the rate for a matrix of shape A×B: none or original lr·√max(1, A/B); match_rms_adamw 0.2·lr·√max(A, B)",
                ),
                Hyper(
                    "matrices",
                    None,
                    kind="choice",
                    choices=(None, "hidden", "all"),
                    optional=True,
                    takes=True,
                    help=MUON_MATRICES,
                ),
            ),
            summary="Momentum whose update is orthogonalised: every direction of a weight matrix moves by about the same amount.",
            rule=(
                "b = momentum·b + (1 − momentum)·g         (momentum_buffer)\n"
                "u = (1 − momentum)·g + momentum·b if nesterov, else b\n"
                "O = Newton–Schulz(u/max(‖u‖, eps)), ns_steps times in bfloat16:\n"
                "    about U·Vᵀ of u = U·S·Vᵀ (singular values about 0.68 to 1.13)\n"
                "p = p·(1 − lr·weight_decay)\n"
                "p = p − lr·√max(1, A/B)·O     (p an A×B matrix)"
            ),
            when=(
                "Hidden layers' weight matrices, where it trains faster than AdamW for the same "
                "compute; on a network the playground gives the rest (the biases, the first and the last "
                "layer) to AdamW, whose settings are the adamw_ ones: Keller Jordan's advice for Muon "
                "(torch's own example gives Muon every 2-D parameter). A network with one hidden layer "
                "has no matrix between hidden layers: there Muon takes every weight matrix, the first "
                "and the last layer's too, as torch's documentation's example does (the setting "
                "matrices: hidden or all). It takes only 2-D parameters: on a "
                "surface the point (x, y) is one 1×2 matrix, whose only singular direction is the "
                "momentum's own, so a step keeps the momentum's direction and throws away its size: "
                "every step is about 0.68·lr long (five Newton–Schulz steps leave the singular value "
                "near 0.68, not 1), whether the gradient is 500 or 0.0001. Weight decay is decoupled, "
                "as in AdamW, and on by default (0.1)."
            ),
            per_coordinate=False,
            matrix_only=True,
            partner="adamw",
        ),
    )
}


def muon_matrices(hidden_layers: int) -> str:
    """Which weight matrices Muon takes on an MLP with that many hidden layers, unless set: those
    between hidden layers, or every one where there is none (one hidden layer)."""
    return "hidden" if hidden_layers >= 2 else "all"


def _partner_settings(spec: OptimizerSpec) -> tuple[Hyper, ...]:
    """The partner's hyperparameters as `spec`'s own, named PARTNER_NAME: its defaults and ranges."""
    partner = OPTIMIZERS[spec.partner]
    return tuple(
        replace(h, name=f"{partner.name}_{h.name}", group=partner.name, help=f"{partner.torch_name} on what {spec.torch_name} does not take (the biases; the first and the last layer unless matrices = all): {h.help}")
        for h in partner.hyper
    )


for _spec in list(OPTIMIZERS.values()):
    if _spec.partner:
        OPTIMIZERS[_spec.name] = replace(_spec, hyper=_spec.hyper + _partner_settings(_spec))

from playground import zoo  # noqa: E402  (it builds its entries with the classes above)

OPTIMIZERS.update({spec.name: spec for spec in zoo.specs(Hyper, OptimizerSpec)})


def get_optimizer(name: str) -> OptimizerSpec:
    key = name.strip().lower()
    if key in OPTIMIZERS:
        return OPTIMIZERS[key]
    raise ConfigError("optimizer", f"unknown optimizer {name!r} ({closest(key, list(OPTIMIZERS))})")


def offered() -> list[OptimizerSpec]:
    """The optimizers a picker offers: torch's, then the zoo's, installed or not (a label says
    which; picking one that is not says how to install it)."""
    return list(OPTIMIZERS.values())


def all_hyper_names() -> set[str]:
    return {h.name for spec in OPTIMIZERS.values() for h in spec.hyper}
