"""Looking inside a network: the loss landscape around its weights and the sharpness, each checked
against a computation of its own (a plain torch model, a dense Hessian, scikit-learn's PCA)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from playground import scenarios
from playground.engine import Run
from playground.problems import build_model
from playground.errors import ConfigError
from playground.landscape import coefficients, landscape, random_directions
from playground.trail import Trail
from playground.settings import resolve
from playground.sharpness import Sharpness


def trained(name, steps, trail=True, **kw):
    s = scenarios.load(name)
    run = Run(s, resolve(s, **kw))
    if trail:
        run.problem.trail = Trail()
        run.reset()
    run.step(steps)
    return run


def plain_loss(run, weights):
    """The training loss of a fresh torch model of the run's shape holding `weights` (a list of
    tensors in the model's order), with plain nn.Module calls."""
    s = run.scenario
    pts = s.points()
    model = build_model(s, pts.train_x.shape[1], pts.classes if s.kind == "classification" else 1)
    with torch.no_grad():
        for p, w in zip(model.parameters(), weights, strict=True):
            p.copy_(w)
        x = torch.from_numpy(pts.train_x)
        if s.kind == "classification":
            return torch.nn.functional.cross_entropy(model(x), torch.from_numpy(pts.train_y)).item()
        return torch.nn.functional.mse_loss(model(x), torch.from_numpy(pts.train_y).unsqueeze(1)).item()


# ---------------------------------------------------------------- the landscape


@pytest.mark.parametrize("name", ["moons", "spiral", "sine", "digits"])
def test_the_centre_is_the_runs_own_final_loss_to_the_bit(name):
    run = trained(name, 30)
    found = landscape(run, "random", grid=5)
    assert found.loss[2, 2] == run.history.loss.last() == found.final_loss
    assert found.trajectory[-1].tolist() == [0.0, 0.0]


def test_a_cell_is_the_loss_of_a_plain_model_at_those_weights():
    run = trained("moons", 50)
    found = landscape(run, "random", grid=5, span=0.5)
    d1, d2 = random_directions(run, run.config.seed)
    weights = [w for _, w in run.problem.named_parameters()]
    for i, j in ((0, 4), (1, 3), (4, 0)):
        a, b = found.alpha[i], found.beta[j]
        moved = [w + a * u + b * v for w, u, v in zip(weights, d1, d2)]
        assert found.loss[i, j] == pytest.approx(plain_loss(run, moved), rel=1e-6)
    # far from the weights the loss is higher than at them, in every corner: the run found a valley
    assert min(found.loss[0, 0], found.loss[0, 4], found.loss[4, 0], found.loss[4, 4]) > found.final_loss


