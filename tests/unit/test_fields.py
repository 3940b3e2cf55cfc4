"""Settings as typed fields: one Field type for an optimizer's, a schedule's and the run's own
settings, and one place (settings.setting) that says which kind of setting a panel key is."""

from __future__ import annotations

import pytest

from playground import scenarios
from playground.errors import ConfigError
from playground.fields import RUN
from playground.optimizers import get_optimizer
from playground.settings import SCHEDULE_PREFIX, panel_settings, resolve, setting, spoken


def test_each_kind_of_key_reads_and_writes_its_own_part_of_the_config() -> None:
    s = scenarios.load("moons")
    c = resolve(s, optimizer="sgd", schedule="step step_size=50 gamma=0.5")
    lr = setting(c, "lr")
    assert (lr.where, lr.value(c)) == ("hyper", c.hyper["lr"])
    assert lr.put(c, "0.25").hyper["lr"] == 0.25
    gamma = setting(c, SCHEDULE_PREFIX + "gamma")
    assert (gamma.where, gamma.name, gamma.value(c)) == ("schedule", "gamma", 0.5)
    assert gamma.put(c, "0.1").schedule_params["gamma"] == 0.1 and gamma.put(c, "0.1").hyper == c.hyper
    seed = setting(c, "seed")
    assert (seed.where, seed.value(c)) == ("run", c.seed)
    assert seed.put(c, " 7 ").seed == 7
    assert setting(c, "nesterov").put(c, False).hyper["nesterov"] is False  # a switch gives a bool


def test_an_empty_clip_field_means_no_clipping_and_bad_text_says_why() -> None:
    s = scenarios.load("rosenbrock")
    c = resolve(s, clip=2.0)
    clip = setting(c, "clip")
    assert clip.put(c, "").clip == 0.0
    with pytest.raises(ValueError, match="'fast' is not a number"):
        clip.put(c, "fast")
    with pytest.raises(ValueError, match="out of range: it must be from 0 to 100000000"):
        setting(c, "steps").put(c, "-1")
    with pytest.raises(ValueError, match="1.5 is out of range: it must be from 0 to 1"):
        setting(c, "momentum").put(c, "1.5")


def test_a_key_the_run_has_no_setting_for_is_refused_naming_it() -> None:
    c = resolve(scenarios.load("rosenbrock"), optimizer="adam")
    with pytest.raises(ConfigError) as exc:
        setting(c, "momentum")
    assert "adam has no hyperparameter 'momentum'" in exc.value.message
    with pytest.raises(ConfigError, match="schedule constant has no parameters"):
        setting(c, SCHEDULE_PREFIX + "gamma")
    assert spoken(SCHEDULE_PREFIX + "gamma") == "gamma"


def test_the_panel_shows_a_networks_own_settings_only_on_a_network() -> None:
    surface, network = scenarios.load("rosenbrock"), scenarios.load("moons")
    on_surface = panel_settings(resolve(surface, optimizer="muon"), surface=True)
    on_network = panel_settings(resolve(network, optimizer="muon"), surface=False)
    assert [s.key for s in on_surface["run"]] == ["steps", "clip"]
    assert [s.key for s in on_network["run"]] == ["batch_size", "seed", "steps", "clip"]
    muon = get_optimizer("muon")
    partner = [f.name for f in muon.hyper if f.group or f.takes]
    assert partner and not {s.key for s in on_surface["hyper"]} & set(partner)
    assert set(partner) <= {s.key for s in on_network["hyper"]}
    labels = {s.key: s.label for s in on_network["run"]}
    assert labels == {name: f.label for name, f in RUN.items()}


def test_a_schedules_budget_parameter_says_what_0_means() -> None:
    c = resolve(scenarios.load("rosenbrock"), schedule="cosine")
    boxes = panel_settings(c, surface=True)
    assert [s.label for s in boxes["schedule"]] == ["T_max (0 = the step budget)", "eta_min"]
