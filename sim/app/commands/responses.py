"""gpsim responses: run each policy lever at a few levels with common random numbers and write a
response atlas folder (responses.csv, runs.csv, a chart per lever, manifest.json)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .run import (
    add_output_options,
    add_scenario_options,
    note_dropped_changes,
    progress_bar,
)


def register(commands) -> None:
    parser = commands.add_parser("responses", help="a response atlas: each policy lever at a few levels, with common random numbers")
    parser.add_argument("scenario", help="scenario YAML file (or the name of a shipped scenario)")
    parser.add_argument("--levers", nargs="+", metavar="LEVER",
                        help="levers to run (default: all; see docs/responses.md), separated by spaces or commas")
    parser.add_argument("--workers", type=int, default=1, help="local worker processes (default: 1)")
    add_scenario_options(parser)
    add_output_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.analysis.responses import choose_levers, plan
    from sim.results.folder import check_destination
    from sim.scenario.loading import resolve

    names = [name for text in args.levers or () for name in text.split(",") if name]
    levers = choose_levers(names)
    base = resolve(args.scenario, args.set, seed=args.seed, replications=args.replications)
    note_dropped_changes(base)
    plan(base, levers)  # every level checked before anything runs
    if args.out:
        check_destination(Path(args.out), args.force)
    from sim.analysis.responses import responses

    runs = sum(len(lever.levels) for lever in levers) * base.scenario.replications
    with progress_bar(runs, "responses", args.quiet) as bar:
        bar.unit = "run"
        atlas = responses(base, [lever.name for lever in levers], workers=args.workers, progress=bar.update)
    folder = atlas.save(args.out, force=args.force, charts=not args.no_charts)
    differing = atlas.disagreements()
    print(f"Response atlas of {len(levers)} lever(s), {atlas.replications} replication(s) per level, seed {atlas.seed}: "
          f"{len(differing)} lever-outcome pair(s) move against the expected direction")
    for row in differing.itertuples():
        print(f"  {row.lever} -> {row.outcome}: expected {row.expected}, observed {row.observed}")
    print(f"Atlas written to {folder} ({atlas.seconds:.2f} s to simulate)")
    return 0
