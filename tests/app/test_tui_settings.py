"""The settings panel: typed hyperparameters (paused and mid-run), invalid input, optimizer, loss
and scenario pickers, and the run fields."""

from __future__ import annotations

import pytest
import torch
from textual.widgets import Input, Label, Select, Switch
from tui_helpers import main_screen, open_app, press, status, type_into, wait_stopped, wait_until

from playground import scenarios
from playground.settings import resolve


def error_text(app, name: str) -> str:  # noqa: ANN001
    return str(main_screen(app).query_one(f"#error-{name}").render())


def first_param(run) -> torch.Tensor:  # noqa: ANN001
    return run.optimizer.param_groups[0]["params"][0]


def reference_point(name: str, before: int, new_lr: float, after: int, fresh: bool) -> tuple[float, float]:
    """A plain torch loop on the scenario's surface with its default SGD: `before` steps, the lr
    changed (in place, or in a new optimizer when `fresh`), then `after` steps."""
    scenario = scenarios.load(name)
    surface = scenario.surface
    hyper = resolve(scenario).hyper
    p = torch.tensor(surface.start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], **hyper)
    for i in range(before + after):
        if i == before:
            if fresh:
                opt = torch.optim.SGD([p], **{**hyper, "lr": new_lr})
            else:
                for group in opt.param_groups:
                    group["lr"] = new_lr
        opt.zero_grad()
        surface.formula.torch(*p.unbind()).backward()
        opt.step()
    x, y = p.tolist()
    return x, y


async def test_typed_lr_applies_from_the_next_step_and_keeps_the_momentum() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        run = app.session.run
        assert run.config.hyper["momentum"] == 0.9 and run.config.hyper["nesterov"]
        run.step(20)
        app.main.redraw(force=True)
        optimizer = run.optimizer
        buffer = optimizer.state[first_param(run)]["momentum_buffer"]
        saved = buffer.clone()

        await type_into(pilot, "#field-lr", "5e-4", typed=True)
        assert run.lr == 5e-4 and app.session.config.hyper["lr"] == 5e-4
        assert run.optimizer is optimizer
        assert optimizer.state[first_param(run)]["momentum_buffer"] is buffer
        assert torch.equal(buffer, saved)
        assert "lr 0.0005" in status(app) and "0.001 -> 0.0005" in status(app)
        assert run.step_count == 20

        run.step(10)
        kept = reference_point("rosenbrock", 20, 5e-4, 10, fresh=False)
        fresh = reference_point("rosenbrock", 20, 5e-4, 10, fresh=True)
        assert run.point == pytest.approx(kept, rel=1e-9, abs=1e-12)
        assert abs(run.point[0] - fresh[0]) + abs(run.point[1] - fresh[1]) > 1e-6  # the test can tell

        await type_into(pilot, "#field-lr", "0.002", typed=True)
        assert run.optimizer.param_groups[0]["lr"] == 0.002
        assert main_screen(app).query_one("#field-lr", Input).value == "0.002"
        assert not main_screen(app).query_one("#field-lr").has_class("-invalid")


async def test_typed_lr_applies_mid_run() -> None:
    async with open_app("rosenbrock", steps=100_000) as (app, pilot):
        await press(pilot, "space")
        await wait_until(pilot, lambda: app.session.run.step_count > 5)
        run = app.session.run
        optimizer = run.optimizer
        buffer = optimizer.state[first_param(run)]["momentum_buffer"]
        await type_into(pilot, "#field-lr", "1e-4", typed=True)
        assert app.session.running
        n = run.step_count
        await wait_until(pilot, lambda: run.step_count > n + 3)
        assert run.lr == 1e-4 and run.history.lr.last() == 1e-4
        assert run.optimizer is optimizer
        assert optimizer.state[first_param(run)]["momentum_buffer"] is buffer
        assert any("lr" in what for _, what in run.history.events)  # a marker on the loss curve
        await press(pilot, "escape", "space")
        assert not app.session.running


