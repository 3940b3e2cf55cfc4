"""Calling the command line's main() in the test's own process, and reading what it said."""

from __future__ import annotations

import json
from typing import Any

from playground.cli import main


def strict(text: str) -> Any:
    """JSON as the contract says it is: NaN or Infinity in it is an error."""

    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def cli(capsys: Any, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error(capsys: Any, *argv: str) -> str:
    """The one line a refused command prints (and exit status 2, nothing on stdout)."""
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == "", (argv, out, err)
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("playground: error: "), err
    return lines[0]
