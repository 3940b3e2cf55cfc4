"""What the playground knows of one optimizer: its class, its settings (fields.Field), what it
is and when people choose it, and how to build it. The registry (optimizers.py) and the zoo
(zoo.py) make their entries with this class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playground.errors import ConfigError
from playground.fields import Field, checked
from playground.install import install_command


@dataclass(frozen=True)
class OptimizerSpec:
    """One torch.optim optimizer as the playground offers it."""

    name: str  # what people type: "sgd", "adam"
    torch_name: str  # the class in torch.optim
    hyper: tuple[Field, ...]
    summary: str  # one line: what it is
    rule: str  # the update rule, in plain text
    when: str  # when people choose it
    needs_closure: bool = False
    per_coordinate: bool = True  # False where a step mixes coordinates (LBFGS, Adafactor)
    matrix_only: bool = False  # takes 2-D parameters only (Muon): a surface's point is one 1×2 matrix
    # on a network, the optimizer of the parameters this one does not take (Muon: AdamW for the
    # biases and the first and last layers); its settings are in `hyper` as PARTNER_NAME
    partner: str = ""
    library: str = "torch.optim"  # the module whose class it is (playground.zoo: pytorch_optimizer)
    train_eval: bool = False  # needs optimizer.train() to step and .eval() to evaluate (Schedule-Free)
    # torch's multi-tensor ("foreach") version does the same arithmetic on every element as the
    # plain loop, so the numbers are the same to the bit (tests/unit/test_engine.py checks): one
    # call for all of a model's tensors instead of one each. Not so for every optimizer: NAdam's,
    # RAdam's and ASGD's multi-tensor versions round differently.
    foreach: bool = False

    def hyper_named(self, name: str) -> Field:
        for h in self.hyper:
            if h.name == name:
                return h
        raise ConfigError(
            name, f"{self.name} has no hyperparameter {name!r}; it accepts {', '.join(self.names())}"
        )

    def names(self) -> list[str]:
        return [h.name for h in self.hyper]

    def defaults(self) -> dict[str, Any]:
        return {h.name: h.default for h in self.hyper}

    def own(self, hyper: dict[str, Any]) -> dict[str, Any]:
        """This optimizer's own settings of `hyper`, under torch's names (no partner's, and not
        which parameters it takes: the keywords of its class)."""
        mine = {h.name for h in self.hyper if not h.group and not h.takes}
        return {k: v for k, v in hyper.items() if k in mine}

    def partners(self, hyper: dict[str, Any]) -> dict[str, Any]:
        """The partner's settings of `hyper`, under the partner's own torch names (lr, betas, ...)."""
        prefix = f"{self.partner}_"
        theirs = {h.name for h in self.hyper if h.group}
        return {k.removeprefix(prefix): v for k, v in hyper.items() if k in theirs}

    def shown(self, surface: bool) -> tuple[Field, ...]:
        """The settings that apply: a partner's, and which parameters it takes, only on a network."""
        return tuple(h for h in self.hyper if h.applies_on_surface or not surface)

    @property
    def zoo(self) -> bool:
        return self.library != "torch.optim"

    @property
    def label(self) -> str:
        """Its name in a picker: the class, and the zoo's marked as pytorch-optimizer's (and as
        needing the extra while it is not installed)."""
        if not self.zoo:
            return self.torch_name
        return f"{self.torch_name} (pytorch-optimizer)" if self.available() else f"{self.torch_name} (needs the zoo extra)"

    def available(self) -> bool:
        """Whether its library is installed (torch's always is)."""
        import importlib.util

        return not self.zoo or importlib.util.find_spec(self.library) is not None

    def require(self) -> None:
        """ConfigError saying how to install the library when it is missing."""
        if not self.available():
            raise ConfigError("optimizer", f"{self.name} ({self.torch_name}) comes from the pytorch-optimizer package, which is not installed: {install_command()}")

    def optimizer_class(self) -> Any:
        import importlib

        return getattr(importlib.import_module(self.library), self.torch_name)

    def build(self, params: Any, hyper: dict[str, Any]) -> Any:
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in self.own(hyper).items()}
        if self.foreach:
            kwargs["foreach"] = True
        optimizer = self.optimizer_class()(params, **kwargs)
        if self.train_eval:
            optimizer.train()  # steps are taken in train mode; evaluation switches to eval
        return optimizer

    def validate(self, hyper: dict[str, Any]) -> dict[str, Any]:
        """Check a full set of values together (e.g. Nesterov needs momentum); ConfigError if wrong."""
        out = checked(self.hyper, hyper)
        if out.get("nesterov") and (out.get("momentum", 0) <= 0 or out.get("dampening", 0) != 0):
            raise ConfigError("nesterov", "Nesterov needs momentum > 0 and dampening = 0")
        if self.name == "rprop":
            lo, hi = out["etas"]
            if not (0 < lo < 1 < hi):
                raise ConfigError("etas", f"etas must satisfy 0 < {lo:g} < 1 < {hi:g}")
            if out["step_sizes"][0] > out["step_sizes"][1]:
                raise ConfigError("step_sizes", "the smallest step size is larger than the largest")
        return out
