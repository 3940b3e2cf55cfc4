"""The engine: seeds, losses, minibatches, divergence, history."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from playground import scenarios
from playground.engine import Run
from playground.errors import ConfigError
from playground.history import Series, downsample
from playground.optimizers import OPTIMIZERS
from playground.settings import resolve


def run_of(name, steps=0, **kw):
    s = scenarios.load(name)
    run = Run(s, resolve(s, **kw))
    run.step(steps)
    return run


# ---------------------------------------------------------------- seeds


def test_same_seed_same_numbers():
    a = run_of("moons", 30, seed=3)
    b = run_of("moons", 30, seed=3)
    assert a.history.loss.tolist() == b.history.loss.tolist()
    assert a.history.accuracy.tolist() == b.history.accuracy.tolist()
    assert a.history.grad_norm.tolist() == b.history.grad_norm.tolist()
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_same_seed_same_numbers_even_after_other_torch_randomness():
    a = run_of("xor", 10, seed=5)
    torch.rand(1000)  # someone else uses the global generator in between
    b = run_of("xor", 10, seed=5)
    assert a.history.loss.tolist() == b.history.loss.tolist()


def test_different_seed_different_initial_model():
    a = run_of("moons", 0, seed=0)
    b = run_of("moons", 0, seed=1)
    assert a.history.loss[0] != b.history.loss[0]
    assert not torch.equal(next(a.model.parameters()), next(b.model.parameters()))


def test_seed_comes_from_the_scenario_defaults_unless_given():
    s = scenarios.load("moons")
    assert resolve(s).seed == s.defaults.seed
    assert resolve(s, seed=7).seed == 7


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5, "3"])
def test_bad_seed_is_a_config_error(seed):
    s = scenarios.load("moons")
    with pytest.raises(ConfigError) as info:
        resolve(s, seed=seed)
    assert info.value.field == "seed"


def test_changing_seed_mid_run_starts_over_with_the_new_seed():
    run = run_of("moons", 10, seed=0)
    message = run.apply(dataclasses.replace(run.config, seed=4))
    assert "seed 4" in message
    assert run.step_count == 0
    assert run.history.loss[0] == run_of("moons", 0, seed=4).history.loss[0]


# ---------------------------------------------------------------- losses


@pytest.mark.parametrize("name", ["moons", "blobs"])
def test_nll_and_cross_entropy_give_the_same_curve(name):
    ce = run_of(name, 40, loss="cross_entropy", seed=2)
    nll = run_of(name, 40, loss="nll", seed=2)
    np.testing.assert_allclose(nll.history.loss.array(), ce.history.loss.array(), rtol=1e-6, atol=1e-7)
    assert nll.history.accuracy.tolist() == ce.history.accuracy.tolist()
    mse = run_of(name, 40, loss="mse", seed=2)
    assert not np.allclose(mse.history.loss.array(), ce.history.loss.array())  # the choice matters


def test_dataset_loss_is_the_whole_training_set_loss():
    run = run_of("moons", 15, loss="cross_entropy")
    pts = run.points
    with torch.no_grad():
        out = run.model(torch.from_numpy(pts.train_x))
        loss = F.cross_entropy(out, torch.from_numpy(pts.train_y)).item()
        acc = (out.argmax(1) == torch.from_numpy(pts.train_y)).float().mean().item()
        test_acc = (run.model(torch.from_numpy(pts.test_x)).argmax(1) == torch.from_numpy(pts.test_y)).float().mean().item()
    assert run.history.loss.last() == pytest.approx(loss, rel=1e-6)
    assert run.history.accuracy.last() == pytest.approx(acc)
    assert run.history.test_accuracy.last() == pytest.approx(test_acc)


@pytest.mark.parametrize("loss", ["mse", "l1", "huber"])
def test_regression_losses(loss):
    run = run_of("sine", 60, loss=loss)
    pts = run.points
    with torch.no_grad():
        pred = run.model(torch.from_numpy(pts.train_x))
        target = torch.from_numpy(pts.train_y).unsqueeze(1)
        expected = {"mse": F.mse_loss, "l1": F.l1_loss, "huber": F.huber_loss}[loss](pred, target).item()
    assert run.history.loss.last() == pytest.approx(expected, rel=1e-6)
    assert run.history.loss.last() < run.history.loss[0]
    assert run.history.accuracy is None


def test_loss_choice_is_validated_per_kind():
    with pytest.raises(ConfigError, match="nll"):
        resolve(scenarios.load("moons"), loss="hinge")
    with pytest.raises(ConfigError):
        resolve(scenarios.load("sine"), loss="nll")
    with pytest.raises(ConfigError):
        resolve(scenarios.load("rosenbrock"), loss="mse")


# ---------------------------------------------------------------- minibatches


def test_minibatch_runs_are_deterministic_and_differ_from_full_batch():
    a = run_of("moons", 30, batch_size=16, seed=1)
    b = run_of("moons", 30, batch_size=16, seed=1)
    full = run_of("moons", 30, batch_size=0, seed=1)
    other = run_of("moons", 30, batch_size=16, seed=2)
    assert a.history.steps == 30 and len(a.history.loss) == 31
    assert a.history.loss.tolist() == b.history.loss.tolist()
    assert a.history.loss[0] == full.history.loss[0]  # same model at step 0
    assert a.history.loss.tolist() != full.history.loss.tolist()
    assert a.history.loss.tolist() != other.history.loss.tolist()
    assert all(math.isfinite(v) for v in a.history.loss.tolist())


def test_minibatch_loss_is_still_the_whole_training_set_loss():
    run = run_of("blobs", 12, batch_size=10)
    pts = run.points
    with torch.no_grad():
        loss = F.cross_entropy(run.model(torch.from_numpy(pts.train_x)), torch.from_numpy(pts.train_y)).item()
    assert run.history.loss.last() == pytest.approx(loss, rel=1e-6)


def test_minibatch_training_learns():
    run = run_of("gaussian", 200, batch_size=20)
    assert run.history.loss.last() < 0.6 * run.history.loss[0]
    assert run.history.accuracy.last() >= 0.85


def plain_model(s, seed):  # noqa: ANN001, ANN201
    """The scenario's model as a plain torch script would build it from `seed`, and its training points."""
    from playground.problems import build_model

    pts = s.points()
    torch.manual_seed(seed)
    return build_model(s, 2, 2), torch.from_numpy(pts.train_x), torch.from_numpy(pts.train_y)


