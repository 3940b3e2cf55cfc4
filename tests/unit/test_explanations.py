"""Issue 18: every explanation exact. Each text the playground teaches is checked against what
torch does; where a number is stated, torch computes it here."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from playground import explanations
from playground.losses import CLASSIFICATION
from playground.optimizers import OPTIMIZERS
from playground.widgets.inside_panel import STATE_NAMES


def text(name: str) -> str:
    return explanations.text_for(name)


def help_of(optimizer: str, hyper: str) -> str:
    return OPTIMIZERS[optimizer].hyper_named(hyper).help


def first_step(optimizer: type, grad: float, **kwargs: float) -> float:
    """How far one step of `optimizer` moves a 1-number parameter whose gradient is `grad`."""
    p = torch.nn.Parameter(torch.tensor([0.0], dtype=torch.float64))
    opt = optimizer([p], **kwargs)
    p.grad = torch.tensor([grad], dtype=torch.float64)
    opt.step()
    return abs(float(p.detach()[0]))


# ------------------------------------------------------------------ wrong


def test_1_adamw_decays_the_weights_and_leaves_the_gradient_alone() -> None:
    wd = help_of("adamw", "weight_decay")
    assert "added to the gradient" not in wd and "p·(1 − lr·weight_decay)" in wd
    for name in ("nadam", "radam"):
        assert "p·(1 − lr·weight_decay)" in help_of(name, "decoupled_weight_decay")
    # torch: with a zero gradient AdamW's step is exactly the decay of the weights
    p = torch.nn.Parameter(torch.tensor([2.0], dtype=torch.float64))
    opt = torch.optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = torch.zeros_like(p)
    opt.step()
    assert float(p.detach()[0]) == 2.0 * (1 - 0.1 * 0.5)


def test_2_lbfgs_is_not_said_to_work_per_coordinate() -> None:
    assert "per coordinate" not in text("lbfgs") and "mixes coordinates" in text("lbfgs")
    assert all("per coordinate" in text(name) for name in OPTIMIZERS if name != "lbfgs")


# ------------------------------------------------------------------ misleading


def test_3_rprop_lr_sets_only_the_first_step_size() -> None:
    assert "only the first step size" in help_of("rprop", "lr")

    def run(change_lr: bool) -> torch.Tensor:
        p = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
        opt = torch.optim.Rprop([p], lr=0.01)
        for step in range(6):
            opt.zero_grad()
            (p**2).sum().backward()
            opt.step()
            if change_lr and step == 0:
                opt.param_groups[0]["lr"] = 1.0  # as ] or a schedule would
        return p.detach()

    assert torch.equal(run(False), run(True))


def test_3_rprop_a_later_lr_is_said_to_do_nothing_and_does_nothing() -> None:
    from dataclasses import replace

    from playground import scenarios
    from playground.engine import Run
    from playground.settings import resolve

    s = scenarios.load("rosenbrock")
    config = resolve(s, optimizer="rprop")
    changed, same = Run(s, config), Run(s, config)
    assert "no effect" not in changed.apply(replace(config, hyper={**config.hyper, "lr": 0.002}))  # before step 1 it counts
    changed.apply(config)
    changed.step(1), same.step(1)
    message = changed.apply(replace(config, hyper={**config.hyper, "lr": 0.5}))
    assert "no effect" in message and "first step" in message
    changed.step(20), same.step(20)
    assert changed.history.trajectory().tolist() == same.history.trajectory().tolist()  # as said: nothing
    assert changed.caveat() == ""  # no schedule: nothing to warn of


def test_3_a_schedule_on_rprop_is_warned_of_with_the_rate_that_counts() -> None:
    from playground import scenarios
    from playground.engine import Run
    from playground.settings import resolve

    s = scenarios.load("rosenbrock")
    run = Run(s, resolve(s, optimizer="rprop", hyper={"lr": 0.01}, schedule="onecycle", steps=50))
    # one-cycle starts at max_lr / div_factor: that rate, as torch set it, is the first step size
    first = torch.optim.lr_scheduler.OneCycleLR(torch.optim.Rprop([torch.zeros(1, requires_grad=True)], lr=0.01), max_lr=0.01, total_steps=50, cycle_momentum=False).get_last_lr()[0]
    assert "counts only there" in run.caveat() and "lr 0.0004" in run.caveat() and math.isclose(first, 0.0004)
    run.step(1)
    assert "changes nothing" in run.caveat()
    assert "changes nothing" in run.apply(resolve(s, optimizer="rprop", hyper={"lr": 0.01}, schedule="cosine", steps=50))
    assert Run(s, resolve(s, optimizer="sgd", schedule="cosine")).caveat() == ""


@pytest.mark.parametrize(("eps", "shown"), [(1e-6, "0.0032"), (1e-4, "0.032")])
def test_4_adadelta_eps_is_a_hidden_learning_rate(eps: float, shown: str) -> None:
    step = first_step(torch.optim.Adadelta, 3.0, eps=eps)
    assert f"{step:.2g}" == shown
    assert shown in text("adadelta") and "hidden learning rate" in text("adadelta")
    assert math.isclose(step, math.sqrt(eps) / math.sqrt(1 - 0.9), rel_tol=1e-3)  # lr·√eps/√(1 − ρ)


def test_5_radam_steps_unnormalised_while_rho_is_at_most_5() -> None:
    beta2 = 0.999
    rho_inf = 2 / (1 - beta2) - 1
    rho = [rho_inf - 2 * t * beta2**t / (1 - beta2**t) for t in range(1, 10)]
    unnormalised = sum(r <= 5 for r in rho)
    assert unnormalised == 5 and all(r <= 5 for r in rho[:5])
    radam, adam = first_step(torch.optim.RAdam, 500.0, lr=1e-3), first_step(torch.optim.Adam, 500.0, lr=1e-3)
    assert math.isclose(radam, 0.5) and math.isclose(adam, 0.001, rel_tol=1e-6)
    t = text("radam")
    assert "ρ_t ≤ 5" in t and "ρ_t > 5" in t and f"the first {unnormalised} steps" in t
    assert "first step of 0.5" in t and "Adam's is 0.001" in t and "cautious for the first steps" not in t


def test_6_asgd_says_when_its_average_begins() -> None:
    t0 = 3
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    opt = torch.optim.ASGD([p], lr=0.1, t0=t0)
    first_apart = None
    for t in range(1, 10):
        opt.zero_grad()
        (p**2).sum().backward()
        opt.step()
        if first_apart is None and not torch.equal(opt.state[p]["ax"], p.detach()):
            first_apart = t
    assert first_apart == t0 + 3
    assert "from step t0 + 3" in text("asgd") and "never written" in text("asgd")


def test_8_one_notation_the_panel_names_state_in_the_rules_letters() -> None:
    """Each piece of state torch keeps is named in the panel by the letter its rule uses."""
    for name, spec in OPTIMIZERS.items():
        p = torch.nn.Parameter(torch.tensor([[1.0, -0.5]] if spec.matrix_only else [1.0, -0.5]))
        hyper = {"momentum": 0.9} if name in ("sgd", "rmsprop") else {}
        hyper |= {"centered": True} if name == "rmsprop" else {}
        opt = spec.build([p], hyper)
        for _ in range(2):
            opt.step(lambda opt=opt, p=p: _loss_and_gradient(opt, p))
        if name == "lbfgs":
            continue  # its state is its history of moves, not letters of the rule
        for key in opt.state[p]:
            letter = STATE_NAMES[key].split(":")[0]
            where = spec.rule if letter != "t" else text(name)
            assert letter in where, (name, key, letter)
            assert key in STATE_NAMES[key]


def _loss_and_gradient(opt: torch.optim.Optimizer, p: torch.Tensor) -> torch.Tensor:
    opt.zero_grad()
    loss = (p**2).sum()
    loss.backward()
    return loss


# ------------------------------------------------------------------ imprecise


@pytest.mark.parametrize("name", ["adam", "adamax", "rmsprop", "adagrad", "adadelta", "asgd", "nadam", "radam", "sgd"])
def test_9_rules_add_weight_decay_to_the_gradient(name: str) -> None:
    assert "g = grad + weight_decay·p" in OPTIMIZERS[name].rule
    # torch: with weight decay the step is the step for grad + weight_decay·p
    p = torch.nn.Parameter(torch.tensor([2.0], dtype=torch.float64))
    q = torch.nn.Parameter(torch.tensor([2.0], dtype=torch.float64))
    a, b = OPTIMIZERS[name].build([p], {"weight_decay": 0.1}), OPTIMIZERS[name].build([q], {})
    p.grad = torch.tensor([1.0], dtype=torch.float64)
    q.grad = torch.tensor([1.0 + 0.1 * 2.0], dtype=torch.float64)
    a.step()
    b.step()
    if name == "asgd":  # ASGD decays p by lambd·eta besides
        assert math.isclose(float(p.detach()[0]), float(q.detach()[0]), rel_tol=1e-12)
    else:
        assert float(p.detach()[0]) == float(q.detach()[0])


def test_10_nesterov_is_said_as_torch_computes_it() -> None:
    t = text("sgd")
    assert "g + momentum·b" in t and "current parameters" in t and "look-ahead point" in t
    # torch: the Nesterov step is lr·(g + μ·b) with the gradient at the stored parameters
    p = torch.nn.Parameter(torch.tensor([1.0], dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    p.grad = torch.tensor([2.0], dtype=torch.float64)
    opt.step()  # b = g = 2
    p.grad = torch.tensor([1.0], dtype=torch.float64)
    before = float(p.detach()[0])
    opt.step()  # b = 0.9·2 + 1 = 2.8; step with 1 + 0.9·2.8
    assert math.isclose(before - float(p.detach()[0]), 0.1 * (1 + 0.9 * 2.8))


def test_11_to_17_the_rules_say_what_torch_does() -> None:
    nadam = OPTIMIZERS["nadam"].rule
    assert "Π_t" in nadam and "β1^t" not in nadam
    assert "standard deviation" in help_of("rmsprop", "centered") and "variance" not in help_of("rmsprop", "centered")
    adagrad = OPTIMIZERS["adagrad"].rule
    assert "lr/(1 + (t − 1)·lr_decay)" in adagrad and "initial_accumulator_value" in adagrad
    assert "not the step" in text("adagrad")
    assert "g·g_prev = 0:  s unchanged" in OPTIMIZERS["rprop"].rule
    assert "(t − 1)" in OPTIMIZERS["asgd"].rule
    assert "u = max(β2·u, |g| + eps)" in OPTIMIZERS["adamax"].rule
    lbfgs = text("lbfgs")
    assert "max |g_i|" in lbfgs and "min(1, 1/‖g‖₁)" in lbfgs and "max_iter" in lbfgs and "flatters" in lbfgs


def test_15_asgd_eta_at_step_t_uses_t_minus_1() -> None:
    p = torch.nn.Parameter(torch.tensor([1.0], dtype=torch.float64))
    lr, lambd, alpha = 0.1, 1e-2, 0.75
    opt = torch.optim.ASGD([p], lr=lr, lambd=lambd, alpha=alpha)
    for t in range(1, 5):
        eta = float(opt.state[p]["eta"]) if opt.state[p] else lr
        assert math.isclose(eta, lr / (1 + lambd * lr * (t - 1)) ** alpha, rel_tol=1e-6)
        p.grad = torch.ones_like(p)
        opt.step()


def test_16_adamax_keeps_a_decayed_maximum() -> None:
    p = torch.nn.Parameter(torch.tensor([0.0], dtype=torch.float64))
    opt = torch.optim.Adamax([p], betas=(0.9, 0.5))
    u = 0.0
    for g in (4.0, 1.0, 1.0):
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        u = max(0.5 * u, abs(g) + 1e-8)
        assert math.isclose(float(opt.state[p]["exp_inf"][0]), u)


def test_18_nll_is_cross_entropy_bit_for_bit_and_says_where_the_log_softmax_is() -> None:
    nll = CLASSIFICATION["nll"]
    assert "LogSoftmax" not in nll.rule and "inside the loss" in nll.rule
    z, y = torch.randn(50, 3, generator=torch.Generator().manual_seed(0)), torch.randint(0, 3, (50,), generator=torch.Generator().manual_seed(1))
    assert torch.equal(nll.function()(z, y), F.cross_entropy(z, y))


# ------------------------------------------------------------------ the command line and the screen


def test_every_rule_fits_the_explanation_at_80_columns() -> None:
    for spec in OPTIMIZERS.values():
        assert max(len(line) for line in spec.rule.splitlines()) <= 66, spec.name


def test_sgd_does_not_mention_a_step_count_its_rule_has_not() -> None:
    assert "t the step count" not in text("sgd") and "t the step count" in text("adam")


def test_the_app_and_the_command_line_show_the_same_text() -> None:
    from playground import scenarios
    from playground.screens.info_screen import explain
    from playground.settings import resolve

    config = resolve(scenarios.load("moons"), optimizer="adam")
    assert explanations.optimizer_text(OPTIMIZERS["adam"], config.hyper) in explain("classification", config)
    assert explanations.loss_text(CLASSIFICATION["cross_entropy"]) in explain("classification", config)


def test_17_lbfgs_evaluations_are_counted_as_torch_counts_them() -> None:
    from playground import scenarios
    from playground.engine import Run
    from playground.settings import resolve

    s = scenarios.load("rosenbrock")
    config = resolve(s, optimizer="lbfgs", steps=5)
    run = Run(s, config)
    run.step(5)
    # a plain torch loop: LBFGS counts its own closure calls in state["func_evals"]
    p = torch.tensor(s.surface.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([p], **config.hyper)
    counts = [0]

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = s.surface.formula.torch(*p.unbind())
        loss.backward()
        return loss

    for _ in range(5):
        opt.step(closure)
        counts.append(opt.state[p]["func_evals"])
    assert run.history.evaluations.tolist(6) == counts
    assert counts[-1] > 5 * 2  # many evaluations a step: a step-for-step race flatters it
    assert run.history.trajectory()[-1].tolist() == p.detach().tolist()
    sgd = Run(s, resolve(s, optimizer="sgd"))
    sgd.step(7)
    assert sgd.history.evaluations.tolist(8) == list(range(8))  # one evaluation a step: the axis is steps


def test_17_lbfgs_evaluations_on_a_dataset_and_in_the_json() -> None:
    import json

    from playground import report, scenarios
    from playground.engine import Run
    from playground.settings import resolve

    s = scenarios.load("moons")
    run = Run(s, resolve(s, optimizer="lbfgs", hyper={"max_iter": 4}))
    run.step(3)
    state = run.optimizer.state[run.optimizer.param_groups[0]["params"][0]]
    out = json.loads(report.to_json(run))
    assert out["evaluations"][0] == 0 and out["evaluations"][-1] == state["func_evals"] > 3
    assert len(out["evaluations"]) == len(out["loss"])


def test_6_asgd_average_is_recorded_from_the_step_torch_starts_averaging() -> None:
    import json

    from playground import report, scenarios
    from playground.engine import Run
    from playground.settings import resolve

    s = scenarios.load("rosenbrock")
    config = resolve(s, optimizer="asgd", hyper={"t0": 5.0, "lr": 0.001}, steps=20)
    run = Run(s, config)
    run.step(20)
    # a plain torch loop, reading ax after each step and whether that step averaged (mu < 1)
    p = torch.tensor(s.surface.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.ASGD([p], **config.hyper)
    axs, began = [], None
    for step in range(1, 21):
        mu = float(opt.state[p]["mu"]) if opt.state.get(p) else 1.0  # the mu this step uses
        opt.zero_grad()
        s.surface.formula.torch(*p.unbind()).backward()
        opt.step()
        if mu != 1.0 and began is None:
            began = step
        axs.append(opt.state[p]["ax"].tolist())
    assert began == 5 + 3  # "averages from step t0 + 3 on", as the explanation says
    assert "t0 + 3" in text("asgd")
    average = run.history.average
    assert average is not None and average.start == began
    assert [[x, y] for x, y in zip(average.x.tolist(), average.y.tolist())] == axs[began - 1 :]
    assert average.loss.tolist() == [s.surface.formula.torch(*torch.tensor(a, dtype=torch.float64)).item() for a in axs[began - 1 :]]
    assert axs[-1] != run.history.trajectory()[-1].tolist()  # the average is not the parameters
    assert (began, "ASGD's average began (t0 = 5): ◇ on the map") in run.history.events
    out = json.loads(report.to_json(run))
    assert out["average"]["from_step"] == began and out["average"]["trajectory"][-1] == axs[-1]
    # the default t0 = 1e6: no average within any bundled budget
    plain = Run(s, resolve(s, optimizer="asgd", steps=50))
    plain.step(50)
    assert plain.history.average is None and json.loads(report.to_json(plain))["average"] is None


def test_6_asgd_average_on_a_dataset_is_the_loss_of_the_averaged_weights() -> None:
    from playground import scenarios
    from playground.engine import Run
    from playground.settings import resolve

    s = scenarios.load("moons")
    run = Run(s, resolve(s, optimizer="asgd", hyper={"t0": 0.0, "lr": 0.05}))
    run.step(6)
    average = run.history.average
    assert average is not None and average.start == 3 and len(average.loss) == 4
    model = copy_with_average(run)
    expected = run.problem.loss_at(dict(model.named_parameters())).item()
    assert average.loss.last() == expected != run.history.loss.last()


def copy_with_average(run):  # noqa: ANN001, ANN201
    import copy

    model = copy.deepcopy(run.model)
    with torch.no_grad():
        for p, original in zip(model.parameters(), run.model.parameters(), strict=True):
            p.copy_(run.optimizer.state[original]["ax"])
    return model


def test_muon_on_a_surface_steps_about_0_68_lr_whatever_the_gradient() -> None:
    """Muon's explanation: on a surface the point is one 1×2 matrix, and Newton–Schulz keeps the
    momentum's direction and throws away its size: each step is about 0.68·lr long."""
    lengths = []
    for g in ((3.0, 4.0), (500.0, -2.0), (1e-4, 2e-4)):
        p = torch.zeros(1, 2, dtype=torch.float64, requires_grad=True)
        opt = torch.optim.Muon([p], lr=0.01, weight_decay=0.0)
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        lengths.append(float(p.detach().norm()) / 0.01)
    assert all(f"{length:.2f}" == "0.68" or f"{length:.2f}" == "0.69" for length in lengths), lengths
    assert "0.68·lr" in text("muon") and "1×2 matrix" in text("muon")


