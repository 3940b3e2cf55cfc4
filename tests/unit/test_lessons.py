"""Lessons (issue 13): the file format, the `expect` conditions (data, never code), playing a
lesson on a Session headless, and `playground lesson [NAME] [--check]`."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from playground import cli, lessons
from playground.errors import ScenarioError
from playground.session import Session

BUNDLED = ["training-loop", "learning-rate", "momentum", "nesterov", "adam", "losses", "saddle", "local-minima", "edge-of-stability"]

BOWL = """[scenario]
name = "narrow bowl"
kind = "surface"

[surface]
formula = "0.5*(x**2 + 100*y**2)"
x = [-10.0, 10.0]
y = [-3.0, 3.0]
start = [-8.0, 2.0]
minima = [[0.0, 0.0]]

[defaults]
optimizer = "sgd"
lr = 0.01

[lesson]
title = "A narrow bowl"
"""


def write(tmp_path: Path, parts: str, name: str = "bowl") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(BOWL + parts)
    return path


def session_for(lesson: lessons.Lesson) -> Session:
    session = Session(lesson.scenario)
    session.load_engine(background=False)
    return session


# ---------------------------------------------------------------- conditions


def test_a_condition_reads_its_names_and_combines_comparisons():
    c = lessons.compile_expect("loss < 0.01 and not diverged or step >= 100", "surface", minima=True)
    assert c.names == ("loss", "diverged", "step")
    assert c.holds({"loss": 0.001, "diverged": False, "step": 3})
    assert not c.holds({"loss": 0.5, "diverged": False, "step": 3})
    assert c.holds({"loss": 0.5, "diverged": True, "step": 100})
    chained = lessons.compile_expect("0 < x <= 1", "surface", minima=True)
    assert chained.holds({"x": 1.0}) and not chained.holds({"x": 0.0}) and not chained.holds({"x": 1.5})
    assert lessons.compile_expect("-x > 2", "surface", minima=True).holds({"x": -3.0})
    # a loss that is not finite has no value: only != holds for it
    assert not lessons.compile_expect("loss < 1", "surface", minima=True).holds({"loss": None})
    assert c.shown({"loss": 0.52, "diverged": False, "step": 100}) == "loss = 0.52, diverged = false, step = 100"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("los < 1", "unknown name 'los' (did you mean 'loss'?)"),
        ("__import__('os').system('touch /tmp/x') == 0", "is not allowed in a condition"),
        ("loss.__class__ == 1", "is not allowed in a condition"),
        ("[loss][0] < 1", "is not allowed in a condition"),
        ("(lambda: 1)() == 1", "is not allowed in a condition"),
        ("loss <", "is not a condition"),
        ("loss + 1", "is not allowed in a condition"),
        ("accuracy > 0.9", "accuracy (the training accuracy (0 to 1)) is not there in a surface scenario"),
        ("loss in (1, 2)", "unknown comparison"),
        ("loss < 1 and 2", "'2' is not a condition"),
        # a value is not a condition: it passed on its truthiness
        ("loss", "'loss' is not a condition"),
        ("1", "'1' is not a condition"),
        ("-x", "is not a condition"),
        ("diverged < loss", "compares unlike things"),
        ("loss == diverged", "compares unlike things"),
        ("diverged < true", "orders true and false"),
        ("", "is empty"),
    ],
)
def test_anything_outside_the_whitelist_is_refused_saying_what(text: str, says: str):
    with pytest.raises(ValueError, match=None) as err:
        lessons.compile_expect(text, "surface", minima=True)
    assert says in str(err.value)


def test_a_condition_may_still_compare_true_and_false():
    assert lessons.compile_expect("diverged == false", "surface", minima=True).holds({"diverged": False})
    assert lessons.compile_expect("diverged", "surface", minima=True).holds({"diverged": True})


def test_six_lanes_pass_a_seventh_is_refused(tmp_path: Path):
    six = PARTS.replace("EXPECT", "loss < 1").replace('"sgd lr=0.005", ', '"sgd lr=0.005", ' * 5)
    assert len(lessons.load(str(write(tmp_path, six))).parts[2].configs) == 6


def test_distance_needs_known_minima():
    with pytest.raises(ValueError, match="distance needs known minima"):
        lessons.compile_expect("distance < 1", "surface", minima=False)


# ---------------------------------------------------------------- the file


PARTS = """
[[lesson.part]]
say = "Plain gradient descent."
set = { optimizer = "sgd", lr = 0.018, momentum = 0.0 }
reset = true
run = 100
ask = "Which way?"
choices = ["across", "along"]
answer = 2
expect = "distance > 0.5 and step == 100 and not diverged"

