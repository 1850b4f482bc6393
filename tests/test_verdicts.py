"""Briefings a reader can rely on: verdicts that weigh importance as well as chance, intervals
printed at the precision that shows their sign, scenarios named by their titles with what they
change, equity gaps with paired intervals, and every output column documented."""
from __future__ import annotations

import re
from html import unescape

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.analysis.validate import format_scorecard
from sim.app.cli import main
from sim.report.briefing import write_report
from sim.report.policies import duplicate_warnings, plain_change
from sim.results.outcomes import (
    MEASURES,
    equity_measures,
    format_interval,
    group_masks,
    importance_markdown,
    verdict,
)

from .briefing_data import comparison_folder, gpsim
from .conftest import ROOT, small, small_data

WIDE_BAND = {"organisations": {"pcn": {"band": {"min_patients": 50000, "max_patients": 80000}}}}


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.parametrize("low, high, replications, expected", [
    (-0.05, -0.02, 1, "too few replications"),        # one replication: no interval at all
    (-0.05, -0.02, 2, "too few replications"),
    (0.0, 0.0, 5, "no clear difference"),             # a scenario against itself
    (-0.004, 0.03, 5, "no clear difference"),         # crosses zero
    (-0.05, -0.02, 5, "lower"),                       # a real difference, beyond 0.01
    (0.002, 0.03, 5, "higher"),                       # clear of zero, reaching beyond 0.01
    (-0.0019, -0.0003, 5, "no clear difference"),     # "significant" but within the 0.01 that matters
    (float("nan"), float("nan"), 5, "not comparable"),
])
def test_verdict_rules(low, high, replications, expected):
    assert verdict(low, high, 0.01, replications) == expected


def test_intervals_print_at_the_precision_that_shows_their_sign():
    # Rounded to the usual 3 decimals the upper end would print as 0.000 and hide that the
    # interval lies below zero.
    assert format_interval("GP FTE per 1,000 patients", -0.001, -0.0019, -0.0003, difference=True) == \
        "-0.0010 (90% interval -0.0019 to -0.0003)"
    # Floating-point noise around an exact zero does not ask for more digits, nor does a trifle at
    # the end of an interval that crosses zero; an end of a hundredth of what matters does.
    assert format_interval("patients", 0.0, -12.16, 3e-12, difference=True) == "0 (90% interval -12 to 0)"
    assert format_interval("share", 1e-6, -2e-7, 0.00014, difference=True, brackets=True, important=0.01) == \
        "0.00 pp [0.00 pp to +0.01 pp]"
    assert format_interval("share", -0.0042, -0.046, -0.0032, difference=True, brackets=True) == \
        "-0.4 pp [-4.6 pp to -0.3 pp]"
    assert format_interval("GBP", 14.4e6, 14.1e6, 14.5e6) == "£14.4m (90% interval £14.1m to £14.5m)"


@pytest.fixture(scope="module")
def single_replication(tmp_path_factory):
    folder = tmp_path_factory.mktemp("one") / "cmp"
    comparison = sim.compare([small(), small(**WIDE_BAND)], replications=1)
    comparison.save(folder, charts=False)
    return comparison, folder


def test_one_replication_gives_no_verdicts_and_says_why(single_replication):
    comparison, folder = single_replication
    table = comparison.table()
    assert set(table.loc[table["year"] == 3, "verdict"]) == {"too few replications"}
    text = _text(write_report(folder).read_text(encoding="utf-8"))
    assert "Only 1 replication(s) per scenario: there is no interval to tell a difference from chance" in text
    assert "no verdicts" in text
    # Neither a verdict nor an interval of zero width appears in the findings.
    findings = text[text.index("Headline findings"):text.index("Charts")]
    assert "90% interval" not in findings
    assert not re.search(r": (higher|lower|no clear difference)\.", findings)
    assert "No verdicts: 1 replication(s) give no interval to judge a difference by" in comparison.headline()


