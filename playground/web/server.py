"""`playground serve`: the playground in a browser, one app process per tab.

textual-serve (Textualize's own package) does the hard part: its `AppService` starts the app
with Textual's web driver and relays its frames over a websocket to xterm.js in the page. This
module puts a server around it that a person can leave running:

- at most `max_sessions` app processes at once; a tab past that gets a page saying the server
  is busy and how many sessions run, and starts nothing;
- a tab that closes ends its process, and ctrl+c ends every one (an app that does not quit
  when asked is killed); an app whose server is gone ends by itself (`end_with_parent`);
- the page is built from the request, so the address a person typed is the one its websocket
  uses, and it fetches nothing from elsewhere: the terminal's font comes from this server;
- it trusts no other page: a request naming a Host it does not serve is refused (400), a
  websocket whose Origin is not the page's own is refused (403) before it takes a session, every
  text from a file is escaped before it reaches the page, and each answer forbids framing,
  sniffing and loading from elsewhere (SECURITY_HEADERS) and names no server version;
- a session's sweeps use at most `sweep_workers` processes (PLAYGROUND_WORKERS in its
  environment): a sweep's pool was a forkserver and a worker per core that no limit counted.

Only public API of textual-serve and aiohttp, except `_app_process` (read below).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import html
import ipaddress
import json
import os
import shlex
import signal
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

from playground.errors import PlaygroundError

HERE = Path(__file__).parent
QUIT_WAIT = 5.0  # seconds an app has to quit when its tab closes, before it is killed
PARENT_ENV = "PLAYGROUND_SERVE_PARENT"  # the server's pid, in each app's environment
# Sent with every answer: the page may load scripts, styles, fonts and its websocket from this
# server only (xterm.js sets styles inline, and the page has one inline script and style), no
# other page may frame it, and no browser guesses a type other than the one sent.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "font-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Server": "playground",  # aiohttp's default names itself and its version
}


class ServeError(PlaygroundError):
    """A flag `serve` cannot use: a port in use, a host that is not this machine's."""


@dataclass
class Sessions:
    """The app processes running, each with its tab's websocket, counted from the moment the
    websocket is accepted until the process is gone."""

    limit: int
    running: dict = field(default_factory=dict)

    @property
    def full(self) -> bool:
        return len(self.running) >= self.limit

    def busy_message(self) -> str:
        n = len(self.running)
        return (
            f"{n} of {self.limit} session{'s' if self.limit != 1 else ''} {'is' if n == 1 else 'are'} running, "
            f"the most this server takes (playground serve --max-sessions {self.limit}). "
            "Try again when a tab closes."
        )


def app_command(args: list[str], sweep_workers: int = 1) -> str:
    """The shell command textual-serve runs for each tab: this Python's playground, `exec`ed so
    that a session is one process, told who its server is and how many processes its sweeps may
    use."""
    from playground.workers import WORKERS_ENV

    words = [sys.executable, "-m", "playground", *args]
    return f"{PARENT_ENV}={os.getpid()} {WORKERS_ENV}={int(sweep_workers)} exec " + " ".join(shlex.quote(w) for w in words)


WILDCARDS = ("0.0.0.0", "::", "")  # --host values that listen on every address of the machine


def served_names(host: str, allowed: list[str]) -> set[str]:
    """The host names a request may address this server by (its Host header without the port):
    the address it is bound to, this machine's loopback names, the machine's own names when it
    listens on every address, and those given with --allow-host."""
    names = {host, "localhost", "127.0.0.1", "::1"}
    if host in WILDCARDS:  # every address: the machine's names too
        names |= {socket.gethostname(), socket.getfqdn()}
    names |= set(allowed)
    return {n.lower().strip("[]") for n in names if n}


