"""Running the TUI tests: async tests and torch's warm-up. The helpers are in tui_helpers.py.

Async tests are run here with `asyncio.run` (no asyncio plugin is needed), each under a time
limit so a stuck worker fails the test instead of hanging the suite. torch's one-time costs
(the first optimizer step) are paid once per session, not inside some test's timing.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest

from playground.engine import warm_up

TEST_SECONDS = 60  # the most one async test may take, unless it says otherwise (`seconds`)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    kwargs = {name: pyfuncitem.funcargs[name] for name in names}
    limit = getattr(pyfuncitem.obj, "seconds", TEST_SECONDS)
    asyncio.run(asyncio.wait_for(pyfuncitem.obj(**kwargs), limit))
    return True


@pytest.fixture(scope="session", autouse=True)
def _torch_warm() -> None:
    warm_up()


@pytest.fixture(autouse=True)
def _no_user_scenarios(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    """Only the bundled scenarios: a user's own rosenbrock.toml must not change a snapshot."""
    monkeypatch.setenv("PLAYGROUND_SCENARIOS", "")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "config"))
