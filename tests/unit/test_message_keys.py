"""The session's messages name what to do, never a key; the face writes its keys in (keys.with_keys)."""

from __future__ import annotations

import re
from pathlib import Path

from playground import keys
from playground.keys import with_keys

# the session and the modules that hold its operations' bodies
SESSION = "\n".join(Path(keys.__file__).with_name(name).read_text() for name in ("session.py", "racing.py", "editing.py", "lesson_parts.py", "loading.py"))


def test_every_action_a_message_names_has_a_key_and_is_written_as_the_footer_writes_it() -> None:
    named = set(re.findall(r"\{\{?key:([a-z_]+(?:\([^)]*\))?)\}", SESSION))
    assert {"reset", "toggle_run", "landscape", "lesson_part(1)"} <= named
    for action in named:
        assert with_keys("{key:%s}" % action) == keys.key_of(action)
    assert with_keys("press {key:reset} to reset; {key:toggle_run} runs on") == "press r to reset; space runs on"
    assert with_keys("{key:lesson_part(-1)} goes back") == "p goes back"


def test_a_message_without_a_known_action_is_left_as_it_was() -> None:
    text = "cannot read '{key:nothing}.toml' {braces}"
    assert with_keys(text) == text


def test_the_session_writes_no_key_in_its_messages() -> None:
    code = re.sub(r'"""(.|\n)*?"""', "", SESSION)  # docstrings name keys for the reader, not the person
    literals = re.findall(r'"([^"\n]*)"', code)
    keyish = [t for t in literals if re.search(r"\b(press [a-z]\b|space (runs|trains)|[a-z] (goes|adds|races|removes|shows|select) )|(^|[·;:(] )[a-z0-9]: ", t)]
    assert keyish == []
