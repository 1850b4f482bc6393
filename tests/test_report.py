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
from sim.analysis.compare import format_value
from sim.app.cli import main
from sim.report.briefing import write_report
from sim.results.run import HEADLINE

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
    assert len(charts) == 13
    assert html_briefing.count('src="data:image/png;base64,') == len(charts)
    assert not re.search(r'(src|href)="(?!data:)', html_briefing), "nothing loaded from elsewhere"
    for heading in ("Headline findings", "Charts", "Scenario assumptions", "What the model cannot say", "Provenance"):
        assert f"<h2>{heading}</h2>" in html_briefing


def test_findings_quote_comparison_csv(html_briefing):
    text = _text(html_briefing)
    table = pd.read_csv(comparison_folder() / "comparison.csv")
    last = table[(table["year"] == 3) & (table["scenario"] == "no_contract")].set_index("outcome")
    for column, label, _ in HEADLINE:
        row = last.loc[column]
        numbers = (f"paired difference {format_value(column, row['difference_median'], True)} (90% interval "
                   f"{format_value(column, row['difference_low'], True)} to {format_value(column, row['difference_high'], True)})")
        assert f"{label}: {format_value(column, row['median'])} (90% interval" in text
        assert numbers in text, column
    # Checked by hand as well: coverage is a share, quoted in percentage points and called lower.
    coverage = last.loc["network_coverage_practices"]
    assert f"paired difference {coverage['difference_median'] * 100:.1f} pp" in text
    findings = [unescape(item) for item in re.findall(r"<li>(.*?)</li>", html_briefing)]
    assert next(f for f in findings if f.startswith("Practices in a network")).endswith(": lower.")
    assert "By year 3 (2020-03), no_contract differs clearly from small in" in text


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
        assert f"paired difference {format_value('continuity', row['difference_median'], True)}" in text
        assert "What the model cannot say" in text and "Provenance" in text


def test_briefing_of_a_single_run(tmp_path):
    folder = sim.run(small(months=30), replications=2).save(tmp_path / "run", charts=False)
    path = write_report(folder)
    text = _text(path.read_text(encoding="utf-8"))
    series = pd.read_csv(folder / "timeseries.csv")
    practices = series.loc[series["month"] == "2018-03", "practices"]
    assert f"Practices open: {format_value('practices', practices.median())} (90% interval " \
           f"{format_value('practices', practices.quantile(0.05))} to {format_value('practices', practices.quantile(0.95))}) at year 1" in text
    assert "Briefing: small" in text and "What the model cannot say" in text


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
