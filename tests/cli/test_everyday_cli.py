"""What a new user tripped over on the command line (issue 19): a mistake is blamed on what the
person typed, named as they typed it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from playground.cli import main


def one_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv))
    out, err = capsys.readouterr()
    lines = [ln for ln in err.splitlines() if not ln.startswith("playground: warning: ")]
    assert code == 2 and out == "" and len(lines) == 1, (code, out, err)
    return lines[0]


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_schedule_typo_names_the_flag_and_the_near_parameter_not_the_scenario_file(capsys: pytest.CaptureFixture[str], command: str) -> None:
    line = one_error(capsys, command, "rosenbrock", "--schedule", "step gama=0.5")
    assert "--schedule" in line and "gama" in line and "did you mean 'gamma'?" in line
    assert ".toml" not in line and "defaults." not in line
    line = one_error(capsys, command, "rosenbrock", "--schedule", "stepp")
    assert line.startswith("playground: error: --schedule: ") and "did you mean 'step'?" in line


def test_a_schedule_typo_in_a_run_string_offers_the_schedules_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_error(capsys, "compare", "rosenbrock", "--run", "sgd lr=0.01 schedule=step gama=0.3")
    assert "--run" in line and "did you mean 'gamma'?" in line


@pytest.mark.parametrize(("argv", "word", "near"), [(["runn", "rosenbrock"], "runn", "run"), (["runn"], "runn", "run"), (["lsit"], "lsit", "list"), (["compre", "rosenbrock", "--preset"], "compre", "compare")])
def test_a_mistyped_command_is_named_with_the_command_it_was_near(capsys: pytest.CaptureFixture[str], argv: list[str], word: str, near: str) -> None:
    line = one_error(capsys, *argv)
    assert f"'{word}' is not a command (did you mean '{near}'?)" in line


def test_a_scenario_is_still_opened_by_name_and_an_unknown_one_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    line = one_error(capsys, "nosuch")
    assert "nosuch: no such scenario" in line and "not a command" not in line
    line = one_error(capsys, "rosenbrock", "moons")  # a scenario, then one word too many
    assert "unrecognized arguments: moons" in line


def test_output_files_follow_the_umask_in_a_real_process(tmp_path: Path) -> None:
    for mask, want in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        out = tmp_path / f"run{mask:o}.json"
        proc = subprocess.run(
            [sys.executable, "-m", "playground", "run", "rosenbrock", "--steps", "3", "--format", "json", "--output", str(out)],
            capture_output=True, text=True, timeout=120, preexec_fn=lambda m=mask: os.umask(m),
        )
        assert proc.returncode == 0, proc.stderr
        assert out.stat().st_mode & 0o777 == want, (oct(mask), oct(out.stat().st_mode & 0o777))
