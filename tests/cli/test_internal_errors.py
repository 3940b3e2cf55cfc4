"""Redesign 2/3: a bug of ours is told apart from a run that ends. `run`, `compare` and `sweep`
exit with status 70 and one line naming the file that keeps the traceback; never a result that
says the settings diverged."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground import cli
from playground.history import Ends, Series

COMMANDS = {
    "run": ["run", "rosenbrock", "--steps", "20", "--format", "json"],
    "compare": ["compare", "rosenbrock", "--preset", "--steps", "20", "--format", "json"],
    "sweep": ["sweep", "rosenbrock", "--points", "3", "--steps", "20", "--format", "json"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_bug_in_the_engine_is_exit_70_with_the_traceback_kept(command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cli.main(COMMANDS[command]) == 0  # as it is, the command works
    capsys.readouterr()
    # the engine's own code now fails where it records a point (a TypeError raised in playground/)
    monkeypatch.setattr(Series, "append", None)
    monkeypatch.setattr(Ends, "append", None)
    assert cli.main(COMMANDS[command]) == 70
    out, err = capsys.readouterr()
    assert out == ""  # no result: above all no "diverged": true
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("playground: internal error: TypeError"), err
    files = list((tmp_path / "playground").glob("internal-error-*.txt"))
    assert len(files) == 1 and str(files[0]) in lines[0]
    kept = files[0].read_text()
    assert kept.startswith("Traceback") and "playground/engine.py" in kept


def test_an_error_torch_raises_for_the_settings_is_a_stop_reason_not_a_bug(capsys: pytest.CaptureFixture[str]) -> None:
    """The other side: an exception from torch or a formula ends the run with a reason, status 0."""
    import json

    # torch refuses lr = 1e300 for float32 weights: it raises inside the optimizer's step
    assert cli.main(["run", "moons", "--optimizer", "sgd", "--lr", "1e300", "--momentum", "0.9", "--steps", "5", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["diverged"] and "too large for the model's float32 weights" in out["stop_reason"]
