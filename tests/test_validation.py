"""The validation and calibration machinery: targets load, scores are right, broken models fail."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.analysis.calibrate import calibrate, calibrated_yaml, misfit, start_point
from sim.analysis.targets import SNAPSHOT_STATISTICS, Naive, Target, slope_index, tenth_ratio
from sim.analysis.validate import (
    load_targets,
    measure,
    prior_overrides,
    scorecard,
    validate,
)
from sim.analysis.validation_report import (
    IN_SAMPLE,
    OUT_OF_SAMPLE,
    format_scorecard,
    markdown_report,
)
from sim.app.cli import main
from sim.model.reporters import model_reporters
from sim.results.run import run
from sim.scenario.calibrated import SEARCH_SPACE, calibrated_defaults, ensemble, recorded_start
from sim.scenario.errors import InputError
from sim.scenario.schema import PRIORS, Scenario
from sim.scenario.shipped import data_file

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


def test_shipped_targets_are_complete_and_name_real_columns(tmp_path):
    targets = load_targets()
    (tmp_path / "one_year.yaml").write_text(yaml.safe_dump(small_data(months=36)))
    snapshot_columns = set(run(tmp_path / "one_year.yaml").practices.columns)
    national = set(model_reporters(["pcn", "federation"]))
    assert len(targets.targets) >= 28
    for target in targets.targets:
        columns = snapshot_columns if target.statistic in SNAPSHOT_STATISTICS else national
        assert {target.column, target.per or target.column, target.rank_by or target.column} <= columns, target.id
        assert target.source.startswith("evidence:") and target.reason and target.measured_as, target.id
    ids = {t.id for t in targets.targets}
    assert {"practices_2023", "mean_list_2023", "pcn_coverage_first_year", "gp_fte_fall", "continuity_fall", "turnover_p75_2019"} <= ids
    after_contract = [t for t in targets.targets if not t.fitted and t.month >= "2019-04"]
    assert len(after_contract) >= 5
    across_practices = [t for t in targets.targets if not t.fitted and t.statistic in SNAPSHOT_STATISTICS]
    assert len(across_practices) >= 2


def test_shipped_tolerances_are_at_most_half_the_change_measured():
    targets = load_targets()
    unfitted = [t for t in targets.targets if not t.fitted]
    levels = {t.id for t in unfitted if t.change_measured is None}
    # Only figures with no earlier published value of the same measure may go without a change
    # (national leaving in 2023 counts GPs of about 37,000, not the qualified permanent GPs of the
    # 2016-2019 figures).
    assert levels == {"pcn_in_band_2020", "turnover_national_2023", "locum_share_2021"}
    for target in unfitted:
        if target.change_measured is not None:
            assert target.tolerance <= target.change_measured / 2 + 1e-9, target.id
    practices = {t.id: t for t in unfitted}["practices_2023"]
    assert practices.change_measured == 8044 - 6419 and practices.tolerance <= 812


def test_a_tolerance_wider_than_half_the_change_is_refused(tmp_path):
    data = yaml.safe_load(TARGETS_TEXT)
    data["targets"][0].update({"baseline": 100, "tolerance": 60})
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="tolerance 60 is more than half the change it measures \\(80\\)"):
        load_targets(path)
    data["targets"][0]["fitted"] = True  # fitted targets' tolerances are the calibration's to set
    data["targets"][0]["month"] = "2019-01"
    path.write_text(yaml.safe_dump(data))
    assert load_targets(path).targets[0].tolerance == 60


TARGETS_TEXT = """
version: 1
scenario: small.yaml
calibration_ends: 2019-03
targets:
  - {id: a, label: a, source: test, statistic: value, column: practices, month: 2020-01, published: 20,
     tolerance: 5, reason: test, measured_as: test}
