"""The gpsim command. Each subcommand lives in sim/commands/<name>.py.

Bad input ends with one line on stderr naming the file, the key path, what was expected and
what was found, and exit status 2; nothing is written.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from .errors import InputError

COMMANDS = ("run", "schema")


def parser() -> argparse.ArgumentParser:
    """The command-line interface, gathered from the command modules."""
    main = argparse.ArgumentParser(prog="gpsim", description="Agent-based simulation of English GP practices working at scale.")
    subparsers = main.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(subparsers)
    return main


def main(argv: list[str] | None = None) -> int:
    """Entry point: returns the exit status."""
    args = parser().parse_args(argv)
    for option in ("replications", "workers"):
        value = getattr(args, option, None)
        if value is not None and value < 1:
            return _fail(InputError(f"--{option}", "", f"expected a whole number of at least 1; found {value}"))
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
