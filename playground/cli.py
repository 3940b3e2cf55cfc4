"""The command line: `playground [SCENARIO]`, `list`, `check FILE...`, `run SCENARIO ...`.

Argument parsing and printing only; the work is in scenarios, settings, engine and report. Bad
input of any kind ends with exit status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from typing import Any, NoReturn

from playground import __version__, limits
from playground.errors import ConfigError, InternalError, PlaygroundError
from playground.fields import RUN, Field
from playground.formatting import printable
from playground.losses import LOSSES
from playground.optimizers import OPTIMIZERS
from playground.zoo import install_command
from playground.schedules import SCHEDULES

COMMANDS = ("list", "check", "run", "compare", "sweep", "landscape", "explain", "lesson", "serve")
MOMENTUM_HELP = f"momentum ({', '.join(n for n, spec in OPTIMIZERS.items() if 'momentum' in spec.names())})"


def optimizer_help() -> str:
    """torch's optimizers, then the zoo's, said to need the extra where it is not installed."""
    torch_names = ", ".join(n for n, spec in OPTIMIZERS.items() if not spec.zoo)
    zoo = [spec for spec in OPTIMIZERS.values() if spec.zoo]
    missing = "" if all(spec.available() for spec in zoo) else f", not installed: {install_command()}"
    return f"torch.optim's {torch_names}; from pytorch-optimizer (the zoo extra{missing}): {', '.join(s.name for s in zoo)}"
EPILOG = """commands:
  playground [SCENARIO]      open the playground (SCENARIO: a bundled name or a .toml file)
  playground list            bundled and user scenarios
  playground check [FILE...] validate scenario and lesson files (none given: every bundled one)
  playground run SCENARIO    train headless and print the result (see `playground run --help`)
  playground compare SCENARIO --run "sgd lr=0.01" --run "adam lr=0.05" ...
                             race up to 6 optimizers from the same start, print the scoreboard
  playground sweep SCENARIO --optimizer sgd --lr-min 1e-5 --lr-max 1 --points 11
                             final loss against log-spaced learning rates
  playground landscape SCENARIO [--directions pca|random] [--grid N] [--span F]
                             a dataset's loss on a plane through the trained weights,
                             with the trajectory projected onto it
  playground explain [NAME]  how an optimizer or loss works, as the app's `i` shows it
                             (none given: the names that can be explained)
  playground lesson [NAME]   guided lessons: none given, list them; NAME opens one in the app,
                             --check plays it headless, --present for a projector
  playground run SCENARIO --format python
                             the code behind the run: a plain torch script that reproduces it
  playground serve [SCENARIO | --lesson NAME] [--host HOST] [--port PORT] [--max-sessions N]
                             the playground in a browser: one session per tab, at
                             http://127.0.0.1:8000 unless told otherwise
