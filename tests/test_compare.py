"""Scenario comparison: common random numbers, paired differences, the folder contract, charts,
and clean failure on bad input."""
from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import yaml

import sim
from sim.app.cli import main
from sim.results.outcomes import outcomes_for, verdict

from .briefing_data import NO_CONTRACT, comparison_folder, gpsim
from .conftest import small, small_data

DIFFERENCES = ["difference_median", "difference_low", "difference_high"]


def test_comparing_a_scenario_with_itself_gives_exactly_zero_difference():
    comparison = sim.compare([small(), small()], replications=3)
    table = comparison.to_df()
    assert len(table) == len(outcomes_for(comparison.baseline.timeseries)) * 2 * 2  # outcomes x years 1 and 3 x scenarios
    assert (table[DIFFERENCES] == 0.0).all().all()
    # Year 1 is the drawn population's start-up year; every later verdict is 'no clear difference'.
    assert set(table.loc[table["year"] == 1, "verdict"]) == {"start-up year"}
    assert set(table.loc[table["year"] == 3, "verdict"]) == {"no clear difference"}
    # Nothing differs, so only the core outcomes are headlines.
    assert comparison.changed() == []
    assert set(table.loc[table["headline"], "outcome"]) == {o.column for o in outcomes_for(comparison.baseline.timeseries, [])}
    for column in table["outcome"].unique():
        assert (comparison.difference(column, 1).to_numpy() == 0.0).all()
    equity = comparison.to_df("equity")
    first, second = (equity[equity["scenario"] == s].drop(columns="scenario").reset_index(drop=True)
                     for s in comparison.labels)
    pd.testing.assert_frame_equal(first, second)
    assert (equity[["gap_change_median", "gap_change_low", "gap_change_high"]] == 0.0).all().all()
    assert set(equity.loc[equity["year"] == 3, "gap_change_verdict"]) == {"no clear difference"}
    assert comparison.labels == ["small", "small (2)"]


def test_difference_is_paired_by_replication_and_has_the_policy_sign():
    comparison = sim.compare([small(), small(**NO_CONTRACT)], replications=3)
    table = comparison.to_df().set_index(["outcome", "year", "scenario"])
    row = table.loc[("network_coverage_practices", 3, "no_contract")]
    assert row["difference_high"] < 0, "without the network contract fewer practices are in a network"
    # The difference is the median of replication-by-replication differences, not of medians.
    series = comparison.to_df("timeseries")
    at = series[series["month"] == "2020-03"].pivot(index="replication", columns="scenario", values="practices")
    paired = at["no_contract"] - at["small"]
    assert table.loc[("practices", 3, "no_contract"), "difference_median"] == paired.median()
    assert table.loc[("practices", 3, "no_contract"), "difference_low"] == paired.quantile(0.05)
    assert comparison.years == {1: "2018-03", 3: "2020-03"} and comparison.skipped == [5, 10]
    # Before the network contract opens (2019-07) the two scenarios share every draw and every figure.
    assert (comparison.difference("practices", 1).loc[:"2019-06"].to_numpy() == 0.0).all()


def test_every_chart_has_a_title_and_labelled_axes():
    comparison = sim.compare([small(months=30), small(months=30, **NO_CONTRACT)], replications=2)
    figures = comparison.plot()
    assert {"difference", "network_sizes", "equity"} <= set(figures)
    assert {f"outcome_{c}" for c in comparison.headline_outcomes()} <= set(figures)
    assert "outcome_paid_coverage_pcn" in figures, "removing the PCNs changes organisations: PCN outcomes are headlines"
    for name, figure in figures.items():
        title = figure._suptitle.get_text() if figure._suptitle else figure.axes[0].get_title(loc="left")
        assert title, name
        for ax in (ax for ax in figure.axes if ax.has_data()):
            # Panels that share an axis may carry its label once, on the outer panel.
            assert any(a.get_xlabel() for a in ax.get_shared_x_axes().get_siblings(ax)), name
            assert any(a.get_ylabel() for a in ax.get_shared_y_axes().get_siblings(ax)), name
        assert any("Source: gpsim" in text.get_text() for text in figure.texts), name
        plt.close(figure)


