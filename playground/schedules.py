"""The learning-rate schedule registry: torch.optim.lr_scheduler's schedules as the playground
offers them, with their parameters. The CLI, the TUI, scenario files and the engine read this.

A schedule scales the learning rate step by step. The run's `lr` stays the one figure a person
sets: the starting rate for step, exponential and cosine, and the peak for one-cycle. Parameters
that count steps default to the run's step budget (0 = "the budget").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground.errors import ConfigError, closest
from playground.fields import Field, checked


@dataclass(frozen=True)
class ScheduleSpec:
    name: str  # what people type
    torch_name: str  # the class in torch.optim.lr_scheduler ("" for constant)
    params: tuple[Field, ...]
    summary: str

    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def param_named(self, name: str) -> Field:
        for p in self.params:
            if p.name == name:
                return p
        if not self.params:
            raise ConfigError(name, f"schedule {self.name} has no parameters")
        raise ConfigError(name, f"schedule {self.name} has no parameter {name!r} ({closest(name, self.names())})")

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        """Every parameter, checked, with defaults filled in; ConfigError names the wrong one."""
        for key in params:
            self.param_named(key)
        return checked(self.params, params)

    def build(self, optimizer: Any, params: dict[str, Any], budget: int) -> Any:
        """The torch scheduler for `optimizer`, or None for a constant rate."""
        if not self.torch_name:
            return None
        from torch.optim import lr_scheduler

        from playground import torch_internals

        kwargs = self.in_force(params, budget)
        if self.name == "onecycle":
            kwargs["max_lr"] = [g["lr"] for g in optimizer.param_groups]
            kwargs["cycle_momentum"] = False  # never touch the momentum a person set
        scheduler = getattr(lr_scheduler, self.torch_name)(optimizer, **kwargs)
        torch_internals.scheduler_built(optimizer)
        return scheduler

    @property
    def budget_param(self) -> str | None:
        """The parameter (a length in steps) whose 0 means the run's step budget, if any."""
        return BUDGET_PARAMS.get(self.name)

    def in_force(self, params: dict[str, Any], budget: int) -> dict[str, Any]:
        """`params` as torch gets them: a length of 0 becomes the step budget (at least 1)."""
        out = dict(params)
        key = self.budget_param
        if key is not None and not out.get(key):
            out[key] = max(1, budget)
        return out

    def describe(self, params: dict[str, Any], budget: int | None = None) -> str:
        """'cosine T_max=0 eta_min=0': the form the CLI and a run spec take; with `budget`, the
        numbers in force ('T_max=500', where 0 means the budget)."""
        shown = [f"{k}={_show(v)}" for k, v in (params if budget is None else self.in_force(params, budget)).items()]
        return " ".join([self.name, *shown])


def _show(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


_STEPS = "steps; 0 = the run's step budget"
BUDGET_PARAMS = {"cosine": "T_max", "onecycle": "total_steps"}  # a length whose 0 is the budget

SCHEDULES: dict[str, ScheduleSpec] = {
    s.name: s
    for s in (
        ScheduleSpec("constant", "", (), "the same learning rate at every step"),
        ScheduleSpec(
            "step",
            "StepLR",
            (
                Field("step_size", 100, "int", low=1, help="steps between two cuts of the rate"),
                Field("gamma", 0.5, low=0.0, low_open=True, help="the factor each cut multiplies the rate by"),
            ),
            "multiplies the rate by gamma every step_size steps",
        ),
        ScheduleSpec(
            "exponential",
            "ExponentialLR",
            (Field("gamma", 0.99, low=0.0, low_open=True, help="the factor applied after every step"),),
            "multiplies the rate by gamma after every step",
        ),
        ScheduleSpec(
            "cosine",
            "CosineAnnealingLR",
            (
                Field("T_max", 0, "int", low=0, help=f"length of the half cosine in {_STEPS}"),
                Field("eta_min", 0.0, low=0.0, help="the rate at the end of the half cosine"),
            ),
            "glides the rate down along half a cosine to eta_min over T_max steps",
        ),
        ScheduleSpec(
            "onecycle",
            "OneCycleLR",
            (
                Field("total_steps", 0, "int", low=0, help=f"length of the cycle in {_STEPS}"),
                Field("pct_start", 0.3, low=0.0, high=1.0, low_open=True, high_open=True, help="share of the cycle spent warming up"),
                Field("div_factor", 25.0, low=0.0, low_open=True, help="the start rate is lr / div_factor"),
                Field("final_div_factor", 1e4, low=0.0, low_open=True, help="the end rate is the start rate / final_div_factor"),
                Field("anneal_strategy", "cos", "choice", choices=("cos", "linear"), help="the shape of the warm-up and the cool-down"),
            ),
            "warms the rate up to lr, then cools it far below the start (lr is the peak)",
        ),
    )
}

ALIASES = {"one-cycle": "onecycle", "one_cycle": "onecycle", "none": "constant", "cos": "cosine", "exp": "exponential"}


def get_schedule(name: str) -> ScheduleSpec:
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key in SCHEDULES:
        return SCHEDULES[key]
    raise ConfigError("schedule", f"unknown schedule {name!r} ({closest(key, list(SCHEDULES))})")


def parse_schedule(text: str) -> tuple[str, dict[str, Any]]:
    """'step step_size=50 gamma=0.3' -> ("step", {"step_size": 50, "gamma": 0.3}), checked."""
    words = text.split()
    if not words:
        raise ConfigError("schedule", "empty; name one of " + ", ".join(SCHEDULES))
    spec = get_schedule(words[0])
    params: dict[str, Any] = {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if not sep:
            raise ConfigError("schedule", f"{word!r} is not NAME=VALUE")
        hyper = spec.param_named(key.strip())
        try:
            params[hyper.name] = hyper.parse(value)
        except ValueError as exc:
            raise ConfigError(key.strip(), str(exc)) from None
    return spec.name, spec.validate(params)
