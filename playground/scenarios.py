"""Scenario files: finding them (bundled and user folders), reading and validating them.

A scenario is a TOML file; its name is the file's stem. Every problem is reported as a
ScenarioError naming the file and the field (`surface.formula`, `defaults.adam.lr`, ...).
"""

from __future__ import annotations

import math
import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground import limits
from playground.datasets import FIXED_CLASSES, GENERATORS, REAL_SETS, REAL_TEST_FRACTION, resolve_features
from playground.errors import ConfigError, FormulaError, PlaygroundError, ScenarioError, closest
from playground.fields import RUN
from playground.files import ReadRefused, read_regular
from playground.formatting import printable
from playground.formula import compile_formula
from playground.losses import DEFAULT_LOSS, get_loss
from playground.optimizers import OPTIMIZERS, all_hyper_names, get_optimizer
from playground.scenario import ACTIVATIONS, KINDS, Dataset, Defaults, Model, Scenario, Surface  # noqa: F401  (what a scenario is; read from here too)
from playground.schedules import parse_schedule


def bundled_dir() -> Path:
    """The bundled scenarios: in an installed wheel, beside this module; in a checkout (and an
    editable install), the project's top-level scenarios/ folder."""
    installed = Path(__file__).parent / "bundled_scenarios"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "scenarios"


BUNDLED_DIR = bundled_dir()
# ---------------------------------------------------------------- finding scenarios


@dataclass(frozen=True)
class Entry:
    name: str
    path: Path
    origin: str  # "bundled" or "user"


def user_dirs() -> list[Path]:
    """PLAYGROUND_SCENARIOS (a path list), then the platform's user config folder."""
    dirs = [Path(p).expanduser() for p in os.environ.get("PLAYGROUND_SCENARIOS", "").split(os.pathsep) if p]
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    dirs.append(base / "playground" / "scenarios")
    return dirs


def list_entries() -> list[Entry]:
    """Bundled scenarios, then user ones; a user file with a bundled name shadows it."""
    found: dict[str, Entry] = {}
    for path in sorted(BUNDLED_DIR.glob("*.toml")):
        found[path.stem] = Entry(path.stem, path, "bundled")
    for folder in user_dirs():
        try:
            paths = sorted(folder.glob("*.toml")) if folder.is_dir() else []
        except OSError:
            continue
        for path in paths:
            found[path.stem] = Entry(path.stem, path, "user")
    return list(found.values())


def resolve_path(ref: str) -> Path:
    """A scenario name or a path -> the file; ScenarioError if neither."""
    if not ref.strip():
        names = sorted(e.name for e in list_entries())
        raise ScenarioError(repr(ref), None, "an empty name is not a scenario (choose from " + ", ".join(names) + ")")
    looks_like_path = ref.endswith(".toml") or os.sep in ref or "/" in ref
    if looks_like_path or Path(ref).is_file():
        path = Path(ref)
        if not path.is_file():
            raise ScenarioError(ref, None, "no such file" if not path.exists() else "not a file")
        return path
    entries = {e.name: e for e in list_entries()}
    if ref in entries:
        return entries[ref].path
    raise ScenarioError(ref, None, f"no such scenario ({closest(ref, sorted(entries))})")


def load(ref: str) -> Scenario:
    """Load a scenario by bundled/user name or by path."""
    return load_file(resolve_path(ref))


def load_file(path: Path, source: str | None = None) -> Scenario:
    source = source or str(path)
    try:
        raw = read_regular(path, limits.FILE_BYTES)
    except ReadRefused as exc:
        said = "not a regular file" if exc.size is None else f"the file is {exc.size} bytes; a scenario is at most {limits.FILE_BYTES}"
        raise ScenarioError(source, None, said) from None
    except OSError as exc:
        raise ScenarioError(source, None, f"cannot read the file ({exc.strerror or exc.__class__.__name__})") from None
    return parse(raw, source=source, name=path.stem, base=path.parent)


