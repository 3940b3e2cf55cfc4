"""The only module that reaches into Textual's private details: guards for Textual 8.2.8 bugs
the app can reach by a key, for costs a burst of keys makes add up (a layout or a repaint of the
whole screen where one widget changed), and the footer's steady keys. Kept in one place, each
with the key that reaches it, so they can go when Textual changes (textual is pinned in
pyproject).

They are applied only on the Textual releases they were read from (`WRITTEN_FOR`, checked at run
time), and never with PLAYGROUND_PLAIN_TEXTUAL=1 in the environment: then the app runs on
Textual's public API alone (Textual's own footer, no guards), as the tests check.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import textual
from textual.widget import Widget
from textual.widgets import OptionList

WRITTEN_FOR = ("8.2.",)  # Textual releases whose internals these were read from


def _version() -> str:
    """Textual's version, from the name of its metadata's folder beside it (textual-8.2.8.dist-info,
    as pip installs it): `textual.__version__` asks importlib.metadata, whose import is 6 ms of
    the first frame. That way where the folder is not there."""
    site = Path(textual.__file__).parent.parent
    for folder in site.glob("textual-*.dist-info"):
        return folder.name.removeprefix("textual-").removesuffix(".dist-info")
    return str(getattr(textual, "__version__", ""))


_VERSION = _version()


def active() -> bool:
    """Whether the private shortcuts apply: a known Textual, PLAYGROUND_PLAIN_TEXTUAL not 1."""
    if os.environ.get("PLAYGROUND_PLAIN_TEXTUAL", "") == "1":
        return False
    return _VERSION.startswith(WRITTEN_FOR)


def footer_key_class() -> Any:
    """Textual's FooterKey (not exported: textual.widgets._footer), for the footer of steady
    keys; None where the shortcuts are off (the app then uses Textual's own Footer)."""
    if not active():
        return None
    try:
        from textual.widgets._footer import FooterKey
    except ImportError:
        return None
    return FooterKey


def footer_ready(footer: Widget) -> bool:
    """Textual's Footer composes its keys only once its bindings are known (a private flag)."""
    return bool(getattr(footer, "_bindings_ready", True))


def dim(key: Widget, dimmed: bool) -> None:
    """Dim or light a footer key in place: its private flag, without the `disabled` reactive's
    restyle of everything under it (each tab would restyle the footer); the public way where
    the shortcuts are off."""
    if active() and hasattr(key, "_disabled"):
        key._disabled = dimmed
    else:
        key.disabled = dimmed


def _guard_option_list_paging() -> None:
    """pageup/pagedown in an OptionList whose lines are not laid out yet (a dropdown just
    opened, the command palette's list while it fills) raises KeyError in `_move_page`.
    Paging there has nothing to move to yet: do nothing."""
    move_page = OptionList._move_page

    def guarded(self: OptionList, direction: Any) -> None:
        if (self.highlighted or 0) not in self._index_to_line:
            return
        move_page(self, direction)

    if not getattr(move_page, "_playground_guard", False):
        guarded._playground_guard = True  # type: ignore[attr-defined]
        OptionList._move_page = guarded  # type: ignore[method-assign]


def _guard_command_palette_search() -> None:
    """Typing into the command palette (ctrl+p) and closing it at once (escape) can leave its
    search worker starting after the palette's list is gone: NoMatches, and the worker's error
    ends the app. A search for a closed palette has nowhere to show: let it end quietly."""
    from textual import work
    from textual.command import CommandPalette
    from textual.css.query import NoMatches

    gather = CommandPalette._gather_commands
    raw = getattr(gather, "__wrapped__", None)
    if raw is None or getattr(gather, "_playground_guard", False):
        return

    async def guarded(self: CommandPalette, search_value: str) -> None:
        try:
            await raw(self, search_value)
        except NoMatches:  # the palette's widgets are gone: it is closing
            pass

    decorated = work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)(guarded)
    decorated._playground_guard = True  # type: ignore[attr-defined]
    CommandPalette._gather_commands = decorated  # type: ignore[method-assign]


def _guard_command_palette_reopen() -> None:
    """ctrl+p, escape, ctrl+p in quick succession: the closing palette still holds its id while
    the new one registers, and DuplicateIds ends the app. That press opens nothing instead."""
    from textual._node_list import DuplicateIds
    from textual.app import App

    open_palette = App.action_command_palette
    if getattr(open_palette, "_playground_guard", False):
        return

    def guarded(self: App) -> None:
        try:
            open_palette(self)
        except DuplicateIds:  # the last palette is still closing
            pass

    guarded._playground_guard = True  # type: ignore[attr-defined]
    App.action_command_palette = guarded  # type: ignore[method-assign]


