"""Every key of the playground, once: the app's bindings, the footer's labels, the help
screen's table, the palette's commands and the README's key table are all made from KEYS (a
test holds the README to it). No Textual here: the app turns the rows into Bindings."""

from __future__ import annotations

import re
from typing import NamedTuple


class Press(NamedTuple):
    key: str  # Textual's name of the key ("space", "left_square_bracket", "plus,equals_sign")
    action: str  # the app's action, with its arguments: "lr(0.5)"
    label: str = ""  # the footer's word; "" keeps it out of the footer
    display: str | None = None  # how the footer writes the key, where Textual's name will not do


class KeyRow(NamedTuple):
    shown: str  # how the help screen and the README write the key(s)
    help: str  # what it does
    presses: tuple[Press, ...] = ()
    palette: str = ""  # the command palette's title; "" for none
    # where the keys act: TYPED on the main screen while no text field has the focus (a field or
    # a dialog takes them as characters); MAIN on the main screen (a dialog has its own); "" the
    # app decides (arrows, escape, q)
    where: str = ""


TYPED, MAIN = "typed", "main"


def row(shown: str, help: str, *presses: Press, palette: str = "", where: str = TYPED) -> KeyRow:
    return KeyRow(shown, help, presses, palette, where)


KEYS: tuple[KeyRow, ...] = (
    row("`space`", "run / pause", Press("space", "toggle_run", "run"), palette="Run / pause"),
    row("`s`", "one step (pauses a run first)", Press("s", "step", "step"), palette="Step"),
    row("`r`", "reset to the start (step 0)", Press("r", "reset", "reset"), palette="Reset"),
    row(
        "`[` / `]`",
        "halve / double the learning rate (from the next step)",
        Press("left_square_bracket", "lr(0.5)", "lr÷2"),
        Press("right_square_bracket", "lr(2)", "lr×2"),
    ),
    row(
        "`-` / `+`",
        "slower / faster auto-run: from 1 step a second up to `max`, as fast as the machine goes",
        Press("minus", "speed(-1)", "slower"),
        Press("plus,equals_sign", "speed(1)", "faster", "+"),
    ),
    row("`l`", "the loss curve's scale: log or linear (by itself it turns log when the loss spans more than three decades; your choice sticks until the scenario changes; the scale is named under the plot)", Press("l", "log", "log"), palette="Toggle log scale"),
    row(
        "`t`",
        "the loss curve's x-axis: steps, or evaluations of the loss and gradient (fair to LBFGS, whose step evaluates many times)",
        Press("t", "x_axis"),
        palette="Loss against steps or evaluations",
    ),
    row("`v`", "the code behind the run: the selected lane as a plain torch script (`e` to a name ending in .py writes it)", Press("v", "code"), palette="The code behind the run (plain torch)"),
    row("`i`", "how the chosen optimizer and loss work: update rule, hyperparameters, when to use them", Press("i", "info", "explain"), palette="Explain optimizer and loss"),
    row("`c`", "compare: race SGD, momentum, Nesterov and Adam from the same start", Press("c", "preset", "compare"), palette="Race (compare): SGD vs momentum vs Nesterov vs Adam"),
    row("`a` / `x`", "add a lane (a copy of the selected one) / remove the selected lane", Press("a", "add_lane"), Press("x", "remove_lane")),
    row("`1` … `6`", "select a lane (or click its row in the scoreboard)", *(Press(str(k), f"select_lane({k - 1})") for k in range(1, 7))),
    row(
        "`n` / `p`",
        "in a lesson: the next part (its settings) / the previous one (replayed from the lesson's start); `1` … `9`, or the arrows and `enter`, answer its question",
        Press("n", "lesson_part(1)"),
        Press("p", "lesson_part(-1)"),
        Press("enter", "choose"),
    ),
    row("`o`", "surfaces: back to the scenario's own start point", Press("o", "original_start"), palette="Original start point"),
    row(
        "arrows",
        "surfaces, with the map focused: move the start point (or click the map)",
        Press("up", "nudge(0, 1)"),
        Press("down", "nudge(0, -1)"),
        Press("left", "nudge(-1, 0)"),
        Press("right", "nudge(1, 0)"),
        where="",
    ),
    row(
        "`g`",
        "inside the optimizer: the gradient, the optimizer's state, and on a surface the curvature with the best lr and momentum for it",
        Press("g", "inside"),
        palette="Inside the optimizer: gradient, state, curvature",
    ),
    row(
        "`m`",
        "datasets: the map, then the loss landscape around the weights (the loss on a plane through them, the path projected onto it) on the path's two principal directions, then on two random filter-normalised ones, then the map again; computed when shown and paused",
        Press("m", "landscape"),
        palette="Loss landscape around the weights",
    ),
    row(
        "`h`",
        "sharpness: every 10 steps the largest eigenvalue of the loss's Hessian, drawn in the loss panel against 2/lr (full-batch gradient descent rises to that edge and then swings around it); again: off",
        Press("h", "sharpness"),
        palette="Sharpness against 2/lr",
    ),
    row("`f`", "presenter mode, for a projector: the plots and a lesson's text fill the screen, without the settings and the footer; `f` again (or `tab`) brings them back", Press("f", "present"), palette="Presenter mode (on / off)"),
    row("`w`", "learning-rate sweep: final loss against lr for the current settings", Press("w", "sweep"), palette="Learning-rate sweep"),
    row(
        "`T`",
        "in a race, a fair comparison: every lane tuned on the same budget of trials, its best setting run over seeds, and a verdict that can say tie; the lanes take their tuned settings",
        Press("T", "tune"),
        palette="Fair comparison: tune every lane, then run over seeds",
    ),
    row("`e`", "export the run, or every lane of a race, to a JSON or CSV file, or the code behind it to a .py file", Press("e", "export"), palette="Export the run (JSON, CSV, or its code as .py)"),
    row("`ctrl+s`", "save the current settings (in a race, every lane) as a scenario file that `playground FILE` reopens", Press("ctrl+s", "save_scenario"), palette="Save the settings (or the race) as a scenario file", where=MAIN),
    row("`M`", "messages: everything the message line said, whole and in order, with the step it was said at", Press("M", "messages"), palette="Messages so far, whole"),
    row("`?`", "help: every key", Press("question_mark", "help", "help"), palette="Keys and help"),
    row("`ctrl+p`", "command palette: switch scenario, optimizer, loss, start a race", where=""),
    row("`tab` / `shift+tab`", "move between the settings", where=""),
    row(
        "`escape`",
        "leave a text field without applying what was typed (`enter` or `tab` applies it), so the keys above act again (the footer dims them while a field has the focus), or close an open dropdown",
        Press("escape", "leave_field"),
        where="",
    ),
    row("`q`", "quit; in a screen over the playground (help, explanation, sweep, a dialog), close that screen as `escape` does", Press("q", "quit", "quit"), where=""),
)

