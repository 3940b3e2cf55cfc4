"""Compare (race) mode and choosing the start point (issue 5), through the pilot: what a person
sees on the scoreboard, the map and the status line when they press the keys."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Static
from tui_helpers import (
    eventually,
    handed_over,
    main_screen,
    open_app,
    press,
    resize,
    screen_ready,
    settled,
    shown_step,
    status,
    type_into,
    wait_stopped,
    wait_until,
)

from playground.commands import palette_commands
from playground.limits import LANES as MAX_LANES
from playground.screens.map_scene import LANE_COLOURS
from playground.racing import NUDGE
from playground.widgets.loss_curve import LOSS, LR
from playground.widgets.map_plot import MapPlot
from playground.widgets.plot_kit import fg_style
from playground.widgets.scoreboard import Scoreboard

BRAILLE = range(0x2801, 0x2900)


def board_text(app) -> str:  # noqa: ANN001
    board = main_screen(app).query_one(Scoreboard)
    return str(board.render()) if board.display else ""


def board_lines(app) -> list[str]:  # noqa: ANN001
    """The scoreboard's lane rows (without the header)."""
    return board_text(app).splitlines()[1:]


async def start_race(pilot) -> None:  # noqa: ANN001
    """c: the race, its scoreboard laid out (the screen lays out a frame after the key)."""
    await press(pilot, "c")
    board = main_screen(pilot.app).query_one(Scoreboard)
    lanes = len(pilot.app.session.race.lanes)
    await wait_until(pilot, lambda: board.size.height >= lanes, what=f"the scoreboard laid out with its {lanes} lanes")


def cells(widget) -> list[list[tuple[str, tuple[int, int, int] | None]]]:  # noqa: ANN001
    """What the widget shows, cell by cell: (character, foreground colour)."""
    out = []
    for y in range(widget.size.height):
        row = []
        for seg in widget.render_line(y):
            colour = seg.style.color.get_truecolor() if seg.style and seg.style.color else None
            for ch in seg.text:
                row.append((ch, tuple(colour) if colour is not None else None))
        out.append(row)
    return out


def line_colours(widget) -> set[tuple[int, int, int]]:  # noqa: ANN001
    """The colours of the lines drawn (braille dots) in a plot."""
    return {c for row in cells(widget) for ch, c in row if ord(ch) in BRAILLE and c is not None}


def glyph_at(widget, glyph: str) -> list[tuple[int, int]]:  # noqa: ANN001
    return [(x, y) for y, row in enumerate(cells(widget)) for x, (ch, _) in enumerate(row) if ch == glyph]


async def test_c_races_sgd_momentum_nesterov_and_adam_with_a_scoreboard_and_colours() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        board = main_screen(app).query_one(Scoreboard)
        assert not board.display and not app.session.racing  # one run: no scoreboard
        await start_race(pilot)
        assert app.session.racing and len(app.session.race.lanes) == 4
        labels = app.session.race.labels()
        assert len(set(labels)) == 4
        assert [lab.split()[0] for lab in labels] == ["sgd", "sgd", "sgd", "adam"]
        assert "momentum=0.9" in labels[1] and "nesterov=true" in labels[2] and "momentum" not in labels[0]
        assert board.display
        rows = board_lines(app)
        assert len(rows) == 4
        for row, label in zip(rows, labels):
            assert label in row and row.rstrip().endswith("no")  # not diverged
        assert "lane 1 of 4" in status(app)
        # every lane from the same start, in lockstep
        assert len({lane.start for lane in app.session.race.lanes}) == 1
        await press(pilot, "s", "s", "s")
        assert [lane.step_count for lane in app.session.race.lanes] == [3, 3, 3, 3] and shown_step(app) == 3
        app.session.race.step(147)
        app.main.redraw(force=True)
        await eventually(pilot, lambda: len(glyph_at(main_screen(app).query_one(MapPlot), "●")) == 4, what="four current points")
        # the paths and current points on the map, and the scoreboard's swatches, are in the
        # lanes' colours; the four lanes went four ways: four current-point markers
        plot = main_screen(app).query_one(MapPlot)
        now = {c for row in cells(plot) for ch, c in row if ch == "●"}
        assert now == set(LANE_COLOURS[:4]), now
        assert len(glyph_at(plot, "●")) == 4
        assert len(set(LANE_COLOURS[:4]) & line_colours(plot)) >= 3  # paths may cover each other
        swatches = {c for row in cells(board) for ch, c in row if ch == "━"}
        assert swatches == set(LANE_COLOURS[:4])
        # the command palette offers the same race
        names = [name for name, _, _ in palette_commands(app)]
        assert any("SGD vs momentum vs Nesterov vs Adam" in n for n in names)