@pytest.fixture(scope="module")
def titled_comparison(tmp_path_factory):
    root = tmp_path_factory.mktemp("titled")
    base = small_data(name="base_policy", title="Today's contract", description="Nothing changes.")
    wide = small_data(name="wide_band", title="PCNs paid only at 50,000-80,000 patients",
                      description="The paid band is raised.", **WIDE_BAND)
    (root / "base.yaml").write_text(yaml.safe_dump(base), encoding="utf-8")
    (root / "wide.yaml").write_text(yaml.safe_dump(wide), encoding="utf-8")
    done = gpsim("compare", root / "base.yaml", root / "wide.yaml", "--replications", "3", "--set",
                 "money.funding_growth=0.01", "--out", root / "cmp", "--quiet")
    assert done.returncode == 0, done.stderr
    return root / "cmp"


def test_briefing_names_policies_by_title_with_what_they_change(titled_comparison):
    folder = titled_comparison
    text = _text(write_report(folder).read_text(encoding="utf-8"))
    assert "Briefing: PCNs paid only at 50,000-80,000 patients compared with Today's contract" in text
    assert "PCNs paid only at 50,000-80,000 patients (policy: wide_band) The paid band is raised." in text
    assert "Differs from the baseline in:" in text
    assert "PCN › band › min patients (smallest network that is paid): 30,000 → 50,000" in text
    assert "PCN › band › max patients (largest network paid without commissioner agreement): 50,000 → 80,000" in text
    # --set applies to every scenario and is listed in the title block.
    assert "With --set money.funding_growth=0.01." in text[:text.index("Policies compared")]
    # A band change makes the PCN outcomes headlines.
    assert "Number of PCNs:" in text and "PCNs within the paid band (share):" in text
    table = pd.read_csv(folder / "comparison.csv")
    assert set(table.loc[table["headline"], "outcome"]) >= {"paid_coverage_pcn", "networks_pcn", "in_band_pcn",
                                                            "median_patients_pcn", "incentive_spend_12m_gbp"}
    assert not table.loc[table["headline"], "outcome"].isin(["gp_turnover_12m", "locum_share"]).any()


def test_plain_change_of_a_dated_setting():
    assert plain_change("additional_roles.reimbursement_rate from 2025-04", "0.7", "0") == \
        ("additional roles › reimbursement rate (share of a post's cost the scheme pays; the employing network's "
         "members pay the rest), from 2025-04: 0.7 → 0")


def test_a_copied_scenario_that_keeps_another_files_name_is_warned_about(tmp_path):
    original = small_data(name="status_quo_copy", title="Status quo")
    (tmp_path / "original.yaml").write_text(yaml.safe_dump(original), encoding="utf-8")
    (tmp_path / "copy.yaml").write_text(yaml.safe_dump(original), encoding="utf-8")
    assert duplicate_warnings(tmp_path / "copy.yaml") == [], "an identical copy is the same scenario"
    (tmp_path / "copy.yaml").write_text(yaml.safe_dump({**original, **WIDE_BAND}), encoding="utf-8")
    warnings = duplicate_warnings(tmp_path / "copy.yaml")
    assert [w.split(":")[1].strip() for w in warnings] == ["name", "title"]
    assert warnings[0].startswith(f"{tmp_path / 'copy.yaml'}: name: 'status_quo_copy' is also the name of "
                                  f"{(tmp_path / 'original.yaml').resolve()}, which differs")
    # The command says so on stderr, once per field, and labels the copy by its file name.
    done = gpsim("compare", tmp_path / "original.yaml", tmp_path / "copy.yaml", "--replications", "1",
                 "--no-charts", "--quiet", "--out", tmp_path / "cmp")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert sum(line.startswith(f"gpsim: warning: {tmp_path / 'copy.yaml'}: ") for line in lines) == 2
    assert set(pd.read_csv(tmp_path / "cmp" / "comparison.csv")["scenario"]) == {"original", "copy"}


def test_run_headline_lists_set_changes_beside_the_title():
    results = sim.run(small(months=30, title="Small England"), replications=1, overrides=["money.funding_growth=0.01"])
    assert results.headline().splitlines()[0].startswith("Small England (with --set money.funding_growth=0.01): ")


@pytest.fixture(scope="module")
def band_comparison():
    return sim.compare([small(), small(**WIDE_BAND)], replications=3)