def _guard_command_palette_watchers() -> None:
    """The palette's busy and list flags can change after its widgets are gone (a search ending
    as escape closes it): NoMatches, and the app ended. A closing palette has nothing to show."""
    from textual.command import CommandPalette
    from textual.css.query import NoMatches

    show_busy, list_visible = CommandPalette._watch__show_busy, CommandPalette._watch__list_visible
    if getattr(show_busy, "_playground_guard", False):
        return

    async def guarded_busy(self: CommandPalette) -> None:
        try:
            await show_busy(self)
        except NoMatches:  # the palette's widgets are gone: it is closing
            pass

    def guarded_list(self: CommandPalette) -> None:
        try:
            list_visible(self)
        except NoMatches:
            pass

    guarded_busy._playground_guard = True  # type: ignore[attr-defined]
    CommandPalette._watch__show_busy = guarded_busy  # type: ignore[method-assign]
    CommandPalette._watch__list_visible = guarded_list  # type: ignore[method-assign]


def _guard_closed_dropdown_focus() -> None:
    """A dropdown (Select) opened and closed by keys faster than the screen refreshes: opening
    asks for the focus of its list after the refresh, and the list, hidden by then, took the
    keys that followed. Its list may take the focus only while the dropdown is open."""
    from textual.widget import Widget
    from textual.widgets import Select
    from textual.widgets._select import SelectOverlay

    if getattr(SelectOverlay.allow_focus, "_playground_guard", False):
        return

    def allow_focus(self: SelectOverlay) -> bool:
        return Widget.allow_focus(self) and (not isinstance(self.parent, Select) or self.parent.expanded)

    allow_focus._playground_guard = True  # type: ignore[attr-defined]
    SelectOverlay.allow_focus = allow_focus  # type: ignore[method-assign]


def _guard_keys_after_quit() -> None:
    """Keys (or clicks) arriving just after q: the closing app has removed its screens, and
    finding where the key goes raised ScreenStackError, a traceback on the way out. A closing
    app has nothing left to do with input."""
    from textual import events
    from textual.app import App

    on_event = App.on_event
    if getattr(on_event, "_playground_guard", False):
        return

    async def guarded(self: App, event: events.Event) -> None:
        if isinstance(event, events.InputEvent) and not self._screen_stack:
            return
        await on_event(self, event)

    guarded._playground_guard = True  # type: ignore[attr-defined]
    App.on_event = guarded  # type: ignore[method-assign]


def _quiet_input_typing() -> None:
    """Every character typed into an Input changes its virtual size, a reactive that re-lays out
    the whole screen: about 15 ms a key on the settings panel, where a field's size never
    changes. A fixed-size field only needs repainting; one sized by its content still lays out."""
    from textual.geometry import Size
    from textual.widgets import Input

    watch_value = Input._watch_value
    if getattr(watch_value, "_playground_guard", False):
        return

    def quiet(self: Input, value: str) -> None:
        if not self.styles.auto_dimensions:
            self.set_reactive(Input.virtual_size, Size(self.content_width, 1))  # as Input sets it
            self.refresh()
        watch_value(self, value)

    quiet._playground_guard = True  # type: ignore[attr-defined]
    Input._watch_value = quiet  # type: ignore[method-assign]


def _focus_repaints_only_what_changes() -> None:
    """A change of focus repainted the whole screen (Screen.focused is a reactive that repaints
    its screen): 30 ms and more on ours, for each tab. The widgets that gain and lose the focus
    restyle and repaint themselves, and so do those whose look depends on it (:focus-within)."""
    from textual.screen import Screen

    Screen.focused._repaint = False  # type: ignore[attr-defined]


def _styles_cache_keeps_no_widget() -> None:
    """Every screen opened and closed (help, the code, the palette) kept its widgets' rendered
    lines: Textual's StylesCache.get_inner_outer is an lru_cache on a method, so its key holds each
    widget's StylesCache (and the lines cached in it) until 1,024 entries push it out, 0.6-0.8 MB
    for each opening of the help screen. The same two colours give the same two styles whatever
    the widget: cached on the colours alone."""
    from functools import lru_cache

    from textual.style import Style
    from textual._styles_cache import StylesCache

    if getattr(StylesCache.get_inner_outer, "_playground_guard", False):
        return

    @lru_cache(1024)
    def inner_outer(base_background: Any, background: Any) -> tuple[Style, Style]:
        return Style(background=base_background + background), Style(background=base_background)

    def get_inner_outer(self: StylesCache, base_background: Any, background: Any) -> tuple[Style, Style]:
        return inner_outer(base_background, background)

    get_inner_outer._playground_guard = True  # type: ignore[attr-defined]
    StylesCache.get_inner_outer.cache_clear()  # type: ignore[attr-defined]
    StylesCache.get_inner_outer = get_inner_outer  # type: ignore[method-assign]


def apply() -> None:
    """Apply every guard; nothing where the shortcuts are off (see `active`)."""
    if not active():
        return
    _guard_option_list_paging()
    _guard_closed_dropdown_focus()
    _guard_command_palette_search()
    _guard_command_palette_reopen()
    _guard_command_palette_watchers()
    _guard_keys_after_quit()
    _quiet_input_typing()
    _focus_repaints_only_what_changes()
    _styles_cache_keeps_no_widget()