def test_switching_to_muon_and_back_mid_run_keeps_the_point() -> None:
    from dataclasses import replace

    from playground import scenarios
    from playground.engine import Run
    from playground.settings import resolve

    s = scenarios.load("rosenbrock")
    config = resolve(s)
    run = Run(s, config)
    run.step(5)
    before = run.point
    run.apply(resolve(s, optimizer="muon", hyper={"lr": 0.01, "weight_decay": 0.0}))
    assert run.point == before and run.optimizer.param_groups[0]["params"][0].shape == (1, 2)
    run.step(5)
    moved = run.history.trajectory()[-6:]
    steps = [float(((b - a) ** 2).sum() ** 0.5) for a, b in zip(moved[:-1], moved[1:])]
    assert all(0.0066 < step < 0.0072 for step in steps), steps  # about 0.68·lr (bfloat16), whatever g is
    run.apply(replace(config))
    run.step(3)
    assert run.optimizer.param_groups[0]["params"][0].shape == (2,) and not run.diverged
    assert len(run.history.loss) == 14


def test_prodigys_bias_correction_multiplies_its_step_as_its_help_says() -> None:
    """Truth 2: the help said it divides d·lr by √(1 − β2^t)/(1 − β1^t); pytorch-optimizer's
    Prodigy multiplies by it (d_lr = d·lr / ((1 − β1^t)/√(1 − β2^t))): 0.316 of the step at t = 1."""
    import math

    import torch
    from pytorch_optimizer import Prodigy

    from playground.optimizers import OPTIMIZERS

    moves = []
    for on in (False, True):
        p = torch.nn.Parameter(torch.tensor([1.0, -2.0], dtype=torch.float64))
        opt = Prodigy([p], bias_correction=on)
        p.grad = torch.tensor([0.5, 0.25], dtype=torch.float64)
        before = p.detach().clone()
        opt.step()
        moves.append(float((p.detach() - before).abs().max()))
    ratio = moves[1] / moves[0]
    assert math.isclose(ratio, math.sqrt(1 - 0.999) / (1 - 0.9), rel_tol=1e-6)  # 0.316
    help_text = OPTIMIZERS["prodigy"].hyper_named("bias_correction").help
    assert help_text.startswith("multiply d·lr by √(1 − β2^t)/(1 − β1^t)") and f"{ratio:.3f}" in help_text