"""


class UsageError(PlaygroundError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _run_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="playground run",
        description="Train one scenario headless and print the loss, trajectory and accuracy.",
    )
    _run_arguments(p)
    p.add_argument("--sharpness", metavar="K", help="every K steps, the largest eigenvalue of the training loss's Hessian (power iteration on Hessian-vector products), as `sharpness` in the JSON")
    _output_flags(p, ("text", "json", "csv", "python"), record=True)
    return p


def _run_arguments(p: argparse.ArgumentParser) -> None:
    """The flags that say what to train: `run`'s, and `landscape`'s before its own."""
    p.add_argument("scenario", help="a bundled scenario name or a path to a .toml file")
    p.add_argument("--optimizer", help=optimizer_help())
    p.add_argument("--lr", help="learning rate, e.g. 0.001 or 1e-3")
    p.add_argument("--momentum", help=MOMENTUM_HELP)
    p.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=None, help="Nesterov momentum (sgd)")
    p.add_argument("--loss", help="datasets: " + "; ".join(f"{', '.join(losses)} ({kind})" for kind, losses in LOSSES.items()))
    p.add_argument("--steps", help="number of updates (default: the scenario's)")
    p.add_argument("--seed", help="seed for the model's initial weights and the minibatch order")
    p.add_argument("--batch-size", help="points per update; 0 = the whole training set")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="any other hyperparameter, e.g. betas=0.9,0.99 (repeatable)")
    _run_flags(p)


def _run_flags(p: argparse.ArgumentParser) -> None:
    """Flags that shape training beyond the optimizer: schedule, clipping, where to start."""
    p.add_argument("--schedule", metavar="'NAME [P=V ...]'", help=f"learning-rate schedule: {', '.join(SCHEDULES)}, with parameters, e.g. 'step step_size=100 gamma=0.5'")
    p.add_argument("--clip", metavar="F", help="clip the gradient's norm to F before each update (0 = off)")
    p.add_argument("--start", metavar="X,Y", help="surfaces: start here instead of the scenario's start")


def _output_flags(p: argparse.ArgumentParser, formats: tuple[str, ...], record: bool) -> None:
    p.add_argument("--format", choices=formats, default="text", help="what to print (default: text)")
    p.add_argument("--output", metavar="FILE", help="write the result to FILE instead of standard output")
    if record:
        p.add_argument("--record", metavar="FILE", help="write one JSON line per point to FILE as training goes")
    p.add_argument("--force", action="store_true", help="replace FILE (--output, --record) if it exists")


def _number_flag(flag: str, text: str | None, limit: limits.Whole | limits.Number | Field = limits.ANY_NUMBER) -> Any:
    """A flag's number within `limit`, or as a setting's Field reads it (None when the flag is not
    given)."""
    if text is None:
        return None
    try:
        return limit.parse(text)
    except ValueError as exc:
        raise UsageError(f"{flag}: {exc}") from None


def _start_flag(scenario: Any, text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    if scenario.surface is None:
        raise UsageError("--start: only a surface has a start point; a dataset starts from its seed")
    parts = text.replace(";", ",").split(",")
    if len(parts) != 2:
        raise UsageError(f"--start: {text!r} is not X,Y (two numbers, e.g. -1.5,2)")
    x, y = (_number_flag("--start", part) for part in parts)
    (x0, x1), (y0, y1) = scenario.surface.x, scenario.surface.y
    if not (x0 <= x <= x1 and y0 <= y <= y1):  # type: ignore[operator]
        _warn(f"--start: ({x:g}, {y:g}) is outside the plotted domain")
    return x, y  # type: ignore[return-value]


def _check_output(args: argparse.Namespace) -> None:
    """Refuse, before any training, to write where it cannot or must not."""
    from pathlib import Path

    from playground.files import WriteError, check_writable

    for flag, path in (("--output", args.output), ("--record", getattr(args, "record", None))):
        if not path:
            continue
        if os.path.lexists(path) and not os.path.isdir(path) and not args.force:
            raise UsageError(f"{flag}: {path} exists; add --force to replace it")
        try:
            check_writable(Path(path), args.force)
        except WriteError as exc:
            raise UsageError(f"{flag}: {exc}") from None
    if args.output and getattr(args, "record", None) and Path(args.output).resolve() == Path(args.record).resolve():
        raise UsageError("--record: the same file as --output; give each its own")


def _say(line: str) -> None:
    """One line on stderr (an error, a warning), its file-provided text made printable."""
    print(printable(line, lines=False), file=sys.stderr)


def _warn(text: str) -> None:
    _say(f"playground: warning: {text}")


def _emit(args: argparse.Namespace, text: str | Iterable[str]) -> None:
    """The result to --output or stdout: a string, or its pieces as they are made (a long run's
    JSON is never held whole)."""
    if args.output:
        from playground.files import write_atomic

        write_atomic(args.output, text, force=args.force)
        print(f"playground: wrote {args.output}", file=sys.stderr)
    else:
        for piece in [text] if isinstance(text, str) else text:
            sys.stdout.write(piece)


def _config_error(exc: ConfigError, scenario: Any, flags: dict[str, str]) -> UsageError:
    """A setting that is wrong, named by the flag that set it, or by the scenario file's key."""
    named = {"loss": "--loss", "batch_size": "--batch-size", "seed": "--seed", "steps": "--steps", "schedule": "--schedule", "clip": "--clip"}
    flag = flags.get(exc.field) or named.get(exc.field)
    if flag is None:  # a value that came from the scenario file
        return UsageError(f"{scenario.source}: defaults.{exc.field}: {exc.message}")
    if flag == "--schedule" and exc.field != "schedule":  # one of the schedule's parameters
        return UsageError(f"--schedule: {exc.field}: {exc.message}")
    return UsageError(f"{flag}: {exc.message}")


