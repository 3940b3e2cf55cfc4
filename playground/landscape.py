"""The loss landscape around a network's current weights: the training loss on a plane through
them, loss(w + a·d1 + b·d2) on a grid of (a, b), with the run's trajectory projected onto it.

Directions are `pca`, the two principal directions of the weight trajectory so far (its points
relative to the current weights), or `random`, two seeded Gaussian directions normalised filter
by filter as in Li et al., "Visualizing the Loss Landscape of Neural Nets" (2018): each neuron's
row of a weight matrix scaled to that row's norm in the weights, biases zeroed.

Each grid cell is one forward pass through `NetworkOnData.loss_at` (a 41×41 grid on moons in about 0.2 s,
digits in 1 s). The centre's coefficients are exactly 0, so its cell is the current weights to the
bit and its loss is the run's own. No UI here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import torch

from playground.errors import ConfigError

if TYPE_CHECKING:
    from playground.engine import Run

DIRECTIONS = ("pca", "random")
GRID = 41  # cells a side, odd so that the current weights are a cell
SPAN = 1.0  # the grid's half width, in units of the directions' norms


class Diverged(ConfigError):
    """A run that diverged has weights that are not finite (or a loss that is not): no plane
    around them exists to draw."""

    def __init__(self, run: Run, largest: float | None = None) -> None:
        if largest is None:
            why = f" ({run.stop_reason})" if run.stop_reason else ""
            said = f"the run diverged at step {run.diverged_at}{why}: there is no landscape around weights that are not finite"
        else:
            said = f"the run diverged: its weights reached {largest:.3g}, so large that directions scaled to them are not finite numbers: there is no landscape around them"
        super().__init__("run", said)


@dataclass(frozen=True)
class Landscape:
    directions: str
    span: float
    alpha: list[float]  # the grid's coefficients along d1, -span .. span, 0 exactly at the centre
    beta: list[float]  # along d2
    loss: np.ndarray  # loss[i, j] at (alpha[i], beta[j]); nan or inf where not finite
    trajectory: np.ndarray  # (points, 2): the trail's weights projected onto the plane, last (0, 0)
    rows: list[int]  # the history row of each trajectory point
    final_loss: float  # the loss at the current weights: the centre cell
    explained_variance: tuple[float, float] | None  # pca: the share of the trail's variance along d1, d2
    step: int = 0  # the run's step at the centre
    d1: list[torch.Tensor] = field(default_factory=list, repr=False)
    d2: list[torch.Tensor] = field(default_factory=list, repr=False)
    centre: torch.Tensor | None = field(default=None, repr=False)  # the weights at (0, 0), flattened
    _projected: dict[int, tuple[object, np.ndarray]] = field(default_factory=dict, repr=False, compare=False)  # onto()'s, by run

    def onto(self, run: Run) -> np.ndarray:
        """Another run's trail (a lane of the same race) projected onto this plane, relative to its
        centre: (points, 2), the run's current weights last. The trail's projection is kept until
        the trail changes: drawn every frame while the lanes run, only the newest point is new."""
        assert self.centre is not None
        rows, weights, now = _path(run)
        key = (id(run), id(run.problem.trail), len(rows), rows[-1] if rows else None)
        cached = self._projected.get(id(run))
        if cached is None or cached[0] != key:
            path = self._relative(weights) if weights else np.empty((0, 2))
            self._projected[id(run)] = cached = (key, path)
        if now is None:
            return cached[1]
        return np.concatenate([cached[1], self._relative([now])])

    def _relative(self, weights: list[torch.Tensor]) -> np.ndarray:
        assert self.centre is not None
        return project((torch.stack(weights).double() - self.centre.double()).numpy(), self.d1, self.d2)

    @property
    def grid(self) -> int:
        return len(self.alpha)


def _path(run: Run) -> tuple[list[int], list[torch.Tensor], torch.Tensor | None]:
    """The run's trail as its rows and weights, and the current weights where the trail does not
    end at the current row (None where it does), read together under the run's lock."""
    with run.lock:
        trail = run.problem.trail
        rows = list(trail.rows) if trail is not None else []
        weights = list(trail.weights) if trail is not None else []
        now = None if rows and rows[-1] == len(run.history.loss) - 1 else run.problem.weights()
    return rows, weights, now


def coefficients(grid: int, span: float) -> list[float]:
    """`grid` numbers from -span to span, symmetric to the bit and exactly 0 in the middle."""
    half = grid // 2
    return [span * (i - half) / half if i != half else 0.0 for i in range(grid)] if half else [0.0]


def random_directions(run: Run, seed: int) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Two Gaussian directions drawn from `seed`, each weight matrix's rows scaled to the norms of
    the weights' rows (filter normalisation), biases zeroed."""
    generator = torch.Generator().manual_seed(seed)
    named = run.problem.named_parameters()
    pair = []
    for _ in range(2):
        direction = []
        for _, w in named:
            d = torch.randn(w.shape, generator=generator, dtype=w.dtype)
            if w.dim() <= 1:
                d.zero_()
            else:
                rows_w, rows_d = w.reshape(len(w), -1), d.reshape(len(d), -1)
                scale = rows_w.norm(dim=1, keepdim=True) / rows_d.norm(dim=1, keepdim=True).clamp_min(1e-12)
                d = (rows_d * scale).reshape(w.shape)
            direction.append(d)
        pair.append(direction)
    return pair[0], pair[1]


