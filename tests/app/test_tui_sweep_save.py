"""The sweep screen (`w`), exporting a run (`e`) and saving the settings as a scenario (`ctrl+s`)."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import pytest
from textual.widgets import Input, Select
from tui_helpers import eventually, main_screen, open_app, press, set_fields, status, sweep_status, type_into, wait_still, wait_stopped, wait_until

from playground import scenarios
from playground.app import PlaygroundApp
from playground.engine import Run
from playground.screens.save_screen import SaveScreen
from playground.screens.sweep_screen import SweepScreen
from playground.settings import resolve
from playground.sweep import learning_rates


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the dialogs' default names are in the current folder


async def test_the_sweep_runs_the_current_settings_at_log_spaced_rates_and_marks_divergence() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await press(pilot, "w")
        screen = app.screen
        assert isinstance(screen, SweepScreen)
        # defaults around the current lr (0.001)
        assert screen.query_one("#sweep-lr_min", Input).value == "1e-05"
        assert screen.query_one("#sweep-lr_max", Input).value == "0.01"
        await set_fields(pilot, screen, lr_min="1e-4", lr_max="0.01", points="5", steps="200")
        await wait_until(pilot, lambda: screen.job.done, timeout=30, what="the sweep to finish")
        await eventually(pilot, lambda: [p.lr for p in screen.job.points] == pytest.approx(learning_rates(1e-4, 0.01, 5)), what="the five points")
        assert [p.lr for p in screen.job.points] == pytest.approx(learning_rates(1e-4, 0.01, 5))
        # each point is the same as a run of the app's settings at that lr
        config = app.session.config
        for p in screen.job.points:
            run = Run(app.session.scenario, resolve(app.session.scenario, hyper={**config.hyper, "lr": p.lr}, steps=200))
            run.step(200)
            assert p.diverged == run.diverged
            if not p.diverged:
                assert p.final_loss == pytest.approx(run.history.loss.last(), rel=1e-9)
        assert screen.job.points[-1].diverged and not screen.job.points[0].diverged  # lr 0.01 blows up on Rosenbrock
        await wait_until(pilot, lambda: "5 / 5 points · done" in sweep_status(screen), what="the status to say done")
        text = sweep_status(screen)
        assert "5 / 5 points · done" in text and "diverged (x)" in text
        assert "escape: close" in text and "cancel" not in text  # nothing left to cancel
        best = min((p for p in screen.job.points if not p.diverged), key=lambda p: p.final_loss)
        assert f"at lr {best.lr:.3g}" in text

        screen.query_one("#sweep-points", Input).value = "0"
        await press(pilot, "enter")
        assert "points: 0 is out of range: it must be from 1 to 200" in sweep_status(screen)

        await press(pilot, "escape")
        assert len(app.screen_stack) == 1
        await press(pilot, "s")
        assert app.session.run.step_count == 1  # the main keys act again


async def test_a_sweep_opened_while_torch_loads_waits_for_it_and_then_runs() -> None:
    """w before the engine is there: the screen opens at once and says it waits; no worker
    thread waits for torch meanwhile (quitting waits for every worker); the sweep starts once
    the engine is ready."""
    scenario = scenarios.load("rosenbrock")
    app = PlaygroundApp(scenario, load_engine=False)  # the engine never loads by itself here
    async with app.run_test(size=(120, 40)) as pilot:
        await press(pilot, "w")
        screen = app.screen
        assert isinstance(screen, SweepScreen)
        await wait_until(pilot, lambda: "waiting for torch to load" in sweep_status(screen), what="the sweep to say it waits")
        assert "waiting for torch to load" in sweep_status(screen)
        assert not [w for w in app.workers if w.group == "sweep"] and not screen.job.points
        app.session.use(Run(scenario, resolve(scenario), compact=True))  # what the loading thread hands over
        await wait_until(pilot, lambda: len(screen.job.points) >= 2, what="the sweep to start once torch is there")
        assert "waiting" not in sweep_status(screen)
        await press(pilot, "escape")
        assert len(app.screen_stack) == 1


async def test_escape_cancels_a_sweep_under_way_and_closes_the_screen(monkeypatch: pytest.MonkeyPatch) -> None:
    import playground.engine

    steps: list[int] = []
    step = playground.engine.Run.step

    def counted(self, n: int = 1) -> int:  # noqa: ANN001
        steps.append(n)
        return step(self, min(n, 50))  # short slices: the sweep checks for cancelling between them

    monkeypatch.setattr(playground.engine.Run, "step", counted)
    monkeypatch.setattr("playground.sweep.POOL_FROM", 10**12)  # in this process, where the steps are counted
    async with open_app("rosenbrock") as (app, pilot):
        await press(pilot, "w")
        screen = app.screen
        await set_fields(pilot, screen, lr_min="1e-5", lr_max="1e-4", points="50", steps="100000")
        await wait_until(pilot, lambda: len(steps) > 20, what="the sweep to be under way")
        await press(pilot, "escape")
        assert len(app.screen_stack) == 1
        await wait_still(pilot, lambda: len(steps), what="the sweep's thread to end its slice")
        made = len(steps)
        await pilot.pause(0.5)  # a wait that shows nothing happens: the thread makes no more steps
        assert len(steps) == made, "the sweep's thread goes on after escape"
        assert len(screen.job.points) < 50 and not screen.job.done
        await press(pilot, "space")
        await wait_until(pilot, lambda: app.session.run.step_count > 3, what="auto-run after the sweep")
        await press(pilot, "space")


async def test_enter_on_a_finished_sweep_takes_its_best_lr_for_the_run_and_an_edit_sweeps_again() -> None:
    async with open_app("rosenbrock", optimizer="adagrad") as (app, pilot):
        assert app.session.config.hyper["lr"] == 0.01  # torch's own, not rosenbrock's SGD rate
        assert str(main_screen(app).query_one("#from-lr").render()) == "torch's default for Adagrad"
        await press(pilot, "w")
        screen = app.screen
        await set_fields(pilot, screen, lr_min="0.01", lr_max="10", points="7", steps="100")
        await wait_until(pilot, lambda: screen.job.done and "enter: take" in sweep_status(screen), what="the sweep to finish")
        best = screen.job.best()
        assert best is not None and best.lr != 0.01
        assert f"enter: take lr {best.lr:.3g} for the run" in sweep_status(screen)
        screen.query_one("#sweep-points", Input).value = "5"  # an edit: enter sweeps again
        await pilot.pause()
        assert "enter: sweep again" in sweep_status(screen)
        screen.query_one("#sweep-points", Input).value = "7"  # as it was for the sweep shown
        await pilot.pause()
        await press(pilot, "enter")
        await wait_until(pilot, lambda: len(app.screen_stack) == 1, what="the sweep screen to close")
        assert app.session.config.hyper["lr"] == best.lr
        assert f"lr {best.lr:.3g}: the sweep's lowest final loss" in status(app)
        field = main_screen(app).query_one("#field-lr", Input)
        assert float(field.value) == pytest.approx(best.lr, rel=1e-3)
        assert str(main_screen(app).query_one("#from-lr").render()) == ""  # no longer torch's default

    async with open_app("rosenbrock", steps=100_000, hyper={"lr": 1e-4}) as (app, pilot):
        await press(pilot, "space")
        await wait_until(pilot, lambda: app.session.run.step_count > 3)
        await press(pilot, "w")
        assert not app.session.running and "paused for the sweep" in status(app)
        await press(pilot, "escape")


# ------------------------------------------------------------------ export


async def test_e_exports_the_run_to_json_that_matches_it(tmp_path: Path) -> None:
    async with open_app("rosenbrock") as (app, pilot):
        for _ in range(12):
            await press(pilot, "s")
        await press(pilot, "e")
        assert isinstance(app.screen, SaveScreen)
        assert app.screen.query_one("#save-path", Input).value == "rosenbrock-sgd-step12.json"
        await press(pilot, "enter")
        assert len(app.screen_stack) == 1
        assert "wrote rosenbrock-sgd-step12.json" in status(app)
        data = json.loads((tmp_path / "rosenbrock-sgd-step12.json").read_text())
        run = app.session.run
        assert data["steps"] == 12 and data["optimizer"]["name"] == "sgd" and data["optimizer"]["lr"] == 0.001
        assert data["loss"] == pytest.approx(run.history.loss.tolist())
        assert data["trajectory"][-1] == pytest.approx(list(run.point))
        assert data["trajectory"][0] == [-1.5, 2.0]


async def test_export_to_csv_writes_a_row_per_step(tmp_path: Path) -> None:
    async with open_app("moons") as (app, pilot):
        for _ in range(5):
            await press(pilot, "s")
        await press(pilot, "e")
        app.screen.query_one("#save-path", Input).value = "moons.csv"
        await press(pilot, "enter")
        rows = list(csv.DictReader((tmp_path / "moons.csv").open()))
        assert len(rows) == 6 and float(rows[-1]["loss"]) == pytest.approx(app.session.run.history.loss.last())
        assert "accuracy" in rows[0]

        await press(pilot, "e")
        app.screen.query_one("#save-path", Input).value = "moons.txt"
        await press(pilot, "enter")
        assert isinstance(app.screen, SaveScreen)
        assert ".json, .csv or .py" in str(app.screen.query_one("#save-message").render())
        assert not (tmp_path / "moons.txt").exists()
        # a folder's name is said to be a folder, not a name without .json or .csv (issue 19)
        (tmp_path / "runs").mkdir()
        app.screen.query_one("#save-path", Input).value = "runs"
        await press(pilot, "enter")
        message = str(app.screen.query_one("#save-message").render())
        assert "is a folder, not a file" in message and ".json, .csv or .py" not in message
        await press(pilot, "escape")


# ------------------------------------------------------------------ save as a scenario


async def test_ctrl_s_saves_a_scenario_that_reopens_with_the_same_settings(tmp_path: Path) -> None:
    async with open_app("beale") as (app, pilot):
        main_screen(app).query_one("#pick-optimizer", Select).value = "adam"
        await wait_until(pilot, lambda: app.session.config.optimizer == "adam", what="adam picked")
        await type_into(pilot, "#field-lr", "0.03")
        main_screen(app).query_one("#pick-schedule", Select).value = "step"
        await wait_until(pilot, lambda: app.session.config.schedule == "step", what="the step schedule picked")
        await type_into(pilot, "#field-sched-step_size", "40")
        await type_into(pilot, "#field-clip", "5")
        await press(pilot, "escape")
        app.session.run.reset(start=(2.0, -1.0))  # a start of one's own (clicked on the map)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, SaveScreen)
        assert app.screen.query_one("#save-path", Input).value == "beale-adam.toml"
        await press(pilot, "enter")
        assert "wrote beale-adam.toml" in status(app)
        saved = app.session.config

    scenario = scenarios.load(str(tmp_path / "beale-adam.toml"))
    config = resolve(scenario)
    assert config.optimizer == "adam" and config.hyper == saved.hyper and config.hyper["lr"] == 0.03
    assert (config.schedule, config.schedule_params, config.clip) == ("step", saved.schedule_params, 5.0)
    assert scenario.surface.start == (2.0, -1.0)
    # `playground FILE` opens the app with that config, and the run goes the same way
    reopened = PlaygroundApp(scenario, load_engine=False)
    assert reopened.session.config == config
    a, b = Run(scenario, config), Run(scenarios.load("beale"), saved, start=(2.0, -1.0))
    a.step(60)
    b.step(60)
    assert a.history.x.tolist() == b.history.x.tolist() and a.history.y.tolist() == b.history.y.tolist()


async def test_ctrl_s_in_a_race_saves_the_race_and_the_file_reopens_it(tmp_path: Path) -> None:
    """Everyday 2, item 7: ctrl+s in a race saved only the selected lane, without saying so. It
    saves every lane now ([race]), `playground check` takes the file, and opening it opens the
    race: the same lanes, to the last digit, the same lane selected, the same start."""
    from playground import cli
    from playground.settings import parse_run

    async with open_app("rosenbrock") as (app, pilot):
        s = app.session
        s.lesson_lanes([parse_run(s.scenario, "sgd lr=0.00123456789 momentum=0.9"), parse_run(s.scenario, "adam lr=0.05 betas=0.8,0.99"), parse_run(s.scenario, "lbfgs")], (-1.0, 2.5))
        s.select_lane(1)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, SaveScreen)
        assert app.screen.query_one("#save-path", Input).value == "rosenbrock-race.toml"
        assert "3 lanes" in str(app.screen.query_one("#save-title").render())
        await press(pilot, "enter")
        await eventually(pilot, lambda: "wrote rosenbrock-race.toml" in status(app))
        lanes = [lane.config for lane in s.lanes]

    path = tmp_path / "rosenbrock-race.toml"
    assert "[race]" in path.read_text()
    assert cli.main(["check", str(path)]) == 0
    scenario = scenarios.load(str(path))
    assert scenario.surface.start == (-1.0, 2.5) and scenario.selected == 2
    reopened = PlaygroundApp(scenario, load_engine=False)
    async with reopened.run_test(size=(120, 40)) as pilot:
        reopened.session.use(Run(scenario, resolve(scenario)))
        await eventually(pilot, lambda: reopened.session.racing, what="the race opened")
        assert [lane.config for lane in reopened.session.lanes] == lanes
        assert reopened.session.lane_index == 1 and "the race saved in rosenbrock-race.toml" in status(reopened)


async def test_the_export_of_a_race_says_which_lane_its_code_is(tmp_path: Path) -> None:
    from playground.settings import parse_run

    async with open_app("rosenbrock") as (app, pilot):
        s = app.session
        s.lesson_lanes([parse_run(s.scenario, "sgd lr=0.001"), parse_run(s.scenario, "adam lr=0.05")], None)
        s.select_lane(1)
        await press(pilot, "e")
        assert isinstance(app.screen, SaveScreen)
        said = str(app.screen.query_one("#save-title").render()) + " " + str(app.screen.query_one("#save-hint").render())
        assert "lane 2's code" in said and ".py the code of lane 2 (adam lr=0.05)" in said
        app.screen.query_one("#save-path", Input).value = "lane.py"
        await press(pilot, "enter")
        await eventually(pilot, lambda: (tmp_path / "lane.py").exists())
        assert "torch.optim.Adam(" in (tmp_path / "lane.py").read_text()


async def test_an_existing_file_is_replaced_only_after_asking(tmp_path: Path) -> None:
    old = tmp_path / "rosenbrock-sgd.toml"
    old.write_text("keep me\n")
    async with open_app("rosenbrock") as (app, pilot):
        await press(pilot, "ctrl+s")
        await press(pilot, "enter")
        screen = app.screen
        assert isinstance(screen, SaveScreen)
        assert "exists" in str(screen.query_one("#save-message").render())
        assert old.read_text() == "keep me\n"
        await press(pilot, "escape")
        assert len(app.screen_stack) == 1 and old.read_text() == "keep me\n"

        await press(pilot, "ctrl+s", "enter")
        assert old.read_text() == "keep me\n"
        await press(pilot, "enter")  # yes, replace it
        assert len(app.screen_stack) == 1
        assert "[scenario]" in old.read_text()


async def test_a_write_into_a_missing_folder_says_why_and_the_app_goes_on(tmp_path: Path) -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await press(pilot, "e")
        app.screen.query_one("#save-path", Input).value = "no/such/folder/run.json"
        await press(pilot, "enter")
        assert isinstance(app.screen, SaveScreen)
        assert "does not exist" in str(app.screen.query_one("#save-message").render())
        assert not (tmp_path / "no").exists()
        await press(pilot, "escape")
        assert len(app.screen_stack) == 1
        await press(pilot, "s", "space")
        await wait_until(pilot, lambda: app.session.run.step_count > 3, what="auto-run")
        await press(pilot, "space")


async def test_a_read_only_folder_keeps_the_earlier_file(read_only_folder: Path) -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await press(pilot, "e")
        app.screen.query_one("#save-path", Input).value = str(read_only_folder / "run.json")
        await press(pilot, "enter", "enter")
        assert isinstance(app.screen, SaveScreen)
        assert "cannot write here" in str(app.screen.query_one("#save-message").render())
        assert (read_only_folder / "run.json").read_text() == "kept"
        assert os.listdir(read_only_folder) == ["run.json"]


async def test_a_failing_write_leaves_the_earlier_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import playground.files

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(playground.files.os, "fsync", full)
    (tmp_path / "run.json").write_text("earlier\n")
    async with open_app("rosenbrock") as (app, pilot):
        await press(pilot, "e")
        app.screen.query_one("#save-path", Input).value = "run.json"
        await press(pilot, "enter", "enter")  # replace it: yes
        assert isinstance(app.screen, SaveScreen)
        assert "No space left on device" in str(app.screen.query_one("#save-message").render())
        assert (tmp_path / "run.json").read_text() == "earlier\n"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]  # no half-written file


def test_finite_losses_in_a_sweep_are_plotted_on_a_log_axis() -> None:
    from playground.widgets.sweep_plot import decade_ticks as _decade_ticks

    ticks = _decade_ticks(math.log10(1e-5), math.log10(1e-2))
    assert [label for _, label in ticks] == ["1e-05", "0.0001", "0.001", "0.01"]


async def test_export_pauses_auto_run_so_the_file_is_the_run_its_name_says(tmp_path: Path) -> None:
    async with open_app("rosenbrock", steps=100_000, hyper={"lr": 1e-4}) as (app, pilot):
        await press(pilot, "space")
        await wait_until(pilot, lambda: app.session.run.step_count > 3)
        await press(pilot, "e")
        assert not app.session.running
        await wait_stopped(pilot, app)
        steps = app.session.run.step_count
        name = app.screen.query_one("#save-path", Input).value
        assert name == f"rosenbrock-sgd-step{steps}.json"
        await press(pilot, "enter")
        assert json.loads((tmp_path / name).read_text())["steps"] == steps


async def test_every_sweep_field_and_the_run_button_are_on_screen_at_80x24() -> None:
    """Everyday 2, item 3: `m max` and `run` were past the right edge at 80 columns."""
    from textual.widgets import Button

    async with open_app("rosenbrock", size=(80, 24)) as (app, pilot):
        await press(pilot, "w")
        screen = app.screen
        await pilot.pause()
        widgets = [*screen.query("#sweep-fields Input").results(Input), screen.query_one("#sweep-run", Button)]
        assert len(widgets) == 8
        for w in widgets:
            r = w.region
            assert r.width >= 5 and r.x >= 0 and r.right <= 80 and r.bottom <= 24, (w.id, r)
        labels = [str(label.render()) for label in screen.query("#sweep-fields .field-label")]
        assert labels == ["lr min", "lr max", "points", "steps each", "momenta", "m min", "m max"]
        for label in screen.query("#sweep-fields .field-label"):
            assert label.region.width >= len(str(label.render())) and label.region.right <= 80, label.region
        await press(pilot, "escape")
