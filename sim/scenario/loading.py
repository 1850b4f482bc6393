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

from sim.scenario.errors import InputError
from sim.scenario.schema import Scenario, month_number

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_VALUES = 100_000
MAX_DIGITS = 50
MAX_EXTENDS = 20
MAX_PRACTICE_MONTHS = 100_000_000
EARLIEST_START, LATEST_END = "1948-07", "2200-01"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")}
# The population fields that name data files (paths relative to the scenario file that names them).
FILE_FIELDS = ("registrations", "registrations_map", "workforce", "pcn_membership", "practices_file", "coordinates")


class _Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader: builds only plain data (no Python objects), never runs code."""


def _line(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "an unknown line"


def _kind(value: Any) -> str:
    """Plain words for the type of a YAML value."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a yes/no value)"
    if isinstance(value, (int, float)):
        return f"{value!r} (a number)"
    if isinstance(value, str):
        return f"{_short(value)} (text)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def _short(value: Any, limit: int = 60) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _scan(path: Path, text: str) -> None:
    """Parse the YAML events once, without building anything, so that a syntax error can be
    reported with the key path it occurred under, and so that nesting depth, the number of
    values, undefined aliases and extra documents are refused before any data is built."""
    stack: list[list] = []  # per open collection: [is_mapping, key or index, awaiting a key, role]
    anchors: set[str] = set()
    documents = count = 0

    def where() -> str:
        parts = []
        for is_mapping, key, awaiting_key, _ in stack:
            if is_mapping and (awaiting_key or key is None):
                break
            parts.append(str(key))
        if len(parts) > 8:
            parts = parts[:3] + [f"...({len(parts) - 5} levels)..."] + parts[-2:]
        return ".".join(parts)

    def node_done() -> None:
        if stack:
            top = stack[-1]
            if top[0]:
                top[2] = not top[2]
            else:
                top[1] += 1

    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise InputError(path, "", f"expected one YAML document; found a second one at {_line(event.start_mark)}")
                continue
            if not isinstance(event, (yaml.NodeEvent, yaml.CollectionEndEvent)):
                continue
            count += 1
            if count > MAX_VALUES:
                raise InputError(path, where(), f"expected at most {MAX_VALUES:,} keys and values in a file; found more by {_line(event.start_mark)}")
            if isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
                node_done()
                continue
            if isinstance(event, yaml.AliasEvent) and event.anchor not in anchors:
                raise InputError(path, where(), f"expected an alias to an anchor defined earlier; found '*{event.anchor}' undefined at {_line(event.start_mark)}")
            if event.anchor is not None:
                anchors.add(event.anchor)
            is_key = bool(stack) and stack[-1][0] and stack[-1][2]
            if isinstance(event, yaml.CollectionStartEvent):
                if is_key:
                    stack[-1][1] = "?"
                stack.append([isinstance(event, yaml.MappingStartEvent), None if isinstance(event, yaml.MappingStartEvent) else 0, True, is_key])
                if len(stack) > MAX_DEPTH:
                    raise InputError(path, where(), f"expected mappings and lists nested at most {MAX_DEPTH} deep; found deeper nesting at {_line(event.start_mark)}")
                continue
            if is_key:
                stack[-1][1] = event.value if isinstance(event, yaml.ScalarEvent) else f"*{event.anchor}"
            node_done()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join((error.problem or error.context or "a syntax error").split())
        if not problem.startswith(("expected", "found")):
            problem = f"expected valid YAML; found {problem}"
        raise InputError(path, where(), f"{_line(mark)}: YAML does not parse: {problem}") from None
    except yaml.reader.ReaderError as error:
        line = text[: error.position].count("\n") + 1
        raise InputError(path, "", f"line {line}: YAML does not parse: expected printable text; found the control character #x{error.character:04x}") from None
    except yaml.YAMLError as error:
        raise InputError(path, where(), f"YAML does not parse: {' '.join(str(error).split())}") from None


