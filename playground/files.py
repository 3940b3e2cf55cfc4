"""Writing files without losing anything: atomic replace, and no silent overwrite."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from playground.errors import PlaygroundError


class WriteError(PlaygroundError):
    """A file that could not be written; the earlier file, if any, is untouched."""


def check_target(target: Path, force: bool) -> Path:
    """Refuse, with the reason, a target that is a folder, lies in a missing folder, or exists
    (unless `force`); return the folder it goes in."""
    if target.is_dir():
        raise WriteError(f"{target}: is a folder, not a file")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise WriteError(f"{target}: the folder {str(folder)!r} does not exist")
    if target.exists() and not force:
        raise WriteError(f"{target}: the file exists; use --force to replace it")
    return folder


def write_atomic(path: str | Path, text: str, force: bool = False) -> Path:
    """Write `text` to `path` through a temporary file in the same folder and a rename, so a
    crash or a full disk never leaves half a file. Refuse to replace an existing file unless
    `force`."""
    target = Path(path)
    folder = check_target(target, force)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError(f"{target}: cannot write here ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            os.fchmod(fh.fileno(), _mode_for(target))  # mkstemp makes it private (0600)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _publish(tmp, target, force)
    except FileExistsError:
        os.unlink(tmp)
        raise WriteError(f"{target}: the file exists; use --force to replace it") from None
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise WriteError(f"{target}: the write failed ({exc.strerror or exc}); nothing was changed") from None
    return target


def _mode_for(target: Path) -> int:
    """The mode a new file gets from the person's umask (0644 under 022), as any editor's
    would; a file being replaced keeps its own."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    try:  # Linux says it without changing it
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it, and put it back at once
    os.umask(mask)
    return mask


def _publish(tmp: str, target: Path, force: bool) -> None:
    """Put the finished temporary file in place. Without force, a hard link makes the name
    only if it is free (a file that appeared meanwhile is not replaced); where the file system
    has no hard links, check and rename."""
    if force:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:
        if target.exists():
            raise FileExistsError(str(target)) from None
        os.replace(tmp, target)
        return
    os.unlink(tmp)
