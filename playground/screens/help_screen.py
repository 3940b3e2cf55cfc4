"""The help screen (`?`): every key, and where to read about the optimizer and loss."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from playground.keys import key_table
from playground.screens.page import Page

HELP = "# Keys\n\n" + key_table() + """

# Settings

Type a value into a field and press `enter` (or `tab` to the next field) to apply it; `escape`
leaves the field as it was. Learning rates
can be written `0.001` or `1e-3`. A value that is not valid is marked with a message and the
run keeps its last valid value. Changing a hyperparameter keeps the optimizer's state (its
momentum, its moment estimates); changing the optimizer or the loss keeps the parameters and
starts a fresh optimizer; changing the scenario or the seed starts over.

Below the hyperparameters, the learning-rate schedule (its parameters appear when you pick one;
a schedule picked mid-run starts from the current step) and `clip gradient norm` (0 = off).

# Reading the screen

The map shows the surface's height (dark is low) with the path the optimizer took: `○` the
start, `●` where it is now, `×` the known minima; with `g`, two short arrows from `●`: orange
the way plain gradient descent would step (−g), violet the way the optimizer's momentum pushes
(−b, SGD's momentum buffer b, or Adam's −m). For a dataset it shows which class the model
predicts where, the training points `●` and the test points `×`. The loss curve below marks
each change of a setting with a vertical line, and the learning rate, where it changes (a
schedule, or `[` and `]`), as a green line scaled into the plot, from its highest value at the
top to its lowest at the bottom. Auto-run stops by itself when the gradient
norm falls below the scenario's tolerance (converged), at the scenario's step budget (press
`space` to go on), or when the loss stops being a finite number (diverged).

In a race (`c`, or `a` to add a lane) every lane starts from the same point and seed, and
`space`, `s` and `r` act on all of them. Each lane has its colour on the map, in the loss curve
and in the scoreboard, which says each lane's loss, the step at which it first came within the
race's tolerance, and whether it diverged. The map of a dataset shows the selected lane's
predictions.

Press `escape` to close.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "close", priority=True),
        Binding("question_mark", "dismiss", "close", show=False, priority=True),
    ]

    def action_close(self) -> None:  # q, over the playground, closes this screen (the app's quit)
        self.dismiss()

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Page(HELP)
