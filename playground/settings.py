"""What a run is set to: the optimizer with every hyperparameter resolved, loss, seed, batch size.

Each hyperparameter comes from, in order: what the person set (flags, fields); the scenario's
[defaults.OPTIMIZER] table; the [defaults] keys that this optimizer accepts; torch's default.
The [defaults] lr is the rate of the optimizer the scenario starts with, not of every optimizer:
rates differ by orders between optimizers (SGD's 0.001 on rosenbrock leaves LBFGS crawling, whose
own is 1), so another optimizer without a [defaults.OPTIMIZER] lr starts from its library's default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from playground import limits
from playground.errors import ConfigError
from playground.fields import RUN, Field
from playground.formatting import setting as format_value
from playground.losses import get_loss
from playground.optimizers import get_optimizer, muon_matrices
from playground.schedules import get_schedule, parse_schedule

if TYPE_CHECKING:
    from playground.optimizers import OptimizerSpec
    from playground.scenario import Scenario


@dataclass(frozen=True)
class RunConfig:
    optimizer: str
    hyper: dict[str, Any] = field(default_factory=dict)  # every hyperparameter, torch's keyword names
    loss: str | None = None  # None on surfaces
    seed: int = 0
    batch_size: int = 0  # 0 = full batch
    steps: int = 500  # the budget: where auto-run stops by itself and what `run` does
    schedule: str = "constant"  # playground.schedules: how the lr moves from step to step
    schedule_params: dict[str, Any] = field(default_factory=dict)  # every parameter, resolved
    clip: float = 0.0  # clip the gradient's norm to this before each update (0 = off)

    def minibatch(self, samples: int) -> int:
        """The minibatch a step draws from `samples` training points, or 0: the whole set each
        step (a batch size of 0, or as large as the set)."""
        return self.batch_size if 0 < self.batch_size < samples else 0


def resolve(
    scenario: Scenario,
    optimizer: str | None = None,
    hyper: dict[str, Any] | None = None,
    loss: str | None = None,
    seed: int | None = None,
    batch_size: int | None = None,
    steps: int | None = None,
    schedule: str | None = None,
    clip: float | None = None,
) -> RunConfig:
    """Build a checked RunConfig; ConfigError names the setting that is wrong. `schedule` is
    the CLI's form, 'NAME [PARAM=VALUE ...]'; without it the scenario's schedule applies."""
    base = _resolve(scenario, optimizer, hyper, loss, seed, batch_size, steps)
    d = scenario.defaults
    if schedule is None:
        name, params = d.schedule, get_schedule(d.schedule).validate(d.schedule_params)
    else:
        name, params = parse_schedule(schedule)
    clip = d.clip if clip is None else clip
    return replace(base, schedule=name, schedule_params=params, clip=_within("clip", clip))


def _resolve(
    scenario: Scenario,
    optimizer: str | None,
    hyper: dict[str, Any] | None,
    loss: str | None,
    seed: int | None,
    batch_size: int | None,
    steps: int | None,
) -> RunConfig:
    d = scenario.defaults
    spec = get_optimizer(optimizer or d.optimizer)
    spec.require()  # a zoo optimizer without its package: how to install it
    explicit = dict(hyper or {})
    accepted = spec.names()
    for key in explicit:
        if key not in accepted:
            raise ConfigError(key, f"{spec.name} does not take {key}; it accepts {', '.join(accepted)}")
    values = spec.defaults()
    values.update({k: v for k, v in d.hyper.items() if k in accepted and k != "lr"})  # the scenario's shared keys
    if "lr" in values:
        values["lr"] = scenario_lr(scenario, spec)[0]
    values.update(d.per_optimizer.get(spec.name, {}))
    values.update(explicit)
    if "nesterov" in values and "nesterov" not in explicit and values["nesterov"]:
        # Nesterov inherited from the scenario switches off where it cannot apply (momentum 0)
        if values.get("momentum", 0) <= 0 or values.get("dampening", 0) != 0:
            values["nesterov"] = False
    values = spec.validate(values)
    if "matrices" in values and values["matrices"] is None and scenario.model is not None:
        values["matrices"] = muon_matrices(len(scenario.model.hidden))  # said in the panel and the JSON
    if scenario.kind == "surface":
        if loss:
            raise ConfigError("loss", "a surface is its own loss; no loss can be chosen")
        loss_name = None
        if batch_size:
            raise ConfigError("batch_size", "a surface has no data to batch")
    else:
        loss_name = get_loss(scenario.kind, loss or d.loss or "").name
    seed = d.seed if seed is None else seed
    seed = _within("seed", seed)
    batch_size = _within("batch_size", d.batch_size if batch_size is None else batch_size)
    steps = _within("steps", d.steps if steps is None else steps)
    return RunConfig(spec.name, values, loss_name, seed, batch_size, steps)


def _starts_with(scenario: Scenario) -> str:
    try:
        return get_optimizer(scenario.defaults.optimizer).name
    except ConfigError:
        return scenario.defaults.optimizer


def scenario_lr(scenario: Scenario, spec: OptimizerSpec) -> tuple[float, str | None]:
    """The lr `scenario` gives `spec` (which takes one), and the table it is in: its
    [defaults.NAME]; its [defaults], for the optimizer it starts with; else None, the library's
    default."""
    d = scenario.defaults
    if "lr" in d.per_optimizer.get(spec.name, {}):
        return d.per_optimizer[spec.name]["lr"], f"{scenario.name}'s [defaults.{spec.name}]"
    if "lr" in d.hyper and _starts_with(scenario) == spec.name:
        return d.hyper["lr"], f"{scenario.name}'s [defaults]"
    return spec.defaults()["lr"], None


def lr_origin(scenario: Scenario, config: RunConfig, library_only: bool = False) -> str | None:
    """Where the run's lr came from, when nothing else set it: "rosenbrock's [defaults.adam]",
    "rosenbrock's [defaults]", "torch's default for LBFGS"; None where the lr is not the one the
    scenario gives this optimizer (the person, a lesson or a lane set it), and with
    `library_only` where it is the scenario's own."""
    spec = get_optimizer(config.optimizer)
    if "lr" not in spec.names():
        return None
    lr, table = scenario_lr(scenario, spec)
    if config.hyper.get("lr") != lr or (table is not None and library_only):
        return None
    return table or f"{'pytorch-optimizer' if spec.zoo else 'torch'}'s default for {spec.torch_name}"


