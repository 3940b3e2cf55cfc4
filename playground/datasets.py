"""The datasets: small 2D classification sets and a 1D regression set made with numpy, a CSV
file's points, and scikit-learn's bundled real sets (iris, wine, breast_cancer, digits).

Every generator is deterministic in its seed. Classification points lie roughly in [-1.5, 1.5]^2
so one model size and learning rate suit them all; a real set is standardised instead (each
column to mean 0 and standard deviation 1 on its training split). Nothing here imports torch, and
scikit-learn is imported only when a real set is loaded (with scipy it weighs about 164 MB and
half a second).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playground import limits
from playground.errors import ScenarioError, closest
from playground.files import ReadRefused, read_regular


@dataclass(frozen=True)
class Points:
    """A dataset split into train and test. Classification: inputs (n, 2), labels (n,) ints.
    Regression: inputs (n, 1), targets (n,) floats."""

    kind: str
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    classes: int  # 0 for regression
    feature_names: tuple[str, ...] = ("x", "y")  # the input columns, in order
    class_names: tuple[str, ...] = ()  # a real set's names for its classes (empty: the numbers)

    @property
    def features(self) -> int:
        return int(self.train_x.shape[1])

    def bounds(self, margin: float = 0.15) -> tuple[tuple[float, float], tuple[float, float]]:
        """The plotting domain: all points plus a margin. For regression, (x range, target range)."""
        xs = np.concatenate([self.train_x, self.test_x])
        if self.kind == "regression":
            cols = [xs[:, 0], np.concatenate([self.train_y, self.test_y])]
        else:
            cols = [xs[:, 0], xs[:, 1]]
        out = []
        for c in cols:
            lo, hi = float(np.min(c)), float(np.max(c))
            pad = max(hi - lo, 1e-6) * margin
            out.append((lo - pad, hi + pad))
        return out[0], out[1]


def _moons(n: int, noise: float, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, math.pi, n_out)
    t_in = np.linspace(0, math.pi, n_in)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1), np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    x = x - np.array([0.5, 0.25])
    y = np.concatenate([np.zeros(n_out, int), np.ones(n_in, int)])
    return x + rng.normal(0, noise, x.shape), y


def _circles(n: int, noise: float, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_out = n // 2
    t = rng.uniform(0, 2 * math.pi, n)
    r = np.where(np.arange(n) < n_out, 1.0, 0.5)
    x = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    y = (np.arange(n) >= n_out).astype(int)
    return x + rng.normal(0, noise, x.shape), y


def _xor(n: int, noise: float, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    u = rng.uniform(-1, 1, (n, 2))
    x = np.sign(u) * (0.1 + 0.9 * np.abs(u))  # a small gap along the axes
    y = (x[:, 0] * x[:, 1] > 0).astype(int)
    return x + rng.normal(0, noise, x.shape), y


def _spiral(n: int, noise: float, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    per = [n // classes + (1 if c < n % classes else 0) for c in range(classes)]
    xs, ys = [], []
    for c, m in enumerate(per):
        r = np.linspace(0.05, 1.0, m)
        theta = 1.75 * 2 * math.pi * r + 2 * math.pi * c / classes
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], 1))
        ys.append(np.full(m, c))
    x = np.concatenate(xs) * 1.3
    return x + rng.normal(0, noise, x.shape), np.concatenate(ys)


def _blob_centres(classes: int) -> np.ndarray:
    if classes == 2:
        return np.array([[-0.7, -0.7], [0.7, 0.7]])
    angles = 2 * math.pi * np.arange(classes) / classes + math.pi / 2
    return np.stack([np.cos(angles), np.sin(angles)], 1)


def _gaussian(n: int, noise: float, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(n) % classes
    centres = _blob_centres(classes)
    return centres[y] + rng.normal(0, max(noise, 0.0), (n, 2)), y


def _sine(n: int, noise: float, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(rng.uniform(-math.pi, math.pi, n))
    y = np.sin(x) + rng.normal(0, noise, n)
    return x[:, None], y


Generator = Callable[[int, float, int, np.random.Generator], tuple[np.ndarray, np.ndarray]]

# name -> (generator, kind it makes, default number of classes)
GENERATORS: dict[str, tuple[Generator | None, str, int]] = {
    "moons": (_moons, "classification", 2),
    "circles": (_circles, "classification", 2),
    "xor": (_xor, "classification", 2),
    "spiral": (_spiral, "classification", 2),
    "gaussian": (_gaussian, "classification", 2),
    "blobs": (_gaussian, "classification", 3),
    "sine": (_sine, "regression", 0),
    "csv": (None, "any", 2),
}
FIXED_CLASSES = {"moons", "circles", "xor"}  # these make exactly two classes


@dataclass(frozen=True)
class RealSet:
    """One of scikit-learn's bundled sets: its shape, checked against the copy loaded."""

    rows: int
    features: int
    classes: int