async def test_space_s_and_r_act_on_every_lane_in_lockstep() -> None:
    async with open_app("rosenbrock", steps=100_000) as (app, pilot):
        await start_race(pilot)
        race = app.session.race
        start_loss = race.lanes[0].history.loss[0]
        await press(pilot, "space")
        assert app.session.running
        await wait_until(pilot, lambda: race.step_count >= 20, what="the race to run")
        await press(pilot, "space")
        assert not app.session.running
        await wait_stopped(pilot, app)
        counts = {lane.step_count for lane in race.lanes}
        assert len(counts) == 1 and counts.pop() >= 20, [lane.step_count for lane in race.lanes]
        app.main.redraw(force=True)  # the frame after the last step (the frame timer may lag on a busy machine)
        await wait_until(pilot, lambda: shown_step(app) == race.step_count, what="the last step shown")
        assert shown_step(app) == race.step_count
        losses = [lane.history.loss.last() for lane in race.lanes]
        assert len(set(losses)) == 4  # four optimizers, four losses
        for row, loss in zip(board_lines(app), losses):
            assert f"{loss:.4g}" in row
        n = race.step_count
        await press(pilot, "s")
        assert [lane.step_count for lane in race.lanes] == [n + 1] * 4
        await press(pilot, "r")
        assert [lane.step_count for lane in race.lanes] == [0] * 4 and shown_step(app) == 0
        assert "all 4 lanes reset" in status(app)
        for row in board_lines(app):
            assert f"{start_loss:.4g}" in row
        # while running, r stops and resets all
        await press(pilot, "space")
        await wait_until(pilot, lambda: race.step_count >= 5)
        await press(pilot, "r")
        assert not app.session.running
        await wait_stopped(pilot, app)
        assert [lane.step_count for lane in race.lanes] == [0] * 4


async def test_a_adds_a_lane_the_panel_edits_the_selected_lane_and_x_removes_it() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await press(pilot, "right_square_bracket", "s", "s")  # lr 0.002, two steps
        await press(pilot, "a")
        race = app.session.race
        assert race is not None and len(race.lanes) == 2
        assert [lane.step_count for lane in race.lanes] == [0, 0]  # a new lane restarts the race
        assert [lane.config.hyper["lr"] for lane in race.lanes] == [pytest.approx(0.002)] * 2
        assert app.session.run is race.lanes[1] and "lane 2 of 2" in status(app)
        assert board_lines(app)[1].startswith("▶")
        # the settings panel edits the selected lane (the new one), and only it
        app.pick("optimizer", "adam")
        await pilot.pause()  # the screen shows what the session published
        assert race.lanes[1].config.optimizer == "adam" and race.lanes[0].config.optimizer == "sgd"
        assert main_screen(app).query_one("#pick-optimizer", Select).value == "adam"
        await press(pilot, "left_square_bracket")
        assert race.lanes[1].lr == pytest.approx(race.lanes[1].config.hyper["lr"])
        assert race.lanes[0].config.hyper["lr"] == pytest.approx(0.002)
        assert "adam" in board_lines(app)[1]
        # 1 selects the first lane: the panel shows its settings
        await press(pilot, "1")
        assert app.session.run is race.lanes[0] and "lane 1 of 2" in status(app)
        assert main_screen(app).query_one("#pick-optimizer", Select).value == "sgd"
        assert main_screen(app).query_one("#field-lr", Input).value == "0.002"
        await press(pilot, "5")
        assert "the race has 2 lanes" in status(app)
        # up to six lanes
        for _ in range(MAX_LANES):
            await press(pilot, "a")
        assert len(race.lanes) == MAX_LANES and f"at most {MAX_LANES} lanes" in status(app)
        # x removes the selected lane; at one lane, back to the single-run view
        await press(pilot, "3")
        doomed = race.lanes[2]
        await press(pilot, "x")
        assert doomed not in race.lanes and len(race.lanes) == MAX_LANES - 1
        assert f"{MAX_LANES - 1} lanes race on" in status(app)
        while app.session.racing:
            await press(pilot, "x")
        assert app.session.run is not None and app.session.run in race.lanes
        assert not main_screen(app).query_one(Scoreboard).display
        assert "lane" not in status(app).splitlines()[0] and "one run left" in status(app)
        await press(pilot, "s")
        assert shown_step(app) == 1
        await press(pilot, "x")
        assert "no race" in status(app)