def _hyper_flags(args: argparse.Namespace, optimizer: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The hyperparameters set on the command line, parsed by the registry; and flag names."""
    from playground.optimizers import get_optimizer

    spec = get_optimizer(optimizer)
    given: list[tuple[str, str, Any]] = []  # (name, flag, raw)
    for name in ("lr", "momentum"):
        raw = getattr(args, name)
        if raw is not None:
            given.append((name, f"--{name}", raw))
    if args.nesterov is not None:
        given.append(("nesterov", "--nesterov" if args.nesterov else "--no-nesterov", args.nesterov))
    for item in args.param:
        if "=" not in item:
            raise UsageError(f"--param: {item!r} is not NAME=VALUE")
        name, raw = item.split("=", 1)
        if not name.strip():
            raise UsageError(f"--param: {item!r} has no NAME before '='")
        given.append((name.strip(), f"--param {name.strip()}", raw))
    values: dict[str, Any] = {}
    flags: dict[str, str] = {}
    accepted = spec.names()
    for name, flag, raw in given:
        if name not in accepted:
            raise UsageError(f"{flag}: {spec.name} does not take {name}; it accepts {', '.join(accepted)}")
        if name in values:
            raise UsageError(f"{flag}: {name} is set twice")
        hyper = spec.hyper_named(name)
        try:
            values[name] = raw if isinstance(raw, bool) else hyper.parse(raw)
        except ValueError as exc:
            raise UsageError(f"{flag}: {exc}") from None
        flags[name] = flag
    return values, flags


def _what_to_train(args: argparse.Namespace) -> tuple[Any, Any, tuple[float, float] | None]:
    """The scenario, the run's settings and the start that `run`'s flags give, each checked."""
    from playground import scenarios
    from playground.settings import resolve

    scenario = scenarios.load(args.scenario)
    for warning in scenario.warnings:
        _warn(warning)
    optimizer = _optimizer_flag(args.optimizer if args.optimizer is not None else scenario.defaults.optimizer)
    if args.loss is not None and not args.loss.strip():
        raise UsageError("--loss: the value is empty; give a loss name (see `playground run --help`)")
    hyper, flags = _hyper_flags(args, optimizer)
    steps = _number_flag("--steps", args.steps, RUN["steps"])
    seed = _number_flag("--seed", args.seed, RUN["seed"])
    batch = _number_flag("--batch-size", args.batch_size, RUN["batch_size"])
    clip = _number_flag("--clip", args.clip, RUN["clip"])
    if args.schedule is not None:
        _schedule_flag(args.schedule)
        flags.update(_schedule_fields())
    try:
        config = resolve(scenario, optimizer=optimizer, hyper=hyper, loss=args.loss, seed=seed, batch_size=batch, steps=steps, schedule=args.schedule, clip=clip)
    except ConfigError as exc:
        raise _config_error(exc, scenario, flags) from None
    return scenario, config, _start_flag(scenario, args.start)


def cmd_run(argv: list[str]) -> int:
    args = _run_parser().parse_args(argv)
    sharpness = _number_flag("--sharpness", args.sharpness, limits.SHARPNESS_EVERY)
    scenario, config, start = _what_to_train(args)
    _check_output(args)
    if sharpness is not None and args.format in ("csv", "python"):
        _warn(f"--sharpness: measured for --format json and text only, not for {args.format}")
        sharpness = None
    if args.format == "python":  # the code behind the run: written, not trained
        from playground.python_script import script

        _emit(args, script(scenario, config, start))
        return 0

    from playground import report
    from playground.engine import Run, warm_up

    warm_up()  # torch's one-time costs, kept out of the run's own timing
    # text prints a summary only, so it keeps no history; a record needs every row
    run = Run(scenario, config, start, full_history=args.format != "text" or bool(args.record))
    if caveat := run.caveat():
        _warn(caveat)
    if sharpness is not None:
        run.watch_sharpness(sharpness)  # step 0; the run measures the rest as it steps
    _train([run], config.steps, args)
    values = run.sharpness.values if run.sharpness is not None else None
    _emit(args, report.json_pieces(run, values) if args.format == "json" else report.to_text(run, values) if args.format == "text" else report.to_csv(run))
    return 0


# ------------------------------------------------------------------ landscape


def _landscape_parser() -> argparse.ArgumentParser:
    from playground import landscape

    p = _Parser(
        prog="playground landscape",
        description="Train a dataset's network as `run` does, then print the training loss on a plane through the final weights, loss(w + a*d1 + b*d2) on a grid, with the trajectory projected onto it.",
    )
    _run_arguments(p)
    p.add_argument("--directions", choices=landscape.DIRECTIONS, default="pca", help="pca: the trajectory's two principal directions (default); random: two seeded random directions, filter-normalised (Li et al. 2018)")
    p.add_argument("--grid", default=str(landscape.GRID), metavar="N", help=f"cells a side, odd, so that the final weights are the centre (default {landscape.GRID})")
    p.add_argument("--span", default=str(landscape.SPAN), metavar="F", help=f"the grid runs from -F to F along each direction, in units of its norm (default {landscape.SPAN:g})")
    _output_flags(p, ("text", "json"), record=False)
    return p


def cmd_landscape(argv: list[str]) -> int:
    args = _landscape_parser().parse_args(argv)
    grid = _number_flag("--grid", args.grid, limits.LANDSCAPE_GRID)
    if grid % 2 == 0:
        raise UsageError(f"--grid: {grid} is even; take an odd number, so that the final weights are the centre cell")
    span = _number_flag("--span", args.span, limits.LANDSCAPE_SPAN)
    scenario, config, start = _what_to_train(args)
    if scenario.kind == "surface":
        raise UsageError(f"landscape: {scenario.name} is a surface, which the map already shows whole; a landscape is for a dataset's network")
    _check_output(args)
    from playground import report
    from playground.engine import Run, warm_up
    from playground.landscape import Diverged, landscape
    from playground.trail import Trail

    warm_up()
    run = Run(scenario, config, start)
    weights = sum(p.numel() for _, p in run.problem.named_parameters())
    need = (config.steps + 1) * weights * 4
    if need > limits.LANDSCAPE_BYTES:
        raise UsageError(f"--steps: a landscape keeps the weights of every step: {config.steps + 1:,} × {weights:,} weights need {need / 1e9:.1f} GB, over {limits.LANDSCAPE_BYTES / 1e9:g} GB; take fewer steps")
    if caveat := run.caveat():
        _warn(caveat)
    run.problem.trail = Trail()
    run.reset()
    _train([run], config.steps, args)
    try:
        found = landscape(run, args.directions, grid, span)  # type: ignore[arg-type]
    except Diverged as exc:
        _say(f"playground: landscape {scenario.name}: {exc.message}")
        return 1
    except ConfigError as exc:
        raise UsageError(f"--directions: {args.directions}: {exc.message}") from None
    assert found is not None
    _emit(args, report.landscape_to_json(run, found) if args.format == "json" else report.landscape_to_text(run, found))
    return 0


def _optimizer_flag(name: str) -> str:
    """--optimizer's name, checked: known, and its library installed (the zoo's)."""
    from playground.optimizers import get_optimizer

    try:
        spec = get_optimizer(name)
        spec.require()
    except ConfigError as exc:
        raise UsageError(f"--optimizer: {exc.message}") from None
    return spec.name


def _schedule_flag(text: str) -> None:
    """Check --schedule on its own, so that its mistake names the flag, never the scenario file."""
    from playground.schedules import parse_schedule

    try:
        parse_schedule(text)
    except ConfigError as exc:
        raise UsageError(f"--schedule: {exc.message}" if exc.field == "schedule" else f"--schedule: {exc.field}: {exc.message}") from None


def _schedule_fields() -> dict[str, str]:
    """A schedule's parameters, so an error about one of them names --schedule."""
    from playground.schedules import SCHEDULES

    return {p.name: "--schedule" for spec in SCHEDULES.values() for p in spec.params}