def _within(name: str, value: Any, typed: bool = False) -> Any:
    """`value` of the run's own setting `name` within its limit (fields.RUN); `typed`: text.
    The ConfigError names the setting."""
    return limits.setting(name, RUN[name].limit, value, typed)


SCHEDULE_PREFIX = "sched-"  # a schedule parameter's key, apart from an optimizer's (gamma): sched-gamma


@dataclass(frozen=True)
class Setting:
    """One field of the settings panel: its key (the panel's and the session's name for it), the
    Field that reads it, and where in a RunConfig its value lives: "hyper" (the optimizer's),
    "schedule" (the schedule's parameters) or "run" (steps, seed, batch size, clip)."""

    key: str
    field: Field
    where: str
    label: str

    @property
    def name(self) -> str:
        """What a message calls it: the Field's own name (gamma, not sched-gamma)."""
        return self.field.name

    def value(self, config: RunConfig) -> Any:
        """Its value in `config`."""
        name = self.field.name
        if self.where == "schedule":
            return config.schedule_params.get(name, self.field.default)
        if self.where == "run":
            return getattr(config, name)
        return config.hyper.get(name)

    def put(self, config: RunConfig, typed: str | bool) -> RunConfig:
        """`config` with this setting as a person typed it (or switched it): ConfigError or
        ValueError says why not."""
        name = self.field.name
        value = typed if isinstance(typed, bool) else self.field.parse(str(typed).strip() or self.field.blank)
        if self.where == "schedule":
            spec = get_schedule(config.schedule)
            return replace(config, schedule_params=spec.validate({**config.schedule_params, name: value}))
        if self.where == "run":
            return replace(config, **{name: value})
        return replace(config, hyper=get_optimizer(config.optimizer).validate({**config.hyper, name: value}))


def setting(config: RunConfig, key: str) -> Setting:
    """The settings field `key` of a run set to `config`: the one place that decides which kind
    of setting a key is. ConfigError when `config` has no such setting."""
    if key.startswith(SCHEDULE_PREFIX):
        spec = get_schedule(config.schedule)
        f = spec.param_named(key.removeprefix(SCHEDULE_PREFIX))
        return Setting(key, f, "schedule", f"{f.name} (0 = the step budget)" if f.name == spec.budget_param else f.name)
    if key in RUN:
        return Setting(key, RUN[key], "run", RUN[key].label)
    f = get_optimizer(config.optimizer).hyper_named(key)
    return Setting(key, f, "hyper", f.label or f.name)


def spoken(key: str) -> str:
    """A settings key as a message names it (gamma for sched-gamma)."""
    return key.removeprefix(SCHEDULE_PREFIX)