async def test_invalid_lr_is_marked_and_the_last_valid_value_kept() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        field = main_screen(app).query_one("#field-lr", Input)
        for text, words in (("abc", "not a number"), ("-1", "> 0"), ("0", "> 0"), ("1e999", "number")):
            await type_into(pilot, "#field-lr", text)
            assert field.has_class("-invalid"), text
            assert words in error_text(app, "lr"), (text, error_text(app, "lr"))
            assert app.session.run.lr == 0.001 and app.session.config.hyper["lr"] == 0.001
        await press(pilot, "s")  # still a text field: the letter goes in, no step
        assert app.session.run.step_count == 0
        await type_into(pilot, "#field-lr", "1e-3")
        assert not field.has_class("-invalid") and error_text(app, "lr") == ""
        # a key that sets the lr puts a valid value back into a marked field
        await type_into(pilot, "#field-lr", "x")
        assert field.has_class("-invalid")
        await press(pilot, "escape")
        await wait_until(pilot, lambda: not field.has_focus and field.value == "0.001" and not field.has_class("-invalid"), what="escape to put the value in force back")
        await press(pilot, "right_square_bracket")
        assert app.session.run.lr == 0.002 and field.value == "0.002"
        assert not field.has_class("-invalid") and error_text(app, "lr") == ""


async def test_nesterov_without_momentum_is_refused_and_other_hyperparameters() -> None:
    async with open_app("rosenbrock") as (app, pilot):

        def group() -> dict:  # before the first step an edit builds the optimizer anew from the settings
            return app.session.run.optimizer.param_groups[0]

        await type_into(pilot, "#field-momentum", "0")
        assert "Nesterov" in error_text(app, "momentum")
        assert main_screen(app).query_one("#field-momentum").has_class("-invalid")
        assert app.session.config.hyper["momentum"] == 0.9 and group()["momentum"] == 0.9 and group()["nesterov"]

        switch = main_screen(app).query_one("#field-nesterov", Switch)
        switch.focus()
        await press(pilot, "enter")  # space is the app's run key; enter flips a switch
        await wait_until(pilot, lambda: not app.session.config.hyper["nesterov"], timeout=2, what="nesterov off")
        assert group()["nesterov"] is False and not switch.value

        await type_into(pilot, "#field-momentum", "0")
        assert app.session.config.hyper["momentum"] == 0.0 and group()["momentum"] == 0.0
        assert error_text(app, "momentum") == ""
        await wait_until(pilot, lambda: switch.disabled and "momentum > 0" in error_text(app, "nesterov"), what="nesterov switched off")
        assert switch.disabled and "momentum > 0" in error_text(app, "nesterov")

        await type_into(pilot, "#field-momentum", "0.5")
        await wait_until(pilot, lambda: not switch.disabled, what="nesterov offered again")
        assert not switch.disabled and group()["momentum"] == 0.5

        # the optimizer's other hyperparameters, from the registry
        screen = main_screen(app)
        for name in ("lr", "momentum", "dampening", "weight_decay", "nesterov"):
            assert screen.query(f"#field-{name}"), name
        await type_into(pilot, "#field-weight_decay", "0.01")
        assert app.session.run.optimizer.param_groups[0]["weight_decay"] == 0.01

        app.pick("optimizer", "adam")
        await wait_until(pilot, lambda: bool(main_screen(app).query("#field-amsgrad")) and not main_screen(app).query("#field-momentum"), what="adam's fields")
        for name in ("lr", "betas", "eps", "weight_decay", "amsgrad"):
            assert screen.query(f"#field-{name}"), name
        assert not screen.query("#field-momentum")
        await type_into(pilot, "#field-betas", "0.8,0.99")
        assert tuple(app.session.run.optimizer.param_groups[0]["betas"]) == (0.8, 0.99)
        await type_into(pilot, "#field-betas", "0.8")
        assert "two numbers" in error_text(app, "betas")
        assert tuple(app.session.run.optimizer.param_groups[0]["betas"]) == (0.8, 0.99)


async def test_switching_optimizer_keeps_the_point_and_starts_a_fresh_optimizer() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        app.session.run.step(20)
        app.main.redraw(force=True)
        point = app.session.run.point
        pick = main_screen(app).query_one("#pick-optimizer", Select)
        pick.value = "adam"  # as picking it in the dropdown does: Select.Changed
        await wait_until(pilot, lambda: app.session.config.optimizer == "adam", timeout=3, what="the switch")
        run = app.session.run
        assert type(run.optimizer).__name__ == "Adam" and not run.optimizer.state
        assert run.point == point and run.step_count == 20
        assert run.lr == 0.05  # rosenbrock's [defaults.adam]
        await wait_until(
            pilot, lambda: main_screen(app).query_one("#field-lr", Input).value == "0.05", timeout=2, what="Adam's fields"
        )
        assert "fresh optimizer state" in status(app) and "step 20" in status(app)
        assert (20, "Adam") in run.history.events
        await press(pilot, "s")
        assert run.step_count == 21 and run.point != point
        assert "exp_avg" in run.optimizer.state[first_param(run)]

        # and while running: it keeps running, from where it was
        await press(pilot, "space")
        await wait_until(pilot, lambda: run.step_count > 25)
        app.pick("optimizer", "sgd")
        await wait_until(pilot, lambda: type(run.optimizer).__name__ == "SGD", what="SGD in force")
        assert type(run.optimizer).__name__ == "SGD" and app.session.running
        await press(pilot, "space")
        await wait_stopped(pilot, app)


