"""gpsim run: run a scenario and write a results folder."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by commands that run scenarios: --seed, --replications, --set."""
    parser.add_argument("--seed", type=int, help="root random seed (default: the scenario's)")
    parser.add_argument("--replications", type=int, help="number of replications (default: the scenario's)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                        help="override a scenario field, e.g. --set organisations.pcn.band.min_patients=100000 (repeatable)")


UNCERTAINTY_MODES = ("parameters", "stochastic")  # sim.results.parameter_sets.MODES, without loading the model
SCENARIO_DEFAULT = "parameters for a scenario that starts from another run (start_from), stochastic otherwise"


def add_uncertainty_option(parser: argparse.ArgumentParser, default: str = SCENARIO_DEFAULT) -> None:
    """--uncertainty: what the intervals across replications include."""
    parser.add_argument("--uncertainty", choices=UNCERTAINTY_MODES,
                        help="what the intervals across replications include: 'parameters' runs each replication with a "
                             "parameter set drawn from the calibration ensemble (random variation and calibrated-parameter "
                             "uncertainty; --set values still hold), 'stochastic' keeps the calibrated point (random "
                             f"variation only); default: {default}")


def register(commands) -> None:
    parser = commands.add_parser("run", help="run a scenario and write a results folder")
    parser.add_argument("scenario", help="scenario YAML file")
    add_scenario_options(parser)
    add_uncertainty_option(parser)
    add_output_options(parser)
    add_plausibility_option(parser)
    parser.set_defaults(handler=handle)


def add_plausibility_option(parser: argparse.ArgumentParser) -> None:
    """--allow-implausible, for the commands that read NHS data files and write results."""
    parser.add_argument("--allow-implausible", action="store_true",
                        help="run even when NHS data files hold figures outside the plausible ranges (docs/data.md); "
                             "each is printed as a warning and recorded in manifest.json")


def settings(args: argparse.Namespace) -> list[str]:
    """The --set overrides, with --allow-implausible as the setting it stands for."""
    return list(args.set) + (["population.allow_implausible=true"] if args.allow_implausible else [])


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by commands that write a results folder: --out, --force, --no-charts, --quiet."""
    parser.add_argument("--out", help="results folder (default: a new folder under outputs/)")
    parser.add_argument("--force", action="store_true", help="replace an existing results folder")
    parser.add_argument("--no-charts", action="store_true", help="skip drawing charts")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def progress_bar(total: int, label: str, quiet: bool) -> tqdm:
    """A progress bar on stderr (hidden with --quiet or when stderr is not a terminal)."""
    return tqdm(total=total, unit="month", desc=label, disable=quiet or None, file=sys.stderr, mininterval=0.5)


def note_dropped_changes(resolved) -> None:
    """Say on stderr which dated changes' settings gave way to --set (the manifest records them too)."""
    if resolved.dropped_changes:
        print(f"gpsim: note: --set holds for the whole run; dated settings dropped: {'; '.join(resolved.dropped_changes)}",
              file=sys.stderr)
    if resolved.beyond_end:
        print(f"gpsim: note: never reached in this run: {'; '.join(resolved.beyond_end)}", file=sys.stderr)


def warn_of_data(warnings: list[str]) -> None:
    """Print what reading the data files found (lines skipped, encodings, implausible values
    allowed) on stderr, one line each; the manifest records them too."""
    for text in warnings:
        print(f"gpsim: warning: {text}", file=sys.stderr)


def warn_duplicate_names(resolved) -> None:
    """Warn on stderr when the scenario file reuses another scenario file's name or title."""
    from sim.report.policies import duplicate_warnings

    for warning in duplicate_warnings(resolved.source):
        print(f"gpsim: warning: {warning}", file=sys.stderr)


def handle(args: argparse.Namespace) -> int:
    from sim.scenario.loading import resolve

    resolved = resolve(args.scenario, settings(args), seed=args.seed, replications=args.replications)
    note_dropped_changes(resolved)
    from sim.app.api import run
    from sim.results.folder import check_destination, default_folder

    warn_duplicate_names(resolved)
    scenario = resolved.scenario
    target = Path(args.out) if args.out else default_folder(scenario.name)
    check_destination(target, args.force)  # and holds its lock, so a second writer stops before simulating
    with progress_bar(scenario.months * scenario.replications, scenario.name, args.quiet) as bar:
        results = run(resolved, progress=bar.update, uncertainty=args.uncertainty)
    warn_of_data(results.data_warnings)
    folder = results.save(target, force=args.force, charts=not args.no_charts)
    print(results.headline())
    print(f"Results written to {folder} ({results.seconds:.2f} s to simulate)")
    return 0
