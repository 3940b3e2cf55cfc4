"""Textual's private details are reached from playground/textual_fixes.py only, on the releases
they were read from; elsewhere (or with PLAYGROUND_PLAIN_TEXTUAL=1) the app runs on Textual's
public API alone."""

from __future__ import annotations

import subprocess
import sys

import pytest
import textual
from textual.widgets import Footer
from tui_helpers import main_screen, open_app, press, shown_step, wait_until

from playground import textual_fixes
from playground.widgets.key_footer import KeyFooter


def test_the_shortcuts_apply_only_to_the_textual_they_were_read_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLAYGROUND_PLAIN_TEXTUAL", raising=False)
    assert textual_fixes.active() and textual_fixes.footer_key_class() is not None
    monkeypatch.setattr(textual_fixes, "_VERSION", "9.0.0")
    assert not textual_fixes.active() and textual_fixes.footer_key_class() is None
    monkeypatch.setattr(textual_fixes, "_VERSION", "8.2.8")
    monkeypatch.setenv("PLAYGROUND_PLAIN_TEXTUAL", "1")
    assert not textual_fixes.active()


def test_the_version_read_without_importlib_metadata_is_textuals_own(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    assert textual_fixes._version() == textual.__version__
    # installed some other way (no dist-info folder beside it): Textual's own answer
    monkeypatch.setattr(textual, "__file__", str(tmp_path / "textual" / "__init__.py"))
    assert textual_fixes._version() == textual.__version__


def test_with_plain_textual_no_guard_is_applied() -> None:
    code = (
        "from textual.widgets import OptionList\n"
        "from textual.app import App\n"
        "import playground.app\n"
        "assert not getattr(OptionList._move_page, '_playground_guard', False)\n"
        "assert not getattr(App.on_event, '_playground_guard', False)\n"
        "from textual._styles_cache import StylesCache\n"
        "assert not getattr(StylesCache.get_inner_outer, '_playground_guard', False)\n"
        "print('plain')\n"
    )
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**__import__("os").environ, "PLAYGROUND_PLAIN_TEXTUAL": "1"}, timeout=120)
    assert plain.returncode == 0 and plain.stdout.strip() == "plain", plain.stderr
    env = {k: v for k, v in __import__("os").environ.items() if k != "PLAYGROUND_PLAIN_TEXTUAL"}
    guarded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert guarded.returncode != 0  # the same check fails where the guards are on: it can fail


async def test_on_textuals_public_api_the_app_has_textuals_footer_and_its_keys_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYGROUND_PLAIN_TEXTUAL", "1")
    async with open_app("rosenbrock", size=(120, 40)) as (app, pilot):
        footer = main_screen(app).query_one(Footer)
        assert not isinstance(footer, KeyFooter)
        await wait_until(pilot, lambda: {"run", "step", "quit"} <= {str(k.description) for k in footer.query("FooterKey")}, what="Textual's footer with the keys")
        await press(pilot, "s", "s")
        await wait_until(pilot, lambda: shown_step(app) == 2, what="two steps")
        field = main_screen(app).query_one("#field-lr")
        field.focus()
        await wait_until(pilot, lambda: field.has_focus, what="a field focused")
        await press(pilot, "escape")
        await wait_until(pilot, lambda: not field.has_focus, what="escape to leave the field")
        await press(pilot, "q")
        await wait_until(pilot, lambda: not app.is_running or app.return_code is not None, what="q to quit")


def test_dimming_a_key_uses_the_public_flag_where_the_shortcuts_are_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLAYGROUND_PLAIN_TEXTUAL", raising=False)
    class Key:
        disabled = False
        _disabled = False

    key = Key()
    textual_fixes.dim(key, True)  # type: ignore[arg-type]
    assert key._disabled and not key.disabled
    monkeypatch.setenv("PLAYGROUND_PLAIN_TEXTUAL", "1")
    other = Key()
    textual_fixes.dim(other, True)  # type: ignore[arg-type]
    assert other.disabled and not other._disabled
