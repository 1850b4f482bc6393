"""Sweeps: designs, seeds independent of workers and order, resume after kill -9, a Dask
cluster, sensitivity indices, the plain function, and bad sweep files."""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.analysis.evaluate import OUTCOMES, evaluate
from sim.analysis.sweep import load_sweep, run_sweep, scheduler_address
from sim.app.cli import main
from sim.results.seeds import point_seed

from .conftest import ROOT

TINY = {
    "name": "tiny", "start": "2017-04", "months": 36, "seed": 7,
    "population": {"practices": 150, "commissioner_areas": 4, "regions": 2, "side_km": 60},
    "organisations": {
        "federation": {"kind": "federation", "initial_coverage": 0.4, "commissioner_push": 0.5},
        "pcn": {"kind": "network", "opens": "2019-07", "decision_rate": 0.5, "commissioner_push": 0.5,
                "band": {"min_patients": 30000, "max_patients": 50000},
                "payments": {"participation_per_weighted_patient": 1.761, "core_per_patient": 1.5}},
    },
    "additional_roles": {"start": "2019-07", "employer": "pcn"},
}

LATIN = {
    "name": "tiny-latin", "scenario": "tiny.yaml", "design": "latin", "samples": 12, "replications": 2, "seed": 5,
    "parameters": {
        "behaviour.peer_weight": {"range": [0.5, 4.0]},
        "behaviour.neighbours": {"range": [4, 12]},
        "organisations.pcn.band.min_patients": {"values": [10000, 20000, 30000]},
    },
    "outcomes": ["coverage_year_2", "closures_total", "continuity_end"],
    "series": ["continuity"],
}


