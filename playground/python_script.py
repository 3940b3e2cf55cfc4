"""The code behind a run: a standalone Python script that does what the run does with plain torch
(`run --format python`, and the app's export to a name ending in .py).

The script rebuilds the loss surface as a function (the formula as the playground checked it, its
constants folded), or the dataset (embedded, or read again from scikit-learn for a real set),
the model from its seed, the loss, the optimizer with every hyperparameter spelled out, the
schedule and the clipping, and writes the loop as torch's documentation teaches it. Its last
line prints `final loss: R`, the same number `run --format json` gives as final_loss.

From the app (`v`, `e` to a .py), the script is the run as it happened: the steps it took (past
its budget too), each change of its settings written at the top of the step it was made
(`if step == 10:`), as engine.Run.apply made it; a run without changes keeps the plain loop.
"""

from __future__ import annotations

from typing import Any

from playground.datasets import REAL_SETS
from playground.formula import FUNCTIONS
from playground.optimizers import get_optimizer
from playground.scenarios import ACTIVATIONS, Scenario
from playground.schedules import get_schedule
from playground.settings import RunConfig

LOSS_CODE = {
    ("classification", "cross_entropy"): "F.cross_entropy(output, target)",
    ("classification", "nll"): "F.nll_loss(F.log_softmax(output, dim=1), target)  # NLLLoss takes log-probabilities",
    ("classification", "mse"): "F.mse_loss(F.softmax(output, dim=1), F.one_hot(target, output.shape[1]).to(output.dtype))",
    ("regression", "mse"): "F.mse_loss(output, target)",
    ("regression", "l1"): "F.l1_loss(output, target)",
    ("regression", "huber"): "F.huber_loss(output, target)",
}


def quoted(text: str) -> str:
    """Text from a file (a scenario's name, a formula) as it may stand inside a docstring or a
    comment of the script: escaped as a Python literal's inside is (backslashes, newlines, control
    characters), double quotes escaped too, so it can neither end the docstring nor the comment's
    line. One rule for every such text: the script runs nothing a shared file wrote."""
    return repr(str(text))[1:-1].replace('"', '\\"')


Change = tuple[int, RunConfig, str]  # (step, the settings from then on, what changed): engine.Run.timeline


def script(scenario: Scenario, config: RunConfig, start: tuple[float, float] | None = None, timeline: list[Change] | None = None, steps: int | None = None, raised: str | None = None) -> str:
    """`config` from `start` to its budget; or, given a run's `timeline` (its first entry the
    settings it started with) and the `steps` it took, the run as it happened: each change
    written where it happened in the loop. `raised`: why torch raised at the step after them,
    where the run stopped (the script makes that step too, and raises, as it says at its top)."""
    caveat = replay_caveat(raised, steps or 0)
    plan = _Plan(scenario, timeline or [(0, config, "")], (config.steps if steps is None else steps) + bool(caveat))
    config = plan.first
    if steps is None:
        out = [
            f'"""{quoted(scenario.title)}: {config.optimizer} for {config.steps} steps, in plain torch.',
            "",
            "Written by `playground run ... --format python`: it does what the playground's run does,",
            'and its last line prints the same final loss."""',
            "",
        ]
    else:
        names = " then ".join(dict.fromkeys(c.optimizer for _, c, _ in plan.timeline))
        said = ", ".join(f"step {at}" for at in dict.fromkeys(at for at, _ in plan.changes))
        history = f"each change at the step it was made ({said})" if plan.changes else "no setting changed on the way"
        out = [
            f'"""{quoted(scenario.title)}: {names}, the {steps} steps the run took{" and the one that raised" if caveat else ""}, in plain torch.',
            "",
            f"The run as it happened, written by the playground: {history}.",
            'Its last line prints the run\'s final loss."""' if not caveat else f'NOT A REPLAY: {quoted(caveat)}."""',
            "",
        ]
    real = scenario.dataset is not None and scenario.dataset.generator in REAL_SETS
    if real:
        out.append("import numpy as np")
    out.append("import torch")
    if scenario.kind != "surface":
        out += ["import torch.nn.functional as F", "from torch import nn"]
    for library in dict.fromkeys(get_optimizer(c.optimizer).library for _, c, _ in plan.timeline):
        if library != "torch.optim":
            out.append(f"import {library}  # the zoo: pip install pytorch-optimizer")
    if real:
        out.append(f"from sklearn.datasets import load_{scenario.dataset.generator}")  # type: ignore[union-attr]
    out += ["", "torch.set_num_threads(1)  # as the playground runs: a matrix product's last bits can depend on the threads", ""]
    if scenario.surface is not None:
        out += _surface(scenario, plan, start)
    else:
        out += _dataset(scenario, plan)
    return "\n".join(out) + "\n"


