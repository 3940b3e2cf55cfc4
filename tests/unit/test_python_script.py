"""The code behind a run (`run --format python`): a plain-torch script whose last line prints the
run's final loss, for every bundled scenario and every optimizer (relative 1e-12 on surfaces, 1e-9
on datasets), with schedules, clipping and minibatches; it never imports playground."""

from __future__ import annotations

import contextlib
import io
import math
import re
from dataclasses import replace

import pytest

from playground import exports, scenarios
from playground.engine import Run
from playground.errors import ConfigError
from playground.optimizers import OPTIMIZERS
from playground.python_script import script
from playground.settings import resolve

SCENARIOS = [e.name for e in scenarios.list_entries()]


def final_loss_of(text: str) -> float:
    assert not re.search(r"^\s*(import|from)\s+playground", text, re.M)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(text, "<the code behind the run>", "exec"), {"__name__": "__main__"})  # noqa: S102 - our own script, under test
    last = printed.getvalue().strip().splitlines()[-1]
    match = re.fullmatch(r"final loss: (\S+)", last)
    assert match, last
    return float(match.group(1))


def assert_reproduces(name: str, **settings: object) -> None:
    s = scenarios.load(name)
    try:
        config = resolve(s, **settings)
        run = Run(s, config)
    except ConfigError:  # Muon told matrices = hidden on a model with one hidden layer: refused, nothing to reproduce
        assert settings.get("optimizer") == "muon"
        return
    run.step(config.steps)
    want = run.history.loss.last()
    got = final_loss_of(script(s, config, run.start))
    if run.diverged:  # the run stopped at the first number that was not finite; the script goes on with it
        assert not math.isfinite(got), (got, run.stop_reason)
        return
    tolerance = 1e-12 if s.kind == "surface" else 1e-9
    assert abs(got - want) <= tolerance * max(abs(want), 1e-300), (got, want)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("name", SCENARIOS)
def test_the_script_reproduces_every_bundled_scenario_with_every_optimizer(name: str, optimizer: str):
    steps = 3 if OPTIMIZERS[optimizer].needs_closure else 12
    assert_reproduces(name, optimizer=optimizer, steps=steps)


@pytest.mark.parametrize(
    ("name", "settings"),
    [
        ("himmelblau", {"optimizer": "rmsprop", "schedule": "cosine", "clip": 1.0, "steps": 60}),
        ("rosenbrock", {"optimizer": "sgd", "schedule": "onecycle total_steps=20", "steps": 40}),
        ("moons", {"optimizer": "adam", "batch_size": 16, "schedule": "step step_size=5 gamma=0.5", "clip": 0.5, "steps": 40}),
        ("digits", {"optimizer": "muon", "steps": 20}),
        ("iris", {"optimizer": "lbfgs", "batch_size": 32, "steps": 4}),
        ("sine", {"optimizer": "sgd", "loss": "huber", "steps": 50}),
    ],
)
def test_the_script_reproduces_schedules_clipping_and_minibatches(name: str, settings: dict):
    assert_reproduces(name, **settings)


def test_the_script_reads_as_the_documentation_teaches_the_loop():
    s = scenarios.load("moons")
    text = script(s, resolve(s, optimizer="adam", steps=10))
    for line in ("optimizer.zero_grad()", "loss.backward()", "optimizer.step()", "torch.manual_seed(0)", "torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=False)"):
        assert line in text, line


HOSTILE_TEXTS = [
    'x"""; __import__("os").system("touch PWNED") #',
    "'''; __import__('os').system('touch PWNED') #",
    'ends in a backslash \\',
    'quote " and \\" and \\\\" and """',
    "two\nlines\n__import__('os').system('touch PWNED')",
    "carriage\rreturn and\x0bvertical tab\x0cform feed",
    "non-ASCII: λ, 😀, \u2028line separator, \u202eright-to-left",
    "# a comment",
]