async def test_lanes_with_the_same_optimizer_show_their_own_values_in_the_panel() -> None:
    """SGD, SGD with momentum and Nesterov share their fields: picking one of them puts its
    values in, clears a rejected entry, and offers Nesterov only where momentum > 0."""
    from textual.widgets import Switch

    async with open_app("rosenbrock") as (app, pilot):
        await start_race(pilot)
        screen = main_screen(app)

        def shown() -> tuple[str, bool, bool]:
            nesterov = screen.query_one("#field-nesterov", Switch)
            return screen.query_one("#field-momentum", Input).value, nesterov.value, nesterov.disabled

        await type_into(pilot, "#field-momentum", "-1")  # refused: lane 1 keeps momentum 0
        assert "-invalid" in screen.query_one("#field-momentum").classes
        await press(pilot, "escape")
        await press(pilot, "2")
        await pilot.pause()
        assert shown() == ("0.9", False, False)
        assert "-invalid" not in screen.query_one("#field-momentum").classes
        assert str(screen.query_one("#error-momentum", Static).render()) == ""
        await press(pilot, "3")
        await pilot.pause()
        assert shown() == ("0.9", True, False)
        await press(pilot, "1")
        await pilot.pause()
        assert shown() == ("0", False, True)
        why = screen.query_one("#error-nesterov", Static)
        assert "needs momentum > 0" in str(why.render())
        assert why.has_class("note") and not why.has_class("error")  # a reason, not a mistake: not red
        await press(pilot, "4")
        await pilot.pause()
        assert screen.query_one("#pick-optimizer", Select).value == "adam" and not screen.query("#field-momentum")
        await press(pilot, "2")
        await pilot.pause()
        assert shown() == ("0.9", False, False)


async def test_clicking_a_scoreboard_row_selects_that_lane() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await start_race(pilot)
        board = main_screen(app).query_one(Scoreboard)
        # the border is a line, the header another: the third lane is the content's fourth line
        await pilot.click(Scoreboard, offset=(board.styles.gutter.left + 4, board.styles.gutter.top + 3))
        await wait_until(pilot, lambda: app.session.run is app.session.race.lanes[2], what="the click to select lane 3")
        assert app.session.run is app.session.race.lanes[2]
        assert "lane 3 of 4" in status(app)
        assert board_lines(app)[2].startswith("▶")
        assert main_screen(app).query_one("#field-nesterov").value is True


async def test_a_race_on_a_dataset_maps_the_selected_lanes_predictions() -> None:
    async with open_app("moons") as (app, pilot):
        await start_race(pilot)
        app.session.race.step(60)
        app.main.redraw(force=True)
        await settled(pilot)
        plot = main_screen(app).query_one(MapPlot)
        sgd = [[bg for _, bg in row] for row in _backgrounds(plot)]
        await press(pilot, "4")  # Adam has learned far more of the moons than plain SGD in 60 steps
        await wait_until(pilot, lambda: [[bg for _, bg in row] for row in _backgrounds(plot)] != sgd, what="lane 4's predictions")
        adam = [[bg for _, bg in row] for row in _backgrounds(plot)]
        assert sgd != adam
        assert "lane 4 of 4" in status(app)
        await press(pilot, "1")
        await wait_until(pilot, lambda: [[bg for _, bg in row] for row in _backgrounds(plot)] == sgd, what="lane 1's predictions again")
        assert [[bg for _, bg in row] for row in _backgrounds(plot)] == sgd


