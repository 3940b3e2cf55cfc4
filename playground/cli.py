"""The command line: `playground [SCENARIO]`, `list`, `check FILE...`, `run SCENARIO ...`.

Argument parsing and printing only; the work is in scenarios, settings, engine and report. Bad
input of any kind ends with exit status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from playground import __version__
from playground.errors import ConfigError, PlaygroundError

COMMANDS = ("list", "check", "run")
EPILOG = """commands:
  playground [SCENARIO]      open the playground (SCENARIO: a bundled name or a .toml file)
  playground list            bundled and user scenarios
  playground check FILE...   validate scenario files
  playground run SCENARIO    train headless and print the result (see `playground run --help`)
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
    p.add_argument("scenario", help="a bundled scenario name or a path to a .toml file")
    p.add_argument("--optimizer", help="sgd, adam, adamw, nadam, radam, adamax, rmsprop, adagrad, adadelta, rprop, asgd, lbfgs")
    p.add_argument("--lr", help="learning rate, e.g. 0.001 or 1e-3")
    p.add_argument("--momentum", help="momentum (sgd, rmsprop)")
    p.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=None, help="Nesterov momentum (sgd)")
    p.add_argument("--loss", help="datasets: nll, cross_entropy, mse (classification); mse, l1, huber (regression)")
    p.add_argument("--steps", help="number of updates (default: the scenario's)")
    p.add_argument("--seed", help="seed for the model's initial weights and the minibatch order")
    p.add_argument("--batch-size", help="points per update; 0 = the whole training set")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="any other hyperparameter, e.g. betas=0.9,0.99 (repeatable)")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text", help="what to print (default: text)")
    p.add_argument("--output", metavar="FILE", help="write the result to FILE instead of standard output")
    p.add_argument("--force", action="store_true", help="replace FILE if it exists")
    return p


def _int_flag(flag: str, text: str | None, low: int = 0) -> int | None:
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        raise UsageError(f"{flag}: {text!r} is not a whole number") from None
    if value < low:
        raise UsageError(f"{flag}: {value} is too small: it must be >= {low}")
    return value


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


def cmd_run(argv: list[str]) -> int:
    args = _run_parser().parse_args(argv)
    from playground import scenarios
    from playground.settings import resolve

    scenario = scenarios.load(args.scenario)
    for warning in scenario.warnings:
        print(f"playground: warning: {warning}", file=sys.stderr)
    optimizer = args.optimizer if args.optimizer is not None else scenario.defaults.optimizer
    try:
        from playground.optimizers import get_optimizer

        optimizer = get_optimizer(optimizer).name
    except ConfigError as exc:
        raise UsageError(f"--optimizer: {exc.message}") from None
    if args.loss is not None and not args.loss.strip():
        raise UsageError("--loss: the value is empty; give a loss name (see `playground run --help`)")
    hyper, flags = _hyper_flags(args, optimizer)
    steps = _int_flag("--steps", args.steps)
    seed = _int_flag("--seed", args.seed)
    batch = _int_flag("--batch-size", args.batch_size)
    if steps is not None and steps > scenarios.MAX_STEPS:
        raise UsageError(f"--steps: {steps} is too many: at most {scenarios.MAX_STEPS}")
    try:
        config = resolve(scenario, optimizer=optimizer, hyper=hyper, loss=args.loss, seed=seed, batch_size=batch, steps=steps)
    except ConfigError as exc:
        flag = flags.get(exc.field) or {"loss": "--loss", "batch_size": "--batch-size", "seed": "--seed", "steps": "--steps"}.get(exc.field)
        if flag is None:  # a value that came from the scenario file
            raise UsageError(f"{scenario.source}: defaults.{exc.field}: {exc.message}") from None
        raise UsageError(f"{flag}: {exc.message}") from None
    if args.output:
        from pathlib import Path

        if Path(args.output).exists() and not args.force:
            raise UsageError(f"--output: {args.output} exists; add --force to replace it")
        folder = Path(args.output).parent
        if not folder.is_dir():
            raise UsageError(f"--output: the folder {str(folder)!r} does not exist")

    from playground import report
    from playground.engine import Run, warm_up

    warm_up()  # torch's one-time costs, kept out of the run's own timing
    run = Run(scenario, config, full_history=args.format != "text")  # text prints a summary only
    run.step(config.steps)
    text = {"json": report.to_json, "csv": report.to_csv, "text": report.to_text}[args.format](run)
    if args.output:
        from playground.files import write_atomic

        write_atomic(args.output, text, force=args.force)
        print(f"playground: wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_list(argv: list[str]) -> int:
    p = _Parser(prog="playground list", description="List the bundled and user scenarios.")
    p.parse_args(argv)
    from playground import scenarios

    rows = []
    for entry in scenarios.list_entries():
        try:
            s = scenarios.load_file(entry.path)
            rows.append((entry.name, s.kind, s.description + ("" if entry.origin == "bundled" else f"  [user: {entry.path}]")))
        except PlaygroundError as exc:
            rows.append((entry.name, "invalid", str(exc)))
    width = max((len(r[0]) for r in rows), default=4)
    for name, kind, desc in rows:
        print(f"{name:<{width}}  {kind:<14}  {desc}")
    return 0


def cmd_check(argv: list[str]) -> int:
    p = _Parser(prog="playground check", description="Validate scenario files; exit 2 if any is bad.")
    p.add_argument("files", nargs="+", metavar="FILE")
    args = p.parse_args(argv)
    from playground import scenarios

    bad = 0
    for path, error in scenarios.check_files(args.files):
        if error is None:
            print(f"{path}: ok")
        else:
            bad += 1
            print(f"playground: error: {error}", file=sys.stderr)
    return 2 if bad else 0


def cmd_tui(argv: list[str]) -> int:
    p = _Parser(prog="playground", description="A terminal playground for gradient-based optimizers.", epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", nargs="?", default=None, help="a bundled scenario name or a path to a .toml file")
    p.add_argument("--version", action="version", version=f"playground {__version__}")
    args = p.parse_args(argv)
    from playground import scenarios

    scenario = scenarios.load(args.scenario or "rosenbrock")
    from playground.app import PlaygroundApp

    PlaygroundApp(scenario).run()
    return 0



def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = {"list": cmd_list, "check": cmd_check, "run": cmd_run}.get(argv[0] if argv else "", None)
    try:
        if command is not None:
            return command(argv[1:])
        return cmd_tui(argv)
    except PlaygroundError as exc:
        print(f"playground: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


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
