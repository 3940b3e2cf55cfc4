"""A run: one optimizer training one scenario's problem, step by step, with its history. No UI here.

The run owns the optimizer, its settings and their changes mid-run (the timeline); the problem
(problems.py: a point on a surface, a network on a dataset) owns the parameters, the loss and the
loop. The loop keeps the gradient at the current point ready: reset() evaluates the start (row 0
of the history), and each step is `optimizer.step()` followed by one forward and backward pass at
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
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from playground import optimizer_pair, problems, torch_internals
from playground.datasets import Points
from playground.errors import ConfigError
from playground.formatting import change as _fmt
from playground.optimizers import RPROP_LR, get_optimizer
from playground.problems import Curvature
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
        self.problem = problems.make(scenario, start, compact)  # what it trains: its parameters and loss
        self.elapsed = 0.0  # seconds spent inside step()
        # given a Sharpness (sharpness.py), measured at step 0 and every `sharpness.every` steps
        self.sharpness: Sharpness | None = None
        self.reset()

    # ------------------------------------------------------------ set-up

    def reset(self, start: tuple[float, float] | None = None) -> None:
        """Back to step 0: the start point (or a fresh model from the seed) and a new optimizer."""
        with self.lock:
            problem = self.problem
            if start is not None:
                problem.start = start
            self.history = problem.history(self.full_history, self.compact)
            self.diverged_at: int | None = None
            self.stop_reason: str | None = None
            self.raised: str | None = None  # why torch raised where the run stopped (not at a number that was not finite)
            self.elapsed = 0.0
            # the settings as the run went: (step, config, what changed) from the step each took
            # effect, its first the settings it started with (the code behind the run replays it)
            self.timeline: list[tuple[int, RunConfig, str]] = [(0, self.config, "")]
            restart = self.sharpness is not None
            problem.reset(self.config)
            self._configure(self.config)
            self._record(problem.evaluate(self.history, self.lr))
            if restart:
                self.sharpness.restart()  # type: ignore[union-attr]

    def _configure(self, config: RunConfig) -> None:
        """Build the optimizer and loss function for `config` (fresh optimizer state)."""
        spec = get_optimizer(config.optimizer)
        paired = bool(spec.partner) and self.problem.model is not None
        groups = optimizer_pair.split(self.problem.model, spec.name, spec.torch_name, config.hyper.get("matrices") or "hidden") if paired else None  # refused before anything changes
        before = self.config, self._spec
        self.config, self._spec = config, spec
        self.problem.fit(spec.matrix_only)
        try:
            self.optimizer = self._pair(spec, config.hyper, *groups) if groups else spec.build(self.problem.params, config.hyper)
        except (ValueError, TypeError) as exc:  # torch's own checks, beyond the registry's
            self.config, self._spec = before  # the run keeps the settings it had
            self.problem.fit(self._spec.matrix_only)
            raise ConfigError(config.optimizer, str(exc)) from None
        self.scheduler = get_schedule(config.schedule).build(self.optimizer, config.schedule_params, config.steps)  # torch's lr scheduler (None: a constant rate)
        self._step = self._update(torch_internals.plain_step(self.optimizer))
        # ASGD: the mu its next update uses (1 until it averages); a fresh optimizer's average is
        # its own, so the old one goes with the old state
        self._next_mu = 1.0
        self.history.average = None
        self.problem.use(config)
        self.problem.evaluated = self._evaluated if spec.train_eval else None

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

    def _update(self, plain: Any) -> Any:
        """One update as the config asks: clip the gradient's norm, the optimizer's step, then the
        schedule's step. Without clipping or a schedule, the optimizer's plain step (no cost)."""
        clip, scheduler = self.config.clip, self.scheduler
        if not clip and scheduler is None:
            return plain
        params = self.problem.params
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
        if self.scheduler is not None:
            if self._has_state():
                return f"{RPROP_LR}: the schedule changes nothing"
            return f"{RPROP_LR}: the schedule counts only there (lr {_fmt(self.lr)}), then changes nothing"
        return ""

    def _has_state(self) -> bool:
        """The optimizer has made its state (Rprop: its step sizes, from lr, at the first step)."""
        return any(self.optimizer.state.get(p) for p in self.problem.params)

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
            h = self.history
            track = self._track_average if self._spec.name == "asgd" else None
            try:
                done, stop = self.problem.steps(n, self._step, self.optimizer.param_groups[0], self.config, self._spec.needs_closure, h, track)
                self._record(stop)
            except Exception as exc:  # an optimizer or a formula that raises: stop, say why
                if _our_bug(exc):  # not how the run ended: a bug, said as one by the caller
                    raise
                done = self.history.steps - before  # the updates recorded before it raised
                self._stop(_raised(exc, self.problem.numbers))
                self.raised = self.stop_reason
            self.elapsed += time.perf_counter() - t0
            return done

    def _stop(self, reason: str) -> None:
        self.diverged_at = self.history.steps
        self.stop_reason = reason

    def _record(self, stop: str | None) -> None:
        if stop is not None:
            self._stop(stop)

    def _track_average(self) -> None:
        """ASGD, after an update: once an update has averaged (its mu < 1), record the average
        `ax` torch keeps in the optimizer's state, and the loss there, at the row just made."""
        state = self.optimizer.state
        first = state.get(self.problem.params[0])
        if not first:
            return
        used, self._next_mu = self._next_mu, float(first["mu"])
        h = self.history
        average = h.average
        if average is None:
            if used == 1.0:
                return
            row = len(h.loss) - 1
            average = h.begin_average(row, self.problem.on_map)
            t0 = self.optimizer.param_groups[0]["t0"]
            h.events.append((row, f"ASGD's average began (t0 = {_fmt(t0)}): ◇ on the map"))
        loss, where = self.problem.at_average([state[p]["ax"] for p in self.problem.params])
        if where is not None:
            average.x.append(where[0])  # type: ignore[union-attr]
            average.y.append(where[1])  # type: ignore[union-attr]
        average.loss.append(loss)

    @contextmanager
    def _evaluated(self) -> Iterator[None]:
        """For the block, the model as its optimizer evaluates it: Schedule-Free's eval mode (its
        average x); the training point y comes back exactly after (train() alone would round it)."""
        if not self._spec.train_eval:
            yield
            return
        with self.lock:  # the parameters change for the block: not while another thread steps
            saved = [p.detach().clone() for p in self.problem.params]
            self.optimizer.eval()
            try:
                yield
            finally:
                self.optimizer.train()
                with torch.no_grad():
                    for p, kept in zip(self.problem.params, saved):
                        p.copy_(kept)

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
            if config.seed != old.seed and self.problem.model is not None:
                self.config = config
                self.reset()
                return f"seed {config.seed}: started over"
            takes = [h.name for h in self._spec.hyper if h.takes and config.hyper.get(h.name) != old.hyper.get(h.name)]
            if config.optimizer != old.optimizer or config.loss != old.loss or takes:
                self._configure(config)
                if config.loss != old.loss:
                    self.problem.regrad(self.history, config)
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
                if k in rates and self.scheduler is not None:
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
                self.scheduler = get_schedule(config.schedule).build(self.optimizer, config.schedule_params, config.steps)
                parts.append(f"schedule {get_schedule(config.schedule).describe(config.schedule_params, config.steps)}")
                changed["schedule"] = config.schedule
            if config.clip != old.clip:
                parts.append(f"clip {_fmt(config.clip) if config.clip else 'off'}")
                changed["clip"] = config.clip
            self._step = self._update(torch_internals.plain_step(self.optimizer))
            if config.batch_size != old.batch_size:
                parts.append(f"batch size {config.batch_size or 'full'}")
                if self.problem.full_batch(config):  # the next update takes the whole set's gradient, not the last batch's
                    self.problem.regrad(self.history, config)
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
        scheduler = self.scheduler
        reached = [i for i, _ in self._groups(rate)]
        for i in reached:
            group = self.optimizer.param_groups[i]
            for key in ("lr", "initial_lr", "max_lr", "min_lr"):
                if key in group:
                    group[key] *= ratio
        scheduler.base_lrs = [b * ratio if i in reached else b for i, b in enumerate(scheduler.base_lrs)]

    # ------------------------------------------------------------ for looking inside

    def watch_sharpness(self, every: int | None) -> None:
        """Measure the sharpness now and then every `every` steps as the run steps (None: stop)."""
        if every is None:
            self.sharpness = None
            return
        from playground.sharpness import Sharpness

        self.sharpness = Sharpness(self, every)
        self.sharpness.measure()

    # what it trains, as the drawing, the landscape and the sharpness read it
    @property
    def points(self) -> Points | None:
        """Datasets: the training and test points (surfaces: None)."""
        return self.problem.points

    @property
    def model(self) -> nn.Sequential | None:
        """Datasets: the network (surfaces: None)."""
        return self.problem.model

    @property
    def start(self) -> tuple[float, float] | None:
        """Surfaces: where the point starts (datasets: None)."""
        return self.problem.start

    @property
    def parameters(self) -> list[torch.Tensor]:
        """The tensors the optimizer updates (surfaces: the point), themselves, not copies."""
        return list(self.problem.params)

    def training_loss(self) -> torch.Tensor:
        """The loss at the current parameters with its graph (the whole training set; surfaces:
        the formula): what the sharpness differentiates twice."""
        return self.problem.training_loss()

    def predict_grid(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Datasets: the model's predictions over a grid (NetworkOnData.predict_grid), as its
        optimizer evaluates it (Schedule-Free: its average)."""
        with self._evaluated():
            return self.problem.predict_grid(xs, ys)  # type: ignore[union-attr]

    def confusion(self) -> tuple[np.ndarray, str]:
        """Classification: (counts, split), counts[true, predicted] over the test split (or the
        training points), as the optimizer evaluates the model."""
        with self._evaluated():
            return self.problem.confusion()  # type: ignore[union-attr]

    def optimizer_state(self) -> dict[str, Any]:
        """The optimizer's state over all the parameters (the point, on surfaces): each tensor the
        parameters' pieces joined in order, as a list; anything else (a step count, L-BFGS's
        lists) as the first parameter keeps it."""
        out: dict[str, Any] = {}
        pieces: dict[str, list[torch.Tensor]] = {}
        for p in self.problem.params:
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
            grads = [p.grad.detach().flatten() for p in self.problem.params if p.grad is not None]
            return tuple(torch.cat(grads).tolist()) if grads else ()

    def curvature(self) -> Curvature | None:
        """Surfaces: the Hessian at the current point and what it says (problems.Curvature);
        None for a network, or where the Hessian is not finite."""
        return self.problem.curvature(self.point) if self.problem.on_map else None


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


def _raised(exc: Exception, weights: str) -> str:
    """Why a run stopped when training raised: one line a person can act on. `weights`: what the
    parameters are ("the model's float32 weights", "the point's float64 numbers")."""
    text = (str(exc).splitlines() or [""])[0]
    if "without overflow" in text:  # torch refusing e.g. lr = 1e300 for the parameters' type
        return f"a setting is too large for {weights} (the learning rate?): " + text[:120]
    if isinstance(exc, OverflowError):  # the optimizer's own arithmetic in Python floats (Schedule-Free's lr²)
        return f"a setting is too large: a number overflowed inside the optimizer (the learning rate?): {text}"[:200]
    return f"training raised {type(exc).__name__}: {text}"[:200]


