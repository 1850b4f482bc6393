"""gpsim compare: run scenarios with the same seeds and common random numbers and write a
comparison folder (comparison.csv, equity.csv, charts)."""
from __future__ import annotations

import argparse
from pathlib import Path

from .run import (
    add_output_options,
    add_plausibility_option,
    add_scenario_options,
    add_uncertainty_option,
    progress_bar,
    settings,
    warn_duplicate_names,
)


def register(commands) -> None:
    parser = commands.add_parser("compare", help="compare scenarios with the first (the baseline) under common random numbers")
    parser.add_argument("scenarios", nargs="+", metavar="scenario", help="scenario YAML files; the first is the baseline")
    add_scenario_options(parser)
    add_uncertainty_option(parser, "parameters")
    add_output_options(parser)
    add_plausibility_option(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.results.folder import check_destination
    from sim.scenario.errors import InputError
    from sim.scenario.loading import resolve

    if len(args.scenarios) < 2:
        raise InputError("scenarios", "", f"expected at least two scenario files to compare; found {len(args.scenarios)}")
    # Resolve every file first, so bad input fails before any simulation runs.
    first = resolve(args.scenarios[0], settings(args), seed=args.seed, replications=args.replications)
    options = {"seed": first.scenario.seed, "replications": first.scenario.replications}
    scenarios = [first] + [resolve(path, settings(args), **options) for path in args.scenarios[1:]]
    if args.out:
        check_destination(Path(args.out), args.force)
    from sim.analysis.compare import (  # loads the model, so only once the input is known to be good
        check_calendars,
        compare,
    )

    check_calendars(scenarios)
    for entry in scenarios:
        warn_duplicate_names(entry)

    months = sum(s.scenario.months for s in scenarios) * first.scenario.replications
    with progress_bar(months, "compare", args.quiet) as bar:
        comparison = compare(scenarios, progress=bar.update, uncertainty=args.uncertainty or "parameters")
    folder = comparison.save(args.out, force=args.force, charts=not args.no_charts)
    print(comparison.headline())
    print(f"Comparison written to {folder} ({comparison.seconds:.2f} s to simulate)")
    return 0
