"""A run: one optimizer training one scenario, step by step, with its history. No UI here.

The loop keeps the gradient at the current point ready: reset() evaluates the start (row 0 of
the history), and each step is `optimizer.step()` followed by one forward and backward pass at
the new point, which records row k+1 and leaves the gradient the next step uses. So a step costs
what a plain torch loop's step costs, and the loss, gradient norm and position in the history
always describe the same point.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from playground import optimizer_pair, scenarios, torch_internals
from playground.datasets import Points
from playground.errors import ConfigError
from playground.formatting import change as _fmt
from playground.history import History
from playground.trail import TRAIL_BYTES, Trail
from playground.losses import get_loss
from playground.optimizers import RPROP_LR, get_optimizer
from playground.scenarios import Scenario
from playground.schedules import get_schedule
from playground.settings import RunConfig

if TYPE_CHECKING:
    from playground.sharpness import Sharpness

# The models here are tiny: one thread is fastest, and several threads slow to a crawl when
# another process holds a core (seen: 10-50 times slower on a busy 2-core machine).
torch.set_num_threads(1)



torch_internals.skip_compile_hooks()


def warm_up() -> None:
    """Take torch's one-time costs now: the first optimizer step imports dynamo, torch.compile's machinery (seconds
    on a slow machine). The TUI calls this in its loading thread, before anyone presses a key."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.0)
    (p * 1.0).sum().backward()
    torch_internals.plain_step(opt)()


def build_model(scenario: Scenario, inputs: int, outputs: int) -> nn.Sequential:
    assert scenario.model is not None
    layers: list[nn.Module] = []
    width = inputs
    for h in scenario.model.hidden:
        layers += [nn.Linear(width, h), getattr(nn, scenarios.ACTIVATIONS[scenario.model.activation])()]
        width = h
    layers.append(nn.Linear(width, outputs))
    return nn.Sequential(*layers)