# scikit-learn's bundled copies (they ship inside the package: nothing is downloaded)
REAL_SETS = {
    "iris": RealSet(150, 4, 3),
    "wine": RealSet(178, 13, 3),
    "breast_cancer": RealSet(569, 30, 2),
    "digits": RealSet(1797, 64, 10),
}
for _name, _set in REAL_SETS.items():
    GENERATORS[_name] = (None, "classification", _set.classes)
REAL_TEST_FRACTION = 0.25  # a real set's default test split


def _load_real(name: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """(inputs, labels, feature names, class names) of a bundled set, as scikit-learn gives them."""
    from sklearn import datasets as sk  # only now: scikit-learn is heavy

    bunch = getattr(sk, f"load_{name}")()
    return (np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64),
            tuple(str(f) for f in bunch.feature_names), tuple(str(c) for c in bunch.target_names))


def feature_names(name: str) -> tuple[str, ...]:
    """A real set's column names (loads scikit-learn)."""
    return _load_real(name)[2]


def _plain(name: str) -> str:
    """A column's name as people type it: 'petal length (cm)', 'petal_length' and 'Petal Length' agree."""
    return " ".join(name.split("(")[0].replace("_", " ").lower().split())


def resolve_features(name: str, wanted: list[int | str], source: str, field: str = "dataset.features") -> tuple[int, ...]:
    """Column indices for `wanted` (indices or names) of real set `name`; ScenarioError naming the
    field for an unknown name, an index out of range or a column given twice."""
    count = REAL_SETS[name].features
    names = feature_names(name) if any(isinstance(w, str) for w in wanted) else ()
    plain = [_plain(n) for n in names]
    out: list[int] = []
    for i, w in enumerate(wanted):
        if isinstance(w, str):
            if _plain(w) not in plain:
                hint = closest(_plain(w), plain)
                if not hint.startswith("did you mean"):
                    hint = "its columns: " + ", ".join(repr(n) for n in names[:6]) + (f", ... ({len(names)} in all)" if len(names) > 6 else "")
                raise ScenarioError(source, f"{field}[{i}]", f"{name} has no column {w!r} ({hint})")
            index = plain.index(_plain(w))
        else:
            if not 0 <= w < count:
                raise ScenarioError(source, f"{field}[{i}]", f"{name} has {count} columns, numbered 0 to {count - 1}, not {w}")
            index = w
        if index in out:
            raise ScenarioError(source, f"{field}[{i}]", f"column {index} is given twice")
        out.append(index)
    return tuple(out)


def make_points(
    kind: str,
    generator: str,
    samples: int,
    noise: float,
    classes: int,
    test_fraction: float,
    seed: int,
    path: Path | None = None,
    source: str = "",
    features: tuple[int, ...] = (),
) -> Points:
    """Generate (or read) the points and split them; ScenarioError for a bad CSV file. A real set
    keeps the columns `features` (all of them when empty), standardised on its training split."""
    rng = np.random.default_rng(seed)
    if generator in REAL_SETS:
        return _real_points(generator, features, test_fraction, rng)
    if generator == "csv":
        assert path is not None
        x, y = read_csv(path, kind, source)
        if kind == "classification":
            classes = int(y.max()) + 1
    else:
        make = GENERATORS[generator][0]
        assert make is not None
        x, y = make(samples, noise, classes, rng)
    test, train = _split(len(x), test_fraction, rng)
    dtype = np.int64 if kind == "classification" else np.float32
    return Points(
        kind=kind,
        train_x=x[train].astype(np.float32),
        train_y=y[train].astype(dtype),
        test_x=x[test].astype(np.float32),
        test_y=y[test].astype(dtype),
        classes=classes if kind == "classification" else 0,
    )