RECORD_EVERY = 256  # steps between two writes of --record: what a crash can lose


def _train(lanes: list[Any], steps: int, args: argparse.Namespace) -> None:
    """Step every lane `steps` times in lockstep, writing --record as it goes."""
    recorder = None
    if getattr(args, "record", None):
        from playground.recording import Recorder

        recorder = Recorder(args.record, force=args.force)
    tag = (lambda i: i) if len(lanes) > 1 or getattr(args, "lanes", False) else (lambda i: None)
    try:
        done = 0
        while True:
            if recorder is not None:
                for i, lane in enumerate(lanes):
                    recorder.write(lane, tag(i))
            if done >= steps or all(lane.diverged_at is not None for lane in lanes):
                break
            chunk = min(RECORD_EVERY if recorder is not None else steps, steps - done)
            for lane in lanes:
                lane.step(chunk)
            done += chunk
    finally:
        if recorder is not None:
            recorder.close()
            print(f"playground: recorded {args.record}", file=sys.stderr)


# ------------------------------------------------------------------ compare


def _compare_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="playground compare",
        description="Race optimizers on one scenario from the same start and seed, in lockstep, and print the scoreboard.",
        epilog="""A RUN is an optimizer and its settings: 'sgd lr=0.01 momentum=0.9 nesterov=true', 'adam lr=0.05',
'sgd lr=0.1 schedule=step step_size=50 clip=1'. What a RUN leaves out is torch's default, except lr,
which is the scenario's for that optimizer.""",
    )
    p.add_argument("scenario", help="a bundled scenario name or a path to a .toml file")
    p.add_argument("--run", action="append", default=[], metavar="RUN", help="one lane (repeat, up to 6); none: the file's [race] lanes, if it has them")
    p.add_argument("--preset", action="store_true", help="add the lanes sgd, sgd momentum=0.9, sgd momentum=0.9 nesterov=true, adam")
    p.add_argument("--steps", help="updates per lane (default: the scenario's)")
    p.add_argument("--start", metavar="X,Y", help="surfaces: start every lane here")
    tune = p.add_argument_group("a fair comparison (--tune N): every lane tuned on the same budget, then run over seeds")
    tune.add_argument("--tune", metavar="N", help="trials per lane: its starting setting, then scrambled Sobol points of its log-lr range")
    tune.add_argument("--seeds", metavar="K", help="seeds the tuned setting runs at (default 5): a dataset's initialisation and batch order; a surface's start, within 2%% of its domain")
    tune.add_argument("--tune-seed", metavar="S", help="the Sobol sequence's seed (default 0): the same points for every lane")
    tune.add_argument("--tune-momentum", action="store_true", help="tune momentum (or Adam's beta1) in [0, 0.99] too, where a lane has it")
    tune.add_argument("--lr-range", nargs=2, metavar=("MIN", "MAX"), help="every lane's lr range (default: from lr/100 to 100*lr around each lane's)")
    tune.add_argument("--objective", choices=("loss", "steps"), help="what a trial is judged by: the final training loss (default) or the steps to the tolerance")
    tune.add_argument("--workers", metavar="W", help=f"processes that run the trials at once (default: one per core, {_cores()} here); the numbers do not depend on it")
    _output_flags(p, ("text", "json", "csv"), record=True)
    return p


TUNE_FLAGS = {"tune": "--tune", "seeds": "--seeds", "tune_seed": "--tune-seed", "tune_momentum": "--tune-momentum", "lr_range": "--lr-range", "objective": "--objective", "workers": "--workers"}


