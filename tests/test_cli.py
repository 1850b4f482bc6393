"""The gpsim command: the run folder contract, reproducibility, and clean failure on bad input."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import sim
from sim.app.cli import main

from .conftest import ROOT, small

CONTRACT = ["replication", "month", "practices", "patients", "mean_list_size", "networks",
            "network_coverage_practices", "network_coverage_patients", "gp_fte_per_1000", "gp_turnover_12m",
            "locum_share", "continuity", "practices_in_deficit", "closures_12m", "displaced_patients_12m"]
SHARES = ["network_coverage_practices", "network_coverage_patients", "gp_turnover_12m", "locum_share",
          "continuity", "practices_in_deficit"]


def gpsim(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("runs") / "small.yaml"
    import yaml

    from .conftest import small_data
    path.write_text(yaml.safe_dump(small_data(replications=2)))
    out = path.parent / "out"
    done = gpsim("run", path, "--out", out, "--quiet")
    assert done.returncode == 0, done.stderr
    return out, done


def test_run_writes_the_contracted_files(run_folder):
    out, done = run_folder
    names = {p.name for p in out.iterdir()}
    assert {"timeseries.csv", "networks.csv", "practices.parquet", "manifest.json", "charts"} <= names
    assert {f"{c}.png" for c in ("coverage", "network_sizes", "continuity", "workforce", "sustainability")} <= {p.name for p in (out / "charts").iterdir()}
    assert "Practices in a paid PCN (share)" in done.stdout and "Results written to" in done.stdout


def test_timeseries_columns_and_ranges(run_folder):
    frame = pd.read_csv(run_folder[0] / "timeseries.csv")
    assert list(frame.columns[:len(CONTRACT)]) == CONTRACT
    assert len(frame) == 2 * 48 and sorted(frame["replication"].unique()) == [0, 1]
    assert frame["month"].iloc[0] == "2017-04" and frame["month"].iloc[47] == "2021-03"
    for column in SHARES:
        assert frame[column].between(0, 1).all(), column
    assert (frame[["practices", "patients", "closures_12m", "displaced_patients_12m"]] >= 0).all().all()


def test_networks_and_snapshots(run_folder):
    networks = pd.read_csv(run_folder[0] / "networks.csv")
    assert list(networks.columns[:6]) == ["replication", "network_id", "type", "formed", "practices", "patients"]
    assert set(networks["type"]) == {"federation", "pcn"}
    practices = pd.read_parquet(run_folder[0] / "practices.parquet")
    assert sorted(practices["month"].unique()) == ["2018-03", "2019-03", "2020-03", "2021-03"]
    last = practices[(practices["month"] == "2021-03") & (practices["replication"] == 0)]
    frame = pd.read_csv(run_folder[0] / "timeseries.csv")
    assert last["open"].sum() == frame.loc[(frame["replication"] == 0) & (frame["month"] == "2021-03"), "practices"].item()


def test_manifest_records_what_reproduces_the_run(run_folder):
    manifest = json.loads((run_folder[0] / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["replications"] == 2
    assert len(manifest["scenario_sha256"]) == 64
    assert manifest["scenario"]["population"]["practices"] == 600
    assert manifest["versions"]["mesa"] == "3.3.1"
    assert "timeseries.csv" in manifest["files"] and manifest["started"] <= manifest["finished"]


def test_same_seed_same_bytes_and_other_seed_differs(tmp_path, small_file):
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        assert main(["run", str(small_file), "--seed", str(seed), "--out", str(tmp_path / name), "--quiet", "--no-charts"]) == 0
    first, again, other = ((tmp_path / n / "timeseries.csv").read_bytes() for n in "abc")
    assert first == again
    assert first != other


def test_set_overrides_reach_the_run(tmp_path, small_file):
    assert main(["run", str(small_file), "--set", "organisations.pcn.band.min_patients=45000", "--set", "months=40",
                 "--out", str(tmp_path / "o"), "--quiet", "--no-charts"]) == 0
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["scenario"]["organisations"]["pcn"]["band"]["min_patients"] == 45000
    assert manifest["overrides"] == ["organisations.pcn.band.min_patients=45000", "months=40"]
    assert len(pd.read_csv(tmp_path / "o" / "timeseries.csv")) == 40


@pytest.mark.parametrize("text, expected", [
    ("population:\n  practises: 10\n", "population.practises: unknown key 'practises' (did you mean 'practices'?)"),
    ("months: many\n", "months: expected a valid integer"),
    ("population:\n  practices: 0\n", "population.practices: expected greater than 0; found 0"),
    ("start: 2013-04\norganisations:\n  pcn:\n    opens: 2040-01\n", "organisations.pcn.opens: expected a month from 2013-04"),
    ("name: [unclosed\n", "YAML does not parse"),
])
def test_bad_scenario_exits_2_with_one_line_and_writes_nothing(tmp_path, text, expected):
    scenario = tmp_path / "bad.yaml"
    scenario.write_text(text)
    done = gpsim("run", scenario, "--quiet", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert lines[0].startswith(f"gpsim: error: {scenario}") and expected in lines[0]
    assert not (tmp_path / "outputs").exists()
    assert done.stdout == ""


def test_existing_results_are_not_overwritten_without_force(tmp_path, small_file):
    out = tmp_path / "kept"
    out.mkdir()
    (out / "timeseries.csv").write_text("precious")
    done = gpsim("run", small_file, "--out", out, "--quiet")
    assert done.returncode == 2 and "--force" in done.stderr
    assert (out / "timeseries.csv").read_text() == "precious"
    assert main(["run", str(small_file), "--out", str(out), "--force", "--quiet", "--no-charts"]) == 2, \
        "--force replaces only a folder gpsim wrote"
    assert (out / "timeseries.csv").read_text() == "precious"
    (out / "timeseries.csv").unlink()  # an empty folder is written into without --force
    assert main(["run", str(small_file), "--out", str(out), "--quiet", "--no-charts"]) == 0
    assert main(["run", str(small_file), "--out", str(out), "--force", "--quiet", "--no-charts", "--seed", "2"]) == 0
    assert (out / "timeseries.csv").read_text().startswith("replication,month")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary folders left behind"


def test_default_folder_is_new_under_outputs(tmp_path, small_file):
    done = gpsim("run", small_file, "--quiet", "--no-charts", "--set", "months=30", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folders = list((tmp_path / "outputs").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("small-")


def test_schema_prints_reference_and_json_schema(capsys):
    assert main(["schema"]) == 0
    assert "| practices | Open GP practices at the start. | practices | 8044 |" in capsys.readouterr().out
    assert main(["schema", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["properties"]["population"]


def test_python_api_same_verbs(tmp_path):
    results = sim.run(small(months=30), replications=2)
    assert results.replications == 2
    assert set(results.to_df()["replication"]) == {0, 1}
    summary = results.summary()
    assert list(summary["outcome"])[:2] == ["practices", "mean_list_size"]
    assert (summary["end_low"] <= summary["end_median"]).all() and (summary["end_median"] <= summary["end_high"]).all()
    figures = results.plot()
    assert set(figures) == {"coverage", "network_sizes", "continuity", "workforce", "sustainability"}
    for figure in figures.values():
        assert figure.axes[0].get_title(loc="left") and all(ax.get_ylabel() for ax in figure.axes)
        assert any(ax.get_xlabel() for ax in figure.axes)
    folder = results.save(tmp_path / "api")
    assert (folder / "timeseries.csv").is_file()


def test_main_scenario_runs_from_the_command_line(tmp_path):
    done = gpsim("run", ROOT / "scenarios/history_2013_2023.yaml", "--replications", "1", "--out", tmp_path / "h",
                 "--quiet", "--no-charts")
    assert done.returncode == 0, done.stderr
    frame = pd.read_csv(tmp_path / "h" / "timeseries.csv").set_index("month")
    assert frame.loc["2013-04", "practices"] > 7900
    assert frame.loc["2019-06", "coverage_pcn"] == 0 and frame.loc["2020-06", "coverage_pcn"] > 0.95
