"""Scenario files: every bundled one loads and trains sensibly; every bad one is refused with the
file and the field named."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from playground import scenarios
from playground.engine import Run
from playground.errors import ScenarioError
from playground.settings import resolve


def _bundled_entries():
    """list_entries() with no user folders (they would shadow bundled names)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLAYGROUND_SCENARIOS", "")
        mp.setattr(scenarios, "user_dirs", lambda: [])
        return [e for e in scenarios.list_entries() if e.origin == "bundled"]


BUNDLED = _bundled_entries()
SURFACES = ["rosenbrock", "beale", "himmelblau", "rastrigin", "saddle", "six_hump_camel", "ill_conditioned"]
CLASSIFICATION = ["moons", "circles", "xor", "spiral", "gaussian", "blobs"]
REGRESSION = ["sine"]


def test_the_required_scenarios_are_bundled_with_their_kinds():
    kinds = {e.name: scenarios.load_file(e.path).kind for e in BUNDLED}
    for name in SURFACES:
        assert kinds.get(name) == "surface", name
    for name in CLASSIFICATION:
        assert kinds.get(name) == "classification", name
    for name in REGRESSION:
        assert kinds.get(name) == "regression", name


@pytest.mark.parametrize("entry", BUNDLED, ids=[e.name for e in BUNDLED])
def test_bundled_scenario_loads_cleanly(entry):
    s = scenarios.load_file(entry.path)
    assert s.name == entry.name == entry.path.stem
    assert s.title.strip() and s.description.strip()
    assert s.warnings == ()
    assert scenarios.load(entry.name).kind == s.kind  # by name too
    config = resolve(s)
    assert config.steps >= 1
    if s.kind == "surface":
        (x0, x1), (y0, y1) = s.surface.x, s.surface.y
        sx, sy = s.surface.start
        assert x0 <= sx <= x1 and y0 <= sy <= y1
        assert config.loss is None
    else:
        assert config.loss is not None
        pts = s.points()
        assert len(pts.train_x) > 0


def _value(s, x, y):
    return s.surface.value(x, y)


@pytest.mark.parametrize("name", SURFACES)
def test_listed_minima_are_local_minima(name):
    s = scenarios.load(name)
    for mx, my in s.surface.minima:
        here = _value(s, mx, my)
        for a in np.linspace(0, 2 * math.pi, 12, endpoint=False):
            assert here <= _value(s, mx + 0.01 * math.cos(a), my + 0.01 * math.sin(a)), (name, mx, my)


def test_bundled_formulas_are_the_named_functions():
    assert _value(scenarios.load("saddle"), 1.5, 2.0) == pytest.approx(1.5**2 - 2.0**2)
    assert _value(scenarios.load("ill_conditioned"), 3.0, -2.0) == pytest.approx(0.5 * (9 + 100 * 4))
    assert _value(scenarios.load("rosenbrock"), 1.0, 1.0) == pytest.approx(0.0)
    assert _value(scenarios.load("rosenbrock"), 0.0, 0.0) == pytest.approx(1.0)
    assert _value(scenarios.load("himmelblau"), 3.0, 2.0) == pytest.approx(0.0)
    assert _value(scenarios.load("beale"), 3.0, 0.5) == pytest.approx(0.0)
    assert _value(scenarios.load("rastrigin"), 0.0, 0.0) == pytest.approx(0.0)
    assert _value(scenarios.load("six_hump_camel"), 0.0898, -0.7126) == pytest.approx(-1.0316, abs=1e-3)


def test_blobs_has_three_classes_and_sine_is_regression():
    blobs = scenarios.load("blobs")
    pts = blobs.points()
    assert blobs.dataset.classes == 3 and pts.classes == 3
    assert set(pts.train_y.tolist()) == {0, 1, 2}
    sine = scenarios.load("sine")
    sp = sine.points()
    assert sp.kind == "regression" and sp.train_x.shape[1] == 1
    # targets are sin(x) plus small noise
    assert np.abs(sp.train_y - np.sin(sp.train_x[:, 0])).mean() < 0.2