def _tuned(args: argparse.Namespace, scenario: Any, texts: list[str], configs: list[Any]) -> int:
    """compare --tune: the protocol of tuning.py on every lane, its table or JSON."""
    from playground.tuning import Protocol

    if args.format == "csv":
        raise UsageError("--format: a tuned comparison is a table or JSON: use --format text or json")
    for flag, given in (("--record", args.record), ("--start", args.start)):
        if given:
            raise UsageError(f"{flag}: a tuned comparison runs every trial from the scenario's own start, with no per-step record; leave out {flag}")
    lr_range = None
    if args.lr_range is not None:
        lr_range = tuple(_number_flag("--lr-range", v, limits.LEARNING_RATE) for v in args.lr_range)
    protocol = Protocol(
        trials=_number_flag("--tune", args.tune, limits.TUNE_TRIALS),
        seeds=_number_flag("--seeds", args.seeds, limits.TUNE_SEEDS) if args.seeds is not None else 5,
        tune_seed=_number_flag("--tune-seed", args.tune_seed, limits.SEED) if args.tune_seed is not None else 0,
        objective=args.objective or "loss",
        lr_range=lr_range,  # type: ignore[arg-type]
        momentum=args.tune_momentum,
    )
    workers = _number_flag("--workers", args.workers, limits.WORKERS) or _cores()
    _check_output(args)

    from playground import report, tuning
    from playground.engine import warm_up

    warm_up()
    shown = args.format == "text" and not args.output and sys.stderr.isatty()
    cells = [0, (protocol.trials + protocol.seeds) * len(configs)]

    def progress(outcomes: Any) -> Any:
        for outcome in outcomes:
            cells[0] += 1
            if shown:
                print(f"\r{cells[0]}/{cells[1]} runs", end="", file=sys.stderr, flush=True)
            yield outcome

    pool = tuning.in_pool(scenario, workers, told=_warn)
    try:
        result = tuning.compare(scenario, list(zip(texts, configs)), protocol, lambda batch: list(progress(pool(batch))))
    except ConfigError as exc:
        raise UsageError(f"{TUNE_FLAGS.get(exc.field, '--tune')}: {exc.message}") from None
    finally:
        if shown:
            print("\r" + " " * 30 + "\r", end="", file=sys.stderr)
    assert result is not None  # nothing cancels it here but Ctrl+C, which ends the command
    _emit(args, report.tuned_to_json(scenario, result) if args.format == "json" else report.tuned_to_text(scenario, result))
    return 0


def cmd_compare(argv: list[str]) -> int:
    args = _compare_parser().parse_args(argv)
    from playground import scenarios
    from playground.race import PRESET, Race
    from playground.settings import parse_run

    scenario = scenarios.load(args.scenario)
    for warning in scenario.warnings:
        _warn(warning)
    texts = [*(PRESET if args.preset else ()), *args.run] or list(scenario.lanes)  # else a saved race's ([race])
    if not texts:
        raise UsageError("--run: give at least one, e.g. --run 'sgd lr=0.01' --run 'adam lr=0.05' (or --preset, or a file with a [race])")
    if len(texts) > limits.LANES:
        raise UsageError(f"--run: {len(texts)} lanes; a race takes at most {limits.LANES}")
    steps = _number_flag("--steps", args.steps, RUN["steps"])
    configs = []
    for text in texts:
        try:
            configs.append(parse_run(scenario, text, steps))
        except ConfigError as exc:
            raise UsageError(f"--run {text!r}: {exc}") from None
    given = [flag for name, flag in TUNE_FLAGS.items() if name != "tune" and getattr(args, name) not in (None, False)]
    if args.tune is not None:
        return _tuned(args, scenario, texts, configs)
    if given:
        raise UsageError(f"{given[0]}: only with --tune N (a fair comparison)")
    start = _start_flag(scenario, args.start)
    _check_output(args)

    from playground import report
    from playground.engine import warm_up

    warm_up()
    race = Race(scenario, configs, start)
    for number, lane in enumerate(race.lanes, 1):
        if caveat := lane.caveat():
            _warn(f"lane {number}: {caveat}")
    args.lanes = True  # every --record line names its lane
    _train(race.lanes, configs[0].steps, args)
    _emit(args, {"json": report.race_to_json, "csv": report.race_to_csv, "text": report.race_to_text}[args.format](race))
    return 0


# ------------------------------------------------------------------ sweep


def _sweep_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="playground sweep",
        description="Run one scenario at log-spaced learning rates and show the final loss (and divergence) against lr; with --momentum-points, at linearly spaced momenta as well: a phase diagram.",
    )
    p.add_argument("scenario", help="a bundled scenario name or a path to a .toml file")
    p.add_argument("--optimizer", help="the optimizer (default: the scenario's): " + optimizer_help())
    p.add_argument("--lr-min", default="1e-5", help="the first learning rate (default 1e-5)")
    p.add_argument("--lr-max", default="1", help="the last learning rate (default 1)")
    p.add_argument("--points", default="11", help="how many learning rates (default 11)")
    p.add_argument("--momentum-min", metavar="F", help="a second axis: the first momentum (default 0 once the axis is asked for)")
    p.add_argument("--momentum-max", metavar="F", help="the last momentum, below 1 (default 0.99)")
    p.add_argument("--momentum-points", metavar="M", help="how many momenta, spaced evenly: every learning rate is run at each")
    p.add_argument("--steps", help="updates at each learning rate (default: the scenario's)")
    p.add_argument("--momentum", help=MOMENTUM_HELP)
    p.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=None, help="Nesterov momentum (sgd)")
    p.add_argument("--loss", help="datasets: the loss")
    p.add_argument("--seed", help="seed for the model's initial weights and the minibatch order")
    p.add_argument("--batch-size", help="points per update; 0 = the whole training set")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="any other hyperparameter (repeatable)")
    p.add_argument("--workers", metavar="N", help=f"processes that run the cells at once (default: one per core, {_cores()} here); 1 runs them all in this one")
    _run_flags(p)
    _output_flags(p, ("text", "json"), record=False)
    return p