def test_minibatch_equals_a_plain_loop_over_the_same_batches():
    s = scenarios.load("moons")
    config = resolve(s, optimizer="sgd", hyper={"lr": 0.1, "momentum": 0.0}, batch_size=32, seed=9)
    run = Run(s, config)
    run.step(10)
    # by hand: same init, same batch order from a generator seeded the same way
    model, x, y = plain_model(s, 9)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    gen = torch.Generator().manual_seed(9)
    order, cursor = None, 0
    losses = [F.cross_entropy(model(x), y).item()]
    for _ in range(10):
        if order is None or cursor + 32 > len(x):
            order, cursor = torch.randperm(len(x), generator=gen), 0
        idx = order[cursor : cursor + 32]
        cursor += 32
        opt.zero_grad()
        F.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
        losses.append(F.cross_entropy(model(x), y).item())
    np.testing.assert_allclose(run.history.loss.array(), losses, rtol=1e-6)


@pytest.mark.parametrize("hyper", [{"momentum": 0.9, "nesterov": True}, {"momentum": 0.5, "dampening": 0.1, "weight_decay": 0.01}, {"momentum": 0.0, "nesterov": False}])
def test_sgd_on_a_model_is_the_plain_torch_loop_to_the_bit(hyper):
    """The engine runs SGD's multi-tensor version (one call for every tensor of the model): the
    losses and weights must still be those of `torch.optim.SGD` in a plain loop, exactly."""
    assert_equals_plain_loop("sgd", {"lr": 0.1, **hyper}, 40)


def assert_equals_plain_loop(name: str, hyper: dict, steps: int) -> Run:
    """`name` on moons (seed 3) through the engine, and in a plain torch loop on the same model
    and data: the same losses and weights, to the bit."""
    s = scenarios.load("moons")
    run = Run(s, resolve(s, optimizer=name, hyper=hyper, seed=3))
    run.step(steps)
    model, _, _, losses, _ = plain_moons_loop(run, steps)
    assert run.history.loss.array().tolist() == losses and losses[-1] < losses[0]
    for mine, plain in zip(run.model.parameters(), model.parameters(), strict=True):
        assert torch.equal(mine, plain)
    return run