def _check_nodes(path: Path, loader: _Loader, root: yaml.Node) -> None:
    """Refuse what plain data must not hold, with the key path: tags that are not plain data,
    keys that are not names, duplicate keys, aliases that refer to themselves or expand to
    too many values, impossible dates and numbers too long to be meant."""
    sizes: dict[int, tuple[int, int]] = {}   # node id -> (values once aliases are expanded, depth)
    open_nodes: set[int] = set()

    def visit(node: yaml.Node, where: str, depth: int) -> tuple[int, int]:
        key = id(node)
        if key in open_nodes:
            raise InputError(path, where, f"expected plain data; found an alias that contains itself at {_line(node.start_mark)}")
        if key in sizes:
            size, height = sizes[key]
            if depth + height > MAX_DEPTH:
                raise InputError(path, where, f"expected mappings and lists nested at most {MAX_DEPTH} deep (aliases expanded); found deeper at {_line(node.start_mark)}")
            return size, height
        if depth > MAX_DEPTH:
            raise InputError(path, where, f"expected mappings and lists nested at most {MAX_DEPTH} deep (aliases expanded); found deeper at {_line(node.start_mark)}")
        if node.tag not in _PLAIN_TAGS:
            tag = node.tag.replace(_TAG, "!!")
            raise InputError(path, where, f"expected plain data (text, numbers, true/false, lists, mappings); found the tag '{tag}' at {_line(node.start_mark)}, which is refused")
        size, height = 1, 0
        open_nodes.add(key)
        if isinstance(node, yaml.ScalarNode):
            _check_scalar(path, loader, node, where)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                child, child_height = visit(item, _join(where, str(index)), depth + 1)
                size, height = size + child, max(height, child_height + 1)
        else:
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _TAG + "merge":
                    name = "<<"
                elif isinstance(key_node, yaml.ScalarNode) and key_node.tag == _TAG + "str":
                    name = key_node.value
                    if name in first_line:
                        raise InputError(path, _join(where, name), f"expected each key once in a mapping; found a duplicate key '{name}' at {_line(key_node.start_mark)} (first at line {first_line[name]})")
                    first_line[name] = key_node.start_mark.line + 1
                else:
                    found = _short(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "a list or mapping"
                    raise InputError(path, where or "(top level)", f"expected keys that are names (quote them if need be); found the key {found} at {_line(key_node.start_mark)}")
                child, child_height = visit(value_node, _join(where, name), depth + 1)
                size, height = size + child + 1, max(height, child_height + 1)
        open_nodes.discard(key)
        if size > MAX_VALUES:
            raise InputError(path, where, f"expected at most {MAX_VALUES:,} values once aliases are expanded; found {size:,}")
        sizes[key] = (size, height)
        return size, height

    visit(root, "", 0)


def _join(where: str, part: str) -> str:
    return f"{where}.{part}" if where else part


def _check_scalar(path: Path, loader: _Loader, node: yaml.ScalarNode, where: str) -> None:
    if node.tag == _TAG + "int" and len(node.value) > MAX_DIGITS:
        raise InputError(path, where, f"expected a number of at most {MAX_DIGITS} digits; found one of {len(node.value):,} characters at {_line(node.start_mark)}")
    if node.tag in (_TAG + "timestamp", _TAG + "int", _TAG + "float"):
        try:
            loader.construct_object(node)
        except (ValueError, OverflowError, yaml.YAMLError):
            what = "a real date" if node.tag.endswith("timestamp") else "a number"
            raise InputError(path, where, f"expected {what}; found {_short(node.value)} at {_line(node.start_mark)}") from None


def read_yaml(path: str | Path) -> dict:
    """Read a YAML mapping from a file, refusing anything but plain data within size limits."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "", "expected an existing scenario file; found nothing there")
    if path.is_dir():
        raise InputError(path, "", "expected a scenario file; found a folder")
    if not path.is_file():
        raise InputError(path, "", "expected a scenario file; found a device, pipe or socket")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(path, "", f"expected a file of at most {MAX_FILE_BYTES:,} bytes; found {size:,}")
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise InputError(path, "", f"expected a readable file; found {error.strerror or error}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(path, "", f"expected a file of at most {MAX_FILE_BYTES:,} bytes; found more")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(path, "", f"expected UTF-8 text; found binary data (byte {error.start:,} is not UTF-8)") from None
    _scan(path, text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError(path, "", "expected a mapping of keys to values; found an empty file")
        _check_nodes(path, loader, node)
        loader.constructed_objects, loader.recursive_objects = {}, {}
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(str(error.problem or error.context or "invalid YAML").split())
        raise InputError(path, "", f"{_line(mark)}: YAML does not parse: {problem}") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as error:
        raise InputError(path, "", f"YAML does not parse: {' '.join(str(error).split())}") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise InputError(path, "", f"expected a mapping of keys to values; found {_kind(data)}")
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


_PLAIN_WORDS = (
    ("a valid dictionary or instance of ", "a mapping of keys to values ("),
    ("a valid dictionary", "a mapping of keys to values"),
    ("a valid list", "a list"),
    ("a valid string", "text"),
)
_ORDERED = re.compile(r"^(\w+) must (not be below|be above) (\w+)$")


def _found(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    return _short(value)


def _describe(error: dict) -> tuple[str, str]:
    """One pydantic error as (key path, 'expected ...; found ...')."""
    loc = tuple(str(p) for p in error["loc"])
    key = ".".join(loc)
    found = error.get("input")
    kind = error["type"]
    if kind == "extra_forbidden":
        options = _allowed_keys(loc[:-1])
        guess = difflib.get_close_matches(loc[-1], options, n=1)
        hint = f" (did you mean '{guess[0]}'?)" if guess else ""
        return key, f"unknown key '{loc[-1]}'{hint}; expected one of: {', '.join(options)}"
    if kind == "missing":
        return key, "expected a value; found the key missing"
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message.replace("Input should be ", "").replace("String should ", "")
    if kind in ("string_too_long", "too_long", "string_too_short", "too_short"):
        bound = error.get("ctx", {}).get("max_length", error.get("ctx", {}).get("min_length"))
        unit = "characters" if kind.startswith("string") else "items"
        size = len(found) if hasattr(found, "__len__") else found
        word = "most" if "long" in kind else "least"
        return key, f"expected at {word} {bound:,} {unit}; found {size:,}"
    if kind == "string_pattern_mismatch" and loc == ("name",):
        return key, f"expected a name of letters, digits, '_', '.' and '-' starting with a letter or digit (it names the output folder); found {_found(found)}"
    ordered = _ORDERED.match(message)
    if ordered and isinstance(found, dict):
        high, low = ordered.group(1), ordered.group(3)
        return _join(key, high), (f"{message}: expected a value {'at least' if 'not' in ordered.group(2) else 'above'} "
                                  f"{low} ({_found(found.get(low))}); found {_found(found.get(high))}")
    for plain, words in _PLAIN_WORDS:
        if plain in message:
            message = message.replace(plain, words) + (")" if words.endswith("(") else "")
    if kind in ("value_error", "assertion_error") and isinstance(found, dict):
        return key, message
    message = re.sub(r", found .*$", "", message)  # the found value is added below, once
    message = re.sub(r", unable to parse string as an? \w+$", "", message)
    return key, f"expected {message}; found {_found(found)}"


_LOOSE = ("int_type", "float_type")


def _model(data: dict, source: str, prefix: str = "") -> Scenario:
    """Scenario.model_validate, with its first error as an InputError. Numbers are not taken
    from text or true/false: YAML's `months: "48"` or `months: yes` is a wrong type, not 48 or 1
    (whole floats such as 48.0 and numpy numbers from code are accepted)."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        key, problem = _describe(error.errors()[0])
        raise InputError(source, prefix + key, problem) from None
    except (RecursionError, TypeError, ValueError) as error:
        raise InputError(source, prefix.rstrip(": "), f"expected plain data; found {type(error).__name__}: {error}") from None
    try:
        Scenario.model_validate(data, strict=True)
    except ValidationError as error:
        for problem in error.errors():
            if problem["type"] in _LOOSE and isinstance(problem.get("input"), (bool, str)):
                key, text = _describe(problem)
                raise InputError(source, prefix + key, text) from None
    return scenario


def validate(data: dict, source: str) -> Scenario:
    """Build a Scenario from plain data, or raise an InputError for the first problem."""
    scenario = _model(data, source)
    _check_consistency(scenario, source)
    return scenario


def _inside(scenario: Scenario, when: str, source: str, key: str, allow_start: bool = True) -> None:
    first, end = month_number(scenario.start), month_number(scenario.start) + scenario.months
    at = month_number(when)
    if at < first or at >= end or (at == first and not allow_start):
        raise InputError(source, key, f"expected a month from {scenario.start} to before {scenario.end}; found {when}")


def check_run_size(scenario: Scenario, source: str, replications: int | None = None) -> None:
    """Refuse a run whose results would not fit in memory: practices x months x replications
    is limited to MAX_PRACTICE_MONTHS (about 1.5 GB of yearly practice snapshots)."""
    replications = scenario.replications if replications is None else replications
    size = scenario.population.practices * scenario.months * replications
    if size > MAX_PRACTICE_MONTHS:
        raise InputError(source, "population.practices x months x replications",
                         f"expected at most {MAX_PRACTICE_MONTHS:,} practice-months in one run (the limit that keeps results in memory); "
                         f"found {scenario.population.practices:,} x {scenario.months:,} x {replications:,} = {size:,}")


def _check_consistency(scenario: Scenario, source: str) -> None:
    first, end = month_number(scenario.start), month_number(scenario.start) + scenario.months
    if first < month_number(EARLIEST_START) or end > month_number(LATEST_END):
        key = "start" if first < month_number(EARLIEST_START) else "months"
        raise InputError(source, key, f"expected a period within {EARLIEST_START} to {LATEST_END}; found {scenario.start} to {scenario.end}")
    for name, organisation in scenario.organisations.items():
        if not _NAME.match(name):
            raise InputError(source, f"organisations.{name}", f"expected a lower-case name of letters, digits and _; found {_short(name)}")
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
    check_run_size(scenario, source)


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
    if isinstance(data.get("population"), dict) and data["population"].get("source") == "nhs_files":
        resolve_paths(data, path.parent)  # data file paths are relative to the file that names them
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str) or not base.strip():
        raise InputError(path, "extends", f"expected the path of another scenario file; found {_found(base)}")
    base_path = (path.parent / base).resolve()
    if base_path in _seen or base_path == path.resolve():
        raise InputError(path, "extends", f"expected a chain of files without loops; found '{base}' again")
    if len(_seen) >= MAX_EXTENDS:
        raise InputError(path, "extends", f"expected a chain of at most {MAX_EXTENDS} files; found a longer one")
    return merge(read_scenario_data(base_path, _seen + (path.resolve(),)), data)


