"""`playground serve` as a browser sees it, over the websocket its page opens: a tab gets its own
playground, keys reach it, closing the tab ends its process, a tab past --max-sessions is told
the server is busy and starts nothing, ctrl+c ends everything, and files go to the browser."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import time
import tomllib
from pathlib import Path

import aiohttp
import pytest

from playground.cli import main
from serving import START, alive, open_tab, serving, until


def test_a_tab_gets_its_own_playground_keys_reach_it_and_closing_it_ends_its_process(tmp_path: Path) -> None:
    with serving(cwd=tmp_path) as served:
        page = until(lambda: _get(served.url + "/"), START, "the page")
        assert page[0] == 200 and "textual" in page[1].lower() and "<title>playground: rosenbrock</title>" in page[1]
        assert "googleapis" not in page[1] and "https://" not in page[1]  # nothing fetched from elsewhere

        async def session() -> int:
            async with aiohttp.ClientSession() as http:
                tab = await open_tab(http, served)
                await tab.wait_for_text("step 0")
                await tab.wait_for_text("palette")  # the footer shows its keys, though the web driver starts an app blurred
                [pid] = served.apps()  # one process for the tab, the app itself (exec'd, no shell)
                await tab.key("s")
                await tab.wait_for_text("step 1")
                await tab.key("s")
                await tab.wait_for_text("step 2")
                await tab.ws.close()
                return pid

        pid = asyncio.run(session())
        until(lambda: not alive(pid), 20, f"the tab's app (pid {pid}) to end after the tab closed")
        assert served.apps() == []
    assert served.process.returncode == 0


def test_past_the_limit_a_tab_is_told_the_server_is_busy_and_nothing_starts(tmp_path: Path) -> None:
    with serving("--max-sessions", "1", cwd=tmp_path) as served:

        async def two_tabs() -> None:
            async with aiohttp.ClientSession() as http:
                first = await open_tab(http, served)
                await first.wait_for_text("step 0")
                async with http.get(served.url + "/") as answer:
                    text = await answer.text()
                    assert answer.status == 503
                    assert "busy" in text and "1 of 1 session is running" in text and "--max-sessions 1" in text
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(f"{served.url}/ws?width=80&height=24")
                assert refused.value.status == 503
                assert len(served.apps()) == 1  # the second tab started nothing
                await first.ws.close()

        asyncio.run(two_tabs())
        until(lambda: served.apps() == [], 20, "the first tab's app to end")
        # its place is free again: the page is the playground's, not the busy one
        until(lambda: (_get(served.url + "/") or (0,))[0] == 200, 20, "the page to be served again")


def test_ctrl_c_ends_the_server_and_every_session(tmp_path: Path) -> None:
    with serving(cwd=tmp_path) as served:

        async def two_tabs() -> list[int]:
            async with aiohttp.ClientSession() as http:
                tabs = [await open_tab(http, served) for _ in range(2)]
                for tab in tabs:
                    await tab.wait_for_text("step 0")
                pids = served.apps()
                assert len(pids) == 2
                served.process.send_signal(signal.SIGINT)
                for tab in tabs:  # each page is told its session ended
                    await tab.wait_for(lambda t: t.closed, "the socket to close", timeout=30)
                return pids

        pids = asyncio.run(two_tabs())
        served.process.wait(30)
        assert served.process.returncode == 0
        assert not [pid for pid in pids if alive(pid)]
        assert "every session ended" in served.stdout()


def test_the_public_way_ends_sessions_too(tmp_path: Path) -> None:
    """PLAYGROUND_PLAIN_SERVE=1: without textual-serve's private process (another release), a
    closed tab's app still ends (asked to quit), and so does every session on ctrl+c."""
    with serving(cwd=tmp_path, env={"PLAYGROUND_PLAIN_SERVE": "1"}) as served:

        async def tabs() -> list[int]:
            async with aiohttp.ClientSession() as http:
                first, second = await open_tab(http, served), await open_tab(http, served)
                for tab in (first, second):
                    await tab.wait_for_text("step 0")
                pids = served.apps()
                assert len(pids) == 2
                await first.ws.close()
                until(lambda: len(served.apps()) == 1, 20, "the closed tab's app to end")
                served.process.send_signal(signal.SIGINT)
                await second.wait_for(lambda t: t.closed, "the socket to close", timeout=30)
                return pids

        pids = asyncio.run(tabs())
        served.process.wait(30)
        assert served.process.returncode == 0
        until(lambda: not [pid for pid in pids if alive(pid)], 20, "every app to end")


