"""torch_internals' shortcuts and their public fallbacks agree: what is shown does not depend
on which way torch was called."""

from __future__ import annotations

import pytest
import torch

from playground import torch_internals


@pytest.fixture(params=["fast", "plain"])
def torch_path(request, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_PLAIN_TORCH", "1" if request.param == "plain" else "0")
    if torch_internals.mode() != request.param:
        pytest.skip(f"torch {torch.__version__} is not one the shortcuts were written for")
    return request.param


def test_grad_norms_are_each_tensors_two_norm(torch_path) -> None:
    tensors = [torch.tensor([3.0, 4.0]), torch.tensor([[1.0, 2.0], [2.0, 4.0]]), torch.zeros(3)]
    assert [float(n) for n in torch_internals.grad_norms(tensors)] == [5.0, 5.0, 0.0]


def test_plain_step_is_public_step_without_shortcuts(torch_path) -> None:
    p = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.1)
    step = torch_internals.plain_step(opt)
    if torch_path == "plain":
        assert step == opt.step  # the bound public method itself
    (p**2).sum().backward()
    step()
    q = torch.tensor([1.0, -2.0], requires_grad=True)
    ref = torch.optim.Adam([q], lr=0.1)
    (q**2).sum().backward()
    ref.step()
    assert torch.equal(p.detach(), q.detach())
    assert not p.requires_grad or p.grad is not None  # autograd is back on after the step


def test_a_schedule_after_plain_steps_warns_of_nothing(torch_path, recwarn) -> None:
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    torch_internals.scheduler_built(opt)
    step = torch_internals.plain_step(opt)
    p.sum().backward()
    step()
    scheduler.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.05)
    assert not [w for w in recwarn if "lr_scheduler.step()" in str(w.message)]
