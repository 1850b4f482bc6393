"""--uncertainty parameters|stochastic: which parameter set each replication runs with, that
comparisons pair replications on it, that --set wins over it, that it widens intervals, that
reruns repeat it, and that every interval says what it includes.

The tests do not depend on the shipped ensemble's values or size: where a figure must move, a
two-set ensemble with far-apart values stands in for it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.results import parameter_sets, start
from sim.results.parameter_sets import for_replication, set_numbers, with_parameter_set
from sim.results.seeds import parameter_set
from sim.scenario.loading import resolve

from .conftest import small_data

ROOT = Path(__file__).resolve().parents[1]
# Far apart, so a run with each differs by much more than chance between replications.
TWO_SETS = ({"workforce.leaving_rate": 0.04, "workforce.new_gps_per_1000_patients": 0.065},
            {"workforce.leaving_rate": 0.10, "workforce.new_gps_per_1000_patients": 0.04})


def forward_files(tmp_path, replications: int = 2, months: int = 12) -> tuple[Path, Path]:
    """A small history (2017-04 on) and a forward scenario branching from it in 2019-10."""
    (tmp_path / "history.yaml").write_text(yaml.safe_dump(small_data(name="history", replications=replications)))
    forward = {"extends": "history.yaml", "name": "forward", "start": "2019-10", "months": months, "changes": [],
               "start_from": {"scenario": "history.yaml", "month": "2019-10"},
               "organisations": {"pcn": {"opens": None}}, "additional_roles": {"start": "2019-10"}}
    (tmp_path / "forward.yaml").write_text(yaml.safe_dump(forward))
    return tmp_path / "history.yaml", tmp_path / "forward.yaml"


@pytest.fixture
def two_sets(monkeypatch):
    monkeypatch.setattr(parameter_sets, "shipped_ensemble", lambda: TWO_SETS)
    start.forget_spin_ups()
    yield TWO_SETS
    start.forget_spin_ups()


# -- the draw ------------------------------------------------------------------------------------
def test_the_set_is_a_function_of_seed_and_replication_only():
    sets = 50
    first = [parameter_set(7, r, sets) for r in range(120)]
    assert first == [parameter_set(7, r, sets) for r in range(120)]
    assert [parameter_set(7, r, sets) for r in reversed(range(120))] == first[::-1], "not the order they are drawn in"
    assert sorted(first[:sets]) == list(range(sets)) and sorted(first[sets:2 * sets]) == list(range(sets)), \
        "each pass of 50 replications uses every set once"
    assert first[:sets] != first[sets:2 * sets], "each pass has its own shuffle"
    assert first[:10] != [parameter_set(8, r, sets) for r in range(10)], "another seed, other sets"
    assert set_numbers("parameters", 7, 3) == [parameter_set(7, r, len(parameter_sets.shipped_ensemble())) for r in range(3)]
    assert set_numbers("stochastic", 7, 3) is None


def test_default_rule_and_bad_mode():
    assert parameter_sets.uncertainty_mode(None, resolve("status_quo_2024").scenario) == "parameters"
    assert parameter_sets.uncertainty_mode(None, resolve("history_2013_2023").scenario) == "stochastic"
    with pytest.raises(sim.InputError, match="uncertainty: expected one of parameters, stochastic; found 'both'"):
        parameter_sets.uncertainty_mode("both", resolve("history_2013_2023").scenario)


def test_shipped_ensemble_sets_name_calibrated_fields():
    point = parameter_sets.calibrated_defaults()
    sets = parameter_sets.shipped_ensemble()
    assert len(sets) >= 1 and all(set(values) <= set(point) for values in sets)


# -- which values a set replaces -----------------------------------------------------------------
def test_set_of_a_calibrated_key_beats_the_ensemble(tmp_path):
    _, forward = forward_files(tmp_path)
    values = dict(TWO_SETS[1])
    own = resolve(forward, ["workforce.leaving_rate=0.07", "start_from.set.workforce.new_gps_per_1000_patients=0.05"])
    drawn = with_parameter_set(own, values)
    assert drawn.scenario.workforce.leaving_rate == 0.07, "--set wins"
    assert drawn.scenario.workforce.new_gps_per_1000_patients == 0.04, "a key not set takes the set's value"
    assert drawn.spin_up.scenario.workforce.leaving_rate == 0.10, "the spin-up runs with the set"
    assert drawn.spin_up.scenario.workforce.new_gps_per_1000_patients == 0.05, "start_from.set wins in the spin-up"
    kept = with_parameter_set(resolve(forward), values, kept=("workforce.leaving_rate",))
    assert kept.scenario.workforce.leaving_rate == resolve(forward).scenario.workforce.leaving_rate
    # A scenario that gives a calibrated key a value of its own keeps it too.
    own_value = resolve(small_data(workforce={"leaving_rate": 0.05}))
    assert with_parameter_set(own_value, values).scenario.workforce.leaving_rate == 0.05


def test_replications_run_with_different_parameters(tmp_path):
    _, forward = forward_files(tmp_path)
    resolved = resolve(forward, replications=8)
    drawn = [for_replication(resolved, "parameters", 11, r).scenario for r in range(8)]
    rates = {s.workforce.leaving_rate for s in drawn}
    assert len(rates) > 1 or len(parameter_sets.shipped_ensemble()) == 1
    assert all(for_replication(resolved, "stochastic", 11, r).scenario == resolved.scenario for r in range(8))


# -- runs, comparisons, evaluate, sweeps -----------------------------------------------------------
def test_parameter_uncertainty_widens_the_intervals(tmp_path, two_sets):
    _, forward = forward_files(tmp_path, months=24)
    chance = sim.run(forward, seed=11, replications=4, uncertainty="stochastic")
    both = sim.run(forward, seed=11, replications=4)
    assert both.uncertainty == "parameters" and both.ensemble_sets == 2 and sorted(both.parameter_sets) == [0, 0, 1, 1]

    def spread(results):
        end = results.timeseries[results.timeseries["month"] == results.timeseries["month"].max()]
        return end["gp_fte_per_1000"].quantile(0.95) - end["gp_fte_per_1000"].quantile(0.05)

    assert spread(both) > 3 * spread(chance), (spread(both), spread(chance))
    assert "random variation only]" in chance.headline()
    assert "random variation and calibrated-parameter uncertainty (2 parameter sets)]" in both.headline()


def test_compare_pairs_replications_on_the_same_set_and_random_numbers(tmp_path, two_sets):
    _, forward = forward_files(tmp_path, replications=3)
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump({"extends": "forward.yaml", "name": "policy",
                                      "organisations": {"pcn": {"payments": {"core_per_patient": 3.0}}}}))
    comparison = sim.compare([forward, policy, forward], seed=5)
    runs = comparison.runs
    assert comparison.uncertainty == "parameters"
    assert runs[0].parameter_sets == runs[1].parameter_sets == runs[2].parameter_sets == set_numbers("parameters", 5, 3)
    assert len(set(runs[0].parameter_sets)) == 2
    # The same set and random numbers: a scenario against itself differs by exactly zero.
    assert (comparison.difference("practices", 2).to_numpy() == 0.0).all()
    assert (comparison.difference("continuity", 2).to_numpy() == 0.0).all()
    assert pd.Series(runs[0].timeseries.groupby("replication")["continuity"].first()).nunique() == 3
    table = comparison.table()
    assert set(table["uncertainty"]) == {"parameters"} and set(comparison.equity()["uncertainty"]) == {"parameters"}
    assert "random variation and calibrated-parameter uncertainty (2 parameter sets)" in comparison.headline()
    assert comparison.manifest()["uncertainty"]["parameter_sets"] == [{"replication": r, "set": n}
                                                                      for r, n in enumerate(set_numbers("parameters", 5, 3))]
    stochastic = sim.compare([forward, policy], seed=5, uncertainty="stochastic", replications=1)
    assert stochastic.uncertainty == "stochastic" and set(stochastic.table()["uncertainty"]) == {"stochastic"}


def test_evaluate_and_a_sweep_run_take_the_replications_set(tmp_path, two_sets):
    from sim.analysis.sweep import run_one
    _, forward = forward_files(tmp_path)
    ran = sim.run(forward, seed=11, replications=2).timeseries
    for replication in (0, 1):
        got = sim.evaluate(forward, seed=11, replication=replication, outcomes=["practices_end", "continuity_end"])
        mine = ran[ran["replication"] == replication].iloc[-1]
        assert got == {"practices_end": mine["practices"], "continuity_end": mine["continuity"]}
    base = resolve(forward).scenario.model_dump(mode="json")
    row = run_one(base, 1, 0, 1, 11, {"behaviour.peer_weight": 1.0}, ["continuity_end"], [], None, "parameters",
                  ("workforce.leaving_rate",))
    assert row["parameter_set"] == set_numbers("parameters", 11, 2)[1]
    stochastic = sim.evaluate(forward, seed=11, replication=1, outcomes=["continuity_end"], uncertainty="stochastic")
    assert stochastic["continuity_end"] != sim.evaluate(forward, seed=11, replication=1, outcomes=["continuity_end"])["continuity_end"]


# -- manifest, rerun, command line ---------------------------------------------------------------
def gpsim(*args, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=cwd, check=False)


def test_manifest_records_the_sets_and_rerun_reproduces_them(tmp_path):
    _, forward = forward_files(tmp_path)
    out = tmp_path / "out"
    done = gpsim("run", forward, "--seed", 4, "--out", out, "--no-charts", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "random variation and calibrated-parameter uncertainty" in done.stdout
    record = json.loads((out / "manifest.json").read_text())["uncertainty"]
    assert record["mode"] == "parameters" and record["ensemble_sets"] == len(parameter_sets.shipped_ensemble())
    assert record["parameter_sets"] == [{"replication": r, "set": n} for r, n in enumerate(set_numbers("parameters", 4, 2))]
    again = gpsim("rerun", out, "--out", tmp_path / "again", "--quiet")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again" / "timeseries.csv").read_bytes() == (out / "timeseries.csv").read_bytes()
    # A run at the calibrated point differs, and its rerun reproduces it too.
    point = tmp_path / "point"
    assert gpsim("run", forward, "--seed", 4, "--out", point, "--no-charts", "--quiet", "--uncertainty", "stochastic").returncode == 0
    assert (point / "timeseries.csv").read_bytes() != (out / "timeseries.csv").read_bytes()
    assert json.loads((point / "manifest.json").read_text())["uncertainty"] == {"mode": "stochastic",
                                                                               "intervals": "random variation only"}
    assert gpsim("rerun", point, "--out", tmp_path / "point-again", "--quiet").returncode == 0
    # A rerun against another ensemble stops with one line, before it runs anything.
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["uncertainty"]["ensemble_sha256"] = "0" * 64
    (out / "manifest.json").write_text(json.dumps(manifest))
    stale = gpsim("rerun", out, "--out", tmp_path / "stale", "--quiet")
    assert stale.returncode == 2 and len(stale.stderr.strip().splitlines()) == 1
    assert "uncertainty.ensemble_sha256: expected the calibration ensemble the run drew from" in stale.stderr
    assert not (tmp_path / "stale").exists()


@pytest.mark.parametrize("command, default", [("run", "parameters for a scenario that starts from another run"),
                                              ("compare", "default: parameters"), ("sweep", "the sweep file's")])
def test_help_names_the_choices_and_the_default(command, default):
    from sim.app.cli import parser
    from sim.app.commands.run import UNCERTAINTY_MODES

    assert UNCERTAINTY_MODES == parameter_sets.MODES
    text = " ".join(parser()._subparsers._group_actions[0].choices[command].format_help().split())
    assert "--uncertainty {parameters,stochastic}" in text and default in text


def test_a_bad_uncertainty_is_one_line_and_exit_2(tmp_path):
    done = gpsim("run", "history_2013_2023", "--uncertainty", "everything", "--out", tmp_path / "x")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "--uncertainty" in done.stderr and "invalid choice: 'everything'" in done.stderr
    assert not (tmp_path / "x").exists()


# -- labels --------------------------------------------------------------------------------------
def test_charts_and_briefings_say_which_uncertainty(tmp_path, two_sets):
    import matplotlib.pyplot as plt

    from sim.report.briefing import gather
    _, forward = forward_files(tmp_path, months=13)
    for mode, words in (("parameters", "random variation and calibrated-parameter uncertainty (2 parameter sets)"),
                        ("stochastic", "random variation only")):
        results = sim.run(forward, seed=3, uncertainty=mode)
        figures = results.plot()
        for name, figure in figures.items():
            # Notes are wrapped to the figure's width (at spaces and hyphens): compare without them.
            assert any(words.replace(" ", "") in "".join(text.get_text().split()) for text in figure.texts), (mode, name)
            plt.close(figure)
        folder = results.save(tmp_path / mode, charts=False)
        briefing = gather(folder)
        assert words in briefing.numbers
        assert any(("calibrated parameters" in line) for line in briefing.limits)
        assert (mode == "parameters") == any("2 parameter sets" in line for line in briefing.limits)
    assert np.isfinite(results.timeseries["continuity"]).all()


def test_a_sweeps_uncertainty_is_part_of_the_sweep():
    from sim.analysis.sweep import load_sweep
    path = ROOT / "scenarios/sweeps/behaviour_sobol.yaml"
    default, chosen = load_sweep(path), load_sweep(path, "parameters")
    assert default.spec.uncertainty == "stochastic", "the history base builds its own population"
    assert chosen.spec.uncertainty == "parameters" and chosen.fingerprint() != default.fingerprint(), \
        "a folder started with one mode is not resumed with the other"
    assert "parameter_set" in chosen.schema().names and "parameter_set" not in default.schema().names