def test_an_app_whose_server_was_killed_ends_by_itself(tmp_path: Path) -> None:
    """kill -9 of the server gives its apps no word: each notices its server is gone and ends."""
    with serving(cwd=tmp_path) as served:

        async def one_tab() -> int:
            async with aiohttp.ClientSession() as http:
                tab = await open_tab(http, served)
                await tab.wait_for_text("step 0")
                [pid] = served.apps()
                served.process.kill()
                served.process.wait(10)
                return pid

        pid = asyncio.run(one_tab())
        until(lambda: not alive(pid), 20, f"the app (pid {pid}) to end after its server was killed")


def test_a_lesson_is_served_and_the_address_and_a_warning_are_printed(tmp_path: Path) -> None:
    with serving("--lesson", "momentum", "--host", "0.0.0.0", cwd=tmp_path) as served:

        async def one_tab() -> None:
            async with aiohttp.ClientSession() as http:
                tab = await open_tab(http, served)
                await tab.wait_for_text("Momentum")  # the lesson's panel
                await tab.ws.close()

        asyncio.run(one_tab())
        served.stop()
        out, err = served.stdout(), served.stderr()
    assert f"http://0.0.0.0:{served.port}/" in out
    assert "warning: --host 0.0.0.0: anyone who can reach port" in err


def test_files_go_to_the_browser_as_downloads_not_to_the_server(tmp_path: Path) -> None:
    """In a browser, export (e), the code behind the run (e to a .py name) and save as a scenario
    (ctrl+s) arrive as downloads named as the dialog says; the server's folder gets nothing."""
    with serving(cwd=tmp_path) as served:

        async def downloads() -> dict[str, tuple[str, str]]:
            got: dict[str, tuple[str, str]] = {}
            async with aiohttp.ClientSession() as http:
                tab = await open_tab(http, served)
                await tab.wait_for_text("step 0")
                for _ in range(3):
                    await tab.key("s")
                await tab.wait_for_text("step 3")

                async def download(keys: list[str], name: str) -> None:
                    seen = len([m for m in tab.messages if m[0] == "deliver_file_start"])
                    for key in keys:
                        await tab.key(key)
                        if key in ("e", "\x13"):
                            await tab.wait_for_text("download as")
                    await tab.wait_for(lambda t: len([m for m in t.messages if m[0] == "deliver_file_start"]) > seen, f"the download of {name}")
                    key = [m[1] for m in tab.messages if m[0] == "deliver_file_start"][-1]
                    async with http.get(f"{served.url}/download/{key}") as answer:
                        got[name] = (await answer.text(), answer.headers["Content-Disposition"])
                    await tab.wait_for_text(f"sent {name} to the browser as a download")

                await download(["e", "\r"], "rosenbrock-sgd-step3.json")  # the name offered
                # the same dialog, its name ending in .py: the code behind the run. A key at a
                # time, each once the field has redrawn, as a person types
                await tab.key("e")
                await tab.wait_for_text("download as")
                for key, shown in zip(["\x7f"] * 4 + ["p", "y"], ["jso", "js", "j", "", "p", "py"]):  # backspace over "json"
                    await tab.key(key)
                    await tab.wait_for_text(f"rosenbrock-sgd-step3.{shown} ")  # the field redrawn with this key in (and the cursor after it)
                await download(["\r"], "rosenbrock-sgd-step3.py")
                await download(["\x13", "\r"], "rosenbrock-sgd.toml")
                await tab.ws.close()
            return got

        got = asyncio.run(downloads())
    text, disposition = got["rosenbrock-sgd-step3.json"]
    assert "attachment" in disposition and "rosenbrock-sgd-step3.json" in disposition
    assert len(json.loads(text)["trajectory"]) == 4  # the start and three steps
    code, _ = got["rosenbrock-sgd-step3.py"]
    assert "import torch" in code and "SGD" in code
    compile(code, "run.py", "exec")
    scenario = tomllib.loads(got["rosenbrock-sgd.toml"][0])
    assert scenario["defaults"]["optimizer"] == "sgd"
    assert list(tmp_path.iterdir()) == []