def _cores() -> int:
    from playground.workers import cores

    return cores()


def _momentum_axis(args: argparse.Namespace, given_hyper: dict[str, Any], hyper: dict[str, Any], optimizer: str) -> list[float] | None:
    """The momenta of a phase diagram's second axis, or None when no --momentum-* flag is given.
    `given_hyper`: the hyperparameters the flags set; `hyper`: all of them, resolved."""
    from playground.sweep import momentum_axis

    flags = {"momentum_min": "--momentum-min", "momentum_max": "--momentum-max", "momentum_points": "--momentum-points"}
    given = [flag for name, flag in flags.items() if getattr(args, name) is not None]
    if not given:
        return None
    if "momentum" in given_hyper:
        raise UsageError(f"{given[0]}: the sweep sets the momentum; leave out --momentum")
    if args.momentum_points is None:
        raise UsageError(f"{given[0]}: give --momentum-points M too: how many momenta to run")
    low = _number_flag("--momentum-min", args.momentum_min or "0", limits.MOMENTUM)
    high = _number_flag("--momentum-max", args.momentum_max or "0.99", limits.MOMENTUM)
    count = _number_flag("--momentum-points", args.momentum_points, limits.SWEEP_POINTS)
    if low > high:  # type: ignore[operator]
        raise UsageError(f"--momentum-min: {low:g} is above --momentum-max {high:g}")
    try:
        return momentum_axis(optimizer, hyper, low, high, count)  # type: ignore[arg-type]
    except ConfigError as exc:
        raise UsageError(f"{flags.get(exc.field, given[0])}: {exc.message}") from None


def cmd_sweep(argv: list[str]) -> int:
    args = _sweep_parser().parse_args(argv)
    args.lr = None  # the sweep sets it
    from playground import scenarios
    from playground.settings import resolve
    from playground.sweep import cells, learning_rates, sweep

    scenario = scenarios.load(args.scenario)
    optimizer = _optimizer_flag(args.optimizer if args.optimizer is not None else scenario.defaults.optimizer)
    hyper, flags = _hyper_flags(args, optimizer)
    if "lr" in hyper:
        raise UsageError("--param lr: the sweep sets the learning rate; use --lr-min and --lr-max")
    lr_min = _number_flag("--lr-min", args.lr_min, limits.LEARNING_RATE)
    lr_max = _number_flag("--lr-max", args.lr_max, limits.LEARNING_RATE)
    points = _number_flag("--points", args.points, limits.SWEEP_POINTS)
    if lr_min > lr_max:  # type: ignore[operator]
        raise UsageError(f"--lr-min: {lr_min:g} is above --lr-max {lr_max:g}")
    workers = _number_flag("--workers", args.workers, limits.WORKERS) or _cores()
    steps = _number_flag("--steps", args.steps, RUN["steps"])
    clip = _number_flag("--clip", args.clip, RUN["clip"])
    if args.schedule is not None:
        _schedule_flag(args.schedule)
        flags.update(_schedule_fields())
    try:
        config = resolve(scenario, optimizer=optimizer, hyper=hyper, loss=args.loss, seed=_number_flag("--seed", args.seed, RUN["seed"]), batch_size=_number_flag("--batch-size", args.batch_size, RUN["batch_size"]), steps=steps, schedule=args.schedule, clip=clip)
    except ConfigError as exc:
        raise _config_error(exc, scenario, flags) from None
    moms = _momentum_axis(args, hyper, config.hyper, optimizer)
    start = _start_flag(scenario, args.start)
    _check_output(args)

    from playground import report
    from playground.engine import warm_up

    warm_up()
    rates = learning_rates(lr_min, lr_max, points)  # type: ignore[arg-type]
    grid = cells(rates, moms)
    order = {cell: i for i, cell in enumerate(grid)}
    results = []
    shown = args.format == "text" and not args.output and sys.stderr.isatty()
    for point in sweep(scenario, config, rates, start, moms=moms, workers=workers, told=_warn):
        results.append(point)
        if shown:
            print(f"\r{len(results)}/{len(grid)} {'cells' if moms else 'learning rates'}", end="", file=sys.stderr, flush=True)
    if shown:
        print("\r" + " " * 30 + "\r", end="", file=sys.stderr)
    results.sort(key=lambda p: order[(p.lr, p.momentum)])
    text = report.sweep_to_json(scenario, config, results) if args.format == "json" else report.sweep_to_text(scenario, config, results)
    _emit(args, text)
    return 0