def replay_caveat(raised: str | None, steps: int) -> str:
    """Why a run's script cannot reproduce it, or "": a run that stopped because torch raised."""
    if raised is None:
        return ""
    return f"the run stopped after {steps} steps because torch raised ({raised}); step {steps + 1} raises here too, so the script ends with that error, not with the run's final loss"


class _Plan:
    """What the script writes: the settings it starts with, the code of each change at its step
    (only the changes that change what torch does: a new budget alone writes nothing), and which
    settings vary on the way (those become variables the loop reads)."""

    def __init__(self, scenario: Scenario, timeline: list[Change], steps: int) -> None:
        self.scenario = scenario
        self.surface = scenario.kind == "surface"
        self.timeline = timeline
        self.steps = steps
        self.first = timeline[0][1]
        configs = [c for _, c, _ in timeline]
        self.points = None if self.surface else scenario.points()  # made once: a real set reads scikit-learn
        self.samples = 0 if self.points is None else len(self.points.train_x)
        self.clip_varies = len({c.clip or None for c in configs}) > 1
        self.size_varies = not self.surface and len({self.size(c) for c in configs}) > 1
        self.loss_varies = len({c.loss for c in configs}) > 1
        self.scheduled = any(c.schedule != "constant" for c in configs)
        self.onecycle = any(c.schedule == "onecycle" for c in configs)
        self.closure = any(get_optimizer(c.optimizer).needs_closure for c in configs)
        self.changes: list[tuple[int, list[str]]] = []  # one block a step: its changes in the order made
        for (_, old, _), (at, new, text) in zip(timeline, timeline[1:]):
            code = self._change(old, new)
            if not code:
                continue
            code = [f"# {quoted(text)}", *code] if text else code
            if self.changes and self.changes[-1][0] == at:
                self.changes[-1][1].extend(code)
            else:
                self.changes.append((at, code))

    def size(self, config: RunConfig) -> int:
        """The minibatch a step of `config` draws, or 0: the whole set."""
        return config.minibatch(self.samples)

    @property
    def varies(self) -> bool:
        return bool(self.changes)

    def paired(self, config: RunConfig) -> bool:
        return bool(get_optimizer(config.optimizer).partner) and not self.surface

    def params(self) -> str:
        return "[p]" if self.surface else "model.parameters()"

    def _change(self, old: RunConfig, new: RunConfig) -> list[str]:
        """The code of one change, as engine.Run.apply makes it."""
        spec = get_optimizer(new.optimizer)
        takes = [h.name for h in spec.hyper if h.takes and new.hyper.get(h.name) != old.hyper.get(h.name)]
        if new.optimizer != old.optimizer or new.loss != old.loss or takes:  # a fresh optimizer, same parameters
            lines = []
            if self.surface and get_optimizer(old.optimizer).matrix_only != spec.matrix_only:
                shape = "1, 2" if spec.matrix_only else "2"
                lines.append(f"p = p.detach().reshape({shape}).clone().requires_grad_(True)  # the same point" + ("; Muon takes a matrix" if spec.matrix_only else ""))
            lines += _optimizer(new, self.params(), self.surface, self)
            lines += self._variables(old, new)
            return lines
        lines = []
        scheduler = old.schedule != "constant"
        rates = ["lr", f"{spec.partner}_lr"] if self.paired(new) else ["lr"]
        for k, v in new.hyper.items():
            if old.hyper.get(k) == v:
                continue
            where = self._groups(new, k)
            if where is None:
                continue
            index, name = where
            if k in rates and scheduler:
                ratio = v / old.hyper[k]
                lines += [
                    f"for g in optimizers[{index}].param_groups:  # the schedule's rates scale with it",
                    '    for key in ("lr", "initial_lr", "max_lr", "min_lr"):',
                    "        if key in g:",
                    f"            g[key] *= {ratio!r}",
                    f"schedulers[{index}].base_lrs = [b * {ratio!r} for b in schedulers[{index}].base_lrs]",
                ]
            else:
                value = tuple(v) if isinstance(v, list) else v
                lines += [f"for g in optimizers[{index}].param_groups:", f"    g[{name!r}] = {value!r}"]
        if (new.schedule, new.schedule_params) != (old.schedule, old.schedule_params):
            for k in rates:
                index, name = self._groups(new, k)  # type: ignore[misc]
                lines += [f"for g in optimizers[{index}].param_groups:", f"    g[{name!r}] = {new.hyper[k]!r}", '    g.pop("initial_lr", None)  # a new schedule starts from the run\'s lr']
            lines += _schedulers(new, self)
        return lines + self._variables(old, new)

    def _groups(self, config: RunConfig, key: str) -> tuple[int, str] | None:
        """(which optimizer, torch's name) a setting reaches: a partner's (adamw_lr) its own
        groups as lr; None for a partner's setting where there is no partner (a surface)."""
        spec = get_optimizer(config.optimizer)
        if spec.hyper_named(key).group:
            return (1, key.removeprefix(f"{spec.partner}_")) if self.paired(config) else None
        return 0, key

    def _variables(self, old: RunConfig, new: RunConfig) -> list[str]:
        lines = []
        if self.clip_varies and (old.clip or None) != (new.clip or None):
            lines.append(f"clip = {new.clip or None!r}")
        if self.size_varies and self.size(old) != self.size(new):
            lines.append(f"size = {self.size(new)!r}" + ("  # the whole set" if not self.size(new) else ""))
        if self.loss_varies and old.loss != new.loss:
            lines.append(f"loss_fn = {new.loss}_loss")
        return lines