def answers_to(name: str, names: set[str], host: str) -> bool:
    """Whether a request for host `name` is for this server: one of `names`, or, when it listens
    on every address, any address written as digits (a class typing the machine's address). A
    page of another site that resolves its own name to this machine (DNS rebinding) sends that
    name, which is refused."""
    if name in names:
        return True
    if host not in WILDCARDS:
        return False
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def host_name(header: str) -> str:
    """A Host header's name: `127.0.0.1:8000` -> `127.0.0.1`, `[::1]:8000` -> `::1`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def same_origin(origin: str | None, host: str) -> bool:
    """Whether a websocket's Origin is the page's own: the Origin's host and port are the Host
    the request was sent to. No Origin: not a browser (which always sends one), so no other page
    is behind it."""
    if origin is None:
        return True
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(origin.strip())
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    default = "80" if parts.scheme == "http" else "443"
    want = host.strip().lower()
    got = parts.netloc.lower()
    return got == want or f"{got}:{default}" == want or got == want.removesuffix(f":{default}")


def loopback_only(host: str) -> bool:
    """Whether every address `host` stands for is this machine's loopback; ServeError when it
    stands for none (checked before serving, so that a bad --host is said in one line at once).
    Whether the server can listen there (a port in use, an address of another machine) is found
    when it binds, and said the same way (`_bind_message`)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise ServeError(f"--host: {host!r} is not an address or a name this machine can resolve") from None
    return all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


def _bind_message(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"--port: {port} is in use on {host}; choose another, e.g. --port {port + 1 if port < 65535 else 8000}"
    if exc.errno == errno.EACCES:
        return f"--port: {port} is not allowed here (ports below 1024 need root); choose another, e.g. --port 8000"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"--host: {host!r} is not an address of this machine"
    return f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc})"


def end_with_parent() -> None:
    """In an app started by `playground serve`: end this process if the server goes away (killed,
    not stopped with ctrl+c), so that no app is left running with no page to draw on."""
    parent = os.environ.pop(PARENT_ENV, None)
    if not parent or not parent.isdigit():
        return
    from playground.process_end import end_with

    end_with(int(parent))


def _app_process(service: object) -> asyncio.subprocess.Process | None:
    """The app's process. textual-serve keeps it private (`AppService._process`, read on
    textual-serve 1.1.3) and does not wait for it to end: its `stop()` asks the app to quit and
    returns once the app's output stops, which a closed tab makes happen at once. This is the one
    place that reads it, so that a session is counted, and ctrl+c returns, only when the process
    is gone (killed if it does not quit). Without it (another release), a session ends by
    asking its app to quit, as textual-serve itself ends one, and an app outliving its server
    ends by itself (`end_with_parent`); PLAYGROUND_PLAIN_SERVE=1 takes that way on any release."""
    if os.environ.get("PLAYGROUND_PLAIN_SERVE", "") == "1":  # the public way only (tested)
        return None
    process = getattr(service, "_process", None)
    return process if isinstance(process, asyncio.subprocess.Process) else None