class Run:
    """Train `scenario` with `config`. Thread-safe in the small: step(), apply() and reset() take
    `lock`, so a UI thread may change settings while a worker thread steps."""

    def __init__(self, scenario: Scenario, config: RunConfig, start: tuple[float, float] | None = None, full_history: bool = True, compact: bool = False) -> None:
        self.scenario = scenario
        self.config = config
        self._spec = get_optimizer(config.optimizer)
        self.full_history = full_history  # False: keep only the first and last values (a summary)
        self.compact = compact  # True: the history in single precision (the TUI's bounded memory)
        self.lock = threading.RLock()
        self.points: Points | None = scenario.points() if scenario.kind != "surface" else None
        self.start = start or (scenario.surface.start if scenario.surface else None)
        self.elapsed = 0.0  # seconds spent inside step()
        self._quadratic: bool | None = None  # surfaces: found by curvature() on first use
        # datasets: given a Trail (landscape.py), each history row also records the weights there;
        # the app's runs (compact) keep an even sample of their path for the landscape view
        self.trail: Trail | None = Trail(max_bytes=TRAIL_BYTES) if compact and scenario.kind != "surface" else None
        # given a Sharpness (sharpness.py), measured at step 0 and every `sharpness.every` steps
        self.sharpness: Sharpness | None = None
        self._tensors()
        self.reset()

    # ------------------------------------------------------------ set-up

    def _tensors(self) -> None:
        pts = self.points
        if pts is None:
            return
        self._x = torch.from_numpy(pts.train_x)
        self._xt = torch.from_numpy(pts.test_x) if len(pts.test_x) else None
        if pts.kind == "classification":
            self._y = torch.from_numpy(pts.train_y)
            self._yt = torch.from_numpy(pts.test_y) if len(pts.test_y) else None
        else:
            self._y = torch.from_numpy(pts.train_y).unsqueeze(1)
            self._yt = torch.from_numpy(pts.test_y).unsqueeze(1) if len(pts.test_y) else None

    def reset(self, start: tuple[float, float] | None = None) -> None:
        """Back to step 0: the start point (or a fresh model from the seed) and a new optimizer."""
        with self.lock:
            if start is not None:
                self.start = start
            kind = self.scenario.kind
            self.history = History.make(kind, kind != "surface" and self._xt is not None, self.full_history, self.compact)
            self.diverged_at: int | None = None
            self.stop_reason: str | None = None
            self.raised: str | None = None  # why torch raised where the run stopped (not at a number that was not finite)
            self.elapsed = 0.0
            # the settings as the run went: (step, config, what changed) from the step each took
            # effect, its first the settings it started with (the code behind the run replays it)
            self.timeline: list[tuple[int, RunConfig, str]] = [(0, self.config, "")]
            if self.trail is not None:
                self.trail.clear()
            restart = self.sharpness is not None
            if kind == "surface":
                assert self.start is not None
                self._p = torch.tensor(self.start, dtype=torch.float64, requires_grad=True)
                self._f = self.scenario.surface.formula.torch  # type: ignore[union-attr]
                self._params = [self._p]
            else:
                torch.manual_seed(self.config.seed)
                assert self.points is not None
                outputs = self.points.classes if kind == "classification" else 1
                self.model = build_model(self.scenario, self._x.shape[1], outputs)
                self._params = list(self.model.parameters())
                self._layers = list(self.model)
                self._batches = torch.Generator().manual_seed(self.config.seed)
                self._order: torch.Tensor | None = None
                self._cursor = 0
            self._configure(self.config)
            self._evaluate()
            if restart:
                self.sharpness.restart()  # type: ignore[union-attr]

    def _configure(self, config: RunConfig) -> None:
        """Build the optimizer and loss function for `config` (fresh optimizer state)."""
        spec = get_optimizer(config.optimizer)
        paired = bool(spec.partner) and self.scenario.kind != "surface"
        groups = optimizer_pair.split(self.model, spec.name, spec.torch_name, config.hyper.get("matrices") or "hidden") if paired else None  # refused before anything changes
        before = self.config, self._spec
        self.config, self._spec = config, spec
        if self.scenario.kind == "surface":
            self._shape_point()
        try:
            self.optimizer = self._pair(spec, config.hyper, *groups) if groups else spec.build(self._params, config.hyper)
        except (ValueError, TypeError) as exc:  # torch's own checks, beyond the registry's
            self.config, self._spec = before  # the run keeps the settings it had
            if self.scenario.kind == "surface":
                self._shape_point()
            raise ConfigError(config.optimizer, str(exc)) from None
        self._scheduler = get_schedule(config.schedule).build(self.optimizer, config.schedule_params, config.steps)
        self._step = self._update(torch_internals.plain_step(self.optimizer))
        # ASGD: the mu its next update uses (1 until it averages); a fresh optimizer's average is
        # its own, so the old one goes with the old state
        self._next_mu = 1.0
        self.history.average = None
        if self.scenario.kind != "surface":
            assert config.loss is not None
            self._loss_fn = get_loss(self.scenario.kind, config.loss).function()

    def _pair(self, spec: Any, hyper: dict[str, Any], matrices: list[Any], rest: list[Any]) -> optimizer_pair.Pair:
        """Muon on the hidden layers' weight matrices, its partner (AdamW) on the rest."""
        first = spec.build(matrices, hyper)
        second = get_optimizer(spec.partner).build(rest, spec.partners(hyper))
        return optimizer_pair.Pair(first, second, (torch_internals.plain_step(first), torch_internals.plain_step(second)))

    def _groups(self, key: str) -> list[tuple[int, str]]:
        """(index in param_groups, torch's name) of each parameter group a setting reaches: with a
        partner, its settings (adamw_lr) reach its own groups (as lr), the others the first's."""
        opt = self.optimizer
        if not isinstance(opt, optimizer_pair.Pair):
            return [(i, key) for i in range(len(opt.param_groups))]
        partner = key.startswith(f"{self._spec.partner}_")
        name = key.removeprefix(f"{self._spec.partner}_")
        return [(i, name) for i in (range(opt.firsts, len(opt.param_groups)) if partner else range(opt.firsts))]

    def _rates(self) -> list[str]:
        """The settings that are learning rates: lr, and a partner's."""
        return ["lr", f"{self._spec.partner}_lr"] if isinstance(self.optimizer, optimizer_pair.Pair) else ["lr"]

    def _shape_point(self) -> None:
        """A surface's point as the optimizer takes it: a vector (x, y), or for an optimizer of
        2-D parameters only (Muon) one 1×2 matrix. Changing shape keeps the point and its
        gradient (the next update uses it)."""
        want = (1, 2) if self._spec.matrix_only else (2,)
        if tuple(self._p.shape) == want:
            return
        self._p = self._p.detach().reshape(want).clone().requires_grad_(True)
        self._params = [self._p]
        self._surface_closure()

    def _update(self, plain: Any) -> Any:
        """One update as the config asks: clip the gradient's norm, the optimizer's step, then the
        schedule's step. Without clipping or a schedule, the optimizer's plain step (no cost)."""
        clip, scheduler = self.config.clip, self._scheduler
        if not clip and scheduler is None:
            return plain
        params = self._params
        clip_norm = torch.nn.utils.clip_grad_norm_
        # one-cycle ends at total_steps - 1 (past it torch raises, or the rate climbs again): hold the end
        limit = getattr(scheduler, "total_steps", None)
        limit = None if limit is None else limit - 1

        def clipped(closure: Any) -> Any:
            def again() -> Any:
                loss = closure()
                clip_norm(params, clip)
                return loss

            return again

        def update(closure: Any = None) -> Any:
            if clip:
                if closure is None:
                    clip_norm(params, clip)
                else:
                    closure = clipped(closure)
            out = plain(closure)
            if scheduler is not None and (limit is None or scheduler.last_epoch < limit):
                scheduler.step()
            return out

        return update

    # ------------------------------------------------------------ what the run knows

    @property
    def step_count(self) -> int:
        return self.history.steps

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def converged(self) -> bool:
        g = self.history.grad_norm.last()
        return math.isfinite(g) and g < self.scenario.defaults.grad_tolerance

    @property
    def point(self) -> tuple[float, float]:
        """Surfaces: where the parameters are now."""
        h = self.history
        assert h.x is not None and h.y is not None
        return h.x.last(), h.y.last()

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def caveat(self) -> str:
        """What a person would get wrong about the rate in force, or "". Rprop reads lr once,
        as its first step size (state step_size): a later lr or a schedule changes nothing."""
        if self._spec.name != "rprop":
            return ""
        if self._scheduler is not None:
            if self._has_state():
                return f"{RPROP_LR}: the schedule changes nothing"
            return f"{RPROP_LR}: the schedule counts only there (lr {_fmt(self.lr)}), then changes nothing"
        return ""

    def _has_state(self) -> bool:
        """The optimizer has made its state (Rprop: its step sizes, from lr, at the first step)."""
        return any(self.optimizer.state.get(p) for p in self._params)

    # ------------------------------------------------------------ stepping

    def step(self, n: int = 1) -> int:
        """Make up to n updates; fewer if the run diverges. Returns how many were made. With a
        Sharpness, it is measured after each update that reaches a multiple of its `every`."""
        sharp = self.sharpness
        if sharp is None:
            return self._advance(n)
        done = 0
        while done < n:
            chunk = min(n - done, sharp.every - self.step_count % sharp.every)
            made = self._advance(chunk)
            done += made
            if made and self.step_count % sharp.every == 0 and self.diverged_at is None:
                sharp.measure()
            if made < chunk:
                break
        return done

    def _advance(self, n: int) -> int:
        if n <= 0:
            return 0
        with self.lock:
            if self.diverged_at is not None:
                return 0
            t0 = time.perf_counter()
            before = self.history.steps
            try:
                if self.scenario.kind == "surface":
                    done = self._steps_surface(n)
                else:
                    done = self._steps_dataset(n)
            except Exception as exc:  # an optimizer or a formula that raises: stop, say why
                if _our_bug(exc):  # not how the run ended: a bug, said as one by the caller
                    raise
                done = self.history.steps - before  # the updates recorded before it raised
                self._stop(_raised(exc, "the point's float64 numbers" if self.scenario.kind == "surface" else "the model's float32 weights"))
                self.raised = self.stop_reason
            self.elapsed += time.perf_counter() - t0
            return done

    def _stop(self, reason: str) -> None:
        self.diverged_at = self.history.steps
        self.stop_reason = reason

    def _surface_closure(self) -> torch.Tensor:
        self._p.grad = None
        x, y = self._p.view(2).unbind()
        loss = self._f(x, y)
        loss.backward()
        return loss

    def _steps_surface(self, n: int) -> int:
        p, f, step = self._p, self._f, self._step
        h = self.history
        loss_add, grad_add, lr_add = h.loss.append, h.grad_norm.append, h.lr.append
        x_add, y_add = h.x.append, h.y.append  # type: ignore[union-attr]
        group = self.optimizer.param_groups[0]
        closure, calls = self._counted(self._surface_closure)
        track = self._track_average if self._spec.name == "asgd" else None
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
                self._stop(self._why_not_finite(value, norm))
                return i + 1
        return n

    def _track_average(self) -> None:
        """ASGD, after an update: once an update has averaged (its mu < 1), record the average
        `ax` torch keeps in the optimizer's state, and the loss there, at the row just made."""
        state = self.optimizer.state
        first = state.get(self._params[0])
        if not first:
            return
        used, self._next_mu = self._next_mu, float(first["mu"])
        h = self.history
        average = h.average
        if average is None:
            if used == 1.0:
                return
            row = len(h.loss) - 1
            average = h.begin_average(row, self.scenario.kind == "surface")
            t0 = self.optimizer.param_groups[0]["t0"]
            h.events.append((row, f"ASGD's average began (t0 = {_fmt(t0)}): ◇ on the map"))
        axs = [state[p]["ax"] for p in self._params]
        with torch.no_grad():
            if self.scenario.kind == "surface":
                ax = axs[0]
                x, y = ax.tolist()
                loss = self._f(ax[0], ax[1]).item()
                average.x.append(x)  # type: ignore[union-attr]
                average.y.append(y)  # type: ignore[union-attr]
            else:
                names = [name for name, _ in self.model.named_parameters()]
                out = torch.func.functional_call(self.model, dict(zip(names, axs, strict=True)), (self._x,))
                loss = self._loss_fn(out, self._y).item()
        average.loss.append(loss)

    def _why_not_finite(self, loss: float, norm: float) -> str:
        if not math.isfinite(loss):
            return f"the loss became {loss} (diverged)"
        if not math.isfinite(norm):
            return f"the gradient became {norm} (a point where the function is not differentiable?)"
        return "the parameters became infinite"

    def _grad_norm(self) -> float:
        """The norm of all gradients together: one norm per tensor in one op, read in one go."""
        grads = [p.grad for p in self._params if p.grad is not None]
        if not grads:
            return 0.0
        return math.hypot(*torch.stack(torch_internals.grad_norms(grads)).tolist())

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        """The model on `x` through the layers' own forward, without nn.Module's hook dispatch on
        every call (no hooks are registered here): the same ops, a third less Python per pass."""
        for layer in self._layers:
            x = layer.forward(x)
        return x

    def _clear_grads(self) -> None:
        """optimizer.zero_grad() (set_to_none) without the profiler record it opens on each call,
        a good part of a small model's step."""
        for p in self._params:
            p.grad = None

    def _dataset_closure(self) -> torch.Tensor:
        self._clear_grads()
        x, y = self._batch_now
        loss = self._loss_fn(self._forward(x), y)
        loss.backward()
        return loss

    def _full_batch(self) -> bool:
        return not self.config.minibatch(len(self._x))

    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self._x)
        size = self.config.minibatch(n)
        if not size:
            return self._x, self._y
        if self._order is None or self._cursor + size > n:
            self._order = torch.randperm(n, generator=self._batches)
            self._cursor = 0
        idx = self._order[self._cursor : self._cursor + size]
        self._cursor += size
        return self._x[idx], self._y[idx]

    def _counted(self, closure: Any) -> tuple[Any, list[int]]:
        """`closure` counting its calls, for an optimizer that calls it itself (LBFGS); None for
        the rest, whose every update is one evaluation (the history's evaluations)."""
        calls = [0]
        if not self._spec.needs_closure:
            return None, calls

        def counted() -> Any:
            calls[0] += 1
            return closure()

        return counted, calls

    def _steps_dataset(self, n: int) -> int:
        step = self._step
        closure, calls = self._counted(self._dataset_closure)
        track = self._track_average if self._spec.name == "asgd" else None
        for i in range(n):
            before = calls[0]
            if self._full_batch():
                self._batch_now = (self._x, self._y)
                step(closure)
                self._evaluate()
            else:
                self._batch_now = self._next_batch()
                if closure is None:  # the minibatch's gradient, measured before the update
                    self._dataset_closure()
                    norm = self._grad_norm()
                    step(None)
                else:
                    step(closure)
                    norm = self._grad_norm()
                self._evaluate(minibatch_norm=norm)
            if closure is not None:
                self.history.evaluations.note(len(self.history.loss) - 1, calls[0] - before)
            if track is not None:
                track()
            if self.diverged_at is not None:
                return i + 1
        return n

    def _evaluate(self, minibatch_norm: float | None = None) -> None:
        """Record the current point as a new history row; leave the full-batch gradient in place
        unless this is a minibatch run (which computes its own gradient each step)."""
        h = self.history
        if self.scenario.kind == "surface":
            loss = self._surface_closure()
            value = loss.item()
            gx, gy = self._p.grad.view(2).tolist()
            norm = math.hypot(gx, gy)
            px, py = self._p.detach().view(2).tolist()
            h.x.append(px)  # type: ignore[union-attr]
            h.y.append(py)  # type: ignore[union-attr]
        else:
            forward = self._forward
            if minibatch_norm is None:
                self._clear_grads()
                out = forward(self._x)
                loss = self._loss_fn(out, self._y)
                loss.backward()
            else:
                with torch.no_grad():
                    out = forward(self._x)
                    loss = self._loss_fn(out, self._y)
            # everything this row records in one tensor, read with one .tolist(): each .item()
            # is a separate op and a sync, and they add up to a good part of a small model's step
            correct = self._correct_evaluated() if h.accuracy is not None and self._spec.train_eval else None
            with torch.inference_mode():
                parts = [loss]
                grads = [p.grad for p in self._params if p.grad is not None] if minibatch_norm is None else []
                parts += torch_internals.grad_norms(grads) if grads else []
                if correct is not None:
                    parts += correct
                elif h.accuracy is not None:
                    parts.append((_predicted(out) == self._y).sum())
                    if h.test_accuracy is not None:
                        parts.append((_predicted(forward(self._xt)) == self._yt).sum())
                values = torch.stack(parts).tolist()
            value = values[0]
            if h.accuracy is not None:
                if h.test_accuracy is not None:
                    h.test_accuracy.append(values.pop() / len(self._yt))
                h.accuracy.append(values.pop() / len(self._y))
            norm = minibatch_norm if minibatch_norm is not None else math.hypot(*values[1:])
        h.loss.append(value)
        h.grad_norm.append(norm)
        h.lr.append(self.lr)
        trail = self.trail
        if trail is not None and trail.wants(len(h.loss) - 1):
            trail.add(len(h.loss) - 1, self.weights())
        if not (math.isfinite(value) and math.isfinite(norm)):
            self._stop(self._why_not_finite(value, norm))

    @contextmanager
    def _evaluated(self) -> Iterator[None]:
        """For the block, the model as its optimizer evaluates it: Schedule-Free's eval mode (its
        average x); the training point y comes back exactly after (train() alone would round it)."""
        if not self._spec.train_eval:
            yield
            return
        with self.lock:  # the parameters change for the block: not while another thread steps
            saved = [p.detach().clone() for p in self._params]
            self.optimizer.eval()
            try:
                yield
            finally:
                self.optimizer.train()
                with torch.no_grad():
                    for p, kept in zip(self._params, saved):
                        p.copy_(kept)

    def _correct_evaluated(self) -> list[torch.Tensor]:
        """The points the evaluated model classifies right: training set, then test set."""
        with self._evaluated(), torch.no_grad():
            out = [(_predicted(self._forward(self._x)) == self._y).sum()]
            if self._xt is not None:
                out.append((_predicted(self._forward(self._xt)) == self._yt).sum())
        return out

    # ------------------------------------------------------------ changing settings mid-run

    def apply(self, config: RunConfig) -> str:
        """Switch to `config` from the next step. The same optimizer keeps its state and only its
        hyperparameters change; another optimizer or loss starts a fresh optimizer at the current
        parameters; another seed starts over. Before the first step, the run is simply the new
        settings from the start (a fresh optimizer). Returns what happened, for a status line."""
        with self.lock:
            step = self.history.steps
            text = self._apply(config)
            if self.history.steps == 0:
                if step == 0 and self.timeline[0][1] != self.config:
                    self._configure(self.config)  # as built from these settings: no change to replay
                self.timeline = [(0, self.config, "")]
            elif self.timeline[-1][1] != self.config:
                self.timeline.append((step, self.config, text))
            return text

    def _apply(self, config: RunConfig) -> str:
        with self.lock:
            old = self.config
            if config == old:
                return ""
            step = self.history.steps
            if config.seed != old.seed and self.scenario.kind != "surface":
                self.config = config
                self.reset()
                return f"seed {config.seed}: started over"
            takes = [h.name for h in self._spec.hyper if h.takes and config.hyper.get(h.name) != old.hyper.get(h.name)]
            if config.optimizer != old.optimizer or config.loss != old.loss or takes:
                self._configure(config)
                if config.loss != old.loss:
                    self._regrad()
                if config.optimizer != old.optimizer:
                    what = self._spec.torch_name
                elif config.loss != old.loss:
                    what = f"loss {config.loss}"
                else:  # which parameters it takes (Muon's matrices)
                    what = f"{self._spec.torch_name} on {config.hyper[takes[0]]} matrices"
                self.history.events.append((step, what))
                self.history.lr.set_last(self.lr)  # the rate the next update uses
                caveat = self.caveat()
                return f"{what} from step {step}: fresh optimizer state, same parameters" + (f" ({caveat})" if caveat else "")
            changed = {k: v for k, v in config.hyper.items() if old.hyper.get(k) != v}
            groups = self.optimizer.param_groups
            rates = self._rates()
            for k, v in changed.items():
                if k in rates and self._scheduler is not None:
                    self._scale_schedule(v / old.hyper[k], k)  # the schedule's rates scale with it
                    continue
                for i, name in self._groups(k):
                    groups[i][name] = tuple(v) if isinstance(v, list) else v
            self.config = config
            parts = [f"{k} {_fmt(old.hyper.get(k))} -> {_fmt(v)}" for k, v in changed.items()]
            if (config.schedule, config.schedule_params) != (old.schedule, old.schedule_params):
                for k in rates:
                    for i, name in self._groups(k):
                        groups[i][name] = config.hyper[k]
                        groups[i].pop("initial_lr", None)  # a new schedule starts from the run's lr
                self._scheduler = get_schedule(config.schedule).build(self.optimizer, config.schedule_params, config.steps)
                parts.append(f"schedule {get_schedule(config.schedule).describe(config.schedule_params, config.steps)}")
                changed["schedule"] = config.schedule
            if config.clip != old.clip:
                parts.append(f"clip {_fmt(config.clip) if config.clip else 'off'}")
                changed["clip"] = config.clip
            self._step = self._update(torch_internals.plain_step(self.optimizer))
            if config.batch_size != old.batch_size:
                parts.append(f"batch size {config.batch_size or 'full'}")
                if self._full_batch():  # the next update takes the whole set's gradient, not the last batch's
                    self._regrad()
            if config.steps != old.steps:
                parts.append(f"budget {config.steps} steps")
            text = ", ".join(parts)
            if changed:
                self.history.events.append((step, text))
            if self._spec.name == "rprop" and text:
                if "lr" in changed and self._has_state():
                    text += f" (no effect: {RPROP_LR})"
                elif "schedule" in changed and (caveat := self.caveat()):
                    text += f" ({caveat})"
            # the history's lr at a point is the rate the update from it uses: a change made here
            # is that rate (an export, the curve's lr line and `run` then agree)
            self.history.lr.set_last(self.lr)
            return f"{text} from step {step}" if text else ""

    def _scale_schedule(self, ratio: float, rate: str = "lr") -> None:
        """A learning rate changed under a schedule: scale every rate the schedule works from, in
        the groups that rate reaches."""
        scheduler = self._scheduler
        reached = [i for i, _ in self._groups(rate)]
        for i in reached:
            group = self.optimizer.param_groups[i]
            for key in ("lr", "initial_lr", "max_lr", "min_lr"):
                if key in group:
                    group[key] *= ratio
        scheduler.base_lrs = [b * ratio if i in reached else b for i, b in enumerate(scheduler.base_lrs)]

    def _regrad(self) -> None:
        """After a loss change, the loss and the gradient recorded at this point belong to the old
        loss: recompute them here (the status line and the curve show the new loss at once)."""
        if self.scenario.kind == "surface":
            return
        h = self.history
        if self._full_batch():
            self._clear_grads()
            loss = self._loss_fn(self._forward(self._x), self._y)
            loss.backward()
            h.grad_norm.set_last(self._grad_norm())
        else:  # a minibatch run records the whole set's loss and its batch's gradient norm
            with torch.no_grad():
                loss = self._loss_fn(self._forward(self._x), self._y)
        h.loss.set_last(loss.item())

    # ------------------------------------------------------------ for looking inside

    def watch_sharpness(self, every: int | None) -> None:
        """Measure the sharpness now and then every `every` steps as the run steps (None: stop)."""
        if every is None:
            self.sharpness = None
            return
        from playground.sharpness import Sharpness

        self.sharpness = Sharpness(self, every)
        self.sharpness.measure()

    def weights(self) -> torch.Tensor:
        """Datasets: every parameter, flattened and joined in the model's order (a copy)."""
        with torch.no_grad():
            return torch.cat([p.detach().reshape(-1) for p in self._params])

    @property
    def parameters(self) -> list[torch.Tensor]:
        """The tensors the optimizer updates (surfaces: the point), themselves, not copies."""
        return list(self._params)

    def named_parameters(self) -> list[tuple[str, torch.Tensor]]:
        """Datasets: the model's parameters by name, detached (the tensors themselves)."""
        return [(name, p.detach()) for name, p in self.model.named_parameters()]

    def loss_at(self, params: dict[str, torch.Tensor]) -> torch.Tensor:
        """Datasets: the training loss (the whole training set) with the model's parameters
        replaced by `params`; pure, so torch.func.vmap can batch it over many parameter sets."""
        return self._loss_fn(torch.func.functional_call(self.model, params, (self._x,)), self._y)

    def training_loss(self) -> torch.Tensor:
        """The loss at the current parameters with its graph (the whole training set; surfaces:
        the formula): what the sharpness differentiates twice."""
        if self.scenario.kind == "surface":
            x, y = self._p.view(2).unbind()
            return self._f(x, y)
        return self._loss_fn(self._forward(self._x), self._y)

    # ------------------------------------------------------------ for drawing

    def predict_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Classification: the predicted class at each (x, y) of the grid, shape (len(ys), len(xs)).
        Regression: xs only, the prediction at each x."""
        with torch.no_grad(), self._evaluated():
            if self.scenario.kind == "regression":
                inp = torch.from_numpy(np.asarray(xs, dtype=np.float32)).unsqueeze(1)
                return self.model(inp).squeeze(1).numpy().astype(float)
            gx, gy = np.meshgrid(np.asarray(xs, np.float32), np.asarray(ys, np.float32))
            inp = torch.from_numpy(np.stack([gx.ravel(), gy.ravel()], 1))
            return _predicted(self.model(inp)).numpy().reshape(gy.shape)

    def confusion(self) -> tuple[np.ndarray, str]:
        """Classification: (counts, split) where counts[true, predicted] counts the points of the
        test split (the training points when there is no test split)."""
        x, y, split = (self._xt, self._yt, "test") if self._xt is not None else (self._x, self._y, "training")
        classes = self.points.classes  # type: ignore[union-attr]
        with torch.no_grad(), self._evaluated():
            predicted = _predicted(self.model(x))
        counts = torch.bincount(y * classes + predicted, minlength=classes * classes)
        return counts.reshape(classes, classes).numpy(), split

    def optimizer_state(self) -> dict[str, Any]:
        """The optimizer's state over all the parameters (the point, on surfaces): each tensor the
        parameters' pieces joined in order, as a list; anything else (a step count, L-BFGS's
        lists) as the first parameter keeps it."""
        out: dict[str, Any] = {}
        pieces: dict[str, list[torch.Tensor]] = {}
        for p in self._params:
            for k, v in self.optimizer.state.get(p, {}).items():
                if isinstance(v, torch.Tensor) and v.numel() == p.numel():
                    pieces.setdefault(k, []).append(v.detach().flatten())
                elif k not in out:
                    out[k] = v.detach().flatten().tolist() if isinstance(v, torch.Tensor) else v
        for k, parts in pieces.items():
            out[k] = torch.cat(parts).tolist()
        return out


    @property
    def gradient(self) -> tuple[float, ...]:
        """The gradient at the current point (surfaces: (dx, dy)); the one the next step uses."""
        with self.lock:
            grads = [p.grad.detach().flatten() for p in self._params if p.grad is not None]
            return tuple(torch.cat(grads).tolist()) if grads else ()

    def curvature(self) -> Curvature | None:
        """Surfaces: the Hessian at the current point, its eigenvalues, and for a positive
        definite Hessian the step size and momentum that are best on the quadratic it describes
        (Goh, "Why Momentum Really Works", Distill 2017). None where the Hessian is not finite."""
        if self.scenario.kind != "surface":
            return None
        f = self._f
        point = torch.tensor(self.point, dtype=torch.float64)
        hessian = _hessian(f, point)
        if hessian is None:
            return None
        low, high = sorted(np.linalg.eigvalsh(hessian).tolist())
        if self._quadratic is None:
            self._quadratic = _is_quadratic(self.scenario, hessian)
        return Curvature.of(hessian, low, high, self._quadratic)


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


_HERE = __file__.rsplit("/", 1)[0] + "/"
_FORMULA = _HERE + "formula.py"


def _our_bug(exc: BaseException) -> bool:
    """Raised by the playground's own code (the innermost frame is ours), not by torch, an
    optimizer or a scenario's formula: a bug to report, not a way for a run to end."""
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    name = tb.tb_frame.f_code.co_filename
    return name.startswith(_HERE) and name != _FORMULA


def _predicted(out: torch.Tensor) -> torch.Tensor:
    """Each row's predicted class: the first of its largest outputs, as argmax gives it, in half
    argmax's time on this CPU (max's indices; 9 against 21 us for digits' 1,347 rows)."""
    return out.max(1).indices


def _raised(exc: Exception, weights: str) -> str:
    """Why a run stopped when training raised: one line a person can act on. `weights`: what the
    parameters are ("the model's float32 weights", "the point's float64 numbers")."""
    text = (str(exc).splitlines() or [""])[0]
    if "without overflow" in text:  # torch refusing e.g. lr = 1e300 for the parameters' type
        return f"a setting is too large for {weights} (the learning rate?): " + text[:120]
    if isinstance(exc, OverflowError):  # the optimizer's own arithmetic in Python floats (Schedule-Free's lr²)
        return f"a setting is too large: a number overflowed inside the optimizer (the learning rate?): {text}"[:200]
    return f"training raised {type(exc).__name__}: {text}"[:200]


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



