"""gpsim schema: print the scenario reference, or JSON Schema for editors."""
from __future__ import annotations

import argparse
import json


def register(commands) -> None:
    parser = commands.add_parser("schema", help="print the scenario reference (every field, unit, default, source)")
    parser.add_argument("--json", action="store_true", help="emit JSON Schema for editors instead")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from ..reference import markdown_reference
    from ..schema import Scenario

    print(json.dumps(Scenario.model_json_schema(), indent=2) if args.json else markdown_reference())
    return 0