def _kwargs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def _optimizer(config: RunConfig, params: str, surface: bool, plan: _Plan | None = None) -> list[str]:
    """The optimizer's construction: every hyperparameter under the library's keyword name."""
    spec = get_optimizer(config.optimizer)
    module = spec.library
    lines = []
    if spec.partner and not surface:
        partner = get_optimizer(spec.partner)
        if (config.hyper.get("matrices") or "hidden") == "all":
            lines += [
                f"# {spec.torch_name} takes every weight matrix; {partner.torch_name} the biases",
                "linears = [m for m in model if isinstance(m, nn.Linear)]",
                "hidden = [m.weight for m in linears]",
            ]
        else:
            lines += [
                f"# {spec.torch_name} takes the weight matrices between hidden layers; {partner.torch_name} the rest",
                "# (the biases, the first and the last layer), as Keller Jordan advises for Muon",
                "linears = [m for m in model if isinstance(m, nn.Linear)]",
                "hidden = [m.weight for m in linears[1:-1]]",
            ]
        lines += [
            "rest = [p for p in model.parameters() if all(p is not h for h in hidden)]",
            f"main = {module}.{spec.torch_name}(hidden, {_kwargs(spec.own(config.hyper))})",
            f"partner = {partner.library}.{partner.torch_name}(rest, {_kwargs(spec.partners(config.hyper))})",
            "optimizers = [main, partner]",
        ]
    else:
        lines += [f"optimizers = [{module}.{spec.torch_name}({params}, {_kwargs(spec.own(config.hyper))})]"]
    if spec.train_eval:
        lines += ["for optimizer in optimizers:", "    optimizer.train()  # Schedule-Free steps in train mode (eval() switches to its average)"]
    return lines + _schedulers(config, plan)


def _schedulers(config: RunConfig, plan: _Plan | None = None) -> list[str]:
    """The schedule's construction (none for a constant rate, unless the run has one elsewhere)."""
    if config.schedule == "constant":
        if plan is None or not plan.scheduled:
            return []
        return ["schedulers = []  # a constant rate"] + (["last = None  # no end"] if plan.onecycle else [])
    schedule = get_schedule(config.schedule)
    kwargs = schedule.in_force(config.schedule_params, config.steps)
    if schedule.name == "onecycle":
        return [
            "schedulers = [torch.optim.lr_scheduler.OneCycleLR(o, max_lr=[g['lr'] for g in o.param_groups], cycle_momentum=False, " + _kwargs(kwargs) + ") for o in optimizers]",
            f"last = {kwargs['total_steps']} - 1  # one-cycle ends there: the rate then holds",
        ]
    lines = [f"schedulers = [torch.optim.lr_scheduler.{schedule.torch_name}(o, {_kwargs(kwargs)}) for o in optimizers]"]
    return lines + (["last = None  # no end"] if plan is not None and plan.onecycle else [])


