"""The gpsim command: run scenarios and print the scenario reference.

Bad input ends with one line on stderr naming the file, the key path, what was expected and
what was found, and exit status 2; nothing is written.
"""
from __future__ import annotations

import argparse
import json
import sys

from tqdm import tqdm

from .errors import InputError


def _run(args: argparse.Namespace) -> int:
    from .outputs import check_destination
    from .results import run
    from .scenario import load

    scenario = load(args.scenario, args.set)
    if args.out:
        from pathlib import Path
        check_destination(Path(args.out), args.force)
    replications = args.replications or scenario.replications
    total = scenario.months * replications
    with tqdm(total=total, unit="month", desc=scenario.name, disable=args.quiet or None, file=sys.stderr,
              mininterval=0.5) as bar:
        results = run(scenario.model_copy(update={}), replications=replications, seed=args.seed,
                      progress=bar.update)
    results.source, results.overrides = args.scenario, list(args.set)
    folder = results.save(args.out, force=args.force, charts=not args.no_charts)
    print(results.headline())
    print(f"Results written to {folder} ({results.seconds:.2f} s simulated time)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from .reference import markdown_reference
    from .schema import Scenario

    if args.json:
        print(json.dumps(Scenario.model_json_schema(), indent=2))
    else:
        print(markdown_reference())
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    main = argparse.ArgumentParser(prog="gpsim", description="Agent-based simulation of English GP practices working at scale.")
    commands = main.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run a scenario and write a results folder")
    run.add_argument("scenario", help="scenario YAML file")
    run.add_argument("--seed", type=int, help="root random seed (default: the scenario's)")
    run.add_argument("--replications", type=int, help="number of replications (default: the scenario's)")
    run.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                     help="override a scenario field, e.g. --set organisations.pcn.band.min_patients=100000 (repeatable)")
    run.add_argument("--out", help="results folder (default: a new folder under outputs/)")
    run.add_argument("--force", action="store_true", help="replace an existing results folder")
    run.add_argument("--no-charts", action="store_true", help="skip drawing charts")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=_run)

    schema = commands.add_parser("schema", help="print the scenario reference (every field, unit, default, source)")
    schema.add_argument("--json", action="store_true", help="emit JSON Schema for editors instead")
    schema.set_defaults(handler=_schema)
    return main


def main(argv: list[str] | None = None) -> int:
    """Entry point: returns the exit status."""
    args = parser().parse_args(argv)
    if getattr(args, "replications", None) is not None and args.replications < 1:
        return _fail(InputError("--replications", "", f"expected a whole number of at least 1; found {args.replications}"))
    try:
        return args.handler(args)
    except InputError as error:
        return _fail(error)
    except KeyboardInterrupt:
        print("gpsim: interrupted; no results written", file=sys.stderr)
        return 130


def _fail(error: InputError) -> int:
    print(f"gpsim: error: {error}", file=sys.stderr)
    return 2
