"""Spin-ups shared by a sweep's points: when the base scenario starts from another scenario's
run (`start_from: {scenario, month}`), the state each replication starts from is computed once,
written under `<sweep folder>/spin_up/`, and read by every run that branches from it."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.analysis.sweep.design import Sweep
from sim.model.checkpoint import SavedState, write_state
from sim.results.parameter_sets import STOCHASTIC, for_replication
from sim.results.start import spin_up, state_file
from sim.scenario.loading import resolve

SPIN_UP_FOLDER = "spin_up"


def spin_up_state(base: dict, values: dict[str, Any], seed: int, replication: int,
                  uncertainty: str = STOCHASTIC) -> SavedState:
    """The state one replication of a sweep point starts from, with its parameter set of the
    calibration ensemble under uncertainty 'parameters' (module-level so it pickles)."""
    return spin_up(for_replication(resolve(base, values, seed=seed), uncertainty, seed, replication), seed, replication)


def shared_spin_ups(sweep: Sweep, folder: Path, run_ids: Iterable[int], backend: Any) -> dict[int, Path]:
    """Write the spin-ups that two or more points of these runs share; return the folder of
    states for each point that has one.

    Points share a spin-up when they start from the same run (scenario, month and root seed),
    as under common random numbers; a point whose spin-up is its own (independent seeds) is
    left to spin up in its worker, as an unshared spin-up gains nothing from a file.

    Args:
        sweep: the sweep.
        folder: the sweep folder; states go to `spin_up/seed_<root seed>_<digest>/replication_<r>.npz`.
        run_ids: the runs still to make.
        backend: where to compute the states (a LocalBackend or DaskBackend).
    """
    origin = resolve(sweep.base).scenario.start_from
    if origin is None or origin.scenario is None:
        return {}
    groups: dict[Path, tuple[set[int], set[int], dict, int]] = {}
    group_of: dict[int, Path] = {}
    for run_id in run_ids:
        _, point, replication, seed, values = sweep.run(run_id)
        if point not in group_of:
            group_of[point] = _states_folder(folder, resolve(sweep.base, values, seed=seed), seed)
        points, replications, _, _ = groups.setdefault(group_of[point], (set(), set(), values, seed))
        points.add(point)
        replications.add(replication)
    shared = {path: group for path, group in groups.items() if len(group[0]) > 1}
    jobs = {}
    for path, (_, replications, values, seed) in shared.items():
        for replication in sorted(replications):
            if not state_file(path, replication).is_file():
                jobs[backend.submit(spin_up_state, sweep.base, values, seed, replication,
                                    sweep.spec.uncertainty)] = (path, replication)
    pending = set(jobs)
    while pending:
        finished, pending = backend.wait(pending)
        for future in finished:
            path, replication = jobs[future]
            path.mkdir(parents=True, exist_ok=True)
            write_state(future.result(), state_file(path, replication))
    return {point: path for point, path in group_of.items() if path in shared}


def _states_folder(folder: Path, resolved, seed: int) -> Path:
    """The folder of states for the run a resolved point starts from, with this root seed."""
    origin = json.dumps({"scenario": resolved.spin_up.scenario.model_dump(mode="json"),
                         "month": resolved.scenario.start_from.month}, sort_keys=True, default=str)
    digest = hashlib.sha256(origin.encode("utf-8")).hexdigest()[:12]
    return folder / SPIN_UP_FOLDER / f"seed_{int(seed)}_{digest}"