def _get(url: str) -> tuple[int, str] | None:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return None


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--port", "99999"], ["--port", "99999", "1 to 65535"]),
        (["--port", "0"], ["--port", "0"]),
        (["--port", "http"], ["--port", "'http'"]),
        (["--max-sessions", "0"], ["--max-sessions", "0"]),
        (["--max-sessions", "many"], ["--max-sessions", "many"]),
        (["--host", "no such host!"], ["--host", "no such host!"]),
        (["--lesson", "nosuch"], ["nosuch", "no such lesson"]),
        (["nosuch"], ["nosuch", "no such scenario"]),
        (["moons", "--lesson", "momentum"], ["--lesson", "not both"]),
    ],
)
def test_bad_flags_exit_2_with_one_line_naming_them(flags: list[str], words: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", *flags]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1 and err.startswith("playground: error:")
    for word in words:
        assert word in err


def test_a_port_in_use_is_refused_before_serving(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        t0 = time.monotonic()
        assert main(["serve", "--port", str(port)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.strip() == f"playground: error: --port: {port} is in use on 127.0.0.1; choose another, e.g. --port {port + 1}"
    assert time.monotonic() - t0 < 30


def test_no_other_page_reaches_a_session_and_file_text_is_escaped(tmp_path: Path) -> None:
    """A websocket from another page's origin is refused (403) and starts nothing, one from the
    page's own origin plays; a Host the server does not serve is refused (400); a lesson title
    holding markup reaches the page escaped; every answer forbids framing and sniffing, names no
    server version, and /ws without an upgrade is a 400 with no traceback."""
    lesson = tmp_path / "hostile.toml"
    lesson.write_text(
        '[scenario]\nname = "bowl"\nkind = "surface"\n\n[surface]\nformula = "x**2 + y**2"\nx = [-1.0, 1.0]\n'
        'y = [-1.0, 1.0]\nstart = [0.5, 0.5]\n\n[lesson]\ntitle = "M</title><script>alert(1)</script>"\n\n'
        '[[lesson.part]]\nsay = "hi"\nrun = 1\nexpect = "step == 1"\n'
    )
    with serving("--lesson", str(lesson), cwd=tmp_path) as served:
        status, page = until(lambda: _get(served.url + "/"), START, "the page")
        assert status == 200 and "<script>alert(1)" not in page and "&lt;/title&gt;&lt;script&gt;alert(1)" in page

        async def probe() -> None:
            async with aiohttp.ClientSession() as http:
                async with http.get(served.url + "/") as answer:
                    headers = answer.headers
                    assert "default-src 'self'" in headers["Content-Security-Policy"] and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
                    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
                    assert not any(ch.isdigit() for ch in headers.get("Server", ""))
                async with http.get(served.url + "/", headers={"Host": 'x"><script>alert(2)</script>'}) as answer:
                    assert answer.status == 400 and "<script>" not in await answer.text()
                async with http.get(served.url + "/ws") as answer:
                    assert answer.status == 400
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(f"{served.url}/ws?width=80&height=24", headers={"Origin": "https://evil.example"})
                assert refused.value.status == 403 and served.apps() == []
                ws = await http.ws_connect(f"{served.url}/ws?width=120&height=40", headers={"Origin": served.url})
                await ws.send_str(json.dumps(["resize", {"width": 120, "height": 40}]))
                from serving import Tab

                tab = Tab(ws)
                await tab.wait_for_text("step 0")
                await ws.close()

        asyncio.run(probe())
        until(lambda: served.apps() == [], 20, "the tab's app to end")
        assert "Traceback" not in served.stderr() + served.stdout()


def test_a_served_session_starts_at_most_the_sweep_workers_it_is_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each session's environment bounds its sweeps' processes (--sweep-workers, default 1: the
    sweep runs in the session's own process, no pool); the flag is in `serve --help`."""
    from playground.workers import WORKERS_ENV

    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    assert "--sweep-workers" in capsys.readouterr().out

    with serving(cwd=tmp_path) as served:

        async def session() -> None:
            async with aiohttp.ClientSession() as http:
                tab = await open_tab(http, served)
                await tab.wait_for_text("step 0")
                [pid] = served.apps()
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
                assert f"{WORKERS_ENV}=1".encode() in environ
                await tab.ws.close()

        asyncio.run(session())
