"""The dashboard's model and command without a browser: levers become scenario overrides, the
scenario's own values add none, a dashboard run is `gpsim run`'s replication 0, and the command
refuses bad input before serving anything."""
from __future__ import annotations

import inspect
import io
import socket
import subprocess
import sys
import zipfile

import pandas as pd
import pytest

pytest.importorskip("solara", reason="the dashboard extra is not installed")

from mesa.visualization.solara_viz import _check_model_params  # noqa: E402

from sim.app.commands.dashboard import address  # noqa: E402
from sim.app.dashboard import charts, controls, levers  # noqa: E402  (first: it quiets a hook warning about Mesa's own code)
from sim.app.dashboard.model import DashboardModel  # noqa: E402
from sim.results.run import run  # noqa: E402
from sim.scenario.loading import load  # noqa: E402

from .conftest import ROOT  # noqa: E402


def gpsim(*args):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def test_scenario_values_add_no_override_and_match_gpsim_run(small_file):
    params = controls.model_params({"scenario_path": str(small_file), "overrides": (), "seed": None})
    levers = {name: value["value"] if isinstance(value, dict) else value for name, value in params.items()}
    model = DashboardModel(**levers)
    assert model.settings == [] and model.notes == []
    assert model.command() == f"gpsim run {small_file} --seed 7 --replications 1"
    model.run()
    assert not model.running and model.month == 48
    model.step()
    assert model.month == 48 and model.steps == 48, "a finished run ignores further steps"
    pd.testing.assert_frame_equal(model.timeseries(), run(small_file, replications=1).timeseries)


def test_levers_map_onto_scenario_key_paths(small_file):
    scenario = load(small_file)
    overrides, notes = levers.lever_overrides(scenario, {
        "incentive_per_patient": 7.55, "band_min_patients": 40000, "network_opens": "2018-04",
        "reimbursement_rate": 0.5, "commissioner_push": 0.9, "practices": 300, "new_gps": 0.08})
    assert notes == []
    assert overrides == [
        "population.practices=300", "population.commissioner_areas=8", "population.regions=2", "population.side_km=70.711",
        "workforce.new_gps_per_1000_patients=0.08",
        "organisations.pcn.payments.participation_per_weighted_patient=3.522", "organisations.pcn.payments.core_per_patient=3",
        "organisations.pcn.payments.leadership_per_patient=1.028",
        "organisations.pcn.band.min_patients=40000", "organisations.pcn.band.max_patients=50000",
        "organisations.pcn.opens=2018-04", "organisations.pcn.commissioner_push=0.9",
        "additional_roles.reimbursement_rate=0.5"]
    changed = load(small_file, overrides)
    assert levers.incentive(changed, "pcn") == pytest.approx(7.55)
    assert changed.population.practices == 300 and changed.organisations["pcn"].opens == "2018-04"


def test_a_lever_run_is_the_same_as_gpsim_run_with_its_settings(small_file):
    model = DashboardModel(small_file, seed="11", incentive_per_patient=1.0, band_max_patients=70000,
                                     commissioner_push=0.2)
    assert model.root_seed == 11
    model.run()
    expected = run(small_file, replications=1, seed=11, overrides=model.settings).timeseries
    pd.testing.assert_frame_equal(model.timeseries(), expected)
    assert "--seed 11" in model.command() and "--set organisations.pcn.commissioner_push=0.2" in model.command()


def test_band_max_below_min_is_raised_and_said(small_file):
    model = DashboardModel(small_file, band_min_patients=80000, band_max_patients=50000)
    assert model.scenario.organisations["pcn"].band.max_patients == 80000
    assert model.notes == ["Largest paid network raised to the smallest (80,000 patients)."]


def test_bad_seed_falls_back_to_the_scenarios_and_says_so(small_file):
    model = DashboardModel(small_file, seed="seven")
    assert model.root_seed == 7 and "not a whole number" in model.notes[0]


