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
from sim.report.findings import (
    Table,
    comparison_findings,
    equity_table,
    importance_table,
    interval_name,
    run_findings,
    years_table,
)
from sim.report.policies import changed_settings, flatten, plain_change
from sim.results.folder import atomic_file
from sim.results.outcomes import (
    YEARS,
    find_outcome,
    outcome_table,
    start_up_months,
    year_months,
)
from sim.scenario.errors import InputError

CHANCE_ONLY = ("The 90% intervals show the model's own chance variation across replications, with the calibrated "
               "parameters at their best-fitting values. They do not include uncertainty in the assumptions "
               "themselves; run with --uncertainty parameters, or a sensitivity analysis, for that.")
WITH_PARAMETERS = ("The 90% intervals show the model's own chance variation and the uncertainty of its calibrated "
                   "parameters: each replication runs with one of {sets} parameter sets that fit the published "
                   "figures about equally well. They do not include uncertainty in the assumptions that are not "
                   "calibrated, or in the model's design; a sensitivity analysis is needed for that.")
LIMITS = [
    "It simulates a synthetic England built from published national figures, not real named practices: "
    "it cannot say what will happen to a particular practice, place or commissioner.",
    CHANCE_ONLY,
    "How practices decide to join, how staff leave and how commissioners push are assumptions set to match "
    "the broad pattern of 2013-2023. A policy far outside that experience may play out differently.",
    "Patients are counted per practice, not as individuals: continuity is a practice-level usual-GP share, "
    "and nothing is said about clinical quality, health outcomes or hospital use.",
    "Money covers practice income, staff and running costs and network payments; it is not a full account "
    "of NHS spending.",
    "With few replications the ends of the intervals are rough; more replications make them steadier.",
]
# Settings every reader wants in the assumptions table, whether or not scenarios differ there.
KEY_SETTINGS = ("start", "months", "seed", "replications", "population.practices", "population.mean_list_size")
# The policy levers of each organisation kind and of the additional roles scheme.
POLICY = re.compile(r"^organisations\.[^.]+\.(kind|opens|initial_coverage|band\..*|payments\..*)$"
                    r"|^additional_roles\.(start|employer|reimbursement_rate)$")


@dataclass
class Briefing:
    """Everything the pack says, independent of layout.

    Attributes:
        title, subtitle: the heading.
        numbers: what the numbers are (medians and which interval).
        policies: each scenario's heading, description and settings changed from the baseline in words.
        warnings: what a reader must know before trusting the numbers (too few replications).
        findings: plain-words sentences with numbers, intervals and verdicts.
        tables: result tables (outcomes by year, equity).
        charts: (caption, PNG path) pairs.
        assumptions: the scenario settings table.
        provenance: what produced the results.
    """

    title: str
    subtitle: str
    numbers: str
    policies: list[tuple[str, str, list[str]]]
    warnings: list[str]
    findings: list[str]
    tables: list[Table]
    charts: list[tuple[str, Path]]
    assumptions: Table
    provenance: Table
    limits: list[str] = field(default_factory=lambda: list(LIMITS))


def assumptions_table(scenarios: dict[str, dict]) -> Table:
    """The settings readers need: key ones always, organisations and additional roles, dated
    changes, and anything else on which the scenarios differ."""
    flat = {name: flatten(data) for name, data in scenarios.items()}
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
             ["Uncertainty", _uncertainty_text(_uncertainty(manifest))],
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


def _title(entry: dict) -> str:
    """A scenario's title (its name when it has none)."""
    scenario = entry["scenario"]
    return scenario.get("title") or scenario["name"]


def _overrides(entry: dict) -> str:
    return f" With --set {', '.join(entry['overrides'])}." if entry.get("overrides") else ""


def _distinct_titles(entries: list[dict]) -> tuple[dict[str, str], list[str]]:
    """Each label's title, with the label added where scenarios share a title; and a warning
    naming the shared titles (a copied scenario that kept its original's title)."""
    titles = {e["label"]: _title(e) for e in entries}
    shared = sorted({t for t in titles.values() if list(titles.values()).count(t) > 1})
    if not shared:
        return titles, []
    titles = {label: f"{title} ({label})" if title in shared else title for label, title in titles.items()}
    return titles, [f"Scenarios share the title '{t}' although they differ (see Policies compared): each should have "
                    f"its own name and title. They are told apart here by their labels." for t in shared]


def policies(entries: list[dict], titles: dict[str, str] | None = None) -> list[tuple[str, str, list[str]]]:
    """Each scenario's heading (title and label), description and, for all but the baseline,
    the settings it changes from the baseline in plain words."""
    base = entries[0]
    found = []
    for number, entry in enumerate(entries):
        scenario = entry["scenario"]
        role = "scenario" if len(entries) == 1 else ("baseline" if number == 0 else "policy")
        description = " ".join((scenario.get("description") or "").split()) + _overrides(entry)
        changes = [] if number == 0 else [plain_change(*c) for c in changed_settings(base["scenario"], scenario)]
        title = _title(entry) if titles is None else titles[entry["label"]].removesuffix(f" ({entry['label']})")
        found.append((f"{title} ({role}: {entry['label']})", description.strip(), changes))
    return found


