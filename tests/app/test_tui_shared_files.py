"""Files people share reach the app as text, never as markup or terminal escapes: a scenario
named `[/]` (Textual's markup raised on it and ended the app, exit 0), a lesson titled with markup,
a user scenario whose file name is an action link, a description holding a terminal's escape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.content import Content
from tui_helpers import app_failed, eventually, main_screen, press, shown_step, status

from playground import lessons, scenarios
from playground.app import PlaygroundApp

HOSTILE = '[/] [bold]x[/bold] [@click=app.quit]q[/] \x1b]0;PWNED\x07'


def _scenario(folder: Path, file_name: str, lesson: bool) -> Path:
    text = (
        f'[scenario]\nname = {json.dumps(HOSTILE)}\nkind = "surface"\ndescription = {json.dumps(HOSTILE)}\n\n'
        '[surface]\nformula = "x**2 + y**2"\nx = [-1.0, 1.0]\ny = [-1.0, 1.0]\nstart = [0.5, 0.5]\n'
    )
    if lesson:
        text += (
            f'\n[lesson]\ntitle = {json.dumps(HOSTILE)}\n\n[[lesson.part]]\nsay = {json.dumps(HOSTILE)}\n'
            f'ask = {json.dumps(HOSTILE)}\nchoices = [{json.dumps(HOSTILE)}, "[b]"]\nanswer = 1\nrun = 3\nexpect = "step == 3"\n'
        )
    path = folder / file_name
    path.write_text(text)
    return path


@pytest.mark.parametrize("lesson", [False, True])
async def test_markup_and_escapes_in_a_shared_file_are_shown_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lesson: bool) -> None:
    monkeypatch.setenv("PLAYGROUND_SCENARIOS", str(tmp_path))
    path = _scenario(tmp_path, "[@click=app.quit]shared.toml", lesson)
    loaded = lessons.load(str(path)) if lesson else None
    scenario = loaded.scenario if loaded else scenarios.load(str(path))
    assert "\x1b" not in scenario.title and "\\x1b" in scenario.title  # shown as its escape
    app = PlaygroundApp(scenario, lesson=loaded)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(pilot, lambda: "step 0" in status(app), timeout=60, what="the run loaded")
        plot = main_screen(app).query_one("#map")
        assert Content.from_markup(plot.border_title).plain.startswith(scenario.title)  # the name as written
        await press(pilot, "s")
        await eventually(pilot, lambda: shown_step(app) >= 1, what="a step")
        await press(pilot, "ctrl+p")
        await pilot.pause()
        await press(pilot, "escape")
        assert not app_failed(app) and app.is_running


@pytest.mark.parametrize(("name", "minima"), [("saddle", False), ("rosenbrock", True)])
async def test_the_maps_legend_names_a_minimum_only_where_the_scenario_knows_one(name: str, minima: bool) -> None:
    from tui_helpers import open_app

    async with open_app(name) as (app, pilot):
        await pilot.pause()
        legend = Content.from_markup(main_screen(app).query_one("#map").border_subtitle).plain
        assert "○ start" in legend and ("× minimum" in legend) is minima
