"""One way to say what to change, from code: a dict of dotted key paths ({"behaviour.peer_weight":
3.0}) or keywords with `__` for each dot (behaviour__peer_weight=3.0), in sim.run, sim.compare,
sim.evaluate, sweeps and the EMA Workbench model alike.

A number given for a whole-number field (population.practices, behaviour.neighbours, ...) is
rounded to the nearest whole number, halves to even (7.6 -> 8, 2.5 -> 2), as sweep designs round
their points: samplers such as SALib's and the EMA Workbench's give floats. Text given to --set is
read as written, and a fraction there is refused.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

from sim.scenario.errors import InputError
from sim.scenario.reference import model_of
from sim.scenario.schema import Scenario


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


def dotted(params: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword parameters with `__` for dots, as dotted key paths."""
    return {key.replace("__", "."): value for key, value in params.items()}


def combined(overrides: Sequence[str] | Mapping[str, Any] | None, params: Mapping[str, Any] | None = None):
    """Overrides as a dict of dotted key paths (or --set texts as given, when there are no
    keywords): `overrides` first, then the `a__b` keywords in `params`."""
    if not params:
        return overrides if overrides is not None else ()
    if overrides is not None and not isinstance(overrides, Mapping):
        if isinstance(overrides, str):
            raise InputError("overrides", "", f"expected a dict of key paths or a list of 'key.path=value' texts; found the text '{overrides}'")
        overrides = dict(parse_override(text) for text in overrides)
    return {**dict(overrides or {}), **dotted(params)}


def _field_type(path: str) -> Any:
    """The annotation of the scenario field at a dotted key path (None when there is none)."""
    model: Any = Scenario
    annotation: Any = None
    parts = path.split(".")
    index = 0
    while index < len(parts):
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or parts[index] not in model.model_fields:
            return None
        annotation = model.model_fields[parts[index]].annotation
        index += 1
        inner = model_of(annotation)
        if get_origin(annotation) in (dict, list) and inner is not None:
            index += 1  # organisations.<name>., money.uplifts.<index>.
        model = inner
    return annotation


def _whole_number(annotation: Any) -> bool:
    if annotation is int:
        return True
    return get_origin(annotation) is Union and int in get_args(annotation) and float not in get_args(annotation)


def rounded(key: str, value: Any) -> Any:
    """The value to set at `key`: a finite fraction for a whole-number field rounded half to even."""
    if isinstance(value, float) and math.isfinite(value) and _whole_number(_field_type(key)):
        return round(value)
    return value