def _backgrounds(widget) -> list[list[tuple[str, object]]]:  # noqa: ANN001
    out = []
    for y in range(widget.size.height):
        row = []
        for seg in widget.render_line(y):
            bg = seg.style.bgcolor.get_truecolor() if seg.style and seg.style.bgcolor else None
            row += [(ch, bg) for ch in seg.text]
        out.append(row)
    return out


async def test_arrows_move_the_start_while_the_map_has_focus_and_o_restores_it() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        scenario = app.session.scenario.surface
        (x0, x1), (y0, y1) = scenario.x, scenario.y
        sx, sy = scenario.start
        await press(pilot, "c", "s", "s")
        plot = main_screen(app).query_one(MapPlot)
        plot.focus()
        await wait_until(pilot, lambda: plot.has_focus, what="the map to have the focus")
        before = glyph_at(plot, "○")
        await press(pilot, "right", "right", "up")
        want = (sx + 2 * (x1 - x0) * NUDGE, sy + (y1 - y0) * NUDGE)
        for lane in app.session.race.lanes:  # every lane starts there, from step 0
            assert lane.start == pytest.approx(want)
            assert lane.point == pytest.approx(want) and lane.step_count == 0
        assert shown_step(app) == 0 and f"start ({want[0]:.4g}, {want[1]:.4g})" in status(app)
        await wait_until(pilot, lambda: glyph_at(plot, "○") != before, what="the start marker to move")
        after = glyph_at(plot, "○")
        assert len(before) == len(after) == 1
        assert after[0][0] > before[0][0] and after[0][1] <= before[0][1]  # right and up on screen
        # a step goes from the new start
        await press(pilot, "s")
        assert app.session.race.lanes[0].history.x[0] == pytest.approx(want[0])
        # arrows in a text field move its cursor, not the start
        field = main_screen(app).query_one("#field-lr", Input)
        field.focus()
        await wait_until(pilot, lambda: field.has_focus, what="the lr field to have the focus")
        await press(pilot, "up", "left")
        assert app.session.run.start == pytest.approx(want)
        await press(pilot, "escape")  # back to the map
        # o: the scenario's own start, for every lane
        await press(pilot, "o")
        assert all(lane.start == pytest.approx((sx, sy)) for lane in app.session.race.lanes)
        assert "the scenario's own start" in status(app)
        await wait_until(pilot, lambda: glyph_at(plot, "○") == before, what="the start marker back")
        assert glyph_at(plot, "○") == before
        # the start stays inside the domain
        plot.focus()
        for _ in range(60):
            await press(pilot, "left")
        assert app.session.run.start[0] == pytest.approx(x0)


async def test_clicking_the_map_starts_every_lane_there() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await press(pilot, "c", "s", "s")
        plot = main_screen(app).query_one(MapPlot)
        region = plot.content_region
        col, row = region.width * 3 // 4, region.height // 4  # right of the middle, near the top
        want = plot.data_at(col, row)
        assert want is not None
        (x0, x1), (y0, y1) = app.session.scenario.surface.x, app.session.scenario.surface.y
        assert (x0 + x1) / 2 < want[0] <= x1 and (y0 + y1) / 2 < want[1] <= y1
        await pilot.click(MapPlot, offset=(col + plot.styles.gutter.left, row + plot.styles.gutter.top))
        await wait_until(pilot, lambda: glyph_at(plot, "○") == [(col, row)], what="the start where the click was")
        for lane in app.session.race.lanes:
            assert lane.start == pytest.approx(want) and lane.step_count == 0
        assert f"start ({want[0]:.4g}, {want[1]:.4g})" in status(app)
        # the start marker is drawn where the click was
        assert glyph_at(plot, "○") == [(col, row)]
        # a click on the axis labels is not a start point
        await pilot.click(MapPlot, offset=(plot.styles.gutter.left, plot.styles.gutter.top + 1))
        await settled(pilot)  # a click on the labels changes nothing: what would change is drawn first
        assert app.session.run.start == pytest.approx(want)
        await press(pilot, "o")
        assert app.session.run.start == pytest.approx(app.session.scenario.surface.start)


