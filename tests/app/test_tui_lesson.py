"""A lesson in the app: the panel shows the part, its question and, after its steps, the
explanation and whether the expectation held; digits answer, space trains the part's steps and
pauses, n and p move between parts (p replays from the lesson's start), other keys still work."""

from __future__ import annotations

from tui_helpers import eventually, main_screen, press, settled, status

from playground import exports, lessons
from playground.app import PlaygroundApp


def panel(app: PlaygroundApp) -> str:
    return main_screen(app).query_one("#lesson").text


async def test_a_lesson_is_played_part_by_part_with_its_question_and_its_check() -> None:
    lesson = lessons.load("momentum")
    app = PlaygroundApp(lesson.scenario, lesson=lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(pilot, lambda: app.session.lesson.index == 0, timeout=60, what="part 1 opened once torch loaded")
        await settled(pilot)
        box = main_screen(app).query_one("#lesson")
        assert box.display and box.border_title == "Momentum in a narrow valley · part 1/4"
        await eventually(pilot, lambda: "space trains this part's 100 steps (100 to go)" in panel(app))
        text = panel(app)
        assert "Plain gradient descent, lr 0.018" in text and "Which way does the path zig-zag?" in text
        assert "1  across the valley" in text and "expected" not in text  # its check only once trained
        assert app.session.config.hyper["lr"] == 0.018 and app.session.config.hyper["momentum"] == 0.0

        await press(pilot, "2")  # a wrong answer, marked so: one more try, the right one not shown yet
        await eventually(pilot, lambda: "✗ 2  along the valley" in panel(app) and "one more try" in status(app))
        assert "✓" not in panel(app) and app.session.asking
        await press(pilot, "1")  # the second try
        await eventually(pilot, lambda: "✓ 1  across the valley" in panel(app) and "right" in status(app))
        assert not app.session.asking
        assert not app.session.racing  # the digit answered; it did not select a lane

        await press(pilot, "space")  # the part's 100 steps, then a pause
        await eventually(pilot, lambda: app.session.step_count == 100 and not app.session.running, timeout=30, what="100 steps and a pause")
        await eventually(pilot, lambda: "expected distance > 1 and step == 100: holds (distance = 1.463, step = 100)" in panel(app))
        assert "x = -9*0.982^100" in panel(app)
        await eventually(pilot, lambda: "part 1: its 100 steps are done" in status(app))

        await press(pilot, "n")
        await eventually(pilot, lambda: box.border_title.endswith("part 2/4"))
        assert app.session.step_count == 0 and app.session.config.hyper["momentum"] == 0.67  # reset, heavy ball
        await press(pilot, "space")
        await eventually(pilot, lambda: "expected distance > 2.9e-7 and distance < 3e-7: holds" in panel(app), timeout=30)

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
        assert code == exports.code_text(app.session) and "torch.optim.Adam(model.parameters(), lr=0.01" in code
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


async def test_presenter_mode_hides_the_settings_and_the_footer_until_tab() -> None:
    """`--present`: the plots and the lesson fill the screen, every key still works, and tab
    brings the settings panel and the footer back; after that tab moves the focus as always."""
    lesson = lessons.load("nesterov")
    app = PlaygroundApp(lesson.scenario, lesson=lesson, present=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(pilot, lambda: app.session.lesson.index == 0, timeout=60, what="part 1")
        await settled(pilot)
        screen = main_screen(app)
        controls, footer, box = screen.query_one("#controls"), screen.query_one("#footer"), screen.query_one("#lesson")
        assert not controls.display and not footer.display and box.has_class("-present")
        plots = screen.query_one("#plots")
        assert plots.size.width >= 118  # the map and the loss curve take the whole width
        await press(pilot, "s", "s")
        await eventually(pilot, lambda: app.session.step_count == 2)
        await press(pilot, "n")
        await eventually(pilot, lambda: box.border_title.endswith("part 2/5"))
        await press(pilot, "tab")
        await eventually(pilot, lambda: controls.display and footer.display and not box.has_class("-present"))
        assert "presenter mode off" in status(app)
        before = app.focused
        await press(pilot, "tab")
        await eventually(pilot, lambda: app.focused is not before and controls.display)


async def test_the_palette_lists_the_lessons_and_opens_one() -> None:
    from tui_helpers import open_app

    from playground.commands import palette_commands

    async with open_app("rosenbrock") as (app, pilot):
        commands = {title: (help_text, run) for title, help_text, run in palette_commands(app)}
        assert commands["Lesson: momentum"][0] == "Momentum in a narrow valley"
        assert len([t for t in commands if t.startswith("Lesson: ")]) >= 8
        commands["Lesson: momentum"][1]()
        await eventually(pilot, lambda: app.session.lesson is not None and app.session.lesson.index == 0)
        await eventually(pilot, lambda: main_screen(app).query_one("#lesson").display)
        assert app.session.scenario.name == "momentum" and app.session.config.hyper["lr"] == 0.018
        app.pick("scenario", "beale")  # another scenario ends the lesson
        await eventually(pilot, lambda: app.session.lesson is None and not main_screen(app).query_one("#lesson").display)


async def test_the_arrows_and_enter_answer_the_question() -> None:
    lesson = lessons.load("learning-rate")
    app = PlaygroundApp(lesson.scenario, lesson=lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(pilot, lambda: app.session.lesson.index == 0, timeout=60, what="part 1")
        await eventually(pilot, lambda: "› 1  still more than 8" in panel(app))
        start = app.session.run.start
        await press(pilot, "down", "down", "down", "up")  # the cursor stops at the last choice
        await eventually(pilot, lambda: "› 2  about 1" in panel(app))
        assert app.session.run.start == start  # the arrows answered; they did not move the start
        await press(pilot, "enter")  # wrong: marked, and one more try, the cursor on the next choice
        await eventually(pilot, lambda: "✗ 2  about 1" in panel(app) and "› 3  at the minimum" in panel(app))
        assert app.session.lesson.answered is None and "✓" not in panel(app)
        await press(pilot, "up", "up", "enter")
        await eventually(pilot, lambda: "✓ 1  still more than 8" in panel(app))
        assert app.session.lesson.answered == 1
        await press(pilot, "down")  # answered: the arrows are the map's again
        assert app.session.lesson.answered == 1 and "›" not in panel(app)


async def test_presenter_mode_is_entered_and_left_by_one_key_and_the_palette() -> None:
    """Presenter mode could be left (tab) but not entered again: f toggles it both ways, and the
    palette has an entry for it."""
    from playground.commands import palette_commands
    from tui_helpers import open_app

    async with open_app("rosenbrock") as (app, pilot):
        screen = main_screen(app)
        footer, controls = screen.query_one("#footer"), screen.query_one("#controls")
        assert not screen.presenting and footer.display
        await press(pilot, "f")
        await eventually(pilot, lambda: screen.presenting and not footer.display and not controls.display, what="presenter mode on")
        await press(pilot, "f")
        await eventually(pilot, lambda: not screen.presenting and footer.display and controls.display, what="presenter mode off")
        await press(pilot, "f")
        await eventually(pilot, lambda: screen.presenting, what="on again")
        await press(pilot, "tab")
        await eventually(pilot, lambda: not screen.presenting and footer.display, what="tab leaves it")
        commands = {title: run for title, _, run in palette_commands(app)}
        done = commands["Presenter mode (on / off)"]()
        if hasattr(done, "__await__"):  # run_action is a coroutine, as the palette awaits it
            await done
        await eventually(pilot, lambda: screen.presenting, what="the palette's entry turns it on")


async def test_a_wrong_answer_gets_one_more_try_before_the_right_one_is_shown() -> None:
    lesson = lessons.load("training-loop")
    app = PlaygroundApp(lesson.scenario, lesson=lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(pilot, lambda: app.session.lesson.index == 0, timeout=60, what="part 1")
        await press(pilot, "n")
        await eventually(pilot, lambda: app.session.asking, what="part 2's question")
        assert "-8.91" not in panel(app) and "y = 2 - 2" not in panel(app)  # the text does not give the answer away
        await press(pilot, "1")
        await eventually(pilot, lambda: "✗ 1" in panel(app))
        assert "✓" not in panel(app)
        await press(pilot, "1")  # the same wrong choice again is not the second try
        await eventually(pilot, lambda: "was the first try" in status(app))
        assert app.session.asking
        await press(pilot, "down")  # the arrows' cursor moved off the wrong choice, to 2; now 3
        await press(pilot, "enter")  # wrong twice: the right one is shown
        await eventually(pilot, lambda: "✗ 3" in panel(app) and "✓ 2  exactly to 0" in panel(app))
        assert "not quite: the answer is 2" in status(app) and not app.session.asking
        await press(pilot, "space")
        await eventually(pilot, lambda: "x = -9 + 0.09 = -8.91" in panel(app), timeout=30, what="the explanation after the step")


async def test_an_arrow_in_a_part_without_steps_starts_it_over_and_the_panel_agrees() -> None:
    """training-loop's part 3 trains nothing: an arrow moves the start, and the panel shows the
    part's check at the new point, never 'space trains this part's 0 steps (1 to go)'."""
    lesson = lessons.load("training-loop")
    app = PlaygroundApp(lesson.scenario, lesson=lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(pilot, lambda: app.session.lesson.index == 0, timeout=60, what="part 1")
        app.session.open_part(2)
        await eventually(pilot, lambda: "part 3/4" in str(main_screen(app).query_one("#lesson").border_title))
        assert app.session.step_count == 1
        await press(pilot, "left")
        await eventually(pilot, lambda: app.session.step_count == 0 and "expected grad_norm" in panel(app))
        assert "to go" not in panel(app) and "0 steps" not in panel(app)
        app.session.open_part(3)  # 99 steps, then left: they count from the new start
        await eventually(pilot, lambda: "(99 to go)" in panel(app))
        await press(pilot, "left")
        await eventually(pilot, lambda: app.session.step_count == 0)
        await eventually(pilot, lambda: "space trains this part's 99 steps (99 to go)" in panel(app))


async def test_a_lesson_s_first_frame_shows_part_1_with_its_settings_and_its_surface() -> None:
    """While torch loads: the lesson panel with part 1, and part 1's lr (0.01), not the
    scenario's (0.018); the scenario field names the surface."""
    lesson = lessons.load("training-loop")
    app = PlaygroundApp(lesson.scenario, lesson=lesson, load_engine=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        box = main_screen(app).query_one("#lesson")
        assert app.session.run is None and box.display
        assert box.border_title.endswith("part 1/4") and "Before any step, the loss is" in panel(app)
        assert app.session.config.hyper["lr"] == 0.01
        await eventually(pilot, lambda: main_screen(app).query_one("#controls").filled)
        from textual.widgets import Select

        pick = main_screen(app).query_one("#pick-scenario", Select)
        assert str(pick.query_one("SelectCurrent #label").render()) == "Ill-conditioned bowl"


def test_lessons_are_listed_in_the_readme_s_teaching_order() -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    order = re.findall(r"(?m)^\|\s*`([a-z][a-z0-9-]+)`\s*\|\s*\d+\s*\|", readme)
    assert [p.stem for p in lessons.list_lessons()] == order == list(lessons.TEACHING_ORDER)


async def test_a_lesson_s_map_keeps_8_rows_at_80x24_and_the_text_scrolls_in_what_is_left() -> None:
    """Everyday 2, item 2: at 80x24 the lesson took every row and the map got none; the lesson
    gives way now (its text scrolls), normal and presenting, and nothing of it is cut off."""
    from playground.widgets.map_plot import MapPlot

    for present in (False, True):
        lesson = lessons.load("momentum")
        app = PlaygroundApp(lesson.scenario, lesson=lesson, present=present)
        async with app.run_test(size=(80, 24)) as pilot:
            await eventually(pilot, lambda: app.session.lesson.index == 0, timeout=60, what="part 1")
            await press(pilot, "1", "space")
            await eventually(pilot, lambda: app.session.step_count == 100 and "expected" in panel(app), timeout=30)
            await settled(pilot)
            screen = main_screen(app)
            box = screen.query_one("#lesson")
            assert screen.query_one(MapPlot).size.height >= 8, (present, screen.query_one(MapPlot).size)
            assert box.region.bottom <= screen.query_one(MapPlot).region.y
            text = screen.query_one("#lesson-text")
            if text.size.height > box.scrollable_content_region.height:  # more than its rows: it scrolls
                assert box.max_scroll_y > 0
                box.scroll_end(animate=False)
                await pilot.pause()
                assert box.scroll_y == box.max_scroll_y


async def test_a_part_on_another_scenario_draws_that_surface_and_p_goes_back() -> None:
    """The adam lesson's last part runs on the rotated bowl: the map turns to it (its title, its
    start), space trains there, and p goes back to the lesson's own bowl."""
    from playground.widgets.map_plot import MapPlot

    lesson = lessons.load("adam")
    app = PlaygroundApp(lesson.scenario, lesson=lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        await eventually(pilot, lambda: app.session.lesson.index == 0, timeout=60, what="part 1 opened once torch loaded")
        box, plot = main_screen(app).query_one("#lesson"), main_screen(app).query_one(MapPlot)
        assert plot.border_title == "Ill-conditioned bowl"
        await press(pilot, "n", "n", "n")
        await eventually(pilot, lambda: box.border_title.endswith("part 4/4"))
        await eventually(pilot, lambda: plot.border_title == "Rotated bowl")
        assert app.session.scenario.name == "rotated_bowl" and app.session.run.start == app.session.scenario.surface.start
        await press(pilot, "2")
        await press(pilot, "space")
        await eventually(pilot, lambda: "expected distance > 0.3 and distance < 0.4: holds" in panel(app), timeout=60)
        await press(pilot, "p")
        await eventually(pilot, lambda: box.border_title.endswith("part 3/4") and plot.border_title == "Ill-conditioned bowl")
        assert app.session.scenario.source == lesson.scenario.source