def test_compare_command_writes_the_folder_contract():
    folder = comparison_folder()
    assert {"comparison.csv", "equity.csv", "timeseries.csv", "networks.csv", "manifest.json", "charts"} <= {p.name for p in folder.iterdir()}
    charts = {p.name for p in (folder / "charts").iterdir()}
    table = pd.read_csv(folder / "comparison.csv")
    headline = table.loc[table["headline"], "outcome"].unique()
    for name in ["difference", "network_sizes", "equity"] + [f"outcome_{c}" for c in headline]:
        assert {f"{name}.png", f"{name}.svg"} <= charts
    assert list(table.columns) == ["outcome", "label", "unit", "year", "month", "scenario", "median", "low", "high",
                                   *DIFFERENCES, "smallest_important_difference", "verdict", "headline", "uncertainty"]
    assert set(table["uncertainty"]) == {"parameters"}, "compare includes parameter uncertainty by default"
    # Every verdict follows the rule from its own interval and smallest important difference.
    judged = table[table["year"] == 3]
    assert judged.apply(lambda r: verdict(r["difference_low"], r["difference_high"], r["smallest_important_difference"], 3),
                        axis=1).tolist() == judged["verdict"].tolist()
    assert set(table["year"]) == {1, 3} and set(table["scenario"]) == {"small", "no_contract"}
    assert (table.loc[table["scenario"] == "small", DIFFERENCES] == 0).all().all()
    # Only the sizes of PCNs are empty, where there are none (before they open, or without them).
    empty = table[table["median"].isna()]
    assert set(empty["outcome"]) == {"in_band_pcn", "median_patients_pcn"}
    assert set(empty.loc[empty["year"] == 3, "scenario"]) == {"no_contract"}
    full = table.dropna(subset=["median"])
    assert (full["low"] <= full["median"]).all() and (full["median"] <= full["high"]).all()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "comparison" and manifest["seed"] == 7 and manifest["replications"] == 3
    assert [len(s["scenario_sha256"]) for s in manifest["scenarios"]] == [64, 64]
    assert "comparison.csv" in manifest["files"] and manifest["skipped_years"] == [5, 10]


def test_existing_comparison_is_not_overwritten_without_force(tmp_path):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(small_data(months=30)))
    out = tmp_path / "kept"
    out.mkdir()
    (out / "comparison.csv").write_text("precious")
    done = gpsim("compare", tmp_path / "a.yaml", tmp_path / "a.yaml", "--out", out, "--quiet")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "--force" in done.stderr
    assert (out / "comparison.csv").read_text() == "precious"


@pytest.mark.parametrize("second, expected", [
    ({"start": "2018-04"}, "start: expected the baseline's start month 2017-04 so that months line up; found 2018-04"),
    ({"months": "many"}, "months: expected a valid integer"),
    # Shorter than the first compared year: nothing to compare, so nothing is run or written.
    ({"name": "short", "months": 11, "organisations": {"pcn": {"opens": "2017-06"}}, "additional_roles": {"start": "2017-06"}},
     "months: expected at least 12 months, so that year 1 can be compared; found 11"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, second, expected):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(small_data(months=30)))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(small_data(**{"months": 30, **second})))
    done = gpsim("compare", tmp_path / "a.yaml", tmp_path / "b.yaml", "--quiet", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"gpsim: error: {tmp_path / 'b.yaml'}: ") and expected in lines[0]
    assert not (tmp_path / "outputs").exists()


def test_one_scenario_is_not_a_comparison(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(small_data(months=30)))
    assert main(["compare", str(tmp_path / "a.yaml"), "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == "gpsim: error: scenarios: expected at least two scenario files to compare; found 1"