async def test_switching_loss_keeps_the_model_and_the_run_fields() -> None:
    async with open_app("moons") as (app, pilot):
        run = app.session.run
        run.step(30)
        app.main.redraw(force=True)
        weights = [p.detach().clone() for p in run.model.parameters()]
        pick = main_screen(app).query_one("#pick-loss", Select)
        assert not pick.disabled and pick.value == "cross_entropy"
        pick.value = "nll"
        await wait_until(pilot, lambda: app.session.config.loss == "nll", timeout=3, what="the switch")
        assert run.config.loss == "nll" and run.step_count == 30
        assert all(torch.equal(a, b) for a, b in zip(weights, run.model.parameters()))
        assert "fresh optimizer state" in status(app) and "acc " in status(app)
        assert not any(run.optimizer.state.values())
        await press(pilot, "s")
        assert run.step_count == 31

    async with open_app("rosenbrock") as (app, pilot):
        assert main_screen(app).query_one("#pick-loss", Select).disabled
        assert main_screen(app).query_one("#loss-note").display


async def test_switching_scenario_starts_over() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await press(pilot, "space")
        await wait_until(pilot, lambda: app.session.run.step_count > 5)
        main_screen(app).query_one("#pick-scenario", Select).value = "himmelblau"
        await wait_until(pilot, lambda: app.session.scenario.name == "himmelblau", timeout=3, what="the switch")
        assert not app.session.running and app.session.state == "paused"
        await wait_stopped(pilot, app)
        assert app.session.run.scenario.name == "himmelblau" and app.session.run.step_count == 0
        assert "step 0 " in status(app) and "Himmelblau" in status(app)
        assert main_screen(app).query_one("#map").border_title == "Himmelblau"
        assert main_screen(app).query_one("#field-lr", Input).value == "0.01"
        assert main_screen(app).query_one("#pick-loss", Select).disabled  # a surface is its own loss
        assert main_screen(app).query_one("#loss-note").display

        app.pick("scenario", "moons")
        await wait_until(pilot, lambda: app.session.run.scenario.kind == "classification" and bool(main_screen(app).query("#field-seed")), what="moons and its fields")
        screen = main_screen(app)
        assert app.session.run.scenario.kind == "classification" and app.session.run.step_count == 0
        assert not screen.query_one("#pick-loss", Select).disabled
        assert screen.query("#field-batch_size") and screen.query("#field-seed")
        await press(pilot, "s")
        assert app.session.run.step_count == 1


async def test_seed_batch_size_and_budget_fields() -> None:
    async with open_app("moons") as (app, pilot):
        run = app.session.run
        run.step(10)
        await type_into(pilot, "#field-batch_size", "16")
        assert app.session.config.batch_size == 16 and run.step_count == 10
        await press(pilot, "escape", "s")
        assert run.step_count == 11

        await type_into(pilot, "#field-seed", "3")
        assert app.session.config.seed == 3 and run.step_count == 0 and "started over" in status(app)

        for name, text in (("batch_size", "abc"), ("seed", "-2"), ("seed", str(2**32)), ("steps", "-1"), ("steps", "1.5")):
            await type_into(pilot, f"#field-{name}", text)
            assert main_screen(app).query_one(f"#field-{name}").has_class("-invalid"), (name, text)
            assert error_text(app, name), (name, text)
        assert "from 0 to 4294967295" in error_text(app, "seed")  # the range, as a file and --seed say it
        assert app.session.config.batch_size == 16 and app.session.config.seed == 3 and app.session.config.steps == 500
        await type_into(pilot, "#field-steps", "0")  # a budget of 0, as in a file or with --steps 0
        assert app.session.config.steps == 0 and not main_screen(app).query_one("#field-steps").has_class("-invalid")


