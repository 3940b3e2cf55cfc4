"""The code behind a run: a standalone Python script that does what the run does with plain torch
(`run --format python`, and the app's export to a name ending in .py).

The script rebuilds the loss surface as a function (the formula as the playground checked it, its
constants folded), or the dataset (embedded, or read again from scikit-learn for a real set),
the model from its seed, the loss, the optimizer with every hyperparameter spelled out, the
schedule and the clipping, and writes the loop as torch's documentation teaches it. Its last
line prints `final loss: R`, the same number `run --format json` gives as final_loss.
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


def script(scenario: Scenario, config: RunConfig, start: tuple[float, float] | None = None) -> str:
    spec = get_optimizer(config.optimizer)
    out = [
        f'"""{quoted(scenario.title)}: {config.optimizer} for {config.steps} steps, in plain torch.',
        "",
        "Written by `playground run ... --format python`: it does what the playground's run does,",
        'and its last line prints the same final loss."""',
        "",
    ]
    real = scenario.dataset is not None and scenario.dataset.generator in REAL_SETS
    if real:
        out.append("import numpy as np")
    out.append("import torch")
    if scenario.kind != "surface":
        out += ["import torch.nn.functional as F", "from torch import nn"]
    if spec.zoo:
        out.append(f"import {spec.library}  # the zoo: pip install pytorch-optimizer")
    if real:
        out.append(f"from sklearn.datasets import load_{scenario.dataset.generator}")  # type: ignore[union-attr]
    out += ["", "torch.set_num_threads(1)  # as the playground runs: a matrix product's last bits can depend on the threads", ""]
    if scenario.surface is not None:
        out += _surface(scenario, config, start)
    else:
        out += _dataset(scenario, config)
    return "\n".join(out) + "\n"


def _kwargs(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in values.items())


def _optimizer(config: RunConfig, params: str, surface: bool) -> list[str]:
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
                "# (the biases, the first and the last layer), as torch's documentation recommends",
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
    if config.schedule != "constant":
        schedule = get_schedule(config.schedule)
        kwargs = schedule.in_force(config.schedule_params, config.steps)
        if schedule.name == "onecycle":
            lines.append("schedulers = [torch.optim.lr_scheduler.OneCycleLR(o, max_lr=[g['lr'] for g in o.param_groups], cycle_momentum=False, " + _kwargs(kwargs) + ") for o in optimizers]")
            lines.append(f"last = {kwargs['total_steps']} - 1  # one-cycle ends there: the rate then holds")
        else:
            lines.append(f"schedulers = [torch.optim.lr_scheduler.{schedule.torch_name}(o, {_kwargs(kwargs)}) for o in optimizers]")
    return lines


def _loop(config: RunConfig, batch: list[str], loss_code: list[str], params: str, closure: bool) -> list[str]:
    """The training loop as torch's documentation writes it: `batch` picks the step's data,
    `loss_code` computes `loss` on it."""
    body = ["    " + line for line in batch]
    if closure:  # L-BFGS evaluates the loss as often as it needs within one step
        body += ["    def closure():", "        for optimizer in optimizers:", "            optimizer.zero_grad()"]
        body += ["        " + line for line in loss_code]
        body += ["        loss.backward()"]
        if config.clip:
            body += [f"        torch.nn.utils.clip_grad_norm_({params}, {config.clip!r})"]
        body += ["        return loss", "", "    for optimizer in optimizers:", "        optimizer.step(closure)"]
    else:
        body += ["    for optimizer in optimizers:", "        optimizer.zero_grad()  # forget the last step's gradient"]
        body += ["    " + line for line in loss_code]
        body += ["    loss.backward()  # the gradient of the loss, in each parameter's .grad"]
        if config.clip:
            body += [f"    torch.nn.utils.clip_grad_norm_({params}, {config.clip!r})  # clip the gradient's norm"]
        body += ["    for optimizer in optimizers:", "        optimizer.step()  # the update"]
    if config.schedule == "onecycle":
        body += ["    if schedulers[0].last_epoch < last:", "        for scheduler in schedulers:", "            scheduler.step()  # the next step's learning rate"]
    elif config.schedule != "constant":
        body += ["    for scheduler in schedulers:", "        scheduler.step()  # the next step's learning rate"]
    return [f"for step in range({config.steps}):", *body]


def _surface(scenario: Scenario, config: RunConfig, start: tuple[float, float] | None) -> list[str]:
    surface = scenario.surface
    assert surface is not None
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
        *_optimizer(config, "[p]", surface=True),
        "",
    ]
    loss_code = ["x, y = p.reshape(2)", "loss = f(x, y)"]
    lines += _loop(config, [], loss_code, "[p]", spec.needs_closure)
    lines += [
        "",
        "x, y = p.detach().reshape(2)",
        "print(f'final point: ({x.item()!r}, {y.item()!r})')",
        "print(f'final loss: {f(x, y).item()!r}')",
    ]
    return lines


def _dataset(scenario: Scenario, config: RunConfig) -> list[str]:
    spec = get_optimizer(config.optimizer)
    pts = scenario.points()
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
    lines += [
        f"torch.manual_seed({config.seed})  # the initial weights",
        "model = nn.Sequential(" + ", ".join(layers) + ")",
        *_optimizer(config, "model.parameters()", surface=False),
        "",
    ]
    assert config.loss is not None
    loss_code = LOSS_CODE[(scenario.kind, config.loss)]
    size = config.batch_size
    if 0 < size < len(pts.train_x):
        lines += [
            f"batches = torch.Generator().manual_seed({config.seed})  # the minibatches' order",
            "order, cursor = None, 0",
            "",
        ]
        draw = [
            f"if order is None or cursor + {size} > len(X):",
            "    order, cursor = torch.randperm(len(X), generator=batches), 0  # a new epoch",
            f"batch = order[cursor : cursor + {size}]",
            f"cursor += {size}",
            "inputs, target = X[batch], Y[batch]",
        ]
    else:
        draw = ["inputs, target = X, Y  # the whole training set"]
    lines += _loop(config, draw, ["output = model(inputs)", f"loss = {loss_code}"], "model.parameters()", spec.needs_closure)
    lines += [
        "",
        "with torch.no_grad():",
        "    output, target = model(X), Y",
        f"    loss = {loss_code.split('  #')[0]}",
        "print(f'final loss: {loss.item()!r}')",
    ]
    return lines