def _split(n: int, test_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(test indices, train indices): a random `test_fraction` of the n points for testing."""
    order = rng.permutation(n)
    n_test = min(int(round(n * test_fraction)), n - 1)
    return order[:n_test], order[n_test:]


def _real_points(name: str, features: tuple[int, ...], test_fraction: float, rng: np.random.Generator) -> Points:
    x, y, names, class_names = _load_real(name)
    shape = REAL_SETS[name]
    assert x.shape == (shape.rows, shape.features) and int(y.max()) + 1 == shape.classes, f"scikit-learn's {name} changed: {x.shape}"
    columns = list(features) if features else list(range(x.shape[1]))
    x = x[:, columns]
    test, train = _split(len(x), test_fraction, rng)
    mean = x[train].mean(0)
    std = x[train].std(0)
    std[std == 0] = 1.0  # a constant column (digits' corner pixels) stays 0
    x = (x - mean) / std
    return Points(
        kind="classification",
        train_x=x[train].astype(np.float32),
        train_y=y[train],
        test_x=x[test].astype(np.float32),
        test_y=y[test],
        classes=shape.classes,
        feature_names=tuple(names[c] for c in columns),
        class_names=class_names,
    )


FLOAT32_MAX = float(np.finfo(np.float32).max)


def read_csv(path: Path, kind: str, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Columns x, y, label (classification) or x, y (regression: y is the target)."""
    field = "dataset.path"
    try:
        raw = read_regular(path, limits.CSV_BYTES)
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except ReadRefused as exc:
        raise ScenarioError(source, field, f"CSV file {str(path)!r} {exc}") from None
    except FileNotFoundError:
        raise ScenarioError(source, field, f"CSV file {str(path)!r} does not exist") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(source, field, f"{path.name}: not a text file (byte {exc.start + 1} is not UTF-8)") from None
    except OSError as exc:
        raise ScenarioError(source, field, f"CSV file {str(path)!r} cannot be read ({exc.strerror or exc.__class__.__name__})") from None
    lines = text.splitlines()
    try:
        # (line number, cells); blank lines are skipped but keep the numbering people see
        numbered = [(i, row) for i, row in enumerate(csv.reader(lines), start=1) if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise ScenarioError(source, field, f"{path.name}: not a valid CSV file ({exc})") from None
    rows = [row for _, row in numbered]
    if not rows:
        raise ScenarioError(source, field, f"{path.name}: the file is empty; it needs a header row x,y,label")
    header = [h.strip().lower() for h in rows[0]]
    need = ["x", "y", "label"] if kind == "classification" else ["x", "y"]
    missing = [c for c in need if c not in header]
    if missing:
        raise ScenarioError(source, field, f"{path.name}: row {numbered[0][0]}: the header lacks column(s) {', '.join(missing)} (it needs {','.join(need)})")
    cols = [header.index(c) for c in need]
    line_of = [i for i, _ in numbered[1:]]
    data = rows[1:]
    if not data:
        raise ScenarioError(source, field, f"{path.name}: no data rows after the header")
    if len(data) > limits.SAMPLES.high:
        raise ScenarioError(source, field, f"{path.name}: {len(data)} rows; at most {limits.SAMPLES.high} are allowed")
    values = np.zeros((len(data), len(need)))
    for k, row in enumerate(data):
        r = line_of[k]
        for j, (c, name) in enumerate(zip(cols, need)):
            if c >= len(row) or not row[c].strip():
                raise ScenarioError(source, field, f"{path.name}: row {r}, column {name}: missing value")
            cell = row[c].strip()
            try:
                v = float(cell)
            except ValueError:
                raise ScenarioError(source, field, f"{path.name}: row {r}, column {name}: {_shown(cell)} is not a number") from None
            if not math.isfinite(v):
                raise ScenarioError(source, field, f"{path.name}: row {r}, column {name}: {_shown(cell)} is not a finite number")
            if abs(v) > FLOAT32_MAX:  # finite here, infinite once the model reads it in float32
                raise ScenarioError(source, field, f"{path.name}: row {r}, column {name}: {_shown(cell)} is beyond float32, which the model trains in (at most {FLOAT32_MAX:.4g} in size)")
            if name == "label" and (v != int(v) or not 0 <= v < limits.CLASSES.high):
                raise ScenarioError(source, field, f"{path.name}: row {r}, column label: {_shown(cell)} is not a class number 0..{limits.CLASSES.high - 1}")
            values[k, j] = v
    if kind == "classification":
        labels = values[:, 2].astype(int)
        if len(set(labels.tolist())) < 2:
            raise ScenarioError(source, field, f"{path.name}: column label: all points have the same class; at least two are needed")
        return values[:, :2], labels
    return values[:, :1], values[:, 1]


def _shown(cell: str) -> str:
    text = repr(cell)
    return text if len(text) <= 40 else text[:37] + "..."
