"""The code behind a run (`v`, and `e` to a name ending in .py) is the run as it happened: driven
through the app's own keys and fields, every change lands at its step in the script, and the
script's last line prints the final loss the JSON export of the same moment holds (1e-12 relative
on surfaces, 1e-9 on datasets), for one run and for the selected lane of a race."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import Input
from tui_helpers import eventually, open_app, press, type_into, wait_stopped

from playground.screens.code_screen import CodeScreen
from playground.screens.save_screen import SaveScreen
from playground.settings import parse_run


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


async def export(pilot, app, path: Path) -> None:
    await press(pilot, "e")
    assert isinstance(app.screen, SaveScreen)
    app.screen.query_one("#save-path", Input).value = str(path)
    await press(pilot, "enter")
    await eventually(pilot, lambda: path.exists() and len(app.screen_stack) == 1, what=f"{path.name} written")


def script_final_loss(path: Path) -> float:
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-800:]
    last = done.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"final loss: (\S+)", last)
    assert match, last
    return float(match.group(1))


async def both(pilot, app, folder: Path, name: str) -> tuple[dict, float, str]:
    await export(pilot, app, folder / f"{name}.json")
    await export(pilot, app, folder / f"{name}.py")
    return json.loads((folder / f"{name}.json").read_text()), script_final_loss(folder / f"{name}.py"), (folder / f"{name}.py").read_text()


def close(got: float, want: float, tolerance: float) -> bool:
    return abs(got - want) <= tolerance * abs(want)


async def field(pilot, selector: str, text: str) -> None:
    """Type `text` into a settings field and leave it (escape), as a person does before stepping on."""
    await type_into(pilot, selector, text)
    await press(pilot, "escape")


async def steps(pilot, n: int) -> None:
    for _ in range(n):
        await press(pilot, "s")


async def test_a_surface_run_with_every_kind_of_change_replays_to_its_final_loss(tmp_path: Path) -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await steps(pilot, 10)
        await press(pilot, "[")  # lr halved at step 10
        await steps(pilot, 5)
        app.pick("schedule", "cosine")  # a schedule from step 15
        await steps(pilot, 5)
        await field(pilot, "#field-clip", "1.0")  # clipping from step 20
        await steps(pilot, 5)
        app.pick("optimizer", "adam")  # a fresh optimizer over the same point, step 25
        await steps(pilot, 5)
        await field(pilot, "#field-clip", "0")  # clipping off again at step 30
        await steps(pilot, 3)
        assert app.session.step_count == 33
        data, got, code = await both(pilot, app, tmp_path, "changes")
        assert data["steps"] == 33 and close(got, data["final_loss"], 1e-12), (got, data["final_loss"])
        for at in (10, 15, 20, 25, 30):
            assert f"if step == {at}:" in code
        assert "g['lr'] = 0.0005" in code and "CosineAnnealingLR" in code and "torch.optim.Adam(" in code
        await press(pilot, "v")  # what `v` shows is the same script
        assert isinstance(app.screen, CodeScreen) and app.screen.code == code


async def test_a_run_on_past_its_budget_replays_every_step_it_took_in_a_plain_loop(tmp_path: Path) -> None:
    async with open_app("rosenbrock", steps=20) as (app, pilot):
        await press(pilot, "space")
        await wait_stopped(pilot, app, timeout=30)
        assert app.session.step_count == 20
        await steps(pilot, 7)
        data, got, code = await both(pilot, app, tmp_path, "past")
        assert data["steps"] == 27 and "range(27)" in code and "if step" not in code
        assert close(got, data["final_loss"], 1e-12)


async def test_a_dataset_run_with_a_new_loss_and_minibatches_replays_to_its_final_loss(tmp_path: Path) -> None:
    async with open_app("moons") as (app, pilot):
        await steps(pilot, 5)
        app.pick("loss", "nll")
        await steps(pilot, 5)
        await field(pilot, "#field-batch_size", "16")
        await steps(pilot, 5)
        await press(pilot, "]")
        await steps(pilot, 5)
        await field(pilot, "#field-batch_size", "0")
        await steps(pilot, 4)
        data, got, code = await both(pilot, app, tmp_path, "moons")
        assert data["steps"] == 24 and close(got, data["final_loss"], 1e-9), (got, data["final_loss"])
        assert "loss_fn = nll_loss" in code and "size = 16" in code


async def test_the_selected_lane_of_a_race_replays_with_its_own_changes(tmp_path: Path) -> None:
    async with open_app("himmelblau") as (app, pilot):
        s = app.session
        s.lesson_lanes([parse_run(s.scenario, "sgd lr=0.01"), parse_run(s.scenario, "adam lr=0.05")], None)
        await steps(pilot, 8)
        s.select_lane(1)
        await press(pilot, "]")  # lane 2's lr doubled at step 8
        await steps(pilot, 6)
        data, got, code = await both(pilot, app, tmp_path, "race")
        lane = data["lanes"][1]
        assert lane["steps"] == 14 and close(got, lane["final_loss"], 1e-12), (got, lane["final_loss"])
        assert "torch.optim.Adam(" in code and "if step == 8:" in code
        assert not close(got, data["lanes"][0]["final_loss"], 1e-6)


async def test_a_reset_starts_the_script_over_from_the_start(tmp_path: Path) -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await steps(pilot, 6)
        await press(pilot, "[")
        await steps(pilot, 3)
        await press(pilot, "r")
        await steps(pilot, 4)
        data, got, code = await both(pilot, app, tmp_path, "reset")
        assert data["steps"] == 4 and "range(4)" in code and "if step" not in code and "lr=0.0005" in code
        assert close(got, data["final_loss"], 1e-12)


async def test_the_export_dialog_says_when_the_code_cannot_replay_the_run(tmp_path: Path) -> None:
    async with open_app("moons", hyper={"lr": 1e300}) as (app, pilot):
        await press(pilot, "s")  # torch raises at the first step: the run stops there
        await eventually(pilot, lambda: app.session.run.raised)
        await press(pilot, "e")
        assert isinstance(app.screen, SaveScreen)
        hint = str(app.screen.query_one("#save-hint").render())
        assert "cannot replay this run" in hint and "torch raised" in hint
        app.screen.query_one("#save-path", Input).value = str(tmp_path / "raised.py")
        await press(pilot, "enter")
        await eventually(pilot, lambda: (tmp_path / "raised.py").exists())
        assert "NOT A REPLAY" in (tmp_path / "raised.py").read_text()
