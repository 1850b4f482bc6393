"""Same inputs and seed give byte-identical outputs, whatever the order replications run in and
in whichever process; different seeds give different runs; `gpsim rerun` reproduces a results
folder from its manifest."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

import sim
from sim.model.model import GPModel
from sim.results.folder import table_text

from .conftest import ROOT, small, small_data


def gpsim(*args, cwd, hash_seed="0"):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": hash_seed}
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=300)


def rows_by_replication(text: str) -> dict[int, list[str]]:
    header, *rows = text.splitlines()
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(int(row.split(",", 1)[0]), []).append(row)
    return found


@pytest.fixture(scope="module")
def together():
    scenario = small(months=30)
    return scenario, sim.run(scenario, replications=4)


def test_replications_run_together_equal_each_run_alone(together):
    scenario, results = together
    series = rows_by_replication(table_text(results.timeseries))
    networks = rows_by_replication(table_text(results.networks))
    assert sorted(series) == [0, 1, 2, 3]
    for replication in (3, 1, 0, 2):  # alone, and out of order
        model = GPModel(scenario, replication=replication).run()
        alone = table_text(model.timeseries())
        assert alone.splitlines()[0] == table_text(results.timeseries).splitlines()[0]
        assert rows_by_replication(alone)[replication] == series[replication]
        assert rows_by_replication(table_text(model.network_table()))[replication] == networks[replication]


def test_replications_differ_from_each_other(together):
    _, results = together
    series = rows_by_replication(table_text(results.timeseries))
    strip = lambda rows: [row.split(",", 1)[1] for row in rows]  # noqa: E731 (drop the replication number)
    assert len({tuple(strip(rows)) for rows in series.values()}) == 4


def test_same_seed_same_bytes_other_seed_differs():
    scenario = small(months=30)
    first, again = (table_text(sim.run(scenario, seed=11).timeseries) for _ in range(2))
    other = table_text(sim.run(scenario, seed=12).timeseries)
    assert first == again
    assert first != other
    assert first.splitlines()[1] != other.splitlines()[1], "the starting population depends on the seed too"


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rerun")
    scenario = folder / "small.yaml"
    scenario.write_text(yaml.safe_dump(small_data(months=30, replications=2)))
    done = gpsim("run", scenario, "--set", "money.fixed_costs=30000", "--seed", "5", "--out", folder / "first",
                 "--quiet", "--no-charts", cwd=folder, hash_seed="1")
    assert done.returncode == 0, done.stderr
    return folder


def test_rerun_reproduces_byte_for_byte_in_another_process(original):
    scenario = original / "small.yaml"
    scenario.write_text("name: changed-since\n")  # a rerun needs only the manifest
    done = gpsim("rerun", original / "first", "--out", original / "again", "--quiet", cwd=original, hash_seed="2")
    assert done.returncode == 0, done.stderr
    assert "byte-identical" in done.stdout
    for name in ("timeseries.csv", "networks.csv", "practices.parquet"):
        assert (original / "again" / name).read_bytes() == (original / "first" / name).read_bytes(), name
    first = json.loads((original / "first" / "manifest.json").read_text())
    again = json.loads((original / "again" / "manifest.json").read_text())
    assert first["seed"] == again["seed"] == 5 and first["replications"] == 2
    assert again["scenario"] == first["scenario"] and first["scenario"]["money"]["fixed_costs"] == 30000
    assert again["overrides"] == ["money.fixed_costs=30000"] and again["scenario_sha256"] == first["scenario_sha256"]
    assert again["rerun_of"]["folder"].endswith("first") and again["charts"] is False
    assert first["format"] >= 2 and first["float_format"] == "%.10g"


def test_rerun_reports_the_file_that_differs(original, tmp_path):
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for name in ("timeseries.csv", "networks.csv", "practices.parquet"):
        (tampered / name).write_bytes((original / "first" / name).read_bytes())
    manifest = json.loads((original / "first" / "manifest.json").read_text())
    manifest["scenario"]["money"]["fixed_costs"] = 31000  # a different scenario than the one that made these files
    (tampered / "manifest.json").write_text(json.dumps(manifest))
    done = gpsim("rerun", tampered, "--quiet", "--no-charts", cwd=tmp_path)
    assert done.returncode == 1
    assert re.search(r"timeseries\.csv \(first difference on line \d+\)", done.stderr), done.stderr
    assert "results differ from" in done.stderr and (tmp_path / "tampered-rerun" / "manifest.json").is_file()


@pytest.mark.parametrize("setup, key, fragment", [
    (None, "", "expected a results folder; found nothing there"),
    ("", "", "expected the manifest.json of a gpsim run; found nothing there"),
    ("{not json", "line 1", "expected JSON; found Expecting property name"),
    ('{"scenario": {}, "seed": 1, "files": {}}', "replications", "expected a value; found the key missing"),
    ('{"scenario": {}, "seed": "1", "replications": 1, "files": {}}', "seed", "expected a whole number; found '1'"),
    ('{"scenario": {"months": -1}, "seed": 1, "replications": 1, "files": {}}', "scenario.months", "expected greater than 0; found -1"),
    ('{"scenario": {"mounths": 1}, "seed": 1, "replications": 1, "files": {}}', "scenario.mounths", "did you mean 'months'"),
])
def test_rerun_of_a_bad_folder_exits_2_with_one_line(tmp_path, setup, key, fragment):
    folder = tmp_path / "results"
    if setup is not None:
        folder.mkdir()
        if setup:
            (folder / "manifest.json").write_text(setup)
    done = gpsim("rerun", folder, "--quiet", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    where = folder / "manifest.json" if setup is not None else folder
    assert lines[0].startswith(f"gpsim: error: {where}: {key + ': ' if key else ''}"), lines[0]
    assert fragment in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == (["results"] if setup is not None else [])
