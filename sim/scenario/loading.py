"""Scenario files and the one way into a validated scenario.

`resolve` turns a scenario file, the name of a shipped scenario, a dict or a Scenario, plus
overrides, seed and replications, into a validated Scenario and its timeline. Every command and
Python entry point that runs a scenario goes through it, so each gives the same scenario and the
same messages for the same input.
"""
from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario.errors import InputError
from sim.scenario.messages import found
from sim.scenario.overrides import combined, rounded
from sim.scenario.schema import Scenario, month_number
from sim.scenario.shipped import scenarios_folder
from sim.scenario.validation import (
    after_the_end,
    apply_overrides,
    check_run_size,
    hold_overrides,
    timeline,
    validate,
    with_run_options,
)
from sim.scenario.yaml_safety import read_yaml

MAX_EXTENDS = 20
# The population fields that name data files (paths relative to the scenario file that names them).
FILE_FIELDS = ("registrations", "registrations_map", "workforce", "pcn_membership", "practices_file", "coordinates")
# Where a scenario named without a folder is looked for: the shipped scenarios, then ./scenarios.
SCENARIO_FOLDERS = (scenarios_folder(), Path("scenarios"))


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
    """Read a scenario file, resolving `extends: other.yaml` first: a file relative to this one,
    else the shipped scenario of that name."""
    path = Path(path)
    data = read_yaml(path)
    if isinstance(data.get("population"), dict) and data["population"].get("source") == "nhs_files":
        resolve_paths(data, path.parent)  # data file paths are relative to the file that names them
    resolve_start_paths(data, path.parent)
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str) or not base.strip():
        raise InputError(path, "extends", f"expected the path of another scenario file; found {found(base)}")
    base_path = (path.parent / base).resolve()
    if not base_path.exists() and len(Path(base).parts) == 1:  # a shipped scenario's name, as in a copied scenario
        base_path = shipped_file(base) or base_path
    if base_path in _seen or base_path == path.resolve():
        raise InputError(path, "extends", f"expected a chain of files without loops; found '{base}' again")
    if len(_seen) >= MAX_EXTENDS:
        raise InputError(path, "extends", f"expected a chain of at most {MAX_EXTENDS} files; found a longer one")
    return merge(read_scenario_data(base_path, _seen + (path.resolve(),)), data)


def shipped_file(name: str) -> Path | None:
    """The shipped scenario called `name` (with or without .yaml), or None."""
    for candidate in (SCENARIO_FOLDERS[0] / name, SCENARIO_FOLDERS[0] / f"{name}.yaml"):
        if candidate.is_file() and candidate.suffix == ".yaml":
            return candidate.resolve()
    return None