def _loop(plan: _Plan, batch: list[str], loss_code: list[str]) -> list[str]:
    """The training loop as torch's documentation writes it: `batch` picks the step's data,
    `loss_code` computes `loss` on it; each change of the run at the top of its step."""
    config, params = plan.first, plan.params()
    clip = ["if clip:", f"    torch.nn.utils.clip_grad_norm_({params}, clip)  # clip the gradient's norm"] if plan.clip_varies else (
        [f"torch.nn.utils.clip_grad_norm_({params}, {config.clip!r})  # clip the gradient's norm"] if config.clip else [])
    body = []
    for at, code in plan.changes:
        body += [f"    if step == {at}:", *("        " + line for line in code)]
    body += ["    " + line for line in batch]
    if plan.closure:  # L-BFGS evaluates the loss as often as it needs within one step
        body += ["    def closure():", "        for optimizer in optimizers:", "            optimizer.zero_grad()"]
        body += ["        " + line for line in loss_code]
        body += ["        loss.backward()"]
        body += ["        " + line.split("  #")[0] for line in clip]
        body += ["        return loss", "", "    for optimizer in optimizers:", "        optimizer.step(closure)"]
    else:
        body += ["    for optimizer in optimizers:", "        optimizer.zero_grad()  # forget the last step's gradient"]
        body += ["    " + line for line in loss_code]
        body += ["    loss.backward()  # the gradient of the loss, in each parameter's .grad"]
        body += ["    " + line for line in clip]
        body += ["    for optimizer in optimizers:", "        optimizer.step()  # the update"]
    if plan.onecycle and plan.varies:
        body += ["    for scheduler in schedulers:", "        if last is None or scheduler.last_epoch < last:", "            scheduler.step()  # the next step's learning rate"]
    elif config.schedule == "onecycle":
        body += ["    if schedulers[0].last_epoch < last:", "        for scheduler in schedulers:", "            scheduler.step()  # the next step's learning rate"]
    elif plan.scheduled:
        body += ["    for scheduler in schedulers:", "        scheduler.step()  # the next step's learning rate"]
    head = [f"clip = {config.clip or None!r}  # the gradient's largest norm (None: no clipping)"] if plan.clip_varies else []
    return [*head, f"for step in range({plan.steps}):", *body]


def _surface(scenario: Scenario, plan: _Plan, start: tuple[float, float] | None) -> list[str]:
    surface = scenario.surface
    assert surface is not None
    config = plan.first
    spec = get_optimizer(config.optimizer)
    used = sorted(n for n in FUNCTIONS if f"{n}(" in surface.formula.expression)
    lines = []
    for name in used:
        if name in ("min", "max", "atan2"):
            op = {"min": "torch.minimum", "max": "torch.maximum", "atan2": "torch.atan2"}[name]
            lines += [
                f"def {name}(*args):",
                "    like = next(a for a in args if isinstance(a, torch.Tensor))",
                "    out, *rest = [a if isinstance(a, torch.Tensor) else torch.full_like(like, a) for a in args]",
                "    for a in rest:",
                f"        out = {op}(out, a)",
                "    return out",
                "",
            ]
        else:
            lines.append(f"{name} = torch.{name}")
    if used:
        lines.append("")
    point = list(start or surface.start)
    shape = f"[{point!r}]" if spec.matrix_only else repr(point)
    lines += [
        "def f(x, y):",
        f'    """The surface: {quoted(surface.formula.text)}"""',
        f"    return {surface.formula.expression}",
        "",
        "",
        f"p = torch.tensor({shape}, dtype=torch.float64, requires_grad=True)  # the point (x, y)"
        + ("; Muon takes a matrix: one 1x2" if spec.matrix_only else ""),
        *_optimizer(config, "[p]", True, plan),
        "",
    ]
    lines += _loop(plan, [], ["x, y = p.reshape(2)", "loss = f(x, y)"])
    lines += [
        "",
        "x, y = p.detach().reshape(2)",
        "print(f'final point: ({x.item()!r}, {y.item()!r})')",
        "print(f'final loss: {f(x, y).item()!r}')",
    ]
    return lines


