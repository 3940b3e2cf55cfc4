"""What the playground teaches about each optimizer and loss, written once: the `i` screen shows
it with the values in use, `playground explain NAME` prints it with torch's defaults.

The texts themselves live beside the things they describe (optimizers.py, losses.py); this module
puts them together as Markdown, which Rich draws in the app and on the command line alike.
"""

from __future__ import annotations

import io
import re
from typing import Any, ClassVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import Heading, Markdown

from playground.errors import ConfigError, closest
from playground.formatting import setting
from playground.losses import LOSSES, LossSpec, get_loss
from playground.optimizers import OPTIMIZERS, OptimizerSpec, get_optimizer

# the letters every rule uses, on every screen (the inside-the-optimizer panel says the same)
LETTERS = "p is a parameter, g its gradient"
STEP_COUNT = "t the step count (from 1)"
PER_COORDINATE = "Every operation is per coordinate: each number in p moves by its own rule."
NOT_PER_COORDINATE = {
    "lbfgs": "Unlike the other optimizers, L-BFGS mixes coordinates: its direction comes from the whole gradient and the past moves at once.",
    "muon": "Not every operation is per coordinate: the update is orthogonalised as a whole matrix (Newton–Schulz), which mixes its entries.",
    "adafactor": "Not every operation is per coordinate: the step's size comes from the RMS of the whole parameter and of the whole update, and a matrix's v from its row and column means.",
    "prodigy": "Not every operation is per coordinate: one estimate d, from sums over every coordinate of every parameter, sets all the steps' size.",
    "soap": "Not every operation is per coordinate: a matrix's gradient is rotated into the eigenvectors of L and R, which mixes its entries (a vector is per coordinate unless precondition_1d).",
}


def optimizer_text(spec: OptimizerSpec, values: dict[str, Any] | None = None) -> str:
    """The optimizer's explanation in Markdown; `values` the hyperparameters in use (else torch's defaults)."""
    values = spec.defaults() if values is None else values
    letters = LETTERS + (f", {STEP_COUNT}" if re.search(r"(?<![A-Za-z_])t(?![A-Za-z_(])", spec.rule) else "")
    lines = [
        f"# {spec.torch_name}  (`{spec.library}.{spec.torch_name}`" + (", from the pytorch-optimizer package: the zoo)" if spec.zoo else ")"),
        "",
        spec.summary,
        "",
        "```text",
        spec.rule,
        "```",
        "",
        f"{letters}. {PER_COORDINATE if spec.per_coordinate else NOT_PER_COORDINATE[spec.name]}",
        "",
        "| hyperparameter | value | what it does |",
        "|---|---|---|",
    ]
    for h in spec.hyper:
        lines.append(f"| {h.name} | {setting(values.get(h.name, h.default))} | {h.help} |")
    lines += ["", f"**When to choose it.** {spec.when}"]
    return "\n".join(lines)


def loss_text(loss: LossSpec) -> str:
    return "\n".join(
        [
            f"# {loss.torch_name}  (`torch.nn.{loss.torch_name}`, {loss.kind})",
            "",
            loss.summary,
            "",
            "```text",
            loss.rule,
            "```",
            "",
            f"**When to choose it.** {loss.when}",
        ]
    )


def explain(kind: str, optimizer: str, hyper: dict[str, Any], loss: str | None) -> str:
    """The `i` screen: the optimizer and the loss in use."""
    parts = [optimizer_text(get_optimizer(optimizer), hyper)]
    if loss:
        parts.append(loss_text(get_loss(kind, loss)))
    else:
        parts.append("# Loss\n\nOn a surface the function itself is the loss: each step follows its gradient at the current point.")
    return "\n\n".join(parts)


def names() -> list[str]:
    """Everything `playground explain NAME` knows: the optimizers, then the losses."""
    losses = sorted({name for table in LOSSES.values() for name in table})
    return [*OPTIMIZERS, *losses]


def text_for(name: str) -> str:
    """`playground explain NAME`: an optimizer with its defaults, or a loss (each kind it has)."""
    key = name.strip().lower()
    if key in OPTIMIZERS:
        return optimizer_text(OPTIMIZERS[key])
    found = [loss_text(table[key]) for table in LOSSES.values() if key in table]
    if found:
        return "\n\n".join(found)
    raise ConfigError("NAME", f"nothing called {name!r} to explain ({closest(key, names())})")


def index() -> str:
    """`playground explain`: the names, each with its one-line summary."""
    width = max(len(n) for n in names())
    lines = ["Optimizers (torch.optim):"]
    lines += [f"  {spec.name:<{width}}  {spec.summary}" for spec in OPTIMIZERS.values() if not spec.zoo]
    lines += ["", "Optimizers from the pytorch-optimizer package (the zoo extra):"]
    lines += [f"  {spec.name:<{width}}  {spec.summary}" for spec in OPTIMIZERS.values() if spec.zoo]
    lines += ["", "Losses (torch.nn):"]
    seen: set[str] = set()
    for kind, table in LOSSES.items():
        for loss in table.values():
            label = f"{loss.summary} ({kind})"
            lines.append(f"  {loss.name if loss.name not in seen else '':<{width}}  {label}")
            seen.add(loss.name)
    lines += ["", "playground explain NAME prints the explanation the app shows on `i`."]
    return "\n".join(lines)


class _Heading(Heading):
    """Headings at the left, as the rest of the app has them (Rich centres the first level)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        text = self.text.copy()
        text.justify = "left"
        yield text


class Page(Markdown):
    """A page of Markdown as the app and the command line draw it."""

    elements: ClassVar = {**Markdown.elements, "heading_open": _Heading}

    def __init__(self, source: str) -> None:
        super().__init__(source, code_theme="ansi_dark", inline_code_theme="ansi_dark")


def render_plain(source: str, width: int) -> str:
    """The page as plain text `width` columns wide (the command line, a pipe, a test)."""
    console = Console(width=width, color_system=None, force_terminal=False, highlight=False, record=True, file=io.StringIO())
    console.print(Page(source))
    return "\n".join(line.rstrip() for line in console.export_text(styles=False).splitlines()) + "\n"
