"""gpsim scenarios: list the shipped scenarios, or copy one to a new file under a new name, the
way a new policy starts."""
from __future__ import annotations

import argparse
import re
from pathlib import Path

from sim.scenario.errors import InputError

_NAME_LINE = re.compile(r"^name:.*$", re.MULTILINE)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


def register(commands) -> None:
    parser = commands.add_parser("scenarios", help="list the shipped scenarios, or copy one to start a new scenario",
                                 description="With no arguments, list the shipped scenarios (run any by name: "
                                             "gpsim run NAME). With NAME FILE, copy scenario NAME to FILE under a new name.")
    parser.add_argument("name", nargs="?", help="shipped scenario to copy")
    parser.add_argument("file", nargs="?", help="new scenario file to write (never replaces an existing file)")
    parser.add_argument("--name", dest="new_name", help="the copy's name (default: the new file's name without .yaml)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from sim.scenario.shipped import shipped_scenarios

    shipped = shipped_scenarios()
    if args.name is None:
        _list(shipped)
        return 0
    if args.file is None:
        raise InputError("gpsim scenarios", "FILE", f"expected a new file to copy '{args.name}' to; found none")
    source = shipped.get(args.name.removesuffix(".yaml"))
    if source is None:
        raise InputError("gpsim scenarios", "NAME", f"expected one of the shipped scenarios ({', '.join(shipped)}); found '{args.name}'")
    target = Path(args.file)
    name = args.new_name or target.stem
    if not _NAME.match(name):
        raise InputError("--name", "", f"expected a name of letters, digits, '_', '.' and '-' (at most 80); found '{name}'")
    copy_scenario(source, target, name)
    print(f"Copied {source.stem} to {target} as '{name}'. Edit it, then: gpsim run {target}")
    return 0


def copy_scenario(source: Path, target: Path, name: str) -> None:
    """Write the shipped scenario's text to `target` with its `name:` line set to `name`; its
    `extends:` still finds the shipped scenario by name. An existing target is never replaced."""
    text = source.read_text(encoding="utf-8")
    line = f"name: {name}"
    text = _NAME_LINE.sub(line, text, count=1) if _NAME_LINE.search(text) else f"{line}\n{text}"
    if not target.parent.is_dir():
        raise InputError(str(target), "", f"expected a file in an existing folder; found no folder '{target.parent}'")
    try:
        with open(target, "x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        raise InputError(str(target), "", "expected a new file; found one already there (gpsim never replaces it)") from None


def _list(shipped: dict[str, Path]) -> None:
    from sim.scenario.yaml_safety import read_yaml

    width = max(len(name) for name in shipped)
    for name, path in shipped.items():
        print(f"{name:{width}s}  {read_yaml(path).get('title', '')}")
    print("Run one by name (gpsim run NAME); copy one to start your own (gpsim scenarios NAME FILE --name NEW).")
