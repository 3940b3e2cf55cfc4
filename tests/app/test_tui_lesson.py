"""A lesson in the app: the panel shows the part, its question and, after its steps, the
explanation and whether the expectation held; digits answer, space trains the part's steps and
pauses, n and p move between parts (p replays from the lesson's start), other keys still work."""

from __future__ import annotations

from tui_helpers import eventually, main_screen, press, settled, status

from playground import lessons
from playground.app import PlaygroundApp


def panel(app: PlaygroundApp) -> str:
    return str(main_screen(app).query_one("#lesson").render())


async def test_a_lesson_is_played_part_by_part_with_its_question_and_its_check() -> None:
    lesson = lessons.load("momentum")
    app = PlaygroundApp(lesson.scenario, lesson=lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(pilot, lambda: app.session.lesson.index == 0, timeout=60, what="part 1 opened once torch loaded")
        await settled(pilot)
        box = main_screen(app).query_one("#lesson")
        assert box.display and box.border_title == "Momentum in a narrow valley · part 1/4"
        text = panel(app)
        assert "Plain gradient descent, lr 0.018" in text and "Which way does the path zig-zag?" in text
        assert "1  across the valley" in text and "space trains this part's 100 steps (100 to go)" in text
        assert app.session.config.hyper["lr"] == 0.018 and app.session.config.hyper["momentum"] == 0.0

        await press(pilot, "2")  # a wrong answer, marked so, and the right one shown
        await eventually(pilot, lambda: "✗ 2  along the valley" in panel(app) and "✓ 1  across the valley" in panel(app))
        assert "not quite: the answer is 1" in status(app)
        assert not app.session.racing  # the digit answered; it did not select a lane

        await press(pilot, "space")  # the part's 100 steps, then a pause
        await eventually(pilot, lambda: app.session.step_count == 100 and not app.session.running, timeout=30, what="100 steps and a pause")
        await eventually(pilot, lambda: "expected distance > 1 and step == 100: holds (distance = 1.463, step = 100)" in panel(app))
        assert "x = -9*0.982^100" in panel(app)
        await eventually(pilot, lambda: "part 1: its 100 steps are done" in status(app))

        await press(pilot, "n")
        await eventually(pilot, lambda: box.border_title.endswith("part 2/4"))
        assert app.session.step_count == 0 and app.session.config.hyper["momentum"] == 0.669  # reset, heavy ball
        await press(pilot, "space")
        await eventually(pilot, lambda: "expected distance < 0.001: holds" in panel(app), timeout=30)

        await press(pilot, "n", "n")  # part 4: a race, lane 1 selected
        await eventually(pilot, lambda: box.border_title.endswith("part 4/4") and app.session.racing)
        assert len(app.session.lanes) == 2 and app.session.lane_index == 0
        await press(pilot, "n")
        await eventually(pilot, lambda: "the lesson's last part" in status(app))

        await press(pilot, "p")  # part 3, replayed from the lesson's start: the same every time
        await eventually(pilot, lambda: box.border_title.endswith("part 3/4") and not app.session.racing)
        assert app.session.step_count == 0 and app.session.config.hyper["momentum"] == 0.95
        await press(pilot, "s")  # every other key still works
        await eventually(pilot, lambda: app.session.step_count == 1)


async def test_outside_a_lesson_n_says_how_to_find_one() -> None:
    from tui_helpers import open_app

    async with open_app("rosenbrock") as (app, pilot):
        assert not main_screen(app).query_one("#lesson").display
        await press(pilot, "n")
        await eventually(pilot, lambda: "not in a lesson: `playground lesson` lists them" in status(app))


async def test_v_shows_the_code_behind_the_selected_lane_and_e_writes_it_to_a_py_file(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Issue 13: the code behind the run, highlighted, for the selected lane; the same text
    written by the export to a name ending in .py."""
    from textual.widgets import Input

    from playground.screens.code_screen import CodeScreen
    from playground.screens.save_screen import SaveScreen
    from tui_helpers import open_app

    monkeypatch.chdir(tmp_path)
    async with open_app("moons", optimizer="adam") as (app, pilot):
        await press(pilot, "v")
        await eventually(pilot, lambda: isinstance(app.screen, CodeScreen))
        code = app.screen.code
        assert code == app.session.code_text() and "torch.optim.Adam(model.parameters(), lr=0.01" in code
        syntax = app.screen.query_one("#code").content  # highlighted as Python, the code as it is
        assert syntax.code == code and syntax.lexer.name == "Python"
        lines = [str(app.screen.query_one("#code").render_line(y).text) for y in range(app.screen.query_one("#code").size.height)]
        assert any("optimizer.zero_grad()" in line for line in lines) and any("loss.backward()" in line for line in lines)
        await press(pilot, "escape")
        await eventually(pilot, lambda: not isinstance(app.screen, CodeScreen))
        await press(pilot, "e")
        await eventually(pilot, lambda: isinstance(app.screen, SaveScreen))
        app.screen.query_one("#save-path", Input).value = "moons.py"
        await press(pilot, "enter")
        await eventually(pilot, lambda: (tmp_path / "moons.py").exists())
        assert (tmp_path / "moons.py").read_text() == code
