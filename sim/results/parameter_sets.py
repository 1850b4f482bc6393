"""Which uncertainty a run's replications include (docs/ODD.md, "Uncertainty in the results").

- `stochastic`: every replication runs with the calibrated point (sim/data/calibrated.yaml), so
  the spread across replications is random variation only.
- `parameters`: replication r runs with a parameter set of the calibration ensemble
  (sim/data/calibration_ensemble.csv) drawn from (root seed, r) (sim.results.seeds.parameter_set),
  so the spread also includes the calibrated parameters' uncertainty. A set replaces only the
  calibrated values the scenario uses as they are: a calibrated key set with --set (or a
  sweep's varied or fixed fields), or given another value by the scenario, keeps its value. A
  forward scenario's spin-up runs with the same set.

By default a forward scenario (one with `start_from`) and a comparison include parameter
uncertainty; a run that builds its own population (the history) does not; validation and
calibration always use the calibrated point.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
from functools import lru_cache
from typing import Any

from sim.results.seeds import parameter_set
from sim.scenario.calibrated import calibrated_defaults, ensemble
from sim.scenario.errors import InputError
from sim.scenario.loading import ResolvedScenario, dotted_paths
from sim.scenario.schema import Scenario
from sim.scenario.shipped import data_file
from sim.scenario.validation import timeline, validate

PARAMETERS, STOCHASTIC = "parameters", "stochastic"
MODES = (PARAMETERS, STOCHASTIC)
ENSEMBLE_FILE = data_file("calibration_ensemble.csv")
RULE = ("default: parameters for a scenario that starts from another run (start_from) and for compare; "
        "stochastic for one that builds its own population (the history)")


def uncertainty_mode(uncertainty: str | None, scenario: Scenario, source: str = "uncertainty") -> str:
    """The mode in force: the one asked for, else the default for this scenario (RULE)."""
    if uncertainty is None:
        return PARAMETERS if scenario.start_from is not None else STOCHASTIC
    if uncertainty not in MODES:
        raise InputError(source, "", f"expected one of {', '.join(MODES)}; found '{uncertainty}'")
    return uncertainty


@lru_cache(maxsize=1)
def shipped_ensemble() -> tuple[dict[str, float], ...]:
    """The shipped calibration ensemble, read once."""
    sets = tuple(ensemble(ENSEMBLE_FILE))
    if not sets:
        raise InputError(ENSEMBLE_FILE, "", "expected at least one parameter set; found none")
    return sets


def ensemble_digest() -> str:
    """SHA-256 of the shipped ensemble file, recorded so a rerun can check it draws the same sets."""
    return hashlib.sha256(ENSEMBLE_FILE.read_bytes()).hexdigest()


def interval_words(uncertainty: str, sets: int) -> str:
    """What an interval across replications includes, in words."""
    if uncertainty == PARAMETERS:
        return f"random variation and calibrated-parameter uncertainty ({sets} parameter set{'s' if sets != 1 else ''})"
    return "random variation only"


def ensemble_size(uncertainty: str) -> int:
    """The number of parameter sets the replications draw from (0 at the calibrated point)."""
    return len(shipped_ensemble()) if uncertainty == PARAMETERS else 0


def set_numbers(uncertainty: str, root_seed: int, replications: int) -> list[int] | None:
    """The ensemble set each replication runs with, or None with the calibrated point."""
    if uncertainty != PARAMETERS:
        return None
    sets = len(shipped_ensemble())
    return [parameter_set(root_seed, replication, sets) for replication in range(int(replications))]


def for_replication(resolved: ResolvedScenario, uncertainty: str, root_seed: int, replication: int,
                    kept: tuple[str, ...] = ()) -> ResolvedScenario:
    """The scenario replication r runs: with `parameters`, its ensemble set in place of the
    calibrated values the scenario (and its spin-up) uses as they are; the keys in `kept`, and
    those given with --set, keep their values."""
    if uncertainty != PARAMETERS:
        return resolved
    sets = shipped_ensemble()
    return with_parameter_set(resolved, sets[parameter_set(root_seed, replication, len(sets))], kept)


def with_parameter_set(resolved: ResolvedScenario, values: dict[str, Any], kept: tuple[str, ...] = ()) -> ResolvedScenario:
    """The scenario with a parameter set in place of the calibrated point (see for_replication)."""
    point = calibrated_defaults()
    data = resolved.scenario.model_dump(mode="json")
    fields = dotted_paths(data)
    chosen = set(kept) | {text.split("=", 1)[0].strip() for text in resolved.overrides}
    for key, value in values.items():
        if key in chosen or key not in fields or fields[key] != point.get(key):
            continue
        *sections, name = key.split(".")
        node = data
        for section in sections:
            node = node[section]
        node[name] = value
    source = resolved.source or "scenario"
    scenario = validate(data, source, after_end=True)
    spin_up = None if resolved.spin_up is None else with_parameter_set(resolved.spin_up, values)
    return replace(resolved, scenario=scenario, timeline=timeline(scenario, source), spin_up=spin_up)
