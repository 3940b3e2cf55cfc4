"""The engine knows nothing of Textual, and the app's first frame does not wait for torch."""

import subprocess
import sys


def modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_engine_and_cli_never_import_textual():
    loaded = modules_after("import playground.engine, playground.report, playground.cli, playground.scenarios")
    assert "torch" in loaded
    assert not {m for m in loaded if m == "textual" or m.startswith("textual.")}


def test_app_module_imports_without_torch():
    loaded = modules_after("import playground.app")
    assert "textual" in loaded
    assert "torch" not in loaded


def test_every_screen_and_what_it_reads_on_the_ui_thread_imports_without_torch():
    """While torch loads in its thread, an import of torch from the UI thread waits for the
    whole of it: pressing `w` (the sweep) froze the app for seconds. Whatever a key can open
    before the engine is ready must come without torch."""
    screens = ", ".join(f"playground.screens.{name}" for name in ("help_screen", "info_screen", "save_screen", "sweep_screen"))
    loaded = modules_after(f"import playground.app, playground.sweep, playground.scenario_file, {screens}")
    assert "playground.screens.sweep_screen" in loaded and "playground.sweep" in loaded
    assert "torch" not in loaded