def _dataset(scenario: Scenario, plan: _Plan) -> list[str]:
    config = plan.first
    pts = plan.points
    assert pts is not None
    d = scenario.dataset
    assert d is not None and scenario.model is not None
    lines: list[str] = []
    classification = scenario.kind == "classification"
    if d.generator in REAL_SETS:
        columns = f"columns {list(d.features)}" if d.features else "every column"
        lines += [
            f"# scikit-learn's {d.generator}, {columns}, split with seed {d.seed} and standardised on the training split",
            f"data = load_{d.generator}()",
            "X_all = np.asarray(data.data, dtype=np.float64)" + (f"[:, {list(d.features)!r}]" if d.features else ""),
            "y_all = np.asarray(data.target, dtype=np.int64)",
            f"order = np.random.default_rng({d.seed}).permutation(len(X_all))",
            f"n_test = min(int(round(len(X_all) * {d.test_fraction!r})), len(X_all) - 1)",
            "train = order[n_test:]",
            "mean, std = X_all[train].mean(0), X_all[train].std(0)",
            "std[std == 0] = 1.0",
            "X = torch.from_numpy(((X_all[train] - mean) / std).astype(np.float32))",
            "Y = torch.from_numpy(y_all[train])",
            "",
        ]
    else:
        xs = [[float(v) for v in row] for row in pts.train_x]
        ys = [int(v) for v in pts.train_y] if classification else [float(v) for v in pts.train_y]
        lines += [
            f"# the training points of {quoted(scenario.name)} ({d.generator}, seed {d.seed}), as the playground made them",
            f"X = torch.tensor({xs!r}, dtype=torch.float32)",
            f"Y = torch.tensor({ys!r}, dtype=torch.{'int64' if classification else 'float32'})" + ("" if classification else ".unsqueeze(1)"),
            "",
        ]
    outputs = pts.classes if classification else 1
    activation = ACTIVATIONS[scenario.model.activation]
    layers, width = [], pts.features
    for h in scenario.model.hidden:
        layers += [f"nn.Linear({width}, {h})", f"nn.{activation}()"]
        width = h
    layers.append(f"nn.Linear({width}, {outputs})")
    losses = [c.loss for _, c, _ in plan.timeline]
    assert all(loss is not None for loss in losses)
    if plan.loss_varies:
        for loss in dict.fromkeys(losses):
            code, _, why = LOSS_CODE[(scenario.kind, loss)].partition("  # ")  # type: ignore[index]
            lines += [f"def {loss}_loss(output, target):" + (f"  # {why}" if why else ""), f"    return {code}", "", ""]
        loss_code = "loss_fn(output, target)"
    else:
        loss_code = LOSS_CODE[(scenario.kind, config.loss)]  # type: ignore[index]
    lines += [
        f"torch.manual_seed({config.seed})  # the initial weights",
        "model = nn.Sequential(" + ", ".join(layers) + ")",
        *_optimizer(config, "model.parameters()", False, plan),
    ]
    if plan.loss_varies:
        lines.append(f"loss_fn = {config.loss}_loss")
    lines.append("")
    size = plan.size(config)
    sizes = {plan.size(c) for _, c, _ in plan.timeline}
    if any(sizes):
        lines += [
            f"batches = torch.Generator().manual_seed({config.seed})  # the minibatches' order",
            "order, cursor = None, 0",
        ]
        lines += [f"size = {size!r}" + ("  # the whole set" if not size else "  # a minibatch's size")] if plan.size_varies else []
        lines.append("")
    take = [
        f"if order is None or cursor + {'size' if plan.size_varies else size} > len(X):",
        "    order, cursor = torch.randperm(len(X), generator=batches), 0  # a new epoch",
        f"batch = order[cursor : cursor + {'size' if plan.size_varies else size}]",
        f"cursor += {'size' if plan.size_varies else size}",
        "inputs, target = X[batch], Y[batch]",
    ]
    whole = "inputs, target = X, Y  # the whole training set"
    if plan.size_varies:
        draw = ["if size:", *("    " + line for line in take), "else:", "    " + whole]
    else:
        draw = take if size else [whole]
    lines += _loop(plan, draw, ["output = model(inputs)", f"loss = {loss_code}"])
    lines += [
        "",
        "with torch.no_grad():",
        "    output, target = model(X), Y",
        f"    loss = {loss_code.split('  #')[0]}",
        "print(f'final loss: {loss.item()!r}')",
    ]
    return lines