def tstr(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
@pytest.mark.parametrize("kind", ["surface", "dataset"])
def test_hostile_names_and_descriptions_stay_data_in_the_script(text: str, kind: str, tmp_path, monkeypatch):
    """A shared scenario's name, description and file name go into the script as text it cannot
    leave: the script compiles, does nothing but train (no PWNED file) and prints the run's loss."""
    monkeypatch.chdir(tmp_path)
    body = (
        '[surface]\nformula = "(1 - x)**2 + 100*(y - x**2)**2"\nx = [-2.0, 2.0]\ny = [-1.0, 3.0]\nstart = [-1.5, 2.0]\n'
        if kind == "surface"
        else '[dataset]\ngenerator = "moons"\nsamples = 40\n\n[model]\nhidden = [4]\n'
    )
    kind_line = "surface" if kind == "surface" else "classification"
    toml = f"[scenario]\nname = {tstr(text)}\nkind = \"{kind_line}\"\ndescription = {tstr(text)}\n\n{body}"
    s = scenarios.parse(toml, source=text, name=text, base=tmp_path)
    config = resolve(s, optimizer="adam", steps=5)
    run = Run(s, config)
    run.step(5)
    got = final_loss_of(script(s, config, run.start))
    assert not (tmp_path / "PWNED").exists()
    assert abs(got - run.history.loss.last()) <= 1e-9 * max(abs(run.history.loss.last()), 1e-300)


def test_a_formula_holds_no_comment():
    """A `#` in a formula would be a comment to Python, text that the checked tree drops and a
    docstring could end in: the checker refuses it at its column."""
    from playground.errors import FormulaError
    from playground.formula import compile_formula

    with pytest.raises(FormulaError, match="comment") as caught:
        compile_formula('x**2 #"""; __import__("os").system("id")')
    assert caught.value.column == 6


# ------------------------------------------------------------------ the run as it happened


def _hyper(**values: object):
    return lambda s, c: replace(c, hyper={**c.hyper, **values})


def _set(**fields: object):
    return lambda s, c: replace(c, **fields)


def _schedule(text: str):
    return lambda s, c: replace(c, schedule=text.split()[0], schedule_params=resolve(s, optimizer=c.optimizer, schedule=text).schedule_params)


def _optimizer(name: str):
    return lambda s, c: resolve(s, optimizer=name, loss=c.loss, seed=c.seed, batch_size=c.batch_size, steps=c.steps)


def replayed(name: str, sequence: list, **settings: object) -> tuple[str, Run]:
    """`sequence` on a run: a number makes that many steps, a function of (scenario, config)
    gives the settings applied there, as the app applies an edit."""
    s = scenarios.load(name)
    run = Run(s, resolve(s, **settings))
    for item in sequence:
        if isinstance(item, int):
            run.step(item)
        else:
            run.apply(item(s, run.config))
    return script(s, run.config, run.start, list(run.timeline), run.step_count), run


REPLAYS = {
    "halved lr at step 10": ("rosenbrock", [10, _hyper(lr=0.0005), 5], {}),
    "on past the budget": ("rosenbrock", [710], {}),
    "schedule mid-run, an lr under it, clipping on and off": ("himmelblau", [10, _schedule("cosine"), 20, _hyper(lr=0.002), 15, _set(clip=1.0), 10, _set(clip=0.0), 5], {"optimizer": "adam"}),
    "one-cycle mid-run, then constant again": ("rosenbrock", [10, _schedule("onecycle total_steps=20"), 30, _set(schedule="constant", schedule_params={}), 5], {}),
    "a new optimizer, then Muon's matrix and back": ("beale", [10, _optimizer("adam"), 10, _optimizer("muon"), 10, _hyper(lr=0.01), 5, _optimizer("lbfgs"), 3], {}),
    "a new loss, minibatches, then the whole set": ("moons", [10, _set(loss="nll"), 10, _set(batch_size=16), 20, _hyper(lr=0.02), 5, _set(batch_size=0), 5, _set(loss="mse"), 5], {}),
    "Muon and AdamW: each one's lr, under a step schedule": ("digits", [5, _hyper(lr=0.01), 5, _schedule("step step_size=3 gamma=0.5"), 5, _hyper(adamw_lr=0.002), 5], {"optimizer": "muon"}),
    "L-BFGS with clipping turned on": ("iris", [3, _set(clip=1.0), 2, _hyper(lr=0.5), 2], {"optimizer": "lbfgs"}),
    "a change before the first step is the start": ("sine", [_hyper(lr=0.02), _set(loss="huber"), 12], {}),
    "two changes at one step, in one block": ("rosenbrock", [10, _hyper(lr=0.0005), _set(clip=1.0), 5], {}),
}


@pytest.mark.parametrize("label", list(REPLAYS))
def test_the_script_replays_the_run_as_it_happened(label: str):
    name, sequence, settings = REPLAYS[label]
    text, run = replayed(name, sequence, **settings)
    want = run.history.loss.last()
    got = final_loss_of(text)
    tolerance = 1e-12 if run.scenario.kind == "surface" else 1e-9
    assert abs(got - want) <= tolerance * abs(want), (label, got, want)
    assert f"for step in range({run.step_count}):" in text
    changes = len(run.timeline) - 1
    assert len(re.findall(r"(?m)^    if step == \d+:$", text)) == len({at for at, _, _ in run.timeline[1:]}), text
    for at, _, said in run.timeline[1:]:
        assert f"    if step == {at}:" in text and said.split(" from step")[0] in text
    if not changes:  # nothing changed on the way: the plain loop
        assert "if step" not in text


def test_a_change_at_step_0_is_where_the_run_starts_and_the_script_stays_plain():
    text, run = replayed("sine", [_hyper(lr=0.02), _set(loss="huber"), _schedule("cosine"), 12])
    assert len(run.timeline) == 1 and "if step" not in text
    assert "lr=0.02" in text and "F.huber_loss" in text and "CosineAnnealingLR" in text


def test_a_budget_changed_mid_run_writes_no_change():
    text, run = replayed("rosenbrock", [10, _set(steps=800), 5])
    assert len(run.timeline) == 2 and "if step" not in text and "range(15)" in text
    assert final_loss_of(text) == run.history.loss.last()


def test_a_reset_or_a_new_start_begins_the_script_there():
    text, run = replayed("rosenbrock", [10, _hyper(lr=0.0005), 5])
    run.reset((0.5, 0.5))
    run.step(7)
    text = script(run.scenario, run.config, run.start, list(run.timeline), run.step_count)
    assert "torch.tensor([0.5, 0.5]" in text and "if step" not in text and "lr=0.0005" in text
    assert final_loss_of(text) == run.history.loss.last()


def test_the_engine_steps_a_whole_set_with_the_whole_sets_gradient_after_minibatches():
    """Back to the whole set after minibatches: the next update uses the whole set's gradient
    (it used the last minibatch's), as a plain loop does."""
    import torch

    _, run = replayed("moons", [5, _set(batch_size=0)], batch_size=16)
    whole = torch.autograd.grad(run.training_loss(), run.parameters)  # the whole set's, by hand
    assert [p.grad.tolist() for p in run.parameters] == [g.tolist() for g in whole]


def test_a_run_that_torch_stopped_by_raising_is_not_claimed_as_replayed():
    """lr 1e300 on float32 weights: torch raises at the first step and the run stops there. The
    script says at its top that it is not a replay, makes that step, and raises the same error."""
    from playground.session import Session

    s = scenarios.load("moons")
    session = Session(s, resolve(s, hyper={"lr": 1e300}))
    session.load_engine(background=False)
    session.steps(3)
    run = session.run
    assert run.raised and run.step_count == 0
    text = exports.code_text(session)
    assert "NOT A REPLAY" in text.split('"""')[1] and "for step in range(1):" in text
    assert "not with the run's final loss" in exports.code_caveat(session)
    with pytest.raises(RuntimeError, match="without overflow"):
        final_loss_of(text)
    fine = Session(s)
    fine.load_engine(background=False)
    fine.steps(2)
    assert exports.code_caveat(fine) == "" and "NOT A REPLAY" not in exports.code_text(fine)
