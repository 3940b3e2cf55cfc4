"""Writing a scenario file: the scenario as loaded, with the current settings as its defaults, so
that `playground FILE` opens where the person left off (same optimizer, hyperparameters,
schedule, clipping, loss, seed, batch size, budget and start point).

The standard library reads TOML but does not write it; the shape of a scenario is small and
known, so it is written here by hand, and a test reads every written file back with `parse`.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from playground.datasets import REAL_SETS
from playground.scenarios import Scenario
from playground.settings import RunConfig


def to_toml(scenario: Scenario, config: RunConfig, start: tuple[float, float] | None = None, lanes: list[RunConfig] | None = None, selected: int = 1) -> str:
    """The file; `lanes`: a race's, written as [race] (each lane as compare --run takes it) with
    `config`, the selected lane's, as the defaults."""
    out = [
        f"# Saved by playground on {datetime.date.today().isoformat()} from {_value(scenario.source)}.",  # a file name may hold a newline: as a TOML string, escaped
        "# `playground THIS_FILE` opens it with these settings; see README.md for every key.",
        "",
        "[scenario]",
        _pair("name", scenario.title),
        _pair("kind", scenario.kind),
        _pair("description", scenario.description),
    ]
    if scenario.surface is not None:
        s = scenario.surface
        out += [
            "",
            "[surface]",
            _pair("formula", s.formula.text),
            _pair("x", list(s.x)),
            _pair("y", list(s.y)),
            _pair("start", list(start or s.start)),
        ]
        if s.minima:
            out.append(_pair("minima", [list(m) for m in s.minima]))
        out.append(_pair("levels", s.levels))
    if scenario.dataset is not None:
        d = scenario.dataset
        out += ["", "[dataset]", _pair("generator", d.generator)]
        if d.path is not None:
            out.append(_pair("path", str(d.path.resolve())))
        elif d.generator in REAL_SETS:  # scikit-learn's points: only the columns are chosen
            out.append(_pair("features", list(d.features) or "all"))
        else:
            out += [_pair("samples", d.samples), _pair("noise", d.noise), _pair("classes", d.classes)]
        out += [_pair("test_fraction", d.test_fraction), _pair("seed", d.seed)]
    if scenario.model is not None:
        m = scenario.model
        out += ["", "[model]", _pair("hidden", list(m.hidden)), _pair("activation", m.activation)]
    defaults = scenario.defaults
    out += ["", "[defaults]", _pair("optimizer", config.optimizer)]
    if config.loss is not None:
        out.append(_pair("loss", config.loss))
    out += [_pair("steps", max(1, config.steps)), _pair("seed", config.seed)]
    if scenario.kind != "surface":
        out.append(_pair("batch_size", config.batch_size))
    out.append(_pair("grad_tolerance", defaults.grad_tolerance))
    if defaults.tolerance is not None:
        out.append(_pair("tolerance", defaults.tolerance))
    if config.schedule != "constant" or config.schedule_params:
        from playground.schedules import get_schedule

        out.append(_pair("schedule", get_schedule(config.schedule).describe(config.schedule_params)))
    if config.clip:
        out.append(_pair("clip", config.clip))
    out += ["", f"[defaults.{config.optimizer}]"]
    out += [_pair(k, v) for k, v in config.hyper.items()]
    if lanes:
        out += ["", "[race]                  # playground THIS_FILE opens the race; compare THIS_FILE runs it"]
        out += [_pair("lanes", [lane_text(lane, config) for lane in lanes]), _pair("selected", selected)]
    return "\n".join(out) + "\n"


def lane_text(lane: RunConfig, defaults: RunConfig) -> str:
    """A lane as compare --run takes it, read against the file's [defaults] (`defaults`): what
    it leaves out is torch's default, or the scenario's loss, seed and batch size."""
    from playground.settings import describe

    words = [describe(lane, exact=True)]
    for name in ("loss", "batch_size", "seed"):
        if getattr(lane, name) != getattr(defaults, name) and getattr(lane, name) is not None:
            words.append(f"{name}={getattr(lane, name)}")
    return " ".join(words)


def _pair(key: str, value: Any) -> str:
    return f"{key} = {_value(value)}"


def _value(v: Any) -> str:
    if v is None:
        return '"none"'  # TOML has no null; the registry reads "none" for an optional value
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)  # shortest form that reads back to the same float; never inf or nan here
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")  # TOML takes JSON's escapes
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to a scenario file")