async def test_the_loss_curve_draws_each_lane_in_its_colour() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        curve = main_screen(app).query_one("#loss")
        await press(pilot, "s")
        await eventually(pilot, lambda: line_colours(curve) == {fg_style(LOSS).color.get_truecolor()}, what="the loss in orange")
        assert line_colours(curve) == {fg_style(LOSS).color.get_truecolor()}  # one run: the loss in orange
        await press(pilot, "c", "l")  # on a log scale the four losses part
        app.session.race.step(150)
        app.main.redraw(force=True)
        await eventually(pilot, lambda: {LANE_COLOURS[0], LANE_COLOURS[1], LANE_COLOURS[2]} <= line_colours(curve), what="the lanes' colours")
        white, orange, pink, blue = LANE_COLOURS[:4]
        assert {white, orange, pink} <= line_colours(curve)
        assert "each lane" in curve.border_subtitle
        # the selected lane is drawn on top: Adam's curve, near plain SGD's, shows when selected
        await press(pilot, "4")
        app.main.redraw(force=True)
        await wait_until(pilot, lambda: LANE_COLOURS[3] in line_colours(curve), what="Adam's curve on top")
        assert blue in line_colours(curve)


async def test_the_loss_curve_draws_the_learning_rate_when_it_changes() -> None:
    lr_colour = fg_style(LR).color.get_truecolor()
    async with open_app("rosenbrock") as (app, pilot):
        curve = main_screen(app).query_one("#loss")
        app.session.run.step(50)
        app.main.redraw(force=True)
        await settled(pilot)
        assert lr_colour not in line_colours(curve)  # a constant lr: no line, a note
        assert "lr 0.001, constant" in "\n".join("".join(ch for ch, _ in row) for row in cells(curve))
    async with open_app("rosenbrock", schedule="exponential gamma=0.98") as (app, pilot):
        curve = main_screen(app).query_one("#loss")
        app.session.run.step(100)
        app.main.redraw(force=True)
        await wait_until(pilot, lambda: lr_colour in line_colours(curve), what="the lr line")
        assert lr_colour in line_colours(curve)
        text = ["".join(ch for ch, _ in row) for row in cells(curve)]
        last = app.session.run.lr
        assert any(f"lr 0.001 → {last:.3g}" in line for line in text), text[-3:]
        # the lr line falls from the top left to the bottom right, as the rate does
        dots = [(x, y) for y, row in enumerate(cells(curve)) for x, (ch, c) in enumerate(row) if c == lr_colour and ord(ch) in BRAILLE]
        first, final = min(dots), max(dots)
        assert first[1] < final[1]


async def test_switching_scenario_keeps_the_race() -> None:
    async with open_app("rosenbrock") as (app, pilot):
        await start_race(pilot)
        def kinds() -> list[tuple[str, object, object]]:
            return [(lane.config.optimizer, lane.config.hyper.get("momentum"), lane.config.hyper.get("nesterov")) for lane in app.session.race.lanes]

        before = kinds()
        app.pick("scenario", "himmelblau")
        await wait_until(pilot, lambda: app.session.race.scenario.name == "himmelblau", what="the race on himmelblau")
        assert app.session.racing and app.session.race.scenario.name == "himmelblau"
        assert kinds() == before and len(set(before)) == 4
        assert "4 lanes race here" in status(app)
        assert all(lane.start == app.session.scenario.surface.start for lane in app.session.race.lanes)


def test_race_snapshot_120x40(snap_compare) -> None:  # noqa: ANN001
    """The four-lane race on Rosenbrock after 150 steps (`c`, then the loss on a log scale):
    paths and losses in four colours, the scoreboard."""
    from playground import scenarios
    from playground.app import PlaygroundApp
    from playground.engine import Run
    from playground.settings import resolve

    scenario = scenarios.load("rosenbrock")
    app = PlaygroundApp(scenario, load_engine=False)

    async def run_before(pilot) -> None:  # noqa: ANN001
        await screen_ready(pilot)
        await handed_over(pilot, Run(scenario, resolve(scenario)))
        await pilot.pause()
        await pilot.press("c", "l")
        app.session.race.step(150)
        main_screen(app).query_one("#map").focus()
        app.main.redraw(force=True)
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))


