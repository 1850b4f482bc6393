"""gpsim schema: print the scenario reference, or JSON Schema for editors."""
from __future__ import annotations

import argparse
import json


def register(commands) -> None:
    parser = commands.add_parser("schema", help="print the scenario reference (every field, unit, default, source)")
    parser.add_argument("--json", action="store_true", help="emit JSON Schema for scenario files (extends, null removals and changes included) for editors")
    parser.add_argument("--table", action="store_true", help="print the one-table parameter list used in docs/ODD.md")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.scenario.reference import json_schema, markdown_reference, parameter_table

    if args.json:
        print(json.dumps(json_schema(), indent=2))
    else:
        print(parameter_table() if args.table else markdown_reference())
    return 0
