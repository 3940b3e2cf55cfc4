"""Reading and writing files given by path: a read never blocks or reads past its limit; a write
loses nothing (atomic replace, no silent overwrite)."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from playground.errors import PlaygroundError


class WriteError(PlaygroundError):
    """A file that could not be written; the earlier file, if any, is untouched."""


class ReadRefused(PlaygroundError):
    """A file given by path that is not read: not a regular file (`size` None), or of `size`
    bytes, over its limit. The message completes "FILE ...": "is not a regular file"."""

    def __init__(self, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.size = size


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes. A folder, a FIFO or a device
    is refused unread; the file is opened without blocking and read only as far as its size
    says (so never past `limit`, even if it grows meanwhile), and a special file that looks
    regular and tells no size (/proc/kmsg, which blocks on a read and gives up the kernel's
    messages) reads as empty instead of hanging. OSError for a file that cannot be opened."""
    if not stat.S_ISREG(path.stat().st_mode):  # checked before opening: opening a device can act
        raise ReadRefused("is not a regular file")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        info = os.fstat(fd)  # the file opened, whatever the name points to now
        if not stat.S_ISREG(info.st_mode):
            raise ReadRefused("is not a regular file")
        if info.st_size > limit:
            raise ReadRefused(f"is {info.st_size} bytes; at most {limit} are read", info.st_size)
        chunks, left = [], info.st_size
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def check_target(target: Path, force: bool) -> Path:
    """Refuse, with the reason, a target that is a folder, lies in a missing folder, exists
    (unless `force`) or is anything but a regular file: a FIFO, a device (/dev/full, /dev/null) or
    a symlink is never replaced, force or not. Return the folder it goes in."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise WriteError(f"{target}: cannot be looked at ({exc.strerror or exc})") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise WriteError(f"{target}: is a folder, not a file")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise WriteError(f"{target}: is {_kind(info.st_mode)}, not a regular file; only a regular file is replaced")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise WriteError(f"{target}: the folder {str(folder)!r} does not exist")
    if info is not None and not force:
        raise WriteError(f"{target}: the file exists; use --force to replace it")
    return folder


def check_writable(target: Path, force: bool) -> Path:
    """check_target, and the folder tried with a file made and removed at once: a read-only or
    immutable folder is found before any work, not after it. Return the folder."""
    folder = check_target(target, force)
    try:
        fd, probe = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError(f"{target}: cannot write in {str(folder)!r} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)
    return folder


def _kind(mode: int) -> str:
    kinds = [(stat.S_ISLNK, "a symlink"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")]
    return next((name for test, name in kinds if test(mode)), "a special file")


def write_atomic(path: str | Path, text: str | Iterable[str], force: bool = False) -> Path:
    """Write `text` (a string, or its pieces as they are made) to `path` through a temporary file
    in the same folder and a rename, so a crash or a full disk never leaves half a file. Refuse
    to replace an existing file unless `force`."""
    target = Path(path)
    folder = check_target(target, force)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise WriteError(f"{target}: cannot write here ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            os.fchmod(fh.fileno(), mode_for(target))  # mkstemp makes it private (0600)
            for piece in [text] if isinstance(text, str) else text:
                fh.write(piece)
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


def mode_for(target: Path) -> int:
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