def make_server(app_args: list[str], host: str, port: int, max_sessions: int, title: str, sweep_workers: int = 1, allow_hosts: list[str] | None = None):
    """The server, built only when serving: textual-serve and aiohttp load with it."""
    from aiohttp import WSMsgType, web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server

    import textual_serve

    static = Path(textual_serve.__file__).parent / "static"
    page = Template((HERE / "page.html").read_text(encoding="utf-8"))
    busy = Template((HERE / "busy.html").read_text(encoding="utf-8"))

    names = served_names(host, allow_hosts or [])

    @web.middleware
    async def guard(request: web.Request, handler):  # noqa: ANN001, ANN202 - aiohttp's middleware
        """A Host this server does not serve is refused before anything is built from it."""
        if not answers_to(host_name(request.host), names, host):
            return web.Response(status=400, text="playground: this server does not answer to that host name (playground serve --allow-host NAME adds one)\n")
        return await handler(request)

    async def headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.update(SECURITY_HEADERS)

    class PlaygroundServer(Server):
        def __init__(self) -> None:
            super().__init__(app_command(app_args, sweep_workers), host=host, port=port, title=title)
            self.sessions = Sessions(max_sessions)

        def web_app(self) -> web.Application:
            app = web.Application(middlewares=[guard])
            app.on_response_prepare.append(headers)
            app.add_routes(
                [
                    web.get("/", self.handle_index),
                    web.get("/ws", self.handle_websocket),
                    web.get("/download/{key}", self.handle_download),
                    web.static("/static", static),
                ]
            )
            app.on_shutdown.append(self.end_all)
            return app

        def busy_page(self) -> web.Response:
            text = busy.substitute(message=self.sessions.busy_message())
            return web.Response(status=503, text=text, content_type="text/html", headers={"Retry-After": "30"})

        async def handle_index(self, request: web.Request) -> web.Response:
            if self.sessions.full:
                return self.busy_page()
            size = request.query.get("fontsize", "16")
            scheme = "wss" if request.secure else "ws"
            text = page.substitute(
                title=html.escape(title),
                websocket=html.escape(f"{scheme}://{request.host}/ws"),
                font_size=int(size) if size.isdigit() and 6 <= int(size) <= 64 else 16,
            )
            return web.Response(text=text, content_type="text/html")

        async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
            if not same_origin(request.headers.get("Origin"), request.host):
                return web.Response(status=403, text="playground: a websocket is taken only from this server's own page\n")
            if request.headers.get("Upgrade", "").lower() != "websocket":
                return web.Response(status=400, text="playground: /ws is the page's websocket; open / in a browser\n")
            if self.sessions.full:
                raise web.HTTPServiceUnavailable(text=f"playground: the server is busy: {self.sessions.busy_message()}")
            websocket = web.WebSocketResponse(heartbeat=15)
            width = _size(request.query.get("width"), 80)
            height = _size(request.query.get("height"), 24)
            service = AppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
            )
            self.sessions.running[service] = websocket  # counted from here: a second tab cannot slip in
            try:
                await websocket.prepare(request)
                await service.start(width, height)
                await relay(websocket, service)
            except (asyncio.CancelledError, ConnectionError):
                pass
            finally:
                await self.end(service)
                await websocket.close()
            return websocket

        async def end(self, service: AppService) -> None:
            """Ask the app to quit; kill it if it has not within QUIT_WAIT seconds."""
            try:
                with contextlib.suppress(asyncio.TimeoutError, ConnectionError, RuntimeError):
                    await asyncio.wait_for(asyncio.shield(service.stop()), QUIT_WAIT)
                process = _app_process(service)
                if process is not None:
                    try:
                        await asyncio.wait_for(asyncio.shield(process.wait()), QUIT_WAIT)
                    except asyncio.TimeoutError:  # asked to quit, it did not: killed
                        with contextlib.suppress(ProcessLookupError):
                            process.kill()
                        await process.wait()
            finally:
                self.sessions.running.pop(service, None)

        async def end_all(self, app: web.Application) -> None:
            """ctrl+c: every session ends, and its tab is told so."""
            running = list(self.sessions.running.items())
            for _, websocket in running:
                with contextlib.suppress(Exception):
                    await websocket.close(code=1001, message=b"the server stopped")
            await asyncio.gather(*(self.end(service) for service, _ in running), return_exceptions=True)

        async def run(self, announce) -> None:
            runner = web.AppRunner(self.web_app(), handle_signals=False, access_log=None, shutdown_timeout=QUIT_WAIT + 1)
            await runner.setup()
            site = web.TCPSite(runner, host, port)
            try:
                await site.start()
            except OSError as exc:
                await runner.cleanup()
                raise ServeError(_bind_message(host, port, exc)) from None
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
            announce()
            try:
                await stop.wait()
            finally:
                await runner.cleanup()

    async def relay(websocket: web.WebSocketResponse, service: AppService) -> None:
        """What the page sends, to the app: keys and mouse (stdin), its size, focus; pings
        answered. A message that is not one of these is ignored."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, data = json.loads(message.data)
            except (ValueError, TypeError):
                continue
            if kind == "stdin" and isinstance(data, str):
                await service.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await service.set_terminal_size(_size(data.get("width"), 80), _size(data.get("height"), 24))
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await service.blur()
            elif kind == "focus":
                await service.focus()

    return PlaygroundServer()


def _size(value: object, default: int) -> int:
    """A terminal's width or height from the page: a whole number of cells, within reason."""
    try:
        number = int(str(value))
    except ValueError:
        return default
    return min(max(number, 10), 1000)