def pca_directions(run: Run, points: np.ndarray) -> tuple[list[torch.Tensor], list[torch.Tensor], tuple[float, float]]:
    """The trail's two principal directions (unit vectors), from its points relative to the
    current weights, and the share of the variance each explains."""
    if len(points) < 2 or not np.isfinite(points).all():
        raise ConfigError("directions", "pca needs a trajectory: at least one step of finite weights (or use random directions)")
    centred = points - points.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    variance = s**2
    total = float(variance.sum())
    if total == 0 or len(vt) < 2:
        raise ConfigError("directions", "pca needs a trajectory that moved: the weights never changed (or use random directions)")
    shares = (float(variance[0] / total), float(variance[1] / total))
    return _split(run, vt[0]), _split(run, vt[1]), shares


def _split(run: Run, flat: np.ndarray) -> list[torch.Tensor]:
    """A flat vector as tensors shaped like the model's parameters."""
    out, at = [], 0
    for _, w in run.problem.named_parameters():
        n = w.numel()
        out.append(torch.from_numpy(np.ascontiguousarray(flat[at : at + n])).to(w.dtype).reshape(w.shape))
        at += n
    return out


def _flat(direction: list[torch.Tensor]) -> np.ndarray:
    return torch.cat([d.reshape(-1) for d in direction]).double().numpy()


def grid_losses(run: Run, d1: list[torch.Tensor], d2: list[torch.Tensor], alpha: list[float], beta: list[float], progress: Callable[[float], None] = lambda done: None, cancelled: Callable[[], bool] = lambda: False) -> np.ndarray | None:
    """loss(w + a·d1 + b·d2) at every (alpha[i], beta[j]); None when cancelled. Each cell is its
    own forward pass with the run's shapes, so its loss is the one torch computes for those
    weights in training, to the bit: a vmap-batched pass rounds its matrix products in another
    order (1e-7 apart on digits), and the centre would no longer be the run's own loss."""
    named = run.problem.named_parameters()
    loss_at = run.problem.loss_at
    out = np.empty((len(alpha), len(beta)))
    with torch.no_grad():
        for i, a in enumerate(alpha):
            if cancelled():
                return None
            base = {name: w + a * u for (name, w), u in zip(named, d1, strict=True)}
            values = [loss_at({name: base[name] + b * v for (name, _), v in zip(named, d2, strict=True)}) for b in beta]
            out[i] = torch.stack(values).double().numpy()
            progress((i + 1) / len(alpha))
    return out


def project(points: np.ndarray, d1: list[torch.Tensor], d2: list[torch.Tensor]) -> np.ndarray:
    """Each point (relative to the current weights) as (a, b) on the plane: least squares, as
    random directions need not be orthogonal."""
    basis = np.stack([_flat(d1), _flat(d2)], axis=1)
    coords, *_ = np.linalg.lstsq(basis, points.T, rcond=None)
    return coords.T


def landscape(run: Run, directions: str = "pca", grid: int = GRID, span: float | None = SPAN, progress: Callable[[float], None] = lambda done: None, cancelled: Callable[[], bool] = lambda: False) -> Landscape | None:
    """The landscape around `run`'s current weights (a dataset's run with a Trail for pca). None
    when cancelled. `span` None: wide enough for the trajectory (a quarter more than its farthest
    point; 1 when it has not moved)."""
    if directions not in DIRECTIONS:
        raise ConfigError("directions", f"{directions!r} is not one of {', '.join(DIRECTIONS)}")
    with run.lock:  # the whole computation: the weights must not move under it
        centre = run.problem.weights()
        if run.diverged or not bool(torch.isfinite(centre).all()):  # LAPACK would fail on it, and say so on stdout
            raise Diverged(run)
        last_row = len(run.history.loss) - 1
        final_loss = run.history.loss.last()
        rows, weights, now = _path(run)
        if now is not None:  # the path ends at the centre
            rows.append(last_row)
            weights.append(centre)
        points = (torch.stack(weights).double() - centre.double()).numpy()
        shares = None
        if directions == "pca":
            d1, d2, shares = pca_directions(run, points)
        else:
            d1, d2 = random_directions(run, run.config.seed)
        if not all(bool(torch.isfinite(d).all()) for d in (*d1, *d2)):  # norms of huge weights overflow float32
            raise Diverged(run, float(centre.abs().max()))
        trajectory = project(points, d1, d2)  # the last point is the centre: exactly (0, 0)
        if span is None:
            farthest = float(np.abs(trajectory).max()) if np.isfinite(trajectory).all() else 0.0
            span = 1.25 * farthest if farthest > 0 else SPAN
        alpha, beta = coefficients(grid, span), coefficients(grid, span)
        loss = grid_losses(run, d1, d2, alpha, beta, progress, cancelled)
    if loss is None:
        return None
    return Landscape(directions, span, alpha, beta, loss, trajectory, rows, final_loss, shares, last_row, d1, d2, centre)
