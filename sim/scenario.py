"""Load a scenario YAML safely, apply overrides, validate, and resolve its dated changes.

Every failure becomes an InputError naming the file, the key path, what was expected and what
was found; nothing in a scenario is ever evaluated as code.
"""
from __future__ import annotations

import copy
import difflib
import hashlib
import re
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from .errors import InputError
from .schema import Scenario, month_number

MAX_FILE_BYTES = 1_000_000
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader (no Python object tags) that also refuses duplicate keys."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}'", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def read_yaml(path: str | Path) -> dict:
    """Read a YAML mapping from a file, refusing anything but plain data."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "", "expected an existing scenario file; found nothing there")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InputError(path, "", f"expected a file under {MAX_FILE_BYTES:,} bytes; found {path.stat().st_size:,}")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (safe subclass)
    except UnicodeDecodeError:
        raise InputError(path, "", "expected UTF-8 text; found binary data") from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f"line {mark.line + 1}: " if mark else ""
        raise InputError(path, "", f"{line}YAML does not parse: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise InputError(path, "", f"YAML does not parse: {error}") from None
    if not isinstance(data, dict):
        raise InputError(path, "", f"expected a mapping of keys to values; found {type(data).__name__}")
    return data


def parse_override(text: str) -> tuple[str, Any]:
    """Split a --set argument 'key.path=value', reading the value as a YAML scalar or list."""
    if "=" not in text:
        raise InputError("--set", text, "expected key.path=value; found no '='")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise InputError("--set", key, f"expected a YAML value; found '{raw}'") from None
    return key.strip(), value


def set_path(data: dict, key: str, value: Any, source: str = "--set") -> None:
    """Set a dotted key path in nested dicts and lists, creating mappings on the way."""
    parts = key.split(".")
    if not key or any(not part for part in parts):
        raise InputError(source, key, "expected a dotted key path such as money.fixed_costs")
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise InputError(source, key, f"expected an index below {len(node)}; found '{part}'")
            index: Any = int(part)
        elif isinstance(node, dict):
            index = part
            if not last and not isinstance(node.get(part), (dict, list)):
                node[part] = {}
        else:
            raise InputError(source, key, f"expected '{'.'.join(parts[:depth])}' to hold keys; found a value")
        if last:
            node[index] = value
        else:
            node = node[index]


def _field_type(model: type[BaseModel], name: str) -> Any:
    field = model.model_fields.get(name)
    return None if field is None else field.annotation


def _allowed_keys(loc: tuple) -> list[str]:
    """The keys a mapping at this location may hold, for did-you-mean hints."""
    node: Any = Scenario
    for part in loc:
        while get_origin(node) is not None and get_origin(node) is not dict and get_origin(node) is not list:
            node = next(a for a in get_args(node) if a is not type(None))
        if isinstance(node, type) and issubclass(node, BaseModel):
            node = _field_type(node, part)
        elif get_origin(node) in (dict, list):
            node = get_args(node)[-1]
        else:
            return []
    while get_origin(node) is not None and get_origin(node) not in (dict, list):
        node = next(a for a in get_args(node) if a is not type(None))
    if isinstance(node, type) and issubclass(node, BaseModel):
        return list(node.model_fields)
    return []


def _describe(error: dict) -> tuple[str, str]:
    loc = tuple(str(p) for p in error["loc"])
    key = ".".join(loc)
    found = error.get("input")
    if error["type"] == "extra_forbidden":
        options = _allowed_keys(loc[:-1])
        guess = difflib.get_close_matches(loc[-1], options, n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        return key, f"unknown key '{loc[-1]}'{hint}; expected one of: {', '.join(options)}"
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message.replace("Input should be ", "").replace("String should ", "")
    shown = repr(found) if not isinstance(found, dict) else "a mapping"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if error["type"] == "missing":
        return key, "expected a value; found the key missing"
    if error["type"] in ("value_error", "assertion_error") and isinstance(found, dict):
        return key, message
    return key, f"expected {message}; found {shown}"


def validate(data: dict, source: str) -> Scenario:
    """Build a Scenario from plain data, or raise an InputError for the first problem."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        key, problem = _describe(error.errors()[0])
        raise InputError(source, key, problem) from None
    _check_consistency(scenario, source)
    return scenario


