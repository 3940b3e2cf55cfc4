"""Lessons: a scenario file with a [lesson] table and one [[lesson.part]] table per part, played
on a Session (never through keys) and checked headless.

A part says something, applies settings (`set`, or `lanes` for a race), may ask a question, trains
`run` steps, and may `expect` a condition of what then holds. A condition is data, never code: it
is parsed with `ast` and checked against a whitelist (numbers, the names below, comparisons, and,
or, not, parentheses), then evaluated here by walking that tree; nothing is passed to eval.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from playground import limits, scenarios
from playground.errors import ConfigError, ScenarioError, closest
from playground.formatting import printable
from playground.scenarios import Reader, Scenario
from playground.settings import RunConfig, parse_run, resolve

if TYPE_CHECKING:
    from playground.engine import Run

LESSONS_DIR = scenarios.BUNDLED_DIR / "lessons"
PART_KEYS = ("say", "scenario", "set", "lanes", "reset", "run", "ask", "choices", "answer", "expect", "explain")
RUN_KEYS = ("optimizer", "loss", "schedule", "clip", "seed", "batch_size", "start")  # `set`'s keys beside hyperparameters
RUN_STEPS = 100_000  # the most steps one part trains
EXPECT_LENGTH = 300

# the names a condition may use: what each means, and the scenario kinds it applies to
NAMES = {
    "step": ("the step count", ("surface", "classification", "regression")),
    "loss": ("the loss now", ("surface", "classification", "regression")),
    "grad_norm": ("the gradient's norm now", ("surface", "classification", "regression")),
    "accuracy": ("the training accuracy (0 to 1)", ("classification",)),
    "x": ("the point's x", ("surface",)),
    "y": ("the point's y", ("surface",)),
    "distance": ("the point's distance to the nearest known minimum", ("surface",)),
    "diverged": ("whether the run stopped on a non-finite number", ("surface", "classification", "regression")),
    "sharpness": ("the largest eigenvalue of the loss's Hessian now (a lesson that reads it shows it in the loss panel)", ("surface", "classification", "regression")),
    "best": ("in a race, the number of the lane with the lowest loss", ("surface", "classification", "regression")),
}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_ALLOWED = "numbers, " + ", ".join(NAMES) + ", true, false, < <= > >= == !=, and, or, not, parentheses"


@dataclass(frozen=True)
class Condition:
    """A checked `expect`: its text, the tree, and the names it reads."""

    text: str
    tree: ast.expr
    names: tuple[str, ...]

    def holds(self, values: dict[str, Any]) -> bool:
        return bool(_value(self.tree, values))

    def shown(self, values: dict[str, Any]) -> str:
        """The values it read, as `loss = 0.52, step = 100`."""
        return ", ".join(f"{n} = {_shown(values[n])}" for n in self.names)


def compile_expect(text: str, kind: str, minima: bool) -> Condition:
    """Check `text` against the whitelist; ValueError saying what is wrong."""
    if not text.strip():
        raise ValueError("is empty; write a condition such as 'loss < 0.01'")
    if len(text) > EXPECT_LENGTH:
        raise ValueError(f"is {len(text)} characters long; at most {EXPECT_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"{text.strip()!r} is not a condition (column {exc.offset or 0}: {exc.msg})") from None
    names: list[str] = []
    if _check(tree, names, kind, minima) != "bool":
        raise ValueError(f"{text.strip()!r} is not a condition: compare a value with a number, such as 'loss < 0.01'")
    return Condition(text.strip(), tree, tuple(dict.fromkeys(names)))


def _check(node: ast.expr, names: list[str], kind: str, minima: bool) -> str:
    """'bool' or 'number': what `node` gives; ValueError for anything outside the whitelist."""
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            if _check(v, names, kind, minima) != "bool":
                raise ValueError(f"'{ast.unparse(v)}' is not a condition: and/or join comparisons")
        return "bool"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        if _check(node.operand, names, kind, minima) != "bool":
            raise ValueError(f"'not' needs a condition, not '{ast.unparse(node.operand)}'")
        return "bool"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if _check(node.operand, names, kind, minima) != "number":
            raise ValueError(f"a sign needs a number, not '{ast.unparse(node.operand)}'")
        return "number"
    if isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise ValueError(f"unknown comparison ({_ALLOWED} are allowed)")
        sides = [(side, _check(side, names, kind, minima)) for side in (node.left, *node.comparators)]
        ordered = any(type(op) not in (ast.Eq, ast.NotEq) for op in node.ops)
        if len({what for _, what in sides}) > 1:
            shown = ", ".join(f"'{ast.unparse(side)}' ({'true or false' if what == 'bool' else 'a number'})" for side, what in sides)
            raise ValueError(f"'{ast.unparse(node)}' compares unlike things: {shown}")
        if ordered and sides[0][1] == "bool":
            raise ValueError(f"'{ast.unparse(node)}' orders true and false: < <= > >= compare numbers")
        return "bool"
    if isinstance(node, ast.Constant) and isinstance(node.value, bool):
        return "bool"
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        if not math.isfinite(node.value):
            raise ValueError(f"{node.value} is not a finite number")
        return "number"
    if isinstance(node, ast.Name):
        name = {"true": "True", "false": "False"}.get(node.id, node.id)
        if name in ("True", "False"):
            return "bool"
        if name not in NAMES:
            raise ValueError(f"unknown name {node.id!r} ({closest(node.id, list(NAMES))})")
        if kind not in NAMES[name][1]:
            raise ValueError(f"{name} ({NAMES[name][0]}) is not there in a {kind} scenario")
        if name == "distance" and not minima:
            raise ValueError("distance needs known minima: the scenario's [surface] has no minima")
        names.append(name)
        return "bool" if name == "diverged" else "number"
    raise ValueError(f"'{ast.unparse(node)}' is not allowed in a condition: only {_ALLOWED}")


def _value(node: ast.expr, values: dict[str, Any]) -> Any:
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            return all(_value(v, values) for v in node.values)
        return any(_value(v, values) for v in node.values)
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, values)
        return not operand if isinstance(node.op, ast.Not) else (-operand if isinstance(node.op, ast.USub) else operand)
    if isinstance(node, ast.Compare):
        left = _value(node.left, values)
        for op, right_node in zip(node.ops, node.comparators):
            right = _value(right_node, values)
            if not _compare(type(op), left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Constant):
        return node.value
    assert isinstance(node, ast.Name)
    name = {"true": "True", "false": "False"}.get(node.id, node.id)
    return {"True": True, "False": False}.get(name, values.get(name))


def _compare(op: type, a: Any, b: Any) -> bool:
    if a is None or b is None:  # a name that has no value (a loss that is not finite)
        return op is ast.NotEq and a is not b
    return {ast.Lt: a < b, ast.LtE: a <= b, ast.Gt: a > b, ast.GtE: a >= b, ast.Eq: a == b, ast.NotEq: a != b}[op]


def _shown(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.4g}"
    return "none" if v is None else str(v)


# ---------------------------------------------------------------- the file


@dataclass(frozen=True)
class Part:
    say: str
    configs: tuple[RunConfig, ...]  # the settings in force once it opens: one, or a race's lanes
    fresh: bool  # starts again from the start point (reset, a race, a new start)
    start: tuple[float, float] | None
    run: int
    ask: str = ""
    choices: tuple[str, ...] = ()
    answer: int = 0  # 1-based; 0: no question
    expect: Condition | None = None
    explain: str = ""
    scenario: Scenario | None = None  # where it runs, when not the lesson's own (`scenario = "rotated_bowl"`)


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    summary: str
    scenario: Scenario
    parts: tuple[Part, ...]


# the bundled lessons in the order they teach (the README's table): each builds on the ones before
TEACHING_ORDER = ("training-loop", "learning-rate", "momentum", "nesterov", "adam", "losses", "saddle", "local-minima", "edge-of-stability")


def list_lessons() -> list[Path]:
    """The bundled lessons in teaching order; any other file in the folder after them, by name."""
    rank = {name: k for k, name in enumerate(TEACHING_ORDER)}
    return sorted(LESSONS_DIR.glob("*.toml"), key=lambda p: (rank.get(p.stem, len(rank)), p.stem))


def title_of(path: Path) -> str:
    """A lesson file's title, read without checking the lesson (the palette's list)."""
    import tomllib

    try:
        title = tomllib.loads(path.read_text(encoding="utf-8")).get("lesson", {}).get("title", "")
    except (OSError, ValueError):
        return ""
    return title if isinstance(title, str) else ""


def resolve_path(ref: str) -> Path:
    """A bundled lesson's name or a file's path."""
    if ref.endswith(".toml") or "/" in ref or Path(ref).is_file():
        return scenarios.resolve_path(ref)
    found = {p.stem: p for p in list_lessons()}
    if ref in found:
        return found[ref]
    raise ScenarioError(ref, None, f"no such lesson ({closest(ref, sorted(found))})")


def load(ref: str) -> Lesson:
    path = resolve_path(ref)
    scenario = scenarios.load_file(path)
    return read(scenario, path.stem)


def read(scenario: Scenario, name: str) -> Lesson:
    """The [lesson] of a loaded scenario, checked: ScenarioError naming the file and the field."""
    r = Reader(scenario.source, Path(scenario.source).parent)
    doc = {"lesson": scenario.lesson} if scenario.lesson is not None else {}
    head = r.table(doc, "lesson", ("title", "summary", "part"), required=True)
    title = r.text(head, "lesson", "title", required=True)
    if not title.strip():
        raise r.fail("lesson.title", "must not be empty")
    summary = r.text(head, "lesson", "summary")
    raw_parts = r.get(head, "lesson", "part", list, required=True)
    if not raw_parts:
        raise r.fail("lesson.part", "a lesson needs at least one [[lesson.part]]")
    parts: list[Part] = []
    config = resolve(scenario)
    here = scenario
    for k, raw in enumerate(raw_parts, start=1):
        where = f"lesson.part[{k}]"
        if not isinstance(raw, dict):
            raise r.fail(where, f"must be a table [[lesson.part]], not {type(raw).__name__}")
        there = _part_scenario(r, scenario, raw, where)
        part = _part(r, there, raw, where, config, moved=there is not here)
        parts.append(replace(part, scenario=None if there is scenario else there))
        config, here = part.configs[0], there
    return Lesson(name, title.strip(), summary.strip(), scenario, tuple(parts))


def _part_scenario(r: Reader, lesson: Scenario, raw: dict[str, Any], where: str) -> Scenario:
    """The scenario a part runs on: its `scenario` (a bundled or user scenario's name, or a file
    beside the lesson's), else the lesson's own."""
    ref = raw.get("scenario")
    if ref is None:
        return lesson
    if not isinstance(ref, str) or not ref.strip():
        raise r.fail(f"{where}.scenario", "must be a scenario's name or a .toml file beside the lesson's")
    beside = ref.endswith(".toml") or "/" in ref
    path = Path(lesson.source).parent / ref
    if beside and not path.is_file():
        raise r.fail(f"{where}.scenario", f"{ref}: no such file beside the lesson's")
    try:
        return scenarios.load_file(path) if beside else scenarios.load(ref)
    except ScenarioError as exc:
        raise r.fail(f"{where}.scenario", str(exc)) from None


def _part(r: Reader, scenario: Scenario, raw: dict[str, Any], where: str, before: RunConfig, moved: bool = False) -> Part:
    t = r.table({where: raw}, where, PART_KEYS)
    say = r.text(t, where, "say", required=True)
    if not say.strip():
        raise r.fail(f"{where}.say", "must not be empty")
    reset = r.get(t, where, "reset", bool, False)
    run = r.get(t, where, "run", int, 0)
    if not 0 <= run <= RUN_STEPS:
        raise r.fail(f"{where}.run", f"{run} steps; a part trains 0 to {RUN_STEPS}")
    settings = r.get(t, where, "set", dict, {})
    lanes = r.get(t, where, "lanes", list, [])
    if len(lanes) > limits.LANES:
        raise r.fail(f"{where}.lanes", f"{len(lanes)} lanes; a race takes 1 to {limits.LANES}")
    if settings and lanes:
        raise r.fail(f"{where}.lanes", "a part has set or lanes, not both (a lane's text holds its settings)")
    start = None
    if lanes:
        configs = tuple(_lane(r, scenario, text, f"{where}.lanes[{i}]", before) for i, text in enumerate(lanes, start=1))
    else:
        config, start = _settings(r, scenario, settings, f"{where}.set", before)
        configs = (config,)
    ask = r.text(t, where, "ask")
    choices = r.get(t, where, "choices", list, [])
    if any(not isinstance(c, str) or not c.strip() for c in choices):
        raise r.fail(f"{where}.choices", "must be a list of answers, each a non-empty string")
    choices = [printable(c) for c in choices]
    answer = r.get(t, where, "answer", int, 0)
    if ask or choices or "answer" in t:
        if not ask.strip():
            raise r.fail(f"{where}.ask", "missing: choices and an answer need a question")
        if len(choices) < 2:
            raise r.fail(f"{where}.choices", "a question needs two choices or more")
        if not 1 <= answer <= len(choices):
            raise r.fail(f"{where}.answer", f"{answer} is not a choice: it counts from 1 to {len(choices)}")
    expect = None
    if "expect" in t:
        text = r.get(t, where, "expect", str)
        try:
            expect = compile_expect(text, scenario.kind, bool(scenario.surface and scenario.surface.minima))
        except ValueError as exc:
            raise r.fail(f"{where}.expect", str(exc)) from None
        if "best" in expect.names and not lanes:
            raise r.fail(f"{where}.expect", "best names a race's lane: give this part lanes")
    explain = r.text(t, where, "explain")
    fresh = reset or bool(lanes) or start is not None or moved  # another scenario starts over
    return Part(say.strip(), configs, fresh, start, run, ask.strip(), tuple(c.strip() for c in choices), answer, expect, explain.strip())


def _lane(r: Reader, scenario: Scenario, text: Any, where: str, before: RunConfig) -> RunConfig:
    if not isinstance(text, str):
        raise r.fail(where, f"must be a run's text such as 'sgd lr=0.1', not {type(text).__name__}")
    try:
        return parse_run(scenario, text, before.steps)
    except ConfigError as exc:
        raise r.fail(where, f"{exc.field}: {exc.message}") from None


def _settings(r: Reader, scenario: Scenario, settings: dict[str, Any], where: str, before: RunConfig) -> tuple[RunConfig, tuple[float, float] | None]:
    """`before` with `settings` on top: another optimizer starts from its scenario settings."""
    from playground.optimizers import all_hyper_names, get_optimizer

    known = (*RUN_KEYS, *sorted(all_hyper_names()))
    for key in settings:
        if key not in known:
            raise r.fail(f"{where}.{key}", f"unknown setting ({closest(key, list(known))})")
    start = r.pair(settings, where, "start", required=False)
    if start is not None and scenario.surface is None:
        raise r.fail(f"{where}.start", "a dataset's model starts from its seed: there is no start point")
    optimizer = settings.get("optimizer", before.optimizer)
    hyper = {k: v for k, v in settings.items() if k not in RUN_KEYS}
    try:
        spec = get_optimizer(str(optimizer))
        if spec.name == before.optimizer:
            hyper = {**before.hyper, **hyper}
        schedule = settings.get("schedule")
        config = resolve(
            scenario,
            optimizer=spec.name,
            hyper=hyper,
            loss=settings.get("loss", before.loss),
            seed=settings.get("seed", before.seed),
            batch_size=settings.get("batch_size", before.batch_size),
            steps=before.steps,
            schedule=str(schedule) if schedule is not None else None,
            clip=settings.get("clip", before.clip),
        )
    except ConfigError as exc:
        field = exc.field if exc.field in settings or exc.field in ("optimizer", "loss", "schedule") else None
        raise r.fail(f"{where}.{field}" if field else where, exc.message) from None
    if "schedule" not in settings and spec.name == before.optimizer:
        config = replace(config, schedule=before.schedule, schedule_params=before.schedule_params)
    return config, start


# ---------------------------------------------------------------- playing it


class Stage(Protocol):
    """What a lesson plays on (a Session), and all it asks of it: the scenario and the lanes it
    shows, steps, and a part's scenario, lanes or settings put in place."""

    scenario: Scenario

    @property
    def lanes(self) -> list[Run]: ...

    @property
    def step_count(self) -> int: ...

    def steps(self, n: int) -> None: ...

    def lesson_scenario(self, scenario: Scenario) -> None: ...

    def lesson_lanes(self, configs: list[RunConfig], start: tuple[float, float] | None) -> None: ...

    def lesson_settings(self, config: RunConfig) -> None: ...


class Player:
    """A lesson on a Stage (a Session): opening a part applies its settings; `train` makes its steps."""

    def __init__(self, lesson: Lesson, session: Stage) -> None:
        self.lesson = lesson
        self.session = session
        self.index = -1  # the part open now (0-based); -1 before the first
        self.target = 0  # the step count at which the open part's steps are done
        self.answered: int | None = None  # the choice picked for the open part's question (1-based)
        self.tried: int | None = None  # a first wrong choice: one more try before the answer is shown
        self.highlighted = 1  # the choice under the arrows' cursor while the question is open

    @property
    def part(self) -> Part:
        return self.lesson.parts[self.index]

    def open(self, index: int) -> None:
        """Part `index` (0-based), the same every time: a later part is reached by playing the
        earlier ones' steps from the lesson's start; the one before by replaying up to it."""
        index = max(0, min(index, len(self.lesson.parts) - 1))
        if index <= self.index:
            self.index = -1
        while self.index < index:
            if self.index >= 0:
                self.train()
            # the part counts as open once its settings are in: a face drawing meanwhile (another
            # thread) still sees the part before
            self._apply(self.lesson.parts[self.index + 1], first=self.index < 0)
            self.index += 1
        if any(part.expect is not None and "sharpness" in part.expect.names for part in self.lesson.parts):
            self._measure_sharpness()
        self.answered, self.tried, self.highlighted = None, None, 1

    @property
    def asking(self) -> bool:
        """The open part's question is asked and not yet answered (the digit keys answer it)."""
        return self.index >= 0 and bool(self.part.choices) and self.answered is None

    def answer(self, choice: int) -> str:
        """Pick answer `choice` (1-based) of the open part's question: what to say of it ("" when
        no question is open). A first wrong answer gets one more try."""
        if self.index < 0 or not self.part.choices:
            return ""
        choices, right = self.part.choices, choice == self.part.answer
        if not 1 <= choice <= len(choices):
            return f"the question has {len(choices)} answers"
        if not right and self.tried is None:
            self.tried = choice
            self.highlighted = choice % len(choices) + 1  # the cursor off the wrong one
            return f"not quite: {choice} is not it; one more try"
        if choice == self.tried:
            return f"{choice} was the first try: pick another"
        self.answered = choice
        return "right" if right else f"not quite: the answer is {self.part.answer}"

    def move_choice(self, delta: int) -> None:
        """The cursor to the choice `delta` below (above, when negative) while the question is open."""
        if self.asking:
            self.highlighted = max(1, min(len(self.part.choices), self.highlighted + delta))

    def _measure_sharpness(self) -> None:
        """A lesson about the sharpness shows it: every lane measures it, as `h` turns on."""
        from playground.sharpness import EVERY

        for lane in self.session.lanes:
            if lane.sharpness is None:
                lane.watch_sharpness(EVERY)

    def started_over(self) -> None:
        """The run went back to step 0 (a reset, a new start): the open part's steps count from
        there, so what the panel says is left stays what the part trains."""
        if self.index >= 0:
            self.target = self.session.step_count + self.part.run

    def _apply(self, part: Part, first: bool) -> None:
        s = self.session
        there = part.scenario or self.lesson.scenario
        if there.source != s.scenario.source:
            s.lesson_scenario(there)
        start = part.start or (there.surface.start if there.surface is not None else None)
        if first or part.fresh:
            s.lesson_lanes(list(part.configs), start)
        else:
            s.lesson_settings(part.configs[0])
        self.target = s.step_count + part.run

    def left(self) -> int:
        """The open part's steps still to train."""
        return max(0, self.target - self.session.step_count) if self.index >= 0 else 0

    @property
    def shown(self) -> int:
        """The part a face shows: the open one; before torch is there to open one, the first."""
        return max(self.index, 0)

    def to_go(self) -> int:
        """The shown part's steps still to train (all of the first's before it opens)."""
        return self.left() if self.index >= 0 else self.lesson.parts[0].run

    def done(self) -> bool:
        """The open part has trained its steps (or has none): its expectation can be read."""
        return self.index >= 0 and (self.left() == 0 or all(lane.diverged for lane in self.session.lanes))

    def train(self) -> None:
        """The open part's steps, at once (headless)."""
        if left := self.left():
            self.session.steps(left)

    def values(self) -> dict[str, Any]:
        """What a condition reads, from lane 1 (and the race for best)."""
        s = self.session
        run = s.lanes[0]
        h = run.history
        loss = h.loss.last()
        out: dict[str, Any] = {
            "step": run.step_count,
            "loss": loss if math.isfinite(loss) else None,
            "grad_norm": h.grad_norm.last(),
            "diverged": run.diverged,
            "accuracy": h.accuracy.last() if h.accuracy is not None and len(h.accuracy) else None,
        }
        if self.part.expect is not None and "sharpness" in self.part.expect.names:
            from playground.sharpness import Sharpness

            value = Sharpness(run).measure()  # now, from a fresh start: not the last reading's
            out["sharpness"] = value if math.isfinite(value) else None
        surface = s.scenario.surface
        if surface is not None:
            x, y = run.point
            out["x"], out["y"] = x, y
            out["distance"] = min((math.hypot(x - mx, y - my) for mx, my in surface.minima), default=None)
        losses = [lane.history.loss.last() for lane in s.lanes]
        finite = [(v, i) for i, v in enumerate(losses, start=1) if math.isfinite(v)]
        out["best"] = min(finite)[1] if finite else None
        return out

    def check(self) -> tuple[bool, str]:
        """Whether the open part's expectation holds now, and what it read."""
        expect = self.part.expect
        if expect is None:
            return True, ""
        values = self.values()
        return expect.holds(values), expect.shown(values)


def check(lesson: Lesson, session: Stage) -> tuple[int, str] | None:
    """Play every part headless: None when every expect holds, else (part number, what failed)."""
    player = Player(lesson, session)
    for index, part in enumerate(lesson.parts):
        player.open(index)
        player.train()
        ok, shown = player.check()
        if not ok:
            assert part.expect is not None
            return index + 1, f"expected {part.expect.text}, got {shown}"
    return None