def write(folder: Path, sweep: dict, name: str = "sweep.yaml") -> Path:
    """A sweep file and the tiny base scenario beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.yaml").write_text(yaml.safe_dump(TINY), encoding="utf-8")
    path = folder / name
    path.write_text(yaml.safe_dump(sweep, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def latin(tmp_path_factory):
    """The Latin-hypercube sweep run once, uninterrupted, on 2 local workers."""
    folder = tmp_path_factory.mktemp("latin")
    path = write(folder, LATIN)
    assert main(["sweep", str(path), "--out", str(folder / "reference"), "--workers", "2", "--quiet"]) == 0
    return path, folder / "reference"


def test_runs_parquet_has_one_row_per_run_with_parameters_outcomes_and_series(latin):
    path, out = latin
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs["run_id"]) == list(range(24))
    assert list(runs["replication"]) == [0, 1] * 12
    for column in ["seed", *LATIN["parameters"], *LATIN["outcomes"], "continuity_by_year"]:
        assert column in runs.columns
    assert runs["behaviour.neighbours"].dtype == np.int64
    assert set(runs["organisations.pcn.band.min_patients"]) <= {10000.0, 20000.0, 30000.0}
    assert runs["seed"].tolist() == [point_seed(5, i // 2) for i in range(24)]  # a seed per point, shared by its replications
    assert all(len(v) == 3 for v in runs["continuity_by_year"])
    assert runs["coverage_year_2"].between(0, 1).all()
    assert {"sweep.yaml", "base_scenario.yaml", "manifest.json", "runs.parquet"} <= {p.name for p in out.iterdir()}
    assert not (out / "parts").exists()


def test_one_worker_gives_the_same_file_as_two(latin, tmp_path):
    path, out = latin
    assert main(["sweep", str(path), "--out", str(tmp_path / "one"), "--workers", "1", "--quiet"]) == 0
    assert (tmp_path / "one" / "runs.parquet").read_bytes() == (out / "runs.parquet").read_bytes()


def test_a_run_matches_the_plain_function(latin):
    path, out = latin
    runs = pd.read_parquet(out / "runs.parquet")
    row = runs.iloc[7]
    params = {key: row[key] for key in LATIN["parameters"]}
    found = evaluate(str(path.parent / "tiny.yaml"), seed=int(row["seed"]), replication=int(row["replication"]),
                     outcomes=LATIN["outcomes"], series=["continuity"], overrides=params)
    for name in LATIN["outcomes"]:
        assert found[name] == row[name]
    assert np.array_equal(found["continuity_by_year"], np.asarray(row["continuity_by_year"]))


def test_resume_after_kill_9_gives_the_identical_file(latin, tmp_path):
    import psutil
    path, out = latin
    target = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(path), "--out", str(target), "--workers", "2", "--quiet"],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list((target / "parts").glob("part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = psutil.Process(process.pid).children(recursive=True)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert list((target / "parts").glob("part-*.parquet")), "no runs were saved before the kill"
    assert not (target / "runs.parquet").exists(), "the sweep finished before it could be killed"
    gone, alive = psutil.wait_procs(workers, timeout=10)
    assert not [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE], "workers outlived the sweep"
    assert main(["sweep", str(path), "--out", str(target), "--workers", "2", "--quiet"]) == 0
    assert (target / "runs.parquet").read_bytes() == (out / "runs.parquet").read_bytes()


def test_a_dask_cluster_gives_the_same_file(latin, tmp_path, monkeypatch):
    from distributed import LocalCluster
    path, out = latin
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        assert main(["sweep", str(path), "--out", str(tmp_path / "dask"), "--scheduler", address, "--quiet"]) == 0
        monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", address.removeprefix("tcp://"))  # host:port is tcp
        assert main(["sweep", str(path), "--out", str(tmp_path / "env"), "--quiet"]) == 0
    assert (tmp_path / "dask" / "runs.parquet").read_bytes() == (out / "runs.parquet").read_bytes()
    assert (tmp_path / "env" / "runs.parquet").read_bytes() == (out / "runs.parquet").read_bytes()


def test_a_finished_sweep_started_again_runs_nothing(latin, capsys):
    path, out = latin
    before = (out / "runs.parquet").read_bytes()
    assert main(["sweep", str(path), "--out", str(out), "--quiet"]) == 0
    assert "0 run now, 24 before" in capsys.readouterr().out
    assert (out / "runs.parquet").read_bytes() == before


def test_a_folder_of_another_sweep_is_refused(latin, tmp_path, capsys):
    path, out = latin
    other = write(tmp_path, {**LATIN, "seed": 6})
    before = sorted(p.name for p in out.iterdir())
    assert main(["sweep", str(other), "--out", str(out), "--quiet"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "different sweep" in lines[0]
    assert sorted(p.name for p in out.iterdir()) == before


@pytest.mark.parametrize("design, extra, indices", [
    ("sobol", {"samples": 4}, ["S1", "S1_conf", "ST", "ST_conf"]),
    ("morris", {"samples": 3, "levels": 4}, ["mu", "mu_star", "mu_star_conf", "sigma"]),
])
def test_sensitivity_indices_for_sobol_and_morris(tmp_path, design, extra, indices):
    sweep = {"name": f"tiny-{design}", "scenario": "tiny.yaml", "design": design, "seed": 3, **extra,
             "parameters": {"behaviour.peer_weight": {"range": [0.5, 4.0]},
                            "behaviour.independence_weight": {"range": [0.5, 4.0], "distribution": "triangular", "mode": 2.0},
                            "workforce.leaving_rate": {"range": [0.04, 0.09], "distribution": "normal", "mean": 0.065, "sd": 0.01}},
             "outcomes": ["coverage_year_2", "continuity_end"]}
    path = write(tmp_path, sweep)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "2", "--quiet"]) == 0
    table = pd.read_csv(tmp_path / "out" / "sensitivity.csv")
    assert list(table.columns) == ["outcome", "parameter", *indices, "rank"]
    assert len(table) == 2 * 3
    assert table[indices].notna().all().all()
    assert sorted(table.loc[table["outcome"] == "continuity_end", "rank"]) == [1, 2, 3]
    assert (tmp_path / "out" / "sensitivity.png").stat().st_size > 10_000
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    expected = {"sobol": 4 * (3 + 2), "morris": 3 * (3 + 1)}[design]
    assert len(runs) == expected
    assert runs["workforce.leaving_rate"].between(0.04, 0.09).all()
    assert not (tmp_path / "out" / "sensitivity_second_order.csv").exists()


def test_second_order_sobol_indices_are_written_when_paid_for(tmp_path):
    names = ["behaviour.peer_weight", "behaviour.independence_weight", "workforce.leaving_rate"]
    sweep = {"name": "tiny-second-order", "scenario": "tiny.yaml", "design": "sobol", "samples": 4, "second_order": True,
             "seed": 3, "parameters": {names[0]: {"range": [0.5, 4.0]}, names[1]: {"range": [0.5, 4.0]},
                                       names[2]: {"range": [0.04, 0.09]}},
             "outcomes": ["coverage_year_2", "continuity_end"]}
    assert main(["sweep", str(write(tmp_path, sweep)), "--out", str(tmp_path / "out"), "--workers", "2", "--quiet"]) == 0
    assert len(pd.read_parquet(tmp_path / "out" / "runs.parquet")) == 4 * (2 * 3 + 2)  # what second order costs
    pairs = pd.read_csv(tmp_path / "out" / "sensitivity_second_order.csv")
    assert list(pairs.columns) == ["outcome", "parameter", "other_parameter", "S2", "S2_conf"]
    assert list(zip(pairs["parameter"], pairs["other_parameter"]))[:3] == [(names[0], names[1]), (names[0], names[2]),
                                                                          (names[1], names[2])]
    assert len(pairs) == 2 * 3 and pairs[["S2", "S2_conf"]].notna().all().all()
    # In a notebook, the sweep's report shows each outcome across the runs and its top parameter.
    report = run_sweep(load_sweep(tmp_path / "sweep.yaml"), tmp_path / "out")
    assert report.already == 32 and report.ran == 0
    page = report._repr_html_()
    assert "<table" in page and "coverage_year_2" in page and "most influential" in page


def test_grid_runs_every_combination():
    sweep = load_sweep(ROOT / "scenarios" / "sweeps" / "band_minimum_grid.yaml")
    points = sweep.design()[1]
    assert len(points) == 10 and sweep.total_runs == 30
    assert {p["organisations.pcn.band.min_patients"] for p in points} == {10000.0, 20000.0, 30000.0, 40000.0, 50000.0}


@pytest.mark.parametrize("name", ["band_minimum_grid.yaml", "behaviour_sobol.yaml", "screening_morris.yaml"])
def test_shipped_sweeps_load(name):
    sweep = load_sweep(ROOT / "scenarios" / "sweeps" / name)
    assert sweep.total_runs > 0


def test_point_seeds_come_from_the_root_seed_and_point_number():
    seeds = [point_seed(2024, i) for i in range(1000)]
    assert len(set(seeds)) == 1000 and all(0 <= s < 2**63 for s in seeds)
    assert seeds[17] == point_seed(2024, 17) != point_seed(2025, 17)
    assert point_seed(2024, 17, common_random_numbers=True) == 2024


def test_plain_function_is_picklable_and_takes_flat_parameters(tmp_path):
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(TINY), encoding="utf-8")
    assert pickle.loads(pickle.dumps(evaluate)) is evaluate
    scenario = str(tmp_path / "tiny.yaml")
    flat = evaluate(scenario, seed=3, behaviour__peer_weight=3.0, organisations__pcn__band__min_patients=20000,
                    outcomes=["coverage_year_2", "continuity_year_10", "closures_total"], series=["practices"])
    nested = evaluate(scenario, seed=3, overrides={"behaviour.peer_weight": 3.0, "organisations.pcn.band.min_patients": 20000},
                      outcomes=["coverage_year_2", "continuity_year_10", "closures_total"], series=["practices"])
    assert flat.keys() == nested.keys()
    assert flat["coverage_year_2"] == nested["coverage_year_2"] and 0 <= flat["coverage_year_2"] <= 1
    assert np.isnan(flat["continuity_year_10"])  # a 3-year run has no year 10
    assert flat["closures_total"] == 150 - flat["practices_by_year"][-1]
    assert set(OUTCOMES) >= {"coverage_year_2", "closures_10y", "continuity_year_10", "gp_fte_per_1000_end", "practices_in_deficit_end"}


def test_plain_function_refuses_unknown_fields_and_outcomes(tmp_path):
    from sim.scenario.errors import InputError
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(TINY), encoding="utf-8")
    with pytest.raises(InputError, match="behaviour.peer_wieght"):
        evaluate(str(tmp_path / "tiny.yaml"), behaviour__peer_wieght=1.0)
    with pytest.raises(InputError, match="coverage_year_3"):
        evaluate(str(tmp_path / "tiny.yaml"), outcomes=["coverage_year_3"])


BAD = [
    ({"colour": "blue"}, "colour", "unknown key 'colour'"),
    ({"parameters": {"behaviour.peer_wieght": {"range": [0, 1]}}}, "parameters.behaviour.peer_wieght", "did you mean 'peer_weight'"),
    ({"parameters": {"organisations.nhs.band.min_patients": {"values": [1]}}}, "parameters.organisations.nhs.band.min_patients", "found 'nhs'"),
    ({"parameters": {"behaviour.peer_weight": {"range": [-1, 2]}}}, "parameters.behaviour.peer_weight.range.0", "found -1"),
    ({"parameters": {"population.rural_share": {"values": [0.2, 1.5]}}}, "parameters.population.rural_share.values.1", "found 1.5"),
    ({"parameters": {"behaviour.peer_weight": {"range": [1, 2], "distribution": "gamma"}}}, "parameters.behaviour.peer_weight.distribution", "found 'gamma'"),
    ({"design": "factorial"}, "design", "found 'factorial'"),
    ({"design": "sobol", "samples": 6}, "samples", "power of 2"),
    ({"outcomes": ["coverage_year_9"]}, "outcomes", "coverage_year_9"),
    ({"scenario": "missing.yaml"}, "scenario", "expected an existing scenario file"),
    ({"parameters": {"seed": {"values": [1, 2]}}}, "parameters.seed", "the sweep sets itself"),
]


@pytest.mark.parametrize("change, key, fragment", BAD, ids=[b[1] for b in BAD])
def test_bad_sweep_files_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, change, key, fragment):
    sweep = {**LATIN, **change}
    path = write(tmp_path, sweep)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith(f"gpsim: error: {path}: {key}: "), lines[0]
    assert fragment in lines[0], lines[0]
    assert captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_scheduler_address_without_a_protocol_is_tcp():
    assert scheduler_address("127.0.0.1:8786") == ("tcp://127.0.0.1:8786", "--scheduler")
    assert scheduler_address(" tls://host:8786 ") == ("tls://host:8786", "--scheduler")


@pytest.mark.parametrize("address, fragment", [("http://localhost:8786", "expected a scheduler address such as tcp://"),
                                               ("tcp://127.0.0.1:9", "expected a Dask scheduler answering")])
def test_bad_scheduler_exits_2_with_one_line_and_writes_nothing(tmp_path, capsys, address, fragment):
    path = write(tmp_path, LATIN)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--scheduler", address, "--quiet"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gpsim: error: --scheduler: ") and fragment in lines[0], lines
    assert not (tmp_path / "out").exists()


def test_the_worked_sobol_example_in_the_docs_runs():
    """docs/research.md's SALib example, shrunk (fewer practices, smaller N) to stay quick."""
    import re
    text = (ROOT / "docs" / "research.md").read_text(encoding="utf-8")
    block = re.search(r"### Worked example.*?```python\n(.*?)```", text, re.S).group(1)
    for old, new in (("population__practices=1000", "population__practices=150"),
                     ("population__commissioner_areas=26", "population__commissioner_areas=4"),
                     ("sample(problem, 8,", "sample(problem, 2,")):
        assert old in block
        block = block.replace(old, new)
    scope: dict = {}
    exec(compile(block, "docs/research.md", "exec"), scope)
    assert scope["Y"].shape == (2 * (3 + 2),) and np.isfinite(scope["Y"]).all()
    assert set(scope["indices"]) >= {"S1", "S1_conf", "ST", "ST_conf"}