def cmd_list(argv: list[str]) -> int:
    p = _Parser(prog="playground list", description="List the bundled and user scenarios.")
    p.parse_args(argv)
    from playground import scenarios

    rows = []
    for entry in scenarios.list_entries():
        try:
            s = scenarios.load_file(entry.path)
            rows.append((entry.name, f"{s.kind:<14}  {s.description}" + ("" if entry.origin == "bundled" else f"  [user: {entry.path}]")))
        except PlaygroundError as exc:
            rows.append((entry.name, f"{'invalid':<14}  {exc}"))
    _print_named(rows)
    return 0


def _print_named(rows: list[tuple[str, str]]) -> None:
    """A listing: each row's name in a column as wide as the longest, then the rest."""
    width = max((len(name) for name, _ in rows), default=4)
    for name, rest in rows:
        print(printable(f"{name:<{width}}  {rest}"))


def cmd_check(argv: list[str]) -> int:
    p = _Parser(prog="playground check", description="Validate scenario and lesson files (without FILE: every bundled and user scenario, and the bundled lessons); exit 2 if any is bad.")
    p.add_argument("files", nargs="*", metavar="FILE")
    args = p.parse_args(argv)
    from pathlib import Path

    from playground import lessons, scenarios

    files = args.files or [str(entry.path) for entry in scenarios.list_entries()] + [str(path) for path in lessons.list_lessons()]
    bad = 0
    for path, scenario, error in scenarios.check_files(files):
        if scenario is not None and scenario.lesson is not None:  # a lesson: its parts too
            try:
                lessons.read(scenario, Path(path).stem)
            except PlaygroundError as exc:
                scenario, error = None, exc
        if scenario is not None:
            print(printable(f"{path}: ok", lines=False))
            for warning in scenario.warnings:
                _warn(warning)
        else:
            bad += 1
            _say(f"playground: error: {error}")
    return 2 if bad else 0


def cmd_explain(argv: list[str]) -> int:
    p = _Parser(prog="playground explain", description="How an optimizer or a loss works: its rule, its hyperparameters and when to choose it, as the app's explanation (i) shows it, with torch's defaults.")
    p.add_argument("name", nargs="?", metavar="NAME", help="an optimizer (sgd, adam, ...) or a loss (cross_entropy, nll, mse, ...); none: list them")
    args = p.parse_args(argv)
    from playground import explanations

    if args.name is None:
        print(explanations.index())
        return 0
    text = explanations.text_for(args.name)
    import shutil

    width = shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 100
    sys.stdout.write(explanations.render_plain(text, max(60, min(width, 120))))
    return 0


def cmd_lesson(argv: list[str]) -> int:
    p = _Parser(
        prog="playground lesson",
        description="Guided lessons: without NAME, list them; with it, open the app on the lesson, or play it headless with --check.",
    )
    p.add_argument("name", nargs="?", metavar="NAME|FILE", help="a bundled lesson's name or a lesson file")
    p.add_argument("--check", action="store_true", help="play every part headless: exit 0 when every expect holds, 1 naming the first that does not")
    p.add_argument("--present", action="store_true", help="presenter mode, for a projector: the plots and the lesson fill the screen (tab brings the settings back)")
    args = p.parse_args(argv)
    from playground import lessons

    if args.name is None:
        if args.check:
            raise UsageError("--check: name the lesson to check")
        rows = []
        for path in lessons.list_lessons():
            try:
                lesson = lessons.load(str(path))
                rows.append((lesson.name, f"{lesson.title}  ({len(lesson.parts)} parts)"))
            except PlaygroundError as exc:
                rows.append((path.stem, f"invalid  ({exc})"))
        _print_named(rows)
        return 0
    lesson = lessons.load(args.name)
    if not args.check:
        from playground.app import PlaygroundApp
        from playground.web.server import end_with_parent

        end_with_parent()
        return _ran(PlaygroundApp(lesson.scenario, lesson=lesson, present=args.present))
    from playground.session import Session

    session = Session(lesson.scenario)
    session.load_engine(background=False)
    if session.engine_error:
        raise UsageError(f"lesson {lesson.name}: the engine could not start: {session.engine_error}")
    failed = lessons.check(lesson, session)
    if session.faults:
        raise RuntimeError(session.faults[0])
    if failed is not None:
        part, why = failed
        _say(f"playground: lesson {lesson.name}: part {part}: {why}")
        return 1
    print(f"lesson {lesson.name}: {len(lesson.parts)} parts, every expectation holds")
    return 0


