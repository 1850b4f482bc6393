"""Reading a sweep file: its spec, its base scenario (with `set` applied) and the fields it varies,
each checked against the scenario schema before anything runs."""
from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.analysis import evaluate as experiment
from sim.analysis.sweep.design import Sweep, Varied
from sim.analysis.sweep.spec import SweepSpec
from sim.results.parameter_sets import uncertainty_mode
from sim.scenario.errors import InputError
from sim.scenario.loading import resolve
from sim.scenario.messages import input_error
from sim.scenario.schema import Scenario
from sim.scenario.yaml_safety import read_yaml

FIXED_BY_SWEEP = ("seed", "replications", "name", "changes")


def _field_kind(key: str, base: dict, source: str) -> str:
    """The value type of a scenario field named by key path, or InputError if there is none."""
    where = f"parameters.{key}"
    parts = key.split(".")
    if not key or any(not p for p in parts):
        raise InputError(source, where, "expected a dotted key path of a scenario field such as behaviour.peer_weight")
    if parts[0] in FIXED_BY_SWEEP:
        raise InputError(source, where, f"expected a scenario field the sweep may vary; found '{parts[0]}', which the sweep sets itself or cannot vary")
    node: Any = Scenario
    data: Any = base
    for depth, part in enumerate(parts):
        while get_origin(node) is not None and get_origin(node) not in (dict, list, Literal):
            node = next(a for a in get_args(node) if a is not type(None))
        prefix = ".".join(parts[:depth]) or "the scenario"
        if isinstance(node, type) and issubclass(node, BaseModel):
            if part not in node.model_fields:
                options = list(node.model_fields)
                guess = difflib.get_close_matches(part, options, n=1)
                hint = f" (did you mean '{guess[0]}'?)" if guess else ""
                raise InputError(source, where, f"expected a field of {prefix}{hint} ({', '.join(options)}); found '{part}'")
            node = node.model_fields[part].annotation
        elif get_origin(node) is dict:
            names = list(data) if isinstance(data, dict) else []
            if part not in names:
                raise InputError(source, where, f"expected one of the base scenario's {prefix} ({', '.join(names) or 'none'}); found '{part}'")
            node = get_args(node)[1]
        else:
            raise InputError(source, where, f"expected a scenario field; found '{prefix}' holds a single value")
        data = data.get(part, {}) if isinstance(data, dict) else {}
    while get_origin(node) is not None and get_origin(node) not in (dict, list, Literal):
        node = next(a for a in get_args(node) if a is not type(None))
    if node is bool:
        return "bool"
    if node is int:
        return "int"
    if node is float:
        return "float"
    if node is str or get_origin(node) is Literal:
        return "text"
    raise InputError(source, where, "expected a field holding a single value; found a section or list")


def _check_value(base: dict, key: str, value: Any, source: str, where: str) -> None:
    try:
        resolve(json.loads(json.dumps(base)), {key: value})
    except InputError as error:
        raise InputError(source, where, error.problem) from None


def load_sweep(path: str | Path, uncertainty: str | None = None) -> Sweep:
    """Read and validate a sweep file and its base scenario; InputError for any problem. The
    uncertainty given here (as --uncertainty) replaces the file's; the one in force is recorded
    in the spec, so it is part of the sweep's fingerprint."""

    path = Path(path)
    source = str(path)
    raw = read_yaml(path)
    try:
        spec = SweepSpec.model_validate(raw)
    except ValidationError as error:
        raise input_error(error, source, SweepSpec) from None
    scenario_path = (path.parent / spec.scenario)
    if not scenario_path.is_file():
        raise InputError(source, "scenario", f"expected an existing scenario file; found nothing at {scenario_path}")
    try:
        scenario = resolve(scenario_path).scenario
    except InputError as error:
        raise InputError(source, "scenario", f"{error}") from None
    try:
        scenario = resolve(scenario, spec.set).scenario
    except InputError as error:
        raise InputError(source, f"set: {error.key}", error.problem) from None
    base = scenario.model_dump(mode="json")
    spec = spec.model_copy(update={"uncertainty": uncertainty_mode(uncertainty or spec.uncertainty, scenario, "--uncertainty")})
    varied = []
    for key, parameter in spec.parameters.items():
        kind = _field_kind(key, base, source)
        where = f"parameters.{key}"
        if parameter.range is not None and kind not in ("int", "float"):
            raise InputError(source, f"{where}.range", f"expected values (the field holds {'true/false' if kind == 'bool' else 'text'}); found a range")
        if parameter.values is not None:
            for index, value in enumerate(parameter.values):
                _check_value(base, key, value, source, f"{where}.values.{index}")
        else:
            for index, value in enumerate(parameter.range):
                _check_value(base, key, int(value) if kind == "int" else value, source, f"{where}.range.{index}")
        if spec.design == "grid" and parameter.range is not None and parameter.steps is None:
            raise InputError(source, f"{where}.steps", "expected a number of steps for a range in a grid; found none")
        if spec.design != "grid" and parameter.steps is not None:
            raise InputError(source, f"{where}.steps", f"expected no steps ({spec.design} designs draw across the range); found {parameter.steps}")
        varied.append(Varied(key, kind, parameter))
    if spec.design != "grid" and spec.samples is None:
        raise InputError(source, "samples", f"expected a number of samples for a {spec.design} design; found none")
    if spec.design == "grid" and spec.samples is not None:
        raise InputError(source, "samples", f"expected no samples for a grid (it runs every combination); found {spec.samples}")
    if spec.design == "sobol" and spec.samples & (spec.samples - 1):
        raise InputError(source, "samples", f"expected a power of 2 for a sobol design; found {spec.samples}")
    if spec.design in ("sobol", "morris") and len(varied) < 2:
        raise InputError(source, "parameters", f"expected at least 2 parameters for a {spec.design} design; found {len(varied)}")
    try:
        experiment.check_outcomes(spec.outcomes, spec.series, source)
    except InputError as error:
        field_name = "outcomes" if error.key in spec.outcomes else "series"
        raise InputError(source, f"{field_name}", error.problem) from None
    if len(set(spec.outcomes)) != len(spec.outcomes) or len(set(spec.series)) != len(spec.series):
        raise InputError(source, "outcomes", "expected each outcome and series named once; found one twice")
    if "months" not in spec.parameters:
        for name in spec.outcomes:
            if experiment.OUTCOMES[name].month_index(scenario.months) is None:
                raise InputError(source, "outcomes", f"expected outcomes within the base scenario's {scenario.months} months; found '{name}' (year {experiment.OUTCOMES[name].year})")
    sweep = Sweep(spec, source, scenario_path.resolve(), base, varied, scenario.months)
    sweep.design()
    return sweep