def test_equity_gaps_are_paired_with_intervals_and_verdicts(band_comparison):
    equity = band_comparison.equity().set_index(["scenario", "year", "group", "measure"])
    runs = dict(zip(band_comparison.labels, band_comparison.runs))
    month = band_comparison.years[3]
    gaps = {}
    for name, results in runs.items():
        for replication, snapshot in results.practices[results.practices["month"] == month].groupby("replication"):
            inside = group_masks(snapshot)["rural"]
            ours, rest = equity_measures(snapshot[inside]), equity_measures(snapshot[~inside])
            gaps[(name, replication)] = ours["in_deficit"] - rest["in_deficit"]
    wide = band_comparison.labels[1]
    mine = pd.Series([gaps[(wide, r)] for r in range(3)])
    change = mine - pd.Series([gaps[("small", r)] for r in range(3)])
    row = equity.loc[(wide, 3, "rural", "in_deficit")]
    assert row["gap_median"] == pytest.approx(mine.median(), abs=1e-12)
    assert row["gap_low"] == pytest.approx(mine.quantile(0.05), abs=1e-12)
    assert row["gap_high"] == pytest.approx(mine.quantile(0.95), abs=1e-12)
    assert row["gap_change_median"] == pytest.approx(change.median(), abs=1e-12)
    assert row["gap_verdict"] == verdict(row["gap_low"], row["gap_high"], 0.01, 3)
    # The gap is paired: generally not the difference of the two medians printed beside it.
    assert set(equity.reset_index()["measure"]) == set(MEASURES)


def test_equity_table_in_the_briefing_uses_the_csv_names(tmp_path, band_comparison):
    folder = band_comparison.save(tmp_path / "cmp", charts=False)
    text = _text(write_report(folder).read_text(encoding="utf-8"))
    row = pd.read_csv(folder / "equity.csv").query("year == 3 and group == 'rural' and measure == 'continuity'").iloc[1]
    important = row["smallest_important_difference"]
    gap = format_interval("share", row["gap_median"], row["gap_low"], row["gap_high"], difference=True, brackets=True,
                          important=important)
    change = format_interval("share", row["gap_change_median"], row["gap_change_low"], row["gap_change_high"],
                             difference=True, brackets=True, important=important)
    assert f"gap {gap} {row['gap_verdict']}; gap change {change} {row['gap_change_verdict']}" in text
    assert "gap: the group minus the rest within each replication" in text


def test_difference_chart_puts_every_outcome_on_one_scale(band_comparison):
    from sim.report.comparison_charts import difference
    figure = difference(band_comparison, band_comparison.headline_outcomes())
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert len(panels) == len(band_comparison.headline_outcomes())
    assert len({ax.get_ylim() for ax in panels}) == 1, "shared axis: a tiny difference looks tiny"
    assert "in multiples of the smallest difference that matters" in figure._suptitle.get_text()
    assert "replication by replication" not in figure._suptitle.get_text()
    plt.close("all")


def test_outcome_charts_do_not_blow_up_tiny_ranges(band_comparison):
    from sim.report.comparison_charts import equity, outcome
    low, high = outcome(band_comparison, "network_coverage_practices").axes[0].get_ylim()
    assert high - low >= 0.1, "at least ten smallest important differences (10 points) tall"
    figure = equity(band_comparison)
    figure.canvas.draw()
    labels = [t.get_text() for ax in figure.axes for t in ax.get_xticklabels()]
    assert labels and not any(re.search(r"\.\d\d%", label) for label in labels), [x for x in labels if re.search(r"\.\d\d%", x)]
    plt.close("all")


def test_run_charts_keep_one_unit_an_axis(tmp_path):
    from sim.report.charts import standard_charts
    results = sim.run(small(months=30), replications=1)
    figures = standard_charts(results)
    workforce = figures["workforce"]
    assert len(workforce.axes) == 2 and workforce.axes[0].get_shared_x_axes().joined(*workforce.axes)
    assert [ax.get_ylabel() for ax in workforce.axes] == ["Share of GPs (%)", "GP FTE per 1,000 patients"]
    sustainability = figures["sustainability"]
    assert [ax.get_ylabel() for ax in sustainability.axes] == ["Practices open", "Practices a year",
                                                               "Share of practices (%)"]
    assert sustainability.axes[0].yaxis.get_major_formatter()(8044, 0) == "8,044", "thousands separators"
    sizes = figures["network_sizes"]
    assert any(t.get_text().startswith("≥") for t in sizes.axes[0].get_xticklabels())
    assert not any("shading" in t.get_text() for t in sizes.texts), "a histogram has no lines or shading"
    plt.close("all")