def test_soaps_normalize_gradient_divides_by_the_rms() -> None:
    """Truth 2: SOAP's normalize_gradient divides by the RMS plus eps (pytorch-optimizer's soap.py:
    norm_grad.div_(torch.mean(norm_grad.square()).sqrt_().add_(eps))), not the mean absolute value."""
    import inspect

    from pytorch_optimizer import SOAP

    from playground.optimizers import OPTIMIZERS

    assert "torch.mean(norm_grad.square()).sqrt_()" in inspect.getsource(SOAP.step)
    assert "RMS" in OPTIMIZERS["soap"].hyper_named("normalize_gradient").help


def test_amsgrads_steps_can_grow_back_though_its_denominator_never_shrinks() -> None:
    """Truth 2: AMSGrad's help said steps never grow back. A large gradient, then small ones, then
    larger ones: v_max holds, and the steps fall, then grow again with m."""
    import torch

    from playground.optimizers import AMSGRAD

    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.Adam([p], lr=0.1, amsgrad=True)
    steps = []
    for g in [10.0] + [0.01] * 30 + [1.0] * 30:
        p.grad = torch.tensor([g], dtype=torch.float64)
        before = float(p.detach())
        opt.step()
        steps.append(abs(float(p.detach()) - before))
    low = min(steps[:31])
    assert low < 0.01 and steps[-1] > 5 * low  # they fell, then grew back
    assert "never shrinks" in AMSGRAD and "grows back" in AMSGRAD