def test_dataset_points_are_deterministic_in_the_seed():
    s = scenarios.load("moons")
    a, b = s.points(), s.points()
    np.testing.assert_array_equal(a.train_x, b.train_x)
    np.testing.assert_array_equal(a.train_y, b.train_y)
    assert len(a.test_x) == round(s.dataset.samples * s.dataset.test_fraction)


# ---------------------------------------------------------------- default runs make sense


@pytest.mark.parametrize("entry", BUNDLED, ids=[e.name for e in BUNDLED])
def test_default_run_converges_or_shows_something_without_diverging(entry):
    s = scenarios.load_file(entry.path)
    config = resolve(s)
    run = Run(s, config)
    run.step(config.steps)
    h = run.history
    assert not run.diverged, run.stop_reason
    assert h.steps == config.steps
    loss = h.loss.array()
    assert np.isfinite(loss).all()
    first, last = loss[0], loss[-1]
    if s.kind == "surface":
        if entry.name == "saddle":
            assert last < first - 1.0  # it escapes downhill along y
            assert abs(run.point[1]) > 0.1
        else:
            assert last < 0.5 * first
        if entry.name in ("rosenbrock", "himmelblau", "ill_conditioned", "beale"):
            # these should end close to one of their known minima
            x, y = run.point
            assert min(math.hypot(x - mx, y - my) for mx, my in s.surface.minima) < 0.2
    elif s.kind == "classification":
        assert last < 0.5 * first
        assert h.accuracy.last() >= 0.9
    else:
        assert last < 0.2 * first
        assert last < 0.05


# ---------------------------------------------------------------- bad files

SURF = """\
[scenario]
name = "T"
kind = "surface"

[surface]
formula = "x**2 + y**2"
x = [-2.0, 2.0]
y = [-2.0, 2.0]
start = [1.0, 1.0]
"""

DATA = """\
[scenario]
name = "D"
kind = "classification"

[dataset]
generator = "moons"
samples = 40
"""

CSV_HEAD = """\
[scenario]
name = "C"
kind = "classification"

[dataset]
generator = "csv"
path = "points.csv"
"""

