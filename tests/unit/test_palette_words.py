"""The command palette finds an entry by the word a person types: "race" finds the preset race
(it was only "Compare: ..."), and the export entry says it writes the code as .py too."""

from __future__ import annotations

from playground import keys


def test_race_finds_the_race_and_export_names_every_format() -> None:
    titles = {title: action for title, _, action in keys.palette_commands()}
    assert any("race" in title.lower() and action == "preset" for title, action in titles.items())
    export = [title for title, action in titles.items() if action == "export"]
    assert export and all(word in export[0] for word in ("JSON", "CSV", ".py"))
