"""Saving the current settings as a scenario file that reopens to the same state."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from playground import scenarios
from playground.scenario_file import to_toml
from playground.settings import parse_run, resolve

NAMES = [e.name for e in scenarios.list_entries() if e.origin == "bundled"]


def _reopen(tmp_path: Path, text: str) -> scenarios.Scenario:
    path = tmp_path / "saved.toml"
    path.write_text(text, encoding="utf-8")
    return scenarios.load(str(path))


@pytest.mark.parametrize("name", NAMES)
def test_every_bundled_scenario_saves_and_reopens_to_the_same_settings(tmp_path, name):
    s = scenarios.load(name)
    config = resolve(s)
    again = _reopen(tmp_path, to_toml(s, config))
    assert again.kind == s.kind and again.title == s.title
    assert resolve(again) == config
    if s.surface is not None:
        assert again.surface.formula.text == s.surface.formula.text
        assert again.surface.start == s.surface.start
    else:
        assert (again.points().train_x == s.points().train_x).all()


def test_changed_settings_schedule_clip_and_start_come_back(tmp_path):
    s = scenarios.load("rosenbrock")
    config = parse_run(s, "adam lr=0.02 betas=0.8,0.95 schedule=step step_size=40 gamma=0.7 clip=2.5", steps=321)
    again = _reopen(tmp_path, to_toml(s, config, start=(0.25, -0.5)))
    back = resolve(again)
    assert back.optimizer == "adam" and back.hyper == config.hyper
    assert (back.schedule, back.schedule_params, back.clip, back.steps) == ("step", {"step_size": 40, "gamma": 0.7}, 2.5, 321)
    assert again.surface.start == (0.25, -0.5)


def test_dataset_settings_come_back(tmp_path):
    s = scenarios.load("moons")
    config = resolve(s, optimizer="rmsprop", hyper={"lr": 0.003, "alpha": 0.9}, loss="nll", seed=7, batch_size=32)
    back = resolve(_reopen(tmp_path, to_toml(s, config)))
    assert (back.optimizer, back.loss, back.seed, back.batch_size) == ("rmsprop", "nll", 7, 32)
    assert back.hyper == config.hyper


def test_awkward_text_is_escaped(tmp_path):
    s = scenarios.load("rosenbrock")
    from dataclasses import replace

    odd = replace(s, title='Quote " backslash \\ tab \t del \x7f ünï', description="line\nbreak")
    text = to_toml(odd, resolve(s))
    doc = tomllib.loads(text)
    assert doc["scenario"]["name"] == odd.title and doc["scenario"]["description"] == "line\nbreak"


@pytest.mark.parametrize("source", ['/tmp/x\n[lesson]\ntitle = "injected"\n[[lesson.part]]\nsay = "hi"\n#.toml', "/tmp/a\rb\x1b\x7f\u2028c.toml"])
def test_the_source_file_name_stays_inside_its_comment(tmp_path, source):
    """The comment naming the file the settings came from holds its name as an escaped TOML
    string: a newline in the name injected a [lesson] table into the saved file."""
    from dataclasses import replace

    s = replace(scenarios.load("rosenbrock"), source=source)
    text = to_toml(s, resolve(s))
    doc = tomllib.loads(text)
    assert set(doc) == {"scenario", "surface", "defaults"}
    assert text.splitlines()[0].startswith("# Saved by playground on ")
    assert _reopen(tmp_path, text).lesson is None