def panel_settings(config: RunConfig, surface: bool) -> dict[str, list[Setting]]:
    """The settings panel's boxes of fields for a run set to `config`: the optimizer's (a
    partner's, and which parameters it takes, only on a network), the run's own (a surface has no
    seed or batches) and the schedule's."""
    spec = get_optimizer(config.optimizer)
    schedule = get_schedule(config.schedule)
    return {
        "hyper": [setting(config, f.name) for f in spec.shown(surface)],
        "run": [setting(config, name) for name, f in RUN.items() if f.applies_on_surface or not surface],
        "schedule": [setting(config, SCHEDULE_PREFIX + p.name) for p in schedule.params],
    }


RUN_STRING_KEYS = ("loss", "seed", "batch_size", "clip", "schedule")  # what a run string sets beside the optimizer's hyperparameters


def parse_run(scenario: Scenario, text: str, steps: int | None = None) -> RunConfig:
    """A run written out in one string, as `compare --run` takes it:
    'OPTIMIZER [NAME=VALUE ...]', where NAME is one of the optimizer's hyperparameters, loss,
    seed, batch_size, clip, schedule, or a parameter of the schedule ('sgd lr=0.1
    schedule=step step_size=50'). ConfigError names the word that is wrong.

    A lane is what its text says: a hyperparameter it leaves out is torch's default, so 'sgd'
    is plain SGD even where the scenario starts with momentum; only lr, when left out, comes
    from the scenario (its rate for this optimizer), and so do loss, seed and batch size. No
    schedule and no clipping unless written."""
    from playground.schedules import SCHEDULES

    words = text.split()
    if not words:
        raise ConfigError("run", "empty; write an optimizer and its settings, e.g. 'adam lr=0.05'")
    spec = get_optimizer(words[0])
    hyper: dict[str, Any] = {}
    fields: dict[str, str] = {}
    schedule_words: list[str] = []
    schedule_params = {p.name for s in SCHEDULES.values() for p in s.params}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(word, "is not NAME=VALUE")
        if key in hyper or key in fields:
            raise ConfigError(key, "is set twice")
        if key in spec.names():
            try:
                hyper[key] = spec.hyper_named(key).parse(value)
            except ValueError as exc:
                raise ConfigError(key, str(exc)) from None
        elif key in RUN_STRING_KEYS:
            fields[key] = value
        elif key in schedule_params:
            schedule_words.append(word)
        else:
            from playground.errors import closest

            named = SCHEDULES.get(fields.get("schedule", "").strip().lower())
            known = [*spec.names(), *RUN_STRING_KEYS, *(named.names() if named else sorted(schedule_params))]
            raise ConfigError(key, f"{spec.name} has no setting {key!r} ({closest(key, known)})")
    if schedule_words and "schedule" not in fields:
        raise ConfigError(schedule_words[0].partition("=")[0], "is a schedule's parameter: add schedule=NAME")
    schedule = " ".join([fields["schedule"], *schedule_words]) if "schedule" in fields else None

    def read(name: str) -> Any:
        return _within(name, fields[name], typed=True) if name in fields else None

    clip = read("clip")
    torch_defaults = {k: v for k, v in spec.defaults().items() if k != "lr"}
    return resolve(
        scenario,
        optimizer=spec.name,
        hyper={**torch_defaults, **hyper},
        loss=fields.get("loss"),
        seed=read("seed"),
        batch_size=read("batch_size"),
        steps=steps,
        schedule=schedule or "constant",
        clip=clip or 0.0,
    )


def describe(config: RunConfig, exact: bool = False) -> str:
    """The run as one string that parse_run reads back: only what differs from torch's defaults
    (and always lr), so a legend stays short; `exact`: every number to the last digit (a file)."""
    from playground.schedules import get_schedule

    def _word(v: Any) -> str:
        if exact and isinstance(v, float):
            return repr(v)
        if exact and isinstance(v, (tuple, list)):
            return ",".join(_word(x) for x in v)
        return format_value(v)

    spec = get_optimizer(config.optimizer)
    torch_defaults = spec.defaults()
    words = [spec.name]
    for k, v in config.hyper.items():
        if k == "lr" or v != torch_defaults.get(k):
            words.append(f"{k}={_word(v)}")
    if config.clip:
        words.append(f"clip={_word(config.clip)}")
    if config.schedule != "constant":
        sched = get_schedule(config.schedule)
        words.append(f"schedule={sched.name}")
        words += [f"{k}={_word(v)}" for k, v in config.schedule_params.items() if v != sched.param_named(k).default]
    return " ".join(words)



