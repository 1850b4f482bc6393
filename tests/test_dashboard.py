"""The dashboard's model and command without a browser: levers become scenario overrides, the
scenario's own values add none, a dashboard run is `gpsim run`'s replication 0, and the command
refuses bad input before serving anything."""
from __future__ import annotations

import io
import json
import shlex
import socket
import subprocess
import sys
import zipfile

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("solara", reason="the dashboard extra is not installed")

from sim.app.commands.dashboard import address
from sim.app.dashboard import charts as charts_module
from sim.app.dashboard import controls, levers
from sim.app.dashboard.board import Dashboard
from sim.app.dashboard.levers import input_text
from sim.app.dashboard.model import DashboardModel
from sim.app.dashboard.session import Run
from sim.results.folder import table_text
from sim.results.run import run
from sim.scenario.loading import load

from .conftest import ROOT
from .dashboard_checks import blank_charts, drawn


def gpsim(*args):
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def test_scenario_values_add_no_override_and_match_gpsim_run(small_file):
    scenario = load(small_file)
    fields = levers.lever_fields(scenario, tuple(controls.month_choices(scenario, "2019-07")))
    shown = {field.name: controls.parse_lever(field, input_text(value))[0]
             for field, value in ((f, levers.lever_defaults(scenario)[f.name]) for f in fields)}
    model = DashboardModel(small_file, **shown)
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
    assert model.levers["band_max_patients"] == 80000, "the levers in force are the run's, not the ones asked"


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


def test_levers_are_typed_numbers_with_units_steps_and_an_explanation():
    scenario = load(ROOT / "scenarios/history_2013_2023.yaml")
    fields = {field.name: field for field in levers.lever_fields(scenario, ("2019-07",))}
    assert set(fields) == set(levers.lever_defaults(scenario))
    assert fields["incentive_per_patient"].step == 0.05 and fields["incentive_per_patient"].unit == "£ per patient a year"
    assert fields["band_min_patients"].step == 1000 and fields["band_min_patients"].unit == "patients"
    helps = levers.lever_help(scenario)
    assert all("Source:" in helps[name] and len(helps[name]) > 30 for name in fields), helps
    assert helps["band_min_patients"].startswith("Smallest network that is paid.")
    band = fields["band_min_patients"]
    assert controls.parse_lever(band, "40000") == (40000, None)
    assert controls.parse_lever(band, "40,000") == (40000, None)
    assert controls.parse_lever(band, "40000.5") == (None, "a whole number")
    assert controls.parse_lever(band, "lots") == (None, "type a number")
    assert controls.parse_lever(fields["incentive_per_patient"], "£2.05") == (2.05, None)
    assert controls.parse_lever(fields["commissioner_push"], "1.5") == (None, "from 0 to 1")
    assert controls.parse_lever(fields["network_opens"], "2019-07") == ("2019-07", None)


def test_replications_give_gpsim_runs_numbers_and_a_band(small_file):
    together = Run(str(small_file), (), None, {"commissioner_push": 0.2}, replications=3)
    while together.running:
        together.step()
    assert together.model.months_run == 48
    archive = zipfile.ZipFile(io.BytesIO(together.results_zip()))
    expected = run(small_file, replications=3, overrides=together.model.settings).timeseries
    assert archive.read("small/timeseries.csv").decode() == table_text(expected)  # the bytes a run folder holds
    assert "--replications 3" in together.command()
    years, median, low, high = together.series("network_coverage_practices")
    assert len(years) == 48 and (low <= median).all() and (median <= high).all() and (high - low).max() > 0.005


def test_reset_keeps_the_earlier_run_labelled_with_what_changed(small_file):
    board = Dashboard({"scenario_path": str(small_file), "overrides": (), "seed": None})
    for _ in range(24):
        board.step()
    board.asked["incentive_per_patient"] = 5.0
    assert board.pending() == ["pcn payments £5.00"]
    board.reset()
    assert board.pending() == [] and board.run.model.levers["incentive_per_patient"] == 5.0
    trace, label = board.comparison()
    assert label == "before: pcn payments £3.775"
    assert len(trace.series["network_coverage_practices"][0]) == 24
    for _ in range(3):
        board.step()
    charts, _ = board.views("paid", detail=False)
    assert all('class="compare"' in chart for chart in charts if 'data-chart="sizes"' not in chart)
    assert label in charts[0]
    board.reset()   # the same settings again: the comparison stays the run before them
    assert board.comparison()[1] == "before: pcn payments £3.775"
    for _ in range(3):
        board.step()
    board.pin()
    board.replications = 2
    board.reset()
    assert board.comparison()[1] == "pinned: 1 replication", "the pinned run had the same levers, one replication"
    board.step()
    board.step()
    assert 'class="band"' in board.views("paid", detail=False)[0][0]


