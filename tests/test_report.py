"""The briefing pack: a self-contained HTML file and an A4 PDF whose numbers are those of
comparison.csv, from a comparison or a run folder; clean failure on bad input."""
from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape

import pandas as pd
import pytest

import sim
from sim.app.cli import main
from sim.report.briefing import write_report
from sim.results.outcomes import format_interval, format_value

from .briefing_data import comparison_folder, gpsim
from .conftest import small


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def html_briefing():
    folder = comparison_folder()
    done = gpsim("report", folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"Briefing written to {folder / 'briefing.html'}"
    return (folder / "briefing.html").read_text(encoding="utf-8")


def test_html_is_self_contained_with_every_chart(html_briefing):
    charts = sorted((comparison_folder() / "charts").glob("*.png"))
    headline = pd.read_csv(comparison_folder() / "comparison.csv").query("headline")["outcome"].nunique()
    assert len(charts) == headline + 3  # one per headline outcome, the difference, network sizes and equity
    assert html_briefing.count('src="data:image/png;base64,') == len(charts)
    assert not re.search(r'(src|href)="(?!data:)', html_briefing), "nothing loaded from elsewhere"
    for heading in ("Policies compared", "Headline findings", "Charts", "Scenario assumptions", "What the model cannot say",
                    "Provenance"):
        assert f"<h2>{heading}</h2>" in html_briefing


def test_findings_quote_comparison_csv_with_its_verdicts(html_briefing):
    text = _text(html_briefing)
    table = pd.read_csv(comparison_folder() / "comparison.csv")
    last = table[(table["year"] == 3) & (table["scenario"] == "no_contract") & table["headline"]].set_index("outcome")
    base = table[(table["year"] == 3) & (table["scenario"] == "small")].set_index("outcome")
    findings = [unescape(item) for item in re.findall(r"<li>(.*?)</li>", html_briefing)]
    for column, row in last.iterrows():
        ours = format_interval(row["unit"], row["median"], row["low"], row["high"])
        theirs = format_interval(row["unit"], *base.loc[column, ["median", "low", "high"]])
        change = format_interval(row["unit"], row["difference_median"], row["difference_low"], row["difference_high"],
                                 difference=True, important=row["smallest_important_difference"])
        sentence = f"{row['label']}: {ours} under no_contract against {theirs} under small; paired difference {change}: "
        found = [f for f in findings if f.startswith(sentence)]
        assert len(found) == 1, column
        assert found[0][len(sentence):].startswith(row["verdict"]), column
    # Checked by hand as well: without the contract no practice is in a paid PCN, a share quoted in
    # percentage points and called lower.
    paid = last.loc["paid_coverage_pcn"]
    assert paid["verdict"] == "lower" and paid["median"] == 0.0
    assert f"paired difference {paid['difference_median'] * 100:.1f} pp" in text
    counts = last["verdict"].value_counts()
    assert (f"By year 3 (2020-03), no_contract against small: higher in {counts.get('higher', 0)} and lower in "
            f"{counts.get('lower', 0)} of {len(last)} headline outcomes") in text
    assert "differs clearly" not in text


def test_assumptions_and_provenance(html_briefing):
    text = _text(html_briefing)
    manifest = pd.read_json(comparison_folder() / "manifest.json", typ="series")
    for entry in manifest["scenarios"]:
        assert entry["scenario_sha256"] in text
    assert "seed 7, 3 replication(s) per scenario" in text
    assert "organisations › pcn › band › min patients *" in text


def test_pdf_is_a4_and_quotes_the_same_numbers(tmp_path):
    folder = comparison_folder()
    path = write_report(folder, "pdf", tmp_path / "briefing.pdf")
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    assert b"/MediaBox [0 0 595.28 841.89]" in data, "portrait A4 pages"
    if shutil.which("pdftotext"):
        text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
        row = pd.read_csv(folder / "comparison.csv").query("year == 3 and scenario == 'no_contract' and outcome == 'continuity'").iloc[0]
        assert f"paired difference {format_value('share', row['difference_median'], True)}" in text
        assert "What the model cannot say" in text and "Provenance" in text


def test_briefing_of_a_single_run(tmp_path):
    folder = sim.run(small(months=30), replications=2).save(tmp_path / "run", charts=False)
    path = write_report(folder)
    text = _text(path.read_text(encoding="utf-8"))
    series = pd.read_csv(folder / "timeseries.csv")
    practices = series.loc[series["month"] == "2018-03", "practices"]
    # Two replications give no 90% interval: the briefing says what their spread is instead.
    assert f"Practices open: {format_value('practices', practices.median())} (5th-95th percentile of 2 replication(s) " \
           f"{format_value('practices', practices.quantile(0.05))} to {format_value('practices', practices.quantile(0.95))}) at year 1" in text
    assert "Briefing: small" in text and "What the model cannot say" in text
    assert "90% interval" not in text.replace("The 90% intervals show", "")
    assert "Only 2 replication(s)" in text


@pytest.mark.parametrize("make, expected", [
    (lambda p: p / "missing", "expected a run or comparison folder; found no such folder"),
    (lambda p: p, "expected a run or comparison folder with manifest.json; found none"),
])
def test_bad_folder_exits_2_with_one_line(tmp_path, capsys, make, expected):
    assert main(["report", str(make(tmp_path))]) == 2
    assert capsys.readouterr().err.strip() == f"gpsim: error: {make(tmp_path)}: {expected}"


def test_unknown_format_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["report", str(tmp_path), "--format", "docx"])
    error = capsys.readouterr().err
    assert stop.value.code == 2 and error.count("\n") == 1 and "docx" in error
