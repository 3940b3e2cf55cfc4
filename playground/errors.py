"""The errors a person can cause, each rendered as one line that says where and what."""

from __future__ import annotations


class PlaygroundError(Exception):
    """Bad input from a person: a file, a field, a flag. Shown as one line, never a traceback."""

    def __str__(self) -> str:
        return one_line(super().__str__())


def one_line(text: str) -> str:
    """Control and other unprintable characters (a newline inside a quoted TOML key, a flag's
    value, a file's name) written as escapes, so a message is always exactly one line."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class FormulaError(PlaygroundError):
    """A surface formula that cannot be compiled; `column` is 1-based, or None. `note` follows
    the column: "unexpected end of formula at column 9 ('(' at column 8 is never closed)"."""

    def __init__(self, message: str, column: int | None = None, note: str = "") -> None:
        self.message = message
        self.column = column
        text = f"{message} at column {column}" if column is not None else message
        super().__init__(f"{text} {note}" if note else text)


class ScenarioError(PlaygroundError):
    """A scenario file that cannot be used: names the file and the field."""

    def __init__(self, source: str, field: str | None, message: str) -> None:
        self.source = source
        self.field = field
        self.message = message
        where = f"{source}: {field}" if field else source
        super().__init__(f"{where}: {message}")


class ConfigError(PlaygroundError):
    """A run setting (optimizer, hyperparameter, loss, ...) that is not valid; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def closest(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """' (did you mean X?)' for a near miss, or the list of valid choices."""
    import difflib

    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    if match:
        return f"did you mean {match[0]!r}?"
    if len(choices) > CHOICES_SHOWN:  # a table of every hyperparameter: the first ones, and how many more
        return "choose from " + ", ".join(list(choices)[:CHOICES_SHOWN]) + f", ... ({len(choices)} in all)"
    return "choose from " + ", ".join(choices)


CHOICES_SHOWN = 24


class InternalError(Exception):
    """A bug of ours, met while doing what a person asked: never shown as their fault or as a
    result. `path` holds the traceback."""

    def __init__(self, exc: BaseException) -> None:
        self.path = report_internal(exc)
        super().__init__(one_line(f"{type(exc).__name__}: {exc}"))


def report_internal(exc: BaseException) -> str:
    """Write `exc`'s traceback to a file a person can find and send (the user cache folder,
    else the temporary one); returns its path."""
    import os
    import tempfile
    import time
    import traceback
    from pathlib import Path

    text = "".join(traceback.format_exception(exc))
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "playground"
    name = f"internal-error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    for folder in (base, Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            with open(path, "a", encoding="utf-8") as out:
                out.write(text)
            return str(path)
        except OSError:
            continue
    return "(nowhere: no folder could be written)"
