"""The explanation screen (`i`): how the selected optimizer and loss work, and the values in use."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from playground.losses import get_loss
from playground.optimizers import get_optimizer
from playground.screens.page import Page
from playground.settings import RunConfig
from playground.widgets.controls import format_value


def explain(kind: str, config: RunConfig) -> str:
    spec = get_optimizer(config.optimizer)
    lines = [
        f"# {spec.torch_name}  (`torch.optim.{spec.torch_name}`)",
        "",
        spec.summary,
        "",
        "```text",
        spec.rule,
        "```",
        "",
        "g is the gradient, p a parameter, t the step count; every operation is per coordinate.",
        "",
        "| hyperparameter | now | what it does |",
        "|---|---|---|",
    ]
    for h in spec.hyper:
        lines.append(f"| `{h.name}` | {format_value(config.hyper.get(h.name))} | {h.help} |")
    lines += ["", f"**When to choose it.** {spec.when}", ""]
    if config.loss:
        loss = get_loss(kind, config.loss)
        lines += [
            f"# {loss.torch_name}  (`torch.nn.{loss.torch_name}`)",
            "",
            loss.summary,
            "",
            "```text",
            loss.rule,
            "```",
            "",
            f"**When to choose it.** {loss.when}",
        ]
    else:
        lines += ["# Loss", "", "On a surface the function itself is the loss: each step follows its gradient at the current point."]
    lines += ["", "Press `escape` to close."]
    return "\n".join(lines)


class InfoScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "close", priority=True),
        Binding("i", "dismiss", "close", show=False, priority=True),
    ]

    def __init__(self, kind: str, config: RunConfig) -> None:
        super().__init__()
        self.text = explain(kind, config)

    def action_close(self) -> None:  # q, over the playground, closes this screen (the app's quit)
        self.dismiss()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="info-body"):
            yield Page(self.text)