def plain_moons_loop(run: Run, steps: int) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor, list[float], torch.optim.Optimizer]:
    """`run`'s optimizer (torch's, or the zoo package's) in a plain loop on moons (seed 3): the
    model, its data, the losses before each step and after the last, and the optimizer. Schedule-Free trains in
    train mode, as its package says (optimizer.train() first)."""
    model, x, y = plain_model(run.scenario, 3)
    spec = OPTIMIZERS[run.config.optimizer]
    opt = spec.optimizer_class()(model.parameters(), **run.config.hyper)
    if spec.train_eval:
        opt.train()
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    losses.append(F.cross_entropy(model(x), y).item())
    return model, x, y, losses, opt


def test_adafactor_on_a_model_is_the_plain_torch_loop_to_the_bit():
    """Adafactor factors a matrix's second moment (row and column means) and keeps a vector's
    whole: on a model both paths run, and the losses and weights are torch's plain loop's."""
    run = assert_equals_plain_loop("adafactor", {"lr": 0.05}, 30)
    kept = {k for state in run.optimizer.state.values() for k in state}
    assert {"row_var", "col_var", "variance"} <= kept  # both paths ran


@pytest.mark.parametrize("name", ["lion", "prodigy", "soap", "adopt", "ademamix"])
def test_the_zoos_optimizers_on_a_model_are_their_packages_plain_loop_to_the_bit(name):
    lr = {"lion": 0.01, "prodigy": 1.0, "soap": 0.01, "adopt": 0.01, "ademamix": 0.01}[name]
    assert_equals_plain_loop(name, {"lr": lr}, 25)


def test_schedule_free_trains_in_train_mode_and_scores_its_average_in_eval_mode():
    """Schedule-Free's plain loop: optimizer.train() before training, eval() to evaluate. The
    engine's losses and weights are the train-mode loop's to the bit, though it scores the eval
    point every step; its accuracies are the eval point's."""
    run = assert_equals_plain_loop("schedulefree_adamw", {"lr": 0.02}, 12)
    model, x, y, _, opt = plain_moons_loop(run, 12)
    with torch.no_grad():  # here the two points classify differently: the test tells them apart
        train_mode_right = (model(x).argmax(1) == y).sum().item() / len(y)
    opt.eval()  # the average x: what a person evaluates
    with torch.no_grad():
        train_right = (model(x).argmax(1) == y).sum().item() / len(y)
        xt, yt = torch.from_numpy(run.points.test_x), torch.from_numpy(run.points.test_y)
        test_right = (model(xt).argmax(1) == yt).sum().item() / len(yt)
        counts, _ = run.confusion()
        assert int(np.trace(counts)) == int((model(xt).argmax(1) == yt).sum())
    assert run.history.accuracy.last() == train_right != train_mode_right
    assert run.history.test_accuracy.last() == test_right
    # scoring the eval point leaves the engine's weights at y, to the bit
    before = [p.detach().clone() for p in run.model.parameters()]
    run.confusion()
    run.predict_grid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 5))
    assert all(torch.equal(a, b) for a, b in zip(before, run.model.parameters()))


def test_full_batch_lbfgs_on_a_dataset_trains():
    run = run_of("gaussian", 5, optimizer="lbfgs")
    assert not run.diverged
    assert run.history.loss.last() < run.history.loss[0]


# ---------------------------------------------------------------- divergence


def test_divergence_stops_the_run_and_reset_brings_it_back():
    s = scenarios.load("rosenbrock")
    run = Run(s, resolve(s, optimizer="sgd", hyper={"lr": 1.0}))
    done = run.step(200)
    assert run.diverged and run.diverged_at is not None
    assert done == run.diverged_at < 200
    h = run.history
    assert h.steps == run.diverged_at
    assert not math.isfinite(h.loss.last())
    assert all(math.isfinite(v) for v in h.loss.tolist()[:-1])
    assert run.stop_reason
    # stepping a diverged run does nothing
    before = h.loss.tolist()
    assert run.step(10) == 0
    assert len(run.history.loss) == len(before)
    run.reset()
    assert run.step_count == 0 and not run.diverged and run.diverged_at is None
    assert run.point == s.surface.start
    assert run.history.loss.tolist() == [before[0]]


def test_reset_reproduces_the_same_run():
    run = run_of("circles", 20)
    first = run.history.loss.tolist()
    run.reset()
    run.step(20)
    assert run.history.loss.tolist() == first
    surface = run_of("beale", 20)
    traj = surface.history.trajectory().copy()
    surface.reset()
    surface.step(20)
    np.testing.assert_array_equal(surface.history.trajectory(), traj)


def test_reset_to_a_new_start():
    run = run_of("himmelblau", 5)
    run.reset(start=(-1.0, 1.0))
    assert run.point == (-1.0, 1.0) and run.step_count == 0


