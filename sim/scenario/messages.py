"""Plain words for bad input: how a value is shown, and pydantic's validation errors turned into
one 'expected ...; found ...' message naming the key path.

Every model read from a user's file (the scenario, a sweep file, validation targets) reports its
first problem through `input_error`, so the wording is the same whichever file is at fault.
"""
from __future__ import annotations

import difflib
import re
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.scenario.errors import InputError


def short(value: Any, limit: int = 60) -> str:
    """A value's repr, cut to `limit` characters (a file's contents are never echoed in full)."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def kind_of(value: Any) -> str:
    """Plain words for the type of a YAML value, with the value when it is short."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a yes/no value)"
    if isinstance(value, (int, float)):
        return f"{value!r} (a number)"
    if isinstance(value, str):
        return f"{short(value)} (text)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"


def found(value: Any) -> str:
    """A value as shown after 'found'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    return short(value)


def join_key(where: str, part: str) -> str:
    """A dotted key path with one more part."""
    return f"{where}.{part}" if where else part


def _unwrap(node: Any) -> Any:
    """The model or container inside an Optional or Union annotation."""
    while get_origin(node) is not None and get_origin(node) not in (dict, list):
        node = next((a for a in get_args(node) if a is not type(None)), None)
    return node


def allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys the mapping at a location of a model may hold, for did-you-mean hints."""
    node: Any = model
    for part in loc:
        node = _unwrap(node)
        if isinstance(node, type) and issubclass(node, BaseModel):
            field = node.model_fields.get(str(part))
            node = None if field is None else field.annotation
        elif get_origin(node) in (dict, list):
            node = get_args(node)[-1]
        else:
            return []
    node = _unwrap(node)
    return list(node.model_fields) if isinstance(node, type) and issubclass(node, BaseModel) else []


_PLAIN_WORDS = (
    ("a valid dictionary or instance of ", "a mapping of keys to values ("),
    ("a valid dictionary", "a mapping of keys to values"),
    ("a valid list", "a list"),
    ("a valid string", "text"),
)
_ORDERED = re.compile(r"^(\w+) must (not be below|be above) (\w+)$")


def describe(error: dict, model: type[BaseModel]) -> tuple[str, str]:
    """One pydantic error of `model` as (key path, 'expected ...; found ...')."""
    loc = tuple(str(p) for p in error["loc"])
    key = ".".join(loc)
    value = error.get("input")
    kind = error["type"]
    if kind == "extra_forbidden":
        options = allowed_keys(model, loc[:-1])
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
        size = len(value) if hasattr(value, "__len__") else value
        word = "most" if "long" in kind else "least"
        return key, f"expected at {word} {bound:,} {unit}; found {size:,}"
    if kind == "string_pattern_mismatch" and loc == ("name",):
        return key, f"expected a name of letters, digits, '_', '.' and '-' starting with a letter or digit (it names the output folder); found {found(value)}"
    ordered = _ORDERED.match(message)
    if ordered and isinstance(value, dict):
        high, low = ordered.group(1), ordered.group(3)
        return join_key(key, high), (f"{message}: expected a value {'at least' if 'not' in ordered.group(2) else 'above'} "
                                     f"{low} ({found(value.get(low))}); found {found(value.get(high))}")
    for plain, words in _PLAIN_WORDS:
        if plain in message:
            message = message.replace(plain, words) + (")" if words.endswith("(") else "")
    if kind in ("value_error", "assertion_error") and isinstance(value, dict):
        return key, message
    message = re.sub(r", found .*$", "", message)  # the found value is added below, once
    message = re.sub(r", unable to parse string as an? \w+$", "", message)
    return key, f"expected {message}; found {found(value)}"


def input_error(error: ValidationError, source: str, model: type[BaseModel], prefix: str = "") -> InputError:
    """The first problem of a failed validation as an InputError naming the file and key path.

    Args:
        error: what pydantic raised.
        source: the file (or option) the data came from.
        model: the model validated, for did-you-mean hints on unknown keys.
        prefix: put before the key path (e.g. 'changes.0.set: ').
    """
    errors = error.errors()
    first = errors[0]
    if first["type"] == "missing":  # a misspelled key is both missing and unknown: name the misspelling
        name, where = str(first["loc"][-1]), tuple(first["loc"][:-1])
        first = next((e for e in errors if e["type"] == "extra_forbidden" and tuple(e["loc"][:-1]) == where
                      and difflib.get_close_matches(str(e["loc"][-1]), [name], n=1)), first)
    key, problem = describe(first, model)
    return InputError(source, prefix + key, problem)