def test_a_worker_keeps_no_model_between_runs(tmp_path):
    import gc

    from sim.analysis.sweep import run_one
    from sim.model.model import GPModel
    base = yaml.safe_load(yaml.safe_dump(TINY))
    gc.collect()
    before = sum(isinstance(o, GPModel) for o in gc.get_objects())  # other tests' models may linger
    for run_id in range(3):
        run_one(base, run_id, run_id, 0, point_seed(1, run_id), {"behaviour.peer_weight": 1.0 + run_id}, ["coverage_end"], [])
    gc.collect()
    assert sum(isinstance(o, GPModel) for o in gc.get_objects()) == before


def test_sobol_indices_match_a_function_with_known_indices(tmp_path):
    """The Ishigami function, whose Sobol indices are known exactly, run through the sweep's
    own design and sensitivity code in place of the model."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.analysis.sweep import load_sweep, sensitivity
    sweep_file = write(tmp_path, {"name": "ishigami", "scenario": "tiny.yaml", "design": "sobol", "samples": 1024,
                                  "seed": 5, "second_order": False, "outcomes": ["continuity_end"],
                                  "parameters": {"behaviour.peer_weight": {"range": [0.0, 1.0]},
                                                 "behaviour.independence_weight": {"range": [0.0, 1.0]},
                                                 "behaviour.distrust_weight": {"range": [0.0, 1.0]}}})
    sweep = load_sweep(sweep_file)
    unit, _ = sweep.design()
    x = -np.pi + 2 * np.pi * unit
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    pq.write_table(pa.table({"point": np.arange(len(y)), "continuity_end": y}), tmp_path / "runs.parquet")
    table = sensitivity(sweep, tmp_path / "runs.parquet").set_index("parameter")
    # Analytic values for a = 7, b = 0.1 (Ishigami and Homma 1990).
    expected_first = {"behaviour.peer_weight": 0.3139, "behaviour.independence_weight": 0.4424, "behaviour.distrust_weight": 0.0}
    expected_total = {"behaviour.peer_weight": 0.5576, "behaviour.independence_weight": 0.4424, "behaviour.distrust_weight": 0.2437}
    for name in expected_first:
        assert table.loc[name, "S1"] == pytest.approx(expected_first[name], abs=0.05)
        assert table.loc[name, "ST"] == pytest.approx(expected_total[name], abs=0.05)
        assert table.loc[name, "S1_conf"] < 0.1
    assert table["rank"].to_dict() == {"behaviour.peer_weight": 1, "behaviour.independence_weight": 2, "behaviour.distrust_weight": 3}
