"""The only module that reaches into torch's private details, each for speed, each with the
public way beside it.

The shortcuts are taken only on the torch versions they were written for (`WRITTEN_FOR`, checked
at run time), and never with PLAYGROUND_PLAIN_TORCH=1 in the environment: then every call below
goes through torch's public API, and the numbers are the same to the bit (the test suite runs
the optimizer-equality tests both ways). What each shortcut saves:

- `plain_step`: an optimizer's step without torch.compile's wrapper, which imports torch._dynamo
  on first use (seconds on a slow machine) and opens a graph break that means nothing in eager
  mode;
- `skip_compile_hooks`: the same import, made by the `_disable_dynamo` marks on torch.optim's
  methods when they are first called;
- `grad_norms`: one multi-tensor op for every tensor's norm instead of one op each.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import torch

WRITTEN_FOR = ("2.13.",)  # torch releases whose internals these shortcuts were read from


def active() -> bool:
    """Whether the shortcuts apply: a known torch, and PLAYGROUND_PLAIN_TORCH not set to 1."""
    if os.environ.get("PLAYGROUND_PLAIN_TORCH", "") == "1":
        return False
    return torch.__version__.split("+")[0].startswith(WRITTEN_FOR)


def mode() -> str:
    """'fast' or 'plain', for benchmarks and messages."""
    return "fast" if active() else "plain"


_hooks_skipped = False


def skip_compile_hooks() -> None:
    """torch.optim marks its methods as not-to-be-compiled, and the mark imports torch._dynamo
    the first time a marked method runs. Outside compilation the marks change nothing, so record
    them as already made. Does nothing where the shortcuts do not apply."""
    global _hooks_skipped
    if _hooks_skipped or not active():
        return
    _hooks_skipped = True
    try:
        from torch._compile import _disable_dynamo
    except ImportError:
        return
    marker = _disable_dynamo(lambda: None).__code__
    for cls in (torch.optim.Optimizer, *(getattr(torch.optim, n) for n in dir(torch.optim))):
        if not isinstance(cls, type):
            continue
        for fn in vars(cls).values():
            inner = getattr(fn, "__wrapped__", None)
            if getattr(fn, "__code__", None) is marker and inner is not None:
                inner.__dynamo_disable = inner


def plain_step(optimizer: torch.optim.Optimizer) -> Callable[..., Any]:
    """`optimizer.step`, or (shortcuts on) its function without the compile wrapper, run under
    no_grad as the wrapper would (unless the optimizer is `differentiable`). Optimizers whose
    step is not wrapped that way (LBFGS) keep their own step."""
    if not active():
        return optimizer.step
    try:
        from torch.optim.optimizer import _use_grad_for_differentiable
    except ImportError:
        return optimizer.step
    marker = _use_grad_for_differentiable(lambda self: None).__code__
    fn = type(optimizer).step
    while fn is not None and getattr(fn, "__code__", None) is not marker:
        fn = getattr(fn, "__wrapped__", None)
    raw = getattr(fn, "__wrapped__", None) if fn is not None else None
    if raw is None or optimizer.defaults.get("differentiable"):
        return optimizer.step

    def step(closure: Any = None) -> Any:
        with torch.no_grad():
            return raw(optimizer, closure)

    return step


def scheduler_built(optimizer: torch.optim.Optimizer) -> None:
    """A learning-rate scheduler now watches `optimizer`: it wraps `optimizer.step` to note that
    the optimizer stepped before the schedule, and warns if not. `plain_step`'s function
    bypasses that wrapper, so (shortcuts on) set the note it would have set."""
    if active():
        optimizer._opt_called = True  # type: ignore[attr-defined]


def grad_norms(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    """The 2-norm of each tensor, as 0-d tensors."""
    if active():
        return list(torch._foreach_norm(tensors))
    return [torch.linalg.vector_norm(t) for t in tensors]
