"""Two torch optimizers stepped as one, for an optimizer that takes only part of a network: Muon
updates the weight matrices between hidden layers, and AdamW the rest (the biases, the first
layer's and the last layer's weights), as Keller Jordan advises for Muon; or, where there is
no such matrix or `matrices` says so, Muon every weight matrix and AdamW the biases.

`Pair` is a torch Optimizer whose parameter groups are the two optimizers' own group dicts (so a
learning-rate schedule built on it, and a changed setting, reach them), whose state is both
states, and whose step is both steps. Each optimizer's arithmetic is its own: the pair equals
the plain loop that steps the two of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from torch import nn

from playground.errors import ConfigError


class Pair(torch.optim.Optimizer):
    def __init__(self, first: torch.optim.Optimizer, second: torch.optim.Optimizer, steps: tuple[Callable[..., Any], Callable[..., Any]]) -> None:
        # not Optimizer.__init__: the groups and the state are the two optimizers' own
        self.parts = (first, second)
        self._steps = steps  # each one's step (playground.torch_internals.plain_step)
        self.defaults = {}
        self.param_groups = [*first.param_groups, *second.param_groups]
        self.state = States(first.state, second.state)  # type: ignore[assignment]
        self.firsts = len(first.param_groups)  # groups [0, firsts) are the first optimizer's

    def step(self, closure: Any = None) -> Any:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for step in self._steps:
            step()
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        for part in self.parts:
            part.zero_grad(set_to_none)

    def __repr__(self) -> str:
        return f"Pair({type(self.parts[0]).__name__}, {type(self.parts[1]).__name__})"


class States(Mapping):
    """Both optimizers' states, read as one. Not a ChainMap: a torch state is a defaultdict,
    which would make an empty entry for every parameter looked up in the wrong one."""

    def __init__(self, *states: Mapping[Any, Any]) -> None:
        self.states = states

    def __getitem__(self, p: Any) -> Any:
        for state in self.states:
            if p in state:
                return state[p]
        raise KeyError(p)

    def __iter__(self) -> Iterator[Any]:
        for state in self.states:
            yield from state

    def __len__(self) -> int:
        return sum(len(state) for state in self.states)


def split(model: nn.Sequential, name: str, torch_name: str, matrices: str = "hidden") -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """(the weight matrices the optimizer takes, every other parameter) of an MLP: `matrices`
    "hidden", those between hidden layers (ConfigError where there is none: one hidden layer or
    none); "all", every layer's weight matrix, the biases left to the partner."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    taken = [m.weight for m in (linears if matrices == "all" else linears[1:-1])]
    if not taken:
        layers = "no hidden layer" if len(linears) == 1 else "one hidden layer"
        raise ConfigError(
            "matrices",
            f"{torch_name} takes the weight matrices between hidden layers (matrices = hidden), and this model has {layers}, "
            "so none; set matrices to all (every weight matrix), or give [model] hidden two layers or more",
        )
    chosen = {id(p) for p in taken}
    return taken, [p for p in model.parameters() if id(p) not in chosen]
