"""Nothing lost: exports, saved scenarios and records are written so that a failing write (a
missing folder, a folder that refuses files, a full disk) says why and leaves the earlier file
exactly as it was, and an existing file is never replaced without force."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import pytest

from playground import scenarios
from playground.engine import Run
from playground.files import WriteError, write_atomic
from playground.recording import Recorder
from playground.settings import resolve


def test_a_new_file_is_written_and_an_existing_one_kept_without_force(tmp_path: Path) -> None:
    target = tmp_path / "run.json"
    write_atomic(target, "first")
    with pytest.raises(WriteError, match="exists; use --force"):
        write_atomic(target, "second")
    assert target.read_text() == "first"
    write_atomic(target, "third", force=True)
    assert target.read_text() == "third"
    assert os.listdir(tmp_path) == ["run.json"]


def test_a_missing_folder_or_a_folder_as_target_is_named(tmp_path: Path) -> None:
    with pytest.raises(WriteError, match="does not exist"):
        write_atomic(tmp_path / "nowhere" / "run.json", "x")
    (tmp_path / "d").mkdir()
    with pytest.raises(WriteError, match="is a folder"):
        write_atomic(tmp_path / "d", "x", force=True)


def test_a_full_disk_leaves_the_earlier_file_and_no_litter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "run.json"
    target.write_text("the earlier export")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(WriteError) as exc:
        write_atomic(target, "a new export" * 1000, force=True)
    assert "No space left on device" in str(exc.value) and "nothing was changed" in str(exc.value)
    assert target.read_text() == "the earlier export"
    assert os.listdir(tmp_path) == ["run.json"]


def test_a_folder_that_refuses_files_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "run.json"
    target.write_text("kept")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(WriteError, match="cannot write here .Permission denied"):
        write_atomic(target, "new", force=True)
    assert target.read_text() == "kept"


def test_a_read_only_folder_is_reported(read_only_folder: Path) -> None:
    with pytest.raises(WriteError, match=r"cannot write here \((Permission denied|Operation not permitted)\)"):
        write_atomic(read_only_folder / "run.json", "new", force=True)
    assert (read_only_folder / "run.json").read_text() == "kept"
    assert os.listdir(read_only_folder) == ["run.json"]


def _run(steps: int) -> Run:
    s = scenarios.load("rosenbrock")
    run = Run(s, resolve(s))
    run.step(steps)
    return run


def test_a_record_that_hits_a_full_disk_keeps_the_lines_before(tmp_path: Path) -> None:
    target = tmp_path / "steps.jsonl"
    rec = Recorder(target)
    run = _run(10)
    assert rec.write(run) == 11

    class Full:
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def flush(self) -> None:
            pass

        def close(self) -> None:
            pass

    real = rec._fh
    real.close()
    rec._fh = Full()  # type: ignore[assignment]
    run.step(5)
    with pytest.raises(WriteError, match="the record stopped .No space left on device.; the lines before are kept"):
        rec.write(run)
    assert len(target.read_text().splitlines()) == 11


def test_a_forced_record_replaces_the_old_file_only_when_done(tmp_path: Path) -> None:
    target = tmp_path / "steps.jsonl"
    target.write_text("the old record\n")
    rec = Recorder(target, force=True)
    rec.write(_run(3))
    assert target.read_text() == "the old record\n"  # still whole while the new one is written
    rec.close()
    assert len(target.read_text().splitlines()) == 4
    assert os.listdir(tmp_path) == ["steps.jsonl"]
    with pytest.raises(WriteError, match="exists"):
        Recorder(target)


def test_a_new_file_gets_the_umasks_mode_and_a_replaced_one_keeps_its_own(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        made = write_atomic(tmp_path / "a.json", "{}")
        assert made.stat().st_mode & 0o777 == 0o644  # not mkstemp's private 0600
        os.umask(0o027)
        assert write_atomic(tmp_path / "b.json", "{}").stat().st_mode & 0o777 == 0o640
        made.chmod(0o600)
        write_atomic(made, "[]", force=True)
        assert made.stat().st_mode & 0o777 == 0o600 and made.read_text() == "[]"
    finally:
        os.umask(old)


def test_a_read_never_blocks_on_a_special_file(tmp_path: Path) -> None:
    """A FIFO is refused unread (opening it would wait for a writer); a file that looks regular
    but tells no size, as /proc's do (/proc/kmsg blocks on a read), reads as empty at once."""
    import threading

    from playground.files import ReadRefused, read_regular

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(ReadRefused, match="not a regular file"):
        read_regular(fifo, 1000)
    special = Path("/proc/kmsg") if os.access("/proc/kmsg", os.R_OK) else Path("/proc/self/status")
    done: list[bytes] = []
    reader = threading.Thread(target=lambda: done.append(read_regular(special, 1000)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert done == [b""], f"reading {special} did not come back"
    (tmp_path / "big").write_bytes(b"x" * 2000)
    with pytest.raises(ReadRefused, match="is 2000 bytes; at most 1000"):
        read_regular(tmp_path / "big", 1000)
    (tmp_path / "small").write_bytes(b"abc")
    assert read_regular(tmp_path / "small", 1000) == b"abc"


@pytest.mark.parametrize("kind", ["fifo", "symlink", "device"])
def test_only_a_regular_file_is_ever_replaced_force_or_not(tmp_path: Path, kind: str) -> None:
    """A FIFO, a symlink or a device (/dev/full) given as the file to write is refused in one
    sentence and left as it was: --force replaces a regular file, nothing else."""
    if kind == "fifo":
        target = tmp_path / "pipe.json"
        os.mkfifo(target)
    elif kind == "symlink":
        (tmp_path / "real.json").write_text("kept")
        target = tmp_path / "link.json"
        target.symlink_to(tmp_path / "real.json")
    else:
        target = Path("/dev/full")
        if not target.exists():
            pytest.skip("no /dev/full")
    before = os.lstat(target)
    with pytest.raises(WriteError, match=f"is a {'device' if kind == 'device' else kind.upper() if kind == 'fifo' else kind}, not a regular file"):
        write_atomic(target, "new", force=True)
    with pytest.raises(WriteError, match="not a regular file"):
        Recorder(target, force=True)
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino, after.st_rdev) == (before.st_mode, before.st_ino, before.st_rdev)
    if kind == "symlink":
        assert (tmp_path / "real.json").read_text() == "kept"


def test_a_folder_that_refuses_files_is_found_before_any_work(read_only_folder: Path) -> None:
    from playground.files import check_writable

    with pytest.raises(WriteError, match=r"cannot write in .*\((Permission denied|Operation not permitted)\)"):
        check_writable(read_only_folder / "new.json", force=False)
    assert os.listdir(read_only_folder) == ["run.json"]


def test_a_forced_record_keeps_the_replaced_files_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = tmp_path / "steps.jsonl"
        target.write_text("old\n")
        target.chmod(0o644)
        rec = Recorder(target, force=True)
        rec.write(_run(3))
        rec.close()
        assert target.stat().st_mode & 0o777 == 0o644  # mkstemp's 0600 until now
        fresh = Recorder(tmp_path / "new.jsonl")
        fresh.close()
        assert (tmp_path / "new.jsonl").stat().st_mode & 0o777 == 0o644
    finally:
        os.umask(old)
