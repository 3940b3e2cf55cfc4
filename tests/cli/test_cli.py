"""The command line contract, through a real subprocess: `python -m playground ...`.

Starting Python and importing torch costs seconds, so the commands that train (RUNS) are started
once, in the background, as soon as collection ends (see conftest.py), and the tests read their
results through the `runs` fixture. Bad input fails before torch is imported and is cheap.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from playground import scenarios


def _bundled_entries():
    """list_entries() with no user folders (they would shadow bundled names)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLAYGROUND_SCENARIOS", "")
        mp.setattr(scenarios, "user_dirs", lambda: [])
        return [e for e in scenarios.list_entries() if e.origin == "bundled"]


BUNDLED = {e.name: e.path for e in _bundled_entries()}
WORKERS = max(2, min(4, os.cpu_count() or 2))


def _env(tmp: Path, user_dir: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PLAYGROUND_SCENARIOS"] = str(user_dir) if user_dir else ""
    env["XDG_CONFIG_HOME"] = env["APPDATA"] = str(tmp / "config")  # no user scenarios from this machine
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["OMP_NUM_THREADS"] = "1"  # several processes run at once on few cores
    return env


def cli(args, cwd: Path, user_dir: Path | None = None, exe=None) -> subprocess.CompletedProcess:
    cmd = [*(exe or [sys.executable, "-m", "playground"]), *args]
    return subprocess.run(cmd, cwd=cwd, env=_env(cwd, user_dir), capture_output=True, text=True, timeout=120)


def cli_many(arg_lists, cwd: Path, user_dirs=None) -> list[subprocess.CompletedProcess]:
    """Run several commands at once; user_dirs gives each its user scenario folder (or None)."""
    user_dirs = user_dirs or [None] * len(arg_lists)
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(lambda a, u: cli(a, cwd, u), arg_lists, user_dirs))