def _warnings(replications: int, comparison: bool = True) -> list[str]:
    if replications < 3 and comparison:
        warning = (f"Only {replications} replication(s) per scenario: there is no interval to tell a difference from "
                   f"chance, so no verdicts are given and the figures are for orientation only. Run at least 3 "
                   f"replications, and 10 or more for steady intervals.")
    elif replications < 3:
        warning = (f"Only {replications} replication(s): the figures show {replications} possible future(s), with no "
                   f"interval for chance. Run at least 3 replications, and 10 or more for steady intervals.")
    elif replications < 10:
        warning = (f"{replications} replications per scenario: the ends of the 90% intervals are rough; 10 or more "
                   f"make them steadier.")
    else:
        return []
    return [warning]


def _numbers(replications: int, manifest: dict) -> str:
    if replications == 1:
        return "Numbers are those of the single replication."
    return (f"Numbers are medians across replications with their {interval_name(replications)} (in brackets: "
            f"[low to high]), which include {_uncertainty(manifest).get('intervals', 'random variation only')}; "
            f"differences are paired by replication.")


def _uncertainty(manifest: dict) -> dict:
    """The manifest's record of which uncertainty the replications include (older folders: none,
    the calibrated point)."""
    record = manifest.get("uncertainty")
    return record if isinstance(record, dict) else {"mode": "stochastic"}


def _uncertainty_text(record: dict) -> str:
    """The uncertainty mode in words, with the ensemble set of each replication."""
    if record.get("mode") != "parameters":
        return "stochastic: every replication at the calibrated parameter values (random variation only)"
    sets = ", ".join(f"{entry.get('replication')}: {entry.get('set')}" for entry in record.get("parameter_sets", []))
    return (f"parameters: each replication with a parameter set of the calibration ensemble "
            f"({record.get('ensemble_sets')} sets, {record.get('ensemble_file')} SHA-256 {record.get('ensemble_sha256')}); "
            f"replication: set {sets}")


def _limits(manifest: dict) -> list[str]:
    """What the model cannot say, with the line on intervals for the uncertainty they include."""
    record = _uncertainty(manifest)
    if record.get("mode") != "parameters":
        return list(LIMITS)
    return [WITH_PARAMETERS.format(sets=record.get("ensemble_sets", "several")) if line == CHANCE_ONLY else line
            for line in LIMITS]


CAPTIONS = {"difference": "paired difference from the baseline, in multiples of the smallest difference that matters",
            "network_sizes": "size of networks against the paid band",
            "equity": "small, rural, deprived and isolated practices against the rest",
            "coverage": "share of practices in a network", "continuity": "continuity of care",
            "workforce": "GP workforce", "sustainability": "practices open, closing and in deficit"}


def _charts(folder: Path, names: list[str]) -> list[tuple[str, Path]]:
    charts, found = folder / "charts", []
    for name in names:
        outcome = find_outcome(name.removeprefix("outcome_"))
        caption = CAPTIONS.get(name) or (f"{outcome.label} over time" if outcome else name.replace("_", " "))
        if (charts / f"{name}.png").is_file():
            found.append((caption, charts / f"{name}.png"))
    return found


def gather(folder: str | Path) -> Briefing:
    """Read a run or comparison folder and decide what the briefing says.

    Args:
        folder: a folder written by `gpsim run` / Results.save or `gpsim compare` / Comparison.save.
    """
    folder = Path(folder)
    manifest = _read_manifest(folder)
    replications = int(manifest["replications"])
    if manifest.get("kind") == "comparison":
        table = _read_csv(folder, "comparison.csv")
        if "verdict" not in table or "headline" not in table:
            raise InputError(folder / "comparison.csv", "verdict", "expected a comparison written by this version "
                             "of gpsim (with verdict and headline columns); found an older one: run the comparison again")
        baseline, entries = manifest["baseline"], manifest["scenarios"]
        titles, shared = _distinct_titles(entries)
        headline = list(dict.fromkeys(table.loc[table["headline"], "outcome"]))
        others = [titles[e["label"]] for e in entries[1:]]
        return Briefing(
            title=f"Briefing: {'; '.join(others)} compared with {titles[baseline]}",
            subtitle=(f"{replications} replication(s) per scenario, seed {manifest['seed']}, common random numbers: "
                      f"the same random draws for the same practice and event in every scenario, so differences come "
                      f"from the policy, not from noise.{_overrides(entries[0])}"),
            numbers=_numbers(replications, manifest), policies=policies(entries, titles),
            warnings=shared + _warnings(replications), limits=_limits(manifest),
            findings=comparison_findings(table, baseline, titles, replications),
            tables=[years_table(table, baseline, replications), importance_table(table),
                    equity_table(_read_csv(folder, "equity.csv"), baseline, replications)],
            charts=_charts(folder, ["difference"] + [f"outcome_{c}" for c in headline] + ["network_sizes", "equity"]),
            assumptions=assumptions_table({e["label"]: e["scenario"] for e in entries}),
            provenance=provenance_table(manifest))
    timeseries = _read_csv(folder, "timeseries.csv")
    name = manifest["scenario"]["name"]
    years = year_months(timeseries, YEARS)
    if not years:
        raise InputError(folder, "timeseries.csv", "expected at least 12 months of results; found fewer")
    table = outcome_table({name: timeseries}, years)
    entry = {**manifest, "label": name}
    return Briefing(
        title=f"Briefing: {_title(entry)}",
        subtitle=f"Scenario {name}: {replications} replication(s), seed {manifest['seed']}.{_overrides(entry)}",
        numbers=_numbers(replications, manifest), policies=policies([entry]), warnings=_warnings(replications, comparison=False),
        limits=_limits(manifest),
        findings=run_findings(table, name, replications, start_up_months(manifest["scenario"])),
        tables=[years_table(table, name, replications)],
        charts=_charts(folder, list(CHARTS)),
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