# name -> (file content, field the message must name or None, fragments the message must contain)
BAD: dict[str, tuple[str | bytes, str | None, tuple[str, ...]]] = {
    "toml_syntax": (SURF + "oops = \n", None, ("line 10",)),
    "toml_syntax_string": ('[scenario]\nname = "x\n', None, ("line 2",)),
    "empty": ("", None, ("empty",)),
    "blank": ("  \n\n", None, ("empty",)),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, ("text",)),
    "not_utf8": (b'[scenario]\nname = "\xff\xfe"\n', None, ("text",)),
    "missing_scenario": ('[surface]\nformula = "x"\n', "scenario", ("missing",)),
    "scenario_not_table": ('scenario = "x"\n', "scenario", ("table",)),
    "missing_name": ('[scenario]\nkind = "surface"\n', "scenario.name", ("missing",)),
    "missing_kind": ('[scenario]\nname = "x"\n', "scenario.kind", ("missing",)),
    "unknown_kind": ('[scenario]\nname = "x"\nkind = "surfce"\n', "scenario.kind", ("'surface'",)),
    "unknown_table": (SURF + "[surfacee]\n", "surfacee", ("unknown", "'surface'")),
    "unknown_key": (SURF.replace("start =", "strat = [0.0, 0.0]\nstart ="), "surface.strat", ("unknown", "did you mean 'start'")),
    "unknown_defaults_key": (SURF + "[defaults]\nlearnin_rate = 0.1\n", "defaults.learnin_rate", ("unknown",)),
    "missing_formula": (SURF.replace('formula = "x**2 + y**2"\n', ""), "surface.formula", ("missing",)),
    "missing_start": (SURF.replace("start = [1.0, 1.0]\n", ""), "surface.start", ("missing",)),
    "formula_not_string": (SURF.replace('"x**2 + y**2"', "3"), "surface.formula", ("string",)),
    "range_not_array": (SURF.replace("x = [-2.0, 2.0]", 'x = "wide"'), "surface.x", ("array", "string")),
    "start_three_numbers": (SURF.replace("start = [1.0, 1.0]", "start = [1.0, 1.0, 2.0]"), "surface.start", ("pair",)),
    "start_strings": (SURF.replace("start = [1.0, 1.0]", 'start = ["a", 1.0]'), "surface.start", ("pair",)),
    "samples_string": (DATA.replace("samples = 40", 'samples = "many"'), "dataset.samples", ("integer",)),
    "samples_float": (DATA.replace("samples = 40", "samples = 2.5"), "dataset.samples", ("integer",)),
    "samples_bool": (DATA.replace("samples = 40", "samples = true"), "dataset.samples", ("integer",)),
    "reversed_range": (SURF.replace("x = [-2.0, 2.0]", "x = [2.0, -2.0]"), "surface.x", ("reversed",)),
    "empty_range": (SURF.replace("y = [-2.0, 2.0]", "y = [1.0, 1.0]"), "surface.y", ("empty",)),
    "start_inf": (SURF.replace("start = [1.0, 1.0]", "start = [inf, 1.0]"), "surface.start", ("finite",)),
    "range_nan": (SURF.replace("x = [-2.0, 2.0]", "x = [nan, 2.0]"), "surface.x", ("finite",)),
    "noise_nan": (DATA + "noise = nan\n", "dataset.noise", ("finite",)),
    "lr_inf": (SURF + "[defaults]\nlr = inf\n", "defaults.lr", ("finite",)),
    "minimum_nan": (SURF + "minima = [[1.0, -nan]]\n", "surface.minima[0]", ("finite",)),
    "unknown_generator": (DATA.replace('"moons"', '"moonz"'), "dataset.generator", ("did you mean 'moons'",)),
    "unknown_activation": (DATA + '[model]\nactivation = "relu6"\n', "model.activation", ("'relu'",)),
    "unknown_optimizer": (SURF + '[defaults]\noptimizer = "adamm"\n', "defaults.optimizer", ("did you mean 'adam'",)),
    "unknown_loss": (DATA + '[defaults]\nloss = "hinge"\n', "defaults.loss", ("cross_entropy",)),
    "loss_on_surface": (SURF + '[defaults]\nloss = "mse"\n', "defaults.loss", ("surface",)),
    "regression_generator_mismatch": (DATA.replace('"classification"', '"regression"'), "dataset.generator", ("classification",)),
    "zero_samples": (DATA.replace("samples = 40", "samples = 0"), "dataset.samples", ("0",)),
    "absurd_samples": (DATA.replace("samples = 40", "samples = 100000000000"), "dataset.samples", ("100000000000",)),
    "zero_width": (DATA + "[model]\nhidden = [8, 0]\n", "model.hidden[1]", ("width",)),
    "absurd_width": (DATA + "[model]\nhidden = [100000]\n", "model.hidden[0]", ("width",)),
    "too_many_layers": (DATA + "[model]\nhidden = [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]\n", "model.hidden", ("layers",)),
    "width_string": (DATA + '[model]\nhidden = ["8"]\n', "model.hidden[0]", ("width",)),
    "too_many_classes": (DATA.replace('"moons"', '"blobs"') + "classes = 50\n", "dataset.classes", ("50",)),
    "moons_three_classes": (DATA + "classes = 3\n", "dataset.classes", ("2",)),
    "test_fraction_all": (DATA + "test_fraction = 0.95\n", "dataset.test_fraction", ("0.95",)),
    "negative_seed": (DATA + "seed = -1\n", "dataset.seed", ("-1",)),
    "formula_bad": (SURF.replace("x**2 + y**2", "x**2 + (y"), "surface.formula", ("unexpected end of formula at column 9",)),
    "formula_code": (SURF.replace('"x**2 + y**2"', "\"__import__('os').system('true')\""), "surface.formula", ("column",)),
    "formula_not_finite_at_start": (SURF.replace("x**2 + y**2", "log(x - 1)"), "surface.formula", ("finite", "start")),
    "formula_nan_at_start": (SURF.replace("x**2 + y**2", "sqrt(-x)"), "surface.formula", ("finite",)),
    "dataset_on_surface": (SURF + '[dataset]\ngenerator = "moons"\n', "dataset", ("surface",)),
    "surface_on_dataset": (DATA + '[surface]\nformula = "x"\n', "surface", ("classification",)),
    "csv_without_path": (CSV_HEAD.replace('path = "points.csv"\n', ""), "dataset.path", ("missing",)),
    "csv_path_missing": (CSV_HEAD.replace("points.csv", "nowhere.csv"), "dataset.path", ("nowhere.csv", "not exist")),
    "path_without_csv": (DATA + 'path = "points.csv"\n', "dataset.path", ("csv",)),
    "adam_unknown_key": (SURF + "[defaults.adam]\nmomentum = 0.9\n", "defaults.adam.momentum", ("lr", "betas", "amsgrad")),
    "adam_misspelt_key": (SURF + "[defaults.adam]\nbeta = [0.9, 0.99]\n", "defaults.adam.beta", ("did you mean 'betas'",)),
    "adam_bad_betas": (SURF + "[defaults.adam]\nbetas = [0.9, 1.5]\n", "defaults.adam.betas", ("1.5",)),
    "adam_zero_lr": (SURF + "[defaults.adam]\nlr = 0\n", "defaults.adam.lr", ("0",)),
    "adam_not_table": (SURF + "[defaults]\nadam = 1\n", "defaults.adam", ("table",)),
    "defaults_negative_lr": (SURF + "[defaults]\nlr = -1.0\n", "defaults.lr", ("-1",)),
    "defaults_momentum_too_big": (SURF + "[defaults]\nmomentum = 2.0\n", "defaults.momentum", ("2",)),
    "defaults_negative_steps": (SURF + "[defaults]\nsteps = -1\n", "defaults.steps", ("-1", "from 0 to 100000000")),
    "defaults_nesterov_string": (SURF + '[defaults]\nnesterov = "yes"\n', "defaults.nesterov", ("true or false",)),
    "defaults_lr_string": (SURF + '[defaults]\nlr = "fast"\n', "defaults.lr", ("number",)),
    "defaults_batch_on_surface": (SURF + "[defaults]\nbatch_size = 4\n", "defaults.batch_size", ("surface",)),
    "defaults_negative_batch": (DATA + "[defaults]\nbatch_size = -4\n", "defaults.batch_size", ("-4",)),
    "deeply_nested_toml": ("a = " + "[" * 5000 + "]" * 5000 + "\n", None, ("TOML",)),
}


