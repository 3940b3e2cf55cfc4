"""The footer of keys at the bottom of the screen: Textual's, with a steady set of keys where
Textual's internals are known (playground.textual_fixes), else Textual's own `Footer`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.widgets import Footer

from playground import textual_fixes

if TYPE_CHECKING:
    from textual.screen import Screen


class Key(NamedTuple):
    """A key as the footer draws it."""

    key: str
    action: str
    description: str
    enabled: bool
    tooltip: str
    binding: Binding


def footer_keys(screen: Screen) -> tuple[Key, ...]:
    """The keys the footer shows for `screen`, in the app's order, the palette's last.

    Textual leaves out of a screen's active keys those the focused widget takes (a text field
    takes letters), so its footer loses and regains most keys on every move in and out of a
    field, and each time mounts them all again and re-lays out the screen. Here the app's own
    keys stay, dimmed while a field takes them, which also says what a person sees: those keys
    type into the field for now."""
    app = screen.app
    active = {binding.action: (binding, enabled, tooltip) for _, binding, enabled, tooltip in reversed(screen.active_bindings.values()) if binding.show}
    shown: dict[str, tuple[Binding, bool, str]] = {}
    if screen is app.screen_stack[0]:  # the main screen: every key of the app's
        for _, binding in BindingsMap(getattr(type(app), "BINDINGS", ())):  # the app's own, one per key
            if binding.show and binding.action not in shown:
                shown[binding.action] = active.get(binding.action, (binding, False, binding.tooltip))
    for action, entry in reversed(active.items()):  # a screen's or a widget's own keys
        shown.setdefault(action, entry)
    keys = [Key(b.key, b.action, b.description, enabled, tooltip, b) for b, enabled, tooltip in shown.values() if b.key != app.COMMAND_PALETTE_BINDING]
    palette = screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)
    if palette is not None and app.ENABLE_COMMAND_PALETTE:
        _, binding, enabled, tooltip = palette
        keys.append(Key(binding.key, binding.action, binding.description, enabled, binding.tooltip or binding.description, binding))
    return tuple(keys)


class KeyFooter(Footer):
    """Textual's footer with a steady set of keys, rebuilt only when that set changes.

    Textual's own footer mounts all its keys again on every change of focus; under a burst of
    tab presses that left the app seconds behind the keyboard. Here a change of focus at most
    dims or lights keys in place.
    """

    _shown: tuple[Key, ...] | None = None

    @staticmethod
    def available() -> bool:
        """Where Textual's internals are not known, the app uses Textual's own Footer instead."""
        return textual_fixes.footer_key_class() is not None

    def on_mount(self) -> None:
        super().on_mount()
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def on_unmount(self) -> None:
        super().on_unmount()
        self.app.screen_change_signal.unsubscribe(self)

    def _screen_changed(self, screen: Screen) -> None:
        if screen is self.screen:  # back from a dialog
            self.bindings_changed(screen)

    def compose(self) -> ComposeResult:
        if not textual_fixes.footer_ready(self):
            return
        FooterKey = textual_fixes.footer_key_class()  # noqa: N806
        for k in self._shown or footer_keys(self.screen):
            palette = k.key == self.app.COMMAND_PALETTE_BINDING
            footer_key = FooterKey(k.key, self.app.get_key_display(k.binding), k.description, k.action, disabled=not k.enabled, tooltip=k.tooltip, classes="-command-palette" if palette else "")
            if not palette:
                # the footer's compactness from the start: bound (data_bind), a key is made
                # compact as it mounts, then not, each a restyle: 25 keys, 12 ms a footer
                footer_key.set_reactive(type(footer_key).compact, self.compact)
            yield footer_key

    def bindings_changed(self, screen: Screen) -> None:
        if screen is not screen.app.screen:  # under a dialog, which disables most keys: wait for it to close
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown, before = footer_keys(screen), self._shown
            if shown == before:
                return
            self._shown = shown
            if before is not None and [k[:3] for k in shown] == [k[:3] for k in before] and self._relight(shown):
                return
        super().bindings_changed(screen)

    def _relight(self, shown: tuple[Key, ...]) -> bool:
        """Dim or light the keys drawn; False when they are not all there (still mounting)."""
        state: dict[tuple[str, str], Any] = {(k.key, k.action): k for k in shown}
        drawn = list(self.query("FooterKey"))
        if len(drawn) != len(state) or any((d.key, d.action) not in state for d in drawn):
            return False
        for d in drawn:
            k = state[(d.key, d.action)]
            textual_fixes.dim(d, not k.enabled)
            d.set_class(not k.enabled, "-disabled")
            d.tooltip = k.tooltip or None
        return True