async def test_escape_leaves_a_field_without_applying_what_was_typed_and_enter_or_tab_applies() -> None:
    """Issue 19: typing 0.003 into lr and pressing escape applied it."""
    async with open_app("rosenbrock") as (app, pilot):
        lr = main_screen(app).query_one("#field-lr", Input)
        lr.focus()
        await pilot.pause()
        await press(pilot, "home", "ctrl+k", *"0.003", "escape")
        await wait_until(pilot, lambda: app.focused is not lr, what="escape to leave the field")
        assert app.session.config.hyper["lr"] == 0.001 and app.session.run.lr == 0.001
        assert lr.value == "0.001"  # the field shows the value in force again
        lr.focus()
        await pilot.pause()
        await press(pilot, "home", "ctrl+k", *"0.003", "tab")
        await wait_until(pilot, lambda: app.session.config.hyper["lr"] == 0.003, what="tab to apply")
        assert app.session.run.lr == 0.003
        await type_into(pilot, "#field-lr", "0.002")
        assert app.session.config.hyper["lr"] == 0.002


async def test_an_invalid_field_says_why_in_the_message_line_and_shows_its_reason() -> None:
    """Issue 19: on moons at 120x40, `abc` in the seed field turned it red, but its message was
    below the panel's visible area and the message line still said `seed 5: started over`."""
    async with open_app("moons", size=(120, 40)) as (app, pilot):
        await type_into(pilot, "#field-seed", "5")
        assert "started over" in status(app)
        await type_into(pilot, "#field-seed", "abc")
        panel = main_screen(app).query_one("#controls")
        reason = main_screen(app).query_one("#error-seed")
        await wait_until(pilot, lambda: "'abc' is not a whole number" in status(app), what="the reason in the message line")
        assert "started over" not in status(app) and app.session.config.seed == 5
        await wait_until(pilot, lambda: panel.region.contains_region(reason.region), what="the field's reason scrolled into sight")


async def test_a_schedules_length_says_that_0_is_the_step_budget() -> None:
    from textual.widgets import Label

    async with open_app("rosenbrock") as (app, pilot):
        app.pick("schedule", "cosine")
        await wait_until(pilot, lambda: bool(main_screen(app).query("#field-sched-T_max")), what="the cosine's fields")
        field = main_screen(app).query_one("#field-sched-T_max", Input)
        label = str(field.parent.query_one(Label).render())
        assert label == "T_max (0 = the step budget)" and field.value == "0"
        eta = main_screen(app).query_one("#field-sched-eta_min", Input)
        assert str(eta.parent.query_one(Label).render()) == "eta_min"


@pytest.mark.parametrize("size", [(70, 20), (80, 24), (120, 40), (200, 60)])
async def test_the_settings_panel_opens_at_its_top(size: tuple[int, int]) -> None:
    """Issue 19, polish: the left panel opened scrolled two rows down, its `Scenario` heading hidden."""
    from playground.widgets.controls import ControlPanel

    async with open_app("rosenbrock", size=size) as (app, pilot):
        await pilot.pause()
        panel = main_screen(app).query_one(ControlPanel)
        assert panel.scroll_y == 0
        heading = next(label for label in panel.query(Label) if str(label.render()).strip() == "Scenario")
        assert panel.region.contains_region(heading.region)


async def test_rprop_lr_field_says_a_later_change_does_nothing_and_a_change_says_so() -> None:
    async with open_app("rosenbrock", optimizer="rprop") as (app, pilot):
        note = main_screen(app).query_one("#note-lr")
        assert "only for its first step" in str(note.render()) and note.region.height > 0
        assert not main_screen(app).query("#note-momentum")  # only where something surprises
        app.session.run.step(3)
        await type_into(pilot, "#field-lr", "0.5", typed=True)
        await wait_until(pilot, lambda: "no effect" in status(app), what="the message line says the lr did nothing")


