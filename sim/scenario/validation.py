"""Validating scenario data: --set style overrides, the schema, the checks between fields, and
the timeline of dated changes. Every failure is an InputError naming the source, the key path,
what was expected and what was found."""
from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import ValidationError

from sim.scenario.errors import InputError
from sim.scenario.messages import describe, input_error, short
from sim.scenario.overrides import parse_override, rounded
from sim.scenario.schema import Scenario, month_number

MAX_PRACTICE_MONTHS = 100_000_000
EARLIEST_START, LATEST_END = "1948-07", "2200-01"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Fields fixed at the start of a run, which a dated change may not set.
FIXED_AT_START = ("start", "months", "seed", "replications", "population", "changes", "name", "start_from")


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


_LOOSE = ("int_type", "float_type")


def _model(data: dict, source: str, prefix: str = "") -> Scenario:
    """Scenario.model_validate, with its first error as an InputError. Numbers are not taken
    from text or true/false: YAML's `months: "48"` or `months: yes` is a wrong type, not 48 or 1
    (whole floats such as 48.0 and numpy numbers from code are accepted)."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise input_error(error, source, Scenario, prefix) from None
    except (RecursionError, TypeError, ValueError) as error:
        raise InputError(source, prefix.rstrip(": "), f"expected plain data; found {type(error).__name__}: {error}") from None
    try:
        Scenario.model_validate(data, strict=True)
    except ValidationError as error:
        for problem in error.errors():
            if problem["type"] in _LOOSE and isinstance(problem.get("input"), (bool, str)):
                key, text = describe(problem, Scenario)
                raise InputError(source, prefix + key, text) from None
    return scenario


def apply_overrides(data: dict, overrides, source: str) -> list[tuple[str, Any]]:
    """Set fields of raw scenario data in place.

    Args:
        data: plain scenario data.
        overrides: 'key.path=value' texts as given to --set, or a mapping of key path to value
            (numpy numbers are taken as Python numbers; a fraction for a whole-number field
            is rounded, see sim.scenario.overrides).
        source: names the data in messages about a bad key path.

    Returns:
        The (key path, value) pairs set, in order.
    """
    if isinstance(overrides, dict):
        pairs = [(key, rounded(key, value.item() if hasattr(value, "dtype") else value)) for key, value in overrides.items()]
        for key, value in pairs:
            set_path(data, key, value, source=source)
        return pairs
    pairs = [parse_override(text) for text in overrides]
    for key, value in pairs:
        set_path(data, key, value)
    return pairs


def hold_overrides(data: dict, pairs: list[tuple[str, Any]]) -> list[str]:
    """Make the user's overrides hold for the whole run: remove from the dated changes of raw
    scenario data every setting of an overridden key path (or of a path inside one), and put the
    user's value into a dated change that sets a whole mapping holding an overridden path.

    Args:
        data: plain scenario data, overrides already applied.
        pairs: the (key path, value) overrides, as apply_overrides returns them.

    Returns:
        One text per dated setting dropped or adjusted: 'YYYY-MM key.path (changes.N)'.
    """
    held = [(key, value) for key, value in pairs if key.split(".")[0] not in FIXED_AT_START]
    changes = data.get("changes")
    if not held or not isinstance(changes, list):
        return []
    dropped = []
    for index, change in enumerate(changes):
        settings = change.get("set") if isinstance(change, dict) else None
        if not isinstance(settings, dict):
            continue
        for dated in list(settings):
            for key, value in held:
                if dated == key or str(dated).startswith(key + "."):
                    del settings[dated]
                elif key.startswith(f"{dated}.") and isinstance(settings[dated], dict):
                    set_path(settings[dated], key[len(dated) + 1:], copy.deepcopy(value))
                else:
                    continue
                dropped.append(f"{change.get('date')} {dated} (changes.{index})")
                break
    return dropped


def with_run_options(scenario: Scenario, seed: int | None, replications: int | None, source: str) -> Scenario:
    """The scenario with a seed and number of replications given as options (--seed,
    --replications), checked against the same bounds as the file's."""
    for option, value in (("seed", seed), ("replications", replications)):
        if value is not None:
            value = int(value) if hasattr(value, "__index__") and not isinstance(value, bool) else value
            try:
                scenario = Scenario.model_validate({**scenario.model_dump(mode="json"), option: value}, strict=True)
            except ValidationError as error:
                raise InputError(f"--{option}", "", describe(error.errors()[0], Scenario)[1]) from None
    return scenario