def test_shipped_scenarios_offer_the_levers_they_have():
    history = levers.lever_defaults(load(ROOT / "scenarios/history_2013_2023.yaml"))
    assert set(history) == {"new_gps", "practices", "incentive_per_patient", "band_min_patients", "band_max_patients",
                            "network_opens", "commissioner_push", "reimbursement_rate"}
    assert history["network_opens"] == "2019-07" and history["incentive_per_patient"] == pytest.approx(3.775)
    without = levers.lever_defaults(load(ROOT / "scenarios/no_network_contract.yaml"))
    assert "band_min_patients" not in without and "reimbursement_rate" not in without


def test_controls_fit_mesa_and_start_at_the_scenarios_values():
    params = controls.model_params({"scenario_path": str(ROOT / "scenarios/history_2013_2023.yaml"), "overrides": (), "seed": None})
    _check_model_params(DashboardModel.__init__, params)
    assert set(params) <= set(inspect.signature(DashboardModel.__init__).parameters)
    scenario = load(ROOT / "scenarios/history_2013_2023.yaml")
    sliders = {name: control for name, control in params.items() if isinstance(control, dict) and "step" in control}
    for name, control in sliders.items():
        assert control["min"] <= control["value"] <= control["max"], name
        # The browser shows a slider on its grid; that value is still the scenario's.
        shown = control["min"] + round((control["value"] - control["min"]) / control["step"]) * control["step"]
        resolution = {name: control["step"]}
        assert levers.lever_overrides(scenario, {name: shown}, resolution) == ([], []), name
        moved = shown + control["step"] if shown + control["step"] <= control["max"] else shown - control["step"]
        assert levers.lever_overrides(scenario, {name: moved}, resolution)[0], f"{name}: one step is a change"
    assert params["practices"]["value"] == 8044 and params["practices"]["min"] < 200
    assert params["incentive_per_patient"]["value"] == pytest.approx(3.775) and params["incentive_per_patient"]["min"] == 0


def test_charts_and_download(small_file):
    model = DashboardModel(small_file, practices=200)
    for _ in range(14):
        model.step()
    for draw in (charts.coverage_figure, charts.networks_figure, charts.care_figure, charts.sustainability_figure,
                 lambda m: charts.map_figure(m, "pcn"), lambda m: charts.map_figure(m, "federation")):
        assert charts.png(draw(model)).startswith(b"\x89PNG")
    archive = zipfile.ZipFile(io.BytesIO(model.results_zip(charts=False)))
    assert {"small/timeseries.csv", "small/networks.csv", "small/practices.parquet", "small/manifest.json",
            "small/command.txt"} <= set(archive.namelist())
    frame = pd.read_csv(archive.open("small/timeseries.csv"))
    assert len(frame) == 14 and frame["month"].iloc[-1] == "2018-05"
    practices = pd.read_parquet(io.BytesIO(archive.read("small/practices.parquet")))
    assert practices["month"].iloc[-1] == "2018-05", "the download includes the practices as they are now"
    assert archive.read("small/command.txt").decode().strip() == model.command()


def test_address_names_this_computer():
    assert address("127.0.0.1", 8765) == "http://127.0.0.1:8765/"
    assert address("0.0.0.0", 80) == "http://127.0.0.1:80/"


@pytest.mark.parametrize("args, expected", [
    (["missing.yaml"], "missing.yaml: expected an existing scenario file"),
    (["--port", "0"], "--port: expected a port from 1 to 65535; found 0"),
    (["--set", "organisations.pcn.band.min_patients=many"], "organisations.pcn.band.min_patients"),
])
def test_bad_input_exits_2_before_serving(args, expected):
    done = gpsim("dashboard", *args)
    assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr
    assert "Dashboard:" not in done.stdout


def test_a_port_in_use_is_refused():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        done = gpsim("dashboard", "--port", busy.getsockname()[1])
    assert done.returncode == 2 and "expected a free port on 127.0.0.1" in done.stderr
