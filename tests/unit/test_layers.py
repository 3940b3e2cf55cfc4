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


def test_the_session_knows_nothing_of_textual_and_loads_torch_only_when_asked():
    loaded = modules_after("import playground.session, playground.keys, playground.limits, playground.formatting")
    assert not {m for m in loaded if m.split(".")[0] in {"textual", "textual_plotext", "rich_pixels"}}
    assert "torch" not in loaded


def test_no_module_of_the_package_imports_itself_back_through_others():
    """Data flows one way: an import circle (imports under `if TYPE_CHECKING:` aside) means two
    modules each need the other, and neither can be read alone."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "playground"
    modules = {".".join(p.relative_to(root.parent).with_suffix("").parts).removesuffix(".__init__"): p for p in root.rglob("*.py")}

    def imports(path: Path) -> set[str]:
        tree = ast.parse(path.read_text())
        skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test) for sub in node.body for n in ast.walk(sub)}
        found = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
        return {m for m in found if m in modules and m != "playground"}

    graph = {m: imports(p) - {m} for m, p in modules.items()}

    def reaches(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo.extend(graph[m])
        return seen

    circles = sorted(m for m in graph if m in reaches(m))
    assert "playground.session" in graph and graph["playground.app"]
    assert not circles, f"modules in an import circle: {circles}"