"""


def _snapshots(lists: tuple[float, ...] = (1000.0, 4000.0, 6000.0, 25000.0, 3000.0)) -> SimpleNamespace:
    """Two replications, three yearly snapshots of five practice slots, with known values."""
    rows = []
    for replication in (0, 1):
        for month, open_ in (("2015-03", [1, 1, 1, 1, 0]), ("2016-03", [1, 0, 1, 0, 0]), ("2017-03", [1, 0, 1, 1, 0])):
            for slot in range(5):
                rows.append({"replication": replication, "month": month, "practice_id": slot, "open": bool(open_[slot]),
                             "list_size": lists[slot] * (1 + replication),
                             "deprivation": [0.9, 0.1, 0.5, 0.3, 0.2][slot],
                             "gp_fte": [0.0, 0.0, 0.0, 0.0, 9.0][slot]})
    frame = pd.DataFrame(rows)
    # GP FTE per 10,000 patients falls by 2 per unit of deprivation rank: 6 - 2 * rank, the ranks
    # being those of four equal lists by deprivation (mid-points 1/8, 3/8, 5/8, 7/8).
    rank = {1: 0.125, 3: 0.375, 2: 0.625, 0: 0.875}
    for slot, r in rank.items():
        frame.loc[frame["practice_id"] == slot, "gp_fte"] = (6 - 2 * r) * frame["list_size"] / 10000
    return SimpleNamespace(practices=frame, timeseries=pd.DataFrame())


def _target(**fields) -> Target:
    base = {"id": "t", "label": "t", "source": "test", "column": "list_size", "month": "2015-03", "published": 0.0,
            "tolerance": 1.0, "reason": "test"}
    return Target(**{**base, **fields})


def test_snapshot_share_counts_open_practices_in_the_range():
    results = _snapshots()
    under = measure(_target(statistic="snapshot_share", high=5000), results)
    assert list(under) == [0.5, 0.25]  # open: 1,000 4,000 6,000 25,000, doubled in replication 1; the closed 3,000 not counted
    over = measure(_target(statistic="snapshot_share", low=20000), results)
    assert list(over) == [0.25, 0.25]


def test_slope_index_is_the_gradient_across_ranked_practices():
    results = _snapshots(lists=(5000.0,) * 5)
    gradient = measure(_target(statistic="slope_index", column="gp_fte", per="list_size", scale=10000, rank_by="deprivation"),
                       results)
    assert gradient == pytest.approx([-2.0, -2.0])
    unequal = measure(_target(statistic="slope_index", column="gp_fte", per="list_size", scale=10000, rank_by="deprivation"),
                      _snapshots())
    assert unequal[0] < 0 and unequal[0] != pytest.approx(-2.0)  # patient-weighted ranks move with list sizes
    # Equal weights, a straight line in rank: the slope is exact; a weighted rank changes with weights.
    assert slope_index(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.5, 1.0]), np.ones(3)) == pytest.approx(3.0)
    assert slope_index(np.array([3.0, 2.0, 1.0]), np.array([0.0, 0.5, 1.0]), np.array([1.0, 1.0, 2.0])) < 0


def test_tenth_ratio_compares_the_most_and_least_ranked_tenths_of_the_weight():
    # Ten practices of equal lists: the top tenth is the most deprived practice, the bottom the least.
    outcome, rank_by, weight = np.arange(1.0, 11.0), np.linspace(0.0, 1.0, 10), np.full(10, 5.0)
    assert tenth_ratio(outcome, rank_by, weight) == pytest.approx(10.0 / 1.0)
    assert tenth_ratio(outcome[::-1].copy(), rank_by, weight) == pytest.approx(1.0 / 10.0)
    # A practice holding a fifth of the weight at each end: half of it lies in the tenth, and its
    # rate (outcome per weight) is the tenth's: 4 / 2 over 2 / 2.
    outcome, rank_by, weight = np.array([2.0, 1.0, 3.0, 4.0]), np.array([0.0, 0.1, 0.5, 0.9]), np.array([2.0, 1.0, 5.0, 2.0])
    assert tenth_ratio(outcome, rank_by, weight) == pytest.approx(2.0)
    # The cut inside a practice: the bottom tenth takes all of the first (weight 1 of 20) and
    # half of the second (rate 3), so its rate is (1 * 1 + 3 * 1) / 2.
    outcome, rank_by, weight = np.array([1.0, 6.0, 10.0, 2.0]), np.arange(4.0), np.array([1.0, 2.0, 15.0, 2.0])
    assert tenth_ratio(outcome, rank_by, weight) == pytest.approx(1.0 / 2.0)
    # In a run's snapshots: GP FTE per patient 6 - 2 * rank (_snapshots), so the least deprived of
    # four equal lists has 5.75 per 10,000 and the most deprived 4.25.
    ratio = measure(_target(statistic="tenth_ratio", column="gp_fte", per="list_size", rank_by="deprivation"),
                    _snapshots(lists=(5000.0,) * 5))
    assert ratio == pytest.approx([4.25 / 5.75] * 2)


def test_ended_mean_averages_the_practices_that_ended_in_between():
    results = _snapshots()
    lost = measure(_target(statistic="ended_mean", month_from="2015-03", month="2017-03"), results)
    # Slots 1 (4,000) and 3 (25,000) were closed in 2016; slot 3 reopened by 2017 but the practice open in 2015 ended.
    assert list(lost) == [14500.0, 29000.0]


def test_naive_benchmark_is_a_straight_line_through_earlier_figures():
    line = Naive(points=[("2013-04", 8044), ("2018-12", 7017)], source="test")
    assert line.at("2013-04") == 8044 and line.at("2018-12") == 7017
    assert line.at("2023-03") == pytest.approx(8044 - 1027 / 68 * 119)
    assert Naive(points=[("2015-09", 0.53)], source="test").at("2022-09") == 0.53
    change = _target(statistic="relative_change", month_from="2015-09", month="2022-09",
                     naive={"points": [["2015-09", 0.5], ["2016-09", 0.4]], "source": "test"})
    assert change.naive_value == pytest.approx(-0.1 * 7 / 0.5)
    shipped = {t.id: t for t in load_targets().targets}
    assert shipped["practices_2023"].naive_value == pytest.approx(6246.75)
    assert shipped["gp_fte_fall"].naive_value == 0.0


def test_a_naive_benchmark_may_use_only_what_was_known_when_calibration_ends(tmp_path):
    data = yaml.safe_load(TARGETS_TEXT)
    data["targets"][0]["naive"] = {"points": [["2018-01", 20], ["2019-09", 25]], "source": "test"}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="naive benchmark uses 2019-09, after calibration_ends"):
        load_targets(path)


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
                                  "simulated_high", "tolerance", "pass", "fitted", "error", "naive", "naive_error",
                                  "naive_pass"]
    assert list(good["fitted"]) == [True, True, False]


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
    # The first trial is the start the shipped calibration recorded, not its result, so the same
    # seed regenerates a calibration whatever is shipped when it is rerun; the start is recorded.
    recorded = recorded_start()["closure.merger_rate"]
    assert first["trials"][0]["closure.merger_rate"] == recorded != calibrated_defaults()["closure.merger_rate"]
    assert first["start"] == {"closure.merger_rate": recorded}
    assert yaml.safe_load(calibrated_yaml(first))["start"] == {"closure.merger_rate": recorded}
    other = calibrate(trials=2, seed=3, targets_path=small_targets, space=space, start={"closure.merger_rate": 0.05, "not.searched": 1.0})
    assert other["trials"][0]["closure.merger_rate"] == 0.05 and other["start"] == {"closure.merger_rate": 0.05}
    # The ensemble is every trial meeting each fitted target, best first.
    passing = sorted((t["misfit"], t["trial"]) for t in first["trials"] if t["all_passed"])
    assert list(zip(first["ensemble"]["misfit"], first["ensemble"]["trial"])) == passing
    assert list(first["ensemble"]["set"]) == list(range(len(passing))) and len(passing) >= 2
    truth = Scenario().closure.merger_rate  # the targets were set from a run at the default
    assert abs(first["parameters"]["closure.merger_rate"] - truth) < 0.05


def test_calibration_start_choices_and_bad_start_files(tmp_path, capsys):
    assert start_point("recorded") == recorded_start() and set(recorded_start()) <= set(SEARCH_SPACE)
    assert start_point("calibrated") == calibrated_defaults()
    assert start_point("priors") == PRIORS
    good = tmp_path / "mine.yaml"
    good.write_text("parameters:\n  closure.merger_rate: 0.01\n", encoding="utf-8")
    assert start_point(str(good)) == {"closure.merger_rate": 0.01}
    bad = tmp_path / "bad.yaml"
    bad.write_text("parameters:\n  closure.merger_rate: lots\n", encoding="utf-8")
    for start, message in ((bad, f"{bad}: parameters: expected a calibrated.yaml's calibrated point, parameter key paths "
                                 "with numbers; found none or a value that is not a number"),
                           (tmp_path / "missing.yaml", str(tmp_path / "missing.yaml"))):
        out = tmp_path / "out"
        assert main(["calibrate", "--start", str(start), "--trials", "1", "--out", str(out), "--quiet"]) == 2
        error = capsys.readouterr().err.strip()
        assert message in error and "\n" not in error and "lots" not in error
        assert not out.exists()


def test_calibrated_file_supplies_the_schema_defaults():
    calibrated = calibrated_defaults()
    assert set(calibrated) <= set(SEARCH_SPACE)
    scenario = Scenario()
    for key, value in calibrated.items():
        section, name = key.split(".")
        assert getattr(getattr(scenario, section), name) == value
        low, high = SEARCH_SPACE[key]
        assert low <= value <= high


def test_shipped_ensemble_is_the_calibration_record():
    """At least 50 parameter sets, each inside the search ranges, the number calibrated.yaml
    records, best first, and the best is the calibrated point."""
    record = yaml.safe_load(data_file("calibrated.yaml").read_text())
    sets = ensemble()
    assert len(sets) >= 50 and len(sets) == record["ensemble"]["sets"]
    assert set(record["parameters"]) == set(SEARCH_SPACE)
    for chosen in sets:
        assert set(chosen) == set(SEARCH_SPACE)
        assert all(SEARCH_SPACE[key][0] <= value <= SEARCH_SPACE[key][1] for key, value in chosen.items())
    assert sets[0] == pytest.approx(record["parameters"], abs=1e-6)
    table = pd.read_csv(data_file("calibration_ensemble.csv"))
    assert table["misfit"].is_monotonic_increasing and table["misfit"].iloc[0] == pytest.approx(record["misfit"], abs=1e-3)
    # The sets differ: the ensemble is not the point repeated.
    assert not table[list(SEARCH_SPACE)].duplicated().any()


def test_uncalibrated_validation_runs_with_every_prior(small_targets, monkeypatch):
    assert len(prior_overrides()) == len(PRIORS) > 0
    seen = []
    import sim.analysis.validate as module
    monkeypatch.setattr(module, "run", lambda *a, **k: seen.append(k["overrides"]) or run(*a, **k))
    validate(1, targets_path=small_targets, overrides=("closure.merger_rate=0.01",), uncalibrated=True, counterfactual=False)
    history = seen[0]
    assert history[:-1] == prior_overrides() and history[-1] == "closure.merger_rate=0.01"  # the user's --set wins
    results = run(small_targets.parent / "small.yaml", overrides=prior_overrides())
    for key, prior in PRIORS.items():
        section, name = key.split(".")
        assert getattr(getattr(results.scenario, section), name) == pytest.approx(prior), key


def _card() -> pd.DataFrame:
    return pd.DataFrame([
        {"target": "fitted_one", "label": "Fitted", "source": "evidence: x", "published": 100.0, "simulated_median": 98.0,
         "simulated_low": 95.0, "simulated_high": 101.0, "tolerance": 5.0, "pass": True, "fitted": True, "error": 2.0,
         "naive": np.nan, "naive_error": np.nan, "naive_pass": None},
        {"target": "held_out", "label": "Held out", "source": "evidence: y", "published": 0.2, "simulated_median": 0.25,
         "simulated_low": 0.24, "simulated_high": 0.26, "tolerance": 0.03, "pass": False, "fitted": False, "error": 0.05,
         "naive": 0.21, "naive_error": 0.01, "naive_pass": True},
        {"target": "after_2019", "label": "After", "source": "evidence: z", "published": 50.0, "simulated_median": 51.0,
         "simulated_low": 49.0, "simulated_high": 53.0, "tolerance": 4.0, "pass": True, "fitted": False, "error": 1.0,
         "naive": 60.0, "naive_error": 10.0, "naive_pass": False}])


def test_the_report_shows_two_scorecards_and_the_straight_line():
    text = format_scorecard(_card())
    assert text.index(IN_SAMPLE) < text.index("fitted_one") < text.index(OUT_OF_SAMPLE) < text.index("held_out")
    assert "1 of 1 within tolerance" in text and "1 of 2 within tolerance" in text
    assert "In all, 2 of 3 figures within tolerance (1 of 1 in sample, 1 of 2 out of sample)" in text
    assert "the model is within tolerance on 1 of 2, the straight line on 1 of 2" in text
    assert "the model is closer to the published figure on 1 of 2" in text
    assert "0.210  pass" in text and "60  FAIL" in text
    uncalibrated = _card().assign(**{"pass": [False, False, False]})
    page = markdown_report(_card(), pd.DataFrame(columns=["pattern", "measure", "value", "comparison", "reproduced"]),
                           SimpleNamespace(replications=2, seed=7), load_targets(), uncalibrated)
    assert "Calibrated model: 2 of 3 figures within tolerance" in page
    assert "Uncalibrated model (every calibrated setting at its prior): 0 of 3 figures within tolerance" in page
    assert page.index(f"## {IN_SAMPLE}") < page.index("| Fitted |") < page.index(f"## {OUT_OF_SAMPLE}") < page.index("| Held out |")
    assert "| Held out | 0.200 | 0.250 (0.240 to 0.260) | 0.030 | **fail** | 0.050 | 0.210 | 0.010 | pass | evidence: y |" in page
    assert "| Fitted | 100 | 98 (95 to 101) | 5 | pass | evidence: x |" in page  # no straight line where none is drawn
    assert "all from March 2019 or earlier" in page and "Where the model misses: Held out." in page
    shipped = markdown_report(_card().assign(source="evidence: Workforce / 0.53 (2015)"), pd.DataFrame(
        columns=["pattern", "measure", "value", "comparison", "reproduced"]), SimpleNamespace(replications=2, seed=7), load_targets())
    assert "[evidence: Workforce](evidence.md#workforce) / 0.53 (2015)" in shipped and "Uncalibrated" not in shipped


def test_validate_uncalibrated_writes_both_scorecards(small_targets, tmp_path, capsys):
    status = main(["validate", "--targets", str(small_targets), "--replications", "1", "--uncalibrated",
                   "--out", str(tmp_path / "both"), "--quiet"])
    calibrated = pd.read_csv(tmp_path / "both" / "validation.csv")
    uncalibrated = pd.read_csv(tmp_path / "both" / "validation_uncalibrated.csv")
    assert list(calibrated["target"]) == list(uncalibrated["target"]) and "fitted" in uncalibrated
    out = capsys.readouterr().out
    assert out.index("Calibrated model\n") < out.index("Uncalibrated model (every calibrated setting at its prior")
    assert f"Calibrated model: {int(calibrated['pass'].sum())} of 3 figures" in out
    assert f"Uncalibrated model (every calibrated setting at its prior): {int(uncalibrated['pass'].sum())} of 3" in out
    assert status == (0 if calibrated["pass"].all() else 1)
    assert "Uncalibrated model" in (tmp_path / "both" / "validation.md").read_text()
    manifest = json.loads((tmp_path / "both" / "manifest.json").read_text())
    assert manifest["uncalibrated_overrides"] == list(prior_overrides())