def load(path: str | Path, overrides: list[str] | tuple[str, ...] = (), *, seed: int | None = None,
         replications: int | None = None) -> Scenario:
    """Load and validate a scenario file, applying --set style overrides first.

    Args:
        path: the scenario YAML file.
        overrides: 'key.path=value' settings, as with --set.
        seed, replications: values given on the command line (--seed, --replications), which
            replace the scenario's and are checked against the same bounds.
    """
    data = read_scenario_data(path)
    for text in overrides:
        key, value = parse_override(text)
        set_path(data, key, value)
    source = f"{path} (with --set)" if overrides else str(path)
    scenario = validate(data, source)
    timeline(scenario, source)  # every dated change must itself give a valid scenario
    for option, value in (("seed", seed), ("replications", replications)):
        if value is not None:
            try:
                scenario = Scenario.model_validate({**scenario.model_dump(mode="json"), option: value}, strict=True)
            except ValidationError as error:
                _, problem = _describe(error.errors()[0])
                raise InputError(f"--{option}", "", problem) from None
    if replications is not None:
        check_run_size(scenario, f"{path} (with --replications {replications})")
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
            where = f"changes.{index}.set.{key}"
            if key.split(".")[0] in ("start", "months", "seed", "replications", "population", "changes", "name"):
                raise InputError(source, where, "expected a key that may change during a run; found one fixed at the start")
            try:
                set_path(data, key, copy.deepcopy(value), source=source)
            except InputError as error:
                raise InputError(source, where, error.problem) from None
        changed = _model(data, source, prefix=f"changes.{index}.set: ")
        if set(changed.organisations) != set(scenario.organisations):
            raise InputError(source, f"changes.{index}.set", "expected changes to existing organisations; found a new or removed kind")
        steps.append((month_number(change.date) - start, changed))
    return steps


def file_digest(path: str | Path) -> str:
    """SHA-256 of a scenario file, for provenance."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def resolve_paths(data: dict, base: Path) -> None:
    """Make the population's data file paths in raw scenario data relative to `base` (the
    folder of the scenario file that names them) unless already absolute. `practices` is a path
    only when it is text (a number is the synthetic practice count)."""
    population = data.get("population")
    if not isinstance(population, dict):
        return
    for name in FILE_FIELDS + ("practices",):
        value = population.get(name)
        if isinstance(value, str) and value and not Path(value).is_absolute():
            population[name] = str(base / value)
