"""The corpus of bad scenario files (tests/corpus/bad_scenarios/): each gives the message that
expected.toml records for it, through the loader, through `playground check` and through
`playground run`: exit status 2, one line on stderr starting `playground: error:`, no traceback.

The CLI is driven in-process for every file (fast), and as a real subprocess for all files at
once (`check`) and for a sample of them (`run`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tomllib
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from playground import scenarios
from playground.cli import main
from playground.errors import ScenarioError

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "bad_scenarios"
EXPECTED: dict[str, dict] = tomllib.loads((CORPUS / "expected.toml").read_text())
BAD = sorted(name for name, e in EXPECTED.items() if "warning" not in e)
WARN = sorted(name for name, e in EXPECTED.items() if "warning" in e)


def test_every_corpus_file_has_an_expectation_and_every_expectation_a_file():
    files = {p.name for p in CORPUS.iterdir() if p.suffix in (".toml", ".bin") and p.name != "expected.toml"}
    assert files == set(EXPECTED)
    assert len(BAD) >= 100


def expected_prefix(path: str, name: str) -> str:
    field = EXPECTED[name].get("field")
    return f"{path}: {field}: " if field else f"{path}: "


def assert_message(text: str, path: str, name: str) -> None:
    e = EXPECTED[name]
    assert "\n" not in text
    prefix = expected_prefix(path, name)
    assert text.startswith(prefix), (text, prefix)
    if "message" in e:
        assert text == prefix + e["message"]
    for fragment in e.get("contains", []):
        assert fragment in text, (fragment, text)


@pytest.mark.parametrize("name", BAD)
def test_bad_file_is_refused_with_its_message(name):
    path = CORPUS / name
    with pytest.raises(ScenarioError) as info:
        scenarios.load_file(path)
    assert info.value.field == EXPECTED[name].get("field")
    assert_message(str(info.value), str(path), name)


@pytest.mark.parametrize("name", WARN)
def test_start_outside_the_domain_is_a_warning_not_an_error(name):
    path = CORPUS / name
    scenario = scenarios.load_file(path)
    assert scenario.warnings == (f"{path}: surface.start: {EXPECTED[name]['warning']}",)


@pytest.mark.parametrize("name", BAD)
@pytest.mark.parametrize("command", ["check", "run"])
def test_bad_file_through_the_cli_exits_2_with_one_line(name, command, capsys, monkeypatch):
    monkeypatch.chdir(CORPUS)  # the paths in the messages are as the person typed them
    code = main([command, name])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("playground: error: ")
    assert_message(lines[0].removeprefix("playground: error: "), name, name)


def test_check_of_a_warned_file_says_ok_and_run_warns(capsys, monkeypatch):
    monkeypatch.chdir(CORPUS)
    [name] = WARN
    assert main(["check", name]) == 0
    out, err = capsys.readouterr()
    assert out == f"{name}: ok\n"
    assert main(["run", name, "--steps", "2", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert err.splitlines() == [f"playground: warning: {name}: surface.start: {EXPECTED[name]['warning']}"]


# ---------------------------------------------------------------- absurd sizes: refused before any memory is taken

ABSURD = ["samples_absurd.toml", "samples_max_int64.toml", "hidden_absurd.toml", "hidden_too_many_layers.toml",
          "classes_absurd.toml", "steps_absurd.toml", "batch_size_absurd.toml", "lbfgs_history_absurd.toml", "huge_integer.toml"]


@pytest.mark.parametrize("name", ABSURD)
def test_absurd_sizes_are_refused_before_any_memory_is_taken(name):
    with pytest.raises(ScenarioError):
        scenarios.load_file(CORPUS / name)  # warm: imports and caches are not what is measured
    tracemalloc.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(ScenarioError):
            scenarios.load_file(CORPUS / name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 2.0
    assert peak < 2_000_000, f"{peak} bytes allocated while refusing {name}"


def test_a_huge_file_is_refused_by_its_size_without_reading_it(tmp_path):
    path = tmp_path / "huge.toml"
    with path.open("wb") as fh:
        fh.truncate(5_000_000_000)  # sparse: takes no disk
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError, match="5000000000 bytes"):
            scenarios.load_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


def test_a_huge_csv_is_refused_by_its_size_without_reading_it(tmp_path):
    (tmp_path / "points.csv").open("wb").truncate(5_000_000_000)
    path = tmp_path / "c.toml"
    path.write_text('[scenario]\nname = "C"\nkind = "classification"\n[dataset]\ngenerator = "csv"\npath = "points.csv"\n')
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError, match="points.csv.* is 5000000000 bytes"):
            scenarios.load_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_special_files_are_never_read(tmp_path):
    with pytest.raises(ScenarioError, match="not a regular file"):
        scenarios.load_file(Path("/dev/zero"))
    path = tmp_path / "c.toml"
    path.write_text('[scenario]\nname = "C"\nkind = "classification"\n[dataset]\ngenerator = "csv"\npath = "/dev/zero"\n')
    with pytest.raises(ScenarioError, match="not a regular file"):
        scenarios.load_file(path)


@pytest.mark.parametrize(("written", "said"), [("a\\u0000b.csv", "contains a NUL character"), ("  ", "is empty")])
def test_a_csv_path_no_file_can_have_is_named(tmp_path, written, said):
    """Found by hypothesis: a NUL in dataset.path made os.stat raise ValueError, a traceback."""
    path = tmp_path / "c.toml"
    path.write_text(f'[scenario]\nname = "C"\nkind = "classification"\n[dataset]\ngenerator = "csv"\npath = "{written}"\n')
    with pytest.raises(ScenarioError, match=f"dataset.path: {said}"):
        scenarios.load_file(path)


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.toml"
    text = (CORPUS / "start_outside_domain.toml").read_text().replace("start = [3.0, 1.0]", "start = [1.0, 1.0]")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert scenarios.load_file(path).title == "Bowl, started off the map"


def test_blank_lines_in_a_csv_keep_the_row_numbers_people_see():
    with pytest.raises(ScenarioError, match="row 5, column y"):  # line 4 of infinite.csv is blank
        scenarios.load_file(CORPUS / "csv_infinite.toml")


def test_a_newline_inside_a_quoted_key_stays_on_one_line(tmp_path):
    path = tmp_path / "nl.toml"
    path.write_text('[scenario]\n"na\\nme" = "x"\n')
    with pytest.raises(ScenarioError) as info:
        scenarios.load_file(path)
    assert str(info.value) == f'{path}: scenario."na\\nme": unknown key (did you mean \'name\'?)'


# ---------------------------------------------------------------- the real console entry, as a subprocess

SAMPLE = ["binary.bin", "syntax_missing_value.toml", "csv_not_a_number.toml", "samples_absurd.toml",
          "formula_code.toml", "unknown_optimizer.toml", "empty.toml", "range_reversed.toml"]


def _cli(args: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PLAYGROUND_SCENARIOS": "", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-m", "playground", *args], cwd=CORPUS, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_of_the_whole_corpus_in_a_real_process_gives_one_line_per_bad_file():
    proc = _cli(["check", *BAD, *WARN])
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("playground: warning: ")]
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("playground: warning: ")]
    assert len(warnings) == len(WARN) and all("outside the plotted domain" in w for w in warnings)
    assert len(lines) == len(BAD), proc.stderr
    for name, line in zip(BAD, lines, strict=True):
        assert line.startswith("playground: error: ")
        assert_message(line.removeprefix("playground: error: "), name, name)
    assert proc.stdout.splitlines() == [f"{name}: ok" for name in WARN]


def test_run_of_a_sample_in_a_real_process_exits_2_with_one_line():
    with ThreadPoolExecutor(2) as pool:
        procs = list(pool.map(lambda n: _cli(["run", n, "--format", "json"]), SAMPLE))
    for name, proc in zip(SAMPLE, procs, strict=True):
        assert proc.returncode == 2, (name, proc.stderr)
        assert proc.stdout == "" and "Traceback" not in proc.stderr
        [line] = proc.stderr.splitlines()
        assert_message(line.removeprefix("playground: error: "), name, name)