def strict_json(text: str):
    def refuse(name):
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def assert_one_error_line(proc, *fragments):
    assert proc.returncode == 2, (proc.args, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("playground: error: "), lines[0]
    assert proc.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


# where each hyperparameter comes from: f = x^2 + y^2, started at (3, 1), outside the plotted domain
BOWL = """\
[scenario]
name = "Bowl"
kind = "surface"

[surface]
formula = "x**2 + y**2"
x = [-2.0, 2.0]
y = [-2.0, 2.0]
start = [3.0, 1.0]
minima = [[0.0, 0.0]]

[defaults]
optimizer = "sgd"
lr = 0.01
momentum = 0.5
eps = 1e-5
steps = 3

[defaults.adam]
lr = 0.05
"""
GOOD = BOWL.replace("start = [3.0, 1.0]", "start = [1.0, 1.0]")
BAD_FORMULA = GOOD.replace('"x**2 + y**2"', '"x**2 + (y"')

# name -> arguments of `playground run`; all of these train, so they run in parallel, once, in
# one working folder (see _Background)
RUNS = {
    "json": ["bowl.toml", "--lr", "0.02", "--steps", "12", "--format", "json", "--output", "replaced.json", "--force"],
    "text": ["bowl.toml", "--lr", "0.02", "--steps", "12", "--format", "text", "--output", "new.txt"],
    "moons_json": ["moons", "--steps", "8", "--seed", "3", "--loss", "nll", "--format", "json"],
    "csv": ["rosenbrock", "--steps", "7", "--format", "csv"],
    "diverged": ["rosenbrock", "--optimizer", "sgd", "--lr", "1", "--steps", "50", "--format", "json"],
    "bowl_adam": [
        "bowl.toml",
        "--optimizer",
        "adam",
        "--param",
        "betas=0.8,0.99",
        "--param",
        "amsgrad=true",
        "--steps",
        "2",
        "--format",
        "json",
    ],
    # cheap: refused before training
    "refused": ["rosenbrock", "--steps", "2", "--format", "json", "--output", "kept.json"],
}


class _Background:
    """The training runs, started once: as soon as collection ends when the conftest hook calls
    start(), so they use the second core while the unit tests run on the first; else on first use."""

    def __init__(self) -> None:
        self.workdir: Path | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.futures: dict[str, Future] = {}

    def start(self) -> None:
        if self.pool is not None:
            return
        d = Path(tempfile.mkdtemp(prefix="playground-cli-"))
        (d / "bowl.toml").write_text(BOWL)
        (d / "replaced.json").write_text("old")
        (d / "kept.json").write_text("keep me")
        self.workdir = d
        self.pool = ThreadPoolExecutor(max(1, (os.cpu_count() or 2) - 1))  # leave a core to the tests
        self.futures = {name: self.pool.submit(cli, ["run", *args], d) for name, args in RUNS.items()}

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.pool, self.workdir, self.futures = None, None, {}


BACKGROUND = _Background()


@pytest.fixture(scope="module")
def workdir() -> Path:
    BACKGROUND.start()
    assert BACKGROUND.workdir is not None
    yield BACKGROUND.workdir
    BACKGROUND.stop()


@pytest.fixture(scope="module")
def runs(workdir) -> dict[str, subprocess.CompletedProcess]:
    out = {name: future.result() for name, future in BACKGROUND.futures.items()}
    for name, proc in out.items():
        assert "Traceback" not in proc.stderr, (name, proc.stderr)
        if name != "refused":
            assert proc.returncode == 0, (name, proc.stderr)
    return out


# ---------------------------------------------------------------- run --format json

DOCUMENTED = [
    "scenario",
    "kind",
    "optimizer",
    "loss_fn",
    "seed",
    "steps",
    "loss",
    "trajectory",
    "final_loss",
    "diverged",
    "diverged_at",
]


def test_json_surface_has_the_documented_keys_and_consistent_numbers(runs, workdir):
    d = strict_json((workdir / "replaced.json").read_text())
    keys = list(d)
    assert [k for k in keys if k in DOCUMENTED] == DOCUMENTED  # all there, in the documented order
    assert d["scenario"] == "bowl" and d["kind"] == "surface"
    assert d["loss_fn"] is None and "accuracy" not in d
    assert d["steps"] == 12 and d["seed"] == 0
    assert d["diverged"] is False and d["diverged_at"] is None
    opt = d["optimizer"]
    assert list(opt) == ["name", "lr", "momentum", "dampening", "weight_decay", "nesterov"]
    assert opt["name"] == "sgd" and isinstance(opt["nesterov"], bool)
    assert len(d["loss"]) == 13 and len(d["trajectory"]) == 13
    assert d["trajectory"][0] == [3.0, 1.0]
    for (x, y), loss in zip(d["trajectory"], d["loss"], strict=True):
        assert loss == pytest.approx(x**2 + y**2, rel=1e-12, abs=1e-15)
    assert d["final_loss"] == d["loss"][-1] < d["loss"][0]


def test_flags_override_defaults_and_defaults_fill_the_rest(runs, workdir):
    d = strict_json((workdir / "replaced.json").read_text())
    opt = d["optimizer"]
    assert opt["lr"] == 0.02  # the flag beats [defaults] lr = 0.01
    assert opt["momentum"] == 0.5  # from [defaults]
    assert opt["dampening"] == 0 and opt["nesterov"] is False and opt["weight_decay"] == 0  # torch's
    assert "eps" not in opt  # [defaults] eps is only for the optimizers that take it
    # the first SGD step on x^2 + y^2 is p - lr*2p whatever the momentum: the flag's lr was used
    assert d["trajectory"][1] == pytest.approx([3 * (1 - 2 * 0.02), 1 - 2 * 0.02], rel=1e-12)


def test_json_classification_has_accuracy_and_the_loss_used(runs):
    d = strict_json(runs["moons_json"].stdout)
    assert d["kind"] == "classification" and d["loss_fn"] == "nll" and d["seed"] == 3
    assert d["steps"] == 8 and len(d["loss"]) == 9 and len(d["accuracy"]) == 9
    assert all(0.0 <= a <= 1.0 for a in d["accuracy"])
    assert "trajectory" not in d
    assert d["final_loss"] == d["loss"][-1] and d["loss"][-1] < d["loss"][0]


def test_json_after_divergence_is_strict_with_nulls(runs):
    text = runs["diverged"].stdout
    assert not re.search(r"\b(NaN|Infinity)\b", text)
    d = strict_json(text)
    assert d["diverged"] is True
    assert isinstance(d["diverged_at"], int) and 0 < d["diverged_at"] < 50
    assert d["steps"] == d["diverged_at"]
    assert len(d["loss"]) == d["steps"] + 1 == len(d["trajectory"])
    assert d["loss"][-1] is None and d["final_loss"] is None
    assert all(v is None or math.isfinite(v) for v in d["loss"])
    assert all(v is None or math.isfinite(v) for p in d["trajectory"] for v in p)
    assert all(isinstance(v, float) for v in d["loss"][:-1])


# ---------------------------------------------------------------- where hyperparameters come from


def test_optimizer_table_overrides_defaults_and_param_flags_reach_the_optimizer(runs):
    d = strict_json(runs["bowl_adam"].stdout)
    opt = d["optimizer"]
    assert list(opt) == ["name", "lr", "betas", "eps", "weight_decay", "amsgrad"]
    assert opt["name"] == "adam"
    assert opt["lr"] == 0.05  # [defaults.adam] beats [defaults]
    assert opt["eps"] == 1e-5  # a [defaults] key adam accepts
    assert opt["betas"] == [0.8, 0.99] and opt["amsgrad"] is True  # --param
    assert opt["weight_decay"] == 0  # torch's
    # Adam's first step is lr*g/(|g| + eps) per coordinate, g = 2p
    assert d["trajectory"][1] == pytest.approx([3 - 0.05 * 6 / (6 + 1e-5), 1 - 0.05 * 2 / (2 + 1e-5)], rel=1e-9)


def test_start_outside_domain_warns_but_runs(runs):
    for name in ("json", "text", "bowl_adam"):
        warnings = [ln for ln in runs[name].stderr.splitlines() if "warning" in ln]
        assert len(warnings) == 1 and warnings[0].startswith("playground: warning: ")
        assert "bowl.toml" in warnings[0] and "surface.start" in warnings[0]


# ---------------------------------------------------------------- csv and text


def test_csv_has_a_header_and_a_row_per_point(runs):
    rows = list(csv.reader(io.StringIO(runs["csv"].stdout)))
    header = rows[0]
    assert header[:2] == ["step", "loss"] and {"x", "y"} <= set(header)
    assert len(rows) == 1 + 8
    assert all(len(r) == len(header) for r in rows)
    table = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert [int(r["step"]) for r in table] == list(range(8))
    start = scenarios.load_file(BUNDLED["rosenbrock"]).surface.start
    assert (float(table[0]["x"]), float(table[0]["y"])) == start
    for r in table:
        assert float(r["loss"]) == pytest.approx(rosenbrock(float(r["x"]), float(r["y"])), rel=1e-12)


def test_output_file_is_written_and_not_overwritten_without_force(runs, workdir):
    for name in ("json", "text"):
        assert runs[name].stdout == ""
        assert "Traceback" not in runs[name].stderr
    assert (workdir / "new.txt").read_text().startswith("bowl")
    assert strict_json((workdir / "replaced.json").read_text())["steps"] == 12  # --force replaced "old"
    assert_one_error_line(runs["refused"], "kept.json", "--force")
    assert (workdir / "kept.json").read_text() == "keep me"
    assert not [p for p in workdir.iterdir() if p.name.endswith(".tmp")]


def test_text_mentions_final_loss_point_and_distance(runs, workdir):
    text = (workdir / "new.txt").read_text()
    d = strict_json((workdir / "replaced.json").read_text())
    m = re.search(r"final loss\s+([-+0-9.eE]+)", text)
    assert m, text
    assert float(m.group(1)) == pytest.approx(d["final_loss"], rel=1e-5)
    assert "12" in text  # the number of steps
    x, y = d["trajectory"][-1]
    m = re.search(r"distance\s+([-+0-9.eE]+)", text)
    assert m, text
    assert float(m.group(1)) == pytest.approx(math.hypot(x, y), rel=1e-5)  # the minimum is (0, 0)


# ---------------------------------------------------------------- list and check


def test_list_and_check(tmp_path):
    users = tmp_path / "users"
    users.mkdir()
    (users / "mine.toml").write_text(GOOD.replace('"Bowl"', '"My bowl"'))
    (users / "broken.toml").write_text("[scenario\n")
    (tmp_path / "good.toml").write_text(GOOD)
    (tmp_path / "x.toml").write_text(BAD_FORMULA)
    (tmp_path / "y.toml").write_text(GOOD.replace("lr = 0.05", "lr = -1.0"))
    listed, listed_user, good, bad, bundled = cli_many(
        [
            ["list"],
            ["list"],
            ["check", "good.toml"],
            ["check", "good.toml", "x.toml", "y.toml"],
            ["check", *map(str, BUNDLED.values())],
        ],
        tmp_path,
        user_dirs=[None, users, None, None, None],
    )
    # list: every bundled scenario with its kind
    assert listed.returncode == 0 and listed.stderr == ""
    lines = {ln.split()[0]: ln for ln in listed.stdout.splitlines() if ln.strip()}
    for name, path in BUNDLED.items():
        kind = scenarios.load_file(path).kind
        assert name in lines and re.search(rf"\b{kind}\b", lines[name]), (name, lines.get(name))
    assert "mine" not in lines
    # user folder: listed too, a broken one is shown as invalid rather than stopping the list
    assert listed_user.returncode == 0
    user_lines = {ln.split()[0]: ln for ln in listed_user.stdout.splitlines() if ln.strip()}
    assert "surface" in user_lines["mine"]
    assert "invalid" in user_lines["broken"]
    assert "rosenbrock" in user_lines
    # check
    assert good.returncode == 0 and good.stderr == "" and "good.toml" in good.stdout
    assert bad.returncode == 2
    assert "good.toml" in bad.stdout and "Traceback" not in bad.stderr
    errors = bad.stderr.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("playground: error: x.toml: surface.formula: unexpected end of formula at column 9")
    assert errors[1].startswith("playground: error: y.toml: defaults.adam.lr: ")
    assert bundled.returncode == 0, bundled.stderr
    assert len(bundled.stdout.splitlines()) == len(BUNDLED)


def test_run_of_a_bad_file_names_file_and_field(tmp_path):
    (tmp_path / "x.toml").write_text(BAD_FORMULA)
    proc = cli(["run", "x.toml"], tmp_path)
    line = assert_one_error_line(proc)
    assert line.startswith("playground: error: x.toml: surface.formula: unexpected end of formula at column 9")


def test_console_script(tmp_path):
    script = Path(sys.executable).with_name("playground")
    if not script.exists():
        pytest.skip("console script not installed next to this interpreter")
    proc = cli(["list"], tmp_path, exe=[str(script)])
    assert proc.returncode == 0 and "rosenbrock" in proc.stdout


# ---------------------------------------------------------------- bad input: exit 2, one line, no traceback

BAD_FLAGS = [
    (["rosenbrock", "--lr", "-1"], ["--lr"]),
    (["rosenbrock", "--lr", "0"], ["--lr"]),
    (["rosenbrock", "--lr", "nan"], ["--lr"]),
    (["rosenbrock", "--lr", "fast"], ["--lr"]),
    (["rosenbrock", "--lr", ""], ["--lr"]),
    (["rosenbrock", "--lr", "1e-400"], ["--lr"]),
    (["rosenbrock", "--momentum", "-0.1"], ["--momentum"]),
    (["rosenbrock", "--momentum", "1.5"], ["--momentum"]),
    (["rosenbrock", "--momentum", "nan"], ["--momentum"]),
    (["rosenbrock", "--steps", "-1"], ["--steps"]),
    (["rosenbrock", "--steps", "1.5"], ["--steps"]),
    (["rosenbrock", "--steps", "many"], ["--steps"]),
    (["rosenbrock", "--steps", "1000000000000"], ["--steps"]),
    (["moons", "--seed", "-1"], ["--seed"]),
    (["moons", "--seed", "x"], ["--seed"]),
    (["moons", "--seed", "99999999999999999999"], ["--seed"]),
    (["moons", "--batch-size", "-1"], ["--batch-size"]),
    (["moons", "--batch-size", "2.5"], ["--batch-size"]),
    (["rosenbrock", "--batch-size", "4"], ["--batch-size", "surface"]),
    (["rosenbrock", "--optimizer", "adamm"], ["--optimizer", "did you mean 'adam'"]),
    (["rosenbrock", "--optimizer", "quantum"], ["--optimizer", "sgd", "lbfgs"]),
    (["rosenbrock", "--optimizer", ""], ["--optimizer"]),
    (["moons", "--loss", "hinge"], ["--loss", "cross_entropy", "nll"]),
    (["moons", "--loss", ""], ["--loss"]),
    (["sine", "--loss", "nll"], ["--loss", "huber"]),
    (["rosenbrock", "--loss", "mse"], ["--loss", "surface"]),
    (["rosenbrock", "--nesterov", "--momentum", "0"], ["--nesterov", "momentum"]),
    (["rosenbrock", "--nesterov", "--param", "dampening=0.5"], ["--nesterov", "dampening"]),
    (["rosenbrock", "--optimizer", "adam", "--momentum", "0.9"], ["--momentum", "lr", "betas", "eps", "weight_decay", "amsgrad"]),
    (["rosenbrock", "--optimizer", "adam", "--nesterov"], ["--nesterov", "betas"]),
    (["rosenbrock", "--param", "foo=1"], ["foo", "momentum"]),
    (["rosenbrock", "--param", "lr"], ["--param", "NAME=VALUE"]),
    (["rosenbrock", "--lr", "0.1", "--param", "lr=0.2"], ["lr", "twice"]),
    (["rosenbrock", "--optimizer", "adam", "--param", "betas=1,2"], ["betas"]),
    (["rosenbrock", "--optimizer", "adam", "--param", "amsgrad=maybe"], ["amsgrad"]),
    (["rosenbrock", "--optimizer", "lbfgs", "--param", "max_iter=0"], ["max_iter"]),
    (["rosenbrock", "--optimizer", "lbfgs", "--param", "history_size=100000000000000000000"], ["history_size"]),
    (["rosenbrock", "--optimizer", "lbfgs", "--param", "line_search_fn=wolfe"], ["line_search_fn", "strong_wolfe"]),
    (["rosenbrock", "--optimizer", "rprop", "--param", "etas=2,3"], ["etas"]),
    (["rosenbrock", "--format", "xml"], ["--format", "json"]),
    (["rosenbrock", "--bogus"], ["--bogus"]),
    (["rosenbrok"], ["rosenbrok", "did you mean 'rosenbrock'"]),
    (["nowhere.toml"], ["nowhere.toml"]),
    ([], ["scenario"]),
]


def test_every_bad_flag_exits_2_with_one_line(tmp_path):
    results = cli_many([["run", *args] for args, _ in BAD_FLAGS], tmp_path)
    for (_, fragments), proc in zip(BAD_FLAGS, results, strict=True):
        assert_one_error_line(proc, *fragments)


def test_bad_command_lines_for_list_and_check(tmp_path):
    results = cli_many([["check", "--bogus"], ["check", "missing.toml"], ["list", "extra"], ["nosuchscenario"]], tmp_path)
    assert_one_error_line(results[0], "--bogus")
    assert_one_error_line(results[1], "missing.toml")
    assert_one_error_line(results[2], "extra")
    assert_one_error_line(results[3], "nosuchscenario")