def test_charts_and_map_draw_the_run_and_a_blank_chart_fails_the_check(small_file):
    board = Dashboard({"scenario_path": str(small_file), "overrides": (), "seed": None})
    empty = board.views("paid", detail=False)
    assert set(blank_charts("".join(empty[0]))) == set(drawn("".join(empty[0]))[0]) - {"sizes"}, \
        "before the first month every time chart is blank, and the check says so"
    for _ in range(14):
        board.step()
    charts, map_html = board.views("paid", detail=True)
    marks, _ = drawn("".join(charts))
    assert set(marks) == {"coverage", "networks", "sizes", "continuity", "workforce", "deficit", "closures"}
    assert blank_charts("".join(charts)) == [], marks
    assert marks["coverage"] >= 14 * 3, "three coverage lines, one point a month"
    mutant = "".join(charts).replace('class="data"', 'class="hidden"')
    assert sorted(blank_charts(mutant)) == sorted(marks), "a chart with no data drawn fails the check"
    model = board.run.model
    assert drawn(map_html)[1] == model.practices.open.sum()
    assert map_html.count("<title>Practice ") == model.practices.open.sum(), "every practice can be inspected"
    assert "Synthetic geography" in map_html and " km</text>" in map_html and "15,000 patients" in map_html
    # Whether any practice is in deficit after a year depends on the calibration: overdraw one, so
    # the deficit map has both of its classes to show.
    model.practices.reserves[np.flatnonzero(model.practices.open)[0]] = -1.0
    for mode in ("size", "deficit", "continuity"):
        colours, legend = charts_module.map_classes(model, mode)
        assert len(set(colours[model.practices.open])) >= 2 and legend, mode
    assert "<title>" not in board.views("paid", detail=False)[1], "while running the map leaves out the details"


def test_download(small_file):
    model = DashboardModel(small_file, practices=200)
    for _ in range(14):
        model.step()
    archive = zipfile.ZipFile(io.BytesIO(model.results_zip(charts=False)))
    assert {"small/timeseries.csv", "small/networks.csv", "small/practices.parquet", "small/manifest.json",
            "small/command.txt"} <= set(archive.namelist())
    frame = pd.read_csv(archive.open("small/timeseries.csv"))
    assert len(frame) == 14 and frame["month"].iloc[-1] == "2018-05"
    practices = pd.read_parquet(io.BytesIO(archive.read("small/practices.parquet")))
    assert practices["month"].iloc[-1] == "2018-05", "the download includes the practices as they are now"
    assert archive.read("small/command.txt").decode().strip() == model.command()
    manifest = json.loads(archive.read("small/manifest.json"))
    assert shlex.join(manifest["command"]) == model.command() and manifest["command"][:2] == ["gpsim", "run"]


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


def test_a_smaller_england_reaches_a_run_that_starts_from_the_history():
    forward = ROOT / "scenarios/status_quo_2024.yaml"
    model = DashboardModel(forward, practices=300)
    assert model.practices.size == 300, "the spin-up builds the smaller England"
    assert all(setting.startswith("start_from.set.population.") for setting in model.settings)
    for _ in range(12):
        model.step()
    # The dashboard runs at the calibrated point, and its command says so where gpsim run would not.
    assert model.command().endswith("--uncertainty stochastic")
    expected = run(forward, replications=1, overrides=[*model.settings, "months=12"], uncertainty="stochastic").timeseries
    pd.testing.assert_frame_equal(model.timeseries(), expected)


def test_charts_use_the_reports_colours():
    from sim.app.dashboard.svg import PALETTE
    from sim.report.charts import PALETTE as REPORT
    assert PALETTE == REPORT