def test_history_charts_overlay_what_happened():
    from sim.report.charts import coverage, published
    results = sim.run("history_2013_2023", replications=1, overrides=["population.practices=400", "months=90"])
    points = published(results, ("network_coverage_patients", "practices", "gp_fte_per_1000"))
    assert points["network_coverage_patients"] == [("2015-10", 0.73), ("2017-06", 0.81)]
    assert "practices" not in points, "counts of all England are not drawn over a smaller one"
    figure = coverage(results)
    assert any(line.get_label() == "published: GPs in a collaboration" for line in figure.axes[0].lines)
    assert any("what happened, as published" in t.get_text() for t in figure.texts)
    plt.close("all")


def test_rerun_of_a_comparison_folder_says_it_reruns_run_folders(capsys):
    folder = comparison_folder()
    assert main(["rerun", str(folder), "--quiet"]) == 2
    error = capsys.readouterr().err.strip()
    assert error == (f"gpsim: error: {folder / 'manifest.json'}: kind: expected the manifest of a run folder (gpsim "
                     f"rerun re-runs one scenario); found a comparison's: run gpsim compare again with its scenario "
                     f"files and seed")


def test_validation_scorecard_prints_counts_as_counts_and_intervals_with_to():
    card = pd.DataFrame([
        {"target": "closures", "published": 200.0, "simulated_median": 190.0, "simulated_low": 170.0,
         "simulated_high": 230.0, "tolerance": 60.0, "pass": True},
        {"target": "turnover_change", "published": -0.1, "simulated_median": -0.115, "simulated_low": -0.118,
         "simulated_high": -0.111, "tolerance": 0.03, "pass": True}])
    text = format_scorecard(card)
    assert "190 [170 to 230]" in text and " 60  pass" in text and "60.000" not in text
    assert "-0.115 [-0.118 to -0.111]" in text and "--" not in text


def test_a_table_that_fits_on_a_page_is_not_split_across_two():
    from sim.report.findings import Table
    from sim.report.pdf import _Pack
    table = Table("Provenance", ["Item", "Value"], [[f"item {i}", "a value " * 12] for i in range(8)])
    pdf = _Pack("test")
    pdf.add_page()
    pdf.set_y(pdf.h - 60)  # about 44 mm left: the table's start would fit, its last rows would not
    pdf.grid(table)
    assert pdf.page_no() == 2, "the whole table moved to the next page, leaving no row alone there"
    fits = _Pack("test")
    fits.add_page()
    fits.grid(table)
    assert fits.page_no() == 1


def test_outputs_doc_defines_every_column_and_the_importance_table(band_comparison, tmp_path):
    text = (ROOT / "docs/outputs.md").read_text(encoding="utf-8")
    embedded = re.search(r"<!-- importance:start -->\n(.*)\n<!-- importance:end -->", text, re.DOTALL).group(1)
    assert embedded == importance_markdown()

    def defined(column: str) -> bool:
        return bool(re.search(rf"^\| ([^|]*[ ,])?{re.escape(column)}([ ,][^|]*)? \|", text, re.MULTILINE))
    folder = band_comparison.save(tmp_path / "cmp", charts=False)
    columns = [*pd.read_csv(folder / "comparison.csv").columns, *pd.read_csv(folder / "equity.csv").columns,
               "target", "label", "source", "published", "simulated_median", "simulated_low", "simulated_high",
               "tolerance", "pass", "pattern", "measure", "value", "comparison", "reproduced",
               "run_id", "point", "replication", "seed", "outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf",
               "mu", "mu_star", "mu_star_conf", "sigma", "rank", "lever", "level", "setting", "expected",
               "observed", "agrees", "median_patients_<kind>", "in_band_<kind>"]
    missing = [c for c in columns if not defined(c)]
    assert missing == []
    assert np.isfinite(pd.read_csv(folder / "comparison.csv")["smallest_important_difference"]).all()