def validate(data: dict, source: str, after_end: bool = False) -> Scenario:
    """Build a Scenario from plain data, or raise an InputError for the first problem. With
    `after_end`, dated policies after the run's end are allowed (they never take effect)."""
    scenario = _model(data, source)
    _check_consistency(scenario, source, after_end)
    return scenario


def after_the_end(scenario: Scenario) -> list[str]:
    """The dated policies a run never reaches, as 'YYYY-MM key.path (after the run's end)'."""
    end = month_number(scenario.end)
    dated = [(organisation.opens, f"organisations.{name}.opens") for name, organisation in scenario.organisations.items()]
    dated += [(scenario.additional_roles.start, "additional_roles.start")]
    dated += [(change.date, f"changes.{index}") for index, change in enumerate(scenario.changes)]
    return [f"{when} {key} (after the run's end)" for when, key in dated if when and month_number(when) >= end]


def _inside(scenario: Scenario, when: str, source: str, key: str, allow_start: bool = True, after_end: bool = False) -> None:
    first, end = month_number(scenario.start), month_number(scenario.start) + scenario.months
    at = month_number(when)
    if at < first or (at >= end and not after_end) or (at == first and not allow_start):
        raise InputError(source, key, f"expected a month from {scenario.start} to before {scenario.end}; found {when}")


def check_run_size(scenario: Scenario, source: str, practices: int | None = None) -> None:
    """Refuse a run whose results would not fit in memory: practices x months x replications
    is limited to MAX_PRACTICE_MONTHS (about 1.5 GB of yearly practice snapshots).

    Args:
        scenario: the scenario with the replications that will run (--replications applied).
        source: names the scenario in the message.
        practices: the practices the run starts with; by default the synthetic population's
            count, and no check when the practices come from files or another run (the run
            checks again once it has read them).
    """
    if practices is None:
        if scenario.population.source != "synthetic" or scenario.start_from is not None:
            return
        practices = scenario.population.practices
    size = practices * scenario.months * scenario.replications
    if size > MAX_PRACTICE_MONTHS:
        raise InputError(source, "practices x months x replications",
                         f"expected at most {MAX_PRACTICE_MONTHS:,} practice-months in one run (the limit that keeps results in memory); "
                         f"found {practices:,} x {scenario.months:,} x {scenario.replications:,} = {size:,}")


def _check_consistency(scenario: Scenario, source: str, after_end: bool = False) -> None:
    first, end = month_number(scenario.start), month_number(scenario.start) + scenario.months
    if first < month_number(EARLIEST_START) or end > month_number(LATEST_END):
        key = "start" if first < month_number(EARLIEST_START) else "months"
        raise InputError(source, key, f"expected a period within {EARLIEST_START} to {LATEST_END}; found {scenario.start} to {scenario.end}")
    for name, organisation in scenario.organisations.items():
        if not _NAME.match(name):
            raise InputError(source, f"organisations.{name}", f"expected a lower-case name of letters, digits and _; found {short(name)}")
        if organisation.opens:
            _inside(scenario, organisation.opens, source, f"organisations.{name}.opens", after_end=after_end)
        contract = organisation.provider
        if contract and contract.practice_share + contract.shared_staff_share > 1:
            raise InputError(source, f"organisations.{name}.provider", "expected practice_share and shared_staff_share adding up "
                             f"to at most 1; found {contract.practice_share + contract.shared_staff_share:g}")
        leaders = [kind for kind, other in scenario.organisations.items() if other.provider is None]
        for lead in contract.lead_kinds if contract else []:
            if lead not in leaders:
                raise InputError(source, f"organisations.{name}.provider.lead_kinds",
                                 f"expected GP organisation kinds of this scenario ({', '.join(leaders) or 'none defined'}); found {short(lead)}")
    roles = scenario.additional_roles
    if roles.start:
        _inside(scenario, roles.start, source, "additional_roles.start", after_end=after_end)
        if roles.employer not in scenario.organisations:
            raise InputError(source, "additional_roles.employer",
                             f"expected one of the organisations ({', '.join(scenario.organisations) or 'none defined'}); found '{roles.employer}'")
    origin = scenario.start_from
    if origin is not None and origin.month is not None and origin.month != scenario.start:
        raise InputError(source, "start_from.month", f"expected the scenario's start ({scenario.start}), where the run branches; found {origin.month}")
    for index, change in enumerate(scenario.changes):
        _inside(scenario, change.date, source, f"changes.{index}.date", allow_start=False, after_end=after_end)


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
            if key.split(".")[0] in FIXED_AT_START:
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

