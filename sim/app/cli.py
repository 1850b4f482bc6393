"""The gpsim command. Each subcommand lives in sim/app/commands/<name>.py.

Bad input ends with one line on stderr naming the file, the key path, what was expected and
what was found, and exit status 2; nothing is written.
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from sim.scenario.errors import InputError

COMMANDS = ("run", "schema", "sweep", "dashboard", "data", "compare", "report", "validate", "calibrate", "rerun", "responses", "scenarios")


class _Parser(argparse.ArgumentParser):
    """argparse, with usage mistakes reported like every other bad input: one line, exit 2."""

    def error(self, message: str):
        where = "" if self.prog == "gpsim" else f"{self.prog}: "
        if self.prog == "gpsim" and "required: command" in message:
            message = f"expected a command ({', '.join(COMMANDS)}); found none"
        print(f"gpsim: error: {where}{message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


class _Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that partial results are cleaned up."""


def _raise_terminated(signum, frame):
    raise _Terminated()


def _raise_interrupted(signum, frame):
    raise KeyboardInterrupt()


SEED_RANGE = (0, 2**63 - 1)
MAX_REPLICATIONS = 10_000


def _check_options(args: argparse.Namespace) -> InputError | None:
    """Numbers given as options, checked before anything runs."""
    for option, low, high in (("replications", 1, MAX_REPLICATIONS), ("workers", 1, 1024), ("seed", *SEED_RANGE)):
        value = getattr(args, option, None)
        if value is not None and not low <= value <= high:
            return InputError(f"--{option}", "", f"expected a whole number from {low:,} to {high:,}; found {value:,}")
    if getattr(args, "out", None) is not None and not args.out.strip():
        return InputError("--out", "", "expected a folder path; found an empty one")
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point: returns the exit status (0 done, 1 failed, 2 bad input, 130 interrupted,
    143 terminated). Interrupted and terminated runs leave no results folder behind."""
    if argv is None:
        # The gpsim command draws its charts headless unless told otherwise; called from Python,
        # it leaves the caller's matplotlib backend alone.
        os.environ.setdefault("MPLBACKEND", "Agg")
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {signal.SIGTERM: signal.signal(signal.SIGTERM, _raise_terminated),
                    signal.SIGINT: signal.signal(signal.SIGINT, _raise_interrupted)}
    try:
        args = parser().parse_args(argv)
        problem = _check_options(args)
        if problem is not None:
            return _fail(problem)
        return args.handler(args)
    except InputError as error:
        return _fail(error)
    except KeyboardInterrupt:
        print("gpsim: interrupted; no results written", file=sys.stderr)
        return 130
    except _Terminated:
        print("gpsim: terminated; no results written", file=sys.stderr)
        return 143
    except OSError as error:
        if isinstance(error, BrokenPipeError):
            return 1
        where = f"{error.filename}: " if error.filename else ""
        print(f"gpsim: error: {where}{error.strerror or error}", file=sys.stderr)
        return 1
    finally:
        destinations = sys.modules.get("sim.results.destination")
        if destinations is not None:
            destinations.release()  # the locks of destinations this command did not get to write
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _fail(error: InputError) -> int:
    print(f"gpsim: error: {error}", file=sys.stderr)
    return 2


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("gpsim")
    except PackageNotFoundError:
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    """The command-line interface, gathered from the command modules."""
    main = _Parser(prog="gpsim", description="Agent-based simulation of English GP practices working at scale.")
    main.add_argument("--version", action="version", version=f"gpsim {_version()}")
    subparsers = main.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f".commands.{name}", __package__).register(subparsers)
    return main