# ------------------------------------------------------------------ Truth 2: misleading and imprecise


def test_soaps_cost_is_said_as_the_state_it_keeps() -> None:
    """SOAP was "second-order shape at Adam's cost": it keeps L, R, Q_L, Q_R beside m and v."""
    from pytorch_optimizer import SOAP

    p = torch.nn.Parameter(torch.randn(4, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    opt = SOAP([p])
    for _ in range(2):
        p.grad = torch.ones_like(p)
        opt.step()
    kept = set(opt.state[p])
    assert {"exp_avg", "exp_avg_sq", "GG", "Q"} <= kept  # Adam's m, v; Shampoo's factors and eigenvectors
    said = text("soap")
    assert "Adam's cost" not in said and "L, R, Q_L and Q_R" in said and "eigh" in said


def test_adafactors_beta2_is_0_at_the_first_step_so_v_is_g_squared() -> None:
    p = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
    opt = torch.optim.Adafactor([p], lr=0.01)
    g = torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64)
    p.grad = g.clone()
    opt.step()
    assert torch.allclose(opt.state[p]["variance"], g * g)  # β2 = 1 − 1^decay = 0: all of g²
    said = text("adafactor")
    assert "(0 at t = 1: v = g²)" in said and "1 at t = 1" not in said
    assert help_of("adafactor", "beta2_decay").startswith("how fast v forgets: β2_t = 1 − t^beta2_decay (0 at t = 1")


def test_adafactors_eps1_floors_v_at_its_square_and_lr_caps_a_step_only_with_d_at_most_1() -> None:
    # eps1 = 0.1: a zero gradient's v is floored at eps1² = 0.01, so its u = g/0.1
    p = torch.nn.Parameter(torch.ones(4, dtype=torch.float64))
    opt = torch.optim.Adafactor([p], lr=0.5, eps=(0.1, 1e-3), d=1e9)
    p.grad = torch.tensor([0.0, 0.0, 0.0, 1e-9], dtype=torch.float64)
    opt.step()
    moved = (1.0 - p.detach()).tolist()
    rho = min(0.5, 1.0)  # ρ_1 = min(lr, 1/√1); RMS(p) = 1
    assert math.isclose(moved[3], rho * 1e-9 / 0.1, rel_tol=1e-6)  # g/√max(v, eps1²) = g/eps1
    assert "eps1² floors v" in help_of("adafactor", "eps")

    def second_step(d: float) -> float:
        """The RMS of step 2 relative to lr·RMS(p): a tiny gradient, then a large one (u up to 1.32)."""
        p = torch.nn.Parameter(torch.ones(4, dtype=torch.float64))
        opt = torch.optim.Adafactor([p], lr=0.01, d=d)
        p.grad = torch.full((4,), 1e-6, dtype=torch.float64)
        opt.step()
        before, scale = p.detach().clone(), float(p.detach().pow(2).mean().sqrt())
        p.grad = torch.ones(4, dtype=torch.float64)
        opt.step()
        return float((before - p.detach()).pow(2).mean().sqrt()) / (0.01 * scale)

    assert math.isclose(second_step(1.0), 1.0, rel_tol=1e-6)  # d = 1: lr·RMS(p) at most
    assert second_step(4.0) > 1.3  # d = 4: past it
    assert "so lr caps it only with d ≤ 1" in help_of("adafactor", "lr")


def test_muons_eps_is_a_floor_on_the_norm() -> None:
    """torch's _muon.py: ortho_grad.div_(ortho_grad.norm().clamp(min=eps))."""
    import inspect

    from torch.optim import _muon

    assert "norm().clamp(min=eps)" in inspect.getsource(_muon)
    assert help_of("muon", "eps").startswith("a floor on the norm") and "max(‖u‖, eps)" in text("muon")


def test_newton_schulz_leaves_singular_values_between_0_68_and_1_13() -> None:
    from torch.optim._muon import _zeropower_via_newtonschulz

    values = []
    for seed in range(20):
        g = torch.randn(16, 32, generator=torch.Generator().manual_seed(seed))
        values += torch.linalg.svdvals(_zeropower_via_newtonschulz(g, (3.4445, -4.775, 2.0315), 5, 1e-7).float()).tolist()
    assert 0.6 < min(values) and max(values) < 1.2
    assert f"{min(values):.1f}" in ("0.6", "0.7") and round(max(values), 1) == 1.1
    assert "singular values about 0.68 to 1.13" in text("muon") and "0.5 to 1.5" not in text("muon")


def test_muons_layers_for_adamw_are_said_to_be_keller_jordans_advice() -> None:
    said = " ".join(text("muon").split())
    assert "Keller Jordan's advice" in said and "torch's own example gives Muon every 2-D parameter" in said


def test_adamax_says_what_its_beta2_and_eps_do() -> None:
    """torch's adamax: exp_inf = max(β2·exp_inf, |g| + eps)."""
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.Adamax([p], lr=1.0, betas=(0.0, 0.5), eps=0.25)
    for g in (4.0, 0.0):
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    assert float(opt.state[p]["exp_inf"]) == max(0.5 * (4.0 + 0.25), 0.0 + 0.25)  # decayed max of |g| + eps
    assert "decayed maximum of |g|" in help_of("adamax", "betas") and "added to |g| before the maximum" in help_of("adamax", "eps")


def test_adopts_eps_is_a_floor_and_it_removes_a_correlation() -> None:
    from pytorch_optimizer import ADOPT

    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = ADOPT([p], lr=1.0, betas=(0.0, 0.5), eps=0.5)
    for g in (0.01, 0.2):  # first step only measures v = g² = 1e-4; then n = g/max(√v, eps) = 0.2/0.5
        p.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
    assert math.isclose(abs(float(p.detach())), 0.2 / 0.5, rel_tol=1e-12)
    assert help_of("adopt", "eps") == "a floor on √v: n = g/max(√v, eps)"
    said = " ".join(text("adopt").split())
    assert "removes Adam's bias" not in said and "correlation" in said


def test_prodigys_safeguard_warmup_weighs_every_step() -> None:
    """pytorch-optimizer's prodigy.py: s.mul_(beta3).add_(grad, alpha=(d / d0) * (d if safeguard_warmup
    else d_lr)), at every step: at step 20 s's new term is still (d/d0)·d·g, not (d/d0)·d·lr·g."""
    from pytorch_optimizer import Prodigy

    p = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float64))
    opt = Prodigy([p], lr=0.5, safeguard_warmup=True)
    group = opt.param_groups[0]
    for k in range(20):
        g = torch.tensor([1.0, -0.5], dtype=torch.float64) * (k + 1)
        if k == 19:
            before, d, beta3 = opt.state[p]["s"].clone(), group["d"], math.sqrt(group["betas"][1])
        p.grad = g
        opt.step()
    want = before * beta3 + g * (d / group["d0"]) * d
    assert torch.allclose(opt.state[p]["s"], want, rtol=1e-12) and group["lr"] != 1.0
    assert "at every step" in help_of("prodigy", "safeguard_warmup")


def test_asgds_t0_is_explained_with_the_step_averaging_starts() -> None:
    assert "averages from step t0 + 3" in help_of("asgd", "t0")