@pytest.mark.parametrize("case", sorted(BAD), ids=sorted(BAD))
def test_bad_scenario_file_names_file_and_field(tmp_path, case):
    content, field, fragments = BAD[case]
    (tmp_path / "points.csv").write_text("x,y,label\n0,0,0\n1,1,1\n")
    path = tmp_path / f"{case}.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ScenarioError) as info:
        scenarios.load_file(path)
    err = info.value
    text = str(err)
    assert "\n" not in text
    assert text.startswith(str(path) + ": ")
    if field is not None:
        assert err.field == field
        assert text.startswith(f"{path}: {field}: ")
    for fragment in fragments:
        assert fragment in text, text
    # the same file through check_files (what `playground check` uses)
    [(p, _, e)] = scenarios.check_files([str(path)])
    assert str(e) == text


CSV_CASES = {
    "not_a_number": ("x,y,label\n0,0,0\n1,abc,1\n", ("row 3", "column y", "abc")),
    "missing_value": ("x,y,label\n0,0,0\n1,,1\n", ("row 3", "column y")),
    "short_row": ("x,y,label\n0,0,0\n0.5,1\n", ("row 3", "column label")),
    "bad_label": ("x,y,label\n0,0,0\n1,1,1.5\n2,2,1\n", ("row 3", "column label", "1.5")),
    "infinite": ("x,y,label\n0,0,0\n1,1,1\n2,inf,1\n", ("row 4", "column y")),
    "no_header": ("a,b,c\n0,0,0\n1,1,1\n", ("row 1", "x", "label")),
    "header_only": ("x,y,label\n", ("no data",)),
    "empty": ("", ("empty",)),
    "one_class": ("x,y,label\n0,0,0\n1,1,0\n", ("same class",)),
}


