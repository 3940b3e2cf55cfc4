"""The status line: step, loss, gradient norm, lr, speed and state, then the latest message.

`step N` is written literally with a plain integer: scripts and tests read it off the screen.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from playground.formatting import num as _num
from playground.formatting import rate as per_second


class StatusLine(Static):
    _shown: str | None = None  # the text on screen, so that an equal one is not drawn again

    def show(
        self,
        step: int,
        loss: float | None,
        grad_norm: float | None,
        lr: float | None,
        state: str,
        speed: str,
        rate: float | None,
        message: str = "",
        accuracy: float | None = None,
    ) -> None:
        parts = [f"step {step}"]
        parts.append(f"loss {_num(loss)}" if loss is not None else "loss …")
        if accuracy is not None:
            parts.append(f"acc {accuracy:.1%}")
        if grad_norm is not None:
            parts.append(f"|grad| {_num(grad_norm)}")
        if lr is not None:
            parts.append(f"lr {lr:g}")
        measured = f" ({per_second(rate, 'step')})" if rate else ""
        line = fit_line(parts, f"speed {speed}", measured, state, self.size.width - 2)
        text = line + ("\n" + message if message else "\n")
        if text == self._shown:
            return
        self._shown = text
        # the message may quote a typed value or a path: plain text, never markup. The line is
        # two rows high whatever it says (app.tcss), so it is repainted without a new layout of
        # the screen, which would cost ~3 ms a frame
        self.update(Text(text, no_wrap=True, overflow="ellipsis"), layout=False)


def fit_line(parts: list[str], speed: str, measured: str, state: str, width: int) -> str:
    """The status line in `width` columns, never wrapped: the separators close up first, then
    the measured rate goes, then the speed setting; the state always stays."""
    for sep, tail in (("  ·  ", [speed + measured]), (" · ", [speed + measured]), (" · ", [speed]), (" · ", [])):
        line = sep.join([*parts, *tail, state])
        if width <= 0 or len(line) <= width:
            return line
    return line
