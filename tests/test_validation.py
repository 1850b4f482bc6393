"""The validation and calibration machinery: targets load, scores are right, broken models fail."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

from sim.analysis.calibrate import calibrate, misfit
from sim.analysis.validate import load_targets, measure, scorecard
from sim.app.cli import main
from sim.model.reporters import model_reporters
from sim.results.run import run
from sim.scenario.calibrated import SEARCH_SPACE, calibrated_defaults
from sim.scenario.errors import InputError
from sim.scenario.schema import Scenario

from .conftest import small_data


@pytest.fixture
def small_targets(tmp_path):
    """A small scenario and a targets file whose published figures it meets at its defaults."""
    (tmp_path / "small.yaml").write_text(yaml.safe_dump(small_data(months=36)))
    baseline = run(tmp_path / "small.yaml")
    frame = baseline.timeseries.set_index("month")
    targets = {
        "version": 1, "scenario": "small.yaml", "calibration_ends": "2020-03",
        "targets": [
            {"id": "practices", "label": "practices", "source": "test", "statistic": "value", "column": "practices",
             "month": "2020-03", "published": float(frame.loc["2020-03", "practices"]), "tolerance": 15, "reason": "test", "fitted": True},
            {"id": "fte_change", "label": "fte", "source": "test", "statistic": "relative_change", "column": "gp_fte_per_1000",
             "month_from": "2017-04", "month": "2020-03",
             "published": float(frame.loc["2020-03", "gp_fte_per_1000"] / frame.loc["2017-04", "gp_fte_per_1000"] - 1),
             "tolerance": 0.03, "reason": "test", "fitted": True},
            {"id": "turnover_p75", "label": "p75", "source": "test", "statistic": "snapshot_quantile", "column": "gp_turnover_12m",
             "month": "2019-03", "quantile": 0.75, "published": 0.12, "tolerance": 0.2, "reason": "test"},
        ],
    }
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump(targets))
    return path


def test_shipped_targets_are_complete_and_name_real_columns():
    targets = load_targets()
    columns = set(model_reporters(["pcn", "federation"])) | {"gp_turnover_12m", "gp_practice_turnover_12m"}
    assert len(targets.targets) >= 20
    for target in targets.targets:
        assert target.column in columns, target.id
        assert target.source.startswith("evidence:") and target.reason
    ids = {t.id for t in targets.targets}
    assert {"practices_2023", "mean_list_2023", "pcn_coverage_first_year", "gp_fte_fall", "continuity_fall", "turnover_p75_2019"} <= ids


def test_statistics_are_measured_as_defined(small_targets):
    targets = load_targets(small_targets)
    results = run(small_targets.parent / "small.yaml", replications=2)
    frame = results.timeseries
    practices = measure(targets.targets[0], results)
    assert list(practices) == list(frame.loc[frame["month"] == "2020-03", "practices"])
    snapshot = results.practices
    rows = snapshot[(snapshot["month"] == "2019-03") & snapshot["open"] & (snapshot["replication"] == 1)]
    assert measure(targets.targets[2], results)[1] == pytest.approx(rows["gp_turnover_12m"].quantile(0.75))


def test_scorecard_passes_the_model_it_was_set_from_and_fails_a_broken_one(small_targets):
    targets = load_targets(small_targets)
    good = scorecard(run(small_targets.parent / "small.yaml"), targets)
    assert good["pass"].all()
    broken = scorecard(run(small_targets.parent / "small.yaml", overrides=["closure.merger_rate=0.5"]), targets)
    assert not broken.set_index("target").loc["practices", "pass"]
    assert misfit(broken) > misfit(good)
    assert list(good.columns) == ["target", "label", "source", "published", "simulated_median", "simulated_low",
                                  "simulated_high", "tolerance", "pass", "fitted"]


def test_validate_command_exit_status_and_files(small_targets, tmp_path):
    assert main(["validate", "--targets", str(small_targets), "--replications", "1", "--out", str(tmp_path / "ok"), "--quiet"]) == 0
    card = pd.read_csv(tmp_path / "ok" / "validation.csv")
    assert card["pass"].all() and (tmp_path / "ok" / "validation.png").is_file() and (tmp_path / "ok" / "patterns.csv").is_file()
    assert main(["validate", "--targets", str(small_targets), "--replications", "1", "--set", "closure.merger_rate=0.5",
                 "--out", str(tmp_path / "bad"), "--quiet"]) == 1


def test_bad_targets_file_is_refused(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("version: 1\nscenario: x.yaml\ntargets:\n  - id: a\n    tolerance: -1\n")
    with pytest.raises(InputError, match="targets.0"):
        load_targets(path)


def test_calibration_is_reproducible_and_finds_the_truth(small_targets):
    space = {"closure.merger_rate": (0.0, 0.2)}
    first = calibrate(trials=12, seed=3, targets_path=small_targets, space=space)
    again = calibrate(trials=12, seed=3, targets_path=small_targets, space=space, workers=2)
    # The same search on one worker or two: every trial, the best and the ensemble.
    assert first["trials"] == again["trials"]
    assert first["parameters"] == again["parameters"] and first["misfit"] == again["misfit"]
    assert first["ensemble"].equals(again["ensemble"])
    assert first["misfit"] == min(t["misfit"] for t in first["trials"])
    # The ensemble is every trial meeting each fitted target, best first.
    passing = sorted((t["misfit"], t["trial"]) for t in first["trials"] if t["all_passed"])
    assert list(zip(first["ensemble"]["misfit"], first["ensemble"]["trial"])) == passing
    assert list(first["ensemble"]["set"]) == list(range(len(passing))) and len(passing) >= 2
    truth = Scenario().closure.merger_rate  # the targets were set from a run at the default
    assert abs(first["parameters"]["closure.merger_rate"] - truth) < 0.05


def test_calibrated_file_supplies_the_schema_defaults():
    calibrated = calibrated_defaults()
    assert set(calibrated) <= set(SEARCH_SPACE)
    scenario = Scenario()
    for key, value in calibrated.items():
        section, name = key.split(".")
        assert getattr(getattr(scenario, section), name) == value
        low, high = SEARCH_SPACE[key]
        assert low <= value <= high
