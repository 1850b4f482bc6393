"""Saved states: a run restored from a saved state and continued gives the same bytes as the run
uninterrupted; a stale, foreign or damaged file is refused in one line; forward scenarios
start from another run's state, replication by replication, and spin it up once."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import yaml

import sim
from sim.model import checkpoint
from sim.model.model import GPModel
from sim.results import start
from sim.results.folder import table_text
from sim.scenario.errors import InputError

from .conftest import ROOT, small, small_data


def tables(model: GPModel) -> list[str]:
    return [table_text(model.timeseries()), table_text(model.network_table()), table_text(model.practice_table())]


@pytest.mark.parametrize("stop", [0, 13, 29])   # before any month, mid-year after networks open, just before the end
def test_restored_run_equals_the_uninterrupted_run_byte_for_byte(tmp_path, stop):
    scenario = small(months=36)
    whole = GPModel(scenario, replication=1).run()
    first = GPModel(scenario, replication=1).run_until(stop).save_state(tmp_path / "state.npz")
    del first
    resumed = GPModel.restore(tmp_path / "state.npz")
    assert resumed.month == stop and resumed.replication == 1
    assert tables(resumed.run()) == tables(whole)


def test_saved_state_holds_the_clock_counters_and_parameters(tmp_path):
    model = GPModel(small(months=36)).run_until(30)
    path = tmp_path / "s.npz"
    model.save_state(path)
    state = checkpoint.read_state(path)
    assert (state.origin, state.month, state.at) == (model.start_month, 30, "2019-10")
    assert np.array_equal(state.practices.leavers_by_month, model.practices.leavers_by_month)
    assert state.networks.count == model.networks.count > 0
    assert state.in_force == model.in_force.scenario.model_dump(mode="json")
    assert len(state.timeseries["month"]) == 30 and len(state.snapshots) == 2
    with zipfile.ZipFile(path) as archive:   # arrays and a JSON header only: nothing to unpickle
        assert all(name.endswith(".npy") for name in archive.namelist())


def _rewrite_header(path, **changes):
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = {**json.loads(arrays["header"].tobytes()), **changes}
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(path, **arrays)


@pytest.mark.parametrize("changes, expected", [
    ({"format_version": 99}, "format_version: expected a state saved by this program (format version 1); found format version 99"),
    ({"gpsim_version": "0.0.1"}, "gpsim_version: expected a state saved by this program"),
    ({"digest": "0123456789abcdef"}, "digest: expected a state saved by this program (model digest"),
    ({"format": "something"}, "expected a saved state file (.npz with a gpsim header); found something else"),
])
def test_stale_or_foreign_state_is_refused_naming_the_file(tmp_path, changes, expected):
    path = tmp_path / "s.npz"
    GPModel(small(months=36)).run_until(3).save_state(path)
    _rewrite_header(path, **changes)
    with pytest.raises(InputError) as caught:
        GPModel.restore(path)
    assert str(caught.value).startswith(f"{path}: ") and expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_not_a_state_file_exits_2_with_one_line_from_the_command_line(tmp_path):
    (tmp_path / "junk.npz").write_text("not a zip")
    data = small_data(name="forward", start="2018-04", months=12, start_from={"state": str(tmp_path / "junk.npz")},
                      organisations={"pcn": {"opens": None}}, additional_roles={"start": "2018-04"})
    data.pop("population")
    scenario = tmp_path / "forward.yaml"
    scenario.write_text(yaml.safe_dump(data))
    done = subprocess.run([sys.executable, "-m", "sim", "run", str(scenario), "--out", str(tmp_path / "out"), "--quiet"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip().endswith(f"{tmp_path / 'junk.npz'}: expected a saved state file (.npz with a gpsim header); found something else")
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


# -- forward scenarios -------------------------------------------------------------------------
def history_and_forward(tmp_path, **forward_changes):
    """A small history file (2017-04, 48 months) and a forward scenario starting from it in 2019-10."""
    (tmp_path / "history.yaml").write_text(yaml.safe_dump(small_data(name="history", replications=2)))
    forward = {"extends": "history.yaml", "name": "forward", "start": "2019-10", "months": 24, "changes": [],
               "start_from": {"scenario": "history.yaml", "month": "2019-10"},
               "organisations": {"pcn": {"opens": None}}, "additional_roles": {"start": "2019-10"}, **forward_changes}
    (tmp_path / "forward.yaml").write_text(yaml.safe_dump(forward))
    return tmp_path / "history.yaml", tmp_path / "forward.yaml"


@pytest.mark.parametrize("uncertainty", ["stochastic", "parameters"])
def test_forward_replication_continues_the_matching_history_replication(tmp_path, uncertainty):
    """With parameter uncertainty, replication r of the forward run spins up with its own
    parameter set, so it continues replication r of the history run with that set."""
    history, forward = history_and_forward(tmp_path)
    start.forget_spin_ups()
    past = sim.run(history, seed=11, uncertainty=uncertainty).timeseries
    ahead = sim.run(forward, seed=11, uncertainty=uncertainty).timeseries
    # The forward's parameters equal the history's in force, so its months are the history's months.
    overlap = past[past["month"].between("2019-10", "2021-03")].reset_index(drop=True)
    assert table_text(ahead[ahead["month"] <= "2021-03"].reset_index(drop=True)) == table_text(overlap)
    first = ahead.groupby("replication")[["practices", "patients", "continuity"]].first()
    assert len(first.drop_duplicates()) == 2   # each replication branches from its own history


def test_spin_up_runs_once_per_replication_for_many_forward_runs(tmp_path, monkeypatch):
    _, forward = history_and_forward(tmp_path)
    start.forget_spin_ups()
    built = []
    original = GPModel._build
    monkeypatch.setattr(GPModel, "_build", lambda self, *args: (built.append(1), original(self, *args))[1])
    sim.compare([forward, forward.with_name("forward.yaml")], replications=2)
    assert len(built) == 2   # two histories spun up; the four forward runs branch from them


def test_forward_state_from_a_folder_of_saved_states(tmp_path):
    _, forward = history_and_forward(tmp_path)
    folder = start.save_spin_ups(forward, 11, range(2), tmp_path / "states", uncertainty="parameters")
    assert sorted(p.name for p in folder.iterdir()) == ["replication_0.npz", "replication_1.npz"]
    from_states = yaml.safe_load(forward.read_text())
    from_states["start_from"] = {"state": "states"}
    (tmp_path / "from_states.yaml").write_text(yaml.safe_dump(from_states))
    start.forget_spin_ups()
    assert table_text(sim.run(tmp_path / "from_states.yaml", seed=11).timeseries) == table_text(sim.run(forward, seed=11).timeseries)
    assert sim.run(forward, seed=11).uncertainty == "parameters", "saved and spun-up states both ran with the sets"


@pytest.mark.parametrize("start_from, key, expected", [
    ({"scenario": "history.yaml", "month": "2019-11"}, "start_from.month", "expected the scenario's start (2019-10), where the run branches; found 2019-11"),
    ({"scenario": "nowhere.yaml", "month": "2019-10"}, "start_from.scenario", "found no such scenario 'nowhere.yaml'"),
    ({"scenario": "history.yaml"}, "start_from", "expected month (YYYY-MM) with scenario"),
    ({"scenario": "history.yaml", "month": "2019-10", "state": "x.npz"}, "start_from", "expected exactly one of scenario (with month) or state"),
    ({"state": "missing.npz"}, "start_from.state", "expected a saved state file or folder; found no such path"),
])
def test_bad_start_from_is_one_clear_line(tmp_path, start_from, key, expected):
    _, forward = history_and_forward(tmp_path, start_from=start_from)
    with pytest.raises(InputError) as caught:
        sim.load(forward)
    assert f": {key}" in str(caught.value) and expected in str(caught.value)


def test_start_month_outside_the_history_is_refused(tmp_path):
    _, forward = history_and_forward(tmp_path, start="2021-05", start_from={"scenario": "history.yaml", "month": "2021-05"},
                                     additional_roles={"start": "2021-05"})
    with pytest.raises(InputError, match=r"start_from.month: expected a month after 2017-04 and at most 2021-04 \(the run of .*history.yaml\); found 2021-05"):
        sim.load(forward)
