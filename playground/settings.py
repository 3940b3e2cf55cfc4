"""What a run is set to: the optimizer with every hyperparameter resolved, loss, seed, batch size.

Each hyperparameter comes from, in order: what the person set (flags, fields); the scenario's
[defaults.OPTIMIZER] table; the [defaults] keys that this optimizer accepts; torch's default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from playground.errors import ConfigError
from playground.losses import get_loss
from playground.optimizers import get_optimizer

MAX_SEED = 2**32 - 1  # what a scenario file allows; torch.manual_seed overflows past 2**64

if TYPE_CHECKING:
    from playground.scenarios import Scenario


@dataclass(frozen=True)
class RunConfig:
    optimizer: str
    hyper: dict[str, Any] = field(default_factory=dict)  # every hyperparameter, torch's keyword names
    loss: str | None = None  # None on surfaces
    seed: int = 0
    batch_size: int = 0  # 0 = full batch
    steps: int = 500  # the budget: where auto-run stops by itself and what `run` does

    def with_hyper(self, **changes: Any) -> RunConfig:
        return replace(self, hyper={**self.hyper, **changes})


def resolve(
    scenario: Scenario,
    optimizer: str | None = None,
    hyper: dict[str, Any] | None = None,
    loss: str | None = None,
    seed: int | None = None,
    batch_size: int | None = None,
    steps: int | None = None,
) -> RunConfig:
    """Build a checked RunConfig; ConfigError names the setting that is wrong."""
    d = scenario.defaults
    spec = get_optimizer(optimizer or d.optimizer)
    explicit = dict(hyper or {})
    accepted = spec.names()
    for key in explicit:
        if key not in accepted:
            raise ConfigError(key, f"{spec.name} does not take {key}; it accepts {', '.join(accepted)}")
    values = spec.defaults()
    values.update({k: v for k, v in d.hyper.items() if k in accepted})
    values.update(d.per_optimizer.get(spec.name, {}))
    values.update(explicit)
    if "nesterov" in values and "nesterov" not in explicit and values["nesterov"]:
        # Nesterov inherited from the scenario switches off where it cannot apply (momentum 0)
        if values.get("momentum", 0) <= 0 or values.get("dampening", 0) != 0:
            values["nesterov"] = False
    values = spec.validate(values)
    if scenario.kind == "surface":
        if loss:
            raise ConfigError("loss", "a surface is its own loss; no loss can be chosen")
        loss_name = None
        if batch_size:
            raise ConfigError("batch_size", "a surface has no data to batch")
    else:
        loss_name = get_loss(scenario.kind, loss or d.loss or "").name
    seed = d.seed if seed is None else seed
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed <= MAX_SEED:
        raise ConfigError("seed", f"{seed!r} is not a whole number from 0 to {MAX_SEED}")
    batch_size = d.batch_size if batch_size is None else batch_size
    if not isinstance(batch_size, int) or batch_size < 0:
        raise ConfigError("batch_size", f"{batch_size!r} is not a whole number >= 0 (0 = full batch)")
    steps = d.steps if steps is None else steps
    if not isinstance(steps, int) or steps < 0:
        raise ConfigError("steps", f"{steps!r} is not a whole number >= 0")
    return RunConfig(spec.name, values, loss_name, seed, batch_size, steps)