def scenario_file(scenario: str | Path) -> Path:
    """The file a scenario argument names: the path itself when it exists, else for a bare name
    (`history_2013_2023` or `history_2013_2023.yaml`) the shipped scenario of that name."""
    path = Path(scenario)
    if path.exists() or len(path.parts) != 1:
        return path
    for folder in SCENARIO_FOLDERS:
        for candidate in (folder / path.name, folder / f"{path.name}.yaml"):
            if candidate.is_file():
                return candidate
    return path


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario ready to run.

    Attributes:
        scenario: the Scenario, with the seed and replications in force.
        timeline: the scenario in force from each month offset (see validation.timeline).
        source: the scenario file it came from, or None for data given in code.
        overrides: the overrides applied, as 'key.path=value' texts.
        spin_up: with `start_from: {scenario: ...}`, that scenario resolved: each replication
            runs it (with this scenario's seed) to the start month and branches from there.
        dropped_changes: the dated changes' settings dropped so that the overrides hold for the
            whole run, as 'YYYY-MM key.path (changes.N)' texts (see hold_overrides).
        beyond_end: dated policies after the end of a run that was shortened (months set as an
            override) or given in code, which never take effect: 'YYYY-MM key.path (after the run's end)'.
    """

    scenario: Scenario
    timeline: list[tuple[int, Scenario]]
    source: str | None = None
    overrides: tuple[str, ...] = ()
    spin_up: "ResolvedScenario | None" = None
    dropped_changes: tuple[str, ...] = ()
    beyond_end: tuple[str, ...] = ()


def _override_texts(overrides: Sequence[str] | Mapping[str, Any]) -> tuple[str, ...]:
    if isinstance(overrides, Mapping):
        plain = {key: rounded(key, value.item() if hasattr(value, "dtype") else value) for key, value in overrides.items()}
        return tuple(f"{key}={json.dumps(value)}" for key, value in plain.items())
    return tuple(overrides)


def resolve(scenario: str | Path | Scenario | dict | ResolvedScenario, overrides: Sequence[str] | Mapping[str, Any] = (), *,
            seed: int | None = None, replications: int | None = None) -> ResolvedScenario:
    """The one way from what a user names to a validated scenario and its timeline.

    An override holds for the whole run: a dated change that sets the same key path (or a path
    inside it) loses that setting, and the setting dropped is listed in `dropped_changes`.

    Args:
        scenario: a scenario file path, the name of a shipped scenario (scenarios/NAME.yaml),
            plain data in the scenario schema, a Scenario, or an earlier ResolvedScenario.
        overrides: fields to set before validation: 'key.path=value' texts as with --set, or a
            mapping of dotted key path to value.
        seed: root seed replacing the scenario's (as --seed).
        replications: replications replacing the scenario's (as --replications).

    Raises:
        InputError: naming the file (or option), the key path and the problem.
    """
    source = None
    if isinstance(scenario, ResolvedScenario):
        if not overrides and seed is None and replications is None:
            return scenario
        source, earlier, dropped = scenario.source, scenario.overrides, scenario.dropped_changes
        data, label = scenario.scenario.model_dump(mode="json"), scenario.source or "scenario"
    elif isinstance(scenario, (str, Path)):
        path, earlier, dropped = scenario_file(scenario), (), ()
        source = label = str(scenario) if path == Path(scenario) else str(path)
        data = read_scenario_data(path)
    elif isinstance(scenario, (Scenario, dict)):
        data = scenario.model_dump(mode="json") if isinstance(scenario, Scenario) else copy.deepcopy(scenario)
        label, earlier, dropped = "scenario", (), ()
    else:
        raise InputError("scenario", "", f"expected a scenario file path, Scenario or dict; found {type(scenario).__name__}")
    checked, shortened = label, False
    if overrides:
        checked = f"{label} (with {'overrides' if isinstance(overrides, Mapping) else '--set'})"
        pairs = apply_overrides(data, overrides, checked)
        dropped += tuple(hold_overrides(data, pairs))
        shortened = any(key in ("months", "start") for key, _ in pairs)
    # A file is checked as written; a run the user shortened, or a scenario given in code (a
    # sweep's base, a resolved one), keeps dated policies beyond its end, which never take effect.
    resolved = validate(data, checked, after_end=shortened or not isinstance(scenario, (str, Path)))
    steps = timeline(resolved, checked)  # every dated change must itself give a valid scenario
    if seed is not None or replications is not None:
        resolved = with_run_options(resolved, seed, replications, label)
        steps = timeline(resolved, checked)
    check_run_size(resolved, label if replications is None else f"{label} (with --replications {replications})")
    return ResolvedScenario(resolved, steps, source, earlier + _override_texts(overrides),
                            starting_run(resolved, checked), dropped, tuple(after_the_end(resolved)))


def dotted_paths(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings of field values as dotted key paths ({'a': {'b': 1}} -> {'a.b': 1})."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping) and value:
            flat.update(dotted_paths(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def starting_run(scenario: Scenario, source: str) -> ResolvedScenario | None:
    """The run a scenario starts from (start_from), resolved and checked against it: a scenario
    that builds its own population, with the same organisation kinds (then any new ones), running through the month;
    for a saved state, only that the file or folder exists (reading it checks the rest)."""
    origin = scenario.start_from
    if origin is None:
        return None
    if origin.state is not None:
        if not Path(origin.state).exists():
            raise InputError(source, "start_from.state", f"expected a saved state file or folder; found no such path '{origin.state}'")
        return None
    if not scenario_file(origin.scenario).is_file():
        raise InputError(source, "start_from.scenario", f"expected a scenario file or a shipped scenario's name; found no such scenario '{origin.scenario}'")
    spin_up = resolve(origin.scenario, dotted_paths(origin.set))
    first = spin_up.scenario
    if first.start_from is not None:
        raise InputError(source, "start_from.scenario", f"expected a scenario that builds its own population; found '{origin.scenario}', which starts from another run")
    if list(scenario.organisations)[:len(first.organisations)] != list(first.organisations):
        raise InputError(source, "organisations", f"expected the organisation kinds of {origin.scenario} "
                         f"({', '.join(first.organisations) or 'none'}) in the same order, then any new ones; found {', '.join(scenario.organisations) or 'none'}")
    if not month_number(first.start) < month_number(origin.month) <= month_number(first.end):
        raise InputError(source, "start_from.month", f"expected a month after {first.start} and at most {first.end} "
                         f"(the run of {origin.scenario}); found {origin.month}")
    return spin_up


def load(path: str | Path, overrides: Sequence[str] = (), *, seed: int | None = None,
         replications: int | None = None) -> Scenario:
    """Load and validate a scenario file (see resolve); returns the Scenario alone."""
    return resolve(path, overrides, seed=seed, replications=replications).scenario


def file_digest(path: str | Path) -> str:
    """SHA-256 of a scenario file, for provenance."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def resolve_start_paths(data: dict, base: Path) -> None:
    """Make start_from's paths in raw scenario data relative to `base` (the folder of the file
    that names them): a state always; a scenario when that file exists there (else it may be
    the name of a shipped scenario)."""
    origin = data.get("start_from")
    if not isinstance(origin, dict):
        return
    state, named = origin.get("state"), origin.get("scenario")
    if isinstance(state, str) and state and not Path(state).is_absolute():
        origin["state"] = str(base / state)
    if isinstance(named, str) and named and not Path(named).is_absolute() and (base / named).is_file():
        origin["scenario"] = str((base / named).resolve())


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
            population[name] = str((base / value).absolute())  # so a rerun from another folder finds them


def scenario_with(scenario, parameters: Mapping[str, Any]) -> Scenario:
    """A scenario (file, shipped name, dict or Scenario; default the 2013-2023 history) with
    fields given as flat keywords (`a__b`), as Mesa's batch_run passes a model's parameters."""
    return resolve("history_2013_2023" if scenario is None else scenario, combined(None, parameters)).scenario
