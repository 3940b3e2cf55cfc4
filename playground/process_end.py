"""A process that must not outlive another: a sweep's worker its sweep, an app started by
`playground serve` its server. Left alone they ran on (workers blocked forever, or computing at
full speed) after the process they served was killed."""

from __future__ import annotations

import os

PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent ends


def end_with(owner: int) -> None:
    """End this process when process `owner` ends, however it ends, SIGKILL too. A child of the
    owner asks the kernel for SIGKILL when its parent ends (Linux's parent-death signal): a
    sweep's forked worker, an app started by `serve`. Any other (a worker of the app's
    forkserver, the server's child, which outlives the app while any worker holds the pipe it
    watches) starts a thread that waits for the owner's end (a pidfd, or by polling) and ends
    this process."""
    import signal
    import threading

    if os.getppid() == owner:
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            asked = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):  # not Linux
            asked = False
        if os.getppid() != owner:  # it ended before the signal was asked for
            os._exit(1)
        if asked:
            return
    threading.Thread(target=_wait_for_end, args=(owner,), name="end-with-owner", daemon=True).start()


def _wait_for_end(owner: int) -> None:
    """Block until process `owner` has ended, then end this one at once."""
    import select
    import time

    try:
        fd = os.pidfd_open(owner)  # readable once the process has ended, zombie or reaped
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while not poller.poll(None):
            pass
    else:
        while True:
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass
            time.sleep(0.5)
    os._exit(1)
