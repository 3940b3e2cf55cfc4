"""What the session writes out: the run (or a race) as JSON or CSV, the code behind it as a
plain torch script, the settings as a scenario file, and the names they get. No UI here."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from playground.errors import PlaygroundError

if TYPE_CHECKING:
    from playground.session import Session


def export_text(session: Session, path: Path) -> str:
    """The run, or every lane of a race, as JSON or CSV (the format follows the name)."""
    from playground import report

    suffix = path.suffix.lower()
    if suffix == ".py":
        return code_text(session)
    if suffix not in (".json", ".csv"):
        raise PlaygroundError(f"{path.name}: end the name in .json, .csv or .py, the format to write")
    assert session.race is not None and session.run is not None
    with ExitStack() as held:  # a consistent picture while auto-run goes on
        for run in session.lanes:
            held.enter_context(run.lock)
        if session.racing:
            return report.race_to_json(session.race) if suffix == ".json" else report.race_to_csv(session.race)
        return report.to_json(session.run) if suffix == ".json" else report.to_csv(session.run)


def code_text(session: Session) -> str:
    """The code behind the selected lane's run: a plain torch script (playground.python_script)."""
    from playground.python_script import script

    assert session.run is not None
    run = session.run
    if run.step_count == 0 and run.raised is None:  # nothing has run: the run its settings make, to the budget
        return script(session.scenario, session.config, run.start)
    with run.lock:
        return script(session.scenario, run.config, run.start, list(run.timeline), run.step_count, run.raised)


def code_caveat(session: Session) -> str:
    """Why the code behind the selected lane's run cannot reproduce it, or "" (it can)."""
    from playground.python_script import replay_caveat

    run = session.run
    return "" if run is None else replay_caveat(run.raised, run.step_count)


def export_name(session: Session) -> str:
    who = "race" if session.racing else session.config.optimizer
    return f"{session.scenario.name}-{who}-step{session.step_count}.json"


def scenario_text(session: Session) -> str:
    """The scenario with the current settings and start, as TOML that reopens the same way."""
    from playground.scenario_file import to_toml

    start = session.run.start if session.run is not None else None
    if session.racing:  # the whole race: its lanes in [race], the selected one's settings as the defaults
        return to_toml(session.scenario, session.config, start, [lane.config for lane in session.lanes], session.lane_index + 1)
    return to_toml(session.scenario, session.config, start)
