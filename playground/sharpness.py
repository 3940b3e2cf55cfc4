"""Sharpness: the largest eigenvalue of the training loss's Hessian at the current parameters.

On a network, by power iteration on Hessian-vector products (double backward: the gradient with
its graph, then the gradient of g·v), never a dense Hessian. Each measurement starts from the
last one's eigenvector, so while training moves slowly a few products suffice. On a surface, the
2×2 Hessian's larger eigenvalue, exactly.

With full-batch gradient descent at learning rate lr, the sharpness rises until it reaches 2/lr
and then swings around it (Cohen et al., "Gradient Descent on Neural Networks Typically Occurs at the
Edge of Stability", ICLR 2021). Measuring reads the parameters only: the gradients the next step
uses, and torch's random state, are left as they were. No UI here."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

import torch

if TYPE_CHECKING:
    from playground.scenarios import Scenario


class Measured(Protocol):
    """All the sharpness reads of a run (an engine.Run): its lock, what it trains, its parameters
    and the loss over them, and a surface's exact curvature."""

    lock: Any
    scenario: Scenario

    @property
    def step_count(self) -> int: ...

    @property
    def parameters(self) -> list[torch.Tensor]: ...

    def curvature(self) -> Any: ...

    def training_loss(self) -> torch.Tensor: ...


# relative change of the estimate between two products that ends the iteration: when the two
# largest eigenvalues are close, power iteration moves slowly and this can stop a little short
TOLERANCE = 1e-5
ITERATIONS = 100  # products at most per measurement


EVERY = 10  # the app's spacing of measurements, in steps


class Sharpness:
    """A run's sharpness: `values` holds (step, sharpness) pairs. Given to a run (run.sharpness),
    it is measured at step 0 and every `every` steps; measure() also measures when asked."""

    def __init__(self, run: Measured, every: int = EVERY) -> None:
        self.run = run
        self.every = every
        self.values: list[tuple[int, float]] = []
        self._vector: list[torch.Tensor] | None = None
        self.products = 0  # Hessian-vector products made, for the cost

    def restart(self) -> None:
        """The run went back to step 0: forget, and measure there."""
        self.values = []
        self._vector = None
        self.measure()

    def measure(self) -> float:
        run = self.run
        with run.lock:
            value = self._surface() if run.scenario.kind == "surface" else self._network()
            self.values.append((run.step_count, value))
        return value

    def _surface(self) -> float:
        curvature = self.run.curvature()
        return curvature.high if curvature is not None else math.nan

    def _network(self) -> float:
        params = self.run.parameters
        loss = self.run.training_loss()
        grads = torch.autograd.grad(loss, params, create_graph=True)
        v = self._vector or self._start(params)
        estimate = math.nan
        for _ in range(ITERATIONS):
            hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
            self.products += 1
            with torch.no_grad():
                rayleigh = float(sum((h * u).sum() for h, u in zip(hv, v)))
                norm = math.sqrt(float(sum((h * h).sum() for h in hv)))
            if not (math.isfinite(rayleigh) and math.isfinite(norm)) or norm == 0:
                self._vector = None
                return rayleigh if math.isfinite(rayleigh) else math.nan
            v = [h.detach() / norm for h in hv]
            done = abs(rayleigh - estimate) <= TOLERANCE * abs(rayleigh)
            estimate = rayleigh
            if done:
                break
        self._vector = v
        return estimate

    @staticmethod
    def _start(params: list[torch.Tensor]) -> list[torch.Tensor]:
        """A unit vector drawn from its own generator: torch's global random state is the run's."""
        generator = torch.Generator().manual_seed(0)
        v = [torch.randn(p.shape, generator=generator, dtype=p.dtype) for p in params]
        norm = math.sqrt(float(sum((u * u).sum() for u in v)))
        return [u / norm for u in v]
