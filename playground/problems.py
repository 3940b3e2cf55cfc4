"""What a run trains: a point on a surface, or a network on a dataset. No UI here.

A problem knows its parameters, its loss and what a history row of it records; the run
(engine.Run) owns the optimizer, the settings and their changes, and steps the problem through
its loop. Each loop is written out for its kind, tight, because a step must cost what a plain
torch loop's step costs: one forward and backward pass at the new point after each update, which
records the row and leaves the gradient the next update uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from playground import torch_internals
from playground.datasets import Points
from playground.history import History
from playground.losses import get_loss
from playground.scenario import ACTIVATIONS, Scenario
from playground.settings import RunConfig
from playground.trail import TRAIL_BYTES, Trail

# an optimizer's step(closure) as the run makes it (clipping and the schedule's step included)
Update = Callable[[Any], Any]
# what a row reports when it stops the run ("the loss became nan (diverged)"), or None
Stop = str | None


def make(scenario: Scenario, start: tuple[float, float] | None, compact: bool) -> PointOnSurface | NetworkOnData:
    """The problem a scenario poses. `compact`: the app's runs, whose networks keep a trail of
    their weights for the landscape view."""
    if scenario.kind == "surface":
        return PointOnSurface(scenario, start)
    return NetworkOnData(scenario, compact)


def counted(closure: Callable[[], Any], needs_closure: bool) -> tuple[Callable[[], Any] | None, list[int]]:
    """`closure` counting its calls, for an optimizer that calls it itself (LBFGS); None for
    the rest, whose every update is one evaluation (the history's evaluations)."""
    calls = [0]
    if not needs_closure:
        return None, calls

    def count() -> Any:
        calls[0] += 1
        return closure()

    return count, calls


def not_finite(loss: float, norm: float) -> str:
    if not math.isfinite(loss):
        return f"the loss became {loss} (diverged)"
    if not math.isfinite(norm):
        return f"the gradient became {norm} (a point where the function is not differentiable?)"
    return "the parameters became infinite"


class PointOnSurface:
    """A point (x, y) in float64 on a formula's surface."""

    on_map = True  # its history has the trajectory x, y
    numbers = "the point's float64 numbers"  # what its parameters are, for a reason it stopped
    points: Points | None = None
    model: nn.Sequential | None = None
    trail: Trail | None = None

    def __init__(self, scenario: Scenario, start: tuple[float, float] | None) -> None:
        assert scenario.surface is not None
        self.scenario = scenario
        self.start = start or scenario.surface.start
        self.f = scenario.surface.formula.torch
        self._quadratic: bool | None = None  # found by curvature() on first use

    def history(self, full: bool, compact: bool) -> History:
        return History.make("surface", False, full, compact)

    def reset(self, config: RunConfig) -> None:
        self.p = torch.tensor(self.start, dtype=torch.float64, requires_grad=True)
        self.params = [self.p]

    def fit(self, matrix_only: bool) -> None:
        """The point as the optimizer takes it: a vector (x, y), or for an optimizer of 2-D
        parameters only (Muon) one 1×2 matrix. Changing shape keeps the point and its gradient
        (the next update uses it)."""
        want = (1, 2) if matrix_only else (2,)
        if tuple(self.p.shape) == want:
            return
        self.p = self.p.detach().reshape(want).clone().requires_grad_(True)
        self.params = [self.p]
        self.closure()

    def use(self, config: RunConfig) -> None:
        """A surface has its own loss: the formula."""

    def full_batch(self, config: RunConfig) -> bool:
        return True

    def closure(self) -> torch.Tensor:
        self.p.grad = None
        x, y = self.p.view(2).unbind()
        loss = self.f(x, y)
        loss.backward()
        return loss

    def steps(self, n: int, step: Update, group: dict[str, Any], config: RunConfig, needs_closure: bool, h: History, track: Callable[[], None] | None) -> tuple[int, Stop]:
        p, f = self.p, self.f
        loss_add, grad_add, lr_add = h.loss.append, h.grad_norm.append, h.lr.append
        x_add, y_add = h.x.append, h.y.append  # type: ignore[union-attr]
        closure, calls = counted(self.closure, needs_closure)
        isfinite, hypot = math.isfinite, math.hypot
        matrix = p.dim() == 2  # Muon's 1×2 matrix: its rows read as the vector
        split = (lambda: p.view(2).unbind()) if matrix else p.unbind
        for i in range(n):
            if closure is not None:
                before = calls[0]
                step(closure)
                h.evaluations.note(len(h.loss), calls[0] - before)
            else:
                step(None)
            p.grad = None
            x, y = split()
            loss = f(x, y)
            loss.backward()
            value = loss.item()
            g, q = p.grad.tolist(), p.tolist()
            (gx, gy), (px, py) = (g[0], q[0]) if matrix else (g, q)
            norm = hypot(gx, gy)
            loss_add(value)
            grad_add(norm)
            lr_add(group["lr"])
            x_add(px)
            y_add(py)
            if track is not None:
                track()
            if not (isfinite(value) and isfinite(norm) and isfinite(px) and isfinite(py)):
                return i + 1, not_finite(value, norm)
        return n, None

    def evaluate(self, h: History, lr: float) -> Stop:
        """Record the current point as a new history row, its gradient left in place."""
        value = self.closure().item()
        gx, gy = self.p.grad.view(2).tolist()
        norm = math.hypot(gx, gy)
        px, py = self.p.detach().view(2).tolist()
        h.x.append(px)  # type: ignore[union-attr]
        h.y.append(py)  # type: ignore[union-attr]
        h.loss.append(value)
        h.grad_norm.append(norm)
        h.lr.append(lr)
        return None if math.isfinite(value) and math.isfinite(norm) else not_finite(value, norm)

    def regrad(self, h: History, config: RunConfig) -> None:
        """A surface's loss never changes: nothing to recompute."""

    def at_average(self, averages: list[torch.Tensor]) -> tuple[float, tuple[float, float] | None]:
        """The loss at ASGD's average, and where the average is."""
        ax = averages[0].view(2)
        with torch.no_grad():
            x, y = ax.tolist()
            return self.f(ax[0], ax[1]).item(), (x, y)

    def training_loss(self) -> torch.Tensor:
        x, y = self.p.view(2).unbind()
        return self.f(x, y)

    def curvature(self, point: tuple[float, float]) -> Curvature | None:
        """The Hessian at `point`, its eigenvalues, and for a positive definite Hessian the step
        size and momentum that are best on the quadratic it describes (Goh, "Why Momentum Really
        Works", Distill 2017). None where the Hessian is not finite."""
        hessian = _hessian(self.f, torch.tensor(point, dtype=torch.float64))
        if hessian is None:
            return None
        low, high = sorted(np.linalg.eigvalsh(hessian).tolist())
        if self._quadratic is None:
            self._quadratic = _is_quadratic(self.scenario, hessian)
        return Curvature.of(hessian, low, high, self._quadratic)


class NetworkOnData:
    """A small network (float32) on a dataset's training points, evaluated on its test points."""

    on_map = False
    numbers = "the model's float32 weights"
    start: tuple[float, float] | None = None

    def __init__(self, scenario: Scenario, compact: bool) -> None:
        self.scenario = scenario
        self.points: Points | None = scenario.points()
        pts = self.points
        # given a Trail (landscape.py), each history row also records the weights there; the
        # app's runs (compact) keep an even sample of their path for the landscape view
        self.trail: Trail | None = Trail(max_bytes=TRAIL_BYTES) if compact else None
        self.x = torch.from_numpy(pts.train_x)
        self.xt = torch.from_numpy(pts.test_x) if len(pts.test_x) else None
        if pts.kind == "classification":
            self.y = torch.from_numpy(pts.train_y)
            self.yt = torch.from_numpy(pts.test_y) if len(pts.test_y) else None
        else:
            self.y = torch.from_numpy(pts.train_y).unsqueeze(1)
            self.yt = torch.from_numpy(pts.test_y).unsqueeze(1) if len(pts.test_y) else None
        # Schedule-Free's accuracy is its evaluated model's (eval mode): the run gives the way in
        self.evaluated: Callable[[], AbstractContextManager[None]] | None = None

    def history(self, full: bool, compact: bool) -> History:
        return History.make(self.scenario.kind, self.xt is not None, full, compact)

    def reset(self, config: RunConfig) -> None:
        torch.manual_seed(config.seed)
        pts = self.points
        outputs = pts.classes if pts.kind == "classification" else 1
        self.model = build_model(self.scenario, self.x.shape[1], outputs)
        self.params = list(self.model.parameters())
        self._layers = list(self.model)
        self._batches = torch.Generator().manual_seed(config.seed)
        self._order: torch.Tensor | None = None
        self._cursor = 0
        if self.trail is not None:
            self.trail.clear()

    def fit(self, matrix_only: bool) -> None:
        """A network's parameters are what they are (an optimizer of matrices gets a partner)."""

    def use(self, config: RunConfig) -> None:
        assert config.loss is not None
        self.loss_fn = get_loss(self.scenario.kind, config.loss).function()

    def full_batch(self, config: RunConfig) -> bool:
        return not config.minibatch(len(self.x))

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        """The model on `x` through the layers' own forward, without nn.Module's hook dispatch on
        every call (no hooks are registered here): the same ops, a third less Python per pass."""
        for layer in self._layers:
            x = layer.forward(x)
        return x

    def _clear_grads(self) -> None:
        """optimizer.zero_grad() (set_to_none) without the profiler record it opens on each call,
        a good part of a small model's step."""
        for p in self.params:
            p.grad = None

    def grad_norm(self) -> float:
        """The norm of all gradients together: one norm per tensor in one op, read in one go."""
        grads = [p.grad for p in self.params if p.grad is not None]
        if not grads:
            return 0.0
        return math.hypot(*torch.stack(torch_internals.grad_norms(grads)).tolist())

    def closure(self) -> torch.Tensor:
        self._clear_grads()
        x, y = self._batch_now
        loss = self.loss_fn(self._forward(x), y)
        loss.backward()
        return loss

    def _next_batch(self, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self.x)
        if self._order is None or self._cursor + size > n:
            self._order = torch.randperm(n, generator=self._batches)
            self._cursor = 0
        idx = self._order[self._cursor : self._cursor + size]
        self._cursor += size
        return self.x[idx], self.y[idx]

    def steps(self, n: int, step: Update, group: dict[str, Any], config: RunConfig, needs_closure: bool, h: History, track: Callable[[], None] | None) -> tuple[int, Stop]:
        closure, calls = counted(self.closure, needs_closure)
        size = config.minibatch(len(self.x))
        for i in range(n):
            before = calls[0]
            if not size:
                self._batch_now = (self.x, self.y)
                step(closure)
                stop = self.evaluate(h, float(group["lr"]))
            else:
                self._batch_now = self._next_batch(size)
                if closure is None:  # the minibatch's gradient, measured before the update
                    self.closure()
                    norm = self.grad_norm()
                    step(None)
                else:
                    step(closure)
                    norm = self.grad_norm()
                stop = self.evaluate(h, float(group["lr"]), minibatch_norm=norm)
            if closure is not None:
                h.evaluations.note(len(h.loss) - 1, calls[0] - before)
            if track is not None:
                track()
            if stop is not None:
                return i + 1, stop
        return n, None

    def evaluate(self, h: History, lr: float, minibatch_norm: float | None = None) -> Stop:
        """Record the current point as a new history row; leave the full-batch gradient in place
        unless this is a minibatch run (which computes its own gradient each step)."""
        forward = self._forward
        if minibatch_norm is None:
            self._clear_grads()
            out = forward(self.x)
            loss = self.loss_fn(out, self.y)
            loss.backward()
        else:
            with torch.no_grad():
                out = forward(self.x)
                loss = self.loss_fn(out, self.y)
        # everything this row records in one tensor, read with one .tolist(): each .item() is a
        # separate op and a sync, and they add up to a good part of a small model's step
        correct = self._correct_evaluated() if h.accuracy is not None and self.evaluated is not None else None
        with torch.inference_mode():
            parts = [loss]
            grads = [p.grad for p in self.params if p.grad is not None] if minibatch_norm is None else []
            parts += torch_internals.grad_norms(grads) if grads else []
            if correct is not None:
                parts += correct
            elif h.accuracy is not None:
                parts.append((_predicted(out) == self.y).sum())
                if h.test_accuracy is not None:
                    parts.append((_predicted(forward(self.xt)) == self.yt).sum())
            values = torch.stack(parts).tolist()
        value = values[0]
        if h.accuracy is not None:
            if h.test_accuracy is not None:
                h.test_accuracy.append(values.pop() / len(self.yt))
            h.accuracy.append(values.pop() / len(self.y))
        norm = minibatch_norm if minibatch_norm is not None else math.hypot(*values[1:])
        h.loss.append(value)
        h.grad_norm.append(norm)
        h.lr.append(lr)
        trail = self.trail
        if trail is not None and trail.wants(len(h.loss) - 1):
            trail.add(len(h.loss) - 1, self.weights())
        return None if math.isfinite(value) and math.isfinite(norm) else not_finite(value, norm)

    def _correct_evaluated(self) -> list[torch.Tensor]:
        """The points the evaluated model classifies right: training set, then test set."""
        assert self.evaluated is not None
        with self.evaluated(), torch.no_grad():
            out = [(_predicted(self._forward(self.x)) == self.y).sum()]
            if self.xt is not None:
                out.append((_predicted(self._forward(self.xt)) == self.yt).sum())
        return out

    def regrad(self, h: History, config: RunConfig) -> None:
        """After a loss change, the loss and the gradient recorded at this point belong to the old
        loss: recompute them here (the status line and the curve show the new loss at once). A
        minibatch run records the whole set's loss and its batch's gradient norm."""
        if self.full_batch(config):
            self._clear_grads()
            loss = self.loss_fn(self._forward(self.x), self.y)
            loss.backward()
            h.grad_norm.set_last(self.grad_norm())
        else:
            with torch.no_grad():
                loss = self.loss_fn(self._forward(self.x), self.y)
        h.loss.set_last(loss.item())

    def at_average(self, averages: list[torch.Tensor]) -> tuple[float, tuple[float, float] | None]:
        """The training loss at ASGD's average (a network's average has no place on a map)."""
        names = [name for name, _ in self.model.named_parameters()]
        with torch.no_grad():
            out = torch.func.functional_call(self.model, dict(zip(names, averages, strict=True)), (self.x,))
            return self.loss_fn(out, self.y).item(), None

    def weights(self) -> torch.Tensor:
        """Every parameter, flattened and joined in the model's order (a copy)."""
        with torch.no_grad():
            return torch.cat([p.detach().reshape(-1) for p in self.params])

    def named_parameters(self) -> list[tuple[str, torch.Tensor]]:
        """The model's parameters by name, detached (the tensors themselves)."""
        return [(name, p.detach()) for name, p in self.model.named_parameters()]

    def loss_at(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """The training loss (the whole training set) with the model's parameters replaced by
        `params`; pure, so torch.func.vmap can batch it over many parameter sets."""
        return self.loss_fn(torch.func.functional_call(self.model, params, (self.x,)), self.y)

    def training_loss(self) -> torch.Tensor:
        return self.loss_fn(self._forward(self.x), self.y)

    def curvature(self, point: tuple[float, float]) -> None:
        """A network's Hessian is the sharpness's to estimate, not a 2×2 to write down."""
        return None

    def predict_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Classification: the predicted class at each (x, y) of the grid, shape (len(ys), len(xs)).
        Regression: xs only, the prediction at each x."""
        with torch.no_grad():
            if self.scenario.kind == "regression":
                inp = torch.from_numpy(np.asarray(xs, dtype=np.float32)).unsqueeze(1)
                return self.model(inp).squeeze(1).numpy().astype(float)
            gx, gy = np.meshgrid(np.asarray(xs, np.float32), np.asarray(ys, np.float32))
            inp = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1))
            return _predicted(self.model(inp)).numpy().reshape(gy.shape)

    def confusion(self) -> tuple[np.ndarray, str]:
        """Classification: (counts, split) where counts[true, predicted] counts the points of the
        test split (the training points when there is no test split)."""
        x, y, split = (self.xt, self.yt, "test") if self.xt is not None else (self.x, self.y, "training")
        classes = self.points.classes  # type: ignore[union-attr]
        with torch.no_grad():
            predicted = _predicted(self.model(x))
        counts = torch.bincount(y * classes + predicted, minlength=classes * classes)
        return counts.reshape(classes, classes).numpy(), split


@dataclass(frozen=True)
class Curvature:
    hessian: tuple[tuple[float, float], tuple[float, float]]
    low: float  # the smallest eigenvalue of the Hessian
    high: float  # the largest
    quadratic: bool  # the Hessian is the same everywhere: the figures below hold exactly
    condition: float | None  # high / low where both are > 0
    best_lr: float | None  # (2 / (sqrt(low) + sqrt(high)))**2: gradient descent with momentum
    best_momentum: float | None  # ((sqrt(k) - 1) / (sqrt(k) + 1))**2, k the condition number

    @classmethod
    def of(cls, hessian: np.ndarray, low: float, high: float, quadratic: bool) -> Curvature:
        h = ((float(hessian[0, 0]), float(hessian[0, 1])), (float(hessian[1, 0]), float(hessian[1, 1])))
        if low <= 0:
            return cls(h, low, high, quadratic, None, None, None)
        k = high / low
        return cls(h, low, high, quadratic, k, (2 / (math.sqrt(low) + math.sqrt(high))) ** 2, ((math.sqrt(k) - 1) / (math.sqrt(k) + 1)) ** 2)


def build_model(scenario: Scenario, inputs: int, outputs: int) -> nn.Sequential:
    assert scenario.model is not None
    layers: list[nn.Module] = []
    width = inputs
    for h in scenario.model.hidden:
        layers += [nn.Linear(width, h), getattr(nn, ACTIVATIONS[scenario.model.activation])()]
        width = h
    layers.append(nn.Linear(width, outputs))
    return nn.Sequential(*layers)


def _predicted(out: torch.Tensor) -> torch.Tensor:
    """Each row's predicted class: the first of its largest outputs, as argmax gives it, in half
    argmax's time on this CPU (max's indices; 9 against 21 us for digits' 1,347 rows)."""
    return out.max(1).indices


def _hessian(f: Any, point: torch.Tensor) -> np.ndarray | None:
    try:
        h = torch.autograd.functional.hessian(lambda p: f(p[0], p[1]), point).numpy()
    except Exception:  # a formula that cannot be differentiated twice here
        return None
    return h if np.isfinite(h).all() else None


def _is_quadratic(scenario: Scenario, hessian: np.ndarray) -> bool:
    """Is the Hessian the same at a few points spread over the domain?"""
    s = scenario.surface
    assert s is not None
    f = s.formula.torch
    (x0, x1), (y0, y1) = s.x, s.y
    for fx, fy in ((0.2, 0.3), (0.5, 0.5), (0.8, 0.9)):
        other = _hessian(f, torch.tensor([x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)], dtype=torch.float64))
        if other is None or not np.allclose(other, hessian, rtol=1e-9, atol=1e-12):
            return False
    return True