@pytest.mark.parametrize("case", sorted(CSV_CASES), ids=sorted(CSV_CASES))
def test_malformed_csv_names_row_and_column(tmp_path, case):
    body, fragments = CSV_CASES[case]
    (tmp_path / "points.csv").write_text(body)
    path = tmp_path / "c.toml"
    path.write_text(CSV_HEAD)
    with pytest.raises(ScenarioError) as info:
        scenarios.load_file(path)
    text = str(info.value)
    assert text.startswith(f"{path}: dataset.path: ")
    assert "points.csv" in text
    for fragment in fragments:
        assert fragment in text, text


def test_good_csv_loads_relative_to_the_scenario_and_trains(tmp_path):
    rows = ["x,y,label"] + [f"{a:.2f},{b:.2f},{int(a > b)}" for a in np.linspace(-1, 1, 7) for b in np.linspace(-1, 1, 6)]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "points.csv").write_text("\n".join(rows) + "\n")
    path = tmp_path / "c.toml"
    path.write_text(CSV_HEAD.replace("points.csv", "sub/points.csv"))
    s = scenarios.load_file(path)
    pts = s.points()
    assert len(pts.train_x) == 42 and pts.classes == 2
    run = Run(s, resolve(s, optimizer="adam", hyper={"lr": 0.05}))
    run.step(100)
    assert run.history.loss.last() < run.history.loss[0]


def test_start_outside_the_domain_is_a_warning_not_an_error(tmp_path):
    path = tmp_path / "outside.toml"
    path.write_text(SURF.replace("start = [1.0, 1.0]", "start = [5.0, 1.0]"))
    s = scenarios.load_file(path)
    assert len(s.warnings) == 1
    assert str(path) in s.warnings[0] and "surface.start" in s.warnings[0] and "outside" in s.warnings[0]
    run = Run(s, resolve(s, optimizer="sgd", hyper={"lr": 0.1}))
    run.step(3)
    assert run.history.trajectory()[0].tolist() == [5.0, 1.0]


def test_optional_keys_have_documented_defaults(tmp_path):
    path = tmp_path / "minimal.toml"
    path.write_text(DATA.replace("samples = 40\n", ""))
    s = scenarios.load_file(path)
    d = s.dataset
    assert (d.samples, d.noise, d.classes, d.test_fraction, d.seed) == (200, 0.1, 2, 0.0, 0)
    assert s.model.hidden == (16, 16) and s.model.activation == "tanh"
    assert s.defaults.optimizer == "sgd" and s.defaults.loss == "cross_entropy" and s.defaults.batch_size == 0
    assert s.description == ""


def test_lbfgs_none_can_be_written_in_a_file(tmp_path):
    """TOML has no null: the registry lists 'none' as valid, so a file may say "none"."""
    path = tmp_path / "l.toml"
    path.write_text(SURF + '[defaults.lbfgs]\nline_search_fn = "none"\nmax_eval = "none"\n')
    s = scenarios.load_file(path)
    config = resolve(s, optimizer="lbfgs")
    assert config.hyper["line_search_fn"] is None and config.hyper["max_eval"] is None


def test_unknown_scenario_name_suggests_the_closest():
    with pytest.raises(ScenarioError, match="did you mean 'rosenbrock'"):
        scenarios.load("rosenbrok")
    with pytest.raises(ScenarioError, match="no such file"):
        scenarios.load("/nonexistent/thing.toml")


def test_user_folder_scenarios_are_listed_and_shadow_bundled(tmp_path, monkeypatch):
    (tmp_path / "mine.toml").write_text(SURF)
    (tmp_path / "saddle.toml").write_text(SURF.replace('"T"', '"My saddle"'))
    monkeypatch.setenv("PLAYGROUND_SCENARIOS", str(tmp_path))
    entries = {e.name: e for e in scenarios.list_entries()}
    assert entries["mine"].origin == "user"
    assert entries["saddle"].origin == "user"
    assert entries["rosenbrock"].origin == "bundled"
    assert scenarios.load("saddle").title == "My saddle"
    assert scenarios.load("mine").surface.formula.text == "x**2 + y**2"


def test_surfaces_train_in_float64():
    s = scenarios.load("rosenbrock")
    run = Run(s, resolve(s))
    assert run.parameters[0].dtype == torch.float64
