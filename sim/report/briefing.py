"""A briefing pack from a run or comparison folder: headline findings in plain words with their
numbers and intervals, the charts, the scenario assumptions, what the model cannot say, and
provenance. The content is gathered once (Briefing) and laid out as HTML or PDF."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.report import html, pdf
from sim.report.charts import CHARTS
from sim.results.folder import atomic_file
from sim.results.outcomes import (
    GROUPS,
    HEADLINE,
    MEASURES,
    YEARS,
    format_value,
    outcome_table,
    year_months,
)
from sim.scenario.errors import InputError

LIMITS = [
    "It simulates a synthetic England built from published national figures, not real named practices: "
    "it cannot say what will happen to a particular practice, place or commissioner.",
    "The 90% intervals show the model's own chance variation across replications. They do not include "
    "uncertainty in the assumptions themselves; a sensitivity analysis is needed for that.",
    "How practices decide to join, how staff leave and how commissioners push are assumptions set to match "
    "the broad pattern of 2013-2023. A policy far outside that experience may play out differently.",
    "Patients are counted per practice, not as individuals: continuity is a practice-level usual-GP share, "
    "and nothing is said about clinical quality, health outcomes or hospital use.",
    "Money covers practice income, staff and running costs and network payments; it is not a full account "
    "of NHS spending.",
    "With few replications the ends of the intervals are rough; more replications make them steadier.",
]
# Settings every reader wants in the assumptions table, whether or not scenarios differ there.
QUANTILES = ["median", "low", "high"]
KEY_SETTINGS = ("start", "months", "seed", "replications", "population.practices", "population.mean_list_size")
# The policy levers of each organisation kind and of the additional roles scheme.
POLICY = re.compile(r"^organisations\.[^.]+\.(kind|opens|initial_coverage|band\..*|payments\..*)$"
                    r"|^additional_roles\.(start|employer|reimbursement_rate)$")


@dataclass
class Table:
    """A captioned table: header and rows of text."""

    caption: str
    header: list[str]
    rows: list[list[str]]
    labels: int = 1  # leading columns that name the row rather than hold results


@dataclass
class Briefing:
    """Everything the pack says, independent of layout.

    Attributes:
        title, subtitle: the heading.
        findings: plain-words sentences with numbers and intervals.
        tables: result tables (outcomes by year, equity).
        charts: (caption, PNG path) pairs.
        assumptions: the scenario settings table.
        provenance: what produced the results.
    """

    title: str
    subtitle: str
    findings: list[str]
    tables: list[Table]
    charts: list[tuple[str, Path]]
    assumptions: Table
    provenance: Table
    limits: list[str] = field(default_factory=lambda: list(LIMITS))


def _interval(column: str, median: float, low: float, high: float, difference: bool = False) -> str:
    return (f"{format_value(column, median, difference)} "
            f"(90% interval {format_value(column, low, difference)} to {format_value(column, high, difference)})")


def _bracketed(column: str, values, difference: bool = False) -> str:
    median, low, high = (format_value(column, v, difference) for v in values)
    return f"{median} [{low} to {high}]"


def _direction(low: float, high: float, median: float) -> str:
    if low == high == median == 0:
        return "no difference"
    if low > 0:
        return "higher"
    if high < 0:
        return "lower"
    return "no clear difference (the interval includes zero)"


def comparison_findings(table: pd.DataFrame, baseline: str) -> list[str]:
    """Plain-words findings at the last compared year, clear differences first.

    Args:
        table: comparison.csv as a frame.
        baseline: the baseline scenario's label.
    """
    year = int(table["year"].max())
    last = table[table["year"] == year]
    month = last["month"].iloc[0]
    findings = []
    for name in [s for s in dict.fromkeys(last["scenario"]) if s != baseline]:
        clear, unclear = [], []
        for _, row in last[last["scenario"] == name].iterrows():
            base = last[(last["scenario"] == baseline) & (last["outcome"] == row["outcome"])].iloc[0]
            words = _direction(row["difference_low"], row["difference_high"], row["difference_median"])
            column = row["outcome"]
            ours, theirs = _interval(column, *row[QUANTILES]), _interval(column, *base[QUANTILES])
            change = _interval(column, *row[[f"difference_{q}" for q in QUANTILES]], difference=True)
            sentence = (f"{row['label']}: {ours} under {name} against {theirs} under {baseline}; "
                        f"paired difference {change}: {words}.")
            (clear if words in ("higher", "lower") else unclear).append(sentence)
        findings.append(f"By year {year} ({month}), {name} differs clearly from {baseline} in {len(clear)} of "
                        f"{len(clear) + len(unclear)} headline outcomes.")
        findings.extend(clear + unclear)
    return findings


def run_findings(table: pd.DataFrame, name: str) -> list[str]:
    """Plain-words findings of one run: each outcome at year 1 and at the last whole year."""
    first, last = int(table["year"].min()), int(table["year"].max())
    findings = []
    for column, label, _ in HEADLINE:
        rows = table[table["outcome"] == column].set_index("year")
        start, end = rows.loc[first], rows.loc[last]
        findings.append(f"{label}: {_interval(column, start['median'], start['low'], start['high'])} at year {first} "
                        f"({start['month']}), {_interval(column, end['median'], end['low'], end['high'])} at year {last} "
                        f"({end['month']}) under {name}.")
    return findings


def years_table(table: pd.DataFrame, baseline: str) -> Table:
    """Outcomes by year: median [interval] per scenario and the paired difference from the baseline."""
    scenarios = list(dict.fromkeys(table["scenario"]))
    others = [s for s in scenarios if s != baseline]
    header = ["Outcome", "Year"] + scenarios + [f"{s} minus {baseline}" for s in others]
    rows = []
    for (column, year), group in table.groupby(["outcome", "year"], sort=False):
        by = group.set_index("scenario")
        cells = [_bracketed(column, by.loc[s, QUANTILES]) for s in scenarios]
        cells += [_bracketed(column, by.loc[s, [f"difference_{q}" for q in QUANTILES]], True) for s in others]
        rows.append([group["label"].iloc[0], str(year)] + cells)
    caption = "Outcomes at the end of years 1, 3, 5 and 10: median [90% interval] across replications"
    if others:
        caption += "; differences are paired by replication"
    return Table(caption, header, rows, labels=2)


def equity_table(equity: pd.DataFrame) -> Table:
    """Each group against the rest at the last compared year, per scenario."""
    year = int(equity["year"].max())
    last = equity[equity["year"] == year]
    scenarios = list(dict.fromkeys(last["scenario"]))
    rows = []
    for group in GROUPS:
        for measure in MEASURES:
            cells = []
            for s in scenarios:
                row = last[(last["scenario"] == s) & (last["group"] == group) & (last["measure"] == measure)].iloc[0]
                cells.append(f"{format_value(measure, row['group_median'])} vs {format_value(measure, row['rest_median'])} "
                             f"(gap {format_value(measure, row['gap_median'], True)})")
            rows.append([GROUPS[group], MEASURES[measure]] + cells)
    return Table(f"Equity at year {year}: the group against all other practices (medians across replications)",
                 ["Group", "Measure"] + scenarios, rows, labels=2)


def _flatten(data, prefix: str = "") -> dict[str, str]:
    """Leaf settings of a scenario as 'dotted.key' -> readable text."""
    if isinstance(data, dict):
        flat = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat or {prefix[:-1]: "none"}
    if isinstance(data, list):
        if all(isinstance(item, dict) for item in data) and data:
            return {prefix[:-1]: "; ".join(", ".join(f"{k}: {v}" for k, v in _flatten(item).items()) for item in data)}
        return {prefix[:-1]: ", ".join(map(str, data)) if data else "none"}
    if data is None:
        return {prefix[:-1]: "none"}
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return {prefix[:-1]: f"{data:,.0f}" if float(data).is_integer() else f"{data:,}"}
    return {prefix[:-1]: str(data)}


def assumptions_table(scenarios: dict[str, dict]) -> Table:
    """The settings readers need: key ones always, organisations and additional roles, dated
    changes, and anything else on which the scenarios differ."""
    flat = {name: _flatten(data) for name, data in scenarios.items()}
    keys = list(dict.fromkeys(k for f in flat.values() for k in f))
    differs = {k for k in keys if len({f.get(k, "not set") for f in flat.values()}) > 1}
    shown = [k for k in keys if k in KEY_SETTINGS or k.startswith("changes") or POLICY.search(k)
             or (k in differs and k not in ("name", "title", "description"))]
    # Settings on which the scenarios differ come first, marked with an asterisk.
    shown.sort(key=lambda k: k not in differs)
    rows = [[k.replace("_", " ").replace(".", " › ") + (" *" if k in differs else "")]
            + [flat[n].get(k, "not set") for n in scenarios] for k in shown]
    header = ["Setting"] + list(scenarios)
    return Table("Policy settings, key figures, dated changes and every setting on which the scenarios differ "
                 "(* differs between scenarios; all settings: manifest.json; their meaning and sources: gpsim schema)",
                 header, rows)


def provenance_table(manifest: dict) -> Table:
    """Scenario files with their SHA-256, seeds, replications, versions and times."""
    entries = manifest.get("scenarios") or [dict(manifest, label=manifest["scenario"]["name"])]
    rows = []
    for entry in entries:
        overrides = "; ".join(entry.get("overrides") or []) or "none"
        rows.append([f"Scenario {entry['label']}", f"file {entry.get('scenario_file') or 'not from a file'}, "
                     f"SHA-256 {entry.get('scenario_sha256') or 'n/a'}, overrides {overrides}"])
    versions = manifest.get("versions", {})
    rows += [["Seed and replications", f"seed {manifest['seed']}, {manifest['replications']} replication(s) per scenario"],
             ["Random numbers", manifest.get("common_random_numbers") or manifest.get("replication_streams", "")],
             ["Software", f"gpsim {versions.get('gpsim', 'unknown')}, Python {versions.get('python', '?')}, "
                          f"Mesa {versions.get('mesa', '?')}, numpy {versions.get('numpy', '?')}, pandas {versions.get('pandas', '?')}"],
             ["Run", f"started {manifest.get('started')}, finished {manifest.get('finished')}"]]
    if manifest.get("command"):
        rows.append(["Command", " ".join(manifest["command"])])
    if manifest.get("skipped_years"):
        rows.append(["Years left out", f"years {', '.join(map(str, manifest['skipped_years']))} are beyond the shortest run"])
    return Table("What produced these results", ["Item", "Value"], rows)


def _read_manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not folder.is_dir():
        raise InputError(folder, "", "expected a run or comparison folder; found no such folder")
    if not path.is_file():
        raise InputError(folder, "", "expected a run or comparison folder with manifest.json; found none")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(path, "", f"expected JSON; found a syntax error at line {error.lineno}") from None


def _read_csv(folder: Path, name: str) -> pd.DataFrame:
    if not (folder / name).is_file():
        raise InputError(folder, "", f"expected {name} in the results folder; found none")
    return pd.read_csv(folder / name)


def gather(folder: str | Path) -> Briefing:
    """Read a run or comparison folder and decide what the briefing says.

    Args:
        folder: a folder written by `gpsim run` / Results.save or `gpsim compare` / Comparison.save.
    """
    folder = Path(folder)
    manifest = _read_manifest(folder)
    charts_dir = folder / "charts"
    if manifest.get("kind") == "comparison":
        table = _read_csv(folder, "comparison.csv")
        baseline = manifest["baseline"]
        names = [e["label"] for e in manifest["scenarios"]]
        order = ["difference"] + [f"outcome_{c}" for c, _, _ in HEADLINE] + ["network_sizes", "equity"]
        tables = [years_table(table, baseline), equity_table(_read_csv(folder, "equity.csv"))]
        return Briefing(
            title=f"Briefing: {', '.join(names[1:])} compared with {baseline}",
            subtitle=(f"{manifest['replications']} replication(s) per scenario, seed {manifest['seed']}, common random "
                      f"numbers: the same random draws for the same practice and event in every scenario, so "
                      f"differences come from the policy, not from noise."),
            findings=comparison_findings(table, baseline), tables=tables,
            charts=[(name.replace("_", " "), charts_dir / f"{name}.png") for name in order if (charts_dir / f"{name}.png").is_file()],
            assumptions=assumptions_table({e["label"]: e["scenario"] for e in manifest["scenarios"]}),
            provenance=provenance_table(manifest))
    timeseries = _read_csv(folder, "timeseries.csv")
    name = manifest["scenario"]["name"]
    years = year_months(timeseries, YEARS)
    if not years:
        raise InputError(folder, "timeseries.csv", "expected at least 12 months of results; found fewer")
    table = outcome_table({name: timeseries}, years)
    title = manifest["scenario"].get("title") or name
    return Briefing(
        title=f"Briefing: {title}",
        subtitle=f"Scenario {name}: {manifest['replications']} replication(s), seed {manifest['seed']}.",
        findings=run_findings(table, name), tables=[years_table(table, name)],
        charts=[(n.replace("_", " "), charts_dir / f"{n}.png") for n in CHARTS if (charts_dir / f"{n}.png").is_file()],
        assumptions=assumptions_table({name: manifest["scenario"]}), provenance=provenance_table(manifest))


def write_report(folder: str | Path, fmt: str = "html", out: str | Path | None = None) -> Path:
    """Write the briefing pack for a results folder; returns the file written.

    Args:
        folder: a run or comparison folder.
        fmt: 'html' (one self-contained file) or 'pdf' (A4).
        out: the file to write (default: briefing.html or briefing.pdf in the folder).
    """
    if fmt not in ("html", "pdf"):
        raise InputError("--format", "", f"expected html or pdf; found {fmt}")
    briefing = gather(folder)
    target = Path(out) if out is not None else Path(folder) / f"briefing.{fmt}"
    with atomic_file(target) as work:  # a reader never sees half a file
        if fmt == "html":
            work.write_text(html.render(briefing), encoding="utf-8")
        else:
            pdf.render(briefing, work)
    return target
