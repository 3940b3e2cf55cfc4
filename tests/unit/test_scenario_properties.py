"""Property tests for the scenario loader: whatever a file holds, the loader gives a Scenario or
a ScenarioError whose message is one line naming the file, never another exception, and quickly.

The documents are built three ways: any text (and any bytes), any TOML document, and mutations
of the bundled scenarios (keys dropped or renamed, values swapped for other types, huge numbers,
NaN, nested junk, hostile formulas), which reach far deeper into the validation than random text.
"""

from __future__ import annotations

import copy
import math
import time
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playground import scenarios
from playground.errors import ScenarioError, one_line
from playground.scenarios import Scenario

SOURCE = "fuzzed/scenario.toml"
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
TIME_LIMIT = 2.0  # seconds for one document, however hostile; generous for a slow, busy machine

BUNDLED = {p.stem: tomllib.loads(p.read_text()) for p in sorted(scenarios.BUNDLED_DIR.glob("*.toml"))}
CSV_SCENARIO = {
    "scenario": {"name": "From a file", "kind": "classification"},
    "dataset": {"generator": "csv", "path": "points.csv", "test_fraction": 0.25},
    "model": {"hidden": [4], "activation": "relu"},
}
VALID = [*BUNDLED.values(), CSV_SCENARIO]


# ---------------------------------------------------------------- writing TOML (tomllib only reads)


def _string(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_string(k)} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(doc: dict) -> str:
    """Plain keys first, then each table as [name] with its sub-tables inline."""
    lines = [f"{_string(k)} = {_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(f"[{_string(k)}]")
            lines += [f"{_string(sk)} = {_value(sv)}" for sk, sv in v.items()]
    return "\n".join(lines) + "\n"


def test_the_toml_writer_round_trips_the_bundled_scenarios():
    for doc in VALID:
        assert tomllib.loads(to_toml(doc)) == doc


# ---------------------------------------------------------------- the property


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "points.csv").write_text("x,y,label\n0,0,0\n1,1,1\n0.5,0.2,0\n0.1,0.9,1\n")
    return tmp_path


def load_or_refuse(raw: bytes | str, base: Path) -> Scenario | None:
    """Parse; the only acceptable outcomes are a Scenario or a one-line ScenarioError."""
    t0 = time.perf_counter()
    try:
        scenario = scenarios.parse(raw, source=SOURCE, name="scenario", base=base)
    except ScenarioError as exc:
        text = str(exc)
        assert text.startswith(SOURCE + ": "), text
        assert len(text.splitlines()) == 1 and "\n" not in text and "\r" not in text, repr(text)
        assert len(text) < 1000, text
        scenario = None
    else:
        assert scenario.kind in scenarios.KINDS
        assert all("\n" not in w and w.startswith(SOURCE) for w in scenario.warnings)
        if scenario.surface is not None:
            assert math.isfinite(scenario.surface.value(*scenario.surface.start))
    assert time.perf_counter() - t0 < TIME_LIMIT
    return scenario


@SETTINGS
@given(st.text(max_size=400))
def test_any_text_gives_a_scenario_or_a_one_line_error(folder, text):
    load_or_refuse(text, folder)


@SETTINGS
@given(st.binary(max_size=400))
def test_any_bytes_give_a_scenario_or_a_one_line_error(folder, raw):
    load_or_refuse(raw, folder)


# any TOML document: keys from the format (so the loader gets past its first checks) and junk
NAMES = st.sampled_from(
    [
        "scenario", "surface", "dataset", "model", "defaults", "name", "kind", "description", "formula", "x", "y",
        "start", "minima", "levels", "generator", "samples", "noise", "classes", "test_fraction", "seed", "path",
        "hidden", "activation", "optimizer", "lr", "momentum", "nesterov", "loss", "steps", "batch_size",
        "grad_tolerance", "adam", "sgd", "lbfgs", "betas", "eps", "max_iter", "line_search_fn", "surfce", "",
    ]
) | st.text(max_size=8)
HUGE = st.sampled_from([10**18, 2**63, -(2**63), 10**400, -(10**400), 1e308, -1e308, 5e-324, 0, -1, 1])
SCALARS = (
    st.booleans()
    | st.integers()
    | HUGE
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["surface", "classification", "regression", "moons", "csv", "sgd", "adam", "lbfgs", "tanh", "x**2 + y**2", "none", "log"])
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(NAMES, inner, max_size=4), max_leaves=12)
DOCUMENTS = st.dictionaries(NAMES, VALUES, max_size=6)