# the palette's extra commands, for the lane keys that have no single row of their own
PALETTE_EXTRA = (("Add a lane with the selected lane's settings", "a", "add_lane"), ("Remove the selected lane", "x", "remove_lane"))

# the footer's first keys: a narrow terminal cuts the footer from the right, and these must stay
FOOTER_FIRST = ("toggle_run", "step", "reset", "help", "quit")


def presses() -> list[Press]:
    """Every press of the table, the footer's first keys first, then in the table's order."""
    every = [p for r in KEYS for p in r.presses]
    return sorted(every, key=lambda p: FOOTER_FIRST.index(p.action) if p.action in FOOTER_FIRST else len(FOOTER_FIRST))


def actions(where: str) -> frozenset[str]:
    """The actions (names without arguments) of the rows that act `where`: the app's check_action."""
    return frozenset(p.action.partition("(")[0] for r in KEYS if r.where == where for p in r.presses)


TYPED_ACTIONS = actions(TYPED)  # a text field or a dialog takes these keys
MAIN_ACTIONS = actions(MAIN)  # a dialog takes these keys


def key_table() -> str:
    """The keys as a Markdown table: the help screen's, and the README's."""
    lines = ["| key | what it does |", "|-----|--------------|"]
    lines += [f"| {r.shown} | {r.help} |" for r in KEYS]
    return "\n".join(lines)


def palette_commands() -> list[tuple[str, str, str]]:
    """(title, the key, action) for the palette, in the table's order."""
    out = [(r.palette, r.shown.replace("`", ""), r.presses[0].action) for r in KEYS if r.palette]
    return out + list(PALETTE_EXTRA)


_NAMED = re.compile(r"\{key:([a-z_]+(?:\([^)]*\))?)\}")


def key_of(action: str) -> str:
    """The key that does `action` ("toggle_run" -> "space", "lesson_part(1)" -> "n"), as the
    footer writes it."""
    for p in presses():
        if p.action == action:
            return p.display or p.key.split(",")[0]
    raise KeyError(action)


def with_keys(text: str) -> str:
    """A session's message in this face's words: each `{key:ACTION}` in it (the session names
    what to do, never a key) becomes the key that does it ("{key:reset} resets" -> "r resets")."""
    if "{key:" not in text:
        return text

    def key(match: re.Match[str]) -> str:
        try:
            return key_of(match.group(1))
        except KeyError:  # not one of ours (a file's name may hold anything): as it was
            return match.group(0)

    return _NAMED.sub(key, text)
