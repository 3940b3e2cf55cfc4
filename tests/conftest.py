"""Set-up shared by every folder of tests."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder holding `run.json` ("kept") that refuses new files, even to root: root writes
    through permission bits, so there the folder is also made immutable (chattr +i) when the
    file system allows it. Skips where neither makes it read-only."""
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "run.json").write_text("kept")
    folder.chmod(0o500)
    immutable = os.geteuid() == 0 and shutil.which("chattr") is not None
    if immutable:
        immutable = subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0
    try:
        probe = folder / "probe"
        try:
            probe.write_text("")
        except OSError:
            pass
        else:
            probe.unlink()
            pytest.skip("this machine cannot make a folder read-only to this user")
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
        folder.chmod(0o700)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Let the threads the tests left behind (a job's, a landscape's, the auto-run loop's) end
    before the interpreter does: one stopped mid-way through torch at exit can abort the process
    ("terminate called without an active exception") after every test has passed. At most a
    minute in all."""
    import threading
    import time

    deadline = time.monotonic() + 60
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
