"""Reading a YAML file as plain data, safely: nothing in it is ever run or built as an object,
and size, nesting, aliases, tags, duplicate keys and impossible values are refused with the line
and key path where they occur."""
from __future__ import annotations

from pathlib import Path

import yaml

from sim.scenario.errors import InputError
from sim.scenario.input_files import decode, regular_file
from sim.scenario.messages import join_key, kind_of, short

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 50
MAX_VALUES = 100_000
MAX_DIGITS = 50
_TAG = "tag:yaml.org,2002:"
_PLAIN_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge")}


class _Loader(yaml.SafeLoader):
    """PyYAML's SafeLoader: builds only plain data (no Python objects), never runs code."""


def _line(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "an unknown line"


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
                child, child_height = visit(item, join_key(where, str(index)), depth + 1)
                size, height = size + child, max(height, child_height + 1)
        else:
            first_line: dict[str, int] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _TAG + "merge":
                    name = "<<"
                elif isinstance(key_node, yaml.ScalarNode) and key_node.tag == _TAG + "str":
                    name = key_node.value
                    if name in first_line:
                        raise InputError(path, join_key(where, name), f"expected each key once in a mapping; found a duplicate key '{name}' at {_line(key_node.start_mark)} (first at line {first_line[name]})")
                    first_line[name] = key_node.start_mark.line + 1
                else:
                    found = short(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "a list or mapping"
                    raise InputError(path, where or "(top level)", f"expected keys that are names (quote them if need be); found the key {found} at {_line(key_node.start_mark)}")
                child, child_height = visit(value_node, join_key(where, name), depth + 1)
                size, height = size + child + 1, max(height, child_height + 1)
        open_nodes.discard(key)
        if size > MAX_VALUES:
            raise InputError(path, where, f"expected at most {MAX_VALUES:,} values once aliases are expanded; found {size:,}")
        sizes[key] = (size, height)
        return size, height

    visit(root, "", 0)


def _check_scalar(path: Path, loader: _Loader, node: yaml.ScalarNode, where: str) -> None:
    if node.tag == _TAG + "int" and len(node.value) > MAX_DIGITS:
        raise InputError(path, where, f"expected a number of at most {MAX_DIGITS} digits; found one of {len(node.value):,} characters at {_line(node.start_mark)}")
    if node.tag in (_TAG + "timestamp", _TAG + "int", _TAG + "float"):
        try:
            loader.construct_object(node)
        except (ValueError, OverflowError, yaml.YAMLError):
            what = "a real date" if node.tag.endswith("timestamp") else "a number"
            raise InputError(path, where, f"expected {what}; found {short(node.value)} at {_line(node.start_mark)}") from None


YAML_SUFFIXES = (".yaml", ".yml")


def read_yaml(path: str | Path, what: str = "scenario") -> dict:
    """Read a YAML mapping from a file, refusing anything but plain data within size limits.

    Only a regular file named *.yaml or *.yml is opened (never /proc, /sys or /dev), so no other
    file's first line can turn up in a message as an unknown key. UTF-8, UTF-16 and cp1252 text
    is read (sim.scenario.input_files)."""
    path = regular_file(path, what)
    if path.suffix.lower() not in YAML_SUFFIXES:
        suffix = short(path.suffix, 20) if path.suffix else "'no suffix'"
        raise InputError(path, "", f"expected a {what} file named *.yaml or *.yml; found {suffix}")
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
    text, _ = decode(raw, path, what)
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
        raise InputError(path, "", f"expected a mapping of keys to values; found {kind_of(data)}")
    return data