def test_coefficients_are_symmetric_and_zero_in_the_middle():
    for grid in (3, 11, 41, 201):
        c = coefficients(grid, 1.7)
        assert len(c) == grid and c[0] == -1.7 and c[-1] == 1.7 and c[grid // 2] == 0.0
        assert all(c[i] == -c[grid - 1 - i] for i in range(grid))


def test_random_directions_are_filter_normalised_and_seeded():
    run = trained("moons", 20, trail=False)
    d1, d2 = random_directions(run, 7)
    for (_, w), u in zip(run.problem.named_parameters(), d1):
        if w.dim() == 1:
            assert not u.any()  # biases: no direction
        else:  # each neuron's row as long as the weights' row
            assert torch.allclose(u.norm(dim=1), w.norm(dim=1), rtol=1e-5)
    again, _ = random_directions(run, 7)
    other, _ = random_directions(run, 8)
    assert all(torch.equal(a, b) for a, b in zip(d1, again))
    assert not all(torch.equal(a, b) for a, b in zip(d1, other))
    assert not all(torch.equal(a, b) for a, b in zip(d1, d2))


def test_pca_directions_explain_what_scikit_learn_says_and_the_path_lies_on_them():
    run = trained("moons", 200)
    found = landscape(run, "pca", grid=3)
    centre = run.problem.weights().double()
    points = (torch.stack(run.problem.trail.weights).double() - centre).numpy()
    assert len(points) == 201 == len(found.trajectory)
    reference = PCA(n_components=2).fit(points)
    assert found.explained_variance == pytest.approx(tuple(reference.explained_variance_ratio_), rel=1e-6)
    # the directions are orthonormal, so each point's coordinates are its dot products with them
    components = reference.components_
    expected = points @ components.T
    assert np.allclose(np.abs(found.trajectory), np.abs(expected), atol=1e-6)  # a component's sign is free
    assert found.explained_variance[0] > 0.5  # gradient descent's path is mostly one line


def test_pca_on_a_run_that_has_not_moved_says_so():
    run = trained("moons", 0)
    with pytest.raises(ConfigError, match="pca needs a trajectory"):
        landscape(run, "pca", grid=3)


def test_a_cancelled_landscape_is_none_and_progress_reaches_one():
    run = trained("moons", 10)
    seen = []
    assert landscape(run, "random", grid=9, progress=seen.append) is not None
    assert seen[-1] == 1.0 and seen == sorted(seen)
    assert landscape(run, "random", grid=9, cancelled=lambda: True) is None


def test_a_capped_trail_keeps_an_even_sample_of_the_whole_path():
    run = trained("moons", 0)
    run.problem.trail = Trail(cap=8)
    run.reset()
    run.step(100)
    rows = run.problem.trail.rows
    assert len(rows) <= 8 and rows[0] == 0
    gaps = {b - a for a, b in zip(rows, rows[1:])}
    assert len(gaps) == 1 and rows[-1] + gaps.pop() > 100 - 16  # evenly spaced, reaching the end
    found = landscape(run, "pca", grid=3)
    assert found.rows[-1] == 100 and found.trajectory[-1].tolist() == [0.0, 0.0]


def test_the_trail_restarts_with_the_run():
    run = trained("moons", 30)
    run.reset()
    assert run.problem.trail.rows == [0]


# ---------------------------------------------------------------- sharpness


def test_sharpness_on_the_ill_conditioned_bowl_is_100_everywhere():
    s = scenarios.load("ill_conditioned")
    run = Run(s, resolve(s))
    sharp = Sharpness(run)
    for _ in range(5):
        assert abs(sharp.measure() - 100) <= 1e-6
        run.step(20)


def test_sharpness_of_a_network_is_the_dense_hessians_largest_eigenvalue():
    run = trained("xor", 100, trail=False)
    params = run.parameters
    shapes = [p.shape for p in params]
    sizes = [p.numel() for p in params]

    def loss_of(flat):
        pieces = torch.split(flat, sizes)
        named = {name: piece.reshape(shape) for (name, _), piece, shape in zip(run.problem.named_parameters(), pieces, shapes)}
        return run.problem.loss_at(named)

    flat = torch.cat([p.detach().reshape(-1) for p in params])
    hessian = torch.autograd.functional.hessian(loss_of, flat).double().numpy()  # every entry, for the reference
    largest = float(np.linalg.eigvalsh((hessian + hessian.T) / 2)[-1])
    measured = Sharpness(run).measure()
    assert measured == pytest.approx(largest, rel=1e-3)


def test_measuring_the_sharpness_leaves_the_run_as_a_plain_loop_would_have_it():
    plain = trained("moons", 0, trail=False)
    measured = trained("moons", 0, trail=False)
    sharp = Sharpness(measured)
    for _ in range(6):
        plain.step(10)
        sharp.measure()
        measured.step(10)
    assert measured.history.loss.tolist() == plain.history.loss.tolist()
    assert torch.equal(measured.problem.weights(), plain.problem.weights())
    assert [step for step, _ in sharp.values] == [0, 10, 20, 30, 40, 50]
    assert all(math.isfinite(v) and v > 0 for _, v in sharp.values)


def test_a_run_with_a_sharpness_measures_every_k_steps_whatever_its_chunks_and_again_after_reset():
    s = scenarios.load("ill_conditioned")
    run = Run(s, resolve(s))
    run.sharpness = Sharpness(run, every=10)
    run.sharpness.measure()
    for _ in range(5):
        run.step(7)
    assert [step for step, _ in run.sharpness.values] == [0, 10, 20, 30]
    run.reset()
    assert [step for step, _ in run.sharpness.values] == [0]
    run.step(25)
    assert [step for step, _ in run.sharpness.values] == [0, 10, 20]


def test_another_lanes_path_on_the_plane_is_its_trail_projected_and_follows_it():
    s = scenarios.load("moons")
    one, two = (Run(s, resolve(s, hyper=h), compact=True) for h in ({"lr": 0.1}, {"lr": 0.05}))
    one.step(40)
    two.step(40)
    found = landscape(one, "pca", grid=3)
    path = found.onto(two)
    expected = found._relative(two.problem.trail.weights)  # noqa: SLF001 - the projection itself
    assert np.array_equal(path, expected) and len(path) == len(two.problem.trail.rows) == 41
    assert np.array_equal(found.onto(one), found.trajectory)  # its own lane: the trajectory
    two.step(3)
    moved = found.onto(two)
    assert len(moved) == 44 and np.allclose(moved[:41], path)
