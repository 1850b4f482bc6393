"""gpsim data check: report what NHS data files give before a scenario is built from them."""
from __future__ import annotations

import argparse
import datetime
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser("data", help="work with NHS open data files")
    actions = parser.add_subparsers(dest="action", required=True)
    check = actions.add_parser(
        "check", help="report practices, patients, workforce coverage and gaps in NHS data files",
        description="Report what NHS data files give: practices, patients, coverage of workforce figures, "
                    "practices missing from one file or another, and how gaps are filled. Give the files "
                    "(each kind is recognised by its header) or a scenario file whose population names them. "
                    "Exit status 0: a population can be built; 1: it cannot (a file is missing or no practice "
                    "is open); 2: bad input.")
    check.add_argument("files", nargs="+", metavar="FILE", help="data files, or one scenario YAML file")
    check.add_argument("--start", help="month the population is taken at, YYYY-MM (default: the scenario's start, "
                                       "else the registrations extract month, else this month)")
    check.add_argument("--region", action="append", default=[], metavar="CODE",
                       help="keep only practices in this ICB or sub-ICB (repeatable)")
    check.set_defaults(handler=handle_check)


def handle_check(args: argparse.Namespace) -> int:
    from sim.population.nhs_files import (
        DataFiles,
        identify,
        parse_date,
        read_registrations,
        report,
    )
    from sim.scenario.errors import InputError
    from sim.scenario.schema import _as_year_month

    start, region, kind = args.start, list(args.region), "pcn"
    scenarios = [f for f in args.files if Path(f).suffix.lower() in (".yaml", ".yml")]
    if scenarios:
        from sim.scenario.loading import load
        if len(args.files) > 1:
            raise InputError(scenarios[0], "", "expected either one scenario file or data files; found both")
        scenario = load(scenarios[0])
        population = scenario.population
        if population.source != "nhs_files":
            raise InputError(scenarios[0], "population.source", f"expected nhs_files; found '{population.source}'")
        files = DataFiles.of(population)
        start, region, kind = start or scenario.start, region or list(population.region), population.network_kind
    else:
        files = DataFiles()
        for path in args.files:
            name = identify(path)
            if getattr(files, name) is not None:
                raise InputError(path, "", f"expected one file of each kind; found a second {name} file "
                                           f"(the first is {getattr(files, name)})")
            setattr(files, name, Path(path))
    if start:
        try:
            start = _as_year_month(start)
        except ValueError as error:
            raise InputError("--start", "", f"expected {error}") from None
    elif files.registrations is not None:
        extract = parse_date(read_registrations(files.registrations)[1]["extract_date"] or "")
        start = f"{extract // 10000:04d}-{extract // 100 % 100:02d}" if extract else None
    if not start:
        start = datetime.date.today().strftime("%Y-%m")
    text, status = report(files, start, region, kind)
    print(text)
    return status