def _inside(scenario: Scenario, when: str, source: str, key: str, allow_start: bool = True) -> None:
    first, end = month_number(scenario.start), month_number(scenario.start) + scenario.months
    at = month_number(when)
    if at < first or at >= end or (at == first and not allow_start):
        raise InputError(source, key, f"expected a month from {scenario.start} to before {scenario.end}; found {when}")


def _check_consistency(scenario: Scenario, source: str) -> None:
    for name, organisation in scenario.organisations.items():
        if not _NAME.match(name):
            raise InputError(source, f"organisations.{name}", "expected a lower-case name of letters, digits and _")
        if organisation.opens:
            _inside(scenario, organisation.opens, source, f"organisations.{name}.opens")
    roles = scenario.additional_roles
    if roles.start:
        _inside(scenario, roles.start, source, "additional_roles.start")
        if roles.employer not in scenario.organisations:
            raise InputError(source, "additional_roles.employer",
                             f"expected one of the organisations ({', '.join(scenario.organisations) or 'none defined'}); found '{roles.employer}'")
    for index, change in enumerate(scenario.changes):
        _inside(scenario, change.date, source, f"changes.{index}.date", allow_start=False)


def merge(base: dict, changes: dict) -> dict:
    """Deep-merge mappings: changes win; a null in changes removes the key (its default applies)."""
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def read_scenario_data(path: str | Path, _seen: tuple = ()) -> dict:
    """Read a scenario file, resolving `extends: other.yaml` (relative to the file) first."""
    path = Path(path)
    data = read_yaml(path)
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise InputError(path, "extends", f"expected the path of another scenario file; found {base!r}")
    base_path = (path.parent / base).resolve()
    if base_path in _seen or base_path == path.resolve():
        raise InputError(path, "extends", f"expected a chain of files without loops; found '{base}' again")
    return merge(read_scenario_data(base_path, _seen + (path.resolve(),)), data)


def load(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Load and validate a scenario file, applying --set style overrides first."""
    data = read_scenario_data(path)
    for text in overrides:
        key, value = parse_override(text)
        set_path(data, key, value)
    source = f"{path} (with --set)" if overrides else str(path)
    scenario = validate(data, source)
    timeline(scenario, source)  # every dated change must itself give a valid scenario
    return scenario


def timeline(scenario: Scenario, source: str = "scenario") -> list[tuple[int, Scenario]]:
    """The scenario in force from each month offset: [(0, scenario), (offset, changed), ...]."""
    steps = [(0, scenario)]
    data = scenario.model_dump(mode="json")
    data["changes"] = []
    start = month_number(scenario.start)
    ordered = sorted(enumerate(scenario.changes), key=lambda item: month_number(item[1].date))
    for index, change in ordered:
        for key, value in change.set.items():
            if key.split(".")[0] in ("start", "months", "seed", "replications", "population", "changes", "name"):
                raise InputError(source, f"changes.{index}.set.{key}", "expected a key that may change during a run; found one fixed at the start")
            set_path(data, key, copy.deepcopy(value), source=f"{source} changes.{index}.set")
        try:
            changed = Scenario.model_validate(data)
        except ValidationError as error:
            key, problem = _describe(error.errors()[0])
            raise InputError(source, f"changes.{index}.set: {key}", problem) from None
        if set(changed.organisations) != set(scenario.organisations):
            raise InputError(source, f"changes.{index}.set", "expected changes to existing organisations; found a new or removed kind")
        steps.append((month_number(change.date) - start, changed))
    return steps


def file_digest(path: str | Path) -> str:
    """SHA-256 of a scenario file, for provenance."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
