"""Where each replication of a run starts: the population its scenario builds, the state of
another scenario's run spun up to the start month, or a saved state file.

Spin-ups are kept in memory (keyed by the spun-up scenario, seed, replication and month), so a
comparison or sweep of several scenarios that start from the same run spins it up once per
replication and branches every run from a copy. A replication that runs with a parameter set of
the calibration ensemble spins up with that set, so its key differs from the calibrated point's.
"""
from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

from sim.model.checkpoint import SavedState, capture, read_state, write_state
from sim.model.model import GPModel
from sim.population.nhs_files import DataFiles, assemble
from sim.results.parameter_sets import STOCHASTIC, for_replication
from sim.scenario.errors import InputError
from sim.scenario.loading import ResolvedScenario, resolve
from sim.scenario.schema import Scenario, month_number

KEPT_SPIN_UPS = 16   # about 3 MB each for England: enough for a few replications of a comparison
_spun_up: OrderedDict[tuple, SavedState] = OrderedDict()


def state_file(folder: str | Path, replication: int) -> Path:
    """The saved state of one replication in a folder of spin-ups."""
    return Path(folder) / f"replication_{int(replication)}.npz"


def spin_up(resolved: ResolvedScenario, root_seed: int, replication: int) -> SavedState:
    """The state at the start of the scenario's first month of the run it starts from
    (`start_from: {scenario, month}`), run with this root seed and replication; cached."""
    first, month = resolved.spin_up.scenario, resolved.scenario.start_from.month
    key = (json.dumps(first.model_dump(mode="json"), sort_keys=True), int(root_seed), int(replication), month)
    if key in _spun_up:
        _spun_up.move_to_end(key)
        return _spun_up[key]
    model = GPModel(first, replication=replication, seed=root_seed, snapshots=False, national=[])
    state = _spun_up[key] = capture(model.run_until(month_number(month) - month_number(first.start)))
    while len(_spun_up) > KEPT_SPIN_UPS:
        _spun_up.popitem(last=False)
    return state


def forget_spin_ups() -> None:
    """Empty the in-memory cache of spin-ups."""
    _spun_up.clear()


def starting_state(resolved: ResolvedScenario, root_seed: int, replication: int,
                   spin_ups: str | Path | None = None) -> SavedState | None:
    """A copy of the state a replication starts from (without the records of the run it came
    from), or None when the scenario builds its own population.

    Args:
        resolved: the scenario, resolved.
        root_seed: the run's root seed.
        replication: replication number (0-based).
        spin_ups: a folder written by save_spin_ups for this scenario and root seed; a
            replication whose file is there branches from it instead of spinning up.
    """
    origin = resolved.scenario.start_from
    if origin is None:
        return None
    if origin.scenario is not None:
        if spin_ups is not None and state_file(spin_ups, replication).is_file():
            return _read_start(state_file(spin_ups, replication), resolved)
        return spin_up(resolved, root_seed, replication).copy(records=False)
    path = Path(origin.state)
    return _read_start(state_file(path, replication) if path.is_dir() else path, resolved)


def _read_start(path: Path, resolved: ResolvedScenario) -> SavedState:
    """A saved state from a file, checked to be at the scenario's start, without its records."""
    state = read_state(path)
    if state.at != resolved.scenario.start:
        raise InputError(str(path), "month", f"expected a state at the scenario's start ({resolved.scenario.start}); found one at {state.at}")
    return state.copy(records=False)


def starting_practices(resolved: ResolvedScenario) -> tuple[int | None, list[str], list[str] | None]:
    """The number of practices a run starts with (None when a saved state gives them), the
    warnings about the data files they come from (lines skipped, encodings, implausible values
    allowed), and their ODS codes in the order of the practice slots when they come from NHS
    files. Reading the files here also stops a run with bad or implausible data before it
    simulates."""
    scenario = resolved.scenario
    if scenario.start_from is not None:
        return starting_practices(resolved.spin_up) if resolved.spin_up is not None else (None, [], None)
    population = scenario.population
    if population.source == "nhs_files":
        found = assemble(DataFiles.of(population), scenario.start, population.region, population.allow_implausible)
        return found.practices, list(found.warnings), list(found.table.index)
    return population.practices, [], None


def start_model(scenario: Scenario | ResolvedScenario, replication: int, root_seed: int, snapshots: bool = True,
                national: list[str] | None = None, spin_ups: str | Path | None = None,
                uncertainty: str = STOCHASTIC, kept: tuple[str, ...] = ()) -> GPModel:
    """A model of one replication, at its first month, with the calibrated point or (with
    uncertainty 'parameters') its parameter set from the calibration ensemble, keeping the keys
    in `kept` and those set with --set (see GPModel, starting_state and
    sim.results.parameter_sets.for_replication for the arguments)."""
    resolved = for_replication(resolve(scenario), uncertainty, root_seed, replication, kept)
    return GPModel(resolved.scenario, replication=replication, seed=root_seed, snapshots=snapshots, national=national,
                   start=starting_state(resolved, root_seed, replication, spin_ups))


def save_spin_ups(scenario: Scenario | ResolvedScenario, root_seed: int, replications: range | list[int],
                  folder: str | Path, uncertainty: str = STOCHASTIC) -> Path | None:
    """Write the state each replication starts from into `folder` (replication_<r>.npz), so
    that workers in other processes read it rather than spin up again; returns the folder, or
    None when the scenario builds its own population. With uncertainty 'parameters' each
    replication spins up with its parameter set of the calibration ensemble."""
    resolved = resolve(scenario)
    if resolved.scenario.start_from is None or resolved.scenario.start_from.scenario is None:
        return None
    for replication in replications:
        if not state_file(folder, replication).is_file():
            write_state(spin_up(for_replication(resolved, uncertainty, root_seed, replication), root_seed, replication),
                        state_file(folder, replication))
    return Path(folder)