[[lesson.part]]
say = "Heavy ball."
set = { lr = 0.0331, momentum = 0.669 }
reset = true
run = 100
expect = "EXPECT"

[[lesson.part]]
say = "A race."
lanes = ["sgd lr=0.005", "sgd lr=0.0331 momentum=0.669"]
run = 100
expect = "best == 2"
"""


def test_a_lesson_file_reads_into_parts_with_their_settings(tmp_path: Path):
    lesson = lessons.load(str(write(tmp_path, PARTS.replace("EXPECT", "distance < 0.001"))))
    assert lesson.title == "A narrow bowl" and len(lesson.parts) == 3
    first, second, race = lesson.parts
    assert first.configs[0].hyper["lr"] == 0.018 and first.choices == ("across", "along") and first.answer == 2
    # the second part keeps the first's optimizer and changes two settings
    assert second.configs[0].optimizer == "sgd" and second.configs[0].hyper["momentum"] == 0.669
    assert [c.hyper["lr"] for c in race.configs] == [0.005, 0.0331] and race.fresh


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        (('say = "A race."', 'say = "A race."\ncolour = "red"'), "lesson.part[3].colour", "unknown key"),
        (("answer = 2", "answer = 3"), "lesson.part[1].answer", "3 is not a choice: it counts from 1 to 2"),
        (('say = "A race."\n', ""), "lesson.part[3].say", "missing (required)"),
        (('expect = "loss < 1"', 'expect = "los < 1"'), "lesson.part[2].expect", "unknown name 'los' (did you mean 'loss'?)"),
        (("lr = 0.0331, momentum", "lr = -1.0, momentum"), "lesson.part[2].set.lr", "out of range"),
        (("lr = 0.0331, momentum", "colour = 1, momentum"), "lesson.part[2].set.colour", "unknown setting"),
        (('"sgd lr=0.005"', '"sgdd lr=0.005"'), "lesson.part[3].lanes[1]", "unknown optimizer 'sgdd'"),
        (('"best == 2"', '"best == 2"\nset = { lr = 0.1 }'), "lesson.part[3].lanes", "set or lanes, not both"),
        (('expect = "distance > 0.5', 'expect = "best == 1 and distance > 0.5'), "lesson.part[1].expect", "best names a race's lane"),
        (('expect = "loss < 1"', 'expect = "loss"'), "lesson.part[2].expect", "'loss' is not a condition"),
        (('"sgd lr=0.005", ', '"sgd lr=0.005", ' * 6), "lesson.part[3].lanes", "7 lanes; a race takes 1 to 6"),
    ],
)
def test_a_bad_lesson_names_the_file_and_the_field(tmp_path: Path, change: tuple[str, str], field: str, says: str):
    text = PARTS.replace("EXPECT", "loss < 1")
    assert change[0] in text
    path = write(tmp_path, text.replace(*change, 1))
    with pytest.raises(ScenarioError) as err:
        lessons.load(str(path))
    assert err.value.field == field and says in err.value.message, str(err.value)
    assert err.value.source == str(path)


def test_a_scenario_file_without_a_lesson_is_not_a_lesson(tmp_path: Path):
    path = tmp_path / "plain.toml"
    path.write_text(BOWL.replace('[lesson]\ntitle = "A narrow bowl"\n', ""))
    with pytest.raises(ScenarioError, match="missing table"):
        lessons.load(str(path))


# ---------------------------------------------------------------- playing it


def test_each_bundled_lesson_is_listed_and_every_expectation_holds():
    names = [p.stem for p in lessons.list_lessons()]
    assert set(BUNDLED) <= set(names)
    for name in BUNDLED:
        lesson = lessons.load(name)
        assert all(part.expect is not None for part in lesson.parts), name  # every claim checked
        session = session_for(lesson)
        assert lessons.check(lesson, session) is None, name
        assert not session.faults


def test_opening_a_part_again_replays_the_lesson_the_same_way():
    lesson = lessons.load("local-minima")
    session = session_for(lesson)
    player = lessons.Player(lesson, session)
    player.open(2)  # parts 1 and 2 are played on the way
    player.train()
    there = player.values()
    player.open(1)  # back: replayed from the start
    assert session.step_count == 0 and player.index == 1
    player.open(2)
    player.train()
    assert player.values() == there
    assert math.isclose(there["x"], -3.779310, abs_tol=1e-3)


def test_a_race_part_reads_lane_one_and_names_the_best_lane():
    lesson = lessons.load("momentum")
    session = session_for(lesson)
    player = lessons.Player(lesson, session)
    player.open(3)
    player.train()
    assert len(session.lanes) == 2 and session.lane_index == 0
    values = player.values()
    assert values["best"] == 2 and values["loss"] == session.lanes[0].history.loss.last()
    assert player.check() == (True, "best = 2")


# ---------------------------------------------------------------- the command line


def test_lesson_lists_the_bundled_lessons(capsys: pytest.CaptureFixture[str]):
    assert cli.main(["lesson"]) == 0
    out = capsys.readouterr().out
    for name in BUNDLED:
        assert name in out
    rows = out.splitlines()
    assert "momentum" + " " * (len(max(BUNDLED, key=len)) - len("momentum") + 2) + "Momentum in a narrow valley  (4 parts)" in rows
    assert len({len(row) - len(row.split("  ", 1)[1].lstrip()) for row in rows}) == 1  # the titles in one column


def test_check_exits_0_1_or_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    good = write(tmp_path, PARTS.replace("EXPECT", "distance < 0.001"), "good")
    assert cli.main(["lesson", str(good), "--check"]) == 0
    assert "3 parts, every expectation holds" in capsys.readouterr().out
    false = write(tmp_path, PARTS.replace("EXPECT", "distance > 1"), "false")
    assert cli.main(["lesson", str(false), "--check"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("playground: lesson false: part 2: expected distance > 1, got distance = ") and len(err.splitlines()) == 1
    canary = tmp_path / "canary"
    hostile = write(tmp_path, PARTS.replace("EXPECT", f"__import__('os').system('touch {canary}') == 0"), "hostile")
    assert cli.main(["lesson", str(hostile), "--check"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"playground: error: {hostile}: lesson.part[2].expect: ") and len(err.splitlines()) == 1
    assert not canary.exists()


def test_check_validates_a_lessons_parts_too_and_checks_the_bundled_lessons(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bad = write(tmp_path, PARTS.replace("EXPECT", "los < 1"), "bad")
    assert cli.main(["check", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"playground: error: {bad}: lesson.part[2].expect: unknown name 'los' (did you mean 'loss'?)"
    assert cli.main(["check"]) == 0
    out = capsys.readouterr().out
    for name in BUNDLED:
        assert f"lessons/{name}.toml: ok" in out


def test_a_part_runs_on_its_own_scenario_and_the_next_goes_back_to_the_lessons(tmp_path: Path):
    text = """
