"""The footer of keys at the bottom of the screen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen


def shown_keys(screen: Screen) -> tuple[Any, ...]:
    """What the footer draws for `screen`: each shown binding, whether it is enabled, its tooltip."""
    return tuple(
        (key, binding.action, binding.description, binding.group, enabled, tooltip)
        for key, (_, binding, enabled, tooltip) in screen.active_bindings.items()
        if binding.show or key == screen.app.COMMAND_PALETTE_BINDING
    )


class KeyFooter(Footer):
    """Textual's footer, rebuilt only when the keys it shows change.

    Textual's own footer mounts all its keys again on every change of focus, which costs a few
    milliseconds each time and, under a burst of tab presses, left the app seconds behind the
    keyboard. Most focus changes leave the shown keys as they were.
    """

    _shown: tuple[Any, ...] | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def on_unmount(self) -> None:
        super().on_unmount()
        self.app.screen_change_signal.unsubscribe(self)

    def _screen_changed(self, screen: Screen) -> None:
        if screen is self.screen:  # back from a dialog
            self.bindings_changed(screen)

    def bindings_changed(self, screen: Screen) -> None:
        if screen is not screen.app.screen:  # under a dialog, which disables most keys: wait for it to close
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            shown = shown_keys(screen)
            if shown == self._shown:
                return
            self._shown = shown
        super().bindings_changed(screen)