@SETTINGS
@given(DOCUMENTS)
def test_any_toml_document_gives_a_scenario_or_a_one_line_error(folder, doc):
    load_or_refuse(to_toml(doc), folder)


# ---------------------------------------------------------------- mutations of valid scenarios

HOSTILE_FORMULAS = [
    "__import__('os').system('echo owned')",
    "x.__class__.__bases__[0].__subclasses__()",
    "(lambda: x)()",
    "10**10**10",
    "x**10**10**10",
    "exp(exp(x))",
    "exp(exp(exp(x)))",
    "sqrt(x**2 + y**2)",
    "abs(x) + abs(y)",
    "log(x)",
    "1/x",
    "x" + "+x" * 499,
    "(" * 100 + "x" + ")" * 100,
    "sin(" * 70 + "x" + ")" * 70,
    "x" * 1001,
    "",
]
JUNK = st.one_of(
    SCALARS,
    HUGE,
    st.just(float("nan")),
    st.just(float("inf")),
    st.sampled_from(HOSTILE_FORMULAS),
    st.lists(SCALARS, max_size=4),
    st.lists(st.lists(SCALARS, max_size=3), max_size=3),
    st.dictionaries(NAMES, SCALARS, max_size=3),
    st.just([512] * 8),
    st.just([10**9]),
    st.just([[[[[[[1]]]]]]]),
)


def _paths(doc: dict, prefix=()) -> list[tuple]:
    out = []
    for k, v in doc.items():
        out.append((*prefix, k))
        if isinstance(v, dict):
            out += _paths(v, (*prefix, k))
    return out


@st.composite
def mutated(draw) -> dict:
    doc = copy.deepcopy(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        key = path[-1]
        action = draw(st.sampled_from(["drop", "replace", "replace", "replace", "rename", "add", "nest"]))
        if action == "drop":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(JUNK)
        elif action == "rename":
            parent[draw(NAMES)] = parent.pop(key)
        elif action == "add":
            parent[draw(NAMES)] = draw(JUNK)
        else:
            parent[key] = {draw(NAMES): parent[key]}
    return doc


@SETTINGS
@given(mutated())
def test_mutated_valid_scenarios_give_a_scenario_or_a_one_line_error(folder, doc):
    load_or_refuse(to_toml(doc), folder)


@settings(SETTINGS, max_examples=150)
@given(st.sampled_from(VALID), st.data())
def test_one_bad_value_in_a_valid_scenario_is_named_by_its_field(folder, doc, data):
    """Swap one key's value for junk: if the file is refused, the message names that field (or,
    for a value that only fails with others, a field of the same table: a formula is checked at
    the start point, the defaults against the chosen optimizer)."""
    doc = copy.deepcopy(doc)
    table = data.draw(st.sampled_from(sorted(t for t, v in doc.items() if isinstance(v, dict) and v)))
    key = data.draw(st.sampled_from(sorted(doc[table])))
    doc[table][key] = data.draw(JUNK)
    try:
        scenarios.parse(to_toml(doc), source=SOURCE, name="scenario", base=folder)
    except ScenarioError as exc:
        assert exc.field is not None, str(exc)
        if table != "scenario":  # scenario.kind decides which other tables must be there
            assert exc.field == table or exc.field.startswith((f"{table}.", f"{table}[")), str(exc)
        assert str(exc).startswith(one_line(f"{SOURCE}: {exc.field}: "))


def test_the_mutation_strategy_reaches_deep_into_validation(folder):
    """Not a vacuous property: valid bundled scenarios load, and a mutated one is refused with a
    field, not only at the TOML level."""
    for doc in VALID:
        assert load_or_refuse(to_toml(doc), folder) is not None
    doc = copy.deepcopy(BUNDLED["moons"])
    doc["model"]["hidden"] = [16, float("nan")]
    with pytest.raises(ScenarioError) as info:
        scenarios.parse(to_toml(doc), source=SOURCE, name="scenario", base=folder)
    assert info.value.field == "model.hidden[1]"
