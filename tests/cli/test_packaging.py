"""The bundled scenarios live at the top of the repository, in scenarios/; a wheel carries every
one of them, and the package installed from that wheel finds them there, away from the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_wheel_carries_every_bundled_scenario_and_finds_them_when_installed(tmp_path: Path) -> None:
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT), "-w", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    wheel = next(tmp_path.glob("playground-*.whl"))
    want = sorted(str(p.relative_to(ROOT / "scenarios")) for p in (ROOT / "scenarios").rglob("*.toml"))
    assert len(want) >= 14 + 8  # the scenarios, and the lessons in scenarios/lessons/
    with zipfile.ZipFile(wheel) as z:
        carried = sorted(n.removeprefix("playground/bundled_scenarios/") for n in z.namelist() if n.startswith("playground/bundled_scenarios/") and n.endswith(".toml"))
        z.extractall(tmp_path / "site")
    assert carried == want
    with zipfile.ZipFile(wheel) as z:  # the page `playground serve` serves, and its busy answer
        assert {"playground/web/page.html", "playground/web/busy.html"} <= set(z.namelist())
    code = (
        "from playground import scenarios, lessons; print(scenarios.BUNDLED_DIR); print(' '.join(sorted(e.name for e in scenarios.list_entries())))\n"
        "print(' '.join(p.stem for p in lessons.list_lessons()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site"), "HOME": str(tmp_path)}, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    folder, names, lesson_names = out.stdout.splitlines()
    assert Path(folder) == tmp_path / "site" / "playground" / "bundled_scenarios"
    assert set(names.split()) >= {name.removesuffix(".toml") for name in want if "/" not in name}
    assert set(lesson_names.split()) == {name.removeprefix("lessons/").removesuffix(".toml") for name in want if name.startswith("lessons/")}


def _fake_venv(folder: Path, log: Path) -> None:
    """A venv whose python, pip and playground only note that they ran."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "pip", "playground"):
        tool = bin_dir / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n')
        tool.chmod(0o755)


def test_a_set_up_venv_is_not_set_up_again_until_pyproject_changes(tmp_path: Path) -> None:
    """scripts/setup (which scripts/play runs before each launch) checked `import torch` and ran
    pip every time: 18 s a launch. With its stamp matching pyproject.toml it runs nothing; a
    changed pyproject.toml (or none stamped) installs again, saying each stage in a line."""
    import hashlib
    import subprocess

    root = Path(__file__).resolve().parents[2]
    venv, log = tmp_path / "venv", tmp_path / "ran.log"
    _fake_venv(venv, log)
    digest = hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest()
    env = {**__import__("os").environ, "PLAYGROUND_VENV": str(venv)}

    def setup(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", str(root / "scripts" / "setup"), *extra], env=env, capture_output=True, text=True, timeout=60)

    (venv / ".playground-installed").write_text(f"{digest} test\n")
    for extra in ((), ("test",)):
        done = setup(*extra)
        assert done.returncode == 0 and not log.exists(), (done.stderr, log.read_text() if log.exists() else "")
    (venv / ".playground-installed").write_text(f"{'0' * 64} test\n")  # another pyproject.toml
    done = setup()
    assert done.returncode == 0
    ran = log.read_text()
    assert "pip install" in ran and "-e ." in ran
    assert "scripts/setup: installing playground" in done.stderr
    assert (venv / ".playground-installed").read_text().split() == [digest]