def parse(raw: bytes | str, source: str, name: str, base: Path) -> Scenario:
    """Read a scenario from the bytes of a TOML file; ScenarioError naming the field if bad."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ScenarioError(source, None, f"not a UTF-8 text file (byte {exc.start + 1}); a scenario is UTF-8 TOML") from None
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some Windows editors write
    if "\x00" in text:
        raise ScenarioError(source, None, "not a text file (a scenario is UTF-8 TOML)")
    if not text.strip():
        raise ScenarioError(source, None, "the file is empty; a scenario needs a [scenario] table with name and kind")
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, None, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(source, None, "not valid TOML: nested too deeply") from None
    except ValueError as exc:  # Python refuses to read an integer of more than 4300 digits
        raise ScenarioError(source, None, f"not valid TOML: {str(exc).split(':')[0].lower()}") from None
    _check_integers(doc, source)
    return Reader(source, base).scenario(doc, name)


def _check_integers(doc: dict[str, Any], source: str) -> None:
    """TOML integers are 64-bit; tomllib reads any size, and a 400-digit one would overflow
    wherever it is turned into a float. Refuse it here, naming its place. No recursion: a
    document may nest arrays hundreds deep."""
    limit = 2**63
    stack: list[tuple[str, Any]] = [(_key(k), v) for k, v in doc.items()]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack += [(f"{where}.{_key(k)}", v) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(f"{where}[{i}]", v) for i, v in enumerate(value)]
        elif isinstance(value, int) and not -limit <= value < limit:
            raise ScenarioError(source, where, f"{_short(value)} is outside TOML's integer range (64 bits)")


# ---------------------------------------------------------------- validation


class Reader:
    def __init__(self, source: str, base: Path) -> None:
        self.source = source
        self.base = base

    def fail(self, where: str, message: str) -> ScenarioError:
        return ScenarioError(self.source, where, message)

    def table(self, doc: dict[str, Any], key: str, allowed: tuple[str, ...], required: bool = False) -> dict[str, Any]:
        value = doc.get(key)
        if value is None:
            if required:
                raise self.fail(key, f"missing table [{key}]")
            return {}
        if not isinstance(value, dict):
            raise self.fail(key, f"must be a table [{key}], not {_a(_type(value))}")
        for k in value:
            if k not in allowed:
                raise self.fail(f"{key}.{_key(k)}", f"unknown key ({closest(k, list(allowed))})")
        return value

    def get(self, t: dict[str, Any], where: str, key: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False) -> Any:
        if key not in t:
            if required:
                raise self.fail(f"{where}.{key}", "missing (required)")
            return default
        value = t[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            want = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            raise self.fail(f"{where}.{key}", f"must be {want}, not {_type(value)} {_short(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(f"{where}.{key}", f"must be a finite number, not {value}")
        return value

    def text(self, t: dict[str, Any], where: str, key: str, default: str = "", required: bool = False) -> str:
        """Words a person reads (a name, a description, a lesson's lines): a string whose control
        characters (a terminal's escapes, a bell) are shown as escapes, so shared files cannot
        reach the terminal they are shown in (formatting.printable)."""
        return printable(self.get(t, where, key, str, default, required))

    def number(self, t: dict[str, Any], where: str, key: str, default: float, limit: limits.Number) -> float:
        value = float(self.get(t, where, key, (int, float), default))
        try:
            return limit.check(value)
        except limits.LimitError as exc:
            raise self.fail(f"{where}.{key}", str(exc)) from None

    def integer(self, t: dict[str, Any], where: str, key: str, default: int, limit: limits.Whole) -> int:
        try:
            return limit.check(self.get(t, where, key, int, default))
        except limits.LimitError as exc:
            raise self.fail(f"{where}.{key}", str(exc)) from None

    def pair(self, t: dict[str, Any], where: str, key: str, required: bool = True, default: Any = None) -> tuple[float, float] | None:
        value = self.get(t, where, key, list, default, required=required)
        if value is None:
            return None
        return self.point(value, f"{where}.{key}")

    def point(self, value: Any, where: str) -> tuple[float, float]:
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(where, f"must be a pair of numbers such as [-1.5, 2.0], not {_short(value)}")
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise self.fail(where, f"must be a pair of numbers, not {_short(value)}")
            if not math.isfinite(v):
                raise self.fail(where, f"must hold finite numbers, not {v}")
            out.append(float(v))
        return out[0], out[1]

    def span(self, t: dict[str, Any], where: str, key: str) -> tuple[float, float]:
        lo, hi = self.pair(t, where, key)  # type: ignore[misc]
        if not lo < hi:
            raise self.fail(f"{where}.{key}", f"the range [{lo:g}, {hi:g}] is empty or reversed: the first number must be smaller")
        return lo, hi

    # -- the document

    def scenario(self, doc: dict[str, Any], name: str) -> Scenario:
        tables = ["scenario", "surface", "dataset", "model", "defaults", "lesson", "race"]  # a lesson: playground.lessons reads it
        for k in doc:
            if k not in tables:
                what = "table" if isinstance(doc[k], dict) else "key outside any table"
                raise self.fail(_key(k), f"unknown {what} ({closest(k, tables)})")
        head = self.table(doc, "scenario", ("name", "kind", "description"), required=True)
        title = self.text(head, "scenario", "name", required=True)
        if not title.strip():
            raise self.fail("scenario.name", "must not be empty")
        kind = self.get(head, "scenario", "kind", str, required=True)
        if kind not in KINDS:
            raise self.fail("scenario.kind", f"unknown kind {_short(kind)} ({closest(kind, list(KINDS))})")
        description = self.text(head, "scenario", "description")
        surface = dataset = model = None
        if kind == "surface":
            for other in ("dataset", "model"):
                if other in doc:
                    raise self.fail(other, f"a surface scenario has no [{other}] table")
            surface = self.surface(doc)
        else:
            if "surface" in doc:
                raise self.fail("surface", f"a {kind} scenario has no [surface] table")
            dataset = self.dataset(doc, kind)
            model = self.model(doc)
        defaults = self.defaults(doc, kind)
        warnings = []
        if surface is not None:
            (x0, x1), (y0, y1), (sx, sy) = surface.x, surface.y, surface.start
            if not (x0 <= sx <= x1 and y0 <= sy <= y1):
                warnings.append(f"{self.source}: surface.start: ({sx:g}, {sy:g}) lies outside the plotted domain x [{x0:g}, {x1:g}], y [{y0:g}, {y1:g}]")
        lesson = doc.get("lesson")
        if lesson is not None and not isinstance(lesson, dict):
            raise self.fail("lesson", f"must be a table [lesson], not {_a(_type(lesson))}")
        scenario = Scenario(
            name, title.strip(), kind, description.strip(), self.source, defaults, surface, dataset, model, tuple(warnings), lesson
        )
        if "race" in doc:
            scenario = self.race(doc, scenario)
        if dataset is not None and dataset.generator == "csv":
            scenario.points()  # read the file now, so a bad CSV is reported at load time
        return scenario

    def surface(self, doc: dict[str, Any]) -> Surface:
        t = self.table(doc, "surface", ("formula", "x", "y", "start", "minima", "levels"), required=True)
        text = self.get(t, "surface", "formula", str, required=True)
        try:
            formula = compile_formula(text)
        except FormulaError as exc:
            raise self.fail("surface.formula", str(exc)) from None
        x = self.span(t, "surface", "x")
        y = self.span(t, "surface", "y")
        start = self.pair(t, "surface", "start")
        assert start is not None
        minima_raw = self.get(t, "surface", "minima", list, [])
        minima = tuple(self.point(m, f"surface.minima[{i}]") for i, m in enumerate(minima_raw))
        levels = self.get(t, "surface", "levels", str, "auto")
        if levels not in ("auto", "linear", "log"):
            raise self.fail("surface.levels", f"unknown {_short(levels)} (choose from auto, linear, log)")
        surface = Surface(formula, x, y, start, minima, levels)
        value = surface.value(*start)
        if not math.isfinite(value):
            raise self.fail("surface.formula", f"is not finite at the start point ({start[0]:g}, {start[1]:g}): {value}")
        return surface

    def dataset(self, doc: dict[str, Any], kind: str) -> Dataset:
        keys = ("generator", "samples", "noise", "classes", "test_fraction", "seed", "path", "features")
        t = self.table(doc, "dataset", keys, required=True)
        gen = self.get(t, "dataset", "generator", str, required=True)
        if gen not in GENERATORS:
            raise self.fail("dataset.generator", f"unknown generator {_short(gen)} ({closest(gen, list(GENERATORS))})")
        makes = GENERATORS[gen][1]
        if makes not in ("any", kind):
            raise self.fail("dataset.generator", f"{gen!r} makes a {makes} set, but scenario.kind is {kind!r}")
        if gen in REAL_SETS:
            return self.real_set(t, gen)
        if "features" in t:
            raise self.fail("dataset.features", f"only a real set (iris, wine, breast_cancer, digits) has columns to choose; {gen} makes x and y")
        samples = self.integer(t, "dataset", "samples", 200, limits.SAMPLES)
        noise = self.number(t, "dataset", "noise", 0.1, limits.NOISE)
        default_classes = GENERATORS[gen][2]
        classes = self.integer(t, "dataset", "classes", default_classes, limits.CLASSES) if kind == "classification" else 0
        if gen in FIXED_CLASSES and classes != 2:
            raise self.fail("dataset.classes", f"{gen} makes exactly 2 classes, not {classes}")
        test_fraction = self.number(t, "dataset", "test_fraction", 0.0, limits.TEST_FRACTION)
        seed = self.integer(t, "dataset", "seed", 0, limits.SEED)
        path = None
        if gen == "csv":
            rel = self.get(t, "dataset", "path", str, required=True)
            if "\0" in rel:  # no file can be named so (os.stat raises ValueError on it)
                raise self.fail("dataset.path", "contains a NUL character; give a file's path")
            if not rel.strip():
                raise self.fail("dataset.path", "is empty; give a CSV file's path")
            path = (self.base / rel) if not Path(rel).is_absolute() else Path(rel)
        elif "path" in t:
            raise self.fail("dataset.path", f"only the csv generator reads a file; {gen} generates its points")
        if samples * (1 - test_fraction) < 1:
            raise self.fail("dataset.test_fraction", "leaves no training points")
        return Dataset(gen, samples, noise, classes, test_fraction, seed, path)

    def real_set(self, t: dict[str, Any], gen: str) -> Dataset:
        """scikit-learn's copy of a real set: it has its own points, so only the split, its seed and
        the columns are chosen."""
        shape = REAL_SETS[gen]
        for key, what in (("samples", f"its own {shape.rows} samples"), ("noise", "no noise added"), ("classes", f"its own {shape.classes} classes"), ("path", "no file")):
            if key in t:
                raise self.fail(f"dataset.{key}", f"{gen} is scikit-learn's real set, with {what}; leave {key} out")
        test_fraction = self.number(t, "dataset", "test_fraction", REAL_TEST_FRACTION, limits.TEST_FRACTION)
        seed = self.integer(t, "dataset", "seed", 0, limits.SEED)
        wanted = t.get("features", "all")
        if wanted == "all":
            features: tuple[int, ...] = ()
        else:
            if not isinstance(wanted, list) or len(wanted) < 2 or any(isinstance(w, bool) or not isinstance(w, int | str) for w in wanted):
                raise self.fail("dataset.features", f'must be "all" or a list of two or more columns, by number or name (e.g. [2, 3]), not {_short(wanted)}')
            features = resolve_features(gen, wanted, self.source)
        return Dataset(gen, shape.rows, 0.0, shape.classes, test_fraction, seed, None, features)

    def model(self, doc: dict[str, Any]) -> Model:
        t = self.table(doc, "model", ("hidden", "activation"))
        hidden = self.get(t, "model", "hidden", list, [16, 16])
        if len(hidden) > limits.LAYERS:
            raise self.fail("model.hidden", f"{len(hidden)} layers; at most {limits.LAYERS} are allowed")
        for i, width in enumerate(hidden):
            if isinstance(width, bool) or not isinstance(width, int) or not limits.WIDTH.low <= width <= limits.WIDTH.high:
                raise self.fail(f"model.hidden[{i}]", f"must be a layer width from {limits.WIDTH.low} to {limits.WIDTH.high}, not {_short(width)}")
        activation = self.get(t, "model", "activation", str, "tanh")
        if activation not in ACTIVATIONS:
            raise self.fail("model.activation", f"unknown activation {_short(activation)} ({closest(activation, list(ACTIVATIONS))})")
        return Model(tuple(hidden), activation)

    def defaults(self, doc: dict[str, Any], kind: str) -> Defaults:
        hyper_names = all_hyper_names()
        fixed = ("optimizer", "loss", "steps", "batch_size", "seed", "grad_tolerance", "schedule", "clip", "tolerance")
        allowed = (*fixed, *sorted(hyper_names), *OPTIMIZERS)
        t = self.table(doc, "defaults", allowed)
        optimizer = self.get(t, "defaults", "optimizer", str, "sgd")
        try:
            optimizer = get_optimizer(optimizer).name
        except ConfigError as exc:
            raise self.fail("defaults.optimizer", _shorten_in(exc.message, optimizer)) from None
        loss = self.get(t, "defaults", "loss", str, None)
        if kind == "surface":
            if loss is not None:
                raise self.fail("defaults.loss", "a surface is its own loss; remove this key")
        else:
            loss = loss or DEFAULT_LOSS[kind]
            try:
                loss = get_loss(kind, loss).name
            except ConfigError as exc:
                raise self.fail("defaults.loss", _shorten_in(exc.message, loss)) from None
        steps = self.integer(t, "defaults", "steps", 500, RUN["steps"].limit)
        batch_size = self.integer(t, "defaults", "batch_size", 0, RUN["batch_size"].limit)
        if batch_size and kind == "surface":
            raise self.fail("defaults.batch_size", "a surface has no data to batch")
        seed = self.integer(t, "defaults", "seed", 0, RUN["seed"].limit)
        tol = self.number(t, "defaults", "grad_tolerance", 1e-6 if kind == "surface" else 1e-4, limits.GRAD_TOLERANCE)
        hyper: dict[str, Any] = {}
        for k in hyper_names & t.keys():
            hyper[k] = self.hyper_value(k, t[k], f"defaults.{k}", None)
        per: dict[str, dict[str, Any]] = {}
        for opt_name in set(OPTIMIZERS) & t.keys():
            sub = t[opt_name]
            if not isinstance(sub, dict):
                raise self.fail(f"defaults.{opt_name}", f"must be a table [defaults.{opt_name}], not {_a(_type(sub))}")
            spec = OPTIMIZERS[opt_name]
            per[opt_name] = {}
            for k, v in sub.items():
                if k not in spec.names():
                    raise self.fail(f"defaults.{opt_name}.{_key(k)}", f"{opt_name} has no such hyperparameter ({closest(k, spec.names())})")
                per[opt_name][k] = self.hyper_value(k, v, f"defaults.{opt_name}.{k}", opt_name)
        schedule_text = self.get(t, "defaults", "schedule", str, "constant")
        try:
            schedule, schedule_params = parse_schedule(schedule_text)
        except ConfigError as exc:
            raise self.fail("defaults.schedule", exc.message if exc.field == "schedule" else str(exc)) from None
        clip = self.number(t, "defaults", "clip", 0.0, RUN["clip"].limit)
        tolerance = self.number(t, "defaults", "tolerance", 0.0, limits.TOLERANCE) if "tolerance" in t else None
        d = Defaults(optimizer, loss, steps, batch_size, seed, tol, hyper, per, schedule, schedule_params, clip, tolerance)
        sgd = {**{k: v for k, v in hyper.items() if k in OPTIMIZERS["sgd"].names()}, **per.get("sgd", {})}
        if sgd.get("nesterov") and sgd.get("momentum", 0.0) <= 0:
            where = "defaults.sgd.nesterov" if "nesterov" in per.get("sgd", {}) else "defaults.nesterov"
            raise self.fail(where, "Nesterov needs momentum > 0: set momentum, or nesterov = false")
        # the defaults must make a valid run for the default optimizer
        from playground.settings import resolve

        try:
            resolve(Scenario("", "", kind, "", self.source, d), optimizer=optimizer)
        except ConfigError as exc:
            raise self.fail(f"defaults.{exc.field}", exc.message) from None
        return d

    def race(self, doc: dict[str, Any], scenario: Scenario) -> Scenario:
        """[race]: lanes = ["sgd lr=0.001", "adam lr=0.05"] (each as compare --run takes it),
        selected = 1: the race the app opens (ctrl+s in a race writes it)."""
        from dataclasses import replace

        from playground.settings import parse_run

        t = self.table(doc, "race", ("lanes", "selected"), required=True)
        lanes = self.get(t, "race", "lanes", list, required=True)
        if not 2 <= len(lanes) <= limits.LANES:
            raise self.fail("race.lanes", f"a race has 2 to {limits.LANES} lanes, not {len(lanes)}")
        for k, text in enumerate(lanes, start=1):
            if not isinstance(text, str):
                raise self.fail(f"race.lanes[{k}]", f"must be a run's text such as 'sgd lr=0.1', not {_type(text)}")
            try:
                parse_run(scenario, text)
            except ConfigError as exc:
                raise self.fail(f"race.lanes[{k}]", f"{exc.field}: {exc.message}") from None
        selected = self.get(t, "race", "selected", int, 1)
        if not 1 <= selected <= len(lanes):
            raise self.fail("race.selected", f"must be a lane's number, 1 to {len(lanes)}, not {selected}")
        return replace(scenario, lanes=tuple(lanes), selected=selected)

    def hyper_value(self, key: str, value: Any, where: str, optimizer: str | None) -> Any:
        specs = [OPTIMIZERS[optimizer].hyper_named(key)] if optimizer else [h for s in OPTIMIZERS.values() for h in s.hyper if h.name == key]
        errors = []
        for h in specs:
            try:
                return h.check(value)
            except ValueError as exc:
                errors.append(str(exc))
        raise self.fail(where, _shorten_in(errors[0], value))


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", list: "an array", bool: "true or false", dict: "a table"}


def _type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "table"}.get(type(value), type(value).__name__)


def _key(name: str) -> str:
    """A key as TOML would write it in a dotted name: bare if it can be, else quoted."""
    import re

    if len(name) > 40:
        name = name[:37] + "..."
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _shorten_in(message: str, value: Any) -> str:
    """A registry's message quotes the value in full; a file may hold a value pages long."""
    return message.replace(repr(value), _short(value)) if len(repr(value)) > 40 else message


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _short(value: Any) -> str:
    text = str(value).lower() if isinstance(value, bool) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_files(paths: list[str]) -> list[tuple[str, Scenario | None, PlaygroundError | None]]:
    """Validate each file; (path, the scenario or None, the error or None) per file."""
    out: list[tuple[str, Scenario | None, PlaygroundError | None]] = []
    for p in paths:
        try:
            out.append((p, load(p), None))
        except PlaygroundError as exc:
            out.append((p, None, exc))
    return out
