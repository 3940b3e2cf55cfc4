"""What a scenario is, as read from its file (scenarios.py finds and reads the files): a surface
with its formula and domain, or a dataset with its model, and the defaults a run starts from."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playground.datasets import Points, make_points
from playground.formula import Formula

KINDS = ("surface", "classification", "regression")
# a model's activations: the name in a scenario file -> torch.nn's class (the engine builds it)
ACTIVATIONS = {"tanh": "Tanh", "relu": "ReLU", "sigmoid": "Sigmoid", "gelu": "GELU", "elu": "ELU", "leaky_relu": "LeakyReLU", "identity": "Identity"}


@dataclass(frozen=True)
class Surface:
    formula: Formula
    x: tuple[float, float]
    y: tuple[float, float]
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...] = ()
    levels: str = "auto"  # auto | linear | log: how the map's colours are spaced

    def value(self, x: float, y: float) -> float:
        import numpy as np

        with np.errstate(all="ignore"):
            return float(self.formula.numpy(np.float64(x), np.float64(y)))

    def on_map(self, x: float, y: float) -> bool:
        return self.x[0] <= x <= self.x[1] and self.y[0] <= y <= self.y[1]

    @functools.cached_property
    def lowest_on_map(self) -> float:
        """The least value over the map's domain (a 101 x 101 grid): a run that leaves the map
        below it has fallen away downhill (x^2 - y^2 has no bottom)."""
        import numpy as np

        xs, ys = np.meshgrid(np.linspace(*self.x, 101), np.linspace(*self.y, 101))
        with np.errstate(all="ignore"):
            values = np.broadcast_to(self.formula.numpy(xs, ys), xs.shape)
        finite = values[np.isfinite(values)]
        return float(finite.min()) if finite.size else -math.inf


@dataclass(frozen=True)
class Dataset:
    generator: str
    samples: int = 200
    noise: float = 0.1
    classes: int = 2
    test_fraction: float = 0.0
    seed: int = 0
    path: Path | None = None
    features: tuple[int, ...] = ()  # a real set's columns, in order (empty: all of them)


@dataclass(frozen=True)
class Model:
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "tanh"


@dataclass(frozen=True)
class Defaults:
    optimizer: str = "sgd"
    loss: str | None = None
    steps: int = 500
    batch_size: int = 0
    seed: int = 0
    grad_tolerance: float = 1e-6
    hyper: dict[str, Any] = field(default_factory=dict)  # [defaults] keys that are hyperparameters
    per_optimizer: dict[str, dict[str, Any]] = field(default_factory=dict)  # [defaults.NAME]
    schedule: str = "constant"  # a learning-rate schedule, playground.schedules
    schedule_params: dict[str, Any] = field(default_factory=dict)
    clip: float = 0.0  # clip the gradient's norm to this (0 = no clipping)
    tolerance: float | None = None  # compare: the loss a run must reach (None: relative 1e-6 of the start)


@dataclass(frozen=True)
class Scenario:
    name: str  # the file's stem: what people type
    title: str  # [scenario] name: what the screen shows
    kind: str
    description: str
    source: str  # the path, for messages
    defaults: Defaults
    surface: Surface | None = None
    dataset: Dataset | None = None
    model: Model | None = None
    warnings: tuple[str, ...] = ()  # things worth saying that do not stop a run
    lesson: dict[str, Any] | None = field(default=None, compare=False)  # a [lesson] table, as read (playground.lessons checks it)
    lanes: tuple[str, ...] = ()  # a [race] table: each lane's run as compare --run writes it, checked; the app opens the race
    selected: int = 1  # [race] selected: the lane the app selects (1-based)

    def points(self) -> Points:
        """The dataset's points (generated each call; the engine keeps its own)."""
        assert self.dataset is not None
        d = self.dataset
        return make_points(self.kind, d.generator, d.samples, d.noise, d.classes, d.test_fraction, d.seed, d.path, self.source, d.features)
