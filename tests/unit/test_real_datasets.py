"""scikit-learn's real sets (iris, wine, breast_cancer, digits): loaded from the copies inside the
package, standardised on their training split, their columns chosen by number or by name, and
scikit-learn imported only when one is loaded."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from sklearn import datasets as sk

from playground import scenarios
from playground.datasets import REAL_SETS, make_points
from playground.engine import Run
from playground.errors import ScenarioError
from playground.settings import resolve


def scenario_file(tmp_path, dataset: str, name: str = "real") -> scenarios.Scenario:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[scenario]\nname = "{name}"\nkind = "classification"\n\n[dataset]\n{dataset}\n\n[model]\nhidden = [8]\n')
    return scenarios.load_file(path)


def points(name: str, features: tuple[int, ...] = (), seed: int = 0, test_fraction: float = 0.25):
    return make_points("classification", name, 0, 0.0, 0, test_fraction, seed, features=features)


@pytest.mark.parametrize("name", sorted(REAL_SETS))
def test_each_real_set_is_scikit_learns_copy_standardised_on_its_training_split(name):
    bunch = getattr(sk, f"load_{name}")()
    pts = points(name)
    shape = REAL_SETS[name]
    assert len(pts.train_x) + len(pts.test_x) == shape.rows == len(bunch.data)
    assert len(pts.test_x) == round(shape.rows * 0.25)
    assert pts.features == shape.features == bunch.data.shape[1]
    assert pts.classes == shape.classes and sorted(set(pts.train_y.tolist())) == list(range(shape.classes))
    assert pts.feature_names == tuple(bunch.feature_names)
    assert pts.class_names == tuple(str(c) for c in bunch.target_names)
    mean, std = pts.train_x.mean(0), pts.train_x.std(0)
    varying = bunch.data.std(0) > 0
    np.testing.assert_allclose(mean, 0, atol=1e-5)
    np.testing.assert_allclose(std[varying], 1, atol=1e-4)
    if not varying.all():  # digits' blank corner pixels stay 0, not nan
        assert name == "digits" and np.isfinite(pts.train_x).all()
    # each column is scikit-learn's, moved and scaled (an affine map of its sorted values), and
    # the labels are scikit-learn's
    ours = np.concatenate([pts.train_x, pts.test_x]).astype(np.float64)
    for j in np.flatnonzero(varying)[:8]:
        theirs, mine = np.sort(bunch.data[:, j]), np.sort(ours[:, j])
        slope, offset = np.polyfit(theirs, mine, 1)
        assert slope > 0
        np.testing.assert_allclose(slope * theirs + offset, mine, atol=1e-4)
    assert sorted(np.concatenate([pts.train_y, pts.test_y]).tolist()) == sorted(bunch.target.tolist())


def test_the_split_is_fixed_by_the_seed_and_changes_with_it():
    a, b, c = points("wine", seed=0), points("wine", seed=0), points("wine", seed=1)
    np.testing.assert_array_equal(a.train_x, b.train_x)
    np.testing.assert_array_equal(a.test_y, b.test_y)
    assert not np.array_equal(a.test_y, c.test_y) or not np.array_equal(a.test_x, c.test_x)


def test_columns_by_name_in_any_spelling_equal_columns_by_number(tmp_path):
    by_number = scenario_file(tmp_path, 'generator = "iris"\nfeatures = [2, 3]', "a")
    by_name = scenario_file(tmp_path, 'generator = "iris"\nfeatures = ["petal length (cm)", "Petal_Width"]', "b")
    assert by_number.dataset.features == by_name.dataset.features == (2, 3)
    p, q = by_number.points(), by_name.points()
    np.testing.assert_array_equal(p.train_x, q.train_x)
    assert p.feature_names == ("petal length (cm)", "petal width (cm)")
    assert p.features == 2


def test_all_columns_is_the_default_and_the_test_split_a_quarter(tmp_path):
    s = scenario_file(tmp_path, 'generator = "breast_cancer"')
    assert s.dataset.test_fraction == 0.25 and s.dataset.features == ()
    pts = s.points()
    assert pts.features == 30 and len(pts.test_x) == round(569 * 0.25)
    assert scenario_file(tmp_path, 'generator = "breast_cancer"\nfeatures = "all"', "b").dataset.features == ()


def test_a_bad_column_names_the_field_and_the_columns(tmp_path):
    with pytest.raises(ScenarioError) as err:
        scenario_file(tmp_path, 'generator = "iris"\nfeatures = ["petal lenght", 3]')
    assert err.value.field == "dataset.features[0]"
    assert "did you mean 'petal length'?" in err.value.message


def test_a_network_trains_on_every_column_of_a_real_set(tmp_path):
    s = scenario_file(tmp_path, 'generator = "wine"\n\n[defaults]\noptimizer = "adam"\nlr = 0.01\nsteps = 100')
    run = Run(s, resolve(s))
    assert run.model[0].in_features == 13 and run.model[-1].out_features == 3
    run.step(100)
    assert run.history.accuracy.last() >= 0.95
    assert run.history.test_accuracy.last() >= 0.85


def test_the_bundled_iris_trains_on_petals_and_scores_on_its_test_split():
    s = scenarios.load("iris")
    assert s.points().feature_names == ("petal length (cm)", "petal width (cm)")
    config = resolve(s)
    run = Run(s, config)
    run.step(config.steps)
    assert run.history.accuracy.last() >= 0.9
    assert run.history.test_accuracy.last() >= 0.9


def test_scikit_learn_is_imported_only_when_a_real_set_is_loaded():
    code = (
        "import sys\n"
        "from playground import scenarios\n"
        "for e in scenarios.list_entries(): scenarios.load_file(e.path)\n"
        "scenarios.load('moons').points()\n"
        "print('sklearn' in sys.modules)\n"
        "scenarios.load('iris').points()\n"
        "print('sklearn' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "True"]


def test_digits_with_adam_reaches_nine_in_ten_on_its_test_split_within_its_default_steps():
    s = scenarios.load("digits")
    config = resolve(s, optimizer="adam")
    assert config.steps == s.defaults.steps and config.batch_size == 32
    run = Run(s, config)
    run.step(config.steps)
    assert run.history.test_accuracy.last() >= 0.9
    assert run.model[0].in_features == 64 and run.model[0].out_features == 32 and run.model[-1].out_features == 10
