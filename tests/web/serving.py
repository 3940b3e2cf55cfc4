"""Start `playground serve` as a person does (a process on a free port) and talk to it as its page
does: a websocket that sends JSON `["stdin", keys]` and receives the app's ANSI frames. Every wait
is for a condition, with a deadline; none is for a fixed time."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import aiohttp

ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>]|\x1b\][^\x07]*\x07")
START = 60.0  # seconds a server or a first frame may take on a loaded two-core machine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def until(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Poll `condition` until it is true (returned) or the deadline passes (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def app_processes(server_pid: int) -> list[int]:
    """The playground processes a server started (its children that run Python, not a shell)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            state = stat.rsplit(")", 1)[1].split()[0]
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == server_pid and state != "Z" and "playground" in cmdline:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class Served:
    def __init__(self, process: subprocess.Popen, port: int, cwd: Path, logs: Path) -> None:
        self.process = process
        self.port = port
        self.cwd = cwd
        self.logs = logs
        self.url = f"http://127.0.0.1:{port}"

    def stdout(self) -> str:
        return (self.logs / "stdout").read_text()

    def stderr(self) -> str:
        return (self.logs / "stderr").read_text()

    def apps(self) -> list[int]:
        return app_processes(self.process.pid)

    def stop(self) -> int:
        """ctrl+c, as a person stops it; the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
                raise AssertionError("the server did not stop within 30 s of ctrl+c") from None
        return self.process.returncode


@contextmanager
def serving(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Iterator[Served]:
    """`playground serve ARGS` on a free port, in `cwd`, with `env` added to the environment."""
    port = free_port()
    logs = Path(tempfile.mkdtemp(prefix="serve-"))  # files, not pipes: a full pipe would stall the server
    out, err = (logs / "stdout").open("w+"), (logs / "stderr").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "playground", "serve", "--port", str(port), *args],
        cwd=cwd, stdout=out, stderr=err, text=True, start_new_session=True, env={**os.environ, **(env or {})},
    )
    served = Served(process, port, cwd, logs)

    def listening() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"serve ended with {process.returncode}: {served.stderr()[-500:]}")
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    try:
        until(listening, START, f"serve to listen on {port}")
        yield served
    finally:
        try:
            served.stop()
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            for pid in app_processes(process.pid):
                os.kill(pid, signal.SIGKILL)
            out.close()
            err.close()
            shutil.rmtree(logs, ignore_errors=True)


class Tab:
    """One browser tab's websocket: what the app drew (ANSI removed) and what the page was told."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.screen = ""  # text drawn since the last key
        self.messages: list[list] = []  # JSON text messages (downloads, ...)
        self.closed = False

    async def key(self, keys: str) -> None:
        self.screen = ""
        await self.ws.send_str(json.dumps(["stdin", keys]))

    async def wait_for(self, condition: Callable[[Tab], bool], what: str, timeout: float = START) -> None:
        deadline = time.monotonic() + timeout
        while not condition(self):
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                raise AssertionError(f"{'the socket closed' if self.closed else f'timed out after {timeout:.0f} s'} waiting for {what}; last drawn: {self.screen[-300:]!r}")
            try:
                message = await asyncio.wait_for(self.ws.receive(), left)
            except asyncio.TimeoutError:
                continue
            if message.type == aiohttp.WSMsgType.BINARY:
                self.screen += ANSI.sub("", message.data.decode("utf-8", "replace"))
            elif message.type == aiohttp.WSMsgType.TEXT:
                self.messages.append(json.loads(message.data))
            else:
                self.closed = True

    async def wait_for_text(self, text: str, timeout: float = START) -> None:
        await self.wait_for(lambda tab: text in tab.screen, repr(text), timeout)


async def open_tab(http: aiohttp.ClientSession, served: Served, width: int = 120, height: int = 40) -> Tab:
    ws = await http.ws_connect(f"{served.url}/ws?width={width}&height={height}")
    await ws.send_str(json.dumps(["resize", {"width": width, "height": height}]))
    return Tab(ws)
