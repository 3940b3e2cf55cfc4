"""The optimizer registry: the one place that knows each torch.optim optimizer's hyperparameters.

The CLI's flags, the TUI's fields, the scenario loader and the engine all read this table, so a
name, a default or a valid range is written once. Defaults equal torch's own (a test checks them
against the constructors' signatures). Nothing here imports torch until an optimizer is built.
"""

from __future__ import annotations

from dataclasses import replace

from playground import zoo
from playground.errors import ConfigError, closest
from playground.fields import Field
from playground.optimizer_spec import OptimizerSpec


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


def _lr(default: float, help: str = LR) -> Field:  # noqa: A002
    return Field("lr", default, low=0.0, low_open=True, help=help)


def _wd(default: float = 0.0, help: str = WD) -> Field:  # noqa: A002
    return Field("weight_decay", default, low=0.0, help=help)


def _eps(default: float, help: str = EPS) -> Field:  # noqa: A002
    return Field("eps", default, low=0.0, help=help)


def _betas() -> Field:
    return Field("betas", (0.9, 0.999), kind="pair", low=0.0, high=1.0, high_open=True, help=BETAS)


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
                Field("momentum", 0.0, low=0.0, high=1.0, help="how much of the buffer b carries into the next step"),
                Field("dampening", 0.0, low=0.0, high=1.0, help="shrinks the new gradient's share of b: (1 − dampening)·g"),
                _wd(),
                Field("nesterov", False, kind="bool", help="step with g + momentum·b instead of b (Sutskever's form of Nesterov)"),
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
            (_lr(0.001), _betas(), _eps(1e-8), _wd(), Field("amsgrad", False, kind="bool", help=AMSGRAD)),
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
            (_lr(0.001), _betas(), _eps(1e-8), _wd(0.01, DECOUPLED_WD), Field("amsgrad", False, kind="bool", help=AMSGRAD)),
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
                Field("momentum_decay", 0.004, low=0.0, help="how fast μ_t warms up towards β1"),
                Field("decoupled_weight_decay", False, kind="bool", help=DECOUPLED_FLAG),
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
            (_lr(0.001), _betas(), _eps(1e-8), _wd(), Field("decoupled_weight_decay", False, kind="bool", help=DECOUPLED_FLAG)),
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
                Field("betas", (0.9, 0.999), kind="pair", low=0.0, high=1.0, high_open=True, help="(β1, β2): decay rates of m, the running mean of g, and of u, the decayed maximum of |g|"),
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
                Field("alpha", 0.99, low=0.0, high=1.0, help="decay rate of v, the running mean of g²"),
                _eps(1e-8),
                _wd(),
                Field("momentum", 0.0, low=0.0, high=1.0, help="momentum of the buffer b of scaled steps"),
                Field("centered", False, kind="bool", help="divide by a standard deviation √(v − ḡ²) instead of √v"),
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
                Field("lr_decay", 0.0, low=0.0, help="shrinks lr as lr/(1 + (t − 1)·lr_decay)"),
                _wd(),
                Field("initial_accumulator_value", 0.0, low=0.0, help="s₀: the starting value of s"),
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
                Field("rho", 0.9, low=0.0, high=1.0, help="decay rate of both running means, v and u"),
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
                Field(
                    "lr",
                    0.01,
                    low=0.0,
                    low_open=True,
                    help="only the first step size (state step_size, clamped to step_sizes); later changes to lr change nothing",
                    note=f"{RPROP_LR}: a change after step 1 does nothing",
                ),
                Field("etas", (0.5, 1.2), kind="pair", low=0.0, low_open=True, help="(shrink, grow) factors of the step size"),
                Field("step_sizes", (1e-6, 50.0), kind="pair", low=0.0, help="(smallest, largest) step size"),
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
                Field("lambd", 1e-4, low=0.0, help="decay term"),
                Field("alpha", 0.75, low=0.0, help="power of the step size's decay"),
                Field("t0", 1e6, low=0.0, help="when averaging starts: ax follows p until step t0 + 2 and averages from step t0 + 3"),
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
                Field("lr", 1.0, low=0.0, low_open=True, help="scales each quasi-Newton move"),
                Field("max_iter", 20, kind="int", low=1, high=10_000, help="iterations within one step()"),
                Field("max_eval", None, kind="int", low=1, high=100_000, optional=True, help="most loss evaluations within one step() (none: max_iter·1.25)"),
                Field("tolerance_grad", 1e-7, low=0.0, help="stop when max |g_i| is at most this"),
                Field("tolerance_change", 1e-9, low=0.0, help="stop when the loss or the move changes less than this"),
                Field("history_size", 100, kind="int", low=1, high=10_000, help="how many past moves shape the curvature estimate"),
                Field("line_search_fn", None, kind="choice", choices=(None, "strong_wolfe"), optional=True, help="none or strong_wolfe"),
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
                Field("beta2_decay", -0.8, high=0.0, help="how fast v forgets: β2_t = 1 − t^beta2_decay (0 at t = 1, so v = g²; then rising towards 1)"),
                Field(
                    "eps",
                    (None, 1e-3),
                    kind="pair",
                    low=0.0,
                    first_optional=True,
                    help="(eps1, eps2): eps1² floors v and eps1 the mean of r a matrix's v divides by (none: the dtype's machine epsilon); eps2 floors RMS(p) in the step size",
                ),
                Field("d", 1.0, low=1.0, help="clipping threshold: the update's RMS is held to at most d"),
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
                Field("momentum", 0.95, low=0.0, high=1.0, help="how much of the buffer b carries into the next step"),
                Field("nesterov", True, kind="bool", help="orthogonalise (1 − momentum)·g + momentum·b instead of b"),
                Field("ns_coefficients", (3.4445, -4.775, 2.0315), kind="triple", help="(a, b, c) of the Newton–Schulz step X = a·X + (b·A + c·A²)·X, A = X·Xᵀ"),
                _eps(1e-7, "a floor on the norm that scales the update before Newton–Schulz: u/max(‖u‖, eps)"),
                Field("ns_steps", 5, kind="int", low=1, high=99, help="Newton–Schulz iterations (torch allows fewer than 100)"),
                Field(
                    "adjust_lr_fn",
                    None,
                    kind="choice",
                    choices=(None, "original", "match_rms_adamw"),
                    optional=True,
                    help="the rate for a matrix of shape A×B: none or original lr·√max(1, A/B); match_rms_adamw 0.2·lr·√max(A, B)",
                ),
                Field(
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


def _partner_settings(spec: OptimizerSpec) -> tuple[Field, ...]:
    """The partner's hyperparameters as `spec`'s own, named PARTNER_NAME: its defaults and ranges."""
    partner = OPTIMIZERS[spec.partner]
    return tuple(
        replace(h, name=f"{partner.name}_{h.name}", group=partner.name, help=f"{partner.torch_name} on what {spec.torch_name} does not take (the biases; the first and the last layer unless matrices = all): {h.help}")
        for h in partner.hyper
    )


for _spec in list(OPTIMIZERS.values()):
    if _spec.partner:
        OPTIMIZERS[_spec.name] = replace(_spec, hyper=_spec.hyper + _partner_settings(_spec))


OPTIMIZERS.update({spec.name: spec for spec in zoo.specs()})


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