async def test_a_race_at_80x24_gives_the_map_room_and_tells_every_lane_apart() -> None:
    """Issue 19, item 8: at 80x24 the race's map was 3 rows tall and lanes 2 and 3 both read
    `sgd lr=0.001 mom=0.9` (Nesterov lost to the cut); a cut label keeps what tells it apart.
    Everyday 2, item 4: the loss curve stays too (the scoreboard had taken its place), with 5
    rows between its borders, and the map keeps the rest."""
    from playground.widgets.loss_curve import LossCurve

    async with open_app("rosenbrock", size=(80, 24)) as (app, pilot):
        screen = main_screen(app)
        await start_race(pilot)
        await wait_until(pilot, lambda: screen.query_one(Scoreboard).display, what="the scoreboard")
        await pilot.pause()
        plot, curve = screen.query_one(MapPlot), screen.query_one(LossCurve)
        assert curve.display and curve.size.height >= 5, curve.size  # between its borders
        text = ["".join(ch for ch, _ in row) for row in cells(plot)]
        top = next(i for i, r in enumerate(text) if "┌" in r)
        bottom = next(i for i, r in enumerate(text) if "└" in r)
        assert bottom - top - 1 >= 4, "the map's plot is {} rows tall:\n{}".format(bottom - top - 1, "\n".join(text))
        labels = [line[5:].split("  ")[0].strip() for line in board_lines(app)]
        assert len(set(labels)) == len(labels) == 4, labels
        assert any("nest" in label for label in labels), labels
        # a bigger terminal has room for both
        await resize(pilot, 120, 40)
        await wait_until(pilot, lambda: curve.size.height > 5 and plot.size.height > 15, what="more room for both")


async def test_g_in_a_narrow_race_shows_the_insides_in_place_of_the_settings() -> None:
    """Issue 19, item 8: `g` during a race at 80 columns squeezed the map to its legend. The
    optimizer's insides now take the settings panel's place; g again brings the settings back."""
    from playground.widgets.controls import ControlPanel

    async with open_app("rosenbrock", size=(80, 24)) as (app, pilot):
        screen = main_screen(app)
        await start_race(pilot)
        await press(pilot, "g")
        await wait_until(pilot, lambda: not screen.query_one(ControlPanel).display, what="the settings panel to make room")
        await pilot.pause()
        plot = screen.query_one(MapPlot)
        assert plot.size.width >= 30 and plot.size.height >= 7, plot.size
        assert "in place of the settings" in status(app)
        # the scoreboard's rows stay one line each
        assert len(board_text(app).splitlines()) == 1 + len(app.session.lanes)
        await press(pilot, "g")
        await wait_until(pilot, lambda: screen.query_one(ControlPanel).display, what="the settings panel back")


async def test_at_70x20_the_status_line_never_wraps_over_the_message() -> None:
    """Issue 19, item 8: at 70x20 the status line wrapped and the message line disappeared."""
    async with open_app("rosenbrock", size=(70, 20)) as (app, pilot):
        await press(pilot, "c", "space")
        await wait_until(pilot, lambda: app.session.run.step_count > 0)
        await wait_until(pilot, lambda: len(status(app).splitlines()[0]) > 0)
        first, second = status(app).splitlines()[:2]
        assert first.startswith("step ") and first.rstrip().endswith(("running", "paused")), first
        assert len(first) <= 70 - 2
        assert second.startswith("lane 1 of 4"), second
        await press(pilot, "space")


