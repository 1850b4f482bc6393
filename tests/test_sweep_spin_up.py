"""Sweeps of a forward scenario (start_from another scenario's run) share spin-ups through files."""
from __future__ import annotations

from concurrent import futures as cf
from pathlib import Path

import pytest
import yaml

from sim.analysis.sweep import driver, load_sweep, run_sweep
from sim.analysis.sweep.spin_ups import SPIN_UP_FOLDER
from sim.scenario.errors import InputError

from .test_sweep import write

FORWARD = {"extends": "tiny.yaml", "name": "tiny-forward", "start": "2019-10", "months": 18, "changes": [],
           "start_from": {"scenario": "tiny.yaml", "month": "2019-10"},
           "organisations": {"pcn": {"opens": None}}, "additional_roles": {"start": "2019-10"}}

SWEEP = {"name": "forward-grid", "scenario": "forward.yaml", "design": "grid", "replications": 2, "seed": 3,
         "parameters": {"behaviour.peer_weight": {"values": [1.0, 3.0]}},
         "outcomes": ["coverage_end", "closures_total", "continuity_end"], "series": ["continuity"]}


class InProcess:
    """A backend that makes each run at once, in this process."""

    workers = 1

    def submit(self, fn, *args):
        future: cf.Future = cf.Future()
        future.set_result(fn(*args))
        return future

    def wait(self, pending: set) -> tuple[set, set]:
        return set(pending), set()

    def close(self, cancel: bool = False) -> None:
        pass


def forward_sweep(folder: Path, **changes) -> Path:
    path = write(folder, {**SWEEP, **changes})
    (folder / "forward.yaml").write_text(yaml.safe_dump(FORWARD), encoding="utf-8")
    return path


@pytest.mark.parametrize("common", [True, False])
def test_a_forward_sweep_on_two_workers_gives_the_in_process_file(tmp_path, monkeypatch, common):
    sweep = load_sweep(forward_sweep(tmp_path, common_random_numbers=common))
    pool = run_sweep(sweep, tmp_path / "pool", workers=2)
    with monkeypatch.context() as patched:  # each run spins up for itself, as without shared files
        patched.setattr(driver, "shared_spin_ups", lambda *args: {})
        alone = run_sweep(sweep, tmp_path / "alone", backend=InProcess())
    assert not (alone.folder / SPIN_UP_FOLDER).exists()
    assert (pool.folder / "runs.parquet").read_bytes() == (alone.folder / "runs.parquet").read_bytes()
    states = sorted(p.relative_to(pool.folder / SPIN_UP_FOLDER).as_posix() for p in (pool.folder / SPIN_UP_FOLDER).rglob("*")
                    if p.is_file()) if (pool.folder / SPIN_UP_FOLDER).exists() else []
    if common:  # both points start from the same run: one state per replication, written once
        assert [Path(s).name for s in states] == ["replication_0.npz", "replication_1.npz"]
        assert len({Path(s).parent for s in states}) == 1 and states[0].startswith("seed_3_")
    else:  # each point has its own seed, so its spin-up is its own and stays in its worker
        assert states == []


def test_shared_states_are_what_the_runs_branch_from(tmp_path):
    """A run given the shared folder gives the row of a run that spins up for itself, and a
    damaged state file is read (and refused), so the runs do read the files."""
    from sim.analysis.sweep import run_one
    sweep = load_sweep(forward_sweep(tmp_path, common_random_numbers=True))
    report = run_sweep(sweep, tmp_path / "out", backend=InProcess())
    folder = next((report.folder / SPIN_UP_FOLDER).iterdir())
    args = (sweep.base, 1, 0, 1, 3, {"behaviour.peer_weight": 1.0}, list(SWEEP["outcomes"]), [])
    assert sweep.spec.uncertainty == "parameters", "a forward base includes parameter uncertainty by default"
    assert run_one(*args, str(folder), "parameters") == run_one(*args, None, "parameters")
    (folder / "replication_1.npz").write_bytes(b"not a state")
    with pytest.raises(InputError, match="replication_1.npz"):
        run_one(*args, str(folder))
