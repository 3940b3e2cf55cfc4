"""Every flag of `playground run` and `playground check` with bad values: exit status 2, exactly
one line on stderr that starts `playground: error:` and names the flag (or file), nothing on
stdout, no traceback.

Each case runs `main()` in-process (bad values are refused before torch trains anything, so this
is fast); a sample also runs as a real process, where a traceback would show on stderr.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from playground.cli import main

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "bad_scenarios"
NO_MOMENTUM = str(CORPUS / "start_outside_domain.toml")  # a surface with no [defaults]: momentum 0

HUGE = "0" * 400
# (arguments after `playground run`, fragments the one line must contain)
RUN = [
    # --lr: negative, zero, NaN, inf, wrong type, underflow to zero
    (["rosenbrock", "--lr", "-1"], ["--lr", "-1", "> 0"]),
    (["rosenbrock", "--lr", "0"], ["--lr", "> 0"]),
    (["rosenbrock", "--lr", "-0.0"], ["--lr", "> 0"]),
    (["rosenbrock", "--lr", "nan"], ["--lr", "nan"]),
    (["rosenbrock", "--lr", "inf"], ["--lr", "inf"]),
    (["rosenbrock", "--lr", "1e999"], ["--lr", "1e999"]),
    (["rosenbrock", "--lr=-inf"], ["--lr", "-inf"]),
    (["rosenbrock", "--lr", "1e-400"], ["--lr", "> 0"]),
    (["rosenbrock", "--lr", "fast"], ["--lr", "'fast' is not a number"]),
    (["rosenbrock", "--lr", "1,5"], ["--lr", "1,5"]),
    (["rosenbrock", "--lr", ""], ["--lr"]),
    (["rosenbrock", "--lr"], ["--lr", "expected one argument"]),
    # --momentum
    (["rosenbrock", "--momentum", "-0.1"], ["--momentum", "-0.1"]),
    (["rosenbrock", "--momentum", "1.5"], ["--momentum", "1.5", "from 0 to 1"]),
    (["rosenbrock", "--momentum", "nan"], ["--momentum", "nan"]),
    (["rosenbrock", "--momentum", "inf"], ["--momentum", "inf"]),
    (["rosenbrock", "--momentum", "lots"], ["--momentum", "lots"]),
    (["rosenbrock", "--optimizer", "adam", "--momentum", "0.9"], ["--momentum", "adam does not take momentum", "betas"]),
    # --nesterov without momentum, or where it cannot apply
    (["rosenbrock", "--nesterov", "--momentum", "0"], ["--nesterov", "momentum > 0"]),
    ([NO_MOMENTUM, "--nesterov"], ["--nesterov", "momentum > 0"]),
    (["rosenbrock", "--nesterov", "--param", "dampening=0.5"], ["--nesterov", "dampening = 0"]),
    (["rosenbrock", "--optimizer", "rmsprop", "--nesterov"], ["--nesterov", "rmsprop does not take nesterov", "centered"]),
    (["rosenbrock", "--optimizer", "adam", "--no-nesterov"], ["--no-nesterov", "adam does not take nesterov"]),
    # --steps, --seed, --batch-size
    (["rosenbrock", "--steps", "-1"], ["--steps", "-1", "from 0 to 100000000"]),
    (["rosenbrock", "--steps", "1.5"], ["--steps", "'1.5' is not a whole number"]),
    (["rosenbrock", "--steps", "nan"], ["--steps", "nan"]),
    (["rosenbrock", "--steps", "inf"], ["--steps", "inf"]),
    (["rosenbrock", "--steps", "1000000000000"], ["--steps", "from 0 to 100000000"]),
    (["rosenbrock", "--steps", ""], ["--steps"]),
    (["moons", "--seed", "-1"], ["--seed", "-1"]),
    (["moons", "--seed", "4294967296"], ["--seed", "4294967295"]),
    (["moons", "--seed", "1.0"], ["--seed", "1.0"]),
    (["moons", "--seed", "nan"], ["--seed", "nan"]),
    (["moons", "--batch-size", "-1"], ["--batch-size", "-1"]),
    (["moons", "--batch-size", "2.5"], ["--batch-size", "2.5"]),
    (["moons", "--batch-size", "inf"], ["--batch-size", "inf"]),
    (["rosenbrock", "--batch-size", "4"], ["--batch-size", "surface"]),
    # unknown names, with the closest one or the list of choices
    (["rosenbrock", "--optimizer", "adamm"], ["--optimizer", "did you mean 'adam'?"]),
    (["rosenbrock", "--optimizer", "nesterov"], ["--optimizer", "sgd", "lbfgs"]),
    (["rosenbrock", "--optimizer", ""], ["--optimizer"]),
    (["moons", "--loss", "cross_entropie"], ["--loss", "did you mean 'cross_entropy'?"]),
    (["moons", "--loss", "hinge"], ["--loss", "nll", "cross_entropy", "mse"]),
    (["sine", "--loss", "cross_entropy"], ["--loss", "mse", "l1", "huber"]),
    (["rosenbrock", "--loss", "mse"], ["--loss", "surface"]),
    (["moons", "--loss", ""], ["--loss"]),
    (["rosenbrok"], ["rosenbrok", "did you mean 'rosenbrock'?"]),
    (["moon"], ["moon", "did you mean 'moons'?"]),
    ([""], ["''", "empty", "rosenbrock"]),
    (["nowhere.toml"], ["nowhere.toml", "no such file"]),
    (["rosenbrock", "--format", "xml"], ["--format", "'json'"]),
    (["rosenbrock", "--format", ""], ["--format"]),
    # --param junk
    (["rosenbrock", "--param", "lr"], ["--param", "NAME=VALUE"]),
    (["rosenbrock", "--param", "=1"], ["--param", "no NAME"]),
    (["rosenbrock", "--param", " = "], ["--param", "no NAME"]),
    (["rosenbrock", "--param", "lr="], ["--param lr"]),
    (["rosenbrock", "--param", "lr=abc"], ["--param lr", "abc"]),
    (["rosenbrock", "--param", "lr=0.1=2"], ["--param lr", "0.1=2"]),
    (["rosenbrock", "--param", "lr=-1"], ["--param lr", "-1"]),
    (["rosenbrock", "--param", "lr=nan"], ["--param lr", "nan"]),
    (["rosenbrock", "--lr", "0.1", "--param", "lr=0.2"], ["lr", "twice"]),
    (["rosenbrock", "--param", "foo=1"], ["--param foo", "sgd does not take foo", "momentum"]),
    (["rosenbrock", "--param", "maximize=true"], ["--param maximize", "sgd does not take maximize"]),
    (["rosenbrock", "--param", "a\nb=1"], ["--param a\\nb"]),
    (["rosenbrock", "--param", "weight_decay=-0.1"], ["--param weight_decay", "-0.1"]),
    (["rosenbrock", "--param", "weight_decay=inf"], ["--param weight_decay", "inf"]),
    (["rosenbrock", "--param", "dampening=1.5"], ["--param dampening", "1.5"]),
    (["rosenbrock", "--param", "nesterov=maybe"], ["--param nesterov", "maybe"]),
    (["rosenbrock", "--optimizer", "adam", "--param", "betas=0.9"], ["--param betas", "two numbers"]),
    (["rosenbrock", "--optimizer", "adam", "--param", "betas=0.9,0.99,0.999"], ["--param betas", "two numbers"]),
    (["rosenbrock", "--optimizer", "adam", "--param", "betas=nan,0.9"], ["--param betas", "nan"]),
    (["rosenbrock", "--optimizer", "adam", "--param", "betas=1,2"], ["--param betas", "< 1"]),
    (["rosenbrock", "--optimizer", "adam", "--param", "eps=-1"], ["--param eps", "-1"]),
    (["rosenbrock", "--optimizer", "adam", "--param", "amsgrad=2"], ["--param amsgrad", "true or false"]),
    (["rosenbrock", "--optimizer", "rmsprop", "--param", "alpha=-1"], ["--param alpha", "-1"]),
    (["rosenbrock", "--optimizer", "rmsprop", "--param", "centered=maybe"], ["--param centered", "maybe"]),
    (["rosenbrock", "--optimizer", "adadelta", "--param", "rho=2"], ["--param rho", "2"]),
    (["rosenbrock", "--optimizer", "asgd", "--param", "t0=-1"], ["--param t0", "-1"]),
    (["rosenbrock", "--optimizer", "rprop", "--param", "etas=2,3"], ["etas"]),
    (["rosenbrock", "--optimizer", "rprop", "--param", "step_sizes=1,0.1"], ["step_sizes", "larger"]),
    (["rosenbrock", "--optimizer", "lbfgs", "--param", "max_iter=0"], ["--param max_iter", "0"]),
    (["rosenbrock", "--optimizer", "lbfgs", "--param", "max_eval=nan"], ["--param max_eval", "nan"]),
    (["rosenbrock", "--optimizer", "lbfgs", "--param", "history_size=100000000000000000000"], ["--param history_size"]),
    (["rosenbrock", "--optimizer", "lbfgs", "--param", "line_search_fn=wolfe"], ["--param line_search_fn", "strong_wolfe"]),
    # a whole number beyond any float (1 and 400 zeros) in every place that takes one
    (["rosenbrock", "--optimizer", "lbfgs", "--param", f"max_iter=1{HUGE}"], ["--param max_iter", "out of range"]),
    (["rosenbrock", "--optimizer", "lbfgs", "--param", f"tolerance_grad=1{HUGE}"], ["--param tolerance_grad"]),
    (["rosenbrock", "--optimizer", "adam", "--param", f"betas=1{HUGE},0.9"], ["--param betas"]),
    (["rosenbrock", "--schedule", f"step step_size=1{HUGE}"], ["--schedule", "step_size", "out of range"]),
    (["rosenbrock", "--schedule", f"step step_size=2 gamma=1{HUGE}"], ["--schedule", "gamma"]),
    (["rosenbrock", "--steps", f"1{HUGE}"], ["--steps", "out of range"]),
    (["rosenbrock", "--lr", f"1{HUGE}"], ["--lr", "finite"]),
    (["rosenbrock", "--clip", f"1{HUGE}"], ["--clip"]),
    (["moons", "--batch-size", f"1{HUGE}"], ["--batch-size", "out of range"]),
    # argparse's own errors, and --output
    (["rosenbrock", "--bogus"], ["--bogus"]),
    (["rosenbrock", "extra"], ["extra"]),
    ([], ["scenario"]),
    (["rosenbrock", "--output", "no/such/folder/out.json"], ["--output", "does not exist"]),
]

CHECK = [
    (["--bogus", "x.toml"], ["--bogus"]),
    (["missing.toml"], ["missing.toml", "no such file"]),
    ([""], ["''", "empty"]),
    ([str(CORPUS)], [str(CORPUS), "not a file"]),
    (["/dev/null"], ["/dev/null", "not a file"]),
]


def _one_line(code: int, out: str, err: str, fragments: list[str]) -> str:
    assert code == 2, (code, out, err)
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("playground: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


@pytest.mark.parametrize(("args", "fragments"), RUN, ids=[" ".join(a) or "(none)" for a, _ in RUN])
def test_run_with_a_bad_flag_exits_2_with_one_line(args, fragments, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(["run", *args])
    out, err = capsys.readouterr()
    err = "\n".join(ln for ln in err.splitlines() if not ln.startswith("playground: warning: "))
    _one_line(code, out, err, fragments)


@pytest.mark.parametrize(("args", "fragments"), CHECK, ids=[" ".join(a) or "(none)" for a, _ in CHECK])
def test_check_with_bad_arguments_exits_2_with_one_line(args, fragments, capsys, tmp_path, monkeypatch):
    if "/dev/null" in args and not Path("/dev/null").exists():
        pytest.skip("no /dev/null")
    monkeypatch.chdir(tmp_path)
    code = main(["check", *args])
    out, err = capsys.readouterr()
    _one_line(code, out, err, fragments)


def test_a_bad_flag_never_writes_the_output_file(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "rosenbrock", "--lr", "nan", "--output", "out.json"]) == 2
    assert not (tmp_path / "out.json").exists()
    assert list(tmp_path.iterdir()) == []


SAMPLE = [0, 3, 20, 25, 37, 46, 52, 61, 68, 83]


def test_a_sample_in_a_real_process_gives_no_traceback(tmp_path):
    env = {**os.environ, "PLAYGROUND_SCENARIOS": "", "XDG_CONFIG_HOME": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}

    def run(i: int) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "playground", "run", *RUN[i][0]]
        return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(2) as pool:
        procs = list(pool.map(run, SAMPLE))
    for i, proc in zip(SAMPLE, procs, strict=True):
        err = "\n".join(ln for ln in proc.stderr.splitlines() if not ln.startswith("playground: warning: "))
        _one_line(proc.returncode, proc.stdout, err, RUN[i][1])


def test_a_huge_whole_number_in_a_race_or_a_lesson_lane_names_its_field(capsys, tmp_path, monkeypatch):
    """1 and 400 zeros is beyond any float: `compare --run` and a lesson's lane name the setting in
    one line (it was an internal error, exit 70, from math.isfinite on the int)."""
    monkeypatch.chdir(tmp_path)
    code = main(["compare", "rosenbrock", "--run", f"lbfgs max_iter=1{HUGE}", "--steps", "2"])
    out, err = capsys.readouterr()
    _one_line(code, out, err, ["--run", "max_iter", "out of range"])
    lesson = tmp_path / "lesson.toml"
    lesson.write_text(
        '[scenario]\nname = "l"\nkind = "surface"\n\n[surface]\nformula = "x**2 + y**2"\nx = [-1.0, 1.0]\n'
        'y = [-1.0, 1.0]\nstart = [0.5, 0.5]\n\n[lesson]\ntitle = "t"\n\n[[lesson.part]]\nsay = "race"\n'
        f'lanes = ["lbfgs max_iter=1{HUGE}", "sgd"]\n'
    )
    code = main(["check", str(lesson)])
    out, err = capsys.readouterr()
    _one_line(code, out, err, ["lesson.part[1].lanes[1]", "max_iter", "out of range"])


def test_a_target_that_cannot_be_written_is_refused_before_training(capsys, tmp_path, monkeypatch, read_only_folder):
    """--output or --record onto a FIFO or a device, even with --force, into a folder that
    refuses files, or a folder itself: exit 2 in one line before the first step (100,000 steps
    would take half a minute: a refusal after training lost them)."""
    from playground.engine import Run

    def never(*args, **kwargs):
        raise AssertionError("trained before refusing the target")

    monkeypatch.setattr(Run, "step", never)
    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "pipe")
    cases = [
        (["--output", "pipe", "--force"], ["--output", "pipe", "is a FIFO"]),
        (["--record", "pipe", "--force"], ["--record", "pipe", "is a FIFO"]),
        (["--output", str(read_only_folder / "out.json")], ["--output", "cannot write in"]),
        (["--record", str(read_only_folder / "out.jsonl"), "--force"], ["--record", "cannot write in"]),
        (["--output", str(tmp_path), "--force"], ["--output", "is a folder"]),
    ]
    if Path("/dev/full").exists():
        cases.append((["--output", "/dev/full", "--force"], ["--output", "/dev/full", "is a device"]))
    for flags, fragments in cases:
        code = main(["run", "moons", "--steps", "100000", "--format", "json", *flags])
        out, err = capsys.readouterr()
        _one_line(code, out, err, fragments)
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)