[[lesson.part]]
say = "here"
set = { optimizer = "sgd", lr = 0.01 }
run = 5

[[lesson.part]]
scenario = "rotated_bowl"
say = "turned"
run = 5
expect = "step == 5"

[[lesson.part]]
say = "back"
run = 2
expect = "step == 2"
"""
    lesson = lessons.load(str(write(tmp_path, text, "turned")))
    assert [p.scenario.name if p.scenario else None for p in lesson.parts] == [None, "rotated_bowl", None]
    assert [p.fresh for p in lesson.parts][1:] == [True, True]  # another scenario starts over, and so does coming back
    session = session_for(lesson)
    player = lessons.Player(lesson, session)
    player.open(1)
    player.train()
    assert session.scenario.name == "rotated_bowl" and session.run.start == session.scenario.surface.start
    player.open(2)
    player.train()
    assert session.scenario.source == lesson.scenario.source and session.step_count == 2
    assert lessons.check(lesson, session) is None


@pytest.mark.parametrize(("ref", "says"), [("no_such_scenario", "no such scenario"), ("missing.toml", "no such file"), ("", "must be a scenario's name")])
def test_a_parts_bad_scenario_names_the_field(tmp_path: Path, ref: str, says: str):
    path = write(tmp_path, f'\n[[lesson.part]]\nscenario = "{ref}"\nsay = "x"\n', "bad")
    with pytest.raises(ScenarioError) as caught:
        lessons.load(str(path))
    assert "lesson.part[1].scenario" in str(caught.value) and says in str(caught.value)
