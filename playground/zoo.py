"""The optimizer zoo: optimizers from the `pytorch-optimizer` package (the `zoo` extra,
`pip install 'playground[zoo]'`), in the same registry as torch's, under the package's own
keyword names, defaults and checks (a test compares them with its constructors).

Each keeps the package's default for what the playground does not offer: `maximize` and
`foreach` (as for torch's), ADOPT's `clip_lambda` (a function: step^0.25), Prodigy's
`growth_rate` (no limit) and SOAP's `data_format` (for images). Nothing here imports the package.
"""

from __future__ import annotations

from playground.fields import Field
from playground.install import install_command  # noqa: F401  (the zoo's own, where people look for it)
from playground.optimizer_spec import OptimizerSpec

LIBRARY = "pytorch_optimizer"  # the module; the package on PyPI is pytorch-optimizer


def specs() -> tuple[OptimizerSpec, ...]:
    """The zoo's entries (the registry, optimizers.py, adds them to torch's)."""
    H = Field  # noqa: N806
    spec = OptimizerSpec

    def lr(default: float, help: str = "learning rate: how far each update moves") -> Field:  # noqa: A002
        return H("lr", default, low=0.0, help=help)

    def betas(default: tuple[float, ...], help: str) -> Field:  # noqa: A002
        return H("betas", default, kind="pair" if len(default) == 2 else "triple", low=0.0, high=1.0, high_open=True, help=help)

    def wd(default: float = 0.0) -> Field:
        return H("weight_decay", default, low=0.0, help="weight decay: decoupled (p = p·(1 − lr·weight_decay)) or added to g, as weight_decouple says")

    def decouple(default: bool) -> tuple[Field, Field]:
        return (
            H("weight_decouple", default, kind="bool", help="true: p = p·(1 − lr·weight_decay) before the step (AdamW's way); false: weight_decay·p is added to g"),
            H("fixed_decay", False, kind="bool", help="true: decoupled decay without lr, p = p·(1 − weight_decay)"),
        )

    def eps(default: float, optional: bool = False) -> Field:
        return H("eps", default, low=0.0, optional=optional, help="added to the denominator so it never divides by zero")

    zoo = dict(library=LIBRARY)
    return (
        spec(
            "lion",
            "Lion",
            (lr(1e-4), betas((0.9, 0.99), "(β1, β2): β1 mixes m and g for the step's sign; β2 is m's own decay"), wd(), *decouple(True)),
            summary="Sign descent with momentum, found by a program search: every coordinate moves by exactly lr.",
            rule=(
                "p = p·(1 − lr·weight_decay)             (weight_decouple)\n"
                "u = sign(β1·m + (1 − β1)·g)\n"
                "m = β2·m + (1 − β2)·g                   (exp_avg)\n"
                "p = p − lr·u"
            ),
            when=(
                "Large models where Adam's second moment costs memory: Lion keeps one buffer. Its steps "
                "are ±lr in every coordinate, whatever the gradient's size, so its lr is 3 to 10 times "
                "smaller than Adam's (1e-4 by default) and its weight decay larger."
            ),
            **zoo,
        ),
        spec(
            "schedulefree_adamw",
            "ScheduleFreeAdamW",
            (
                lr(0.0025),
                betas((0.9, 0.999), "(β1, β2): β1 interpolates between z and the average x; β2 is v's decay"),
                H("weight_decay", 0.0, low=0.0, help="added to the scaled gradient: g/√v̂ + weight_decay·p"),
                H("r", 0.0, help="the average's weights grow as t^r"),
                H("weight_lr_power", 2.0, help="the average's weights grow as lr_max^weight_lr_power"),
                H("warmup_steps", 0, kind="int", low=0, high=100_000_000, help="lr rises linearly over this many steps"),
                H("decoupling_c", 0, kind="int", low=0, high=100_000_000, help="0: off; else c_t = min(1, c_t·(1 − β1)·decoupling_c)"),
                H("ams_bound", False, kind="bool", help="divide by the largest v seen so far"),
                eps(1e-8),
            ),
            summary="AdamW without a schedule: it averages its iterates instead of decaying the rate.",
            rule=(
                "v = β2·v + (1 − β2)·g²                        (exp_avg_sq)\n"
                "d = g/(√(v/(1 − β2^t)) + eps) + weight_decay·y\n"
                "c = w_t/Σw, w_t = t^r·lr_max^weight_lr_power\n"
                "y = (1 − c)·y + c·z + lr·(β1·(1 − c) − 1)·d   (p in train mode)\n"
                "z = z − lr·d                                  (z)\n"
                "x = y + (1 − 1/β1)·(z − y)                    (p in eval mode)"
            ),
            when=(
                "When you do not know how long to train: there is no schedule to tune and the average x "
                "is good at any step. The gradient is taken at y (train mode, what the map and the loss "
                "show); the test accuracy and the predictions are the average x's (eval mode)."
            ),
            train_eval=True,
            **zoo,
        ),
        spec(
            "prodigy",
            "Prodigy",
            (
                lr(1.0, "a multiplier of the estimated step d (keep it at 1)"),
                betas((0.9, 0.999), "(β1, β2): decay rates of m and v, which include d"),
                H("beta3", None, low=0.0, high=1.0, optional=True, help="decay of s and of d's numerator (none: √β2)"),
                H("d0", 1e-6, low=0.0, low_open=True, help="the first estimate of d, the distance to the solution"),
                H("d_coef", 1.0, low=0.0, help="scales each new estimate of d"),
                wd(),
                *decouple(True),
                H("bias_correction", False, kind="bool", help="multiply d·lr by √(1 − β2^t)/(1 − β1^t): the first step 0.316 of the one without (β 0.9, 0.999)"),
                H("safeguard_warmup", False, kind="bool", help="weigh s's new term by d instead of d·lr, at every step (not only while warming up)"),
                eps(1e-8, optional=True),
            ),
            summary="Adam whose learning rate estimates itself: d grows towards the distance to the solution.",
            rule=(
                "m = β1·m + d·(1 − β1)·g                        (exp_avg)\n"
                "v = β2·v + d²·(1 − β2)·g²                      (exp_avg_sq)\n"
                "s = β3·s + (d/d0)·d·lr·g                            (s)\n"
                "r = β3·r + (d/d0)·d·lr·⟨g, p0 − p⟩, over all p   (d_numerator)\n"
                "d' = max(d, d_coef·r/Σ|s|)          (the largest estimate so far)\n"
                "p = p − d·lr·m/(√v + d'·eps); then d = d'"
            ),
            when=(
                "When you would rather not tune lr: it starts tiny (d0) and grows d from how far the "
                "parameters have moved against the gradients. One d for all parameters, so a step "
                "mixes every coordinate's history. Its lr multiplies the estimate: 1, its default, "
                "means the estimate as it is."
            ),
            per_coordinate=False,
            **zoo,
        ),
        spec(
            "soap",
            "SOAP",
            (
                lr(0.003),
                betas((0.95, 0.95), "(β1, β2): decay rates of m and v, kept in the preconditioner's eigenbasis"),
                H("shampoo_beta", None, low=0.0, optional=True, help="decay of Shampoo's factors L and R (none: β2)"),
                H("weight_decay", 0.01, low=0.0, help="decoupled: p = p·(1 − lr·weight_decay) after the step"),
                H("precondition_frequency", 10, kind="int", low=1, high=100_000, help="recompute the eigenbasis every this many steps"),
                H("max_precondition_dim", 10000, kind="int", low=1, high=1_000_000, help="a dimension larger than this is not preconditioned"),
                H("merge_dims", False, kind="bool", help="merge small dimensions of a tensor before preconditioning"),
                H("precondition_1d", False, kind="bool", help="precondition vectors too (the point on a surface, biases)"),
                H("correct_bias", True, kind="bool", help="Adam's bias corrections"),
                H("normalize_gradient", False, kind="bool", help="divide the update by its RMS, √(mean of its squares), plus eps"),
                eps(1e-8),
            ),
            summary="Adam run in the eigenbasis of Shampoo's preconditioner: Shampoo's factors and eigenvectors kept on top of Adam's state.",
            rule=(
                "t = 1: L, R and their eigenvectors Q_L, Q_R set up; no move\n"
                "m = β1·m + (1 − β1)·g                          (exp_avg)\n"
                "v = β2·v + (1 − β2)·(Q_Lᵀ·g·Q_R)²     (exp_avg_sq, eigenbasis)\n"
                "u = Q_L·((Q_Lᵀ·m·Q_R)/(√v + eps))·Q_Rᵀ\n"
                "p = p − lr·√(1 − β2^(t−1))/(1 − β1^(t−1))·u   (correct_bias)\n"
                "p = p·(1 − lr·weight_decay)\n"
                "L = β·L + (1 − β)·g·gᵀ; R = β·R + (1 − β)·gᵀ·g\n"
                "    (β: shampoo_beta, none: β2);\n"
                "    Q_L, Q_R again every precondition_frequency steps"
            ),
            when=(
                "Networks where Shampoo's preconditioning helps: it rotates the gradient into the "
                "directions of its curvature estimate and runs Adam there. That costs more than Adam: "
                "for each matrix it keeps L, R, Q_L and Q_R besides m and v, and runs an eigh (then QR) "
                "every precondition_frequency steps. Vectors (biases, and the point on a surface) are "
                "plain Adam unless precondition_1d."
            ),
            per_coordinate=False,
            **zoo,
        ),
        spec(
            "adopt",
            "ADOPT",
            (
                lr(0.001),
                betas((0.9, 0.9999), "(β1, β2): decay rates of m and v"),
                wd(),
                *decouple(False),
                H("eps", 1e-6, low=0.0, help="a floor on √v: n = g/max(√v, eps)"),
            ),
            summary="Adam with the second moment taken from before the current gradient: it converges for any β2.",
            rule=(
                "t = 1: v = g², no step\n"
                "n = clamp(g/max(√v, eps), ±t^0.25)     (v from before this g)\n"
                "m = β1·m + (1 − β1)·n                  (exp_avg)\n"
                "p = p − lr·m\n"
                "v = β2·v + (1 − β2)·g²                 (exp_avg_sq)"
            ),
            when=(
                "Where Adam is unstable for a small β2: dividing by a v that does not yet hold g, and "
                "putting the momentum after the division, removes the correlation between g and its "
                "own denominator that can make Adam diverge (not Adam's bias). Its first step only "
                "measures v: the point does not move."
            ),
            **zoo,
        ),
        spec(
            "ademamix",
            "AdEMAMix",
            (
                lr(0.001),
                betas((0.9, 0.999, 0.9999), "(β1, β2, β3): the fast mean m, v, and the slow mean m_slow"),
                wd(),
                *decouple(False),
                H("alpha", 5.0, low=0.0, help="how much of the slow mean joins the step"),
                H("t_alpha_beta3", None, low=0.0, optional=True, help="steps over which alpha and β3 warm up (none: no warm-up)"),
                eps(1e-8),
            ),
            summary="Adam with a second, much slower momentum mixed into the step: old gradients keep counting.",
            rule=(
                "m = β1·m + (1 − β1)·g                           (exp_avg)\n"
                "v = β2·v + (1 − β2)·g²                          (exp_avg_sq)\n"
                "m_slow = β3·m_slow + (1 − β3)·g                 (exp_avg_slow)\n"
                "p = p − lr·(m/(1 − β1^t) + alpha·m_slow)/(√(v/(1 − β2^t)) + eps)"
            ),
            when=(
                "Long training runs where gradients from thousands of steps ago still help (language "
                "models): β3 = 0.9999 remembers about 10,000 steps. The slow mean starts at 0 without a "
                "bias correction, so early steps are Adam's."
            ),
            **zoo,
        ),
    )
