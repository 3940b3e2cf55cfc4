"""How to add an extra (the zoo's pytorch-optimizer) to this copy of the playground, as it was
installed. Nothing here imports the extra."""

from __future__ import annotations


def install_command() -> str:
    """The command that adds the zoo to this copy of the playground, as it was installed: an
    editable install (the README's `bash scripts/play`, or `pip install -e .`) with its own venv's
    pip, `.venv/bin/pip install -e '.[zoo]'` from the project's folder; else the package's extra."""
    import json
    import sys
    from importlib import metadata
    from pathlib import Path
    from urllib.parse import unquote, urlparse

    def near(path: Path) -> str:  # relative to where the person is, when it is under it
        try:
            return str(path.relative_to(Path.cwd())) or "."
        except ValueError:
            return str(path)

    pip = Path(sys.executable).with_name("pip")  # the venv's own pip: the one that installs here
    pip_word = near(pip) if pip.exists() else f"{near(Path(sys.executable))} -m pip"
    info: object = {}
    for dist in metadata.distributions(name="playground"):  # the project's own .egg-info may come first: no record
        try:
            info = json.loads(dist.read_text("direct_url.json") or "{}")
        except (ValueError, OSError):
            continue
        if info:
            break
    url = str(info.get("url", "")) if isinstance(info, dict) else ""
    if isinstance(info, dict) and (info.get("dir_info") or {}).get("editable") and url.startswith("file://"):
        return f"{pip_word} install -e '{near(Path(unquote(urlparse(url).path)))}[zoo]'"
    return f"{pip_word} install 'playground[zoo]'"