def cmd_serve(argv: list[str]) -> int:
    p = _Parser(
        prog="playground serve",
        description="Serve the playground to web browsers (textual-serve): each tab runs its own playground process, which ends when the tab closes; ctrl+c stops the server and every session.",
    )
    p.add_argument("scenario", nargs="?", default=None, help="the scenario each tab opens (default: rosenbrock)")
    p.add_argument("--lesson", metavar="NAME", help="each tab opens this lesson instead")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", default="8000", help="the port to listen on (default: 8000)")
    p.add_argument("--max-sessions", default="4", metavar="N", help="the most tabs served at once, each its own process holding torch in memory (default: 4)")
    p.add_argument("--sweep-workers", default="1", metavar="N", help="the most processes a session's sweep or phase diagram (w) may use, each holding torch in memory; 1 runs it in the session's own process (default: 1)")
    p.add_argument("--allow-host", action="append", default=[], metavar="NAME", help="a host name the server also answers to, as a page behind a proxy is addressed (the bound address and localhost always are); again for more")
    args = p.parse_args(argv)
    port = _number_flag("--port", args.port, limits.PORT)
    sessions = _number_flag("--max-sessions", args.max_sessions, limits.SESSIONS)
    sweep_workers = _number_flag("--sweep-workers", args.sweep_workers, limits.WORKERS)
    for name in args.allow_host:
        if not name.strip() or any(ch in name for ch in "/ @<>\"\'") or not name.isprintable():
            raise UsageError(f"--allow-host: {name!r} is not a host name")
    if args.lesson is not None and args.scenario is not None:
        raise UsageError("--lesson: a lesson brings its own scenario; give SCENARIO or --lesson, not both")
    from pathlib import Path

    from playground.web import server

    if args.lesson is not None:
        from playground import lessons

        lesson = lessons.load(args.lesson)
        path = lessons.resolve_path(args.lesson)
        app_args, title = ["lesson", str(path.resolve())], f"playground: {lesson.title}"
    else:
        from playground import scenarios

        ref = args.scenario or "rosenbrock"
        scenario = scenarios.load(ref)
        app_args = [str(Path(ref).resolve()) if Path(ref).is_file() else ref]
        title = f"playground: {scenario.name}"
    loopback = server.loopback_only(args.host)
    web = server.make_server(app_args, args.host, port, sessions, title, sweep_workers, args.allow_host)
    shown = f"[{args.host}]" if ":" in args.host else args.host

    def announce() -> None:
        if not loopback:
            _warn(f"--host {args.host}: anyone who can reach port {port} on this machine can run the playground here, {sessions} at a time")
        print(f"playground: serving {title.removeprefix('playground: ')} at http://{shown}:{port}/ (up to {sessions} sessions); ctrl+c stops it", flush=True)

    import asyncio

    asyncio.run(web.run(announce))
    print("playground: stopped; every session ended", flush=True)
    return 0


def _not_a_command(argv: list[str]) -> None:
    """`playground runn rosenbrock`: a mistyped command, named as one (not as extra arguments,
    nor as a scenario that does not exist)."""
    words = [w for w in argv if not w.startswith("-")]
    if not words:
        return
    import difflib

    from playground import scenarios
    from playground.errors import closest

    try:
        scenarios.resolve_path(words[0])
        return  # a scenario (any extra words are argparse's to refuse)
    except PlaygroundError:
        pass
    if len(words) > 1 or difflib.get_close_matches(words[0], COMMANDS, n=1, cutoff=0.6):
        raise UsageError(f"{words[0]!r} is not a command ({closest(words[0], COMMANDS)})")


def cmd_tui(argv: list[str]) -> int:
    p = _Parser(prog="playground", description="A terminal playground for gradient-based optimizers.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="?", default=None, help="a bundled scenario name or a path to a .toml file")
    p.add_argument("--version", action="version", version=f"playground {__version__}")
    p.add_argument("--present", action="store_true", help="presenter mode, for a projector: the plots fill the screen (tab brings the settings back)")
    _not_a_command(argv)
    args = p.parse_args(argv)
    from playground import scenarios

    scenario = scenarios.load(args.scenario or "rosenbrock")
    from playground.app import PlaygroundApp
    from playground.web.server import end_with_parent

    end_with_parent()
    return _ran(PlaygroundApp(scenario, present=args.present))


def _ran(app: Any) -> int:
    """Run the app; its exit status: Textual's own (1 when the app ended on an error, which it
    has printed), never 0 after a crash."""
    app.run()
    return app.return_code or 0



def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = {"list": cmd_list, "check": cmd_check, "run": cmd_run, "compare": cmd_compare, "sweep": cmd_sweep, "landscape": cmd_landscape, "explain": cmd_explain, "lesson": cmd_lesson, "serve": cmd_serve}.get(argv[0] if argv else "", None)
    try:
        if command is not None:
            return command(argv[1:])
        return cmd_tui(argv)
    except PlaygroundError as exc:
        _say(f"playground: error: {exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - a bug of ours: said as one, the traceback kept
        error = InternalError(exc)
        print(f"playground: internal error: {error} (a bug in playground, not in your input; traceback in {error.path})", file=sys.stderr)
        return 70  # EX_SOFTWARE


def entry() -> None:
    """The console script: `main`, then a quick exit. Tearing down torch's thousands of
    modules at interpreter exit takes seconds on a slow machine and does nothing useful, so
    after flushing the output the process ends at once."""
    import os

    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        code = code or 0
    os._exit(code)