async def test_muon_on_a_surface_and_beside_adamw_on_a_network() -> None:
    """Issue 15: on a surface the point is one 1×2 matrix and Muon runs alone, without AdamW's
    fields; on a network Muon takes the hidden matrix and AdamW the rest, and the panel edits both
    (AdamW's under its own heading); a network with one hidden layer has no such matrix: refused
    in one line, and the run keeps its optimizer."""
    async with open_app("rosenbrock") as (app, pilot):
        app.pick("optimizer", "muon")
        await wait_until(pilot, lambda: bool(main_screen(app).query("#field-ns_coefficients")), what="Muon's fields")
        assert main_screen(app).query_one("#field-ns_coefficients", Input).value == "3.4445,-4.775,2.0315"
        assert not main_screen(app).query("#field-adamw_lr")  # no partner on a surface
        await press(pilot, "s", "s")
        await wait_until(pilot, lambda: app.session.run.step_count == 2, what="two Muon steps")
        assert type(app.session.run.optimizer).__name__ == "Muon"
    async with open_app("moons") as (app, pilot):
        app.session.steps(3)
        app.pick("optimizer", "muon")
        await wait_until(pilot, lambda: bool(main_screen(app).query("#field-adamw_lr")), what="AdamW's fields beside Muon's")
        run = app.session.run
        pair = run.optimizer
        muon, adamw = pair.parts
        assert type(muon).__name__ == "Muon" and type(adamw).__name__ == "AdamW"
        assert [tuple(p.shape) for g in muon.param_groups for p in g["params"]] == [(16, 16)]
        headings = [str(w.render()) for w in main_screen(app).query(".heading")]
        assert "AdamW: every other parameter" in headings
        await type_into(pilot, "#field-adamw_lr", "0.02")
        await wait_until(pilot, lambda: adamw.param_groups[0]["lr"] == 0.02, what="AdamW's lr applied to AdamW")
        assert muon.param_groups[0]["lr"] == app.session.config.hyper["lr"] != 0.02
        await press(pilot, "escape", "s")
        await wait_until(pilot, lambda: run.step_count == 4, what="a step of both")
    async with open_app("blobs") as (app, pilot):  # one hidden layer of 8: Muon takes every weight matrix (Everyday 2, item 10)
        app.session.steps(3)
        app.pick("optimizer", "muon")
        await wait_until(pilot, lambda: bool(main_screen(app).query("#field-matrices")), what="Muon's fields")
        run = app.session.run
        muon, adamw = run.optimizer.parts
        assert [tuple(p.shape) for g in muon.param_groups for p in g["params"]] == [(8, 2), (3, 8)]
        assert main_screen(app).query_one("#field-matrices", Input).value == "all"
        await type_into(pilot, "#field-matrices", "hidden")  # refused: there is no such matrix; said under the field
        await wait_until(pilot, lambda: "set matrices to all" in str(main_screen(app).query_one("#error-matrices").render()), what="the refusal said")
        assert app.session.config.hyper["matrices"] == "all" and type(run.optimizer.parts[0]).__name__ == "Muon"
        await press(pilot, "escape", "s")
        await wait_until(pilot, lambda: run.step_count == 4, what="the run goes on with Muon")


async def test_the_zoo_is_listed_without_its_package_and_picking_one_says_how_to_install_it(monkeypatch) -> None:  # noqa: ANN001
    """Everyday 2, item 9: the optimizer picker lists the zoo's optimizers too, marked as needing
    the extra while it is absent; picking one says the command that fits this copy and keeps the
    optimizer in force."""
    import importlib.util

    from textual.widgets import Select

    from playground.optimizers import OPTIMIZERS
    from playground.zoo import install_command
    from tui_helpers import eventually, main_screen, open_app, status

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pytorch_optimizer" else real(name, *a))
    async with open_app("rosenbrock") as (app, pilot):
        pick = main_screen(app).query_one("#pick-optimizer", Select)
        overlay = pick.query_one("SelectOverlay")  # the list the picker opens: an OptionList
        labels = {str(o.prompt) for o in (overlay.get_option_at_index(i) for i in range(overlay.option_count))}
        assert "Lion (needs the zoo extra)" in labels and "Adam" in labels
        labels = {name: spec.label for name, spec in OPTIMIZERS.items()}
        assert labels["lion"] == "Lion (needs the zoo extra)" and labels["adam"] == "Adam"
        app.pick("optimizer", "lion")
        await eventually(pilot, lambda: install_command() in status(app), what="the install hint")
        assert "pytorch-optimizer package, which is not installed" in status(app)
        assert app.session.config.optimizer == "sgd"
        await eventually(pilot, lambda: pick.value == "sgd", what="the picker back on the optimizer in force")