def test_dataset_divergence_is_caught():
    run = run_of("sine", 50, optimizer="sgd", hyper={"lr": 1e6})
    assert run.diverged
    assert len(run.history.loss) == run.history.steps + 1 == run.diverged_at + 1
    assert not math.isfinite(run.history.loss.last())
    assert run.step(5) == 0


def test_step_zero_or_negative_does_nothing():
    run = run_of("rosenbrock", 0)
    assert run.step(0) == 0 and run.step(-3) == 0
    assert run.step_count == 0


# ---------------------------------------------------------------- history


@pytest.mark.parametrize("name", ["rosenbrock", "moons", "sine"])
def test_history_has_steps_plus_one_rows(name):
    run = run_of(name, 17)
    h = run.history
    assert h.steps == 17 == run.step_count
    series = [h.loss, h.grad_norm, h.lr] + [s for s in (h.x, h.y, h.accuracy, h.test_accuracy) if s is not None]
    for s in series:
        assert len(s) == 18
    if name == "rosenbrock":
        assert h.trajectory().shape == (18, 2)
        assert tuple(h.trajectory()[0]) == scenarios.load(name).surface.start
        assert h.accuracy is None
    if name == "moons":
        assert h.accuracy is not None and h.test_accuracy is not None
    assert all(v == run.config.hyper["lr"] for v in h.lr.tolist())


def test_grad_norm_is_the_gradient_norm_at_each_point():
    run = run_of("ill_conditioned", 5)
    for (x, y), g in zip(run.history.trajectory(), run.history.grad_norm.tolist(), strict=True):
        assert g == pytest.approx(math.hypot(x, 100 * y), rel=1e-6)  # grad of 0.5*(x^2 + 100 y^2)


def test_series_across_blocks():
    s = Series()
    values = np.arange(20000, dtype=float) * 0.5
    for v in values:
        s.append(v)
    assert len(s) == 20000
    np.testing.assert_array_equal(s.array(), values)
    assert s[8191] == values[8191] and s[8192] == values[8192] and s[-1] == values[-1]
    np.testing.assert_array_equal(s.array(8000, 8500), values[8000:8500])
    assert math.isnan(Series().last())
    with pytest.raises(IndexError):
        s[20000]


def test_downsample_keeps_a_single_spike():
    values = np.sin(np.linspace(0, 20, 100_000))
    values[61_234] = 1000.0
    values[7_777] = -500.0
    idx, out = downsample(values, 500)
    assert len(out) <= 500 and len(idx) == len(out)
    assert 1000.0 in out and -500.0 in out
    assert 61_234 in idx and 7_777 in idx
    np.testing.assert_array_equal(values[idx], out)
    assert idx[-1] == 99_999 and out[-1] == values[-1]
    assert (np.diff(idx) >= 0).all()
    assert out.max() == values.max() and out.min() == values.min()


def test_downsample_short_input_unchanged_and_drops_non_finite():
    values = np.array([1.0, 2.0, np.nan, 4.0, np.inf])
    idx, out = downsample(values, 500)
    assert idx.tolist() == [0, 1, 3] and out.tolist() == [1.0, 2.0, 4.0]
    v = np.linspace(0, 1, 300)
    idx, out = downsample(v, 500)
    np.testing.assert_array_equal(out, v)


@pytest.mark.parametrize("batch_size", [0, 16])
def test_a_loss_switched_mid_run_is_shown_at_once_at_the_current_point(batch_size):
    """Issue 19: switching moons to MSELoss at step 500 left the cross-entropy value in the status
    line until the next step. The point's loss is the new loss's, computed here."""
    run = run_of("moons", 15, loss="cross_entropy", batch_size=batch_size)
    before = run.history.loss.last()
    run.apply(dataclasses.replace(run.config, loss="mse"))
    pts = run.points
    with torch.no_grad():
        out = run.model(torch.from_numpy(pts.train_x))
        y = torch.from_numpy(pts.train_y)
        mse = F.mse_loss(F.softmax(out, dim=1), F.one_hot(y, out.shape[1]).to(out.dtype)).item()
    assert run.history.steps == 15 and run.history.loss.last() == pytest.approx(mse, rel=1e-6)
    assert abs(run.history.loss.last() - before) > 1e-3
    run.apply(dataclasses.replace(run.config, loss="cross_entropy"))
    assert run.history.loss.last() == pytest.approx(before, rel=1e-6)