@pytest.mark.parametrize("size", [(120, 40), (80, 24), (100, 30)])
async def test_a_race_at_step_0_shows_the_start_and_no_stray_dot(size: tuple[int, int]) -> None:
    """Issue 19, polish: a stray `⡀` stood above the `○` on the race map at step 0 (each lane's
    one-point path, drawn in braille a row off from the marker of the same point)."""
    async with open_app("rosenbrock", size=size) as (app, pilot):
        await start_race(pilot)
        plot = main_screen(app).query_one(MapPlot)
        await wait_until(pilot, lambda: app.session.racing and bool(glyph_at(plot, "○")), what="the race's start")
        await settled(pilot)
        dots = [(x, y) for y, row in enumerate(cells(plot)) for x, (ch, _) in enumerate(row) if ord(ch) in BRAILLE]
        assert not dots, f"braille dots at step 0: {dots}"
        # after a step the paths' ends sit under their lanes' ● (the dot and the marker share a cell)
        await press(pilot, "s")
        await wait_until(pilot, lambda: shown_step(app) == 1, what="the step shown")
        assert len(glyph_at(plot, "●")) >= 1


async def test_a_diverged_lane_does_not_flatten_the_others_and_its_line_ends_with_a_mark() -> None:
    """Everyday 2, item 5: one diverged lane rescaled the loss curve to 1e100 and flattened every
    other lane into one row. The y range follows the lanes still running; the diverged lane's line
    ends with ✗ where it leaves the range, and the scoreboard says where it diverged."""
    from playground.settings import parse_run
    from playground.widgets.loss_curve import LossCurve

    async with open_app("rosenbrock") as (app, pilot):
        s = app.session
        s.lesson_lanes([parse_run(s.scenario, "sgd lr=0.0005"), parse_run(s.scenario, "sgd lr=0.01")], None)
        s.steps(60)
        board = main_screen(app).query_one(Scoreboard)
        await wait_until(pilot, lambda: board.size.height >= 2, what="the scoreboard laid out")
        app.main.redraw(force=True)
        await settled(pilot)
        slow, wild = s.lanes
        assert wild.diverged and not slow.diverged
        curve = main_screen(app).query_one(LossCurve)
        scene = curve._scene  # noqa: SLF001 - what the frame drew
        lo, hi = scene.ylim
        running = slow.history.loss.array()
        assert not curve.log_scale  # 12.5 to 5.8: no decades to span, whatever the diverged lane reached
        assert hi <= running.max() * 1.01 and lo >= running.min() - 1  # the running lane's own range, not 1e100
        ((x, y, colour),) = scene.marks
        assert y == hi and colour == LANE_COLOURS[1] and x <= wild.diverged_at
        text = "\n".join("".join(ch for ch, _ in row) for row in cells(curve))
        assert "✗" in text
        rows_used = {i for i, row in enumerate(cells(curve)) for ch, c in row if c == LANE_COLOURS[0] and ord(ch) in BRAILLE}
        assert len(rows_used) >= 3, "the running lane is flattened into {} rows".format(len(rows_used))
        await eventually(pilot, lambda: f"at {wild.diverged_at}" in board_text(app), what="the scoreboard laid out, saying where it diverged")


async def test_the_status_and_the_message_say_which_lane_each_speaks_of() -> None:
    """Everyday 2, item 6: the status line showed the selected lane (`loss inf`) while the message
    said `reached the budget of 500 steps`, of the race. Now the message names the lane the status
    line shows, and that it diverged, and says the budget was the race's."""
    from playground.settings import parse_run

    async with open_app("rosenbrock", steps=40) as (app, pilot):
        s = app.session
        s.lesson_lanes([parse_run(s.scenario, "sgd lr=0.0005", 40), parse_run(s.scenario, "sgd lr=0.01", 40)], None)
        s.select_lane(1)
        await press(pilot, "space")
        # not wait_stopped: the selected lane, diverged, stops stepping long before the race does
        await wait_until(pilot, lambda: s.step_count == 40 and not s.running, what="the race to its budget")
        wild = s.lanes[1]
        assert wild.diverged and s.step_count == 40
        await eventually(pilot, lambda: "the race reached the budget of 40 steps" in status(app))
        message = status(app).splitlines()[1]
        assert message.startswith(f"lane 2 of 2 diverged at step {wild.diverged_at} · the race reached the budget"), message
        assert "loss inf" in status(app).splitlines()[0]
